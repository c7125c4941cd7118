"""The log: what happened to each appointment, read into the model; each mistake in it
one message at its place; sessions still owed projected after the last entry."""

from __future__ import annotations

import datetime as dt

import pytest

from ipt_plan.builder import build
from ipt_plan.formatter import format_text
from ipt_plan.parser import parse
from ipt_plan.schedule import course_calendar

PLAN = """plan "Ms. A: caregiving conflict with her sister"
  schedule weekly from 2026-12-07 at 10:00 for 50 min
  skip 2027-01-18

phase initial sessions 1-3
  session 1
    interpersonal_inventory
phase middle sessions 4-6
"""

LOG = """
log
  2026-12-07 session 1 held
    score PHQ-9 19 items 2 2 3 2 2 3 2 2 1
    score GAD-7 12
  2026-12-14 session 2 held
    score PHQ-9 17
    homework done "Wrote down each request Anna made"
  2026-12-21 session 3 cancelled "client unwell"
  2026-12-23 session 3 held
    score PHQ-9 16
    risk "Passive thoughts of death, no plan; safety plan reviewed"
    note "Agreed the formulation"
"""


def built(text: str):
    statements, syntax = parse(text)
    plan, diagnostics = build(statements)
    return plan, syntax + diagnostics


def one_problem(text: str):
    _, diagnostics = built(text)
    assert len(diagnostics) == 1, [d.message for d in diagnostics]
    return diagnostics[0]


def test_the_log_is_read_entry_by_entry():
    plan, diagnostics = built(PLAN + LOG)
    assert diagnostics == []
    one, two, cancelled, three = plan.log
    assert (one.date, one.number, one.status.text, one.held) == (dt.date(2026, 12, 7), 1, "held", True)
    phq9, gad7 = one.scores
    assert (phq9.scale.text, phq9.value, [int(w.text) for w in phq9.items]) == (
        "PHQ-9", 19, [2, 2, 3, 2, 2, 3, 2, 2, 1])
    assert (gad7.value, gad7.items) == (12, ())
    assert (two.homework.outcome.text, two.homework.text) == ("done", "Wrote down each request Anna made")
    assert (cancelled.status.text, cancelled.reason, cancelled.held) == ("cancelled", "client unwell", False)
    assert [r.detail for r in three.risks] == ["Passive thoughts of death, no plan; safety plan reviewed"]
    assert [n.detail for n in three.notes] == ["Agreed the formulation"]


def test_a_plan_without_a_log_has_none_and_an_empty_log_is_a_log():
    assert built(PLAN)[0].log is None
    assert built(PLAN + "\nlog\n")[0].log == ()


@pytest.mark.parametrize("entry, message", [
    ("2026-12-07 session 1 attended", "'attended' is not what happened to a session"),
    ('2026-12-07 session 1 held "on time"', "a held session has no reason"),
    ("2026-02-30 session 1 held", "2026-02-30 is not a date: February 2026 has 28 days"),
    ("2026-12-07 session 1 missed\n    score PHQ-9 12",
     "session 1 was missed, so it has no score"),
    ("2026-12-07 session 1 held\n    score PHQ-9 12\n    score PHQ-9 13",
     "the PHQ-9 score of this session is already defined on line"),
    ("2026-12-07 session 1 held\n    homework finished", "'finished' is not how homework went"),
    ("2026-12-07 session 1 held\n    homework done\n    homework partly",
     "how the homework went is already defined on line"),
    ('2026-12-07 session 1 held\n    homework "Call Anna"', "in the log, say how the homework went"),
    ("2026-12-07 session 1 held\n    role_play", "'role_play' is planned in a session above the log"),
])
def test_a_mistake_in_the_log_is_one_message(entry, message):
    problem = one_problem(PLAN + f"\nlog\n  {entry}\n")
    assert problem.message.startswith(message)


@pytest.mark.parametrize("text, message", [
    (PLAN + "  score PHQ-9 12\n", "a score line belongs under a session of the log"),
    (PLAN + "\n2026-12-07 session 1 held\n", "a log entry belongs under the log line"),
    (PLAN + '  homework done\n', "'homework done' says how homework went, which belongs in the log"),
    (PLAN + "\nlog\nphase termination sessions 7-8\n", "the phase line comes after the log"),
    (PLAN + "\nlog\nlog\n", "the log is already defined on line"),
])
def test_log_lines_in_the_wrong_place(text, message):
    assert one_problem(text).message.startswith(message)


def test_a_broken_entry_does_not_cascade_onto_its_lines():
    # the entry's date is not a date: its score is neither judged nor misplaced
    _, diagnostics = built(PLAN + "\nlog\n  2026-12-0 session 1 held\n    score PHQ-9 12\n")
    assert len(diagnostics) == 1 and diagnostics[0].line == 11


def test_owed_sessions_are_projected_after_the_last_entry_and_never_before_today():
    plan, _ = built(PLAN + LOG)
    calendar = course_calendar(plan, today=dt.date(2026, 12, 24))
    days = {n: d.date() for n, d in calendar.dates.items()}
    # held sessions on the day they were held; session 3 was moved to the 23rd
    assert days[1] == dt.date(2026, 12, 7) and days[3] == dt.date(2026, 12, 23)
    assert calendar.planned[3].date() == dt.date(2026, 12, 21)
    # the rest take the schedule's next free slots (Mondays), the skipped 18 January too
    assert [days[n] for n in (4, 5, 6)] == [dt.date(2026, 12, 28), dt.date(2027, 1, 4),
                                             dt.date(2027, 1, 11)]
    late = course_calendar(plan, today=dt.date(2027, 1, 12))
    assert [late.dates[n].date() for n in (4, 5, 6)] == [
        dt.date(2027, 1, 25), dt.date(2027, 2, 1), dt.date(2027, 2, 8)]  # 18 Jan skipped
    assert dt.date(2027, 1, 18) in late.offered


def test_a_cancelled_session_is_still_owed():
    plan, _ = built(PLAN + "\nlog\n  2026-12-07 session 1 held\n  2026-12-14 session 2 "
                    "cancelled\n")
    dates = course_calendar(plan, today=dt.date(2026, 12, 15)).dates
    assert dates[2].date() == dt.date(2026, 12, 21) and dates[3].date() == dt.date(2026, 12, 28)


def test_a_plan_without_a_log_keeps_its_dates_whatever_the_day():
    plan, _ = built(PLAN)
    assert (course_calendar(plan, today=dt.date(2030, 1, 1)).dates
            == course_calendar(plan, today=dt.date(2020, 1, 1)).dates)
    assert course_calendar(plan).dates[1].date() == dt.date(2026, 12, 7)


def test_fmt_lays_out_the_log_and_is_idempotent():
    text = PLAN + "log\n2026-12-07 session 1 held   # on time\nscore PHQ-9 19 items 2 2 3 2 2 3 2 2 1\n"
    formatted = format_text(text)
    assert formatted is not None and format_text(formatted) == formatted
    lines = formatted.splitlines()
    assert lines[lines.index("log") - 1] == ""  # a top-level block
    assert any(line.startswith("  2026-12-07 session 1 held") and line.endswith("# on time")
               for line in lines)
    assert "    score PHQ-9 19 items 2 2 3 2 2 3 2 2 1" in lines


@pytest.mark.parametrize("text", [
    PLAN + "\n2026-12-07 session 1 held\n    score PHQ-9 12\n    note \"x\"\n",
    PLAN + "\nlog\n  2026-12-07 session 1 attended\n    score PHQ-9 12\n    risk \"x\"\n",
])
def test_lines_under_an_entry_that_cannot_be_used_are_not_reported_again(text):
    _, diagnostics = built(text)
    assert len(diagnostics) == 1
