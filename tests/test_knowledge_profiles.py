"""Clinical knowledge as data: the catalogue's scales and participants, the profiles' new
fields and new protocols, and a clinic's own additions in a protocol folder."""

from __future__ import annotations

import os
import re
import textwrap

import pytest
from typer.testing import CliRunner

from conftest import PLANS, REFERENCE, filled
from ipt_plan import load_file, load_string
from ipt_plan import knowledge
from ipt_plan.agenda import course_from_result
from ipt_plan.cli import app
from ipt_plan.config import Config
from ipt_plan.knowledge import (RATERS, CatalogueError, ProfileError, available_profiles,
                                catalogue, find_profile, profile_from_toml)
from ipt_plan.model import PHASE_ORDER

runner = CliRunner()
BUILTIN = sorted(available_profiles())


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def codes(result) -> list[str]:
    return sorted(d.code for d in result.diagnostics)


# --- the catalogue ---------------------------------------------------------------------

SCALES = {  # name: (items, low, high, rater), as the sources give them
    "PHQ-9": (9, 0, 27, "self"),
    "GAD-7": (7, 0, 21, "self"),
    "HAM-D": (17, 0, 52, "clinician"),
    "BDI-II": (21, 0, 63, "self"),
    "EPDS": (10, 0, 30, "self"),
    "PCL-5": (20, 0, 80, "self"),
    "CAPS-5": (30, 0, 80, "clinician"),
    "PHQ-A": (9, 0, 27, "self"),
    "MFQ": (33, 0, 66, "self or parent"),
    "CDRS-R": (17, 17, 113, "clinician"),
}


@pytest.mark.parametrize("name", SCALES)
def test_each_scale_has_its_items_range_rater_and_source(name):
    scale = catalogue().measures[name]
    assert (scale.items, scale.low, scale.high, scale.rater) == SCALES[name]
    assert scale.name == name and scale.label and scale.source
    assert scale.rater in RATERS


def test_every_scale_of_the_catalogue_is_a_checked_record():
    for scale in catalogue().measures.values():
        assert scale.items >= 1 and scale.low < scale.high and scale.rater in RATERS
    assert set(SCALES) <= set(catalogue().measures)


def test_participants_are_catalogue_data():
    participants = catalogue().participants
    assert set(participants) == {"parent", "carer", "partner", "family", "interpreter"}
    for name, who in participants.items():
        assert who.name == name and who.label and who.description


def test_continuation_is_a_phase_of_its_own():
    phases = catalogue().phases
    assert phases["continuation"].label == "Continuation phase"
    assert "continuation" not in phases["maintenance"].aliases
    assert PHASE_ORDER.index("termination") < PHASE_ORDER.index("continuation") < PHASE_ORDER.index("maintenance")


def test_risk_assessment_and_safety_plan_belong_to_every_phase():
    techniques = catalogue().techniques
    for name in ("risk_assessment", "safety_plan"):
        assert techniques[name].phases == PHASE_ORDER
        assert techniques[name].prompts and techniques[name].label


# --- the profiles ----------------------------------------------------------------------

@pytest.mark.parametrize("name", BUILTIN)
def test_every_builtin_profile_assesses_risk_at_the_first_session(name):
    profile = find_profile(name)
    assert "risk_assessment" in profile.first_session_tasks


def test_builtin_profiles_include_the_new_ones():
    assert {"ipc", "ipt-perinatal"} <= set(BUILTIN)
    assert not any(isinstance(p, Exception) for p in available_profiles().values())


def test_interpersonal_counselling():
    ipc = find_profile("ipc")
    assert ipc.sessions == (3, 6) and ipc.minutes == (25, 35) and ipc.cadences == ("weekly",)
    assert ipc.initial_sessions == (1, 1) and ipc.termination_sessions == (1, 1)
    assert ipc.ending_notice == 1 and ipc.termination_tasks == ("relapse_prevention",)
    assert "interpersonal_inventory" in ipc.initial_tasks
    assert "treatment_contract" not in ipc.initial_tasks  # IPC agrees no formal contract
    assert "Weissman" in ipc.source


def test_perinatal_ipt():
    perinatal = find_profile("ipt-perinatal")
    assert perinatal.sessions == (12, 16) and perinatal.minutes == (50, 60)
    assert perinatal.cadences == ("weekly",) and perinatal.usual_measures == ("EPDS",)
    assert "continuation" in perinatal.optional_phases
    assert "O'Hara" in perinatal.source and "Dennis" in perinatal.source


def test_changed_builtin_profiles():
    ipt = find_profile("ipt")
    assert ipt.cadences == ("weekly",) and ipt.minutes == (45, 50)
    assert ipt.optional_phases == ("continuation",)
    assert "NG222" in find_profile("ipt-uk").source and find_profile("ipt-uk").sessions == (16, 20)
    maintenance = find_profile("ipt-m")
    assert maintenance.phases == ("maintenance",) and "initial" in maintenance.optional_phases
    assert set(maintenance.cadences) == {"monthly", "every_n_weeks", "weekly"}
    assert find_profile("ipt-ptsd").termination_sessions == (2, 3)


def test_group_ipt_is_a_group_format():
    # its session 0 is individual: see test_course_language (schedule.session_format)
    group = find_profile("ipt-group")
    assert group.format == "group" and group.sessions == (8, 16) and group.minutes == (60, 90)
    assert find_profile("ipt").format == "individual"


def test_adolescents_bring_a_parent_and_keep_going_to_school():
    ipt_a = find_profile("ipt-a")
    (parent,) = ipt_a.participants
    assert parent.who == "parent" and parent.phases == ("initial", "middle", "termination")
    assert "mid-treatment" in parent.when and "Mufson" in parent.source
    assert ipt_a.sick_role == "limited" and "school" in ipt_a.sick_role_note
    assert find_profile("ipt").sick_role == "full" and find_profile("ipt").participants == ()


PROFILE = """
name = "clinic"
title = "Clinic course"
source = "Clinic protocol 2026"
sessions = [12, 12]
"""


def test_a_profile_written_before_these_fields_loads_with_their_defaults():
    profile = profile_from_toml(PROFILE, "clinic.toml")
    assert profile.format == "individual" and profile.first_session_tasks == ()
    assert profile.participants == () and profile.sick_role == "full"
    assert profile.sick_role_note is None and profile.usual_measures == ()


BAD_FIELDS = {
    'format = "couple"': "'format' must be \"individual\" or \"group\"",
    'sick_role = "partial"': "'sick_role' must be \"full\" or \"limited\"",
    'usual_measures = ["PHQ9"]': "'usual_measures' names PHQ9, which ipt-plan does not know",
    '[standing]\nfirst_session = ["risk_asessment"]':
        "'standing.first_session' names risk_asessment, which ipt-plan does not know",
    'forbidden = ["risk_assessment"]\n[standing]\nfirst_session = ["risk_assessment"]':
        "'standing.first_session' asks the first session for risk_assessment, which 'forbidden' forbids",
    '[standing]\nfirst_session = ["role_play"]':
        "'standing.first_session' asks for role_play, which does not belong to the initial phase",
    '[[participants]]\nwho = "grandparent"\nphases = ["initial"]\nwhen = "x"\nsource = "y"':
        "participants entry 1 names 'grandparent', who is not a participant ipt-plan knows",
    '[[participants]]\nwho = "parent"\nphases = ["maintenance"]\nwhen = "x"\nsource = "y"':
        "participants entry 1 names the phase maintenance, which this protocol does not have "
        "(its phases: initial, middle, termination)",
    '[[participants]]\nwho = "parent"\nphases = ["initial"]\nwhen = "x"':
        "participants entry 1 needs 'source' as text",
}


@pytest.mark.parametrize("line", BAD_FIELDS, ids=range(len(BAD_FIELDS)))
def test_new_profile_fields_are_checked_with_a_readable_message(line):
    with pytest.raises(ProfileError) as raised:
        profile_from_toml(PROFILE + line + "\n", "clinic.toml")
    assert BAD_FIELDS[line] in str(raised.value)


def test_new_profile_fields_are_read():
    profile = profile_from_toml(PROFILE + textwrap.dedent("""
        format = "group"
        phases = ["pretreatment", "initial", "middle", "termination"]
        usual_measures = ["GAD-7"]
        sick_role = "limited"
        sick_role_note = "work goes on"
        [standing]
        first_session = ["risk_assessment", "safety_plan"]
        [[participants]]
        who = "interpreter"
        phases = ["pretreatment", "initial"]
        when = "every session"
        source = "clinic policy"
        """), "clinic.toml")
    assert profile.format == "group" and profile.usual_measures == ("GAD-7",)
    assert profile.first_session_tasks == ("risk_assessment", "safety_plan")
    assert profile.participants[0].who == "interpreter" and profile.sick_role_note == "work goes on"


# --- what plans and agendas see ----------------------------------------------------------

def test_the_first_session_agenda_holds_the_risk_assessment():
    course = course_from_result(load_file(REFERENCE))
    first, second = course.sessions[0], course.sessions[1]
    assert first.number == 1 and [i.name for i in first.first_session_tasks] == ["risk_assessment"]
    assert "risk_assessment" in [i.name for i in first.routine]
    assert second.first_session_tasks == ()


def test_a_group_plan_assesses_risk_in_its_individual_session_0():
    course = course_from_result(load_file(PLANS / "group-loneliness-isolation.iptplan"))
    assert course.sessions[0].number == 0
    assert [i.name for i in course.sessions[0].first_session_tasks] == ["risk_assessment"]


def test_twice_weekly_is_not_acute_ipt_but_the_day_hospital_plan_says_so():
    text = REFERENCE.read_text().replace("schedule weekly", "schedule twice weekly")
    assert "IPT106" in codes(load_string(text, config=Config()))
    assert load_file(PLANS / "migration-day-hospital.iptplan").diagnostics == ()


def test_continuation_sessions_follow_the_course_without_counting_in_it():
    text = REFERENCE.read_text() + textwrap.dedent("""
        phase continuation sessions 17-18
          session 17
            symptom_review
            relapse_prevention
        """)
    result = load_string(text, "plan.iptplan", config=Config())
    assert result.diagnostics == ()  # 18 sessions, yet no IPT103: 16 acute, 2 boosters
    assert [p.kind for p in result.plan.phases][-1] == "continuation"
    brief = text.replace("protocol ipt\n", "protocol ipt-brief\n")
    assert "IPT101" in codes(load_string(brief, config=Config()))  # ipt-brief has none


def test_maintenance_needs_no_initial_phase():
    text = textwrap.dedent("""\
        plan "Maintenance"
          protocol ipt-m
          schedule monthly from 2027-01-04 at 10:00 for 50 min
          measure PHQ-9 every session
        focus marriage: role_dispute "Arguments about money"
          stage renegotiation
          goal "Keep talking about money"
        phase maintenance sessions 1-12
          every session
            symptom_review
          session 1
            risk_assessment
            treatment_contract
          session 2
            explore_expectations for marriage
          session 10
            termination_discussion
        """)
    assert load_string(text, config=Config()).diagnostics == ()


# --- a clinic's own catalogue --------------------------------------------------------------

CLINIC_CATALOGUE = """
[techniques.grounding]
label = "Grounding"
description = "Bring attention back to the room when distress rises."
phases = ["initial", "middle"]
prompts = ["What can you see and hear right now?"]

[participants.advocate]
label = "Advocate"
description = "An independent advocate the patient asked to bring."

[measures.CORE-10]
label = "CORE-10 (clinic)"
items = 10
low = 0
high = 40
rater = "self"
source = "Barkham et al. 2013"
"""


def clinic_folder(tmp_path, catalogue_text=CLINIC_CATALOGUE):
    folder = tmp_path / "clinic"
    folder.mkdir()
    (folder / "catalogue.toml").write_text(catalogue_text, encoding="utf-8")
    return folder


def plan_using_the_additions(tmp_path):
    text = (REFERENCE.read_text()
            .replace("measure PHQ-9 every session", "measure CORE-10 every session")
            .replace("    psychoeducation\n", "    psychoeducation\n    grounding\n"))
    plan = tmp_path / "plan.iptplan"
    plan.write_text(text, encoding="utf-8")
    return plan


def test_a_clinic_addition_is_usable_by_a_plan_checked_with_its_folder(tmp_path):
    folder = clinic_folder(tmp_path)
    plan = plan_using_the_additions(tmp_path)
    without = invoke("check", plan)
    assert without.exit_code == 1 and "'grounding' is not a technique" in without.output
    assert "'CORE-10' is not a rating scale" in without.output
    with_folder = invoke("check", "--protocols", folder, plan)
    assert with_folder.exit_code == 0, with_folder.output
    merged = catalogue((folder,))
    assert merged.techniques["grounding"].label == "Grounding"
    assert merged.measures["CORE-10"].high == 40 and "advocate" in merged.participants
    assert "grounding" not in catalogue().techniques  # ipt-plan's own is left as it was


def test_the_agenda_labels_a_clinic_technique_from_its_catalogue(tmp_path):
    folder = clinic_folder(tmp_path)
    course = course_from_result(load_file(plan_using_the_additions(tmp_path), [folder]))
    grounding = next(i for i in course.sessions[0].techniques if i.name == "grounding")
    assert grounding.label == "Grounding" and grounding.prompts == ("What can you see and hear right now?",)
    assert course.measures[0].label == "CORE-10 (clinic)"


def test_a_clinic_profile_may_name_a_clinic_participant(tmp_path):
    folder = clinic_folder(tmp_path)
    (folder / "ours.toml").write_text(PROFILE + textwrap.dedent("""
        [[participants]]
        who = "advocate"
        phases = ["initial"]
        when = "the first session"
        source = "clinic policy"
        """), encoding="utf-8")
    assert find_profile("ours", (folder,)).participants[0].who == "advocate"
    listing = invoke("protocols", "--protocols", folder).output
    assert re.search(r"^ours +12 sessions", listing, flags=re.MULTILINE)
    assert not re.search(r"^catalogue\b", listing, flags=re.MULTILINE)  # not a profile
    assert "grounding" in invoke("techniques", "--protocols", folder).output


BAD_ADDITIONS = {
    "an unknown phase": (CLINIC_CATALOGUE.replace('["initial", "middle"]', '["midle"]'),
                         "[techniques.grounding] 'phases' names 'midle', which ipt-plan does not know"),
    "a missing key": (CLINIC_CATALOGUE.replace('label = "Grounding"\n', ""),
                      "[techniques.grounding] needs 'label'"),
    "a mistyped key": (CLINIC_CATALOGUE.replace("prompts =", "prompt ="),
                       "[techniques.grounding] has the key 'prompt', which ipt-plan does not read"),
    "an unknown rater": (CLINIC_CATALOGUE.replace('rater = "self"', 'rater = "teacher"'),
                         "[measures.CORE-10] has the rater 'teacher'"),
    "a range upside down": (CLINIC_CATALOGUE.replace("high = 40", "high = 0"),
                            "[measures.CORE-10] has 'low' 0 and 'high' 0"),
    "an unknown prerequisite": (CLINIC_CATALOGUE.replace(
        "prompts =", 'after_any = ["grounding_intro"]\nprompts ='),
        "[techniques.grounding] 'after_any' names 'grounding_intro'"),
    "a table of ipt-plan's own": (CLINIC_CATALOGUE + '\n[areas.loneliness]\nlabel = "x"\n',
                                  "[areas] is ipt-plan's own"),
    "a name a plan cannot write": (CLINIC_CATALOGUE.replace("[techniques.grounding]",
                                                            '[techniques."body scan"]'),
                                   "[techniques.body scan] cannot be written in a plan"),
    "not TOML": ("[techniques.grounding\n", "it is not valid TOML"),
}


@pytest.mark.parametrize("case", BAD_ADDITIONS, ids=list(BAD_ADDITIONS))
def test_a_bad_addition_is_a_message_naming_the_file_and_entry(tmp_path, case):
    text, message = BAD_ADDITIONS[case]
    folder = clinic_folder(tmp_path, text)
    with pytest.raises(CatalogueError) as raised:
        catalogue((folder,))
    assert str(raised.value).startswith(f"{folder / 'catalogue.toml'}: ")
    assert message in str(raised.value)
    result = invoke("check", "--protocols", folder, REFERENCE)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "error[IPT004]: the clinic's catalogue cannot be used:" in result.output
    assert str(folder / "catalogue.toml") in result.output and message in result.output
    listing = invoke("protocols", "--protocols", folder)
    assert listing.exit_code == 2 and message in listing.stderr


@pytest.mark.parametrize("table, name", [("techniques", "role_play"), ("measures", "PHQ-9"),
                                         ("participants", "parent")])
def test_an_addition_may_not_redefine_a_builtin_name(tmp_path, table, name):
    entries = {
        "techniques": 'label = "x"\ndescription = "x"\nphases = ["middle"]\n',
        "measures": 'label = "x"\nitems = 1\nlow = 0\nhigh = 3\nrater = "self"\nsource = "x"\n',
        "participants": 'label = "x"\ndescription = "x"\n',
    }
    folder = clinic_folder(tmp_path, f"[{table}.{name}]\n{entries[table]}")
    with pytest.raises(CatalogueError, match=re.escape(
            f"[{table}.{name}] is already a") + ".* of ipt-plan's own catalogue: a clinic's "
            "addition may not redefine it"):
        catalogue((folder,))


def test_two_clinic_folders_may_not_define_the_same_name(tmp_path):
    first = clinic_folder(tmp_path)
    second = tmp_path / "second"
    second.mkdir()
    (second / "catalogue.toml").write_text(CLINIC_CATALOGUE, encoding="utf-8")
    with pytest.raises(CatalogueError, match=re.escape(f"of {first / 'catalogue.toml'}")):
        catalogue((first, second))


def test_a_named_pipe_as_a_catalogue_is_reported_not_waited_on(tmp_path):
    folder = tmp_path / "clinic"
    folder.mkdir()
    os.mkfifo(folder / "catalogue.toml")
    with pytest.raises(CatalogueError, match="it cannot be read"):
        catalogue((folder,))


def test_the_builtin_catalogue_is_checked_the_same_way(tmp_path, monkeypatch):
    text = knowledge.BUILTIN_CATALOGUE.read_text(encoding="utf-8").replace(
        'after_any = ["communication_analysis", "decision_analysis"]',
        'after_any = ["communication_analysys"]')
    broken = tmp_path / "catalogue.toml"
    broken.write_text(text, encoding="utf-8")
    monkeypatch.setattr(knowledge, "BUILTIN_CATALOGUE", broken)
    knowledge._merged.cache_clear()
    try:
        with pytest.raises(CatalogueError, match=r"\[techniques.role_play\] 'after_any' names "
                                                 r"'communication_analysys'"):
            catalogue()
    finally:
        monkeypatch.undo()
        knowledge._merged.cache_clear()
    assert "role_play" in catalogue().techniques


# --- the commands --------------------------------------------------------------------------

def test_protocols_lists_every_builtin_profile_with_its_source():
    output = invoke("protocols").output
    for name, profile in available_profiles().items():
        assert re.search(rf"^{re.escape(name)} +[\d-]+ sessions  {re.escape(profile.title)}\n"
                         rf" +source: {re.escape(profile.source)}$", output, flags=re.MULTILINE), name


def test_protocols_show_says_what_the_new_fields_ask():
    shown = invoke("protocols", "--show", "ipt-a").output
    assert "first session: Risk assessment" in shown
    assert "joins: Parent or guardian, in the initial, middle and termination phases" in shown
    assert "sick role: limited (school goes on" in shown
    assert "usual scale: HAM-D" in shown and "17 items, 0-52, rater: clinician" in shown
    assert 'name = "ipt-a"' in shown  # the file follows
    assert "format: group sessions; a pre-treatment session is individual" in invoke(
        "protocols", "--show", "ipt-group").output


def test_new_interpersonal_counselling_writes_a_plan_that_checks_clean(tmp_path):
    target = tmp_path / "ipc.iptplan"
    result = invoke("new", "--protocol", "ipc", "--focus", "role_transition", "-o", target)
    assert result.exit_code == 0, result.output
    target.write_text(filled(target.read_text(encoding="utf-8")), encoding="utf-8")
    assert invoke("check", "--strict", target).exit_code == 0
    plan = load_file(target).plan
    assert plan.protocol_name == "ipc" and 25 <= plan.schedule.minutes <= 35
    assert [(p.kind, p.first, p.last) for p in plan.phases] == [
        ("initial", 1, 1), ("middle", 2, 2), ("termination", 3, 3)]
    first = next(s for _, s in plan.sessions() if s.number == 1)
    assert "risk_assessment" in [a.name.text for a in first.activities]
    assert [m.name.text for m in plan.measures] == ["PHQ-9"]


def test_new_perinatal_offers_the_epds_and_group_writes_an_individual_session_0(tmp_path):
    perinatal = invoke("new", "--protocol", "ipt-perinatal", "--focus", "role_transition")
    assert perinatal.exit_code == 0 and "\n  measure EPDS every session" in perinatal.stdout
    group = invoke("new", "--protocol", "ipt-group", "--focus", "grief")
    assert group.exit_code == 0
    assert "phase pretreatment session 0\n  session 0" in group.stdout
    assert re.search(r"session 0 is an individual\s+(#\s+)?meeting", group.stdout)
    assert "\nphase initial session 1\n" in group.stdout  # WHO: group session 1


def test_new_with_a_clinic_catalogue_that_cannot_be_used_says_why(tmp_path):
    folder = clinic_folder(tmp_path, CLINIC_CATALOGUE.replace('["initial", "middle"]', '["x"]'))
    result = invoke("new", "--focus", "grief", "--protocols", folder)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "the clinic's catalogue cannot be used" in result.stderr
    assert f"{folder / 'catalogue.toml'}: [techniques.grounding]" in result.stderr
