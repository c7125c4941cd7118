"""The language of a course as it is delivered: who attends, how and when, a rhythm that
changes, a dispute's stage over time, a death for grief, measures at chosen sessions,
notes on a phase. Each form is read into the model, and each mistake in it gets one
message at its place."""

from __future__ import annotations

import datetime as dt

import pytest

from ipt_plan.builder import build
from ipt_plan.formatter import format_text
from ipt_plan.model import Measure, Word, Loc
from ipt_plan.parser import parse
from ipt_plan.schedule import appointments, course_calendar

HEADER = """plan "Ms. B: after her husband's death"
  protocol ipt
  schedule weekly from 2026-01-05 at 10:00 for 50 min
"""

COURSE = """
phase initial sessions 1-3
  session 1 "Assessment"
    interpersonal_inventory
phase middle sessions 4-13
phase termination sessions 14-16
"""


def built(text: str):
    statements, syntax = parse(text)
    plan, diagnostics = build(statements)
    return plan, syntax + diagnostics


def clean(text: str):
    plan, diagnostics = built(text)
    assert diagnostics == []
    return plan


def one_problem(text: str):
    _, diagnostics = built(text)
    assert len(diagnostics) == 1, [d.message for d in diagnostics]
    return diagnostics[0]


def test_session_attributes_in_any_order():
    plan = clean(HEADER + """
phase initial sessions 1-3
  session 1 "Assessment" with parent, interpreter by video for 60 min
  session 2 for 45 min individual in person with carer
  session 3 "Joint session" by telephone group
""")
    one, two, three = plan.phases[0].sessions
    assert [w.text for w in one.participants] == ["parent", "interpreter"]
    assert (one.delivery.text, one.minutes, one.format) == ("video", 60, None)
    assert (two.delivery.text, two.minutes, two.format.text) == ("in_person", 45, "individual")
    assert [w.text for w in two.participants] == ["carer"]
    assert (three.title, three.delivery.text, three.format.text, three.minutes) == (
        "Joint session", "telephone", "group", None)
    # each participant keeps its own place, for a did-you-mean caret
    assert (one.participants[1].loc.line, one.participants[1].loc.column) == (6, 39)


@pytest.mark.parametrize("attributes, message", [
    ("by video by telephone", "session 1 already says how the session is held"),
    ("by video in person", "session 1 already says how the session is held"),
    ("group individual", "session 1 already says the session's format"),
    ("for 50 min for 60 min", "session 1 already says the session's length"),
    ("with parent with carer", "session 1 already says who attends"),
    ("with parent, parent", "parent is listed twice"),
    ("for 0 min", "a session cannot last 0 minutes"),
])
def test_a_session_attribute_said_twice_or_impossible_is_one_error(attributes, message):
    problem = one_problem(HEADER + f"\nphase initial sessions 1-3\n  session 1 {attributes}\n")
    assert problem.message.startswith(message)
    assert problem.line == 6


def test_a_misspelt_delivery_gets_a_did_you_mean():
    problem = one_problem(HEADER + "\nphase initial sessions 1-3\n  session 1 by phone\n")
    assert problem.code == "IPT002" and problem.message == "'phone' is not a way of delivering sessions (in person is written: in person)"
    assert "telephone" in problem.hint and problem.column == len("  session 1 by ") + 1
    problem = one_problem(HEADER.replace("protocol ipt", "protocol ipt\n  delivery vidoe"))
    assert problem.code == "IPT002" and "'video'" in problem.hint
    problem = one_problem(HEADER.replace("protocol ipt", "protocol ipt\n  format groups"))
    assert problem.code == "IPT002" and "group" in problem.hint


def test_header_delivery_and_format_and_session_overrides():
    plan = clean(HEADER.replace("protocol ipt", "protocol ipt-group\n  delivery video") + """
phase pretreatment session 0
phase initial sessions 1-1
  session 1 in person
phase middle sessions 2-7
  session 4 "Mid-course review" individual for 30 min
phase termination sessions 8-8
""")
    held = appointments(plan, course_format="group")
    assert (held[0].format, held[0].delivery) == ("individual", "video")  # the pre-group meeting
    assert (held[1].format, held[1].delivery) == ("group", "in_person")
    assert (held[4].format, held[4].minutes, held[5].minutes) == ("individual", 30, 50)
    assert held[0].when == dt.datetime(2026, 1, 5, 10, 0)
    # a header `format` overrides the protocol's for the course's sessions
    plan = clean(HEADER.replace("protocol ipt", "protocol ipt\n  format group") + COURSE)
    assert appointments(plan)[2].format == "group"
    assert appointments(clean(HEADER + COURSE))[2].format == "individual"


def test_a_rhythm_that_changes_moves_the_dates_and_keeps_time_and_length():
    plan = clean(HEADER.replace("schedule weekly from 2026-01-05 at 10:00 for 50 min",
                                "schedule twice weekly from 2026-01-05 at 10:00 for 50 min\n"
                                "  schedule weekly from session 5\n"
                                "  schedule every 2 weeks from session 13 at 16:00 for 45 min")
                 + COURSE)
    dates = course_calendar(plan).dates
    days = [dates[n].date() for n in range(1, 17)]
    # twice weekly (Mon, Thu) for sessions 1-4
    assert days[:4] == [dt.date(2026, 1, 5), dt.date(2026, 1, 8), dt.date(2026, 1, 12),
                        dt.date(2026, 1, 15)]
    # then weekly: session 5 a week after session 4
    assert days[4] == dt.date(2026, 1, 22)
    assert dates[12].time() == dt.time(10, 0)
    assert days[12] == days[11] + dt.timedelta(weeks=2)  # session 13: two weeks later
    assert dates[13].time() == dt.time(16, 0) and dates[16].time() == dt.time(16, 0)
    held = appointments(plan)
    assert (held[12].minutes, held[13].minutes, held[16].minutes) == (50, 45, 45)
    assert [s.from_session.text for s in plan.schedule_changes] == ["5", "13"]


def test_a_skip_after_a_rhythm_change_moves_sessions_on_the_new_rhythm():
    plan = clean(HEADER.replace("for 50 min", "for 50 min\n  schedule every 2 weeks from "
                                "session 13\n  skip 2026-04-06") + COURSE)
    calendar = course_calendar(plan)
    assert calendar.dates[12].date() == dt.date(2026, 3, 23)
    # session 13 would fall two weeks later, on the skipped 6 April: it moves on a step
    assert calendar.dates[13].date() == dt.date(2026, 4, 20)
    assert dt.date(2026, 4, 6) in calendar.offered


@pytest.mark.parametrize("lines, message, line", [
    ("schedule weekly from session 7\n  schedule weekly from 2026-01-05 at 10:00 for 50 min",
     "the first schedule line gives the first session's date", 2),
    ("schedule weekly from 2026-01-05 at 10:00 for 50 min\n  schedule monthly from session 9\n"
     "  schedule weekly from session 7",
     "the rhythm changes from session 9 on line 3, so a change from session 7 comes before it", 4),
    ("schedule weekly from 2026-01-05 at 10:00 for 50 min\n  schedule monthly from session 9\n"
     "  schedule weekly from session 9", "the rhythm from session 9 is already defined on line 3",
     4),
    ("schedule weekly from 2026-01-05 at 10:00 for 50 min\n  schedule weekly from session 9 "
     "at 25:00", "25:00 is not a time of day", 3),
])
def test_schedule_changes_in_the_wrong_place_or_order(lines, message, line):
    problem = one_problem('plan "x"\n  ' + lines + "\n")
    assert (problem.message, problem.line) == (message, line)


def test_the_stage_in_force_follows_the_stage_lines():
    plan = clean(HEADER + """
focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage impasse
  stage renegotiation from session 7
  stage dissolution from session 12
  goal "Agree a fair rota"
""" + COURSE)
    focus = plan.foci[0]
    assert focus.stage.text == "impasse"
    assert [focus.stage_at(n).text for n in (1, 6, 7, 11, 12, 16)] == [
        "impasse", "impasse", "renegotiation", "renegotiation", "dissolution", "dissolution"]


@pytest.mark.parametrize("stages, message, hint", [
    ("stage renegotiation from session 7",
     "the first stage line gives the stage at the start of the course",
     "write the stage at the start first"),
    ("stage impasse\n  stage renegotiation",
     "the stage of 'sister' is already defined on line 6",
     "to say when the stage changes, write: stage renegotiation from session N"),
    ("stage impasse\n  stage renegotiation from session 9\n  stage dissolution from session 7",
     "the stage changes from session 9 on line 7, so a change from session 7 comes before it",
     "write the stage lines in session order"),
])
def test_stage_lines_out_of_order_are_one_error(stages, message, hint):
    problem = one_problem(HEADER + f'\nfocus sister: role_dispute "x"\n  {stages}\n')
    assert problem.message == message and problem.hint.startswith(hint)


def test_a_death_for_grief_by_day_or_by_month():
    plan = clean(HEADER + '\nfocus husband: grief "Husband died"\n  died 2026-02-14\n'
                 'focus father: grief "Father died"\n  died 2025-11\n')
    husband, father = plan.foci
    assert (husband.died.date, husband.died.month_only, husband.died.text) == (
        dt.date(2026, 2, 14), False, "2026-02-14")
    assert (father.died.date, father.died.month_only, father.died.text) == (
        dt.date(2025, 11, 1), True, "2025-11")


@pytest.mark.parametrize("lines, message", [
    ("died 2026-02-30", "2026-02-30 is not a date: February 2026 has 28 days"),
    ("died 2026-13", "2026-13 is not a date: there is no month 13"),
    ("died 2026-02\n  died 2026-03", "the date of death for 'husband' is already defined on line 6"),
])
def test_a_death_date_that_cannot_be_is_one_error(lines, message):
    problem = one_problem(HEADER + f'\nfocus husband: grief "x"\n  {lines}\n')
    assert problem.message == message


def test_a_died_line_outside_a_focus_is_placed_by_its_message():
    problem = one_problem(HEADER + "  died 2026-02-14\n")
    assert problem.message == "a died line belongs under a focus line"


def test_every_n_sessions_is_the_baseline_and_every_multiple():
    every4 = Measure(Word("PHQ-9", Loc(1, 1, 2)), 4, Loc(1, 1, 2))
    assert [n for n in range(1, 17) if every4.due(n)] == [1, 4, 8, 12, 16]
    every7 = every4._replace(every=7)
    assert [n for n in range(1, 15) if every7.due(n)] == [1, 7, 14]
    assert [n for n in range(0, 17) if every4.due(n, first_session=0)] == [0, 4, 8, 12, 16]
    every1 = every4._replace(every=1)
    assert [n for n in range(0, 4) if every1.due(n, first_session=0)] == [0, 1, 2, 3]
    assert every4.label == "every 4 sessions" and every1.label == "every session"


def test_measures_at_chosen_sessions():
    plan = clean(HEADER + "  measure HAM-D at sessions 1, 7, 14\n  measure EPDS at session 0\n"
                 + COURSE)
    ham_d, epds = plan.measures
    assert [n for n in range(0, 17) if ham_d.due(n)] == [1, 7, 14]
    assert [n for n in range(0, 17) if epds.due(n)] == [0]
    assert ham_d.label == "at sessions 1, 7, 14" and epds.label == "at session 0"
    assert plan.first_session == 1


@pytest.mark.parametrize("line, message", [
    ("measure HAM-D at sessions 1, 7, 7", "session 7 is listed twice"),
    ("measure HAM-D at sessions 7, 1, 14", "list the sessions in order"),
])
def test_measure_sessions_listed_twice_or_out_of_order(line, message):
    assert one_problem(HEADER + f"  {line}\n").message == message


def test_session_zero_is_the_first_session_where_the_plan_has_one():
    assert clean(HEADER + COURSE).first_session == 1
    assert clean(HEADER + "\nphase pretreatment session 0\n" + COURSE).first_session == 0


def test_a_note_directly_under_a_phase_is_the_phases():
    plan = clean(HEADER + """
phase middle sessions 4-13
  note "Mother moves to a care home in March"
  every session
    symptom_review
  session 4
    note "Ask about the move"
""")
    middle = plan.phases[0]
    assert [n.detail for n in middle.notes] == ["Mother moves to a care home in March"]
    assert [a.detail for a in middle.sessions[0].activities] == ["Ask about the move"]


def test_a_continuation_phase_is_read_as_its_own_kind():
    plan = clean(HEADER + COURSE + "phase continuation sessions 17-19\n")
    assert [p.kind for p in plan.phases][-1] == "continuation"


def test_fmt_lays_out_every_new_form_and_is_idempotent():
    text = """plan "x"   # title
protocol ipt
delivery   video
format individual
schedule weekly from 2026-01-05 at 10:00 for 50 min
schedule every 2 weeks   from session 13 at 16:00
measure HAM-D at sessions 1,7,14
focus husband: grief "Husband died"
died 2026-02
focus sister: role_dispute "x"
stage impasse
stage renegotiation   from session 7   # after the family meeting
phase initial sessions 1-3
note "A note on the phase"
session 1 "Assessment"   with parent,interpreter   by video for 60 min
note "A note on the session"
"""
    formatted = format_text(text)
    assert formatted is not None and format_text(formatted) == formatted
    lines = formatted.splitlines()
    assert "  delivery video" in lines and "  died 2026-02" in lines
    assert "  measure HAM-D at sessions 1, 7, 14" in lines
    assert "  schedule every 2 weeks from session 13 at 16:00" in lines
    assert any(line.startswith("  stage renegotiation from session 7") and
               line.endswith("# after the family meeting") for line in lines)
    assert '  note "A note on the phase"' in lines  # with the sessions, not under one
    assert ('  session 1 "Assessment" with parent, interpreter by video for 60 min' in lines)
    assert '    note "A note on the session"' in lines


@pytest.mark.parametrize("line, message", [
    ('session 1 "A" with parent interpreter', "put a comma between the people a session is with"),
    ('session 1 "A" with', "after 'with', name who attends besides the patient"),
    ('session 1 "A" for 60', "a session's length is written: for N min"),
    ('session 1 "A" by', "'by' says how the session is held"),
    ("stage renegotiation from 7", "the session a change starts from is written"),
    ("measure HAM-D at 1, 7", "the sessions a measure is rated at are written"),
    ('died "2026-02-14"', "a died line gives the date of the death, without quotes"),
    ("died 14/02/2026", "a died line gives the date of the death, without quotes"),
])
def test_common_mistakes_in_the_new_forms_are_said_in_words(line, message):
    _, diagnostics = parse(f'plan "x"\n  {line}\n')
    assert len(diagnostics) == 1 and diagnostics[0].message.startswith(message)


def test_a_keyword_ends_at_a_words_end():
    """'interpreter' is a participant, not the `in` of `in person`; 'minutes' is `min`."""
    plan = clean(HEADER + '\nphase initial sessions 1-3\n  session 1 with interpreter for 60 '
                 'minutes\n  session 2 with individualist\n')
    one, two = plan.phases[0].sessions
    assert [w.text for w in one.participants] == ["interpreter"] and one.minutes == 60
    assert [w.text for w in two.participants] == ["individualist"] and two.format is None
    plan = clean(HEADER.replace("for 50 min", "for 50 minutes") + COURSE)
    assert plan.schedule.minutes == 50
