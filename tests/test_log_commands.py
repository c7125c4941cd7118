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


@pytest.mark.parametrize("args, code, message", [
    (["2027-01-21", "-s", 2, "--held"], "IPT501", "after today (2027-01-20)"),
    (["2026-12-14", "-s", 1, "--held"], "IPT501", "session 1 is already logged as held"),
    (["2026-12-14", "-s", 40, "--missed"], "IPT501", "this plan has no session 40"),
    (["2026-12-14", "-s", 2, "--held", "--score", "PHQ-9=30"], "IPT502", "PHQ-9"),
    (["2026-12-14", "-s", 2, "--held", "--items", "PHQ-9=1 2 3"], "IPT502", "PHQ-9"),
])
def test_an_entry_that_would_give_the_plan_an_error_is_not_written(plan, args, code, message):
    assert log(plan, "2026-12-07", "-s", 1, "--held", "--score", "PHQ-9=19").exit_code == 0
    before = plan.read_bytes()
    result = log(plan, *args)
    assert result.exit_code == 1, result.output
    assert f"error[{code}]" in result.stderr and message in result.stderr
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


# --- the exports of a plan with a log -------------------------------------------------------

LOGGED = """
log
  2026-12-07 session 1 held
    score PHQ-9 19 items 2 2 3 2 2 3 2 2 1
    score GAD-7 12
    score HAM-D 18
    risk "Passive thoughts of death, no plan or intent; safety plan agreed"
  2026-12-14 session 2 cancelled "client unwell"
  2026-12-21 session 2 held
    score PHQ-9 15
  2027-01-04 session 3 missed
  2027-01-11 session 3 held
    score PHQ-9 12
"""


def logged_text(with_log: bool = True) -> str:
    """The reference plan rating the GAD-7 every 4 sessions and the HAM-D at three, and
    its log on 2027-01-20: sessions 1-3 held (session 2 after a cancellation, session 3
    after a missed appointment), sessions 4-16 owed."""
    text = REFERENCE.read_text(encoding="utf-8").replace(
        "  measure PHQ-9 every session\n",
        "  measure PHQ-9 every session\n  measure GAD-7 every 4 sessions\n"
        "  measure HAM-D at sessions 1, 8, 16\n")
    return text + LOGGED if with_log else text


@pytest.fixture
def logged(tmp_path: Path) -> Path:
    path = tmp_path / "logged.iptplan"
    path.write_text(logged_text(), encoding="utf-8")
    result = load_file(path, today=dt.date.fromisoformat(TODAY))
    assert result.ok, [d.message for d in result.errors]
    return path


def export(path: Path, fmt: str, *args) -> str:
    result = ipt("export", path, "-f", fmt, "--today", TODAY, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def bundle_of(text: str):
    """The bundle, validated by the fhir.resources models as it is read, by type."""
    from fhir.resources.R4B.bundle import Bundle

    bundle = Bundle.model_validate_json(text)
    by_type: dict[str, list] = {}
    for entry in bundle.entry:
        by_type.setdefault(entry.resource.get_resource_type(), []).append(entry)
    return bundle, by_type


def test_fhir_has_an_observation_per_score(logged):
    bundle, by_type = bundle_of(export(logged, "fhir", "--tz", "Europe/London",
                                       "--subject", "Patient/123"))
    observations = [e.resource for e in by_type["Observation"]]
    assert [(o.code.text, o.valueInteger, str(o.effectiveDateTime)) for o in observations] == [
        ("PHQ-9 total score", 19, "2026-12-07"), ("GAD-7 total score", 12, "2026-12-07"),
        ("HAM-D total score", 18, "2026-12-07"), ("PHQ-9 total score", 15, "2026-12-21"),
        ("PHQ-9 total score", 12, "2027-01-11")]
    codes = {o.code.text: [(c.system, c.code) for c in o.code.coding or ()] for o in observations}
    assert codes == {"PHQ-9 total score": [("http://loinc.org", "44261-6")],
                     "GAD-7 total score": [("http://loinc.org", "70274-6")],
                     "HAM-D total score": []}  # no code the sources confirm: text only
    for o in observations:
        assert o.status == "final"
        (category,) = o.category
        assert [(c.system, c.code) for c in category.coding] == [
            ("http://terminology.hl7.org/CodeSystem/observation-category", "survey")]
        assert o.subject.reference == "Patient/123"
    first = observations[0]
    assert [c.valueInteger for c in first.component] == [2, 2, 3, 2, 2, 3, 2, 2, 1]
    assert first.interpretation[0].text == "moderately severe"
    # Each observation belongs to the encounter of its session.
    encounters = {e.fullUrl: e.resource for e in by_type["Encounter"]}
    assert [encounters[o.encounter.reference].period.start.date().isoformat()
            for o in observations] == ["2026-12-07"] * 3 + ["2026-12-21", "2027-01-11"]


def test_fhir_encounters_appointments_and_activity_statuses(logged):
    _, by_type = bundle_of(export(logged, "fhir", "--tz", "Europe/London"))
    care_plan = by_type["CarePlan"][0].resource
    masked = care_plan.subject.model_dump(exclude_none=True)
    encounters = [e.resource for e in by_type["Encounter"]]
    assert [(e.status, e.class_fhir.code, e.period.start.isoformat()) for e in encounters] == [
        ("finished", "AMB", "2026-12-07T10:00:00+00:00"),
        ("finished", "AMB", "2026-12-21T10:00:00+00:00"),
        ("finished", "AMB", "2027-01-11T10:00:00+00:00")]
    appointments = [e.resource for e in by_type["Appointment"]]
    assert [(a.status, a.start.isoformat(), a.cancelationReason.text) for a in appointments] == [
        ("cancelled", "2026-12-14T10:00:00+00:00", "client unwell"),
        ("noshow", "2027-01-04T10:00:00+00:00", "did not attend")]
    for resource in (*encounters, *(o.resource for o in by_type["Observation"])):
        assert resource.subject.model_dump(exclude_none=True) == masked  # as the CarePlan's
    statuses = [(a.detail.status, a.detail.scheduledPeriod.start.date().isoformat())
                for a in care_plan.activity]
    assert statuses[:7] == [
        ("completed", "2026-12-07"), ("cancelled", "2026-12-14"), ("completed", "2026-12-21"),
        ("cancelled", "2027-01-04"), ("completed", "2027-01-11"),
        ("scheduled", "2027-01-25"), ("scheduled", "2027-02-01")]  # owed: from --today on
    assert len(care_plan.activity) == 16 + 2
    assert {s for s, _ in statuses[5:]} == {"scheduled"}
    # A completed activity points to its encounter and observations; a cancelled one to
    # its appointment.
    urls = {e.fullUrl: e.resource.get_resource_type() for t in by_type.values() for e in t}
    assert [urls[r.reference] for r in care_plan.activity[0].outcomeReference] == [
        "Encounter", "Observation", "Observation", "Observation"]
    assert [urls[r.reference] for r in care_plan.activity[1].outcomeReference] == ["Appointment"]
    assert care_plan.activity[3].detail.statusReason.text == "Did not attend"


def test_fhir_goal_of_remission_where_the_plan_measures_the_phq9(logged, tmp_path):
    _, by_type = bundle_of(export(logged, "fhir", "--tz", "Europe/London"))
    targets = {g.resource.description.text: g.resource for g in by_type["Goal"]
               if g.resource.target}
    phq9 = targets["Remission: PHQ-9 total below 5"]
    (target,) = phq9.target
    assert [(c.system, c.code) for c in target.measure.coding] == [("http://loinc.org", "44261-6")]
    assert (target.detailQuantity.value, target.detailQuantity.comparator) == (5, "<")
    assert phq9.achievementStatus.coding[0].code == "in-progress"  # latest PHQ-9 is 12
    care_plan = by_type["CarePlan"][0].resource
    assert {g.fullUrl for g in by_type["Goal"]} == {r.reference for r in care_plan.goal}
    # A plan that rates only the EPDS and the GAD-7 has no threshold of remission to aim at.
    other = tmp_path / "postpartum.iptplan"
    other.write_text((REFERENCE.parent / "postpartum-new-mother.iptplan").read_text("utf-8"),
                     encoding="utf-8")
    _, by_type = bundle_of(export(other, "fhir", "--tz", "Europe/London"))
    assert not [g for g in by_type["Goal"] if g.resource.target]


def events(ics: str) -> dict[str, object]:
    from icalendar import Calendar

    return {str(e["uid"]): e for e in Calendar.from_ical(ics).walk("VEVENT")}


def test_ics_cancels_appointments_and_moves_sessions_under_their_uids(logged):
    logged.write_text(logged_text(with_log=False), encoding="utf-8")
    before = events(export(logged, "ics", "--tz", "Europe/London"))
    logged.write_text(logged_text(), encoding="utf-8")
    after = events(export(logged, "ics", "--tz", "Europe/London"))

    def session(calendar, number):
        (uid,) = [u for u in calendar if u.startswith(f"session-{number}.")]
        return calendar[uid]

    def start(event) -> str:
        return event.decoded("dtstart").strftime("%Y-%m-%d %H:%M")

    # Session 1 was held as planned: unchanged.
    assert start(session(before, 1)) == start(session(after, 1)) == "2026-12-07 10:00"
    assert int(session(after, 1).get("sequence", 0)) == 0
    # Session 2, cancelled on 2026-12-14 and held a week later; session 4, owed, projected
    # after --today: the same UIDs at their new times, with a higher SEQUENCE.
    for number, planned, now in ((2, "2026-12-14 10:00", "2026-12-21 10:00"),
                                 (4, "2027-01-04 10:00", "2027-01-25 10:00")):
        old, new = session(before, number), session(after, number)
        assert old["uid"] == new["uid"]
        assert (start(old), start(new)) == (planned, now)
        assert int(new.get("sequence", 0)) > int(old.get("sequence", 0))
        assert "STATUS" not in new
    # The cancelled appointment is an event of its own, cancelled; the missed one says so.
    cancelled = [e for e in after.values() if e.get("status") == "CANCELLED"]
    assert [(start(e), str(e["summary"])) for e in cancelled] == [
        ("2026-12-14 10:00", "IPT session 2 of 16 (initial phase)")]
    assert cancelled[0]["uid"] not in before
    missed = [e for e in after.values() if "Not attended" in str(e["description"])]
    assert [start(e) for e in missed] == ["2027-01-04 10:00"] and "STATUS" not in missed[0]
    assert len(after) == 16 + 2
    # Nothing the log says of the client reaches the calendar.
    ics = export(logged, "ics", "--tz", "Europe/London")
    for private in ("client unwell", "PHQ-9", "GAD-7", "moderately severe"):
        assert private not in ics.replace("\r\n ", "")


def test_json_export_holds_the_log_and_each_sessions_planned_and_projected_date(logged):
    import json

    import jsonschema

    from ipt_plan.export import json_schema_path

    document = json.loads(export(logged, "json"))
    schema = json.loads(json_schema_path().read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()
                                    ).validate(document)
    assert document["version"] == 3
    log = document["log"]
    assert [(e["date"], e["session"], e["status"], e["reason"]) for e in log] == [
        ("2026-12-07", 1, "held", None), ("2026-12-14", 2, "cancelled", "client unwell"),
        ("2026-12-21", 2, "held", None), ("2027-01-04", 3, "missed", None),
        ("2027-01-11", 3, "held", None)]
    assert log[0]["scores"][0] == {"scale": "PHQ-9", "total": 19,
                                   "items": [2, 2, 3, 2, 2, 3, 2, 2, 1],
                                   "band": "moderately severe", "line": log[0]["line"] + 1}
    sessions = {s["number"]: s for p in document["phases"] for s in p["sessions"]}
    assert [(n, sessions[n]["planned_date"], sessions[n]["date"], sessions[n]["status"])
            for n in (1, 2, 3, 4, 16)] == [
        (1, "2026-12-07", "2026-12-07", "held"), (2, "2026-12-14", "2026-12-21", "held"),
        (3, "2026-12-21", "2027-01-11", "held"), (4, "2027-01-04", "2027-01-25", "projected"),
        (16, "2027-03-29", "2027-04-19", "projected")]
    # Without a log: no log, and every session projected on its planned date.
    logged.write_text(logged_text(with_log=False), encoding="utf-8")
    document = json.loads(export(logged, "json"))
    assert document["log"] is None
    assert all(s["status"] == "projected" and s["date"] == s["planned_date"]
               for p in document["phases"] for s in p["sessions"])


# --- ipt-plan progress ---------------------------------------------------------------------

def slots(count: int) -> list[dt.date]:
    """The reference plan's weekly dates from Monday 2026-12-07, 2026-12-28 skipped."""
    days, day = [], dt.date(2026, 12, 7)
    while len(days) < count:
        if day != dt.date(2026, 12, 28):
            days.append(day)
        day += dt.timedelta(weeks=1)
    return days


def plan_with_log(*appointments: tuple[str, int | None]) -> tuple[str, dt.date]:
    """The reference plan with a log of appointments on consecutive slots: ("held", PHQ-9
    total), ("cancelled", None) or ("missed", None), sessions numbered as they are held;
    and the day after the last one."""
    lines, number, days = ["", "log"], 1, slots(len(appointments))
    for day, (status, total) in zip(days, appointments):
        if status == "held":
            lines.append(f"  {day} session {number} held")
            if total is not None:
                lines.append(f"    score PHQ-9 {total}")
            number += 1
        else:
            reason = ' "client unwell"' if status == "cancelled" else ""
            lines.append(f"  {day} session {number} {status}{reason}")
    text = REFERENCE.read_text(encoding="utf-8").rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    return text, days[-1] + dt.timedelta(days=1)


def held(*totals: int) -> list[tuple[str, int | None]]:
    return [("held", total) for total in totals]


def test_progress_of_one_plan_in_text(logged):
    result = ipt("progress", logged, "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        str(logged),
        "  3 of 16 sessions held, 1 cancelled, 1 missed, 13 remaining; projected end 2027-04-19",
        "  PHQ-9: baseline 19 (session 1), latest 12 (session 3), change -7, moderate, "
        "response no, remission no, improvement; trend +=-",
        "  GAD-7: baseline 12 (session 1), latest 12 (session 1), change 0, moderate, "
        "response n/a, remission n/a, no reliable change; trend =",
        "  HAM-D: baseline 18 (session 1), latest 18 (session 1), change 0, "
        "response no, remission no, reliable change n/a; trend ,",
    ]


def test_progress_trend_is_a_sparkline_on_a_terminal_and_ascii_elsewhere():
    from ipt_plan.progress import can_show_sparks, trend

    assert trend([19, 15, 12, 4], 0, 27, unicode=True) == "▆▅▄▂"
    assert trend([19, 15, 12, 4], 0, 27, unicode=False) == "+=-."
    assert trend([0, 27], 0, 27, unicode=True) == "▁█"

    class Stream:
        def __init__(self, tty: bool, encoding: str):
            self.tty, self.encoding = tty, encoding

        def isatty(self) -> bool:
            return self.tty

    assert can_show_sparks(Stream(True, "utf-8"))
    assert not can_show_sparks(Stream(False, "utf-8"))  # a file or a pipe
    assert not can_show_sparks(Stream(True, "ascii"))  # a terminal that cannot show them
    assert not can_show_sparks(Stream(True, "latin-1"))


def test_progress_json_per_plan(logged):
    import json

    result = ipt("progress", logged, "--format", "json", "--today", TODAY)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["format"], document["today"]) == ("ipt-plan/progress", TODAY)
    (plan,) = document["plans"]
    assert (plan["held"], plan["cancelled"], plan["missed"], plan["remaining"],
            plan["projected_end"]) == (3, 1, 1, 13, "2027-04-19")
    phq9 = plan["measures"]["PHQ-9"]
    assert {k: phq9[k] for k in ("baseline", "latest", "change", "band", "response",
                                 "remission", "reliable")} == {
        "baseline": 19, "latest": 12, "change": -7, "band": "moderate", "response": False,
        "remission": False, "reliable": "improvement"}
    assert plan["measures"]["GAD-7"]["reliable"] == "no reliable change"
    sessions = {s["number"]: s for s in plan["sessions"]}
    assert sessions[2] == {"number": 2, "planned_date": "2026-12-14", "date": "2026-12-21",
                           "status": "held"}
    assert sessions[4] == {"number": 4, "planned_date": "2027-01-04", "date": "2027-01-25",
                           "status": "projected"}
    assert {s["status"] for s in plan["sessions"]} <= {"held", "cancelled", "missed",
                                                       "projected"}


def test_progress_of_a_session_cancelled_and_still_owed(tmp_path):
    import json

    text, day = plan_with_log(*held(19, 17), ("cancelled", None))
    path = tmp_path / "p.iptplan"
    path.write_text(text, encoding="utf-8")
    result = ipt("progress", path, "-f", "json", "--today", day.isoformat())
    sessions = {s["number"]: s for s in json.loads(result.stdout)["plans"][0]["sessions"]}
    assert sessions[3] == {"number": 3, "planned_date": "2026-12-21",
                           "date": "2027-01-04", "status": "cancelled"}


def caseload_folder(tmp_path: Path) -> tuple[Path, dt.date]:
    """Plans named so that their paths sort otherwise than their needs."""
    folder = tmp_path / "clinic"
    folder.mkdir()
    cases = {
        "a-steady": held(19, 17, 15, 14),
        "z-worse": held(8, 10, 15),
        "c-stuck": held(19, 19, 18, 18, 18, 17, 18, 17),
        "e-missing": [*held(19, 17), ("missed", None), ("missed", None)],
        "f-unrated": held(19, None, 16),
        "g-ending": held(19, 17, 15, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4),
        "y-worse-too": held(9, 12, 16),
    }
    latest = dt.date.min
    for name, appointments in cases.items():
        text, day = plan_with_log(*appointments)
        (folder / f"{name}.iptplan").write_text(text, encoding="utf-8")
        latest = max(latest, day)
    broken, _ = plan_with_log(*held(19))
    (folder / "d-broken.iptplan").write_text(
        broken.replace("role_play for sister", "role_play for sistr"), encoding="utf-8")
    return folder, latest


def test_progress_of_a_folder_is_a_caseload_needs_first(tmp_path):
    folder, day = caseload_folder(tmp_path)
    result = ipt("progress", folder, "--today", day.isoformat())
    assert result.exit_code == 1  # a plan does not check
    lines = result.stdout.splitlines()
    names = [Path(line.split()[0]).stem for line in lines]
    assert names == ["y-worse-too", "z-worse", "c-stuck", "d-broken", "e-missing",
                     "f-unrated", "g-ending", "a-steady"]
    by_name = dict(zip(names, lines))
    assert "deterioration" in by_name["z-worse"]
    assert "not on track" in by_name["c-stuck"]
    assert "does not check: 1 error, " in by_name["d-broken"]
    assert "IPT002 line 43; see ipt-plan check" in by_name["d-broken"]
    assert "two missed in a row" in by_name["e-missing"]
    assert "rating overdue" in by_name["f-unrated"]
    assert "nearing the end" in by_name["g-ending"]
    assert "on course; 4/16 held, 12 remaining" in by_name["a-steady"]
    assert by_name["a-steady"].endswith("PHQ-9 19->14 +===")  # not a terminal: ASCII
    # Each plan is named by its path, as check names it, and by nothing else.
    assert all(line.startswith(str(folder)) for line in lines)
    assert "A-0142" not in result.stdout and "Moreno" not in result.stdout


def test_progress_json_of_a_folder_is_in_caseload_order(tmp_path):
    import json

    folder, day = caseload_folder(tmp_path)
    result = ipt("progress", folder, "-f", "json", "--today", day.isoformat())
    plans = json.loads(result.stdout)["plans"]
    assert [Path(p["path"]).stem for p in plans][:2] == ["y-worse-too", "z-worse"]
    broken = next(p for p in plans if p["path"].endswith("d-broken.iptplan"))
    assert (broken["checks"], broken["errors"], broken["attention"]) == (
        False, 1, ["does not check"])
    assert "measures" not in broken and broken["diagnostics"][0]["code"] == "IPT002"


def test_progress_of_a_plan_that_does_not_check_is_a_summary_not_a_traceback(tmp_path):
    for name, data in (("binary.iptplan", b"\x00\x01"), ("broken.iptplan", b'plan "x"\nlog\n  x')):
        (tmp_path / name).write_bytes(data)
        result = ipt("progress", tmp_path / name, "--today", TODAY)
        assert result.exit_code == 1, result.output
        assert "does not check:" in result.stdout and "Traceback" not in result.output
    result = ipt("progress", tmp_path / "none.iptplan", "--today", TODAY)
    assert result.exit_code == 2


def test_progress_help_teaches_by_example():
    result = ipt("progress", "--help")
    assert result.exit_code == 0
    assert "ipt-plan progress plans/ms-a.iptplan" in result.output
    assert "--format json" in result.output


@pytest.mark.parametrize("items", ["", "2 two 1", "2,2,1,1,1,1,0,1"])
def test_items_that_do_not_make_a_score_are_shown_as_the_plan_would_show_them(plan, items):
    before = plan.read_bytes()
    result = log(plan, "2026-12-07", "-s", 1, "--held", "--items", f"PHQ-9={items}")
    assert result.exit_code == 1, result.output
    assert ("error[IPT001]" in result.stderr or "error[IPT502]" in result.stderr)
    assert "nothing was written" in result.stderr and plan.read_bytes() == before


@pytest.mark.parametrize("items", ["² 2 3 2 2 3 2 2 1", "① 2 3 2 2 3 2 2 1"])
def test_items_that_are_not_ascii_digits_are_an_error_not_a_crash(plan, items):
    before = plan.read_bytes()
    result = log(plan, "2026-12-07", "--session", 1, "--held", "--items", f"PHQ-9={items}",
                 today="2026-12-08")
    assert result.exit_code == 1 and result.exception is None or isinstance(
        result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and "nothing was written" in result.output
    assert plan.read_bytes() == before


def test_an_entry_on_the_calendars_last_day_is_judged_not_a_crash(plan):
    before = plan.read_bytes()
    result = log(plan, "9999-12-31", "--session", 1, "--held", today="9999-12-31")
    assert result.exit_code == 1 and "IPT999" not in result.output, result.output
    assert "nothing was written" in result.output and plan.read_bytes() == before
