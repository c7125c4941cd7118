"""What a supervisor usually catches in a plan, from the ending back: work opened too late
(IPT307, and IPT203 where the ending is the first to work on a focus), the parent an IPT-A
course leaves out (IPT308), the words of a practice the protocol forbids (IPT305), and a
death behind an interpersonal deficits focus (IPT208). Each test is one point, shown on a
small whole plan; a rule about a phase the plan does not have stays silent."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from conftest import PLANS, SHARED_EXAMPLES
from typer.testing import CliRunner

from ipt_plan import load_file, load_string
from ipt_plan.cli import app
from ipt_plan.config import Config
from ipt_plan.diagnostics import Severity
from ipt_plan import knowledge
from ipt_plan.knowledge import (CatalogueError, ProfileError, catalogue, find_profile,
                                profile_from_toml)
from ipt_plan.model import Loc, quoted_span
from ipt_plan.phrases import find
from ipt_plan.report import format_json, format_text
from ipt_plan.rules import RULES
from ipt_plan.skeleton import skeleton

NO_CONFIG = Config()
BUNDLED = sorted(PLANS.glob("*.iptplan"))
SHARED = sorted(SHARED_EXAMPLES.glob("*.iptplan")) if SHARED_EXAMPLES.is_dir() else []
NEW_CODES = ("IPT208", "IPT305", "IPT307", "IPT308")


def found(text: str, path: str = "plan.iptplan", config: Config = NO_CONFIG, dirs=()):
    return load_string(text, path, dirs, config=config).diagnostics


def codes(text: str, **kw) -> list[str]:
    return [d.code for d in found(text, **kw)]


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), 1) if fragment in line)


def marked(text: str, d) -> str:
    """The text a diagnostic's caret is under."""
    return text.split("\n")[d.line - 1][d.column - 1:d.end_column - 1]


# A clinic's profile, for the checks of new profile fields.
PROFILE = '''
name = "clinic"
title = "Clinic course"
source = "Clinic protocol 2026"
sessions = [12, 12]
[[participants]]
who = "parent"
phases = ["initial", "termination"]
when = "the start and the end"
source = "clinic policy"
'''


# A clean acute course with two foci, for the rules about when work starts.
TWO_FOCI = '''plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"
focus retirement: role_transition "Retired in June after 30 years at the library"
  goal "Two weekly activities with people outside the family"

phase initial sessions 1-3
  session 1
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation for sister, retirement
    treatment_contract

phase middle sessions 4-13
  session 5
    communication_analysis for sister
  session {n}
    mourn_old_role for retirement
{middle}
phase termination sessions 14-16
  session 14
    termination_discussion
  session 15
    recognize_competence
{ending}  session 16
    relapse_prevention
'''


def two_foci(n: int = 8, middle: str = "", ending: str = "") -> str:
    return TWO_FOCI.format(n=n, middle=middle, ending=ending)


# --- the plans as they are --------------------------------------------------------------

@pytest.mark.parametrize("path", BUNDLED + SHARED, ids=lambda p: p.name)
def test_the_bundled_plans_and_shared_examples_raise_none_of_these(path):
    assert not [d for d in load_file(path).diagnostics if d.code in NEW_CODES]


# --- 6. IPT307: the ending opens no new work ----------------------------------------------

def test_a_focus_first_worked_on_in_the_last_quarter_of_the_middle_phase_is_warned():
    # Middle phase 4-13: ten sessions, a quarter rounded down is 2, so 12 and 13 are late.
    assert codes(two_foci(11)) == []
    text = two_foci(12)
    (d,) = found(text)
    assert (d.code, d.severity, d.line) == ("IPT307", Severity.WARNING,
                                            line_of(text, "mourn_old_role"))
    assert marked(text, d) == "mourn_old_role"
    assert d.message == ("the focus 'retirement' is first worked on at session 12, in the last "
                         "2 sessions of the middle phase (12-13), too close to the ending")
    assert "new contract" in d.hint
    assert codes(two_foci(13)) == ["IPT307"]


SHORT = '''plan "Maya, 15: not speaking to Mum since the move"
  protocol ipt-a
  measure PHQ-9 every session

focus mum: role_dispute "Since the move, Maya and Mum shout or do not speak"
  stage impasse
  goal "Talk with Mum about things that matter, without a row"

phase initial sessions 1-4
  session 1 "Assessment" with parent
    psychoeducation
    sick_role
    interpersonal_inventory
  session 4
    formulation
    treatment_contract

phase middle sessions 5-9
  session {n}
    communication_analysis

phase termination sessions 10-12
  session 10
    termination_discussion
  session 12 "Ending" with parent
    relapse_prevention
'''


def test_a_short_middle_phase_keeps_at_least_its_last_session_as_late():
    # ipt-a's middle phase 5-9: five sessions, a quarter rounded down is 1: session 9.
    assert codes(SHORT.format(n=8)) == []
    (d,) = found(SHORT.format(n=9))
    assert d.code == "IPT307"
    assert "at session 9, in the last session of the middle phase" in d.message


def test_going_on_with_a_focus_in_the_ending_is_not_new_work():
    text = two_foci(8, ending="    build_new_skills for retirement\n")
    assert codes(text) == []


def test_the_initial_phase_tasks_are_not_work_on_a_focus():
    # The formulation names 'retirement' in session 3; that does not make session 12 early.
    assert "formulation for sister, retirement" in two_foci(12)
    assert codes(two_foci(12)) == ["IPT307"]


def test_a_technique_naming_no_focus_works_on_the_focus_the_catalogue_gives_it():
    one_focus = '''plan "Ms. A: caregiving conflict with her sister"
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"

phase initial sessions 1-3
  session 1
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation
    treatment_contract

phase middle sessions 4-13
{every}  session 13
    communication_analysis

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
'''
    # communication_analysis addresses the plan's one focus (default_focus "single").
    assert codes(one_focus.format(every="")) == ["IPT307"]
    # An `every session` line works on it from the phase's first session.
    every = "  every session\n    link_mood_to_events\n"
    assert codes(one_focus.format(every=every)) == []


def test_a_focus_first_worked_on_in_the_ending_is_ipt203s_error_which_names_the_session():
    text = two_foci(8).replace("  session 8\n    mourn_old_role for retirement\n", "")
    text = text.replace("    recognize_competence\n",
                        "    recognize_competence\n    build_new_skills for retirement\n")
    (d,) = found(text)  # one diagnostic, not a second code for the same focus
    assert d.code == "IPT203" and d.severity is Severity.ERROR
    assert d.message == ("no middle-phase session works on the focus 'retirement'; it is "
                         "first worked on in the termination phase, at session 15")
    assert "opens no new work" in d.hint


def test_a_focus_only_named_in_the_middle_and_first_worked_on_in_the_ending_is_ipt307():
    # A contract line in the middle phase names the focus (IPT303: out of place), so IPT203
    # sees it addressed; the work itself starts in the ending.
    text = two_foci(8).replace("    mourn_old_role for retirement\n",
                               "    treatment_contract for retirement\n")
    text = text.replace("    recognize_competence\n",
                        "    recognize_competence\n    build_new_skills for retirement\n")
    found_codes = sorted(codes(text))
    assert found_codes == ["IPT303", "IPT307"]
    (d,) = [d for d in found(text) if d.code == "IPT307"]
    assert d.message == ("the focus 'retirement' is first worked on in the termination phase, "
                         "at session 15")


def test_a_middle_phase_of_one_session_is_never_late():
    text = '''plan "Ms. C: three sessions of interpersonal counselling"
  protocol ipc
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"

phase initial session 1
  session 1
    psychoeducation
    sick_role
    interpersonal_inventory
    formulation

phase middle session 2
  session 2
    communication_analysis
    termination_discussion

phase termination session 3
  session 3
    relapse_prevention
'''
    assert found(text) == ()  # its one middle session is both its first and its last


def test_the_late_share_is_profile_data(tmp_path):
    ipt = Path(find_profile("ipt").path).read_text(encoding="utf-8")
    assert "late_work_share = 0.25" in ipt
    (tmp_path / "half.toml").write_text(ipt.replace("late_work_share = 0.25",
                                                    "late_work_share = 0.5"), encoding="utf-8")
    text = two_foci(9).replace("protocol ipt", 'protocol "half.toml"')
    assert codes(text, path=str(tmp_path / "plan.iptplan")) == ["IPT307"]  # 9-13 is late
    assert find_profile("ipt").late_work_share == 0.25
    for bad in ("late_work_share = 1", "late_work_share = 0", 'late_work_share = "quarter"'):
        with pytest.raises(ProfileError, match="'late_work_share' must be a share"):
            profile_from_toml(ipt.replace("late_work_share = 0.25", bad), "clinic.toml")


# --- 7. IPT308: IPT-A involves a parent ---------------------------------------------------

TEEN = (PLANS / "teen-mother-dispute.iptplan").read_text(encoding="utf-8")
FIRST = 'session 1 "Assessment, with Mum for the first half" with parent'
MIDDLE = 'session 7 "Joint session with Mum" with parent'
LAST = 'session 12 "Ending, with Mum" with parent'


def test_the_teen_plan_has_a_parent_at_the_start_and_the_end():
    assert FIRST in TEEN and MIDDLE in TEEN and LAST in TEEN
    assert found(TEEN) == ()


def test_no_parent_in_the_initial_phase_is_warned_on_its_phase_line():
    text = TEEN.replace(FIRST, FIRST.removesuffix(" with parent"))
    (d,) = found(text)
    assert (d.code, d.severity, d.line) == ("IPT308", Severity.WARNING,
                                            line_of(text, "phase initial"))
    assert marked(text, d) == "initial"
    assert d.message == ("no session of the initial phase has the parent or guardian taking "
                         "part; the ipt-a protocol has them join the first session, "
                         "mid-treatment when the problem involves them, and the end "
                         "(Mufson et al. 2004)")
    assert "`with parent` (or `with carer`)" in d.hint and "ignore[IPT308]" in d.hint


def test_no_parent_in_the_termination_phase_is_warned():
    text = TEEN.replace(LAST, LAST.removesuffix(" with parent"))
    (d,) = found(text)
    assert d.code == "IPT308" and d.line == line_of(text, "phase termination")
    assert 'session 12 "Ending, with Mum" with parent' in d.hint


def test_the_middle_phase_needs_a_parent_only_when_the_problem_involves_them():
    assert found(TEEN.replace(MIDDLE, MIDDLE.removesuffix(" with parent"))) == ()


def test_a_carer_may_come_in_the_parents_place_and_the_family_may_not():
    assert found(TEEN.replace(FIRST, FIRST.replace("with parent", "with carer"))) == ()
    assert codes(TEEN.replace(FIRST, FIRST.replace("with parent", "with family"))) == ["IPT308"]
    interpreter = FIRST.replace("with parent", "with interpreter")
    assert codes(TEEN.replace(FIRST, interpreter)) == ["IPT308"]


def test_where_no_parent_can_come_a_comment_says_why_and_silences_it():
    text = TEEN.replace(LAST, LAST.removesuffix(" with parent")).replace(
        "phase termination sessions 10-12",
        "phase termination sessions 10-12   # ipt-plan: ignore[IPT308] Mum in hospital; "
        "plan shared by phone")
    assert found(text) == ()  # nor IPT005: the suppression is used
    assert "# ipt-plan: ignore[IPT308] Mum in hospital" in (
        Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_who_joins_where_and_who_may_stand_in_are_profile_data():
    (parent,) = find_profile("ipt-a").participants
    assert parent.required_in == ("initial", "termination")
    assert parent.stand_ins == ("carer",)
    assert "middle" in parent.phases and "middle" not in parent.required_in
    assert all(p.required_in == () for name in ("ipt", "ipt-uk", "ipt-m")
               for p in find_profile(name).participants)


@pytest.mark.parametrize("line, message", [
    ('required_in = ["middle"]', "participants entry 1 requires them in the middle phase, which "
                                 "is not among its phases (initial, termination)"),
    ('stand_ins = ["grandparent"]', "participants entry 1 names 'grandparent' in 'stand_ins', "
                                    "who is not another participant ipt-plan knows"),
    ('stand_ins = ["parent"]', "participants entry 1 names 'parent' in 'stand_ins'"),
    ('stand_ins = "carer"', "'participants entry 1 stand_ins' must be a list of names"),
])
def test_the_participant_fields_are_checked_with_a_readable_message(line, message):
    with pytest.raises(ProfileError) as raised:
        profile_from_toml(PROFILE + line + "\n", "clinic.toml")
    assert message in str(raised.value)


def test_the_protocol_description_says_where_they_must_join():
    shown = CliRunner().invoke(app, ["protocols", "--show", "ipt-a"]).output
    assert ("at least once in the initial and termination phases (IPT308); in their place: "
            "carer") in shown


def test_a_new_ipt_a_plan_has_the_parent_at_the_start_and_the_end():
    made = skeleton(find_profile("ipt-a"), ["role_dispute"])
    assert made.diagnostics == ()
    sessions = [line.strip() for line in made.text.split("\n") if "with parent" in line]
    assert sessions == ['session 1 "Assessment" with parent', "session 12 with parent"]


# --- 8. IPT305: what a profile forbids, in words too ----------------------------------------

PTSD = (PLANS / "ptsd-assault-bus-driver.iptplan").read_text(encoding="utf-8")
SIX = ('evaluate_new_role for work "Time with Jay; the fear of the depot; what a different '
       'job could offer"')


def ptsd(**replace: str) -> str:
    text = PTSD
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


def at_six(line: str) -> str:
    return ptsd(**{SIX: SIX + "\n    " + line})


def test_the_ptsd_profile_lists_the_words_of_exposure():
    assert find_profile("ipt-ptsd").forbidden_words == (
        ("exposure", ("exposure", "imaginal", "in vivo", "hotspot", "habituation")),)
    assert find_profile("ipt").forbidden_words == ()
    shown = CliRunner().invoke(app, ["protocols", "--show", "ipt-ptsd"]).output
    assert ('leaves out exposure: IPT305 warns on the words "exposure", "imaginal", "in vivo", '
            '"hotspot" and "habituation"') in shown


@pytest.mark.parametrize("line, word, place", [
    ('clarification for carol "Imaginal reliving of the assault"', "Imaginal",
     "the detail of clarification"),
    ('note "Try an in vivo trip to the depot"', "in vivo", "this note"),
    ('note "Find the HOTSPOT of the memory"', "HOTSPOT", "this note"),
    ('note "Wait for habituation"', "habituation", "this note"),
    ('note "Graded in-vivo visits"', "in-vivo", "this note"),
])
def test_a_forbidden_word_in_a_text_is_a_warning_with_the_caret_on_it(line, word, place):
    text = at_six(line)
    (d,) = found(text)
    assert (d.code, d.severity, d.line) == ("IPT305", Severity.WARNING,
                                            line_of(text, line[:20]))
    assert marked(text, d) == word
    assert d.message == (f"'{word}' in {place} is a word of exposure, which the ipt-ptsd "
                         "protocol does not use")
    assert "ignore[IPT305]" in d.hint


def test_a_session_title_and_a_phase_note_are_read_too():
    text = ptsd(**{'  session 4 "What the job was"': '  session 4 "Exposure to the route"',
                   "phase middle sessions 4-12\n":
                       'phase middle sessions 4-12\n  note "Hotspot work on the assault"\n'})
    found_here = found(text)
    assert [(d.code, d.severity, marked(text, d)) for d in found_here] == [
        ("IPT305", Severity.WARNING, "Hotspot"), ("IPT305", Severity.WARNING, "Exposure")]
    assert "this note on the middle phase" in found_here[0].message
    assert "the title of session 4" in found_here[1].message


def test_homework_text_is_read_beside_the_error_for_the_homework_itself():
    text = at_six('homework "Listen to the imaginal exposure tape daily"')
    result = sorted((d.severity.value, d.code, marked(text, d)) for d in found(text))
    assert result == [("error", "IPT305", "homework"), ("warning", "IPT305", "exposure"),
                      ("warning", "IPT305", "imaginal")]


@pytest.mark.parametrize("note", [
    "No exposure: IPT works on relationships, not on the memory",
    "not exposure; we talk about Carol",
    "Without imaginal or in vivo exposure",
    "Exposure is not used in IPT for PTSD",
    "An exposure-free approach",
    "A non-exposure treatment",
    "Talked about the assault rather than exposure",
    "Not reliving the crash: what it did to his marriage",
    "He doesn\u2019t want exposure therapy",
    "Overexposure to the news; hotspots in town",  # not the whole words
])
def test_a_text_that_says_exposure_is_not_done_is_not_flagged(note):
    assert found(at_six(f'note "{note}"')) == ()


def test_a_negation_in_another_clause_does_not_hide_the_word():
    text = at_six('note "No homework, but imaginal exposure of the assault"')
    assert [marked(text, d) for d in found(text)] == ["imaginal", "exposure"]
    text = at_six('note "He could not sleep after the hotspot work"')
    assert [marked(text, d) for d in found(text)] == ["hotspot"]  # too far from the "not"


def test_other_protocols_do_not_read_these_words():
    text = at_six('note "Imaginal exposure"').replace("protocol ipt-ptsd", "protocol ipt")
    assert "IPT305" not in codes(text)


def test_a_configured_severity_applies_to_the_words_too():
    text = at_six('note "Imaginal work"')
    as_error = Config(severity={"IPT305": "error"})
    assert [d.severity for d in found(text, config=as_error)] == [Severity.ERROR]
    assert found(text, config=Config(severity={"IPT305": "off"})) == ()


def test_the_outputs_give_the_word_finding_its_own_severity():
    result = load_string(at_six('note "Imaginal work"'), "plan.iptplan", config=NO_CONFIG)
    (entry,) = json.loads(format_json([result]))["files"][0]["diagnostics"]
    assert (entry["code"], entry["severity"]) == ("IPT305", "warning")
    assert "0 errors, 1 warning" in format_text([result])


def test_the_caret_keeps_to_the_word_after_escaped_quotes():
    text = at_six(r'note "He said \"just do the imaginal bit\" again"')
    (d,) = found(text)
    assert marked(text, d) == "imaginal"
    # A backslash the language keeps as it is: the columns cannot be known for certain,
    # so the whole quoted text is marked rather than a wrong word.
    at = Loc(3, 10, 10 + len(r'"a\nimaginal"'))
    assert quoted_span("a\\nimaginal", at, 3, 11) == at
    assert quoted_span('a"b', Loc(1, 1, 1 + len(r'"a\"b"')), 2, 3) == Loc(1, 5, 6)


@pytest.mark.parametrize("table, message", [
    ('forbidden_words = ["exposure"]', "'forbidden_words' must be a table of practices"),
    ('[forbidden_words]\nexposure = "exposure"', "'forbidden_words.exposure' must be a list"),
    ('[forbidden_words]\nexposure = []', "'forbidden_words.exposure' must be a list"),
    ('[forbidden_words]\nexposure = ["in  vivo"]', "'forbidden_words.exposure' must be a list"),
    ('[forbidden_words]\n"" = ["x"]', "'forbidden_words' names the practice ''"),
])
def test_the_forbidden_words_are_checked_with_a_readable_message(table, message):
    base = PROFILE.split("[[participants]]")[0]
    with pytest.raises(ProfileError) as raised:
        profile_from_toml(base + table + "\n", "clinic.toml")
    assert message in str(raised.value)


# --- 9. IPT208: interpersonal deficits is the last resort -----------------------------------

DEFICITS = '''plan "Mr. C: on his own"
  measure PHQ-9 every session

focus alone: interpersonal_deficits "{description}"
  goal "Meet one person outside the family each week"

phase initial sessions 1-3
  session 1
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation
    treatment_contract

phase middle sessions 4-13
  session 5
    reduce_isolation

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
'''


@pytest.mark.parametrize("description, word", [
    ("Sees no one since his wife died", "died"),
    ("Alone since the DEATH of his brother", "DEATH"),
    ("Widowed in 2019; lives alone", "Widowed"),
    ("Bereaved twice in a year", "Bereaved"),
    ("Lives alone since his mother passed away", "passed away"),
])
def test_a_deficits_focus_that_speaks_of_a_death_is_warned(description, word):
    text = DEFICITS.format(description=description)
    (d,) = found(text)
    assert (d.code, d.severity, d.line) == ("IPT208", Severity.WARNING,
                                            line_of(text, "focus alone"))
    assert marked(text, d) == word
    assert d.message == ("the focus 'alone' is interpersonal deficits, but its description "
                         f"speaks of a death ('{word}')")
    assert "grief" in d.hint and "died 2026-02-14" in d.hint


@pytest.mark.parametrize("description", [
    "No recent death, dispute or change; few friends since school",
    "Never widowed, never married; no close friend since school",
    "Lost his job and his friends from work",  # a loss, not a death: off the list
    "Deathly quiet house since the move",  # not the whole word
    "Few friends since school",
])
def test_a_description_without_a_death_is_not_warned(description):
    assert found(DEFICITS.format(description=description)) == ()


def test_only_a_deficits_focus_is_read():
    grief = DEFICITS.format(description="His wife died in March").replace(
        "interpersonal_deficits", "grief").replace(
        '  goal "Meet', "  died 2026-03\n  goal \"Meet").replace(
        "reduce_isolation", "facilitate_mourning")
    assert found(grief) == ()


def test_the_death_words_and_negations_are_catalogue_data():
    words = catalogue().vocabulary
    assert words.death == ("died", "death", "widowed", "bereaved", "passed away")
    assert "no" in words.negation and words.negation_reach == 2
    assert find("no imaginal or in vivo exposure", ["exposure", "imaginal", "in vivo"],
                words) == []


@pytest.mark.parametrize("table, message", [
    (None, "[vocabulary] is missing: the rules read its word lists"),
    ({"death": ["died"]}, "[vocabulary] needs 'negation' as a list of words or phrases"),
    ({"death": ["died", "passed  away"]}, "[vocabulary] needs 'death' as a list"),
    ({"death": ["died"], "negation": ["no"], "negation_after": ["none"], "clause_breaks": ["but"],
      "negation_reach": -1}, "[vocabulary] needs 'negation_reach' as a whole number"),
    ({"deaths": ["died"]}, "[vocabulary] has 'deaths', which ipt-plan does not read"),
])
def test_the_vocabulary_is_checked_with_a_readable_message(table, message):
    with pytest.raises(CatalogueError) as raised:
        knowledge._vocabulary(Path("catalogue.toml"), table)
    assert message in str(raised.value)


def test_a_clinics_catalogue_cannot_change_the_vocabulary(tmp_path):
    (tmp_path / "catalogue.toml").write_text('[vocabulary]\ndeath = ["gone"]\n',
                                             encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"\[vocabulary\] is ipt-plan's own"):
        catalogue((tmp_path,))


# --- 11. a rule about a phase the plan does not have does not apply -------------------------

MAINTENANCE = (PLANS / "maintenance-recurrent-depression.iptplan").read_text(encoding="utf-8")
# The plan without its initial phase: a maintenance course whose contract was made as the
# acute course ended, so it has no initial and no middle phase.
NO_INITIAL = MAINTENANCE[:MAINTENANCE.index("phase initial")] + \
    MAINTENANCE[MAINTENANCE.index("phase maintenance"):].replace(
        "phase maintenance sessions 3-26", "phase maintenance sessions 1-26")


def test_a_maintenance_plan_raises_none_of_these():
    assert not [d for d in found(MAINTENANCE) if d.code in NEW_CODES]
    assert found(NO_INITIAL) == ()


MAINTENANCE_ONLY = '''plan "Mrs. V: staying well"
  protocol ipt-m
  schedule monthly from 2027-06-08 at 09:30 for 50 min
  measure PHQ-9 every session

focus marriage: role_dispute "Husband Pieter withdraws when she raises money"
  stage renegotiation
  goal "Keep the weekly money talk going"

phase maintenance sessions 1-12
  session 1
    treatment_contract
  session 12
    communication_analysis
    relapse_prevention
'''


def test_late_work_is_not_judged_without_a_middle_phase():
    # The focus is first worked on at the last session: no middle phase to be late in.
    assert found(MAINTENANCE_ONLY) == ()


def test_a_participant_is_not_required_in_a_phase_the_plan_does_not_have(tmp_path):
    ipt_m = Path(find_profile("ipt-m").path).read_text(encoding="utf-8")
    (tmp_path / "ipt-m-family.toml").write_text(ipt_m.replace("\n[standing]", textwrap.dedent('''
        [[participants]]
        who = "family"
        phases = ["initial", "termination"]
        when = "the contract and the end"
        source = "clinic policy"
        required_in = ["initial", "termination"]
        ''') + "\n[standing]", 1), encoding="utf-8")
    text = NO_INITIAL.replace("protocol ipt-m", 'protocol "ipt-m-family.toml"')
    path = str(tmp_path / "plan.iptplan")
    assert found(text, path=path) == ()  # no initial phase, no termination phase
    ending = text + textwrap.dedent('''
        phase termination sessions 27-30
          session 27
            termination_discussion
          session 30
            relapse_prevention
        ''')
    (d,) = found(ending, path=path)
    assert d.code == "IPT308" and "termination phase" in d.message
    assert d.hint.startswith("add `with family` at the end of a session line")


def test_maintenance_ipt_forbids_no_words():
    text = NO_INITIAL.replace('"Continue monthly for a second year',
                              '"Imaginal exposure; continue monthly for a second year')
    assert found(text) == ()


def test_a_deficits_focus_is_read_in_a_maintenance_plan_too():
    # IPT208 is about the focus, not a phase: the choice of area holds in any course.
    text = NO_INITIAL.replace(
        'focus carer: role_transition "Becoming her father\'s main carer as his dementia '
        'progresses"',
        'focus carer: interpersonal_deficits "Alone since her father died"')
    text = "\n".join(l for l in text.split("\n")
                     if "for carer" not in l or "formulation" in l)
    text = text.replace("  session 3\n", "  session 3\n    reduce_isolation for carer\n")
    assert "IPT208" in codes(text)


# --- every rule here has its examples and its place in the registry --------------------------

@pytest.mark.parametrize("code", ["IPT203", "IPT208", "IPT305", "IPT307", "IPT308"])
def test_each_rule_cites_its_source_and_runs_its_examples(code):
    rule = RULES[code]
    assert rule.source and rule.rationale
    assert [d.code for d in found(rule.bad_example)] and {
        d.code for d in found(rule.bad_example)} == {code}
    assert found(rule.good_example) == ()
