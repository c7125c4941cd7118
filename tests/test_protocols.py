"""Protocol profiles are data: clinics add their own, and rules read their numbers."""

from __future__ import annotations

from typer.testing import CliRunner

from conftest import REFERENCE
from ipt_plan import load_file, load_string
from ipt_plan.cli import app
from ipt_plan.knowledge import available_profiles

CLINIC_PROFILE = '''
name = "clinic-12"
title = "Our clinic's 12-session course"
source = "Clinic protocol 2026, after Weissman, Markowitz & Klerman 2000"
sessions = [12, 12]
initial_sessions = [1, 3]
termination_sessions = [2, 3]
'''


def codes(result):
    return sorted({d.code for d in result.diagnostics})


def test_builtin_profiles_all_load_and_cite_a_source():
    profiles = available_profiles()
    assert {"ipt", "ipt-uk", "ipt-brief", "ipt-a", "ipt-group", "ipt-ptsd", "ipt-m"} <= set(profiles)
    for profile in profiles.values():
        assert not isinstance(profile, Exception), profile
        assert profile.source and profile.title


def test_clinic_profile_by_path_next_to_the_plan(tmp_path):
    (tmp_path / "clinic-12.toml").write_text(CLINIC_PROFILE)
    plan = tmp_path / "plan.iptplan"
    plan.write_text(REFERENCE.read_text().replace("protocol ipt", 'protocol "clinic-12.toml"'))
    result = load_file(plan)
    assert result.profile.name == "clinic-12"
    assert [d.message for d in result.diagnostics if d.code == "IPT103"] == [
        "this plan has 16 sessions; the clinic-12 protocol has 12"]


def test_clinic_profile_folder_on_the_command_line(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "clinic-12.toml").write_text(CLINIC_PROFILE)
    plan = tmp_path / "plan.iptplan"
    plan.write_text(REFERENCE.read_text().replace("protocol ipt", "protocol clinic-12"))
    runner = CliRunner()
    without = runner.invoke(app, ["check", str(plan)])
    assert without.exit_code == 1 and "'clinic-12' is not a protocol ipt-plan knows" in without.output
    with_dir = runner.invoke(app, ["check", "--protocols", str(folder), str(plan)])
    assert with_dir.exit_code == 1 and "error[IPT103]" in with_dir.output
    listing = runner.invoke(app, ["protocols", "--protocols", str(folder)])
    assert "clinic-12" in listing.output


def test_broken_clinic_profile_is_reported_not_raised(tmp_path):
    (tmp_path / "bad.toml").write_text(CLINIC_PROFILE.replace("[12, 12]", "12"))
    plan = tmp_path / "plan.iptplan"
    plan.write_text(REFERENCE.read_text().replace("protocol ipt", 'protocol "bad.toml"'))
    result = load_file(plan)
    (d,) = result.diagnostics
    assert d.code == "IPT004" and "'sessions' must be two whole numbers" in d.message
    assert (d.line, d.column) == (6, 12)


def test_unreadable_protocol_line_does_not_silently_mean_ipt():
    text = REFERENCE.read_text().replace("protocol ipt", "protocol ipt-brief nice")
    assert codes(load_string(text)) == ["IPT001"]


def test_maintenance_plans_may_close_with_an_ending():
    text = '''plan "Maintenance"
  protocol ipt-m
  schedule every 2 weeks from 2027-01-04 at 10:00 for 50 min
  measure PHQ-9 every session
focus marriage: role_dispute "Arguments about money"
  stage renegotiation
  goal "Keep talking about money monthly"
phase initial sessions 1-2
  session 1
    treatment_contract
phase maintenance sessions 3-22
  every session
    symptom_review
  session 3
    explore_expectations for marriage
  session 20
    termination_discussion
phase termination sessions 23-24
  session 23
    termination_discussion
  session 24
    relapse_prevention
'''
    assert load_string(text).diagnostics == ()
    swapped = text.replace("phase maintenance sessions 3-22", "phase middle sessions 3-22")
    (d,) = load_string(swapped).diagnostics  # maintenance is what ipt-m is for
    assert d.code == "IPT101" and "no maintenance phase" in d.message
    reordered = text.replace("phase termination sessions 23-24", "phase termination sessions 1-2", 1)
    assert "IPT101" not in codes(load_string(text))
    assert load_string(reordered).diagnostics  # an ending before the course is caught
