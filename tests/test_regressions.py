"""Odd but valid plans and near-misses found in review: each once crashed a rule, misled
a clinician, or hid a problem."""

from __future__ import annotations

from conftest import REFERENCE
from ipt_plan import load_string
from ipt_plan.knowledge import catalogue, find_profile
from ipt_plan.rules import RULES, Context

TEXT = REFERENCE.read_text(encoding="utf-8")


def check(text: str):
    return load_string(text, "plan.iptplan").diagnostics


def codes(text: str) -> list[str]:
    return sorted(d.code for d in check(text))


def test_ending_discussed_twice_in_one_session():
    text = TEXT.replace("    termination_discussion", "    termination_discussion\n    termination_discussion")
    assert codes(text) == []


def test_schedule_at_the_end_of_the_calendar():
    text = TEXT.replace("from 2026-12-07", "from 9999-12-06").replace("skip 2026-12-28", "skip 9999-12-27")
    assert all("could not apply" not in d.message for d in check(text))


def test_prerequisite_met_for_each_of_two_foci():
    text = TEXT.replace('communication_analysis for sister "', 'communication_analysis for sister, retirement "')
    text = text.replace('role_play for sister "', 'role_play for sister, retirement "')
    assert "IPT304" not in codes(text)
    late = text.replace('communication_analysis for sister, retirement "', 'communication_analysis for sister "')
    late = late.replace("    decision_analysis for sister\n", "")
    (d,) = [d for d in check(late) if d.code == "IPT304"]
    assert d.message == ("role_play for 'retirement' comes before any communication_analysis "
                         "or decision_analysis for it")


def test_session_outside_its_phase_is_still_checked():
    text = TEXT.replace("  session 15\n    recognize_competence",
                        "  session 17\n    made_up_technique\n    mourn_old_role for sister")
    assert codes(text).count("IPT102") == 1
    assert {"IPT002", "IPT205"} <= set(codes(text))


def test_too_few_foci_says_how_many():
    result = load_string(TEXT)
    profile = find_profile("ipt")._replace(name="three", foci=(3, 3))
    (finding,) = RULES["IPT201"].check(Context(result.plan, profile, catalogue(), result.graph))
    assert finding.message == "this plan has 2 foci; the three protocol works on 3"


def test_skip_hint_names_the_nearest_session_dates():
    text = TEXT.replace("schedule weekly", "schedule twice weekly").replace(
        "skip 2026-12-28", "skip 2026-12-29")
    (d,) = [d for d in check(text) if d.code == "IPT106" and "skip" in d.message]
    assert d.hint == "the nearest session dates are Mon 2026-12-28 and Thu 2026-12-31"


def test_dates_and_intervals_that_cannot_be():
    assert [d.message for d in check(TEXT.replace("skip 2026-12-28", "skip 0000-01-01"))] == [
        "0000-01-01 is not a date: there is no year 0"]
    zero = check(TEXT.replace("schedule weekly from", "schedule every 0 weeks from"))
    assert [d.code for d in zero] == ["IPT001"]
    assert [d.message for d in check(TEXT.replace("2026-12-07", "2027-02-30"))] == [
        "2027-02-30 is not a date: February 2027 has 28 days"]


def test_a_file_with_only_a_broken_title_is_not_called_empty():
    diagnostics = check("plan Ms A\n")
    assert len(diagnostics) == 1 and "empty" not in diagnostics[0].message


def test_phases_written_out_of_order_are_one_problem_not_many():
    initial, rest = TEXT.split("phase middle", 1)
    middle, termination = ("phase middle" + rest).split("phase termination", 1)
    swapped = initial + "phase termination" + termination + "\n" + middle
    assert codes(swapped) == ["IPT105"]


def test_singular_and_plural_session_in_phase_lines_mean_the_same():
    assert codes(TEXT.replace("phase middle sessions 4-13", "phase middle session 4-13")) == []
    assert codes(TEXT.replace("phase termination sessions 14-16",
                              "phase termination session 14\nphase ending sessions 15-16")) != []


def test_activities_of_a_duplicate_session_are_still_checked():
    text = TEXT.replace("  session 9\n    mourn_old_role for retirement",
                        "  session 8\n    mourn_old_role for sister")
    assert sorted(codes(text)) == ["IPT003", "IPT205"]


def test_broken_lines_do_not_move_their_children_elsewhere():
    text = TEXT.replace('focus retirement: role_transition "', 'focus retirement "')
    # the goal under the broken focus must not become a goal of 'sister'
    plan = load_string(text).plan
    assert len(plan.focus("sister").goals) == 2
    text = TEXT.replace("  session 8\n    goal_review", "  sesion 8\n    goal_review")
    plan = load_string(text).plan
    session_6 = next(s for _, s in plan.sessions() if s.number == 6)
    assert [a.name.text for a in session_6.activities] == ["role_play"]


def test_a_mistyped_huge_range_is_capped():
    diagnostics = check(TEXT.replace("sessions 14-16", "sessions 14-2000000"))
    assert any("more than a plan can hold" in d.message for d in diagnostics)


def test_did_you_mean_ignores_case():
    (d,) = check(TEXT.replace("measure PHQ-9", "measure phq-9"))
    assert d.hint == "did you mean 'PHQ-9'?"
    (d,) = check(TEXT.replace("protocol ipt", "protocol IPT"))
    assert d.hint.startswith("did you mean 'ipt'?")


def test_a_long_line_of_letters_is_checked_without_trying_each_letter_as_a_start():
    """The search for names written apart (`role play`) once backtracked from every
    character of a long word: a line of 30,000 letters took 13 s. The alarm is a guard
    against that hang, not a measure: the check takes milliseconds."""
    import signal

    from ipt_plan import load_string

    def hung(*_):
        raise AssertionError("checking one long line did not finish in 30 s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(30)
    try:
        result = load_string('plan "x"\n' + "a" * 300_000 + "\n")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert [d.code for d in result.diagnostics].count("IPT001") >= 1
