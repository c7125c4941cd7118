"""Diagnostics as people and tools read them: text with the source line and a caret,
JSON for scripts, SARIF 2.1.0 for code-scanning tools, and GitHub workflow annotations."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

from .version import __version__
from .diagnostics import Diagnostic, Severity
from .result import Result
from .wording import encodable, plural, visible, visible_lines

JSON_FORMAT_VERSION = 1
# Past this many in one file, text output stops and says how many more there are: the
# first problems are the ones to fix, and later ones are often their echoes.
MAX_SHOWN_PER_FILE = 50


class Style:
    """ANSI colour for a terminal; every method is the identity when colour is off."""

    CODES = {"error": "1;31", "warning": "1;33", "bold": "1", "caret": "1;36", "dim": "2"}

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, kind: str, text: str) -> str:
        return f"\x1b[{self.CODES[kind]}m{text}\x1b[0m" if self.enabled and text else text


PLAIN = Style(False)


def use_colour(choice: str, stream) -> bool:
    """auto: colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _excerpt(line_text: str, diag: Diagnostic, style: Style) -> list[str]:
    """The source line and a caret under the span; tabs shown as spaces and control
    characters as escapes, in both, so the caret stays under the span."""
    shown = visible(line_text).expandtabs(4)
    start = len(visible(line_text[: max(diag.column - 1, 0)]).expandtabs(4))
    span_text = line_text[max(diag.column - 1, 0): max(diag.end_column - 1, diag.column)]
    width = max(1, len(visible(span_text).expandtabs(4)))
    gutter = f"{diag.line:>5} | "
    return [style("dim", gutter) + shown,
            style("dim", " " * (len(gutter) - 2) + "| ") + " " * start + style("caret", "^" * width)]


def format_diagnostic(diag: Diagnostic, lines: list[str] | None, style: Style = PLAIN) -> str:
    """One diagnostic; `lines` is the source of the file it points into, when known. Every
    text that comes from a plan or a file name is shown with `visible`."""
    severity = style(diag.severity.value, f"{diag.severity.value}[{diag.code}]")
    where = visible(f"{diag.path}:{diag.line}:{diag.column}:")
    out = [f"{style('bold', where)} {severity}: {visible(diag.message)}"]
    if lines is not None and 1 <= diag.line <= len(lines) and lines[diag.line - 1].strip():
        out.extend(_excerpt(lines[diag.line - 1], diag, style))
    if diag.hint:
        hint_lines = [visible(h) for h in diag.hint.split("\n")]
        out.append(f"      = {style('bold', 'hint')}: {hint_lines[0]}")
        out.extend(f"              {h}" for h in hint_lines[1:])
    return "\n".join(out)


def summary(results: list[Result]) -> str:
    errors = sum(len(r.errors) for r in results)
    warnings = sum(len(r.warnings) for r in results)
    plans = len(results)

    return f"{plural(plans, 'plan')} checked: {plural(errors, 'error')}, {plural(warnings, 'warning')}"


def format_text(results: Iterable[Result], style: Style = PLAIN) -> str:
    results = list(results)
    blocks = []
    for r in results:
        lines = r.text.split("\n") if r.text is not None else None
        for d in r.diagnostics[:MAX_SHOWN_PER_FILE]:
            blocks.append(format_diagnostic(d, lines if d.path == r.path else None, style))
        hidden = len(r.diagnostics) - MAX_SHOWN_PER_FILE
        if hidden > 0:
            blocks.append(f"{visible(r.path)}: and {hidden} more (fix these first, or use --format "
                          "json to see them all)")
    if not blocks:
        return ""
    return "\n\n".join(blocks) + "\n\n" + summary(results) + "\n"


def format_json(results: Iterable[Result]) -> str:
    results = list(results)
    document = {
        "version": JSON_FORMAT_VERSION,
        "files": [
            {
                "path": encodable(r.path),
                "protocol": r.profile.name if r.profile else None,
                "errors": len(r.errors),
                "warnings": len(r.warnings),
                "diagnostics": [{**d.as_dict(), "path": encodable(d.path)} for d in r.diagnostics],
            }
            for r in results
        ],
        "errors": sum(len(r.errors) for r in results),
        "warnings": sum(len(r.warnings) for r in results),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _uri(path: str) -> str:
    from urllib.parse import quote  # only SARIF needs it; keep it off the path of `check`

    return quote(os.fsencode(Path(path).as_posix()), safe="/:")  # a name's own bytes


def format_sarif(results: Iterable[Result]) -> str:
    """SARIF 2.1.0, as code-scanning services read it (one run, every rule described)."""
    from .rules import RULES

    rules = sorted(RULES.values(), key=lambda r: r.code)
    index = {r.code: i for i, r in enumerate(rules)}
    level = {Severity.ERROR: "error", Severity.WARNING: "warning"}
    sarif_results = []
    for r in results:
        for d in r.diagnostics:
            text = d.message + (f" (hint: {d.hint})" if d.hint else "")
            sarif_results.append({
                "ruleId": d.code,
                "ruleIndex": index[d.code],
                "level": level[d.severity],
                "message": {"text": text},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": _uri(d.path)},
                    "region": {"startLine": max(d.line, 1), "startColumn": max(d.column, 1),
                               "endColumn": max(d.end_column, d.column + 1)},
                }}],
            })
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "ipt-plan",
                "version": __version__,
                "rules": [{
                    "id": rule.code,
                    "name": rule.name,
                    "shortDescription": {"text": rule.summary},
                    "fullDescription": {"text": rule.rationale},
                    "help": {"text": f"{rule.rationale}\nSource: {rule.source}\n"
                                     f"Fails:\n{rule.bad_example}\nPasses:\n{rule.good_example}"},
                    "defaultConfiguration": {"level": level[rule.severity]},
                } for rule in rules],
            }},
            "results": sarif_results,
        }],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _escape_github(text: str, is_property: bool = False) -> str:
    """A workflow command's value: control characters shown (a CI log is read on a
    terminal too), then GitHub's own escapes, line breaks kept as %0A."""
    text = visible_lines(text)
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if is_property else text


def format_github(results: Iterable[Result]) -> str:
    """GitHub Actions workflow commands: each problem becomes an annotation on its line."""
    out = []
    for r in results:
        for d in r.diagnostics:
            kind = "error" if d.severity is Severity.ERROR else "warning"
            props = (f"file={_escape_github(d.path, True)},line={d.line},col={d.column},"
                     f"endColumn={d.end_column},title={d.code}")
            message = d.message + (f" (hint: {d.hint})" if d.hint else "")
            out.append(f"::{kind} {props}::{_escape_github(message)}")
    return "".join(line + "\n" for line in out)


def exit_code(results: list[Result], strict: bool = False) -> int:
    """0 clean, 1 problems found (warnings too when `strict`), 2 a path that names nothing."""
    if any(r.path_missing for r in results):
        return 2
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    return 1 if any(d.severity in failing for r in results for d in r.diagnostics) else 0
