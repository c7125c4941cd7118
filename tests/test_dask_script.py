"""bench/dask_check.py, the way past one machine that bench/RESULTS.md gives, counts what
`ipt-plan check` and `ipt-plan render` count, and writes the same agendas. It needs Dask
(pip install -e '.[cluster]'); CI installs only '.[test]', so there it is skipped."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("dask.bag")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from corpus import write_corpus  # noqa: E402


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def files_below(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_dask_script_counts_what_check_and_render_count(tmp_path):
    write_corpus(tmp_path / "corpus", 20, broken_every=5)  # 4 plans with a syntax error
    dask = run([str(ROOT / "bench" / "dask_check.py"), "corpus", "--render", "out-dask"],
               tmp_path)
    check = run(["-m", "ipt_plan", "check", "--format", "json", "corpus"], tmp_path)
    render = run(["-m", "ipt_plan", "render", "corpus", "-o", "out-cli"], tmp_path)

    assert dask.returncode == check.returncode == render.returncode == 1, dask.stderr
    report = json.loads(check.stdout)
    assert report["errors"] and report["warnings"]  # both kinds are counted, not zeros
    checked, rendered = dask.stdout.splitlines()
    assert checked == (f"{len(report['files'])} plans checked: {report['errors']} errors, "
                       f"{report['warnings']} warnings")
    summary = re.search(r"^(\d+) plans rendered, (\d+) failed: (\d+) files written",
                        render.stdout, re.M)
    assert summary, render.stdout
    assert rendered == "{} plans rendered, {} failed: {} files".format(*summary.groups())
    assert files_below(tmp_path / "out-dask") == files_below(tmp_path / "out-cli")
