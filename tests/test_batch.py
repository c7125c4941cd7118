"""The render pipeline over many plans: bad plans among good ones, parallel processes,
atomic and minimal writes, folder names, progress and exit codes."""

from __future__ import annotations

import fcntl
import io
import os
import re
import shutil
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import PLANS, REFERENCE
from ipt_plan import batch, files, load_file, render
from ipt_plan.files import TEMP_SUFFIX
from ipt_plan.outdir import plan_folder
from ipt_plan.render_report import Progress, failure_report
from ipt_plan.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["render", *map(str, args)])


def agendas(out: Path, plan: Path) -> Path:
    """The folder a plan's agendas go to (see test_paths_and_streams.py for the layout)."""
    return out / plan_folder(plan)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture
def mixed(tmp_path, reference_text):
    """Two good plans among a broken, a binary and an unreadable one."""
    plans = tmp_path / "plans"
    plans.mkdir()
    shutil.copy(REFERENCE, plans / "caregiver.iptplan")
    shutil.copy(PLANS / "postpartum-new-mother.iptplan", plans / "postpartum.iptplan")
    (plans / "broken.iptplan").write_text(
        reference_text.replace("  stage renegotiation\n", ""), encoding="utf-8")
    (plans / "binary.iptplan").write_bytes(bytes(range(256)) * 8)
    (plans / "gone.iptplan").symlink_to(tmp_path / "nowhere.iptplan")  # cannot be opened
    return plans


def test_good_plans_render_and_bad_ones_are_reported(mixed, tmp_path):
    out = tmp_path / "out"
    result = invoke(mixed, "-o", out, "--jobs", "2")
    assert result.exit_code == 1
    assert sorted(p.parent.name for p in out.rglob("overview.md")) == [
        "caregiver.iptplan", "postpartum.iptplan"]
    # Each session, the overview and the mark of the plan the folder belongs to.
    assert len(list(agendas(out, mixed / "caregiver.iptplan").iterdir())) == 16 + 2
    assert len(list(agendas(out, mixed / "postpartum.iptplan").iterdir())) == 9 + 2
    report = result.stdout
    assert f"{mixed / 'broken.iptplan'}:12:7: error[IPT204]: the role dispute 'sister' has no stage" in report
    assert "   12 | focus sister: role_dispute" in report  # shown as `check` shows it
    assert f"{mixed / 'binary.iptplan'}:1:1: error[IPT000]: this is a binary file" in report
    assert f"{mixed / 'gone.iptplan'}:1:1: error[IPT000]: no such file" in report
    assert re.search(r"^2 plans rendered, 3 failed: 27 files written, 0 unchanged, in \d+\.\d s$",
                     report, re.MULTILINE)
    assert f"failed    {mixed / 'broken.iptplan'}: 1 error; not rendered" in result.stderr
    assert "Traceback" not in result.output
    assert not list(out.rglob(f"*{TEMP_SUFFIX}"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_is_reported(tmp_path):
    plans = tmp_path / "plans"
    plans.mkdir()
    shutil.copy(REFERENCE, plans / "good.iptplan")
    locked = plans / "locked.iptplan"
    shutil.copy(REFERENCE, locked)
    locked.chmod(0)
    result = invoke(plans, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "permission denied" in result.stdout
    assert (agendas(tmp_path / "out", plans / "good.iptplan") / "session-16.md").is_file()


def test_output_is_the_same_whatever_the_number_of_processes(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert invoke(PLANS, "-o", one, "--jobs", "1", "-f", "html").exit_code == 0
    assert invoke(PLANS, "-o", two, "--jobs", "2", "-f", "html").exit_code == 0
    # Each plan's overview and session agendas, and its folder's record of its plan: counted
    # from the plans themselves, so that adding a bundled plan does not break the count.
    plans = sorted(PLANS.glob("*.iptplan"))
    expected = sum(len(render(load_file(plan), "html")) + 1 for plan in plans)
    assert tree(one) == tree(two) and len(tree(one)) == expected


def test_a_rerun_is_byte_identical_and_rewrites_only_what_changed(tmp_path, reference_text):
    plan = tmp_path / "ms-a.iptplan"
    plan.write_text(reference_text, encoding="utf-8")
    out = tmp_path / "out"
    assert invoke(plan, "-o", out).exit_code == 0
    first = tree(out)
    past = 1_000_000_000
    for path in out.rglob("*"):
        os.utime(path, (past, past))

    again = invoke(plan, "-o", out)
    assert "0 files written, 17 unchanged" in again.stdout
    assert tree(out) == first
    assert {p.stat().st_mtime for p in out.rglob("*.md")} == {past}

    plan.write_text(reference_text.replace("Saying no to the Thursday appointment",
                                           "Saying no to the Friday appointment"), encoding="utf-8")
    changed = invoke(plan, "-o", out)
    assert "1 file written, 16 unchanged" in changed.stdout
    rewritten = [p.name for p in agendas(out, plan).iterdir() if p.stat().st_mtime != past]
    assert rewritten == ["session-06.md"]
    assert "Friday" in (agendas(out, plan) / "session-06.md").read_text(encoding="utf-8")


def test_agendas_of_sessions_a_plan_no_longer_has_are_removed(tmp_path):
    out = tmp_path / "out"
    stale, own = agendas(out, REFERENCE) / "session-17.md", agendas(out, REFERENCE) / "notes.md"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    own.write_text("the clinician's own file")
    html = agendas(out, REFERENCE) / "session-17.html"
    html.write_text("another format's agenda")
    result = invoke(REFERENCE, "-o", out)
    assert result.exit_code == 0 and "1 removed" in result.stdout
    assert not stale.exists() and own.exists() and html.exists()


def test_writes_are_atomic(tmp_path, monkeypatch):
    target = tmp_path / "session-01.md"
    target.write_bytes(b"the previous agenda")

    def killed(src, dst, **dir_fds):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(files.os, "replace", killed)
    with pytest.raises(OSError):
        files.write_atomically(target, b"the new agenda")
    assert target.read_bytes() == b"the previous agenda"
    assert [p.name for p in tmp_path.iterdir()] == ["session-01.md"]  # no temp file left


def test_a_killed_runs_temp_files_are_cleared(tmp_path):
    folder = agendas(tmp_path / "out", REFERENCE)
    folder.mkdir(parents=True)
    leftover = folder / f".session-03.md.deadbeef{TEMP_SUFFIX}"
    leftover.write_text("half an agen")
    assert invoke(REFERENCE, "-o", tmp_path / "out").exit_code == 0
    assert not leftover.exists() and len(list(folder.iterdir())) == 17 + 1  # and the plan's mark


def test_a_write_failure_fails_that_plan_only(tmp_path):
    out = tmp_path / "out"
    agendas(out, REFERENCE).parent.mkdir(parents=True)
    agendas(out, REFERENCE).write_text("a file where the plan's folder should be")
    result = invoke(REFERENCE, PLANS / "postpartum-new-mother.iptplan", "-o", out)
    assert result.exit_code == 1
    assert f"{REFERENCE}: not rendered: cannot write" in result.stdout
    assert (agendas(out, PLANS / "postpartum-new-mother.iptplan") / "session-08.md").is_file()


def test_folder_names_come_from_the_plan_path_only():
    def leaf(name: str) -> str:
        return plan_folder(Path("clinic", name)).name

    assert plan_folder(Path("clinic/ms-a.iptplan")) == Path("clinic/ms-a.iptplan")
    assert re.fullmatch(r"Ms-A-plan-v2-[0-9a-f]{8}\.iptplan", leaf("Ms A: plan (v2).iptplan"))
    assert re.fullmatch(r"hidden-[0-9a-f]{8}\.iptplan", leaf("..hidden.iptplan"))
    assert re.fullmatch(r"Zoë-[0-9a-f]{8}\.iptplan", leaf("Zoë.iptplan"))
    assert re.fullmatch(r"con-[0-9a-f]{8}\.iptplan", leaf("con.iptplan"))
    assert re.fullmatch(r"plan-[0-9a-f]{8}\.iptplan", leaf("---.iptplan"))
    assert plan_folder(Path("a/x.iptplan")) != plan_folder(Path("b/x.iptplan"))


def test_same_stem_in_two_folders_and_hostile_plan_text(tmp_path, reference_text, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "plan.iptplan").write_text(
            reference_text.replace('plan "Ms. A: caregiving conflict with her sister"',
                                   'plan "../../escaped"'), encoding="utf-8")
    out = tmp_path / "out"
    assert invoke(tmp_path / "a", tmp_path / "b", "-o", out).exit_code == 0
    assert sorted(p.parent for p in out.rglob("overview.md")) == [out / "a" / "plan.iptplan",
                                                                  out / "b" / "plan.iptplan"]
    assert {p.name for p in tmp_path.iterdir()} == {"a", "b", "out"}  # nothing written elsewhere
    assert "# ../../escaped" in (out / "a" / "plan.iptplan" / "overview.md").read_text(encoding="utf-8")


def test_a_pack_is_written_in_each_plans_folder_privately_and_removed_when_not_asked(tmp_path):
    out = tmp_path / "out"
    result = invoke(PLANS, "-o", out, "-f", "html", "--pack")
    assert result.exit_code == 0, result.output
    for plan in sorted(PLANS.glob("*.iptplan")):
        pack = agendas(out, plan) / "course.html"
        documents = render(load_file(plan), "html", pack=True)
        assert documents[-1].name == "course.html"
        assert pack.read_text(encoding="utf-8") == documents[-1].text
        assert stat.S_IMODE(pack.stat().st_mode) == 0o600
        # the overview and every session, each its own article (one a printed page)
        assert pack.read_text(encoding="utf-8").count("<article ") == len(documents) - 1
    again = invoke(REFERENCE, "-o", out, "-f", "html", "--pack")
    assert again.exit_code == 0 and "0 files written, 18 unchanged" in again.stdout
    # A render without --pack removes the pack it would leave out of date; other formats'
    # renders leave it be, and a course.md, which no render writes, is the clinician's.
    own = agendas(out, REFERENCE) / "course.md"
    own.write_text("the clinician's own notes on the course")
    assert invoke(REFERENCE, "-o", out).exit_code == 0
    assert (agendas(out, REFERENCE) / "course.html").exists() and own.exists()
    without = invoke(REFERENCE, "-o", out, "-f", "html")
    assert without.exit_code == 0 and "1 removed" in without.stdout
    assert not (agendas(out, REFERENCE) / "course.html").exists()


@pytest.mark.parametrize("fmt", ["md", "txt"])
def test_a_pack_in_markdown_or_text_is_a_usage_error(tmp_path, fmt):
    result = invoke(REFERENCE, "-o", tmp_path / "out", "-f", fmt, "--pack")
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert (f"ipt-plan: a pack (the whole course in one file, to print) is made in HTML only "
            f"(--format html), not {fmt}") in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="HTML only"):
        render(load_file(REFERENCE), fmt, pack=True)


def test_usage_errors_exit_2(tmp_path):
    missing = invoke(REFERENCE, tmp_path / "nope.iptplan", "-o", tmp_path / "out")
    assert missing.exit_code == 2
    assert f"{tmp_path / 'nope.iptplan'}:1:1: error[IPT000]: no such file or folder" in missing.stdout
    assert (agendas(tmp_path / "out", REFERENCE) / "overview.md").is_file()  # the rest rendered
    assert invoke(REFERENCE).exit_code == 2  # no -o
    assert invoke(REFERENCE, "-o", tmp_path / "o", "--format", "pdf").exit_code == 2
    assert invoke(REFERENCE, "-o", tmp_path / "o", "--jobs", "0").exit_code == 2
    assert invoke(REFERENCE, "-o", tmp_path / "o", "--templates", tmp_path / "none").exit_code == 2
    a_file = tmp_path / "file"
    a_file.write_text("")
    not_a_folder = invoke(REFERENCE, "-o", a_file)
    assert not_a_folder.exit_code == 2 and "cannot make the output folder" in not_a_folder.stderr


def render_with_session_template(tmp_path, text):
    """Render the reference plan with a user's session.md.j2; the result and its path."""
    template = tmp_path / "templates" / "session.md.j2"
    template.parent.mkdir()
    template.write_text(text)
    return invoke(REFERENCE, "-o", tmp_path / "out", "--templates", template.parent), template


def test_a_template_that_does_not_compile_stops_the_batch_before_it_starts(tmp_path):
    result, template = render_with_session_template(tmp_path, "{{ session.number }\n")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"ipt-plan: {template}:1: template error:")
    assert not agendas(tmp_path / "out", REFERENCE).exists()


def test_a_template_error_while_rendering_fails_each_plan_clearly(tmp_path):
    result, template = render_with_session_template(
        tmp_path, "Session {{ session.number }}\n{{ sesion.date }}\n")
    assert result.exit_code == 1
    assert (f"{REFERENCE}: not rendered: {template}:2: template error: "
            "'sesion' is undefined") in result.stdout
    assert "Traceback" not in result.output


def test_progress_bar_on_a_terminal_lines_elsewhere():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    outcome = batch.PlanOutcome("p.iptplan", "out/p", written=("overview.md",))
    screen = Terminal()
    bar = Progress(screen)
    bar.start(2)
    bar.update(outcome)
    bar.update(outcome)
    bar.finish()
    assert "\r[" + "#" * 15 + "." * 15 + "] 1/2 plans" in screen.getvalue()
    assert screen.getvalue().endswith("] 2/2 plans\r\x1b[K")
    log = io.StringIO()
    lines = Progress(log)
    lines.start(1)
    lines.update(outcome)
    assert log.getvalue() == f"rendered  p.iptplan -> out/p{os.sep} (1 file: 1 written, 0 unchanged)\n"


def test_a_shared_broken_configuration_is_reported_once(tmp_path):
    from ipt_plan import batch

    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "ipt-plan.toml").write_text('ignore = "IPT106"\n')
    for name in ("a", "b"):
        (plans / f"{name}.iptplan").write_bytes(REFERENCE.read_bytes())
    outcome = batch.run([plans], tmp_path / "out", jobs=1)
    assert outcome.exit_code == 1 and len(outcome.failed) == 2
    assert failure_report(outcome).count("'ignore' must be a list") == 1


def test_a_first_render_killed_before_its_folder_is_in_place_leaves_no_agenda(tmp_path, monkeypatch):
    out = tmp_path / "out"

    def killed(src, dst, **dir_fds):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(batch.os, "rename", killed)
    outcome = batch.run([REFERENCE], out, jobs=1)
    assert outcome.exit_code == 1 and "cannot write" in outcome.failed[0].problem
    # Neither the plan's folder nor a temporary one.
    assert not agendas(out, REFERENCE).exists() and not list(out.rglob(f"*{TEMP_SUFFIX}"))
    monkeypatch.undo()
    assert batch.run([REFERENCE], out, jobs=1).exit_code == 0
    assert [p.parent for p in out.rglob("overview.md")] == [agendas(out, REFERENCE)]
    assert len(list(agendas(out, REFERENCE).iterdir())) == 17 + 1  # and the plan's mark


def test_a_killed_runs_temporary_folder_is_cleared(tmp_path):
    out = tmp_path / "out"
    beside = agendas(out, REFERENCE).parent
    leftover = beside / f".caregiver-dispute.0badcafe{TEMP_SUFFIX}"
    leftover.mkdir(parents=True)
    (leftover / "session-01.md").write_text("half")
    other = beside / f".caregiver-dispute-2.1234abcd{TEMP_SUFFIX}"  # another plan's, in progress
    other.mkdir()
    in_progress = os.open(other, os.O_RDONLY)  # a live run holds its lock
    fcntl.flock(in_progress, fcntl.LOCK_EX)
    try:
        assert batch.run([REFERENCE], out, jobs=1).exit_code == 0
        assert not leftover.exists() and other.exists()
    finally:
        os.close(in_progress)
