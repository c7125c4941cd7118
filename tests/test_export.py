"""ipt-plan export: every export of every bundled plan is read back with the library that
reads its format (icalendar, fhir.resources, a JSON Schema validator) and compared with the
plan; then the command's exit codes, its atomic write, and `check` staying free of the
export libraries."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from icalendar import Calendar, Event
from typer.testing import CliRunner

from conftest import PLANS, REFERENCE, ROOT
from ipt_plan import export, load_file, load_string
from ipt_plan.cli import app
from ipt_plan.result import Result
from ipt_plan.schedule import appointments, session_dates

BUNDLED = sorted(PLANS.glob("*.iptplan"))
IDS = [p.stem for p in BUNDLED]
LONDON, NEW_YORK = "Europe/London", "America/New_York"
runner = CliRunner()


@functools.cache
def loaded(path: Path) -> Result:
    """Each bundled plan is read once for the whole module; the exports never change it."""
    result = load_file(path)
    assert result.ok, [d.message for d in result.diagnostics]
    return result


def invoke(*args):
    return runner.invoke(app, ["export", *map(str, args)])


def plan_text_variant(tmp_path: Path, name: str, *edits: tuple[str, str]) -> Result:
    """The reference plan with edits, saved under `name` so only what is edited differs."""
    text = REFERENCE.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    folder = tmp_path / f"variant-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    path = folder / name
    path.write_text(text, encoding="utf-8")
    result = load_file(path)
    assert result.ok
    return result


def events_by_number(ics: str) -> dict[int, Event]:
    """The calendar's sessions by number, read from the UID (session-N.<key>@ipt-plan); a
    cancelled appointment of a plan's log is an event of its own, left out here."""
    found = {}
    for event in Calendar.from_ical(ics).events:
        key = str(event["UID"]).split(".")[0].removeprefix("session-")
        if key.isdigit():  # `session-2-20260428`: an appointment of the log that did not happen
            found[int(key)] = event
    return found


# --- iCalendar ---------------------------------------------------------------------------

@pytest.mark.parametrize("plan", BUNDLED, ids=IDS)
def test_ics_has_an_event_per_session_at_its_scheduled_time(plan):
    result = loaded(plan)
    ics = export.to_ics(result, LONDON)
    calendar = Calendar.from_ical(ics)
    assert (str(calendar["VERSION"]), str(calendar["PRODID"])) == ("2.0", export.PRODID)
    numbers = [s.number for _, s in result.plan.sessions()]
    events = events_by_number(ics)
    not_held = [e for e in result.plan.log or () if not e.held]
    assert sorted(events) == sorted(numbers)
    assert len(calendar.events) == len(numbers) + len(not_held)
    dates, held = session_dates(result.plan), appointments(result.plan)
    for number, event in events.items():
        assert event.start == dates[number].replace(tzinfo=ZoneInfo(LONDON))
        assert event.start.tzinfo.key == LONDON  # a TZID, not a floating or UTC time
        # each session's own length (the group plan's session 0 is shorter)
        assert event.end - event.start == dt.timedelta(minutes=held[number].minutes)
        assert str(event["SUMMARY"]).startswith(f"IPT session {number}")
    # The zone is defined in the file, for calendars that do not know it by name.
    assert [str(tz["TZID"]) for tz in calendar.timezones] == [LONDON]
    assert calendar.get_missing_tzids() == set()


def test_ics_session_6_of_the_reference_plan():
    events = events_by_number(export.to_ics(loaded(REFERENCE), LONDON))
    six = events[6]
    assert six.start == dt.datetime(2027, 1, 18, 10, 0, tzinfo=ZoneInfo(LONDON))
    assert six.end - six.start == dt.timedelta(minutes=50)
    assert str(six["SUMMARY"]) == "IPT session 6 of 16 (middle phase)"
    description = str(six["DESCRIPTION"])
    assert description.startswith("Middle phase. 10 sessions remain after this one.")
    assert "Role play" not in description and "PHQ-9" not in description  # say the problem
    assert "sister" not in description  # a focus is often named after a person
    # The skipped 28 December moved session 4 to 4 January.
    assert events[3].start.date() == dt.date(2026, 12, 21)
    assert events[4].start.date() == dt.date(2027, 1, 4)
    assert str(six["CLASS"]) == "CONFIDENTIAL"
    # Not the time of the export, which would make each run differ: the course's first day.
    assert {e["DTSTAMP"].dt for e in events.values()} == {
        dt.datetime(2026, 12, 7, tzinfo=dt.timezone.utc)}


def test_ics_carries_no_text_written_about_the_client():
    ics = export.to_ics(loaded(REFERENCE), LONDON)
    unfolded = Calendar.from_ical(ics).to_ical().decode().replace("\r\n ", "")
    for private in ("A-0142", "Ms. A", "Anna", "Saying no to the Thursday",
                    "The hospital appointment argument"):
        assert private not in unfolded, private


def test_ics_uids_are_unique_and_survive_edits_of_the_plan_text(tmp_path):
    name = REFERENCE.name
    original = events_by_number(export.to_ics(plan_text_variant(tmp_path, name), LONDON))
    edited = events_by_number(export.to_ics(plan_text_variant(
        tmp_path, name,
        ('plan "Ms. A: caregiving conflict with her sister"', 'plan "Ms. A: sister, renamed"'),
        ("Agree a fair rota", "Agree a fairer rota")), LONDON))
    uids = {n: str(e["UID"]) for n, e in original.items()}
    assert len(set(uids.values())) == len(uids) == 16
    assert {n: str(e["UID"]) for n, e in edited.items()} == uids
    # Another client, or another plan file for the same client, gets events of its own.
    other_client = events_by_number(export.to_ics(plan_text_variant(
        tmp_path, name, ("client A-0142", "client A-0143")), LONDON))
    other_file = events_by_number(export.to_ics(plan_text_variant(tmp_path, "acute.iptplan"),
                                                LONDON))
    for other in (other_client, other_file):
        assert not {str(e["UID"]) for e in other.values()} & set(uids.values())


def test_ics_uids_differ_across_every_bundled_plan():
    uids = [str(e["UID"]) for plan in BUNDLED
            for e in Calendar.from_ical(export.to_ics(loaded(plan), "UTC")).events]
    assert len(uids) == len(set(uids))


def test_ics_is_byte_identical_across_runs():
    def run() -> bytes:
        done = subprocess.run([sys.executable, "-m", "ipt_plan", "export", str(REFERENCE),
                               "--format", "ics", "--tz", LONDON],
                              capture_output=True, timeout=60, check=True)
        return done.stdout

    first, second = run(), run()
    assert first == second
    assert first.startswith(b"BEGIN:VCALENDAR\r\n")  # RFC 5545 line ends, kept as bytes


def test_ics_in_two_time_zones():
    london = events_by_number(export.to_ics(loaded(REFERENCE), LONDON))
    new_york = events_by_number(export.to_ics(loaded(REFERENCE), NEW_YORK))
    # The same clock time in each zone: New York's 10:00 is five hours after London's.
    assert (london[6].start.hour, new_york[6].start.hour) == (10, 10)
    assert new_york[6].start - london[6].start == dt.timedelta(hours=5)
    assert new_york[6].start.tzinfo.key == NEW_YORK
    calendar = Calendar.from_ical(export.to_ics(loaded(REFERENCE), NEW_YORK))
    assert [str(tz["TZID"]) for tz in calendar.timezones] == [NEW_YORK]


def test_ics_default_zone_is_the_machines(monkeypatch):
    monkeypatch.setenv("TZ", NEW_YORK)
    assert export.local_time_zone_name() == NEW_YORK
    assert events_by_number(export.to_ics(loaded(REFERENCE)))[6].start.tzinfo.key == NEW_YORK
    monkeypatch.setenv("TZ", ":/usr/share/zoneinfo/Asia/Tokyo")  # a path, as libc allows
    assert export.local_time_zone_name() == "Asia/Tokyo"
    monkeypatch.setenv("TZ", "Nowhere/Atlantis")
    fallback = export.local_time_zone_name()
    assert fallback != "Nowhere/Atlantis" and ZoneInfo(fallback) is not None


def test_ics_needs_a_schedule(tmp_path):
    plan = tmp_path / "unscheduled.iptplan"
    plan.write_text("\n".join(line for line in REFERENCE.read_text().splitlines()
                              if "schedule" not in line and "skip" not in line) + "\n")
    result = invoke(plan, "--format", "ics", "--tz", LONDON)
    assert result.exit_code == 1 and result.stdout == ""
    assert "has no schedule, and a calendar needs one" in result.stderr
    assert "schedule weekly from" in result.stderr


# --- HL7 FHIR ----------------------------------------------------------------------------

def read_bundle(text: str):
    from fhir.resources.R4B.bundle import Bundle

    bundle = Bundle.model_validate_json(text)
    by_type: dict[str, list] = {}
    for entry in bundle.entry:
        by_type.setdefault(entry.resource.get_resource_type(), []).append(entry)
    return bundle, by_type


@pytest.mark.parametrize("plan", BUNDLED, ids=IDS)
def test_fhir_bundle_reads_back_as_the_plan(plan):
    result = loaded(plan)
    bundle, by_type = read_bundle(export.to_fhir(result, tz=LONDON))
    # a plan with a log also holds what happened: encounters, scores, missed appointments
    logged = {"Encounter", "Observation"} if result.plan.log else set()
    assert bundle.type == "collection"
    assert {"CarePlan", "Goal"} | logged <= set(by_type) <= {"CarePlan", "Goal"} | logged | (
        {"Appointment"} if result.plan.log else set())
    (care_plan_entry,) = by_type["CarePlan"]
    care_plan = care_plan_entry.resource
    assert (care_plan.status, care_plan.intent, care_plan.title) == (
        "active", "plan", result.plan.title)
    # The foci's goals, then a goal of remission for each measured scale that has a
    # remission threshold (tests/test_log_commands.py)
    goals = [g for g in by_type["Goal"] if not g.resource.target]
    remission = [g for g in by_type["Goal"] if g.resource.target]
    assert [g.resource.description.text for g in goals] == [
        goal.text for focus in result.plan.foci for goal in focus.goals]
    assert {g.resource.lifecycleStatus for g in goals} == {"proposed"}
    goal_urls = [g.fullUrl for g in goals]
    assert [r.reference for r in care_plan.goal] == goal_urls + [g.fullUrl for g in remission]
    assert len(set(goal_urls)) == len(goal_urls)

    sessions = [s for _, s in result.plan.sessions()]
    dates = session_dates(result.plan)
    # one activity a session, and one an appointment of the log that did not happen
    assert len(care_plan.activity) == len(sessions) + sum(
        1 for e in result.plan.log or () if not e.held)
    zone, held = ZoneInfo(LONDON), appointments(result.plan)
    kept = [a for a in care_plan.activity if a.detail.status != "cancelled"]
    assert len(kept) == len(sessions)
    for session, activity in zip(sessions, kept):
        detail = activity.detail
        assert detail.code.text.startswith(f"IPT session {session.number}")
        start = dates[session.number].replace(tzinfo=zone)
        length = dt.timedelta(minutes=held[session.number].minutes)
        assert (detail.scheduledPeriod.start, detail.scheduledPeriod.end) == (start, start + length)
        # Every goal an activity names is a Goal of this bundle.
        assert {r.reference for r in detail.goal or ()} <= set(goal_urls)
    assert care_plan.period.start == min(dates.values()).replace(tzinfo=zone)


def test_fhir_activities_link_to_the_goals_of_their_foci():
    _, by_type = read_bundle(export.to_fhir(loaded(REFERENCE), tz=LONDON))
    goal_of = {g.fullUrl: g.resource.description.text for g in by_type["Goal"]}
    activities = by_type["CarePlan"][0].resource.activity

    def goals(number: int) -> set[str]:
        return {goal_of[r.reference] for r in activities[number - 1].detail.goal or ()}

    sister = {"Tell Anna what I can and cannot do, calmly, without giving in",
              "Agree a fair rota for mother's appointments"}
    retirement = {"Build two weekly activities with people outside the family"}
    assert goals(6) == sister  # role_play for sister
    assert goals(9) == retirement  # mourn_old_role: a role transition technique
    assert goals(3) == sister | retirement  # the formulation covers every focus
    assert goals(1) == set()  # assessment works on no focus yet
    assert "Role play for sister: Saying no to the Thursday appointment" in (
        activities[5].detail.description)


@pytest.mark.parametrize("plan", BUNDLED, ids=IDS)
def test_fhir_names_no_client_without_subject(plan):
    result = loaded(plan)
    text = export.to_fhir(result, tz=LONDON)
    assert result.plan.client and result.plan.client not in text
    _, by_type = read_bundle(text)
    for entry in by_type["CarePlan"] + by_type["Goal"]:
        subject = entry.resource.subject
        assert subject.reference is None
        assert [(e.url, e.valueCode) for e in subject.extension] == [
            (export.DATA_ABSENT_REASON, "masked")]


def test_fhir_subject_when_the_user_gives_it():
    text = export.to_fhir(loaded(REFERENCE), subject="Patient/123", tz=LONDON)
    _, by_type = read_bundle(text)
    subjects = {e.resource.subject.reference for e in by_type["CarePlan"] + by_type["Goal"]}
    assert subjects == {"Patient/123"}
    assert "A-0142" not in text  # the plan's own client ID is still not written
    with pytest.raises(export.OptionError, match="Patient/ID"):
        export.to_fhir(loaded(REFERENCE), subject="A-0142")


def test_fhir_without_a_schedule_has_unscheduled_activities():
    text = REFERENCE.read_text(encoding="utf-8").replace(
        "  schedule weekly from 2026-12-07 at 10:00 for 50 min\n", "").replace(
        "  skip 2026-12-28", "  # skip")
    result = load_string(text, str(REFERENCE))
    assert result.ok
    _, by_type = read_bundle(export.to_fhir(result))
    care_plan = by_type["CarePlan"][0].resource
    assert care_plan.period is None
    assert {a.detail.status for a in care_plan.activity} == {"not-started"}
    assert all(a.detail.scheduledPeriod is None and "no schedule" in a.detail.scheduledString
               for a in care_plan.activity)


# --- JSON --------------------------------------------------------------------------------

@functools.cache
def schema() -> dict:
    return json.loads(export.json_schema_path().read_text(encoding="utf-8"))


@pytest.mark.parametrize("plan", BUNDLED, ids=IDS)
def test_json_matches_its_schema_and_the_plan(plan):
    result = loaded(plan)
    document = json.loads(export.to_json(result))
    jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker()
                                    ).validate(document)
    model = result.plan
    assert (document["format"], document["version"]) == ("ipt-plan/plan", 3)
    header = ("title", "client", "clinician", "diagnosis")
    assert [document[key] for key in header] == [getattr(model, key) for key in header]
    assert document["schedule"]["start"] == model.schedule.start.isoformat()
    assert document["schedule"]["line"] == model.schedule.loc.line
    assert [s["date"] for s in document["skips"]] == [s.date.isoformat() for s in model.skips]
    assert [(f["id"], f["area"], f["line"], [(g["text"], g["line"]) for g in f["goals"]])
            for f in document["foci"]] == [
        (f.id.text, f.area.text, f.loc.line, [(g.text, g.loc.line) for g in f.goals])
        for f in model.foci]
    assert [(p["name"], p["first"], p["last"]) for p in document["phases"]] == [
        (p.kind, p.first, p.last) for p in model.phases]
    dates = session_dates(model)
    for phase_json, phase in zip(document["phases"], model.phases):
        sessions = phase_json["sessions"]
        assert [s["number"] for s in sessions] == list(phase.numbers)
        written = {s.number: s for s in phase.sessions}
        for s in sessions:
            assert s["date"] == dates[s["number"]].date().isoformat()
            assert s["written"] == (s["number"] in written)
            source = written.get(s["number"])
            assert s["title"] == (source.title if source else None)
            assert [(a["name"], a["line"]) for a in s["activities"]] == (
                [(a.name.text, a.loc.line) for a in source.activities] if source else [])
        assert [a["name"] for a in phase_json["every"]] == [a.name.text for a in phase.every]


def test_json_of_the_reference_plan():
    document = json.loads(export.to_json(loaded(REFERENCE)))
    middle = document["phases"][1]
    sessions = {s["number"]: s for s in middle["sessions"]}
    assert sessions[6]["date"] == "2027-01-18" and sessions[6]["time"] == "10:00"
    (role_play,) = sessions[6]["activities"]
    assert (role_play["name"], role_play["for"], role_play["addresses"], role_play["line"]) == (
        "role_play", ["sister"], ["sister"], 43)
    assert role_play["detail"] == "Saying no to the Thursday appointment"
    assert (sessions[7]["written"], sessions[7]["line"], sessions[7]["activities"]) == (
        False, None, [])
    # The contract covers every focus without naming them: `for` as written, `addresses`
    # as resolved.
    formulation, contract = document["phases"][0]["sessions"][2]["activities"]
    assert (formulation["for"], formulation["addresses"]) == (
        ["sister", "retirement"], ["sister", "retirement"])
    assert (contract["name"], contract["for"], contract["addresses"], contract["line"]) == (
        "treatment_contract", [], ["sister", "retirement"], 29)
    assert [a["name"] for a in middle["every"]] == ["symptom_review", "homework_review"]
    assert document["total_sessions"] == 16 and document["skips"] == [
        {"date": "2026-12-28", "line": 9}]


def test_json_schema_rejects_what_it_should():
    document = json.loads(export.to_json(loaded(REFERENCE)))
    validator = jsonschema.Draft202012Validator(schema())
    assert validator.is_valid(document)
    document["phases"][0]["sessions"][0]["written"] = "yes"
    assert not validator.is_valid(document)
    jsonschema.Draft202012Validator.check_schema(schema())


def test_the_wheel_carries_the_schema():
    from hatchling.builders.wheel import WheelBuilder

    shipped = {f.distribution_path for f in WheelBuilder(str(ROOT)).recurse_included_files()}
    assert "ipt_plan/schemas/plan.schema.json" in shipped
    assert export.json_schema_path() == ROOT / "schemas" / "plan.schema.json"


# --- the command -------------------------------------------------------------------------

def test_cli_writes_each_format_to_stdout():
    for fmt, opener in (("ics", "BEGIN:VCALENDAR"), ("fhir", "{"), ("json", "{")):
        args = ["--tz", LONDON] if fmt != "json" else []
        result = invoke(REFERENCE, "--format", fmt, *args)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(opener) and result.stderr == ""


def test_cli_plan_with_errors_exits_1_with_its_diagnostics(tmp_path):
    bad = tmp_path / "bad.iptplan"
    bad.write_text(REFERENCE.read_text().replace("  stage renegotiation\n", ""))
    target = tmp_path / "out.json"
    target.write_text("the previous export\n")
    result = invoke(bad, "--format", "json", "-o", target)
    assert result.exit_code == 1 and result.stdout == ""
    assert f"{bad}:12:7: error[IPT204]: the role dispute 'sister' has no stage" in result.stderr
    assert result.stderr.rstrip().endswith("1 plan checked: 1 error, 0 warnings")
    assert target.read_text() == "the previous export\n"


@pytest.mark.parametrize("args, message", [
    (["missing.iptplan", "--format", "json"], "no plan file at missing.iptplan"),
    ([REFERENCE, "--format", "ics", "--tz", "Europe/Londn"], "did you mean 'Europe/London'?"),
    ([REFERENCE, "--format", "fhir", "--tz", "Mars/Olympus"], "is not a time zone"),
    ([REFERENCE, "--format", "ics", "--subject", "Patient/1"], "--subject applies to"),
    ([REFERENCE, "--format", "fhir", "--subject", "A-0142"], "is not a reference"),
    ([REFERENCE, "--format", "json", "--tz", LONDON], "--tz applies to"),
    ([REFERENCE, "--format", "xml"], "'xml' is not one of"),
    ([REFERENCE, "--format", "ics", "-o", "no-such-folder/x.ics"], "no folder no-such-folder"),
])
def test_cli_usage_errors_exit_2(args, message):
    result = invoke(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert message in result.stderr


def test_cli_out_file_is_written_whole_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "ms-a.ics"
    target.write_text("an older export\n")
    result = invoke(REFERENCE, "--format", "ics", "--tz", LONDON, "-o", target)
    assert (result.exit_code, result.stdout) == (0, "")
    assert target.read_bytes() == invoke(REFERENCE, "--format", "ics", "--tz", LONDON
                                         ).stdout_bytes
    assert os.listdir(tmp_path) == [target.name]


def test_an_interrupted_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "plan.json"
    target.write_text("the previous export\n")

    def crash(*_args, **_dir_fds):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    result = invoke(REFERENCE, "--format", "json", "-o", target)
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert target.read_text() == "the previous export\n"
    assert os.listdir(tmp_path) == [target.name]


def test_help_has_an_example_for_each_format():
    text = runner.invoke(app, ["export", "--help"]).stdout
    for fmt in export.FORMATS:
        assert f"ipt-plan export plans/ms-a.iptplan -f {fmt}" in text


PROBE = """
import sys
from ipt_plan import cli
sys.argv = ["ipt-plan", *sys.argv[1:]]
try:
    cli.run()
except SystemExit:
    pass
print(" ".join(sorted({m.split(".")[0] for m in sys.modules} & {"icalendar", "fhir", "fhir_core"})),
      file=sys.stderr)
"""


def loaded_export_libraries(*args: str) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""


def test_check_does_not_import_the_export_libraries():
    assert loaded_export_libraries("check", str(REFERENCE)) == ""
    # The probe sees them when they are used, so an empty answer above means something.
    assert loaded_export_libraries("export", str(REFERENCE), "-f", "fhir") == "fhir fhir_core"
