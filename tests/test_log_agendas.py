"""Agendas of a plan with a log: what happened at the last appointments, the dates the log
moves, and the overview's record of the course so far. The day is pinned: in a plan with a
log, sessions still owed are projected from today on."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import REFERENCE
from ipt_plan import load_string
from ipt_plan.agenda import build_course, course_from_result
from ipt_plan.renderer import FORMATS, render

TODAY = dt.date(2027, 1, 27)  # a Wednesday: session 6 was missed on Monday

# Ms. A's course as it went: the clinic closed on 2026-12-28 (the plan skips it), she was
# unwell on the 21st, so session 3 was held a fortnight late, and she missed session 6.
LOG = '''
log
  2026-12-07 session 1 held
    score PHQ-9 19 items 2 2 3 2 2 3 2 2 1
    risk "Passive thoughts of death, no plan; safety plan agreed"
    note "Tearful; her sister visits at the weekend"
  2026-12-14 session 2 held
    score PHQ-9 17 items 2 2 2 2 2 2 2 2 1
    risk "Thoughts of death less often; safety plan kept"
  2026-12-21 session 3 cancelled "client unwell"
  2027-01-04 session 3 held
    score PHQ-9 15 items 2 2 2 2 2 2 2 1 0
  2027-01-11 session 4 held
    score PHQ-9 13 items 2 2 2 1 1 2 1 2 0
    note "Anna agreed to share the Tuesday visits"
  2027-01-18 session 5 held
    score PHQ-9 12 items 2 1 2 1 1 2 1 2 0
    homework partly "Wrote down Anna's requests on three days"
    note "Said no to the Thursday appointment, then gave in"
  2027-01-25 session 6 missed
'''


def logged(log: str = LOG, base: str | None = None):
    text = (base or REFERENCE.read_text(encoding="utf-8")) + log
    result = load_string(text, "ms-a.iptplan")
    assert result.ok, [d.message for d in result.diagnostics]
    return result


def course(log: str = LOG, today: dt.date = TODAY):
    return course_from_result(logged(log), today)


def documents(fmt: str, log: str = LOG, today: dt.date = TODAY):
    return {d.name: d.text for d in render(course(log, today), fmt)}


def session_file(number: int, fmt: str) -> str:
    return f"session-{number:02d}.{fmt}"


# --- whether the last session happened ------------------------------------------------


def test_the_next_session_is_the_first_one_still_owed():
    sessions = {s.number: s for s in course().sessions}
    assert [n for n, s in sessions.items() if s.date_status == "held"] == [1, 2, 3, 4, 5]
    assert all(s.date_status == "projected" for n, s in sessions.items() if n >= 6)
    # The next session looks back on the last one held and what came after it; the
    # sessions after it cannot know yet what will have happened.
    assert [(e.session, e.status) for e in sessions[6].since_last] == [(5, "held"), (6, "missed")]
    assert all(s.since_last == () for n, s in sessions.items() if n > 6)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_next_agenda_says_the_last_session_was_missed_and_how_the_one_before_went(fmt):
    six = documents(fmt)[session_file(6, fmt)]
    heading = {"md": "## Since the last session", "html": "<h2>Since the last session</h2>",
               "txt": "SINCE THE LAST SESSION"}[fmt]
    assert heading in six
    since = " ".join(six[six.index(heading):].split())  # as one line, wrapped or not
    held = since.index("Session 5, Monday 18 January 2027: held")
    outcome = since.index("Homework from the session before: partly done "
                          "(Wrote down Anna&#39;s requests on three days)" if fmt == "html" else
                          "Homework from the session before: partly done "
                          "(Wrote down Anna's requests on three days)")
    note = since.index("Note: Said no to the Thursday appointment, then gave in")
    missed = since.index("Session 6, Monday 25 January 2027: missed (did not attend)")
    assert held < outcome < note < missed  # in the order it happened, details under theirs


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_cancelled_session_is_shown_with_its_reason(fmt):
    three = documents(fmt)[session_file(3, fmt)]
    assert "Session 3, Monday 21 December 2026: cancelled (client unwell)" in three
    assert "Session 2, Monday 14 December 2026: held" in three
    risk = "Risk assessed: Thoughts of death less often; safety plan kept"
    assert risk in three.replace("- Risk assessed: ", "Risk assessed: ")


def test_the_last_entry_cancelled_is_what_the_next_agenda_reports():
    log = LOG.replace("  2027-01-25 session 6 missed\n",
                      '  2027-01-25 session 6 cancelled "her mother was taken to hospital"\n')
    six = documents("md", log)[session_file(6, "md")]
    assert ("- Session 6, Monday 25 January 2027: cancelled (her mother was taken to "
            "hospital)") in six
    assert "missed" not in six


def test_a_held_sessions_agenda_looks_back_on_the_one_before_it_only():
    sessions = {s.number: s for s in course().sessions}
    assert [(e.session, e.status) for e in sessions[3].since_last] == [
        (2, "held"), (3, "cancelled")]
    assert [(e.session, e.status) for e in sessions[4].since_last] == [(3, "held")]
    assert sessions[1].since_last == ()  # nothing before the first appointment


# --- the projected date ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_date_line_shows_the_projected_date_and_the_planned_one_it_moved_from(fmt):
    docs = documents(fmt)
    six = docs[session_file(6, fmt)]
    # Planned for 18 January; session 6 was missed on the 25th and today is the 27th, so
    # the next weekly slot is 1 February.
    assert ("Monday 1 February 2027 (2027-02-01) at 10:00 (projected; planned for Monday 18 "
            "January 2027)") in " ".join(six.split())
    three = " ".join(docs[session_file(3, fmt)].split())
    assert "Monday 4 January 2027 (2027-01-04) at 10:00 (held; planned for Monday 21 December 2026)" in three
    one = " ".join(docs[session_file(1, fmt)].split())
    assert "Monday 7 December 2026 (2026-12-07) at 10:00 (held), 50 minutes" in one


def test_owed_sessions_are_never_projected_before_today():
    later = dt.date(2027, 3, 3)  # a Wednesday, five weeks on, with nothing more logged
    sessions = {s.number: s for s in course(today=later).sessions}
    assert sessions[6].date == "2027-03-08" and sessions[6].planned_date == "2027-01-18"
    assert sessions[5].date == "2027-01-18"  # held: stays on the day it was


# --- the overview ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_overview_schedule_says_what_happened_to_each_session(fmt):
    overview = documents(fmt)[f"overview.{fmt}"]
    rows = {
        "md": ["| 3 | 2027-01-04 | Initial phase | sister, retirement | Formulation and contract: "
               "Interpersonal formulation, Treatment contract | cancelled 2026-12-21 (client "
               "unwell); held |",
               "| 6 | 2027-02-01 | Middle phase | sister | Role play | missed 2027-01-25 |",
               "| 7 | 2027-02-08 | Middle phase |  | the phase's every-session tasks |  |"],
        "html": ["<td>cancelled 2026-12-21 (client unwell); held</td></tr>",
                 "<td>Role play</td><td>missed 2027-01-25</td></tr>", "<th>Log</th>"],
        "txt": [" 3  2027-01-04  Initial phase | sister, retirement",
                "                Log: cancelled 2026-12-21 (client unwell); held",
                " 6  2027-02-01  Middle phase | sister\n                Role play\n"
                "                Log: missed 2027-01-25\n"],
    }[fmt]
    for row in rows:
        assert row in overview
    summary = ("5 sessions held, 1 cancelled, 1 missed; the last session is projected for "
               "2027-04-12 (planned for 2027-03-29)")
    assert summary in " ".join(overview.split())


# --- plans without a log --------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_plan_without_a_log_does_not_depend_on_the_day(fmt):
    plain = course_from_result(load_string(REFERENCE.read_text(encoding="utf-8"), "ms-a.iptplan"))
    assert plain.log is None and plain.planned_end is None
    assert all(s.date_status is None and s.since_last == () and s.planned_date is None
               for s in plain.sessions)
    far = course_from_result(load_string(REFERENCE.read_text(encoding="utf-8"), "ms-a.iptplan"),
                             dt.date(2031, 5, 5))
    assert [d.text for d in render(plain, fmt)] == [d.text for d in render(far, fmt)]


def test_an_empty_log_projects_the_course_from_today_and_reports_nothing_held():
    empty = course("\nlog\n", today=dt.date(2026, 12, 9))  # two days after the planned start
    first = empty.sessions[0]
    assert first.date == "2026-12-14" and first.planned_date == "2026-12-07"
    assert first.since_last == () and first.date_status == "projected"
    overview = render(empty, "md")[0].text
    assert "- **Log:** 0 sessions held, 0 cancelled, 0 missed" in overview


def test_build_course_takes_the_day_too():
    result = logged()
    plan, graph = result.checked_plan("agendas")
    built = build_course(plan, result.profile, result.catalogue, graph, TODAY)
    assert built == course()
