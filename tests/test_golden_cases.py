"""Golden failing cases: tests/cases/CODE-*.iptplan beside CODE-*.expected.

Each case marks the diagnostics it expects inline (`# expect: IPT205` on the line where it
is reported); the .expected file holds the whole output a clinician sees, so any change
in wording shows in a diff. Regenerate with UPDATE_GOLDEN=1 after a deliberate change.
A case whose findings depend on the day (a log) pins it in a line of its own:
`# today: 2026-03-02`, as `ipt-plan check --today 2026-03-02` would.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from conftest import TESTS, golden_exists
from ipt_plan import load_file
from ipt_plan.report import format_text
from ipt_plan.rules import RULES

CASES_DIR = TESTS / "cases"
CASES = sorted(CASES_DIR.rglob("*.iptplan"))
EXPECT = re.compile(r"#\s*expect:\s*((?:IPT\d{3}\s*)+)")
TODAY = re.compile(r"^#\s*today:\s*(\d{4}-\d{2}-\d{2})\s*$", re.MULTILINE)


def today_of(case: Path) -> dt.date | None:
    """The day a case is checked as on (`# today: YYYY-MM-DD`); None: any day."""
    found = TODAY.search(case.read_text(encoding="utf-8"))
    return dt.date.fromisoformat(found.group(1)) if found else None


def marks(text: str) -> set[tuple[int, str]]:
    found = set()
    for number, line in enumerate(text.split("\n"), start=1):
        match = EXPECT.search(line)
        if match:
            found.update((number, code) for code in match.group(1).split())
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_case_reports_exactly_what_it_marks(case, monkeypatch):
    monkeypatch.chdir(TESTS)
    relative = case.relative_to(TESTS)
    result = load_file(relative, today=today_of(case))
    # Diagnostics about other files (a case's broken config) are in the golden output only.
    reported = {(d.line, d.code) for d in result.diagnostics if d.path == str(relative)}
    assert reported == marks(case.read_text(encoding="utf-8"))

    output = format_text([result])
    golden = case.with_suffix(".expected")
    if not golden_exists(golden):
        golden.write_text(output, encoding="utf-8")
    assert output == golden.read_text(encoding="utf-8")


def test_every_rule_has_a_failing_case():
    codes_with_cases = set()
    for case in CASES:
        code = case.name.split("-", 1)[0]
        if code in {d.code for d in load_file(case, today=today_of(case)).diagnostics}:
            codes_with_cases.add(code)
    # IPT000 is about files that are not text; tests/test_robustness.py covers it. IPT999 is
    # ipt-plan's own failure, which no plan may cause; tests/test_rule_examples.py covers it.
    missing = set(RULES) - codes_with_cases - {"IPT000", "IPT999"}
    assert not missing, f"rules without a failing case in tests/cases: {sorted(missing)}"


def test_every_rule_is_documented():
    for rule in RULES.values():
        assert rule.summary and rule.rationale and rule.source, rule.code
        assert rule.bad_example and rule.good_example, rule.code
        assert re.fullmatch(r"IPT\d{3}", rule.code)
