"""What the agendas say: IPT's own words for the condition the protocol treats, the sick
role with both its halves, prompts filled from the course, no question that contradicts
the session it is asked at, foci named by what they are, and the first session's risk
assessment where it belongs."""

from __future__ import annotations

import re
import textwrap

import pytest
from typer.testing import CliRunner

from conftest import PLANS, REFERENCE
from ipt_plan import load_file, load_string
from ipt_plan.agenda import build_course, course_from_result
from ipt_plan.cli import app
from ipt_plan.knowledge import (CatalogueError, ProfileError, catalogue, find_profile,
                                profile_from_toml)
from ipt_plan.renderer import FORMATS, render

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


CLINIC_CATALOGUE = """
[techniques.binge_review]
label = "Binge review"
description = "Review the week's {condition_noun} episodes and what led up to them."
phases = ["initial", "middle"]
prompts = ["{Condition}: when did it happen this week?", "Which session is this? {session_number}."]
"""


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


# --- 3. no placeholder in print -------------------------------------------------------------

STRAY = re.compile(r" N |[{}]|\bX\b")
