"""Every output shows how a course is delivered: who attends, how and for how long each
session is held, a rhythm that changes, a dispute's stage over time, the death a grief focus
mourns, measures at chosen sessions, notes on a phase and sessions after the course."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from zoneinfo import ZoneInfo

import jsonschema
import pydot
import pytest
from icalendar import Calendar

from conftest import REFERENCE, ROOT
from ipt_plan import export, load_file
from ipt_plan.agenda import course_from_result
from ipt_plan.builder import build
from ipt_plan.drawing import draw
from ipt_plan.formatter import format_text, shape
from ipt_plan.parser import parse
from ipt_plan.renderer import FORMATS, render
from ipt_plan.schedule import appointments, course_calendar, course_format
from ipt_plan.statements import comments

# A course using every form the language has for it. The phase notes avoid the stage
# words, so that a stage printed in an agenda can only come from the focus.
PLAN = """\
# Mr. T: after his wife's death, and at odds with his son.
plan "Mr. T: after his wife's death, and at odds with his son"
  client T-0001
  clinician "Dr. K. Osei"
  protocol ipt
  delivery video                      # he lives two hours from the clinic
  format individual
  schedule twice weekly from 2027-01-04 at 10:00 for 50 min
  schedule weekly from session 5
  schedule every 2 weeks from session 13 at 16:00 for 45 min
  skip 2027-01-14                     # the clinic is closed
  measure PHQ-9 every 4 sessions
  measure HAM-D at sessions 1, 7, 14

focus wife: grief "His wife Ruth died after a short illness"
  died 2026-02-14
  goal "Talk about Ruth with his son without shutting down"

focus son: role_dispute "His son wants him to sell the house and move nearer"
  stage impasse
  stage renegotiation from session 7  # they began to talk again
  goal "Agree with his son what happens to the house"

phase initial sessions 1-3
  note "An interpreter is booked for the first session"
  session 1 "Assessment" with interpreter in person for 60 min
    symptom_review
    psychoeducation
    sick_role
  session 2 "Inventory"
    interpersonal_inventory
  session 3 "Formulation and contract" by telephone
    formulation
    treatment_contract

phase middle sessions 4-13
  note "His son may join one session in the clinic"
  every session
    symptom_review
  session 4
    facilitate_mourning for wife
    assess_dispute_stage for son
  session 6
    reconstruct_relationship for wife
  session 8 "Joint session" with family, interpreter in person for 90 min
    communication_analysis for son "The argument about the estate agent"
  session 10
    role_play for son "Telling his son he wants to stay for now"

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
"""

# Group IPT: the course's sessions are group sessions, the pre-group meeting and a
# mid-course review individual.
GROUP = """\
plan "Mr. R: group IPT"
  protocol ipt-group
  format group
  schedule weekly from 2027-09-06 at 18:00 for 90 min
  measure PHQ-9 every session

focus isolation: interpersonal_deficits "Lives alone since his brother moved away"
  goal "Talk to someone outside the group every week"

phase pretreatment session 0
  session 0 "Pre-group meeting" for 60 min
    psychoeducation
    sick_role
    interpersonal_inventory
    formulation
phase initial sessions 1-1
  session 1
    treatment_contract
phase middle sessions 2-7
  session 3
    reduce_isolation
  session 4 "Mid-course review" individual for 30 min
    goal_review
  session 7
    termination_discussion
phase termination sessions 8-8
  session 8
    termination_discussion
    relapse_prevention
"""

STAGES = ("renegotiation", "impasse", "dissolution")


def write(tmp_path, text: str, name: str = "mr-t.iptplan"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def loaded(tmp_path, text: str = PLAN, name: str = "mr-t.iptplan"):
    result = load_file(write(tmp_path, text, name))
    assert result.ok, [d.message for d in result.diagnostics]
    return result


def documents(result, fmt: str) -> dict[str, str]:
    return {d.name: d.text for d in render(result, fmt)}


def session_doc(docs: dict[str, str], number: int, fmt: str) -> str:
    return docs[f"session-{number:02d}.{fmt}"]


@pytest.fixture
def course(tmp_path):
    return course_from_result(loaded(tmp_path))


@pytest.fixture
def rendered(tmp_path):
    result = loaded(tmp_path)
    return {fmt: documents(result, fmt) for fmt in FORMATS}


def agenda(course, number):
    (found,) = [s for s in course.sessions if s.number == number]
    return found


# --- agendas: how each session is held -----------------------------------------------

def test_each_agenda_holds_the_sessions_own_appointment(course):
    one, three, eight, thirteen = (agenda(course, n) for n in (1, 3, 8, 13))
    assert (one.minutes, one.delivery, one.participants) == (60, "in_person", ("interpreter",))
    assert (three.minutes, three.delivery, three.participants) == (50, "telephone", ())
    # named as the catalogue names them
    assert (eight.minutes, eight.participants) == (90, ("family", "interpreter"))
    # the rhythm from session 13 gives its time and length
    assert (thirteen.date, thirteen.time, thirteen.minutes, thirteen.delivery) == (
        "2027-03-29", "16:00", 45, "video")
    assert agenda(course, 5).date == "2027-01-25"  # weekly from session 5
    assert {s.format for s in course.sessions} == {"individual"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_agenda_says_who_attends_and_how_and_how_long(rendered, fmt):
    docs = rendered[fmt]
    one, two, three = (session_doc(docs, n, fmt) for n in (1, 2, 3))
    eight, thirteen = session_doc(docs, 8, fmt), session_doc(docs, 13, fmt)
    assert "at 10:00, 60 minutes, in person" in one
    assert "at 10:00, 50 minutes, by video" in two  # as the header says
    assert "at 10:00, 50 minutes, by telephone" in three
    assert "at 16:00, 45 minutes, by video" in thirteen
    assert "90 minutes, in person" in eight
    attending = {"md": "**Also attending:** ", "html": "<dt>Also attending</dt><dd>",
                 "txt": "Also attending: "}[fmt]
    assert attending + "family and interpreter" in eight
    assert attending + "interpreter" in one
    assert "Also attending" not in two and "Also attending" not in thirteen


@pytest.mark.parametrize("fmt", FORMATS)
def test_delivery_is_said_on_every_agenda_even_in_person(fmt):
    docs = documents(load_file(REFERENCE), fmt)
    sessions = [text for name, text in docs.items() if name.startswith("session-")]
    assert len(sessions) == 16
    assert all(re.search(r"50 minutes, in person", text) for text in sessions)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_format_is_named_only_where_the_course_mixes_formats(tmp_path, rendered, fmt):
    # Every session of the reference course and of this one is individual: never said.
    for docs in (documents(load_file(REFERENCE), fmt), rendered[fmt]):
        assert not any("individual session" in text or "group session" in text
                       for name, text in docs.items() if name.startswith("session-"))
    # A group course with an individual pre-group meeting and mid-course review: every
    # agenda says which it is.
    group = {name: re.sub(r"\s+", " ", text) for name, text in
             documents(loaded(tmp_path, GROUP, "mr-r.iptplan"), fmt).items()}
    assert "at 18:00, 60 minutes, in person, individual session" in session_doc(group, 0, fmt)
    assert "at 18:00, 90 minutes, in person, group session" in session_doc(group, 1, fmt)
    assert "at 18:00, 30 minutes, in person, individual session" in session_doc(group, 4, fmt)
    assert "90 minutes, in person, group session" in session_doc(group, 8, fmt)


def test_a_session_whose_format_is_not_the_courses_is_named_even_when_all_agree(tmp_path):
    """Every session individual in a course whose sessions are group sessions: not a
    mixed course, but each session differs from the course's format, so each says it."""
    text = GROUP.replace("  session 1\n", "  session 1 individual\n").replace(
        "  session 3\n", "".join(f"  session {n} individual\n" for n in (2, 5, 6))
        + "  session 3 individual\n").replace(
        "  session 7\n", "  session 7 individual\n").replace(
        "  session 8\n", "  session 8 individual\n")
    course = course_from_result(loaded(tmp_path, text, "all-individual.iptplan"))
    assert {s.format for s in course.sessions} == {"individual"} and course.format == "group"
    assert all(s.show_format for s in course.sessions)
    assert "90 minutes, in person, individual session" in documents(
        load_file(tmp_path / "all-individual.iptplan"), "md")["session-02.md"]


# --- agendas: the foci -----------------------------------------------------------------

def focus_line(text: str, focus: str, fmt: str) -> str:
    """The line of an agenda that names a focus and its area."""
    start = {"md": f"**{focus}**: ", "html": f"<strong>{focus}</strong>: ", "txt": f"{focus}: "}
    (line,) = [line for line in text.split("\n") if line.startswith(start[fmt])
               or line.startswith("<p>" + start[fmt])]
    return line


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_session_shows_only_the_dispute_stage_in_force_at_it(rendered, course, fmt):
    docs = rendered[fmt]
    shown = 0
    for session in course.sessions:
        if "son" not in [f.id for f in session.foci]:
            continue
        line = focus_line(session_doc(docs, session.number, fmt), "son", fmt)
        expected = "impasse" if session.number < 7 else "renegotiation from session 7"
        assert f"Role dispute, stage: {expected}" in line, (session.number, line)
        assert [s for s in STAGES if s in line] == [expected.split()[0]], (session.number, line)
        shown += 1
    assert shown >= 4  # sessions 3 (formulation), 4, 8 and 10 work on the dispute
    son = next(f for f in agenda(course, 10).foci if f.id == "son")
    assert (son.stage, [s.name for s in son.stages]) == ("renegotiation", ["renegotiation"])
    son = next(f for f in agenda(course, 4).foci if f.id == "son")
    assert (son.stage, [s.name for s in son.stages]) == ("impasse", ["impasse"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_overview_shows_the_stage_over_time_and_the_death(rendered, fmt):
    overview = rendered[fmt][f"overview.{fmt}"]
    assert "son: Role dispute, stage: impasse; renegotiation from session 7" in overview
    assert "wife: Grief, death: 14 February 2026" in overview


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_grief_focus_shows_its_death_in_the_sessions_that_work_on_it(tmp_path, rendered, fmt):
    line = focus_line(session_doc(rendered[fmt], 6, fmt), "wife", fmt)
    assert "Grief, death: 14 February 2026" in line
    month_only = documents(loaded(tmp_path, PLAN.replace("died 2026-02-14", "died 2026-02"),
                                  "month.iptplan"), fmt)
    assert "Grief, death: February 2026" in focus_line(session_doc(month_only, 6, fmt), "wife", fmt)


# --- agendas: phase notes ---------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_each_agenda_of_a_phase_shows_its_notes(rendered, fmt):
    docs = rendered[fmt]
    middle_note = "His son may join one session in the clinic"
    initial_note = "An interpreter is booked for the first session"
    for number in range(1, 17):
        text = session_doc(docs, number, fmt)
        assert (middle_note in text) == (4 <= number <= 13), number
        assert (initial_note in text) == (number <= 3), number
        assert "Note on this phase" in text if number <= 13 else "Note on this phase" not in text
    overview = docs[f"overview.{fmt}"]
    assert middle_note in overview and initial_note in overview


def test_phase_notes_are_printed_as_text_never_as_markup(tmp_path):
    injected = "{{ 7*7 }} <script>alert('x')</script> & | **bold**"
    result = loaded(tmp_path, PLAN.replace("His son may join one session in the clinic",
                                           injected.replace("'", "\\'")))
    html = documents(result, "html")
    assert "<script>" not in html["session-05.html"] and "<script>" not in html["overview.html"]
    assert "{{ 7*7 }} &lt;script&gt;alert(" in html["session-05.html"]
    md = documents(result, "md")["session-05.md"]
    assert "{{ 7*7 }} <script>alert(" in md and "49" not in md


# --- the overview: rhythm, measures, how sessions are held ------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_the_overview_shows_each_rhythm_from_its_session(rendered, fmt):
    # (HTML keeps each date on one line in a span of its own)
    overview = re.sub(r'<span class="date">([^<]*)</span>', r"\1",
                      re.sub(r"\s+", " ", rendered[fmt][f"overview.{fmt}"]))
    assert ("Twice weekly at 10:00, 50 minutes; weekly from session 5; every 2 weeks from "
            "session 13 at 16:00, 45 minutes; no session on 2027-01-14") in overview


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_overview_shows_each_measure_with_when_it_is_rated(rendered, fmt):
    overview = re.sub(r"\s+", " ", rendered[fmt][f"overview.{fmt}"])
    assert "PHQ-9, every 4 sessions (sessions 1, 4, 8, 12, 16): Patient Health" in overview
    assert "HAM-D, at sessions 1, 7, 14: Hamilton" in overview


def test_the_measures_record_their_label_and_sessions(course):
    phq, hamd = course.measures
    assert (phq.every, phq.when, phq.sessions) == (4, "every 4 sessions", (1, 4, 8, 12, 16))
    assert (hamd.every, hamd.when, hamd.sessions) == (None, "at sessions 1, 7, 14", (1, 7, 14))
    assert [m.name for m in agenda(course, 7).measures_due] == ["HAM-D"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_overview_says_how_sessions_are_held_and_which_differ(tmp_path, rendered, fmt):
    overview = re.sub(r"\s+", " ", rendered[fmt][f"overview.{fmt}"])
    assert "By video, individual sessions" in overview
    assert "(in person; with interpreter; 60 minutes)" in overview  # session 1
    assert "(by telephone)" in overview  # session 3
    assert "(in person; with family and interpreter; 90 minutes)" in overview
    assert overview.count("(in person") == 2  # the video sessions are not singled out
    group = re.sub(r"\s+", " ", documents(loaded(tmp_path, GROUP, "mr-r.iptplan"),
                                          fmt)[f"overview.{fmt}"])
    assert "In person, group sessions" in group
    # how a session is held comes before its work, not after its last activity
    assert "(individual; 60 minutes) Pre-group meeting" in group  # session 0
    assert "(individual; 30 minutes) Mid-course review: Goal review" in group


# --- sessions after the course -----------------------------------------------------------

def continuation_profile() -> str:
    """The acute IPT profile, allowing continuation sessions after the course."""
    text = (ROOT / "ipt_plan" / "knowledge" / "protocols" / "ipt.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^name = .*$', 'name = "ipt-with-continuation"', text)
    text = re.sub(r"(?m)^sessions = .*$", "sessions = [12, 20]", text)
    text = re.sub(r"(?m)^max_weeks = .*$", "max_weeks = 40", text)
    if not re.search(r"(?m)^optional_phases", text):
        text = re.sub(r"(?m)^(phases = .*)$", r'\1\noptional_phases = ["continuation"]', text)
    return text


CONTINUATION = PLAN.replace("  protocol ipt\n", '  protocol "ipt-with-continuation.toml"\n') + """
phase continuation sessions 17-18
  note "Two booster sessions by telephone"
  session 17 by telephone
    note "How has the house question settled?"
"""


@pytest.fixture
def continued(tmp_path):
    (tmp_path / "ipt-with-continuation.toml").write_text(continuation_profile(), encoding="utf-8")
    return loaded(tmp_path, CONTINUATION, "continued.iptplan")


def test_continuation_sessions_come_after_the_course_and_count_down_their_own(continued):
    course = course_from_result(continued)
    assert (course.total_sessions, course.continuation_sessions) == (16, 2)
    remaining = {s.number: (s.sessions_remaining, s.continuation_after) for s in course.sessions}
    assert remaining[15] == (1, 2) and remaining[16] == (0, 2)
    assert remaining[17] == (1, 0) and remaining[18] == (0, 0)
    seventeen = agenda(course, 17)
    assert (seventeen.phase_label, seventeen.delivery, seventeen.total) == (
        "Continuation phase", "telephone", 16)


@pytest.mark.parametrize("fmt", FORMATS)
def test_continuation_sessions_in_the_agendas(continued, fmt):
    docs = documents(continued, fmt)
    heading = {"md": "# Session 17, after the 16-session course",
               "html": "<h1>Session 17, after the 16-session course</h1>",
               "txt": "SESSION 17, AFTER THE 16-SESSION COURSE"}[fmt]
    assert session_doc(docs, 17, fmt).startswith(heading) or heading in session_doc(docs, 17, fmt)
    assert "this is the last session of the course; 2 continuation sessions follow." in (
        re.sub(r"\s+", " ", session_doc(docs, 16, fmt)))  # txt wraps it at 78 columns
    assert "this is the last session." in session_doc(docs, 18, fmt)
    assert "Two booster sessions by telephone" in session_doc(docs, 18, fmt)
    overview = re.sub(r"\s+", " ", docs[f"overview.{fmt}"])
    assert "16 sessions, then 2 continuation sessions" in overview
    assert "Continuation phase, sessions 17-18" in overview.replace("*", "").replace(
        "<h3>", "").replace("</h3>", "")


# --- exports --------------------------------------------------------------------------------

def json_document(result) -> dict:
    document = json.loads(export.to_json(result))
    schema = json.loads(export.json_schema_path().read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()
                                    ).validate(document)
    return document


def json_sessions(document) -> dict[int, dict]:
    return {s["number"]: s for phase in document["phases"] for s in phase["sessions"]}


def test_json_holds_the_header_rhythm_and_measures(tmp_path):
    document = json_document(loaded(tmp_path))
    assert document["version"] == 3  # 2 added these keys; 3 the log
    assert (document["delivery"], document["session_format"]) == ("video", "individual")
    assert document["schedule"]["start"] == "2027-01-04"
    assert document["schedule_changes"] == [
        {"cadence": "weekly", "interval_weeks": None, "from_session": 5, "time": "10:00",
         "minutes": 50, "line": 9},
        {"cadence": "every_n_weeks", "interval_weeks": 2, "from_session": 13, "time": "16:00",
         "minutes": 45, "line": 10}]
    assert document["measures"] == [
        {"name": "PHQ-9", "every": 4, "at": [], "due": [1, 4, 8, 12, 16], "line": 12},
        {"name": "HAM-D", "every": None, "at": [1, 7, 14], "due": [1, 7, 14], "line": 13}]


def test_json_holds_the_foci_stages_and_death(tmp_path):
    wife, son = json_document(loaded(tmp_path))["foci"]
    assert wife["died"] == {"date": "2026-02-14", "month_only": False, "line": 16}
    assert (wife["stage"], wife["stages"]) == (None, [])
    assert son["died"] is None and son["stage"] == "impasse"
    assert son["stages"] == [{"stage": "impasse", "from_session": None, "line": 20},
                             {"stage": "renegotiation", "from_session": 7, "line": 21}]
    month = json_document(loaded(tmp_path, PLAN.replace("died 2026-02-14", "died 2026-02"),
                                 "month.iptplan"))
    assert month["foci"][0]["died"] == {"date": "2026-02", "month_only": True, "line": 16}


def test_json_holds_how_each_session_is_held_and_the_phase_notes(tmp_path):
    document = json_document(loaded(tmp_path))
    sessions = json_sessions(document)
    held = {n: (s["date"], s["time"], s["minutes"], s["delivery"], s["format"],
                s["participants"]) for n, s in sessions.items()}
    assert held[1] == ("2027-01-04", "10:00", 60, "in_person", "individual", ["interpreter"])
    assert held[3] == ("2027-01-11", "10:00", 50, "telephone", "individual", [])
    assert held[8] == ("2027-02-15", "10:00", 90, "in_person", "individual",
                       ["family", "interpreter"])
    assert held[9][2:5] == (50, "video", "individual")  # not written out: as the header says
    assert held[13][:3] == ("2027-03-29", "16:00", 45)
    initial, middle, termination = document["phases"]
    assert [(n["kind"], n["detail"], n["line"]) for n in middle["notes"]] == [
        ("note", "His son may join one session in the clinic", 37)]
    assert [n["detail"] for n in initial["notes"]] == [
        "An interpreter is booked for the first session"]
    assert termination["notes"] == []


def test_json_holds_continuation_sessions_and_group_formats(tmp_path, continued):
    document = json_document(continued)
    assert [p["name"] for p in document["phases"]][-1] == "continuation"
    assert document["total_sessions"] == 16
    assert json_sessions(document)[17]["delivery"] == "telephone"
    group = json_document(loaded(tmp_path, GROUP, "mr-r.iptplan"))
    assert group["session_format"] == "group"
    formats = {n: s["format"] for n, s in json_sessions(group).items()}
    assert formats == {0: "individual", 1: "group", 2: "group", 3: "group", 4: "individual",
                       5: "group", 6: "group", 7: "group", 8: "group"}


def test_the_json_schema_describes_each_new_key():
    schema = json.loads(export.json_schema_path().read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    document = json.loads(export.to_json(load_file(REFERENCE)))
    assert validator.is_valid(document)
    for path, value in [(("delivery",), "phone"), (("session_format",), "pair"),
                        (("measures", 0, "every"), 0), (("foci", 0, "stages", 0, "stage"), "truce"),
                        (("phases", 1, "sessions", 0, "minutes"), 0),
                        (("phases", 1, "sessions", 0, "participants"), "parent")]:
        broken = json.loads(json.dumps(document))
        target = broken
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert not validator.is_valid(broken), path


def events(result, tz: str = "Europe/London") -> dict[int, object]:
    calendar = Calendar.from_ical(export.to_ics(result, tz))
    return {int(str(e["UID"]).split(".")[0].removeprefix("session-")): e
            for e in calendar.events}


def test_ics_events_follow_each_rhythm_and_last_as_long_as_the_session(tmp_path):
    result = loaded(tmp_path)
    found = events(result)
    dates = course_calendar(result.plan).dates
    held = appointments(result.plan)
    assert sorted(found) == list(range(1, 17))
    london = ZoneInfo("Europe/London")
    for number, event in found.items():
        assert event.start == dates[number].replace(tzinfo=london)
        assert event.end - event.start == dt.timedelta(minutes=held[number].minutes)
    assert found[1].end - found[1].start == dt.timedelta(minutes=60)
    assert found[8].end - found[8].start == dt.timedelta(minutes=90)
    assert (found[13].start.hour, found[13].end - found[13].start) == (16, dt.timedelta(minutes=45))
    assert found[12].start.hour == 10
    assert (found[5].start - found[4].start).days == 7  # weekly from session 5


def test_ics_says_how_a_session_is_held_and_never_who_attends(tmp_path):
    found = events(loaded(tmp_path))
    descriptions = {n: str(e["DESCRIPTION"]) for n, e in found.items()}
    assert "\nBy telephone.\n" in descriptions[3]
    assert "\nIn person.\n" in descriptions[8] and "\nBy video.\n" in descriptions[9]
    text = "\n".join(str(e.to_ical()) for e in found.values())
    assert "interpreter" not in text and "family" not in text
    assert "2026-02-14" not in text and "February 2026" not in text  # the death
    group = events(loaded(tmp_path, GROUP, "mr-r.iptplan"))
    assert "\nIn person, individual session.\n" in str(group[4]["DESCRIPTION"])
    assert "\nIn person, group session.\n" in str(group[5]["DESCRIPTION"])


def test_ics_of_continuation_sessions(continued):
    found = events(continued)
    assert str(found[17]["SUMMARY"]) == (
        "IPT session 17, after the 16-session course (continuation phase)")
    assert str(found[16]["SUMMARY"]) == "IPT session 16 of 16 (termination phase)"
    assert "\nBy telephone.\n" in str(found[17]["DESCRIPTION"])


def fhir_bundle(result) -> dict:
    return json.loads(export.to_fhir(result, tz="Europe/London"))


def test_fhir_activities_carry_who_attends_how_and_how_long(tmp_path):
    care_plan = fhir_bundle(loaded(tmp_path))["entry"][0]["resource"]
    details = {int(a["detail"]["code"]["text"].split()[2]): a["detail"]
               for a in care_plan["activity"]}
    eight = details[8]
    assert eight["performer"] == [{"display": "family"}, {"display": "interpreter"}]
    assert (eight["scheduledPeriod"]["start"], eight["scheduledPeriod"]["end"]) == (
        "2027-02-15T10:00:00Z", "2027-02-15T11:30:00Z")
    assert "In person. Also attending: family and interpreter." in eight["description"]
    assert "By telephone." in details[3]["description"] and "performer" not in details[3]
    assert details[13]["scheduledPeriod"] == {"start": "2027-03-29T16:00:00+01:00",
                                              "end": "2027-03-29T16:45:00+01:00"}
    assert care_plan["period"]["end"] == "2027-05-10T16:45:00+01:00"


def test_fhir_care_plan_holds_the_rhythm_measures_notes_stages_and_death(tmp_path):
    entries = fhir_bundle(loaded(tmp_path))["entry"]
    care_plan = entries[0]["resource"]
    assert ("twice weekly, 50 min; weekly from session 5; every 2 weeks from session 13, at "
            "16:00, 45 min; by video, individual sessions.") in care_plan["description"]
    notes = [n["text"] for n in care_plan["note"]]
    assert ("Rating scales: PHQ-9 every 4 sessions (sessions 1, 4, 8, 12, 16); HAM-D at "
            "sessions 1, 7, 14.") in notes
    assert "Middle phase (sessions 4-13): His son may join one session in the clinic" in notes
    goal_notes = {e["resource"]["description"]["text"]: e["resource"]["note"][0]["text"]
                  for e in entries[1:] if "note" in e["resource"]}  # not remission goals
    assert "death 2026-02-14" in goal_notes["Talk about Ruth with his son without shutting down"]
    assert "dispute stage impasse; renegotiation from session 7" in goal_notes[
        "Agree with his son what happens to the house"]


def test_fhir_of_continuation_sessions(continued):
    care_plan = fhir_bundle(continued)["entry"][0]["resource"]
    assert "16 sessions, then 2 continuation sessions" in care_plan["description"]
    codes = [a["detail"]["code"]["text"] for a in care_plan["activity"]]
    assert codes[-1] == "IPT session 18, after the 16-session course (continuation phase)"


# --- the drawing ----------------------------------------------------------------------------

def dot_labels(text: str) -> dict[str, list[str]]:
    """Each node's label lines, read back by pydot."""
    graph, = pydot.graph_from_dot_data(text)
    labels = {}

    def walk(g):
        for node in g.get_nodes():
            label = node.get_attributes().get("label")
            if label:
                labels[node.get_name().strip('"')] = label[1:-1].replace('\\"', '"').split("\\n")
        for sub in g.get_subgraphs():
            walk(sub)
    walk(graph)
    return labels


@pytest.mark.filterwarnings("ignore:.setParseAction. deprecated")
def test_the_drawing_shows_stages_over_time_the_death_and_how_sessions_are_held(tmp_path):
    result = loaded(tmp_path)
    labels = dot_labels(draw(result, "dot"))
    assert labels["f_son"] == ["son", "Role dispute (impasse; renegotiation from session 7)"]
    assert labels["f_wife"] == ["wife", "Grief", "died 2026-02-14"]
    assert labels["s8"] == ["Session 8", "Joint session",
                            "with family, interpreter; in person; 90 min"]
    assert labels["s1"] == ["Session 1", "Assessment", "with interpreter; in person; 60 min"]
    assert labels["s3"] == ["Session 3", "Formulation and contract", "by telephone"]
    assert labels["s2"] == ["Session 2", "Inventory"]  # its line says nothing of it
    assert labels["s9"] == ["Session 9"]  # not written out
    mermaid = draw(result, "mermaid")
    assert 's8["Session 8<br/>Joint session<br/>with family, interpreter; in person; ' \
           '90 min"]' in mermaid
    assert 'f_son{{"son<br/>Role dispute (impasse; renegotiation from session 7)"}}' in mermaid
    assert 'f_wife{{"wife<br/>Grief<br/>died 2026-02-14"}}' in mermaid


def test_the_drawing_of_a_month_only_death_a_group_course_and_continuation(tmp_path, continued):
    month = draw(loaded(tmp_path, PLAN.replace("died 2026-02-14", "died 2026-02"),
                        "month.iptplan"), "mermaid")
    assert 'f_wife{{"wife<br/>Grief<br/>died 2026-02"}}' in month
    group = draw(loaded(tmp_path, GROUP, "mr-r.iptplan"), "mermaid")
    assert 's4["Session 4<br/>Mid-course review<br/>individual; 30 min"]' in group
    assert 's0["Session 0<br/>Pre-group meeting<br/>60 min"]' in group
    assert 'subgraph p3 ["Continuation phase: sessions 17-18"]' in draw(continued, "mermaid")


# --- ipt-plan fmt ---------------------------------------------------------------------------

# Every course form, written carelessly: indentation, spacing, blank lines and the gap
# before comments all spoiled, and comments of each kind.
MESSY = """\
# Every course form at once.
plan   "Mr. T: every course form"
    client T-0002
 protocol "ipt-with-continuation.toml"
delivery   video   # he lives two hours away
  format individual
  schedule twice weekly from 2027-01-04 at 10:00 for 50 min
schedule weekly   from session 5
      schedule every 2 weeks from session 13 at 16:00 for 45 min  # after the winter
  measure PHQ-9 every 4 sessions
  measure HAM-D at sessions 1 ,7,  14
focus wife:grief "His wife Ruth died after a short illness"
died 2026-02
    goal "Talk about Ruth"
focus son :  role_dispute "The house"
stage impasse
      stage renegotiation from session 7   # they talk again
  goal "Agree what happens to the house"
phase initial sessions 1 - 3
note "An interpreter is booked"
    session 1 "Assessment" with interpreter   in person  for 60 min
    interpersonal_inventory
  session 3 "Contract" by telephone
      formulation
      treatment_contract


phase middle sessions 4-13
      note "His son may join one session"      # a phase note, written deep
  # the joint session
  session 8 "Joint session" with family,interpreter by video individual for 90 min
    communication_analysis for son
  session 10 group
    facilitate_mourning for wife
phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
phase continuation sessions 17-18
note "Two booster sessions"
  session 17 by telephone
  note "How has the house question settled?"
"""


def fmt_cli(*args):
    from typer.testing import CliRunner

    from ipt_plan.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def comment_counts(text: str) -> Counter:
    return Counter(comment.rstrip() for _, _, comment in comments(text))


def built_shape(text: str):
    statements, syntax = parse(text)
    plan, diagnostics = build(statements, "<plan>")
    return shape(plan), sorted(d.code for d in syntax + diagnostics)


def test_fmt_on_every_course_form_keeps_the_plan_and_its_comments_and_is_idempotent(tmp_path):
    path = write(tmp_path, MESSY, "messy.iptplan")
    assert built_shape(MESSY)[1] == []  # no syntax or structure error to hide anything
    first = fmt_cli("fmt", path)
    assert first.exit_code == 0, first.output
    formatted = path.read_text(encoding="utf-8")
    assert formatted != MESSY
    assert built_shape(formatted) == built_shape(MESSY)
    assert comment_counts(formatted) == comment_counts(MESSY) and len(comment_counts(MESSY)) == 6
    again = fmt_cli("fmt", "--check", path)
    assert again.exit_code == 0, again.output
    assert format_text(formatted) == formatted
    # each new form in its canonical spelling
    assert re.search(r"\n  delivery video +# he lives two hours away\n", formatted)
    for line in ("  schedule every 2 weeks from session 13 at 16:00 for 45 min  # after the winter",
                 "  schedule weekly from session 5",
                 "  measure HAM-D at sessions 1, 7, 14",
                 "  died 2026-02",
                 "  stage renegotiation from session 7  # they talk again",
                 '  session 1 "Assessment" with interpreter in person for 60 min',
                 '  session 8 "Joint session" with family, interpreter by video '
                 "individual for 90 min",
                 "  session 10 group",
                 "phase continuation sessions 17-18"):
        assert line + "\n" in formatted, line


def test_fmt_indents_a_phase_note_at_the_session_level(tmp_path):
    formatted = format_text(MESSY)
    lines = formatted.split("\n")
    for phase_line, note in [("phase initial sessions 1-3", 'note "An interpreter is booked"'),
                             ("phase middle sessions 4-13", 'note "His son may join one session"'),
                             ("phase continuation sessions 17-18", 'note "Two booster sessions"')]:
        index = lines.index(phase_line)
        assert lines[index + 1].startswith("  " + note), lines[index + 1]
    assert "  # the joint session\n  session 8 " in formatted  # its comment goes with it
    # A note inside a session stays at the activities' level.
    assert '  session 17 by telephone\n    note "How has the house question settled?"\n' in (
        formatted)
    # Read back, the notes are where they were: on the phases, and on session 17.
    plan, _ = build(parse(formatted)[0], "<plan>")
    assert [[n.detail for n in phase.notes] for phase in plan.phases] == [
        ["An interpreter is booked"], ["His son may join one session"], [],
        ["Two booster sessions"]]
    assert [a.detail for a in plan.phases[3].sessions[0].activities] == [
        "How has the house question settled?"]


# --- what the catalogue and the profiles will say ------------------------------------------

def test_the_course_format_comes_from_the_profile_where_the_plan_says_none(tmp_path):
    result = loaded(tmp_path, GROUP.replace("  format group\n", ""), "no-format.iptplan")
    assert course_format(result.profile) == "group"  # ipt-group's course sessions
    course = course_from_result(result)
    assert course.format == "group"
    assert {s.number: s.format for s in course.sessions} == {
        0: "individual", 1: "group", 2: "group", 3: "group", 4: "individual", 5: "group",
        6: "group", 7: "group", 8: "group"}
    individual = load_file(write(tmp_path, GROUP.replace("protocol ipt-group", "protocol ipt"),
                                 "individual.iptplan"))
    assert course_format(individual.profile) == "individual"
    assert course_format(None) == "individual"


def test_the_exports_say_the_last_session_as_the_agendas_do(tmp_path, continued):
    found = events(loaded(tmp_path))
    assert str(found[16]["DESCRIPTION"]).startswith("Termination phase. This is the last session.")
    assert str(found[15]["DESCRIPTION"]).startswith(
        "Termination phase. 1 session remains after this one.")
    found = events(continued)
    assert str(found[16]["DESCRIPTION"]).startswith(
        "Termination phase. This is the last session of the course; 2 continuation sessions "
        "follow.")
    assert str(found[18]["DESCRIPTION"]).startswith("Continuation phase. This is the last session.")
    care_plan = fhir_bundle(continued)["entry"][0]["resource"]
    assert care_plan["activity"][15]["detail"]["description"].endswith(
        "This is the last session of the course; 2 continuation sessions follow.")
