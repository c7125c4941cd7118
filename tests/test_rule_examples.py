"""Every rule's examples run, as sqlfluff runs its rules' examples: the failing one, a whole
plan, raises that rule's code and no other; the passing one raises nothing. So what
`ipt-plan explain` shows cannot drift from what the rule does."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ipt_plan import codes, load_bytes, load_file, load_string
from ipt_plan import loader as loader_stage
from ipt_plan.cli import app
from ipt_plan.config import Config
from ipt_plan.knowledge import find_profile
from ipt_plan.rules import RULES

NO_CONFIG = Config()  # the examples are checked as they are, whatever folder the tests run in

# Codes that a plan's text alone cannot raise, why, and the test below that runs each one
# on the closest real input instead.
NOT_FROM_PLAN_TEXT = {
    "IPT000": "a file that is not text: its examples describe files (test_unreadable_file)",
    "IPT004": "a protocol profile file the plan names (test_bad_profile_file)",
    "IPT006": "a configuration file: its examples are TOML (test_bad_configuration_file)",
    "IPT999": "ipt-plan's own failure, which no plan may cause (test_a_rule_that_fails_...)",
}
PLAN_RULES = [r for r in RULES.values() if r.code not in NOT_FROM_PLAN_TEXT]


def shown(result) -> str:
    return "\n".join(f"  {d.line}:{d.column}: {d.code} {d.message}" for d in result.diagnostics)


def test_the_exempt_codes_are_rules():
    assert set(NOT_FROM_PLAN_TEXT) <= set(RULES)


@pytest.mark.parametrize("rule", PLAN_RULES, ids=lambda r: r.code)
def test_failing_example_raises_only_its_own_code(rule):
    assert rule.bad_example.startswith('plan "'), "an example is a whole plan, from its plan line"
    result = load_string(rule.bad_example, "example.iptplan", config=NO_CONFIG,
                         today=rule.examples_today)
    found = [d.code for d in result.diagnostics]
    assert found and set(found) == {rule.code}, f"{rule.code}'s failing example gave:\n{shown(result)}"


@pytest.mark.parametrize("rule", PLAN_RULES, ids=lambda r: r.code)
def test_passing_example_raises_nothing(rule):
    assert rule.good_example.startswith('plan "'), "an example is a whole plan, from its plan line"
    result = load_string(rule.good_example, "example.iptplan", config=NO_CONFIG,
                         today=rule.examples_today)
    assert result.diagnostics == (), f"{rule.code}'s passing example gave:\n{shown(result)}"


def test_unreadable_file():
    zipped = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00word/document.xml"  # a .docx
    found = load_bytes(zipped, "letter.iptplan", config=NO_CONFIG).diagnostics
    assert [d.code for d in found] == [codes.UNREADABLE_FILE]
    text = RULES[codes.SYNTAX].good_example.encode("utf-8")
    assert load_bytes(text, "plan.iptplan", config=NO_CONFIG).diagnostics == ()


def _profile_with_sessions(folder: Path, sessions: str) -> None:
    ipt = Path(find_profile("ipt").path).read_text(encoding="utf-8")
    assert "sessions = [12, 16]" in ipt
    (folder / "clinic").mkdir(parents=True)
    (folder / "clinic" / "our-ipt.toml").write_text(
        ipt.replace("sessions = [12, 16]", sessions, 1), encoding="utf-8")


def test_bad_profile_file(tmp_path):
    # The examples' own comments say what the profile file holds.
    rule = RULES[codes.BAD_PROFILE]
    _profile_with_sessions(tmp_path / "bad", "sessions = 16")
    plan = tmp_path / "bad" / "plan.iptplan"
    plan.write_text(rule.bad_example, encoding="utf-8")
    result = load_file(plan, config=NO_CONFIG)
    assert [d.code for d in result.diagnostics] == [codes.BAD_PROFILE], shown(result)

    _profile_with_sessions(tmp_path / "good", "sessions = [16, 16]")
    plan = tmp_path / "good" / "plan.iptplan"
    plan.write_text(rule.good_example, encoding="utf-8")
    result = load_file(plan, config=NO_CONFIG)
    assert result.diagnostics == (), shown(result)
    assert result.profile.sessions == (16, 16)


def test_bad_configuration_file(tmp_path):
    # The examples are pyproject.toml files, beside a plan that is clean on its own.
    rule = RULES[codes.BAD_CONFIG]
    plan_text = RULES[codes.FOCUS_DETAIL].good_example
    for kind, toml in (("bad", rule.bad_example), ("good", rule.good_example)):
        (tmp_path / kind).mkdir()
        (tmp_path / kind / "pyproject.toml").write_text(toml + "\n", encoding="utf-8")
        (tmp_path / kind / "plan.iptplan").write_text(plan_text, encoding="utf-8")
    bad = load_file(tmp_path / "bad" / "plan.iptplan")
    assert len(bad.diagnostics) == 2, shown(bad)  # the unknown code, and the unknown severity
    assert {d.code for d in bad.diagnostics} == {codes.BAD_CONFIG}
    good = load_file(tmp_path / "good" / "plan.iptplan")
    assert good.diagnostics == (), shown(good)


def _crash(ctx):
    raise KeyError("focus")


def test_a_rule_that_fails_is_reported_as_ipt_plans_own_error(monkeypatch):
    monkeypatch.setitem(RULES, codes.FOCUS_NOT_WORKED,
                        RULES[codes.FOCUS_NOT_WORKED]._replace(check=_crash))
    result = load_string(RULES[codes.FOCUS_DETAIL].bad_example, "plan.iptplan", config=NO_CONFIG)
    # The other rules' findings are still there.
    assert {d.code for d in result.diagnostics} == {codes.FOCUS_DETAIL, codes.INTERNAL_ERROR}
    (crash,) = [d for d in result.diagnostics if d.code == codes.INTERNAL_ERROR]
    assert crash.message == ("ipt-plan could not apply rule IPT203 (focus-not-worked) to this "
                             "plan (KeyError: 'focus')")
    assert "bug in ipt-plan" in crash.hint


def test_ipt_plans_own_error_is_never_hidden(monkeypatch):
    monkeypatch.setitem(RULES, codes.FOCUS_NOT_WORKED,
                        RULES[codes.FOCUS_NOT_WORKED]._replace(check=_crash))
    text = RULES[codes.FOCUS_NOT_WORKED].good_example.replace(
        'plan "Ms. A: caregiving conflict with her sister"',
        'plan "Ms. A: caregiving conflict with her sister"   # ipt-plan: ignore-file[IPT999]')
    ignoring = Config(select=("IPT2",), ignore=("IPT9",), severity={"IPT999": "off"})
    found = load_string(text, "plan.iptplan", config=ignoring).diagnostics
    assert codes.INTERNAL_ERROR in [d.code for d in found]


def test_a_stage_that_fails_is_reported_as_ipt_plans_own_error(monkeypatch):
    def broken_build(statements, path):
        raise RuntimeError("no plan")

    monkeypatch.setattr(loader_stage, "build", broken_build)
    result = load_string(RULES[codes.SYNTAX].good_example, "plan.iptplan", config=NO_CONFIG)
    (d,) = result.diagnostics
    assert (d.code, d.message) == (codes.INTERNAL_ERROR,
                                   "ipt-plan failed on this file (RuntimeError: no plan)")
    assert result.plan is None


def test_every_code_has_a_name_and_every_name_a_rule():
    names = {name: value for name, value in vars(codes).items()
             if isinstance(value, str) and value.startswith("IPT")}
    assert sorted(names.values()) == sorted(RULES)
    for rule in RULES.values():
        assert names[rule.name.upper().replace("-", "_")] == rule.code


@pytest.mark.parametrize("code", ["IPT204", "IPT006"])
def test_explain_shows_both_examples_whole(code):
    rule = RULES[code]
    output = CliRunner().invoke(app, ["explain", code]).output
    fails, passes = output.split("\nFails:\n")[1].split("\nPasses:\n")
    assert fails.rstrip("\n").splitlines() == ["    " + line for line in rule.bad_example.splitlines()]
    assert passes.rstrip("\n").splitlines() == ["    " + line for line in rule.good_example.splitlines()]

