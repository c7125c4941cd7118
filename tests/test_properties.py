"""Property tests: whatever the input, the library returns diagnostics located inside
the file and never raises. Example counts are bounded to keep the suite fast."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REFERENCE
from ipt_plan import codes, load_bytes, load_string
from ipt_plan.source import normalize

LINES = REFERENCE.read_text(encoding="utf-8").split("\n")
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def assert_well_formed(result, text: str) -> None:
    """Diagnostics located inside the file, and none of them a crash of ipt-plan itself
    (the facade turns a crash into IPT999 rather than raising, so it must be looked for)."""
    line_count = max(1, len(normalize(text).split("\n")))
    for d in result.diagnostics:
        assert d.code != codes.INTERNAL_ERROR, d
        assert 1 <= d.line <= line_count, d
        assert d.column >= 1 and d.end_column >= d.column, d
        assert d.message and d.code.startswith("IPT")


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes(data):
    result = load_bytes(data, "random.iptplan")
    if result.text is not None:
        assert_well_formed(result, result.text)


@SETTINGS
@given(st.text(max_size=2000))
def test_random_text(text):
    assert_well_formed(load_string(text), text)


@st.composite
def mutated_plans(draw, base: tuple[str, ...] = tuple(LINES)):
    lines = list(base)
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "change"]))
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif lines[i]:
            k = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:k] + draw(st.characters()) + lines[i][k + 1:]
    return "\n".join(lines)


@SETTINGS
@given(mutated_plans())
def test_mutated_reference_plan(text):
    assert_well_formed(load_string(text, "mutated.iptplan"), text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=1500), mutated_plans().map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_command_line_always_ends_with_an_exit_code(tmp_path, data):
    from typer.testing import CliRunner

    from ipt_plan.cli import app

    plan = tmp_path / "plan.iptplan"
    plan.write_bytes(data)
    for fmt in ("text", "json"):
        result = CliRunner().invoke(app, ["check", "--format", fmt, str(plan)])
        assert result.exit_code in (0, 1), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output


def test_a_crash_is_not_well_formed(monkeypatch):
    """The properties above would pass a crashing checker if a crash looked like bad input."""
    import pytest

    from ipt_plan import loader

    def crash(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(loader, "_load_text", crash)
    result = load_string(LINES[0])
    assert [d.code for d in result.diagnostics] == [codes.INTERNAL_ERROR]
    with pytest.raises(AssertionError):
        assert_well_formed(result, LINES[0])


# A plan that uses every form of the language as courses are delivered, so that the
# mutations reach the new lines too.
DELIVERED = """plan "Ms. C: after her father's death, with her mother"
  protocol ipt
  delivery video
  format individual
  schedule weekly from 2026-01-05 at 10:00 for 50 min
  schedule every 2 weeks from session 13 at 16:00 for 45 min
  skip 2026-02-02
  measure PHQ-9 every 4 sessions
  measure HAM-D at sessions 1, 7, 14

focus father: grief "Father died in the winter"
  died 2025-12
  goal "Mourn him, the good and the difficult"
focus mother: role_dispute "Mother expects her to move home"
  stage impasse
  stage renegotiation from session 7
  goal "Say what she can offer"

phase initial sessions 1-3
  note "Interpreter booked for the joint session"
  session 1 "Assessment" with interpreter in person for 60 min
    interpersonal_inventory
    formulation
  session 3 "Contract" by telephone
    treatment_contract

phase middle sessions 4-13
  every session
    symptom_review
  session 7 "Joint session" with mother, interpreter individual for 60 min
    communication_analysis for mother

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention

phase continuation sessions 17-18
"""


@SETTINGS
@given(mutated_plans(tuple(DELIVERED.split("\n"))))
def test_mutated_plan_of_every_course_form(text):
    assert_well_formed(load_string(text, "mutated.iptplan"), text)
