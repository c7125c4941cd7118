"""The commands over a plan's log: `ipt-plan log` records what happened at an
appointment, `ipt-plan progress` says how the course and its measures are going, and the
exports carry the log (FHIR Observations, Encounters and Appointments; cancelled and moved
events in a calendar; the log in the json). Every run pins --today, so that a test means
the same whatever day it runs."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REFERENCE
from ipt_plan import load_file
from ipt_plan import record as recording
from ipt_plan.cli import app

runner = CliRunner()
TODAY = "2027-01-20"  # the reference plan starts on 2026-12-07, weekly, 2026-12-28 skipped


def ipt(*args) -> "object":
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    """The reference plan (16 weekly sessions from Monday 2026-12-07, PHQ-9 every
    session), as a file of the test's own."""
    path = tmp_path / "ms-a.iptplan"
    path.write_text(REFERENCE.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def log(plan: Path, *args, today: str = TODAY):
    return ipt("log", plan, *args, "--today", today)


def tail(path: Path, count: int) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[-count:]


# --- ipt-plan log ------------------------------------------------------------------------

def test_log_starts_the_log_and_lays_the_entry_out_as_fmt_does(plan):
    before = plan.read_text(encoding="utf-8")
    assert "\nlog\n" not in before
    result = log(plan, "2026-12-07", "--session", 1, "--held", "--score", "PHQ-9=19",
                 "--risk", "Passive thoughts of death, no plan", "--note", 'Said "enough"')
    assert result.exit_code == 0, result.output
    text = plan.read_text(encoding="utf-8")
    assert text.startswith(before.rstrip("\n") + "\n\nlog\n")
    assert tail(plan, 5) == [
        "log",
        "  2026-12-07 session 1 held",
        "    score PHQ-9 19",
        '    risk "Passive thoughts of death, no plan"',
        '    note "Said \\"enough\\""',
    ]
    assert ipt("fmt", "--check", plan).exit_code == 0  # fmt would change nothing
    entry = load_file(plan).plan.log[0]
    assert (entry.date, entry.number, entry.status.text, entry.scores[0].value,
            entry.risks[0].detail, entry.notes[0].detail) == (
        dt.date(2026, 12, 7), 1, "held", 19, "Passive thoughts of death, no plan", 'Said "enough"')
    assert "logged session 1 (held) on 2026-12-07" in result.stderr


def test_log_appends_to_an_existing_log_in_date_order(plan):
    assert log(plan, "2026-12-07", "-s", 1, "--held", "--score", "PHQ-9=19").exit_code == 0
    assert log(plan, "2026-12-21", "-s", 3, "--missed").exit_code == 0
    # A session logged late goes where its date puts it, before the later entry and the
    # comment written above that entry (which belongs to it).
    text = plan.read_text(encoding="utf-8").replace(
        "  2026-12-21 session 3 missed", "  # rang to say she forgot\n  2026-12-21 session 3 missed")
    plan.write_text(text, encoding="utf-8")
    result = log(plan, "2026-12-14", "-s", 2, "--cancelled", "client unwell")
    assert result.exit_code == 0, result.output
    lines = plan.read_text(encoding="utf-8").splitlines()
    assert lines[lines.index("log"):] == [
        "log",
        "  2026-12-07 session 1 held",
        "    score PHQ-9 19",
        '  2026-12-14 session 2 cancelled "client unwell"',
        "  # rang to say she forgot",
        "  2026-12-21 session 3 missed",
    ]
    assert [e.status.text for e in load_file(plan).plan.log] == ["held", "cancelled", "missed"]
    assert ipt("fmt", "--check", plan).exit_code == 0


def test_log_items_alone_give_the_total_and_homework_is_recorded(plan):
    result = log(plan, "2026-12-07", "-s", 1, "--held", "--items", "PHQ-9=2 2 1 1 1 1 0 1 0",
                 "--homework", "partly")
    assert result.exit_code == 0, result.output
    assert tail(plan, 3) == ["  2026-12-07 session 1 held",
                             "    score PHQ-9 9 items 2 2 1 1 1 1 0 1 0",
                             "    homework partly"]


def test_log_reports_the_next_session_projected_from_today(plan):
    result = log(plan, "2026-12-07", "-s", 1, "--held", today="2027-01-20")
    # Session 2 is owed: projected to the first Monday of the rhythm from today on.
    assert "next: session 2, projected for 2027-01-25" in result.stderr


def test_log_keeps_the_files_mode_line_endings_and_byte_order_mark(plan):
    text = plan.read_text(encoding="utf-8")
    plan.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    plan.chmod(0o640)
    assert log(plan, "2026-12-07", "-s", 1, "--held").exit_code == 0
    data = plan.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.endswith(
        b"\r\n\r\nlog\r\n  2026-12-07 session 1 held\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert stat.S_IMODE(plan.stat().st_mode) == 0o640
    assert not [p for p in plan.parent.iterdir() if p.name.endswith(".ipt-plan-tmp")]


def test_a_bad_score_is_shown_as_a_syntax_error_and_nothing_is_written(plan):
    before = plan.read_bytes()
    result = log(plan, "2026-12-07", "-s", 1, "--held", "--score", "PHQ-9=twelve")
    assert result.exit_code == 1
    assert "error[IPT001]" in result.stderr and "score PHQ-9 twelve" in result.stderr
    assert "nothing was written" in result.stderr
    assert plan.read_bytes() == before


def test_a_plan_with_errors_is_not_changed(plan):
    broken = plan.read_text(encoding="utf-8").replace("role_play for sister", "role_play for sistr")
    plan.write_text(broken, encoding="utf-8")
    result = log(plan, "2026-12-07", "-s", 1, "--held")
    assert result.exit_code == 1
    assert "error[IPT002]" in result.stderr
    assert "has errors, so nothing was added to its log" in result.stderr
    assert plan.read_text(encoding="utf-8") == broken


@pytest.mark.parametrize("args, message", [
    (["2026-12-07", "-s", 1], "one of --held, --cancelled REASON or --missed"),
    (["2026-12-07", "-s", 1, "--held", "--missed"], "one of --held"),
    (["2026-12-07", "-s", 1, "--missed", "--score", "PHQ-9=3"], "so it has no --score"),
    (["2026-12-07", "-s", 1, "--cancelled", "ill", "--homework", "done"], "no --homework"),
    (["2026-12-07", "-s", 1, "--held", "--score", "PHQ-9"], "write the scale, =, then"),
    (["2026-12-07", "-s", 1, "--held", "--score", "PHQ-9=3 # x"], "cannot hold #"),
    (["2026-12-07", "-s", 1, "--held", "--score", "PHQ-9=3", "--score", "PHQ-9=4"], "twice"),
    (["2026-12-07", "-s", 1, "--held", "--note", "two\nlines"], "one line of plain text"),
    (["2026-12-07", "-s", 1, "--cancelled", "ill\x1b[2J"], "one line of plain text"),
    (["2026-13-07", "-s", 1, "--held"], "is not a date"),
    (["2026-12-07", "-s", 1, "--held", "--today", "tomorrow"], "is not a date"),
])
def test_log_usage_errors_exit_2_and_write_nothing(plan, args, message):
    before = plan.read_bytes()
    result = ipt("log", plan, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert plan.read_bytes() == before


def test_log_never_follows_a_link_nor_replaces_what_is_not_a_regular_file(plan, tmp_path):
    link = tmp_path / "link.iptplan"
    link.symlink_to(plan)
    before = plan.read_bytes()
    result = log(link, "2026-12-07", "-s", 1, "--held")
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert link.is_symlink() and plan.read_bytes() == before

    hard = tmp_path / "hard.iptplan"
    os.link(plan, hard)
    result = log(hard, "2026-12-07", "-s", 1, "--held")
    assert result.exit_code == 2 and "hard links" in result.stderr
    assert plan.read_bytes() == before
    hard.unlink()

    fifo = tmp_path / "pipe.iptplan"
    os.mkfifo(fifo)
    result = log(fifo, "2026-12-07", "-s", 1, "--held")  # never waits for a writer
    assert result.exit_code == 2 and "named pipe" in result.stderr

    folder = tmp_path / "folder.iptplan"
    folder.mkdir()
    result = log(folder, "2026-12-07", "-s", 1, "--held")
    assert result.exit_code == 2 and "a folder" in result.stderr

    result = log(tmp_path / "none.iptplan", "2026-12-07", "-s", 1, "--held")
    assert result.exit_code == 2 and "no plan file" in result.stderr


def test_log_refuses_to_overwrite_a_change_made_while_it_ran(plan, monkeypatch):
    """An editor saving the plan between the read and the write: its change is kept, the
    entry is not written, and the user is told to run again."""
    checked = []
    real = recording.load_string

    def load_and_edit(text, *args, **kwargs):
        checked.append(text)
        if len(checked) == 2:  # after the entry is added, before it is written
            plan.write_text(plan.read_text(encoding="utf-8") + "# saved from an editor\n",
                            encoding="utf-8")
        return real(text, *args, **kwargs)

    monkeypatch.setattr(recording, "load_string", load_and_edit)
    result = log(plan, "2026-12-07", "-s", 1, "--held")
    assert result.exit_code == 2 and "changed since ipt-plan read it" in result.stderr
    assert plan.read_text(encoding="utf-8").endswith("# saved from an editor\n")


def test_log_help_teaches_by_example():
    result = ipt("log", "--help")
    assert result.exit_code == 0
    for example in ("--held --score PHQ-9=12", '--cancelled "client unwell"', "--missed",
                    "--items PHQ-9="):
        assert example in result.output
