"""A supervisor's usual catches, each shown on a small whole plan: a grief focus mourns a
death that has happened; the initial tasks come in order and include psychoeducation and
the sick role; a dispute's stage drives the strategy; the course is measured, with a
score at its first and last session. A rule about a phase the plan does not have (an
ipt-m course has no initial or middle phase) says nothing."""

from __future__ import annotations

import pytest

from ipt_plan import load_file, load_string
from ipt_plan.config import Config
from ipt_plan.knowledge import (ProfileError, available_profiles, catalogue, find_profile,
                                profile_from_toml)
from ipt_plan.skeleton import skeleton

NO_CONFIG = Config()

# A clean acute course, with parts to replace: {header} after the protocol line, {foci},
# and each phase's sessions.
COURSE = '''plan "Ms. A: caregiving conflict with her sister"
  protocol {protocol}
{header}
{foci}
phase initial sessions 1-3
{initial}
phase middle sessions 4-13
{middle}
phase termination sessions 14-16
{termination}'''
HEADER = "  measure PHQ-9 every session"
DISPUTE = '''focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"'''
INITIAL = '''  session 1
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation
    treatment_contract'''
MIDDLE = '''  session 5
    communication_analysis'''
TERMINATION = '''  session 14
    termination_discussion
  session 16
    relapse_prevention'''


def course(*, protocol: str = "ipt", header: str = HEADER, foci: str = DISPUTE,
           initial: str = INITIAL, middle: str = MIDDLE, termination: str = TERMINATION) -> str:
    return COURSE.format(protocol=protocol, header=header, foci=foci, initial=initial,
                         middle=middle, termination=termination)


def found(text: str):
    return load_string(text, "plan.iptplan", config=NO_CONFIG).diagnostics


def codes(text: str) -> list[str]:
    return [d.code for d in found(text)]


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), 1) if fragment in line)


def test_the_base_course_is_clean():
    assert found(course()) == ()


# --- 1. IPT204: grief needs a death that has happened --------------------------------------

SCHEDULE = "  schedule weekly from 2027-03-01 at 10:00 for 50 min\n" + HEADER
GRIEF_MIDDLE = '''  session 5
    facilitate_mourning'''


def grief(died: str, header: str = SCHEDULE) -> str:
    return course(header=header, foci=f'''focus father: grief "Her father's death"
  died {died}
  goal "Talk about him with her sister"''', middle=GRIEF_MIDDLE)


def test_a_death_dated_after_the_first_session_is_an_error():
    text = grief("2027-03-02")
    [diag] = found(text)
    assert (diag.code, diag.severity.value, diag.line) == ("IPT204", "error",
                                                          line_of(text, "died 2027-03-02"))
    assert "2027-03-02, after the course begins (session 1 on 2027-03-01)" in diag.message
    assert "role transition" in diag.hint and "terminal illness" in diag.hint


def test_a_death_before_or_on_the_day_of_the_first_session_is_grief():
    assert found(grief("2027-02-28")) == ()
    assert found(grief("2027-03-01")) == ()


def test_a_month_alone_is_after_only_when_its_month_is_later():
    assert found(grief("2027-03")) == ()  # the course begins on 1 March: March may be before
    assert codes(grief("2027-04")) == ["IPT204"]
    assert codes(grief("2028-01")) == ["IPT204"]


def test_without_a_schedule_no_date_is_compared():
    assert found(grief("2099-12-31", header=HEADER)) == ()


def test_the_first_session_is_session_0_where_the_plan_has_one():
    text = '''plan "Mrs. P: after her mother's death"
  protocol ipt-brief
  schedule weekly from 2027-03-01 at 10:00 for 50 min
  measure PHQ-9 every session

focus mother: grief "Her mother died in the spring"
  died {died}
  goal "Talk about her mother with her brother"

phase pretreatment session 0
  session 0
    psychoeducation

phase initial sessions 1-2
  session 1
    sick_role
    interpersonal_inventory
  session 2
    formulation
    treatment_contract

phase middle sessions 3-6
  session 3
    facilitate_mourning

phase termination sessions 7-8
  session 7
    termination_discussion
  session 8
    relapse_prevention
'''
    assert found(text.format(died="2027-03-01")) == ()
    [diag] = found(text.format(died="2027-03-05"))  # after session 0, before session 1
    assert diag.code == "IPT204" and "(session 0 on 2027-03-01)" in diag.message


# --- 2. IPT301: the initial tasks in order --------------------------------------------------


def test_a_formulation_before_any_inventory_is_an_error_at_the_formulation():
    initial = '''  session 1
    psychoeducation
    sick_role
  session 2
    formulation
    treatment_contract
  session 3
    interpersonal_inventory'''
    text = course(initial=initial)
    [diag] = found(text)  # one mistake, one message: not the contract too, nor IPT304
    assert (diag.code, diag.severity.value, diag.line) == ("IPT301", "error",
                                                          line_of(text, "    formulation"))
    assert diag.message == ("formulation at session 2 comes before any interpersonal_inventory, "
                            "which it builds on (first at session 3)")
    assert "give formulation at session 3 or later" in diag.hint


def test_a_contract_before_the_formulation_is_an_error_at_the_contract():
    initial = '''  session 1
    psychoeducation
    sick_role
    interpersonal_inventory
    treatment_contract
  session 3
    formulation'''
    text = course(initial=initial)
    [diag] = found(text)
    assert (diag.code, diag.line) == ("IPT301", line_of(text, "treatment_contract"))
    assert diag.message.startswith("treatment_contract at session 1 comes before any formulation")


def test_tasks_may_share_a_session_in_any_written_order():
    initial = '''  session 1
    psychoeducation
    sick_role
  session 2
    treatment_contract
    formulation
    interpersonal_inventory'''
    assert found(course(initial=initial)) == ()


def test_a_task_missing_is_reported_once_and_not_as_out_of_order():
    initial = '''  session 1
    psychoeducation
    sick_role
  session 3
    formulation
    treatment_contract'''
    [diag] = found(course(initial=initial))
    assert diag.message == "the initial phase has no interpersonal_inventory"


def test_the_order_is_the_profile_s_data(tmp_path):
    clinic = (tmp_path / "clinic.toml")
    base = '''name = "clinic"
title = "Our clinic's IPT"
source = "Our clinic"
sessions = [12, 16]
initial_tasks = ["interpersonal_inventory", "formulation", "treatment_contract"]
termination_tasks = ["termination_discussion", "relapse_prevention"]
'''
    initial = '''  session 2
    formulation
    treatment_contract
  session 3
    interpersonal_inventory'''
    clinic.write_text(base, encoding="utf-8")  # no initial_order: no order is asked
    (tmp_path / "ordered.toml").write_text(
        base + 'initial_order = ["interpersonal_inventory", "formulation"]\n', encoding="utf-8")
    for profile, expected in (("clinic.toml", []), ("ordered.toml", ["IPT301"])):
        plan = tmp_path / f"with-{profile}.iptplan"
        plan.write_text(course(protocol=f'"{profile}"', initial=initial), encoding="utf-8")
        assert [d.code for d in load_file(plan, config=NO_CONFIG).diagnostics] == expected
    for wrong, why in (('["formulation", "formulation"]', "more than once"),
                       ('["role_play"]', "does not belong to the initial phase"),
                       ('["formulaton"]', "does not know")):
        with pytest.raises(ProfileError, match=why):
            profile_from_toml(base + f"initial_order = {wrong}\n", "clinic.toml")


# --- 3. IPT301: psychoeducation and the sick role are initial tasks --------------------------


def test_psychoeducation_and_the_sick_role_given_nowhere_are_errors():
    initial = INITIAL.replace("    psychoeducation\n", "")
    text = course(initial=initial)
    [diag] = found(text)
    assert (diag.code, diag.severity.value, diag.line) == ("IPT301", "error",
                                                          line_of(text, "phase initial"))
    assert diag.message == "the initial phase has no psychoeducation"
    [diag] = found(course(initial=INITIAL.replace("    sick_role\n", "")))
    assert diag.message == "the initial phase has no sick_role"


def test_given_only_after_the_initial_phase_is_the_ipt303_warning_alone():
    initial = INITIAL.replace("    psychoeducation\n", "")
    middle = MIDDLE + "\n  session 6\n    psychoeducation"
    text = course(initial=initial, middle=middle)
    [diag] = found(text)
    assert (diag.code, diag.severity.value, diag.line) == ("IPT303", "warning",
                                                          line_of(text, "    psychoeducation"))


def test_a_task_given_later_where_it_belongs_is_not_given_in_the_initial_phase():
    # A contract in continuation sessions renews one; IPT303 says nothing of it, so the
    # missing contract of the course is still this error: never neither rule.
    initial = INITIAL.replace("\n    treatment_contract", "")
    text = course(initial=initial) + '''
phase continuation sessions 17-18
  session 17
    treatment_contract
'''
    assert [d.message for d in found(text)] == ["the initial phase has no treatment_contract"]


def test_a_pretreatment_session_0_counts_as_initial():
    text = '''plan "Mr. R: group IPT"
  protocol ipt-group
  schedule weekly from 2027-09-06 at 18:00 for 90 min
  measure PHQ-9 every session

focus isolation: interpersonal_deficits "Lives alone since his brother moved away"
  goal "Talk to someone outside the group every week"

phase pretreatment session 0
  session 0 "Pre-group meeting"
    psychoeducation
    interpersonal_inventory
    formulation
phase initial session 1
  session 1
    sick_role
    treatment_contract
phase middle sessions 2-7
  session 3
    reduce_isolation
  session 7
    termination_discussion
phase termination session 8
  session 8
    termination_discussion
    relapse_prevention
'''
    assert found(text) == ()


def adolescent(**parts) -> str:
    """The course as IPT-A, its parent joining the first and the last session (IPT308)."""
    initial = parts.pop("initial", INITIAL).replace("  session 1", "  session 1 with parent")
    termination = TERMINATION.replace("  session 16", "  session 16 with parent")
    return course(protocol="ipt-a", initial=initial, termination=termination, **parts)


def test_the_adolescents_limited_sick_role_is_named_in_the_hint():
    text = adolescent(initial=INITIAL.replace("    sick_role\n", ""))
    [diag] = found(text)
    assert diag.message == "the initial phase has no sick_role"
    assert "sick_role, a limited one (school goes on;" in diag.hint


def test_every_profile_with_an_initial_phase_asks_for_both():
    profiles = available_profiles()
    for name, profile in profiles.items():
        asked = {"psychoeducation", "sick_role"} <= set(profile.initial_tasks)
        # IPT-M: the patient has recovered, and its initial phase only renews the contract.
        assert asked == (name != "ipt-m"), name
        assert "initial" in profile.phases + profile.optional_phases, name


# --- 4. IPT207: the stage drives the strategy ------------------------------------------------


def dispute(*stages: str) -> str:
    lines = "\n".join(f"  stage {stage}" for stage in stages)
    return f'''focus sister: role_dispute "Sister Anna directs the care of their mother"
{lines}
  goal "Say what I can and cannot do, calmly"'''


EXPLORING = '''  session 5
    exploration for sister'''


def test_a_dissolved_dispute_with_no_transition_work_is_warned_at_its_stage_line():
    text = course(foci=dispute("renegotiation", "dissolution from session 9"))
    [diag] = found(text)
    assert (diag.code, diag.severity.value, diag.line) == (
        "IPT207", "warning", line_of(text, "stage dissolution"))
    assert diag.message == ("the role dispute 'sister' is at dissolution from session 9, but no "
                            "middle-phase session works on it as a role transition")
    assert "mourn_old_role for sister (or evaluate_new_role or build_new_skills)" in diag.hint


def test_transition_work_for_the_dispute_meets_it():
    for work in ("  session 10\n    mourn_old_role for sister",
                 "  session 11\n    build_new_skills for sister",
                 "  every session\n    evaluate_new_role for sister"):
        text = course(foci=dispute("dissolution"), middle=work + "\n" + MIDDLE)
        assert found(text) == (), work


def test_transition_work_for_another_focus_does_not():
    foci = dispute("dissolution") + '''
focus retirement: role_transition "Retired in June after 30 years at the library"
  goal "Two weekly activities with people outside the family"'''
    initial = INITIAL.replace("    formulation", "    formulation for sister, retirement")
    middle = MIDDLE + " for sister\n  session 6\n    mourn_old_role"  # the retirement's
    assert codes(course(foci=foci, initial=initial, middle=middle)) == ["IPT207"]


def test_a_dissolution_only_after_the_middle_phase_is_not_judged():
    assert found(course(foci=dispute("renegotiation", "dissolution from session 15"))) == ()


def test_an_impasse_that_never_moves_and_is_not_worked_on_gets_a_softer_note():
    text = course(foci=dispute("impasse"), middle=EXPLORING)
    [diag] = found(text)
    assert (diag.code, diag.severity.value, diag.line) == (
        "IPT207", "warning", line_of(text, "stage impasse"))
    assert diag.message == ("the role dispute 'sister' stays at impasse, and no middle-phase "
                            "session works to move it")
    assert diag.hint.startswith("consider reopening the disagreement")


def test_an_impasse_worked_on_or_moved_is_not_noted():
    assert found(course(foci=dispute("impasse"))) == ()  # communication_analysis for it
    worked = EXPLORING + "\n  session 7\n    explore_expectations for sister"
    assert found(course(foci=dispute("impasse"), middle=worked)) == ()
    moved = dispute("impasse", "renegotiation from session 8")
    assert found(course(foci=moved, middle=EXPLORING)) == ()


def test_work_before_the_impasse_began_does_not_move_it():
    text = course(foci=dispute("renegotiation", "impasse from session 10"))  # analysis at 5
    assert codes(text) == ["IPT207"]
    worked = MIDDLE + "\n  session 11\n    decision_analysis"
    assert found(course(foci=dispute("renegotiation", "impasse from session 10"),
                        middle=worked)) == ()


def test_each_stage_s_techniques_are_catalogue_data():
    area = catalogue().areas["role_dispute"]
    assert area.work_at("dissolution") == ("mourn_old_role", "evaluate_new_role",
                                           "build_new_skills")
    assert area.work_at("impasse") == ("explore_expectations", "communication_analysis",
                                       "decision_analysis", "role_play")
    assert area.work_at("renegotiation") == ()


def test_transition_work_before_the_dissolution_is_ipt205_s_error_alone():
    early = MIDDLE + "\n  session 6\n    mourn_old_role for sister"
    assert codes(course(foci=dispute("renegotiation", "dissolution from session 9"),
                        middle=early)) == ["IPT205"]


# --- 5. IPT108: the course is measured, with a score at each end -------------------------------


def test_a_plan_with_no_measure_line_is_warned_at_its_plan_line():
    text = course(header="")
    [diag] = found(text)
    assert (diag.code, diag.severity.value, diag.line) == ("IPT108", "warning", 1)
    assert diag.message == ("this plan has no measure line, so no rating scale follows the "
                            "depression")
    assert "measure PHQ-9 every session" in diag.hint and "NG222" in diag.hint
    # The protocol's usual scale is the one offered.
    [diag] = found(adolescent(header=""))
    assert "like: measure HAM-D every session" in diag.hint


def test_one_scale_at_each_end_is_enough():
    assert found(course(header="  measure PHQ-9 at sessions 1, 16")) == ()
    both = "  measure HAM-D at sessions 1, 8\n  measure PHQ-9 every 4 sessions"  # 4, 8, 12, 16
    assert found(course(header=both)) == ()


def test_no_score_at_the_first_session_is_no_baseline():
    text = course(header="  measure PHQ-9 at sessions 4, 8, 16")
    [diag] = found(text)
    assert (diag.code, diag.line) == ("IPT108", line_of(text, "measure PHQ-9"))
    assert diag.message == ("no rating scale is rated at session 1, the course's first session: "
                            "there is no baseline to judge response or remission against")
    assert diag.hint.startswith("rate one there, like: measure PHQ-9 at sessions 1, 4, 8, 16")


def test_no_score_at_the_last_session_is_no_end_score():
    [diag] = found(course(header="  measure PHQ-9 every 5 sessions"))  # 1, 5, 10, 15
    assert diag.message.startswith("no rating scale is rated at session 16, the course's last")
    assert "measure PHQ-9 at sessions 1, 5, 10, 15, 16" in diag.hint


def test_the_baseline_is_session_0_where_the_plan_has_one():
    text = '''plan "Mr. R: group IPT"
  protocol ipt-group
  measure PHQ-9 {when}

focus isolation: interpersonal_deficits "Lives alone since his brother moved away"
  goal "Talk to someone outside the group every week"

phase pretreatment session 0
  session 0
    psychoeducation
    sick_role
    interpersonal_inventory
    formulation
phase initial session 1
  session 1
    treatment_contract
phase middle sessions 2-7
  session 3
    reduce_isolation
  session 7
    termination_discussion
phase termination session 8
  session 8
    termination_discussion
    relapse_prevention
'''
    assert found(text.format(when="every 4 sessions")) == ()  # 0, 4, 8
    [diag] = found(text.format(when="at sessions 1, 8"))
    assert diag.message.startswith("no rating scale is rated at session 0, the course's first")


def test_continuation_sessions_are_not_the_course_s_last():
    boosters = '''
phase continuation sessions 17-19
  session 17
    relapse_prevention'''
    [diag] = found(course(header="  measure PHQ-9 at sessions 1, 19") + boosters)
    assert diag.message.startswith("no rating scale is rated at session 16, the course's last")
    assert found(course(header="  measure PHQ-9 at sessions 1, 16, 19") + boosters) == ()


def test_a_broken_measure_line_is_one_mistake_with_one_message():
    assert codes(course(header="  measure PHQ-9")) == ["IPT001"]
    # And a scale rated past the course's end: IPT102 names the session, IPT108 says nothing.
    assert codes(course(header="  measure PHQ-9 at sessions 1, 17")) == ["IPT102"]


def test_new_plans_rate_the_last_session_too():
    for name in available_profiles():
        text = skeleton(find_profile(name), ["role_transition"]).text
        assert "IPT108" not in codes(text), name


# --- 11. A rule about a phase the plan does not have does not apply ---------------------------

MAINTENANCE_FOCI = '''focus husband: role_dispute "Her husband left in the spring"
  stage impasse
  stage dissolution from session 4
  goal "Settle the arrangements for the children calmly"
focus mother: grief "Her mother died in 2025"
  died 2025-11
  goal "Visit her mother's grave with her sister"'''
MAINTENANCE_WORK = '''  session 5
    facilitate_mourning
    clarification for husband'''


def test_an_ipt_m_course_without_initial_middle_or_termination_phase_is_not_judged_by_them():
    # Maintenance IPT: no initial phase (no psychoeducation, sick role, inventory or
    # formulation; the contract before any formulation), no middle phase (a dispute at
    # dissolution worked on with none of its stage's techniques), no termination phase
    # (the scale rated at neither end): none of that is said of it.
    text = f'''plan "Mrs. V: staying well after her third episode"
  protocol ipt-m
  schedule monthly from 2027-01-04 at 10:00 for 50 min
  measure HAM-D at sessions 6, 9

{MAINTENANCE_FOCI}

phase maintenance sessions 1-12
  every session
    symptom_review
  session 1
    risk_assessment
    treatment_contract
{MAINTENANCE_WORK}
'''
    assert found(text) == ()
    # The same foci, work and scale in an acute course with those phases: each rule speaks.
    acute = course(header="  schedule weekly from 2027-01-04 at 10:00 for 50 min\n"
                          "  measure HAM-D at sessions 6, 9",
                   foci=MAINTENANCE_FOCI, initial="  session 3\n    treatment_contract",
                   middle=MAINTENANCE_WORK)
    assert sorted(set(codes(acute))) == ["IPT108", "IPT207", "IPT301"]
