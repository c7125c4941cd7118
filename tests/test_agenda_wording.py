"""What the agendas say: IPT's own words for the condition the protocol treats, the sick
role with both its halves, prompts filled from the course, no question that contradicts
the session it is asked at, foci named by what they are, and the first session's risk
assessment where it belongs."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from conftest import PLANS, REFERENCE
from ipt_plan import load_file, load_string
from ipt_plan.agenda import build_course, course_from_result
from ipt_plan.cli import app
from ipt_plan.knowledge import (CatalogueError, ProfileError, catalogue, find_profile,
                                profile_from_toml)
from ipt_plan.renderer import FORMATS, render
from ipt_plan.wording import joined

BUNDLED = sorted(PLANS.glob("*.iptplan"))
PTSD = PLANS / "ptsd-assault-bus-driver.iptplan"
GROUP = PLANS / "group-loneliness-isolation.iptplan"
TEEN = PLANS / "teen-mother-dispute.iptplan"
runner = CliRunner()


def agendas(plan, fmt="md", protocol_dirs=()) -> dict[int, str]:
    """Each session's agenda by its number."""
    documents = render(load_file(plan, protocol_dirs), fmt)[1:]
    course = course_from_result(load_file(plan, protocol_dirs))
    return {s.number: d.text for s, d in zip(course.sessions, documents)}


def session(course, number):
    (found,) = [s for s in course.sessions if s.number == number]
    return found


def item(agenda, name):
    (found,) = [i for i in (*agenda.routine, *agenda.techniques) if i.name == name]
    return found


# A course of acute IPT with a continuation contract: homework set once, a homework review
# written with a detail at a session after one without homework, a goal review.
MONEY = """\
plan "Ms. C: arguments about money"
  protocol ipt
  schedule weekly from 2027-01-04 at 10:00 for 50 min
  measure PHQ-9 every 4 sessions

focus partner: role_dispute "Arguments with her partner about money"
  stage renegotiation
  goal "Talk about money without a row"

focus job: role_transition "Made redundant in the spring"
  goal "Find one new weekly routine outside the house"

phase initial sessions 1-3
  session 1
    symptom_review
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation
    treatment_contract
phase middle sessions 4-10
  every session
    homework_review
  session 4
    communication_analysis for partner
    homework "Notice one calm talk about money"
  session 5
    build_new_skills for job
  session 6
    goal_review
    homework_review "Ask whether she wrote the budget list"
  session 9
    termination_discussion
phase termination sessions 11-12
  session 11
    termination_discussion
  session 12
    relapse_prevention
phase continuation sessions 13-14
  session 13
    treatment_contract "Two booster sessions by telephone"
"""


@pytest.fixture(scope="module")
def money():
    result = load_string(MONEY, "money.iptplan")
    assert result.ok, result.diagnostics
    return result


# --- 1. the condition the protocol treats ---------------------------------------------------

def test_each_profile_names_the_condition_it_treats():
    ptsd, perinatal = find_profile("ipt-ptsd"), find_profile("ipt-perinatal")
    assert (ptsd.condition, ptsd.condition_noun, ptsd.condition_adjective) == ("PTSD",) * 3
    assert (perinatal.condition, perinatal.condition_noun, perinatal.condition_adjective) == (
        "perinatal depression", "depression", "depressive")
    assert find_profile("ipt-a").condition == "depression"
    assert "irritability" in find_profile("ipt-a").condition_symptoms


CLINIC_PROFILE = """
name = "clinic"
title = "Clinic course"
source = "Clinic protocol 2026"
sessions = [12, 12]
"""


def test_a_profile_written_before_the_condition_treats_depression():
    profile = profile_from_toml(CLINIC_PROFILE, "clinic.toml")
    assert (profile.condition, profile.condition_noun, profile.condition_adjective) == (
        "depression", "depression", "depressive")
    other = profile_from_toml(CLINIC_PROFILE + 'condition = "bulimia"\n', "clinic.toml")
    assert (other.condition_noun, other.condition_adjective, other.condition_symptoms) == (
        "bulimia", "bulimia", "bulimia symptoms")


@pytest.mark.parametrize("line, message", [
    ("condition = 3", "'condition' must be text on one line, like condition = \"PTSD\""),
    ('condition = ""', "'condition' must be text on one line"),
    ('condition_noun = "two\\nlines"', "'condition_noun' must be text on one line"),
])
def test_the_condition_is_checked(line, message):
    with pytest.raises(ProfileError, match=re.escape(message)):
        profile_from_toml(CLINIC_PROFILE + line + "\n", "clinic.toml")


def test_a_ptsd_course_speaks_of_ptsd_and_never_of_depression():
    documents = agendas(PTSD)
    one, three = documents[1], documents[3]
    assert "**Initial phase.** Diagnose and explain PTSD, take the interpersonal inventory" in one
    assert "Review current PTSD symptoms, how long they have lasted" in one
    assert "- What do you know about PTSD?\n- PTSD is an illness, and it is treatable." in one
    assert "What has changed in your sleep, nightmares, unwanted memories" in one
    assert "Link the patient's PTSD to the chosen problem area(s)" in three
    assert "Your PTSD seems connected to" in three
    assert "What would tell you that PTSD is coming back?" in documents[14]
    assert "Review antidepressant medication" in one  # a drug class keeps its name
    for number, text in documents.items():
        for depression_words in ("the depression", "depressive", "What do you know about depression",
                                 "Link the depression", "explain depression"):
            assert depression_words not in text, (number, depression_words)


def test_perinatal_wording_names_the_illness_then_says_depression(tmp_path):
    made = runner.invoke(app, ["new", "-p", "ipt-perinatal", "--focus", "role_transition"])
    assert made.exit_code == 0, made.output
    plan = tmp_path / "perinatal.iptplan"
    plan.write_text(made.stdout, encoding="utf-8")
    documents = agendas(plan)
    text = "\n".join(documents.values())
    assert "Diagnose and explain perinatal depression, take" in text
    assert "Perinatal depression is an illness, and it is treatable." in text
    assert "Review current depressive symptoms" in text
    assert "appetite, energy, interest and worries" in text
    assert "Your depression seems connected to" in text  # not "Your perinatal depression"
    assert "Your perinatal" not in text and "perinatal depressive" not in text
    assert "# Initial phase: Diagnose and explain perinatal depression" in made.stdout


def test_the_same_plan_speaks_of_what_each_protocol_treats():
    result = load_file(PTSD)
    plan = result.plan
    for name, said in (("ipt", "Explain depression as a common"),
                       ("ipt-perinatal", "Explain perinatal depression as a common"),
                       ("ipt-ptsd", "Explain PTSD as a common")):
        course = build_course(plan, find_profile(name))
        assert item(session(course, 1), "psychoeducation").description.startswith(said)
        assert course.phases[0].purpose.startswith(
            "Diagnose and explain " + said.split("Explain ")[1].split(" as")[0])


CLINIC_CATALOGUE = """
[techniques.binge_review]
label = "Binge review"
description = "Review the week's {condition_noun} episodes and what led up to them."
phases = ["initial", "middle"]
prompts = ["{Condition}: when did it happen this week?", "Which session is this? {session_number}."]
"""


def test_a_clinic_addition_speaks_of_the_clinic_condition(tmp_path):
    folder = tmp_path / "clinic"
    folder.mkdir()
    (folder / "catalogue.toml").write_text(CLINIC_CATALOGUE, encoding="utf-8")
    (folder / "binge.toml").write_text(
        (PLANS.parent / "ipt_plan" / "knowledge" / "protocols" / "ipt.toml").read_text()
        .replace('name = "ipt"', 'name = "binge"')
        .replace('condition = "depression"', 'condition = "binge eating"\n'
                                             'condition_noun = "binge"'), encoding="utf-8")
    text = (REFERENCE.read_text(encoding="utf-8").replace("protocol ipt\n", "protocol binge\n")
            .replace("    psychoeducation\n", "    psychoeducation\n    binge_review\n"))
    result = load_string(text, str(tmp_path / "plan.iptplan"), [folder])
    assert result.ok, result.diagnostics
    review = item(session(course_from_result(result), 1), "binge_review")
    assert review.description == "Review the week's binge episodes and what led up to them."
    assert review.prompts == ("Binge eating: when did it happen this week?",
                              "Which session is this? 1.")


BAD_PLACEHOLDERS = {
    "a misspelt placeholder": ('description = "Review {conditon} today."',
                               "[techniques.binge_review] 'description' has the placeholder "
                               "{conditon}, which ipt-plan does not fill; did you mean 'condition'?"),
    "a number in a description": ('description = "We have {sessions_left} left."',
                                  "'description' has the placeholder {sessions_left}, which is "
                                  "filled only in prompts"),
    "a brace alone": ('description = "Review {condition the episodes."',
                      "'description' has a '{' or '}' that opens or closes no placeholder"),
    "a format spec": ('prompts = ["{condition:>40}"]',
                      "'prompts' has {condition:>40}, which is not a placeholder"),
    "an attribute": ('prompts = ["{condition.__class__}"]',
                     "'prompts' has {condition.__class__}, which is not a placeholder"),
    "a note outside the limited sick role": ('prompts = ["{sick_role_note}"]',
                                             "{sick_role_note}, which is filled only in "
                                             "'limited_description' and 'limited_prompts'"),
}


@pytest.mark.parametrize("case", BAD_PLACEHOLDERS, ids=list(BAD_PLACEHOLDERS))
def test_an_unknown_placeholder_is_a_catalogue_error_at_load(tmp_path, case):
    line, message = BAD_PLACEHOLDERS[case]
    key = line.split(" =")[0]
    text = re.sub(rf"(?m)^{key} = .*$", lambda _: line, CLINIC_CATALOGUE)
    folder = tmp_path / "clinic"
    folder.mkdir()
    (folder / "catalogue.toml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as raised:
        catalogue((folder,))
    assert str(raised.value).startswith(f"{folder / 'catalogue.toml'}: ")
    assert message in str(raised.value)
    checked = runner.invoke(app, ["check", "--protocols", str(folder), str(REFERENCE)])
    assert checked.exit_code == 1 and "Traceback" not in checked.output
    assert "error[IPT004]: the clinic's catalogue cannot be used:" in checked.output
    rendered = runner.invoke(app, ["render", "--protocols", str(folder), str(REFERENCE),
                                   "-o", str(tmp_path / "out")])
    assert rendered.exit_code != 0 and "Traceback" not in rendered.output


def test_the_builtin_catalogue_speaks_through_its_placeholders():
    cat = catalogue()
    assert "{condition}" in cat.phases["initial"].purpose
    assert "{condition_adjective}" in cat.techniques["symptom_review"].description
    assert "{sessions_left}" in cat.techniques["termination_discussion"].prompts[0]
    listing = runner.invoke(app, ["techniques"]).output
    assert "Review current depressive symptoms" in listing and "{" not in listing


# --- 2. the sick role -----------------------------------------------------------------------

def test_the_sick_role_gives_both_halves_for_a_limited_time():
    sick_role = item(session(course_from_result(load_file(PTSD)), 1), "sick_role")
    assert "for a limited time" in sick_role.description
    assert "permission to set some obligations aside" in sick_role.description
    assert "the duty to work at getting well" in sick_role.description
    assert sick_role.prompts == ("What could you set aside for now, and what will you do to get well?",)
    assert "limited" not in " ".join(sick_role.prompts) + sick_role.description.split(":")[1]


def test_adolescents_get_the_limited_sick_role_school_goes_on():
    sick_role = item(session(course_from_result(load_file(TEEN)), 1), "sick_role")
    note = find_profile("ipt-a").sick_role_note
    assert sick_role.description.startswith("Give the limited sick role, for a limited time: ")
    assert note in sick_role.description and "school goes on" in sick_role.description
    assert "duty to work at getting well" in sick_role.description
    assert sick_role.prompts == (
        "What must go on, what could ease for now, and what will you do to get well?",)
    assert "### Sick role\n\nGive the limited sick role" in agendas(TEEN)[1]


def test_a_limited_sick_role_without_a_note_still_says_what_goes_on():
    profile = profile_from_toml(CLINIC_PROFILE.replace("[12, 12]", "[12, 16]")
                                + 'sick_role = "limited"\n', "clinic.toml")
    course = build_course(load_file(REFERENCE).plan, profile)
    description = item(session(course, 1), "sick_role").description
    assert "limited sick role" in description and "usual roles go on" in description
    assert "{" not in description


# --- 3. no placeholder in print -------------------------------------------------------------

STRAY = re.compile(r" N |[{}]|\bX\b")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("plan", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_no_placeholder_is_printed(plan, fmt):
    for document in render(load_file(plan), fmt):
        text = re.sub(r"(?s)<style>.*?</style>", "", document.text)  # CSS has braces
        assert not STRAY.search(text), (document.name, STRAY.search(text).group(0))


def test_prompts_say_the_course_numbers():
    documents = agendas(PTSD)
    assert "- We will meet for 14 sessions and focus on ..." in documents[3]
    assert "- We have 2 sessions left after today. How do you feel about our ending?" in documents[12]
    assert "- We have 1 session left after today." in documents[13]
    assert "- We have no sessions left after today." in documents[14]
    assert "- We will meet for 8 sessions and focus on ..." in agendas(GROUP)[1]


def test_numbers_after_the_course_and_at_a_renewed_contract(money):
    course = course_from_result(money)
    ending = item(session(course, 12), "termination_discussion").prompts[0]
    assert ending.startswith("We have no sessions of this course left after today.")
    booster = item(session(course, 13), "treatment_contract").prompts
    assert booster[0] == "We will meet for 2 sessions and focus on ..."
    # A maintenance contract renewed at its last session: the new length is not the
    # plan's to say, so the prompt with the number is left out, the other kept.
    renewal = item(session(course_from_result(load_file(
        PLANS / "maintenance-recurrent-depression.iptplan")), 26), "treatment_contract")
    assert renewal.prompts == ("What do you hope will be different by the end?",)


# --- 4. no contradictions -------------------------------------------------------------------

@pytest.mark.parametrize("plan", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_the_first_session_does_not_ask_about_last_time(plan):
    result = load_file(plan)
    first = result.plan.first_session
    text = agendas(plan)[first]
    assert "since we last met" not in text.lower() and "since the last session" not in text
    second = agendas(plan)[first + 1]
    assert "since we last met" in second.lower() or "since the last session" in second


def test_the_first_session_asks_about_recent_weeks():
    group = course_from_result(load_file(GROUP))
    review = item(session(group, 0), "symptom_review")
    assert review.prompts[0] == "How has your mood been over the past few weeks?"
    assert "how long they have lasted" in review.description
    assert item(session(group, 2), "symptom_review").prompts[0] == (
        "How has your mood been since we last met?")


def test_no_homework_review_prompts_when_none_was_set(money):
    course = course_from_result(money)
    five, six, seven = session(course, 5), session(course, 6), session(course, 7)
    # Session 4 set homework: session 5 reviews it with the catalogue's prompts.
    assert item(five, "homework_review").prompts == ("How did the task go?", "What got in the way?")
    assert [h.detail for h in five.homework_to_review] == ["Notice one calm talk about money"]
    # Session 6 follows a session without homework: the plan's own line stays, bare.
    kept = item(six, "homework_review")
    assert (kept.detail, kept.prompts, kept.description) == (
        "Ask whether she wrote the budget list", (), None)
    # Session 7: the `every session` review asks nothing, and the agenda says why.
    assert "homework_review" not in [i.name for i in (*seven.routine, *seven.techniques)]
    assert seven.reviews_homework and seven.review_without_homework
    text = render(money)[7].text
    assert "No homework was set at the last session." in text
    assert "Homework review" not in text and "How did the task go?" not in text


@pytest.mark.parametrize("plan", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_a_rating_is_asked_for_only_where_one_is_due(plan):
    course = course_from_result(load_file(plan))
    for agenda in course.sessions:
        said = " ".join(i.description or "" for i in (*agenda.routine, *agenda.techniques))
        due = [m.name for m in agenda.measures_due]
        assert "rating scale" not in said
        if not due:
            assert "Rate them with" not in said, agenda.number
        elif "symptom_review" in [i.name for i in (*agenda.routine, *agenda.techniques)]:
            assert f"Rate them with the {joined(due)}." in said, agenda.number


# --- 5. foci by what they are ---------------------------------------------------------------

@pytest.mark.parametrize("plan", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_foci_are_never_named_by_their_id_alone(plan):
    ids = [f.id.text for f in load_file(plan).plan.foci]
    for text in agendas(plan).values():
        for line in text.splitlines():
            for focus in ids:
                assert not re.search(rf"\b(for|on|and) {focus}(\.|,| and|$)", line), line


def test_a_technique_names_its_focus_with_the_problem_area():
    six = agendas(TEEN)[6]
    assert "### Decision analysis, for mum (role dispute)" in six
    assert "### Linking mood to events, for mum (role dispute)" in six
    three = agendas(PTSD)[3]
    assert "### Interpersonal formulation, for work (role transition) and carol (role dispute)" in three
    assert ("The plan names no focus for this session. The course works on work (role "
            "transition) and carol (role dispute).") in agendas(PTSD)[2]


def test_a_goal_review_shows_every_focus_and_its_goals(money):
    course = course_from_result(load_file(PTSD))
    seven = session(course, 7)
    assert [f.id for f in seven.foci] == ["work", "carol"]
    text = agendas(PTSD)[7]
    for focus in course.foci:
        assert focus.description in text
        for goal in focus.goals:
            assert f"- Goal: {goal}" in text
    assert [f.id for f in session(course_from_result(money), 6).foci] == ["partner", "job"]


# --- 6. the first session's risk assessment -------------------------------------------------

@pytest.mark.parametrize("plan", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_the_risk_assessment_is_on_the_first_session_only(plan):
    result = load_file(plan)
    first = result.plan.first_session
    course = course_from_result(result)
    texts = agendas(plan)
    for agenda in course.sessions:
        risk = [i for i in (*agenda.routine, *agenda.techniques) if i.name == "risk_assessment"]
        text = texts[agenda.number]
        if agenda.number == first:  # the protocol's, or the plan's own line
            assert len(risk) == 1 and risk[0].prompts, agenda.number
            assert "### Risk assessment" in text
            assert "- Have you made any plans? What has stopped you?" in text
        else:  # later, only where the plan writes it
            assert all(i.line is not None for i in risk), agenda.number
            assert "Asked by the protocol, not written in the plan: Risk assessment" not in text


def test_a_group_course_assesses_risk_at_its_pre_group_session():
    course = course_from_result(load_file(GROUP))
    assert [i.name for i in session(course, 0).first_session_tasks] == ["risk_assessment"]
    assert session(course, 0).first_session_tasks[0].prompts
    assert all(not s.first_session_tasks for s in course.sessions if s.number != 0)


def test_a_risk_assessment_the_plan_writes_later_is_kept():
    text = REFERENCE.read_text(encoding="utf-8").replace(
        "  session 6\n", "  session 6\n    risk_assessment \"PHQ-9 item 9 scored 1\"\n")
    result = load_string(text, "later.iptplan")
    assert result.ok, result.diagnostics
    course = course_from_result(result)
    assert [i.name for i in session(course, 1).first_session_tasks] == ["risk_assessment"]
    later = item(session(course, 6), "risk_assessment")
    assert later.line is not None and later.detail == "PHQ-9 item 9 scored 1"
    assert "risk_assessment" not in [i.name for i in session(course, 7).routine]
