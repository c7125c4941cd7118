"""Suppression comments, the way linters do it:

    interpersonal_inventory   # ipt-plan: ignore[IPT303]   (this line only)
    # ipt-plan: ignore-file[IPT106]                          (the whole file)

A suppression that suppresses nothing is itself reported (IPT005), so stale ones do not
pile up after the plan is fixed.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .codes import ALWAYS_SHOWN, UNUSED_SUPPRESSION
from .diagnostics import Diagnostic, Severity
from .statements import comments

DIRECTIVE = re.compile(r"ipt-plan:\s*(ignore|ignore-file)\s*\[([^\]]*)\]")


class Suppression(NamedTuple):
    line: int
    column: int
    end_column: int
    whole_file: bool
    codes: tuple[str, ...]


def suppressions(text: str) -> list[Suppression]:
    found = []
    for line, column, comment in comments(text):
        for match in DIRECTIVE.finditer(comment):
            codes = tuple(c.strip().upper() for c in match.group(2).split(",") if c.strip())
            start = column + match.start()
            found.append(Suppression(line, start, column + match.end(),
                                     match.group(1) == "ignore-file", codes))
    return found


def apply(diagnostics: list[Diagnostic], text: str, path: str) -> list[Diagnostic]:
    """Drop what the plan's comments suppress; report suppressions that did nothing."""
    rules = suppressions(text)
    if not rules:
        return diagnostics
    used: set[tuple[Suppression, str]] = set()
    kept = []
    for d in diagnostics:
        match = next((s for s in rules if d.code in s.codes and (s.whole_file or s.line == d.line)
                      and d.code not in ALWAYS_SHOWN), None)
        if match is None:
            kept.append(d)
        else:
            used.add((match, d.code))
    for s in rules:
        for code in s.codes or ("",):
            if (s, code) not in used:
                what = f"[{code}]" if code else "[]"
                kept.append(Diagnostic(
                    UNUSED_SUPPRESSION, Severity.WARNING,
                    f"this suppression {what} suppresses nothing"
                    + ("" if s.whole_file else " on this line"),
                    path, s.line, s.column, s.end_column,
                    "remove it, or fix the rule code (`ipt-plan rules` lists them)"))
    return kept
