"""The rules read the course forms of the language: a death's date, a dispute's stage over
time, rhythm changes, each session's own length, measures at chosen sessions, and booster
(continuation) sessions after the acute course. Each test is one point a rule now judges,
shown on a small whole plan."""

from __future__ import annotations

from pathlib import Path

from ipt_plan import load_file, load_string
from ipt_plan.config import Config
from ipt_plan.knowledge import available_profiles, catalogue, find_profile
from ipt_plan.skeleton import skeleton
from ipt_plan.wording import joined

from conftest import filled

NO_CONFIG = Config()

HEADER = '''plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  measure PHQ-9 every session
'''
DISPUTE = '''
focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"
'''
INITIAL = '''
phase initial sessions 1-3
  session 1
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation
    treatment_contract
'''
MIDDLE = '''
phase middle sessions 4-13
  session 5
    communication_analysis
'''
TERMINATION = '''
phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
'''


def course(header: str = "", foci: str = DISPUTE, middle: str = MIDDLE,
           termination: str = TERMINATION, after: str = "", protocol: str = "ipt") -> str:
    """A whole plan: the clean acute course of the rules' examples, with parts replaced."""
    return (HEADER.replace("protocol ipt", f"protocol {protocol}") + header + foci + INITIAL
            + middle + termination + after)


def found(text: str, path: str = "plan.iptplan"):
    return load_string(text, path, config=NO_CONFIG).diagnostics


def codes(text: str) -> list[str]:
    return [d.code for d in found(text)]


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), 1) if fragment in line)


# --- 1. IPT204: a grief focus's date of death; IPT002: every stage line -------------------

GRIEF = '''
focus father: grief "Her father died in February"
  goal "Talk about him with her sister"
'''
GRIEF_MIDDLE = '''
phase middle sessions 4-13
  session 5
    facilitate_mourning
'''


def test_a_grief_focus_needs_its_date_of_death():
    text = course(foci=GRIEF, middle=GRIEF_MIDDLE)
    (d,) = found(text)
    assert (d.code, d.severity.value, d.line) == ("IPT204", "error", line_of(text, "focus father"))
    assert d.message == "the grief focus 'father' has no date of death"
    assert "died 2026-02-14" in d.hint and "died 2026-02 " in d.hint


def test_a_day_or_a_month_is_a_date_of_death():
    for died in ("died 2026-02-14", "died 2026-02"):
        foci = GRIEF.replace("  goal", f"  {died}\n  goal")
        assert found(course(foci=foci, middle=GRIEF_MIDDLE)) == ()


def test_a_died_line_belongs_to_a_grief_focus():
    foci = '''
focus widowhood: role_transition "Living alone since her husband died"
  died 2026-03
  goal "See two friends a week"
'''
    middle = MIDDLE.replace("communication_analysis", "mourn_old_role")
    text = course(foci=foci, middle=middle)
    (d,) = found(text)
    assert (d.code, d.line) == ("IPT204", line_of(text, "died 2026-03"))
    assert d.message == ("a died line belongs to a grief focus; 'widowhood' is a role "
                         "transition")
    assert "make it a grief focus" in d.hint and "role transitions" in d.hint


def test_every_stage_line_names_a_stage():
    foci = DISPUTE.replace("  stage renegotiation\n", "  stage impasse\n"
                           "  stage renegociation from session 7\n")
    text = course(foci=foci)
    (d,) = found(text)
    assert (d.code, d.line) == ("IPT002", line_of(text, "renegociation"))
    assert d.message == "'renegociation' is not a stage of a role dispute"
    assert d.hint == "did you mean 'renegotiation'?"


def test_the_skeleton_marks_the_missing_date_of_death_where_it_shows():
    result = skeleton(find_profile("ipt"), ["grief"])
    line = next(l for l in filled(result.text).split("\n") if l.startswith("focus grief"))
    assert line.endswith("# ipt-plan: ignore[IPT204]")
    assert "died 2026-02-14" in result.text and any("IPT204" in n for n in result.notes)
    assert found(filled(result.text)) == ()
    unmarked = filled(result.text).replace("  # ipt-plan: ignore[IPT204]", "")
    assert codes(unmarked) == ["IPT204"]
    dated = unmarked.replace(line.replace("  # ipt-plan: ignore[IPT204]", ""),
                             line.replace("  # ipt-plan: ignore[IPT204]", "") + "\n  died 2026-02")
    assert found(dated) == ()


# --- 2. IPT205: a dispute at dissolution is worked like a role transition ------------------

DISSOLVING = DISPUTE.replace("  stage renegotiation\n",
                             "  stage impasse\n  stage dissolution from session 9\n")


def middle_with(*lines: str) -> str:
    return MIDDLE + "".join(f"  {line}\n" for line in lines)


def test_transition_techniques_fit_a_dispute_from_the_session_it_dissolves():
    text = course(foci=DISSOLVING, middle=middle_with(
        "session 10", "  mourn_old_role for sister", "session 11",
        "  evaluate_new_role for sister", "  build_new_skills for sister"))
    assert found(text) == ()


def test_before_it_dissolves_they_are_still_another_areas_techniques():
    text = course(foci=DISSOLVING, middle=middle_with("session 6", "  mourn_old_role for sister"))
    (d,) = found(text)
    assert (d.code, d.line) == ("IPT205", line_of(text, "mourn_old_role for sister"))
    assert d.message == ("mourn_old_role is a role transition technique, but 'sister' is a "
                         "role dispute at impasse in session 6")
    assert d.hint.endswith("write under the focus: stage dissolution from session 6")


def test_a_dispute_dissolved_from_the_start():
    foci = DISPUTE.replace("stage renegotiation", "stage dissolution")
    assert found(course(foci=foci, middle=middle_with(
        "session 6", "  mourn_old_role for sister"))) == ()


def test_an_every_session_line_needs_dissolution_in_every_session_of_its_phase():
    block = MIDDLE.replace("phase middle sessions 4-13\n",
                           "phase middle sessions 4-13\n  every session\n"
                           "    build_new_skills for sister\n")
    text = course(foci=DISSOLVING, middle=block)
    (d,) = found(text)
    assert d.code == "IPT205" and d.message.endswith(
        "'sister' is a role dispute not at dissolution in every session of the middle phase")
    dissolved = DISPUTE.replace("stage renegotiation", "stage dissolution")
    assert found(course(foci=dissolved, middle=block)) == ()


def test_a_transition_technique_without_for_names_the_dissolved_dispute_in_its_hint():
    foci = DISPUTE.replace("stage renegotiation", "stage dissolution")
    (d,) = found(course(foci=foci, middle=middle_with("session 6", "  mourn_old_role")))
    assert d.code == "IPT205"
    assert d.hint == "name the focus it works on: mourn_old_role for sister"


# --- 3. IPT306: no ending to raise where the protocol has none inside the plan -------------

MAINTENANCE = '''plan "Mrs. V: staying well after her third episode"
  protocol ipt-m
  measure PHQ-9 every session
''' + DISPUTE + '''
phase initial sessions 1-2
  session 2
    treatment_contract

phase maintenance sessions 3-14
  session 4
    explore_expectations for sister
  session 14 "Contract review"
    termination_discussion "Continue for a second year, or stop; decide together"
'''


def test_late_ending_does_not_apply_without_an_ending_inside_the_plan():
    profile = find_profile("ipt-m")
    assert "termination" not in profile.phases  # from the profile's data, not its name
    assert "IPT306" not in codes(MAINTENANCE)


def test_late_ending_applies_where_such_a_plan_writes_its_ending():
    text = MAINTENANCE.replace("phase maintenance sessions 3-14", "phase maintenance sessions 3-12")
    text = text.replace('  session 14 "Contract review"\n    termination_discussion',
                        '  session 12\n    goal_review\n\nphase termination sessions 13-14\n'
                        '  session 14\n    relapse_prevention\n    termination_discussion')
    assert "IPT306" in codes(text)


# --- 4. Continuation (booster) sessions after the acute course -----------------------------

def clinic_profile(folder, **settings: str) -> str:
    """A clinic's copy of the ipt profile with some settings replaced (TOML values as
    written), saved in `folder`: the plan names it with protocol "our-ipt.toml"."""
    lines = Path(find_profile("ipt").path).read_text(encoding="utf-8").split("\n")
    lines = [line for line in lines if line.split("=")[0].strip() not in settings]
    at = next(i for i, line in enumerate(lines) if line.startswith("sessions"))
    lines[at:at] = [f"{key} = {value}" for key, value in settings.items()]
    (folder / "our-ipt.toml").write_text("\n".join(lines), encoding="utf-8")
    return '"our-ipt.toml"'


def checked(folder, text: str):
    path = folder / "plan.iptplan"
    path.write_text(text, encoding="utf-8")
    return load_file(path, config=NO_CONFIG).diagnostics


BOOSTERS = '''
phase continuation sessions 17-19
  note "Monthly booster sessions after the acute course"
'''


def test_continuation_sessions_follow_the_course_where_the_protocol_has_them(tmp_path):
    protocol = clinic_profile(tmp_path, optional_phases='["continuation"]')
    assert checked(tmp_path, course(protocol=protocol, after=BOOSTERS)) == ()


def test_continuation_sessions_are_not_counted_in_the_acute_course(tmp_path):
    protocol = clinic_profile(tmp_path, optional_phases='["continuation"]')
    # 16 acute sessions and 3 boosters: 19 would be outside 12-16.
    assert checked(tmp_path, course(protocol=protocol, after=BOOSTERS)) == ()
    longer = course(protocol=protocol, after=BOOSTERS.replace("17-19", "19-21"),
                    termination=TERMINATION.replace("14-16", "14-18"))
    (d,) = [d for d in checked(tmp_path, longer) if d.code == "IPT103"]
    assert d.message == ("this plan has 18 sessions before its continuation sessions; the "
                         "ipt protocol has 12 to 16")
    assert d.line == line_of(longer, "phase termination")


def test_the_acute_course_fits_its_weeks_whatever_boosters_follow(tmp_path):
    protocol = clinic_profile(tmp_path, optional_phases='["continuation"]',
                              cadences='["weekly", "monthly"]')
    header = ("  schedule weekly from 2027-01-04 at 10:00 for 50 min\n"
              "  schedule monthly from session 17\n")
    boosters = BOOSTERS.replace("17-19", "17-22")  # six months of boosters
    assert checked(tmp_path, course(header, protocol=protocol, after=boosters)) == ()


def test_a_protocol_without_continuation_says_which_have_one(tmp_path):
    protocol = clinic_profile(tmp_path, optional_phases="[]")
    text = course(protocol=protocol, after=BOOSTERS)
    (d,) = checked(tmp_path, text)
    assert (d.code, d.line) == ("IPT101", line_of(text, "phase continuation"))
    assert d.message == "the ipt protocol has no continuation phase"
    having = sorted(name for name, p in available_profiles().items()
                    if "continuation" in p.phases + p.optional_phases)
    assert (f"the built-in protocols with one are {joined(having)}" if having
            else "no built-in protocol has one") in d.hint


def test_continuation_comes_after_termination(tmp_path):
    protocol = clinic_profile(tmp_path, optional_phases='["continuation"]')
    text = course(protocol=protocol, termination=BOOSTERS.replace("17-19", "14-16")
                  + TERMINATION.replace("14-16", "17-19"))
    found_ = [d for d in checked(tmp_path, text) if d.code == "IPT101"]
    assert [(d.line, d.message) for d in found_] == [
        (line_of(text, "phase continuation"),
         "the continuation phase comes before the termination phase")]


# --- 5. IPT106: every schedule line, every session's length, skips on the rhythm in force --

WEEKLY = "  schedule weekly from 2027-01-04 at 10:00 for 50 min\n"


def schedule_findings(diagnostics) -> list[tuple[int, int, str]]:
    return [(d.line, d.column, d.message) for d in diagnostics if d.code == "IPT106"]


def test_a_change_of_rhythm_is_held_to_the_protocols_cadences():
    text = course(WEEKLY + "  schedule monthly from session 14\n")
    cadences = joined([c.replace("_", " ") for c in find_profile("ipt").cadences], "or")
    assert [(line, message) for line, _, message in schedule_findings(found(text))
            if "meets" in message] == [
        (line_of(text, "schedule monthly"),
         f"the ipt protocol meets {cadences}, not monthly (from session 14)")]


def test_a_change_of_rhythm_is_held_to_the_protocols_length_where_it_gives_one():
    text = course(WEEKLY + "  schedule weekly from session 7 for 90 min\n")
    assert schedule_findings(found(text)) == [
        (line_of(text, "for 90 min"), 3,
         "the ipt protocol has sessions of 45 to 50 minutes, not 90 (from session 7)")]
    # A change that says no length keeps the one before it: reported once, where written.
    text = course(WEEKLY.replace("50 min", "90 min") + "  schedule weekly from session 7\n")
    assert [line for line, _, _ in schedule_findings(found(text))] == [
        line_of(text, "from 2027-01-04")]


def test_each_sessions_own_length_is_held_to_the_protocols():
    text = course(WEEKLY, middle=middle_with('session 6 "Joint session" for 90 min',
                                             "  clarification", "session 7 for 45 min",
                                             "  clarification"))
    (finding,) = schedule_findings(found(text))
    row = text.split("\n")[line_of(text, "for 90 min") - 1]
    assert finding == (line_of(text, "for 90 min"), row.index("90") + 1,
                       "the ipt protocol has sessions of 45 to 50 minutes, not 90 (session 6)")


def test_a_group_protocols_length_holds_for_its_individual_sessions_too(tmp_path):
    protocol = clinic_profile(tmp_path, minutes="[60, 90]", format='"group"')
    text = course(WEEKLY.replace("50 min", "90 min"), protocol=protocol,
                  middle=middle_with("session 7 individual for 30 min", "  clarification"))
    assert [message for _, _, message in schedule_findings(checked(tmp_path, text))] == [
        "the ipt protocol has sessions of 60 to 90 minutes, not 30 (session 7)"]


def test_a_skip_is_judged_on_the_rhythm_in_force_at_its_date(tmp_path):
    protocol = clinic_profile(tmp_path, cadences='["weekly", "monthly"]', max_weeks="40")
    rhythm = WEEKLY + "  schedule monthly from session 14\n"
    # Session 13 is on Monday 2027-03-29; monthly from then, session 14 falls on 2027-04-29.
    hit = course(rhythm + "  skip 2027-04-29\n", protocol=protocol)
    assert schedule_findings(checked(tmp_path, hit)) == []
    missed = course(rhythm + "  skip 2027-04-05\n", protocol=protocol)  # a Monday of the old rhythm
    assert [message for _, _, message in schedule_findings(checked(tmp_path, missed))] == [
        "no session falls on 2027-04-05, so this skip changes nothing"]


# --- 6 and 7. IPT102: every session a line names is a session of the course ---------------

def test_a_measure_is_rated_at_sessions_of_the_course():
    text = course("  measure HAM-D at sessions 1, 8, 17\n")
    (d,) = found(text)
    assert (d.code, d.line) == ("IPT102", line_of(text, "measure HAM-D"))
    assert text.split("\n")[d.line - 1][d.column - 1:d.end_column - 1] == "17"
    assert d.message == ("HAM-D is rated at session 17, but this plan has no session 17; its "
                         "sessions run 1-16")
    assert d.hint == "rate it at one of the course's sessions (1-16)"


def test_session_0_is_a_session_only_where_the_plan_has_one():
    (d,) = found(course("  measure HAM-D at sessions 0, 8, 16\n"))
    assert d.code == "IPT102" and d.message.endswith(
        "this plan has no session 0 (a pre-treatment session)")
    assert d.hint == "the course's first session is session 1: rate the baseline there"
    pretreatment = "\nphase pretreatment session 0\n  note \"Engagement\"\n"
    text = course("  measure HAM-D at sessions 0, 8, 16\n", foci=DISPUTE + pretreatment)
    assert "IPT102" not in codes(text)


def test_a_stage_changes_at_a_session_of_the_course():
    foci = DISPUTE.replace("  stage renegotiation\n",
                           "  stage impasse\n  stage renegotiation from session 20\n")
    text = course(foci=foci)
    (d,) = found(text)
    assert (d.code, d.line) == ("IPT102", line_of(text, "from session 20"))
    assert d.message == ("the stage of 'sister' changes from session 20, but this plan has "
                         "no session 20; its sessions run 1-16")


def test_a_rhythm_changes_at_a_session_of_the_course():
    text = course(WEEKLY + "  schedule weekly from session 20\n")
    assert [(d.code, d.line, d.message) for d in found(text)] == [
        ("IPT102", line_of(text, "from session 20"),
         "the rhythm changes from session 20, but this plan has no session 20; its sessions "
         "run 1-16")]


def test_a_change_of_rhythm_from_the_first_session_belongs_in_the_first_line():
    text = course(WEEKLY + "  schedule twice weekly from session 1 at 09:00\n")
    (d,) = [d for d in found(text) if d.code == "IPT102"]
    assert d.message == ("session 1 is the course's first session, so this is the rhythm of "
                         "the whole course, not a change")
    assert d.hint == ("write it in the first schedule line, and remove this one: schedule "
                      "twice weekly from 2027-01-04 at 09:00 for 50 min")


def test_the_first_session_is_session_0_where_the_plan_has_one():
    pretreatment = "\nphase pretreatment session 0\n  note \"Engagement\"\n"
    foci = DISPUTE + pretreatment
    # From session 1 the rhythm of the course proper may differ from the engagement session's.
    assert "IPT102" not in codes(course(WEEKLY + "  schedule weekly from session 1\n", foci=foci))
    text = course(WEEKLY + "  schedule weekly from session 0\n", foci=foci)
    assert [d.message for d in found(text) if d.code == "IPT102"] == [
        "session 0 is the course's first session, so this is the rhythm of the whole course, "
        "not a change"]


def test_continuation_sessions_carry_the_numbering_on(tmp_path):
    protocol = clinic_profile(tmp_path, optional_phases='["continuation"]')
    restarted = course(protocol=protocol, after=BOOSTERS.replace("17-19", "1-3"))
    (d,) = [d for d in checked(tmp_path, restarted) if d.code == "IPT102"]
    assert d.line == line_of(restarted, "phase continuation")
    assert d.message == ("the continuation phase starts at session 1, but booster sessions "
                         "carry the course's numbering on after its last session, 16")
    assert d.hint == "start it at session 17"
    gap = course(protocol=protocol, after=BOOSTERS.replace("17-19", "19-21"))
    assert [d.message for d in checked(tmp_path, gap) if d.code == "IPT102"] == [
        "sessions 17-18 belong to no phase"]


def test_a_continuation_phase_the_protocol_lacks_is_reported_once():
    text = MAINTENANCE.replace("phase maintenance sessions 3-14", "phase maintenance sessions 3-12")
    text = text.replace('  session 14 "Contract review"\n    termination_discussion',
                        '  session 10\n    termination_discussion') + (
        "\nphase termination sessions 13-14\n  session 13\n    termination_discussion\n"
        "  session 14\n    relapse_prevention\n"
        + BOOSTERS.replace("17-19", "15-16"))
    assert [(d.code, d.line) for d in found(text)] == [("IPT101", line_of(text, "phase continuation"))]


def test_boosters_after_the_course_may_meet_less_often_than_the_course(tmp_path):
    protocol = clinic_profile(tmp_path, optional_phases='["continuation"]', cadences='["weekly"]')
    text = course(WEEKLY + "  schedule monthly from session 17\n", protocol=protocol,
                  after=BOOSTERS)
    assert checked(tmp_path, text) == ()
    # A monthly rhythm that starts inside the course is still the course's.
    inside = course(WEEKLY + "  schedule monthly from session 15\n", protocol=protocol,
                    after=BOOSTERS)
    assert [d.message for d in checked(tmp_path, inside) if "meets" in d.message] == [
        "the ipt protocol meets weekly, not monthly (from session 15)"]


# --- 9. IPT002: who joins a session is a participant the catalogue knows -------------------

def test_a_misspelt_participant_is_told_the_name_it_is_closest_to():
    text = course(middle=middle_with('session 7 "Joint session" with parnet, interpreter',
                                     "  clarification"))
    (d,) = found(text)
    assert (d.code, d.line) == ("IPT002", line_of(text, "with parnet"))
    assert text.split("\n")[d.line - 1][d.column - 1:d.end_column - 1] == "parnet"
    assert d.message == "'parnet' is not a participant ipt-plan knows"
    assert d.hint == "did you mean 'parent'?"


def test_an_unknown_participant_is_told_the_ones_there_are():
    (d,) = found(course(middle=middle_with("session 7 with neighbour", "  clarification")))
    known = ", ".join(catalogue().participants)
    assert d.code == "IPT002" and d.hint.startswith(f"the participants are: {known}")


def test_known_participants_and_a_clinics_own(tmp_path):
    assert found(course(middle=middle_with("session 7 with parent, interpreter",
                                           "  clarification"))) == ()
    (tmp_path / "catalogue.toml").write_text(
        '[participants.grandparent]\nlabel = "Grandparent"\n'
        'description = "A grandparent who cares for the patient"\n', encoding="utf-8")
    text = course(middle=middle_with("session 7 with grandparent", "  clarification"))
    assert [d.code for d in found(text)] == ["IPT002"]
    assert load_string(text, "plan.iptplan", protocol_dirs=[tmp_path],
                       config=NO_CONFIG).diagnostics == ()
