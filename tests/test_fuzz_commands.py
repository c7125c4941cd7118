"""Mutated plans through every subcommand: whatever a plan holds, each command ends with
one of its exit codes and a message, never a traceback and never an internal error
(IPT999, the code for a crash inside ipt-plan). `fmt` round-trips: formatting a plan keeps
what the checker finds in it, and formatting twice changes nothing. Bounded for CI."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import PLANS
from ipt_plan import load_file, load_string
from ipt_plan.cli import app
from ipt_plan.formatter import format_text

INTERNAL_ERROR = "IPT999"
PLAN_TEXTS = [p.read_text(encoding="utf-8") for p in sorted(PLANS.glob("*.iptplan"))]
# Lines that make a mutation reach deeper than a typo: other statements of the language,
# edge values, and words the checker has to look up.
SPLICES = ["phase maintenance sessions 17-20", "  session 0", "  every session", "skip 2026-12-28",
           "  measure PHQ-9 every 3 sessions", "focus x: interpersonal_deficits", "  stage impasse",
           "    role_play for x", "    formulation for sister, nobody", "protocol ipt-brief",
           "protocol ./missing.toml", "schedule monthly from 9999-11-30 at 23:59 for 1 min",
           "schedule every 0 weeks from 2026-01-05 at 10:00 for 50 min", "phase middle sessions 3-2",
           "# ipt-plan: ignore[IPT201]", "# ipt-plan: ignore-file[IPT106,IPT2]", "  homework \"\"",
           "    termination_discussion", '  session 5 "\u202e\x1b[2J"', "\t\tgoal \"tabs\""]
HEALTH = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
THROUGH_COMMANDS = settings(max_examples=80, deadline=None, suppress_health_check=HEALTH)
ROUND_TRIPS = settings(max_examples=200, deadline=None, suppress_health_check=HEALTH)


@st.composite
def mutated_plans(draw) -> str:
    lines = draw(st.sampled_from(PLAN_TEXTS)).split("\n")
    for _ in range(draw(st.integers(1, 8))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "change", "splice"]))
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "splice":
            lines.insert(i, draw(st.sampled_from(SPLICES)))
        elif lines[i]:
            k = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:k] + draw(st.characters(exclude_categories=["Cs"])) + lines[i][k + 1:]
    return "\n".join(lines)


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args, result.exception)
    assert "Traceback" not in result.output, args
    assert f"[{INTERNAL_ERROR}]" not in result.output, (args, result.output)
    for field in ("code", "ruleId"):  # json, sarif
        assert f'"{field}": "{INTERNAL_ERROR}"' not in result.output, (args, result.output)
    assert f"title={INTERNAL_ERROR}" not in result.output, (args, result.output)
    return result


def codes(text: str) -> list[str]:
    """What the checker finds, without places: formatting moves lines."""
    return sorted(d.code for d in load_string(text, "plan.iptplan").diagnostics)


@THROUGH_COMMANDS
@given(mutated_plans())
def test_every_command_ends_with_an_exit_code(tmp_path, text):
    plan = tmp_path / "plan.iptplan"
    plan.write_text(text, encoding="utf-8")
    checked = load_file(plan)
    assert INTERNAL_ERROR not in {d.code for d in checked.diagnostics}
    expected = 1 if checked.errors else 0
    for fmt in ("text", "json", "sarif", "github"):
        assert run("check", "--format", fmt, str(plan)).exit_code == expected, fmt
    assert run("render", str(plan), "-o", str(tmp_path / "out"), "--jobs", "1",
               "--format", "txt").exit_code == expected
    for fmt in ("json", "fhir", "ics"):
        zone = ("--tz", "UTC") if fmt != "json" else ()
        exported = run("export", str(plan), "--format", fmt, *zone)
        assert exported.exit_code in ((0, 1) if fmt == "ics" else (expected,)), (fmt, exported.output)
    for fmt in ("dot", "mermaid"):
        assert run("graph", str(plan), "--format", fmt).exit_code in (0, 1)
    assert run("fmt", "--check", str(plan)).exit_code in (0, 1)


@ROUND_TRIPS
@given(mutated_plans())
def test_fmt_round_trip_keeps_what_the_checker_finds(text):
    formatted = format_text(text)
    if formatted is None:  # a plan with syntax errors is left as it is
        assert load_string(text).errors
        return
    assert format_text(formatted) == formatted
    assert codes(formatted) == codes(text)
