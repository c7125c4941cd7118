"""Diagnostics as people and tools read them: text with the source line, or JSON."""

from __future__ import annotations

import json
from typing import Iterable

from .diagnostics import Diagnostic, Severity
from .loader import Result

JSON_FORMAT_VERSION = 1


def _excerpt(line_text: str, diag: Diagnostic) -> list[str]:
    """The source line and a caret under the span; tabs shown as spaces, in both."""
    shown = line_text.expandtabs(4)
    start = len(line_text[: max(diag.column - 1, 0)].expandtabs(4))
    span_text = line_text[max(diag.column - 1, 0): max(diag.end_column - 1, diag.column)]
    width = max(1, len(span_text.expandtabs(4)))
    gutter = f"{diag.line:>5} | "
    return [f"{gutter}{shown}", " " * (len(gutter) - 2) + "| " + " " * start + "^" * width]


def format_diagnostic(diag: Diagnostic, text: str | None) -> str:
    out = [f"{diag.path}:{diag.line}:{diag.column}: {diag.severity.value}[{diag.code}]: "
           f"{diag.message}"]
    if text is not None and diag.line >= 1:
        lines = text.split("\n")
        if diag.line <= len(lines) and lines[diag.line - 1].strip():
            out.extend(_excerpt(lines[diag.line - 1], diag))
    if diag.hint:
        hint_lines = diag.hint.split("\n")
        out.append(f"      = hint: {hint_lines[0]}")
        out.extend(f"              {h}" for h in hint_lines[1:])
    return "\n".join(out)


def summary(results: list[Result]) -> str:
    errors = sum(len(r.errors) for r in results)
    warnings = sum(len(r.warnings) for r in results)
    plans = len(results)

    def count(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return f"{count(plans, 'plan')} checked: {count(errors, 'error')}, {count(warnings, 'warning')}"


def format_text(results: Iterable[Result]) -> str:
    results = list(results)
    blocks = [format_diagnostic(d, r.text) for r in results for d in r.diagnostics]
    if not blocks:
        return ""
    return "\n\n".join(blocks) + "\n\n" + summary(results) + "\n"


def format_json(results: Iterable[Result]) -> str:
    results = list(results)
    document = {
        "version": JSON_FORMAT_VERSION,
        "files": [
            {
                "path": r.path,
                "protocol": r.profile.name if r.profile else None,
                "errors": len(r.errors),
                "warnings": len(r.warnings),
                "diagnostics": [d.as_dict() for d in r.diagnostics],
            }
            for r in results
        ],
        "errors": sum(len(r.errors) for r in results),
        "warnings": sum(len(r.warnings) for r in results),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def exit_code(results: list[Result], strict: bool = False, missing: bool = False) -> int:
    if missing:
        return 2
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    return 1 if any(d.severity in failing for r in results for d in r.diagnostics) else 0
