"""`make run` and `make test` set themselves up on a fresh clone: a Python too old is
named with the fix, and a set-up that fails leaves no half-made environment behind
(which made every later `make` fail the same way until `make clean`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def fake_python(folder: Path, version: str, venv_works: bool) -> Path:
    """A `python` that says it is `version`, passes or fails the version check as that
    version would, and makes a half environment with `-m venv` before failing (or not)."""
    old = tuple(int(n) for n in version.split(".")[:2]) < (3, 11)
    script = folder / "python"
    script.write_text(f"""#!/bin/sh
case "$1" in
  --version) echo "Python {version}" ;;
  -c) exit {1 if old else 0} ;;
  -m) mkdir -p "$3/bin"; printf '#!/bin/sh\\nexit 1\\n' > "$3/bin/python"; chmod +x "$3/bin/python"
      exit {0 if venv_works else 1} ;;
esac
""")
    script.chmod(0o755)
    return script


def make(folder: Path, python: Path) -> subprocess.CompletedProcess:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, folder / name)
    return subprocess.run(["make", ".venv/.installed", f"PYTHON={python}"], cwd=folder,
                          capture_output=True, text=True, timeout=60)


def test_a_python_too_old_is_named_with_the_fix(tmp_path):
    done = make(tmp_path, fake_python(tmp_path, "3.10.13", venv_works=True))
    assert done.returncode == 2
    assert "ipt-plan needs Python 3.11 or newer" in done.stderr and "3.10.13" in done.stderr
    assert "make run PYTHON=python3.11" in done.stderr
    assert not (tmp_path / ".venv").exists()


def test_a_failed_set_up_leaves_no_environment_behind(tmp_path):
    done = make(tmp_path, fake_python(tmp_path, "3.11.7", venv_works=False))
    assert done.returncode == 2 and "python3-venv" in done.stderr
    assert not (tmp_path / ".venv").exists()
    # venv works but installing does not (the fake environment's python fails): removed too.
    done = make(tmp_path, fake_python(tmp_path, "3.11.7", venv_works=True))
    assert done.returncode == 2 and "nothing is left half-made" in done.stderr
    assert not (tmp_path / ".venv").exists()


def test_an_environment_left_by_an_older_or_failed_set_up_is_made_again(tmp_path):
    broken = tmp_path / ".venv" / "bin"
    broken.mkdir(parents=True)
    (broken / "python").write_text("#!/bin/sh\nexit 1\n")
    (broken / "python").chmod(0o755)
    done = make(tmp_path, fake_python(tmp_path, "3.11.7", venv_works=False))
    assert "Removing .venv" in done.stderr
    assert not (tmp_path / ".venv").exists()
