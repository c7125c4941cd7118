"""Agendas as data: what each session of a course holds, before any template lays it out."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import PLANS, REFERENCE
from ipt_plan import load_file, load_string
from ipt_plan.agenda import AgendaError, course_from_result
from ipt_plan.knowledge import ProfileError, profile_from_toml


@pytest.fixture(scope="module")
def course():
    return course_from_result(load_file(REFERENCE))


def by_number(course, number):
    (agenda,) = [s for s in course.sessions if s.number == number]
    return agenda


def names(items):
    return [item.name for item in items]


def test_one_agenda_per_session_of_the_course(course):
    assert [s.number for s in course.sessions] == list(range(1, 17))
    assert {s.total for s in course.sessions} == {16} and course.total_sessions == 16
    assert by_number(course, 7).line is None  # not written out, still on the course
    assert by_number(course, 6).line == 42


def test_dates_follow_the_schedule_and_its_skip(course):
    six = by_number(course, 6)
    assert (six.date, six.date_long, six.time, six.minutes) == (
        "2027-01-18", "Monday 18 January 2027", "10:00", 50)
    # 2026-12-28 is skipped, so session 4 moves from that Monday to the next.
    assert by_number(course, 3).date == "2026-12-21" and by_number(course, 4).date == "2027-01-04"
    assert course.skipped_dates == ("2026-12-28",)


def test_phase_and_its_purpose(course):
    one, six, fifteen = by_number(course, 1), by_number(course, 6), by_number(course, 15)
    assert (one.phase, six.phase, fifteen.phase) == ("initial", "middle", "termination")
    assert six.phase_label == "Middle phase"
    assert six.phase_purpose.startswith("Work on the chosen problem area")


def test_sessions_remain_from_the_middle_phase_on(course):
    remaining = {s.number: s.sessions_remaining for s in course.sessions}
    assert [remaining[n] for n in (1, 2, 3)] == [None, None, None]
    assert (remaining[4], remaining[6], remaining[14], remaining[16]) == (12, 10, 2, 0)


def test_homework_given_then_reviewed_at_the_next_session(course):
    four, five, six = by_number(course, 4), by_number(course, 5), by_number(course, 6)
    text = "Write down each request Anna makes this week and your answer"
    assert [h.detail for h in four.homework_given] == [text]
    assert [h.detail for h in five.homework_to_review] == [text]
    assert five.homework_given == () and six.homework_to_review == ()
    assert four.homework_to_review == () and five.reviews_homework


def test_measures_due_by_their_cadence():
    course = course_from_result(load_file(PLANS / "grief-husband-death.iptplan"))
    due = {s.number: [m.name for m in s.measures_due] for s in course.sessions}
    # "every 4 sessions": the baseline at the first session, then every multiple of 4,
    # so that the course ends with a rating
    assert [n for n, names in due.items() if "HAM-D" in names] == [1, 4, 8, 12, 16]
    assert due[1] == ["PHQ-9", "HAM-D"] and due[5] == ["PHQ-9"] and due[16] == ["PHQ-9", "HAM-D"]
    assert by_number(course, 1).measures_due[0].label.startswith("Patient Health Questionnaire")


def test_standing_tasks_come_from_the_profile_and_are_not_repeated(course):
    # Middle phase: the plan's `every session` already has symptom_review (session 5
    # reviews session 4's homework; session 7 has none to review, so no review).
    five, seven = by_number(course, 5), by_number(course, 7)
    assert names(five.every_session) == ["symptom_review", "homework_review"]
    assert names(seven.every_session) == ["symptom_review"] and seven.reviews_homework
    assert names(seven.standing_tasks) == ["link_mood_to_events"]
    assert seven.standing_tasks[0].line is None and seven.standing_tasks[0].prompts
    # Initial phase: session 1 writes symptom_review itself; session 2 gets it from the profile.
    assert names(by_number(course, 1).standing_tasks) == []
    assert names(by_number(course, 2).standing_tasks) == ["symptom_review"]
    # Termination: the ending is discussed in every session, written or not.
    assert names(by_number(course, 14).standing_tasks) == []
    assert names(by_number(course, 15).standing_tasks) == ["termination_discussion"]
    assert names(five.routine) == ["symptom_review", "homework_review", "link_mood_to_events"]


def test_activities_carry_catalogue_text_plan_detail_and_foci(course):
    (role_play,) = by_number(course, 6).techniques
    assert (role_play.label, role_play.detail, role_play.foci, role_play.line) == (
        "Role play", "Saying no to the Thursday appointment", ("sister",), 43)
    assert role_play.description.startswith("Rehearse a conversation")
    assert role_play.prompts[0].startswith("Let's practise") and role_play.prompts_are_questions
    psychoeducation = by_number(course, 1).techniques[1]
    assert psychoeducation.name == "psychoeducation" and not psychoeducation.prompts_are_questions


def test_foci_come_from_what_the_session_works_on(course):
    assert [f.id for f in by_number(course, 3).foci] == ["sister", "retirement"]  # formulation
    assert [f.id for f in by_number(course, 9).foci] == ["retirement"]  # mourn_old_role
    assert by_number(course, 7).foci == ()
    sister = by_number(course, 6).foci[0]
    assert (sister.area_label, sister.stage, len(sister.goals)) == ("Role dispute", "renegotiation", 2)


def test_a_pretreatment_session_zero_is_on_the_course_but_not_counted():
    course = course_from_result(load_file(PLANS / "group-loneliness-isolation.iptplan"))
    assert [s.number for s in course.sessions] == list(range(0, 9))
    zero = course.sessions[0]
    assert (zero.total, zero.phase, zero.sessions_remaining) == (8, "pretreatment", None)
    # `every session` includes session 0, the course's first session
    assert [m.name for m in zero.measures_due] == ["PHQ-9"]
    assert zero.standing_tasks == ()  # the profile names none for the pre-group session
    assert [n.detail for n in zero.notes][1].startswith("Worried about speaking")


def test_overview_rows_and_phases(course):
    row = course.rows[3]
    assert (row.number, row.date, row.title, row.foci, row.homework) == (
        4, "2027-01-04", "The hospital appointment argument", ("sister",), True)
    assert row.techniques == ("Assess the dispute's stage", "Communication analysis")
    middle = course.phases[1]
    assert (middle.first, middle.last, middle.every_session, middle.standing_tasks) == (
        4, 13, ("Symptom review", "Homework review"), ("Linking mood to events",))


def test_a_plan_without_schedule_has_no_dates(reference_text):
    text = "\n".join(line for line in reference_text.split("\n")
                     if not line.lstrip().startswith(("schedule", "skip")))
    course = course_from_result(load_string(text, "no-dates.iptplan"))
    assert {(s.date, s.date_long, s.time, s.minutes) for s in course.sessions} == {
        (None, None, None, None)}
    assert course.cadence is None and len(course.sessions) == 16


def test_a_plan_with_errors_has_no_agendas(reference_text):
    broken = load_string(reference_text.replace("  stage renegotiation\n", ""), "b.iptplan")
    with pytest.raises(AgendaError, match="has errors.*ipt-plan check b.iptplan"):
        course_from_result(broken)


def test_agenda_module_does_not_import_jinja2():
    code = "import sys, ipt_plan.agenda; print(any(m.startswith('jinja2') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


PROFILE = '''
name = "clinic"
title = "Clinic course"
source = "Clinic protocol"
sessions = [12, 16]
'''


def test_profile_without_standing_table_has_no_standing_tasks():
    profile = profile_from_toml(PROFILE, "clinic.toml")
    assert profile.standing == () and profile.standing_tasks("middle") == ()


def test_profile_standing_table_is_checked():
    good = profile_from_toml(PROFILE + '[standing]\nmiddle = ["goal_review"]\n', "c.toml")
    assert good.standing_tasks("middle") == ("goal_review",) and good.standing_tasks("initial") == ()
    with pytest.raises(ProfileError, match="'standing' names the phase midle"):
        profile_from_toml(PROFILE + '[standing]\nmidle = ["goal_review"]\n', "c.toml")
    with pytest.raises(ProfileError, match="'standing.middle' names goal_reveiw"):
        profile_from_toml(PROFILE + '[standing]\nmiddle = ["goal_reveiw"]\n', "c.toml")
    with pytest.raises(ProfileError, match="'standing.initial' asks for relapse_prevention, "
                                           "which belongs to the termination, continuation, maintenance"):
        profile_from_toml(PROFILE + '[standing]\ninitial = ["relapse_prevention"]\n', "c.toml")
    with pytest.raises(ProfileError, match="forbids"):
        profile_from_toml(PROFILE + 'forbidden = ["homework_review"]\n'
                          '[standing]\nmiddle = ["homework_review"]\n', "c.toml")
