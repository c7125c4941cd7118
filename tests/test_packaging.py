"""The package works outside the repository: a wheel built from it, installed into a new
virtual environment, checks plans from another folder, with its grammar and profiles."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile

import pytest

from conftest import REFERENCE, ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(ROOT)], check=True, timeout=300)
    (built,) = out.glob("ipt_plan-*.whl")
    return built


def test_wheel_carries_grammar_and_knowledge(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "ipt_plan/grammar/iptplan.lark" in names
    assert "ipt_plan/knowledge/catalogue.toml" in names
    assert "ipt_plan/knowledge/protocols/ipt.toml" in names
    assert {"ipt_plan/templates/session.html.j2", "ipt_plan/templates/_phrases.j2"} <= set(names)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs a normal Python install")
def test_installed_wheel_checks_plans_from_another_folder(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", str(wheel)], check=True,
                   timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    plan = elsewhere / "plan.iptplan"
    plan.write_bytes(REFERENCE.read_bytes())
    broken = elsewhere / "broken.iptplan"
    broken.write_text(REFERENCE.read_text().replace("protocol ipt", "protocol ipt-brief"))
    cli = env_dir / "bin" / "ipt-plan"
    ok = subprocess.run([cli, "check", "plan.iptplan"], cwd=elsewhere, capture_output=True,
                        text=True, timeout=120)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    bad = subprocess.run([cli, "check", "broken.iptplan"], cwd=elsewhere, capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 1
    assert "error[IPT103]: this plan has 16 sessions; the ipt-brief protocol has 8" in bad.stdout
    listing = subprocess.run([cli, "protocols"], cwd=elsewhere, capture_output=True, text=True)
    assert "ipt-ptsd" in listing.stdout
    # The templates travel inside the package: agendas render outside the repository.
    rendered = subprocess.run([cli, "render", "plan.iptplan", "-o", "agendas", "-f", "html"],
                              cwd=elsewhere, capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    assert "2027-01-18" in (elsewhere / "agendas" / "plan.iptplan" / "session-06.html").read_text()
    # So do the JSON schema and the exporters' libraries.
    exported = subprocess.run([cli, "export", "plan.iptplan", "-f", "json", "-o", "plan.json"],
                              cwd=elsewhere, capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert '"format": "ipt-plan/plan"' in (elsewhere / "plan.json").read_text()
    schema = subprocess.run([python, "-c", "from ipt_plan.export import json_schema_path; "
                             "print(json_schema_path().is_file())"],
                            cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert schema.stdout.strip() == "True", schema.stderr
