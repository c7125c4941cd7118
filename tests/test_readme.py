"""The README's rules table is the registry's, so the documentation cannot drift."""

from conftest import ROOT
from ipt_plan.rules import RULES


def test_readme_rules_table_matches_the_registry():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in RULES.values():
        assert f"| {rule.code} | {rule.severity.value} | {rule.summary} |" in readme, rule.code
