"""Health data stays where it belongs: which files are read (regular files only, never a
pipe that would hang), which folder each plan's agendas land in (the same one every run,
never another plan's), and output that could not be written (a clear error, exit 2)."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import PLANS, REFERENCE
from ipt_plan import batch, load_file, outdir
from ipt_plan.cli import app

runner = CliRunner()
CLI = [sys.executable, "-m", "ipt_plan"]
BROKEN = PLANS.parent / "tests" / "cases"  # plans with errors: check prints diagnostics


def plan_titled(title: str) -> str:
    return REFERENCE.read_text(encoding="utf-8").replace(
        'plan "Ms. A: caregiving conflict with her sister"', f'plan "{title}"')


def write_plan(path: Path, title: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(plan_titled(title), encoding="utf-8")
    return path


def title_in(folder: Path) -> str:
    return (folder / "overview.md").read_text(encoding="utf-8").split("\n", 1)[0]


# --- 6. each plan's agendas land in its own folder, the same one every run ----------------

def test_a_plan_keeps_its_folder_when_another_plan_joins_the_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_plan(Path("clinic/smith/plan.iptplan"), "Smith")
    assert runner.invoke(app, ["render", "clinic/smith/plan.iptplan", "-o", "out"]).exit_code == 0
    smiths = [p.parent for p in Path("out").rglob("overview.md")]
    assert len(smiths) == 1 and title_in(smiths[0]) == "# Smith"

    write_plan(Path("clinic/jones/plan.iptplan"), "Jones")
    assert runner.invoke(app, ["render", "clinic/", "-o", "out"]).exit_code == 0
    assert title_in(smiths[0]) == "# Smith"  # Jones's agendas never overwrite Smith's
    folders = {title_in(p.parent): p.parent for p in Path("out").rglob("overview.md")}
    assert set(folders) == {"# Smith", "# Jones"}
    assert folders["# Smith"] == smiths[0]
    assert folders == {"# Smith": Path("out/clinic/smith/plan.iptplan"),
                       "# Jones": Path("out/clinic/jones/plan.iptplan")}


def test_make_run_layout_mirrors_the_plans_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(PLANS.parent)
    out = tmp_path / "agendas"
    result = runner.invoke(app, ["render", "plans/", "-o", str(out)])
    assert result.exit_code == 0
    assert sorted(p.name for p in (out / "plans").iterdir()) == sorted(
        p.name for p in PLANS.glob("*.iptplan"))
    assert f"-> {out / 'plans' / 'caregiver-dispute.iptplan'}{os.sep} " in result.stderr


def test_plans_named_alike_get_folders_apart_even_without_case(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = ["clinic/Ms-A.iptplan", "clinic/ms-a.iptplan", "clinic/MS-A.iptplan",
             "clinic/Ms A.iptplan", "clinic/Ms_A.iptplan", "Clinic/ms-a.iptplan",
             "clinic/con.iptplan", "clinic/x-0123abcd.iptplan", "clinic/ms-a.txt",
             "clinic/ms-a.txt.iptplan", "clinic/.ms-a.iptplan", "clinic/Zoë.iptplan",
             "clinic/Zoe\u0308.iptplan", "outside/ms-a.iptplan"]
    folders = {name: outdir.plan_folder(Path(name)) for name in names}
    lowered = {str(folder).casefold() for folder in folders.values()}
    assert len(lowered) == len(names), folders  # apart on macOS and Windows too
    for name, folder in folders.items():
        assert not folder.is_absolute() and ".." not in folder.parts
        assert all(part and not part.startswith((".", "-")) for part in folder.parts)
        assert outdir.plan_folder(Path(name)) == folder  # the same every time
    assert folders["clinic/ms-a.iptplan"] == Path("clinic/ms-a.iptplan")
    assert str(folders["clinic/Ms A.iptplan"]).startswith("clinic/Ms-A-")  # still readable
    assert folders["clinic/Zoë.iptplan"].name.startswith("Zoë-")
    assert outdir.plan_folder(Path("Ms A.iptplan")) == Path("Ms-A-e7890c77.iptplan")  # as documented
    # The plans' own `outside`, a folder or a plan, never meets the folder for plans
    # outside the current one.
    assert outdir.plan_folder(Path("outside/ms-a.iptplan")).parts[0] != "outside"
    assert outdir.plan_folder(Path("outside.iptplan")).parts[0] != "outside"


def test_each_plan_lands_in_the_same_folder_alone_or_with_others(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = ["a/plan.iptplan", "b/plan.iptplan", "b/Plan.iptplan", "b/p l a n.iptplan"]
    for name in names:
        write_plan(Path(name), name)
    together = folders_by_title(["a", "b"], Path("together"))
    assert len(set(together.values())) == len(names)
    for index, name in enumerate(names):
        alone = folders_by_title([name], Path(f"alone-{index}"))
        assert alone == {f"# {name}": together[f"# {name}"]}


def folders_by_title(paths: list[str], out: Path) -> dict[str, Path]:
    """Render the paths into `out`: each plan's title, and its folder within `out`."""
    assert runner.invoke(app, ["render", *paths, "-o", str(out)]).exit_code == 0
    return {title_in(p.parent): p.parent.relative_to(out) for p in out.rglob("overview.md")}


def test_plans_outside_the_current_folder_stay_inside_the_output_folder(tmp_path, monkeypatch):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    write_plan(tmp_path / "other" / "plan.iptplan", "Other")
    write_plan(here / "plan.iptplan", "Here")
    out = tmp_path / "out"
    for arg in ("../other/plan.iptplan", str(tmp_path / "other"), "plan.iptplan"):
        assert runner.invoke(app, ["render", arg, "-o", str(out)]).exit_code == 0
    folders = sorted(p.parent for p in out.rglob("overview.md"))
    assert len(folders) == 2  # the relative and the absolute path name one plan, one folder
    assert {p.name for p in tmp_path.iterdir()} == {"here", "other", "out"}
    assert all(out in p.parents for p in folders)
    assert (out / "plan.iptplan" / "overview.md").is_file()
    elsewhere = next(p for p in folders if p != out / "plan.iptplan")
    assert title_in(elsewhere) == "# Other" and elsewhere.relative_to(out).parts[0] == "outside"


def test_one_plan_named_twice_is_rendered_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_plan(Path("clinic/smith/plan.iptplan"), "Smith")
    jobs = batch.plan_jobs([Path("clinic/smith/plan.iptplan"),
                            Path("clinic/../clinic/smith/plan.iptplan")],
                           Path("out"), "md", None, ())
    assert [job.out_dir for job in jobs] == [str(Path("out/clinic/smith/plan.iptplan"))]


# --- 10. output that cannot be written is an error, not a traceback or a success ---------

needs_dev_full = pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")


def run_into(stdout, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], stdout=stdout, stderr=subprocess.PIPE, text=True,
                          timeout=120, cwd=cwd)


def assert_output_lost(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    lost = [line for line in done.stderr.splitlines() if "standard output" in line]
    assert len(lost) == 1 and lost[0].startswith("ipt-plan: "), done.stderr


@needs_dev_full
@pytest.mark.parametrize("args", [
    ["check", str(BROKEN)],
    ["export", str(REFERENCE), "-f", "json"],
    ["graph", str(REFERENCE)],
    ["new", "--focus", "grief"],
    ["fmt", "--diff", "MESSY"],
    ["rules"],
    ["render", str(REFERENCE), "-o", "OUT"],
    ["--help"],
], ids=lambda args: args[0])
def test_a_full_disk_on_standard_output_is_exit_2(tmp_path, args):
    messy = tmp_path / "messy.iptplan"
    messy.write_text(REFERENCE.read_text(encoding="utf-8").replace("  client", "client"))
    args = [str(messy) if a == "MESSY" else str(tmp_path / "out") if a == "OUT" else a
            for a in args]
    with open("/dev/full", "w") as full:
        assert_output_lost(run_into(full, *args))


def test_a_closed_standard_output_is_exit_2(tmp_path):
    done = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *CLI, "check", str(BROKEN)],
                          stderr=subprocess.PIPE, text=True, timeout=120)
    assert_output_lost(done)
    # Nothing is lost when there was nothing to write.
    quiet = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *CLI, "check", str(REFERENCE)],
                           stderr=subprocess.PIPE, text=True, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_a_reader_that_went_away_is_not_a_success_nor_a_traceback():
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` having stopped reading before the output came
    try:
        done = subprocess.run([*CLI, "check", str(BROKEN)], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


# --- 11. only regular files are read --------------------------------------------------------

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


@pytest.fixture
def with_fifo(tmp_path):
    """A folder holding a good plan and a named pipe called like a plan (no one writes to it)."""
    plans = tmp_path / "plans"
    plans.mkdir()
    shutil.copy(REFERENCE, plans / "good.iptplan")
    os.mkfifo(plans / "pipe.iptplan")
    return plans


@needs_fifo
@pytest.mark.parametrize("args", [
    ["check", "PIPE"], ["check", "PLANS"], ["fmt", "PLANS"], ["fmt", "--check", "PIPE"],
    ["render", "PLANS", "-o", "OUT"], ["export", "PIPE", "-f", "json"], ["graph", "PIPE"],
], ids=lambda args: "-".join(a.lower() for a in args[:2]))
def test_a_named_pipe_is_reported_not_waited_on(with_fifo, args):
    swap = {"PIPE": str(with_fifo / "pipe.iptplan"), "PLANS": str(with_fifo),
            "OUT": str(with_fifo.parent / "out")}
    done = subprocess.run([*CLI, *(swap.get(a, a) for a in args)], capture_output=True,
                          text=True, timeout=30)  # before the fix: waits for a writer forever
    assert done.returncode in (1, 2), done.stdout + done.stderr
    assert "not a regular file" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    if args[0] == "render":
        rendered = (with_fifo.parent / "out").rglob("session-16.md")
        assert [p.parent.name for p in rendered] == ["good.iptplan"]


def test_a_device_is_not_read_as_a_plan(tmp_path):
    device = tmp_path / "zero.iptplan"
    device.symlink_to("/dev/zero")
    (diagnostic,) = load_file(device).diagnostics
    assert diagnostic.code == "IPT000" and "not a regular file" in diagnostic.message


@needs_fifo
def test_a_named_pipe_is_not_read_in_process(tmp_path):
    fifo = tmp_path / "pipe.iptplan"
    os.mkfifo(fifo)
    # A writer holds the pipe open, so reading it would wait, not end: only the check of
    # what the file is keeps this test from hanging. Guarded by a child process' timeout.
    code = (f"import os; from ipt_plan import load_file\n"
            f"w = os.open({str(fifo)!r}, os.O_RDWR)\n"
            f"print(load_file({str(fifo)!r}).diagnostics[0].message)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30)
    assert "not a regular file" in done.stdout
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@needs_fifo
def test_a_named_pipe_among_protocol_profiles_is_reported_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "ours.toml")
    done = subprocess.run([*CLI, "protocols", "--protocols", str(tmp_path)], capture_output=True,
                          text=True, timeout=30)
    assert re.search(r"^ours +\(cannot be used: it cannot be read \(a named pipe, not a "
                     r"regular file\)\)$", done.stdout, flags=re.MULTILINE)


def test_a_plan_and_a_folder_of_the_same_name_never_nest(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_plan(Path("clinic/jones.iptplan"), "Jones")
    write_plan(Path("clinic/jones/partner.iptplan"), "Partner")
    write_plan(Path("clinic/a.iptplan"), "A")
    write_plan(Path("clinic/a/session-01.md.iptplan"), "Named like an agenda")
    folders = folders_by_title(["clinic"], Path("out"))
    assert len(set(folders.values())) == 4
    for one in folders.values():
        for other in folders.values():
            assert one == other or one not in other.parents  # no plan's folder holds another's


def test_a_folder_that_holds_another_plans_agendas_is_refused(tmp_path, monkeypatch):
    for clinic, name in (("clinicA", "Smith of clinic A"), ("clinicB", "Smith of clinic B")):
        write_plan(tmp_path / clinic / "smith" / "plan.iptplan", name)
    monkeypatch.chdir(tmp_path / "clinicA")
    assert runner.invoke(app, ["render", "smith/plan.iptplan", "-o", "../out"]).exit_code == 0
    monkeypatch.chdir(tmp_path / "clinicB")  # the same relative path, another client
    result = runner.invoke(app, ["render", "smith/plan.iptplan", "-o", "../out"])
    assert result.exit_code == 1
    assert "it holds the agendas of another plan file" in result.output
    assert title_in(tmp_path / "out" / "smith" / "plan.iptplan") == "# Smith of clinic A"
    monkeypatch.chdir(tmp_path / "clinicA")  # its own plan still renders there
    assert runner.invoke(app, ["render", "smith/plan.iptplan", "-o", "../out"]).exit_code == 0


def test_a_plan_with_an_id_keeps_its_folder_when_the_project_moves(tmp_path, monkeypatch):
    project = tmp_path / "project"
    plan = write_plan(project / "plans" / "ms-a.iptplan", "Ms A")
    plan.write_text(plan.read_text(encoding="utf-8").replace(
        'plan "Ms A"', 'plan "Ms A"\n  id 0123456789abcdef'), encoding="utf-8")
    bare = write_plan(project / "plans" / "ms-b.iptplan", "Ms B")  # no id line
    monkeypatch.chdir(project)
    assert runner.invoke(app, ["render", "plans", "-o", "agendas"]).exit_code == 0
    moved = tmp_path / "moved"
    project.rename(moved)
    monkeypatch.chdir(moved)
    result = runner.invoke(app, ["render", "plans", "-o", "agendas"])
    assert result.exit_code == 1  # the plan without an id is refused, and says what to do
    assert "rendered  plans/ms-a.iptplan" in result.output
    assert "delete the file .ipt-plan-source in it and render again" in result.output
    (moved / "agendas" / "plans" / bare.name / ".ipt-plan-source").unlink()
    assert runner.invoke(app, ["render", "plans", "-o", "agendas"]).exit_code == 0


def test_a_long_name_in_a_script_of_three_byte_letters_fits_a_disk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "患" * 80 + ".iptplan"
    folder = outdir.plan_folder(Path(name))
    assert len(os.fsencode(folder.name)) <= 255
    write_plan(Path(name), "Long")
    assert runner.invoke(app, ["render", name, "-o", "out"]).exit_code == 0
