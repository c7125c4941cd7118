"""The bundled plans and the shared examples are real plans: they must check clean."""

from __future__ import annotations

import re

import pytest

from conftest import PLANS, SHARED_EXAMPLES
from ipt_plan import load_file
from ipt_plan.knowledge import catalogue

BUNDLED = sorted(PLANS.glob("*.iptplan"))
SHARED = sorted(SHARED_EXAMPLES.glob("*.iptplan")) if SHARED_EXAMPLES.is_dir() else []


EXPECT = re.compile(r"#\s*expect:\s*((?:IPT\d{3}\s*)+)")


def marked(path) -> set[tuple[int, str]]:
    """The warnings a plan shows on purpose (a course not on track), marked on their lines
    as in the golden cases: `# expect: IPT504`."""
    return {(number, code)
            for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1)
            if (match := EXPECT.search(line)) for code in match.group(1).split()}


@pytest.mark.parametrize("path", BUNDLED + SHARED, ids=lambda p: p.name)
def test_plan_checks_clean(path):
    result = load_file(path)
    assert {(d.line, d.code) for d in result.diagnostics} == marked(path)
    assert not result.errors
    assert result.plan is not None and result.plan.title


def test_bundled_plans_cover_the_areas_and_protocols():
    plans = [load_file(p).plan for p in BUNDLED]
    areas = {f.area.text for plan in plans for f in plan.foci}
    protocols = {plan.protocol_name for plan in plans}
    assert len(BUNDLED) >= 6
    assert areas == set(catalogue().areas)
    assert len(protocols) >= 4


def test_reference_plan_parses_exactly_as_written():
    result = load_file(PLANS / "caregiver-dispute.iptplan")
    plan = result.plan
    assert plan.title == "Ms. A: caregiving conflict with her sister"
    assert (plan.client, plan.clinician, plan.protocol_name) == ("A-0142", "Dr. R. Moreno", "ipt")
    assert plan.diagnosis == "Major depressive disorder, single episode, moderate"
    s = plan.schedule
    assert (s.cadence, s.start.isoformat(), s.time.isoformat(), s.minutes) == (
        "weekly", "2026-12-07", "10:00:00", 50)
    assert [k.date.isoformat() for k in plan.skips] == ["2026-12-28"]
    assert [(m.name.text, m.every) for m in plan.measures] == [("PHQ-9", 1)]

    sister, retirement = plan.foci
    assert (sister.id.text, sister.area.text, sister.stage.text) == (
        "sister", "role_dispute", "renegotiation")
    assert sister.description == "Sister Anna directs the care of their mother"
    assert [g.text for g in sister.goals] == [
        "Tell Anna what I can and cannot do, calmly, without giving in",
        "Agree a fair rota for mother's appointments"]
    assert (retirement.area.text, retirement.stage, len(retirement.goals)) == (
        "role_transition", None, 1)

    assert [(p.kind, p.first, p.last) for p in plan.phases] == [
        ("initial", 1, 3), ("middle", 4, 13), ("termination", 14, 16)]
    middle = plan.phase("middle")
    assert [a.name.text for a in middle.every] == ["symptom_review", "homework_review"]
    assert [s.number for s in middle.sessions] == [4, 5, 6, 8, 9, 10]
    assert [s.number for s in middle.course()] == list(range(4, 14))
    s4 = middle.sessions[0]
    assert s4.title == "The hospital appointment argument"
    ca = s4.activities[1]
    assert (ca.name.text, [f.text for f in ca.foci], ca.detail) == (
        "communication_analysis", ["sister"], "Anna pointing and giving orders about the doctor")
    assert (ca.loc.line, ca.loc.column) == (37, 5)
    assert s4.activities[2].kind == "homework"
    formulation = plan.phase("initial").sessions[2].activities[0]
    assert [f.text for f in formulation.foci] == ["sister", "retirement"]
