"""Diagnostics as people and tools read them: text with the source line and a caret,
JSON for scripts, SARIF 2.1.0 for code-scanning tools, and GitHub workflow annotations."""

from __future__ import annotations

import io
import itertools
import json
import os
from pathlib import Path
from typing import Iterable, Iterator, TextIO

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


class Tally:
    """What a report has seen so far: enough for its summary line and the exit code,
    without keeping the results (a batch of a million plans is reported as it comes)."""

    def __init__(self) -> None:
        self.plans = self.errors = self.warnings = 0
        self.missing = False

    def add(self, result: Result) -> None:
        self.plans += 1
        self.errors += len(result.errors)
        self.warnings += len(result.warnings)
        self.missing = self.missing or result.path_missing

    def summary(self) -> str:
        return (f"{plural(self.plans, 'plan')} checked: {plural(self.errors, 'error')}, "
                f"{plural(self.warnings, 'warning')}")

    def exit_code(self, strict: bool = False) -> int:
        """0 clean, 1 problems found (warnings too when `strict`), 2 a path that names
        nothing."""
        if self.missing:
            return 2
        return 1 if self.errors or (strict and self.warnings) else 0


def summary(results: list[Result]) -> str:
    tally = Tally()
    for result in results:
        tally.add(result)
    return tally.summary()


def _text_blocks(r: Result, style: Style) -> Iterator[str]:
    lines = r.text.split("\n") if r.text is not None else None
    for d in r.diagnostics[:MAX_SHOWN_PER_FILE]:
        yield format_diagnostic(d, lines if d.path == r.path else None, style)
    hidden = len(r.diagnostics) - MAX_SHOWN_PER_FILE
    if hidden > 0:
        yield (f"{visible(r.path)}: and {hidden} more (fix these first, or use --format "
               "json to see them all)")


def write_text(results: Iterable[Result], out: TextIO, style: Style = PLAIN) -> Tally:
    """Each problem with its line and a hint, blocks apart, then a summary; nothing at
    all when every plan is clean. Written as the results come."""
    tally, first = Tally(), True
    for r in results:
        tally.add(r)
        for block in _text_blocks(r, style):
            out.write(block if first else "\n\n" + block)
            first = False
    if not first:
        out.write("\n\n" + tally.summary() + "\n")
    return tally


def _json_file(r: Result) -> dict:
    return {
        "path": encodable(r.path),
        "protocol": r.profile.name if r.profile else None,
        "errors": len(r.errors),
        "warnings": len(r.warnings),
        "diagnostics": [{**d.as_dict(), "path": encodable(d.path)} for d in r.diagnostics],
    }


def _indented(value: object, depth: int) -> str:
    """`value` as json.dumps(indent=2) writes it inside a document at that depth."""
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + " " * depth)


def _write_array(items: Iterable[object], out: TextIO, depth: int) -> None:
    """The elements of a JSON array at `depth`, as json.dumps(indent=2) writes them, one
    by one (the opening bracket is written already)."""
    first = True
    for item in items:
        out.write(("\n" if first else ",\n") + " " * (depth + 2) + _indented(item, depth + 2))
        first = False
    out.write("]" if first else "\n" + " " * depth + "]")


def write_json(results: Iterable[Result], out: TextIO) -> Tally:
    """The JSON report, byte for byte what json.dumps(indent=2) gives of the whole
    document, written as the results come; nothing when there are none."""
    tally = Tally()
    results = iter(results)
    first = next(results, None)
    if first is None:
        return tally

    def files() -> Iterator[dict]:
        for r in itertools.chain([first], results):
            tally.add(r)
            yield _json_file(r)

    out.write(f'{{\n  "version": {JSON_FORMAT_VERSION},\n  "files": [')
    _write_array(files(), out, 2)
    out.write(f',\n  "errors": {tally.errors},\n  "warnings": {tally.warnings}\n}}\n')
    return tally


def format_text(results: Iterable[Result], style: Style = PLAIN) -> str:
    buffer = io.StringIO()
    write_text(results, buffer, style)
    return buffer.getvalue()


def format_json(results: Iterable[Result]) -> str:
    buffer = io.StringIO()
    if write_json(results, buffer).plans == 0:
        return json.dumps({"version": JSON_FORMAT_VERSION, "files": [], "errors": 0,
                           "warnings": 0}, indent=2) + "\n"
    return buffer.getvalue()


def _uri(path: str) -> str:
    from urllib.parse import quote  # only SARIF needs it; keep it off the path of `check`

    return quote(os.fsencode(Path(path).as_posix()), safe="/:")  # a name's own bytes


_RESULTS_HERE = "ipt-plan: the results go here"


def write_sarif(results: Iterable[Result], out: TextIO) -> Tally:
    """SARIF 2.1.0, as code-scanning services read it (one run, every rule described),
    written as the results come."""
    from .rules import RULES

    rules = sorted(RULES.values(), key=lambda r: r.code)
    index = {r.code: i for i, r in enumerate(rules)}
    level = {Severity.ERROR: "error", Severity.WARNING: "warning"}
    tally = Tally()

    def sarif_results() -> Iterator[dict]:
        for r in results:
            tally.add(r)
            for d in r.diagnostics:
                text = d.message + (f" (hint: {d.hint})" if d.hint else "")
                yield {
                    "ruleId": d.code,
                    "ruleIndex": index[d.code],
                    "level": level[d.severity],
                    "message": {"text": text},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": {"uri": _uri(d.path)},
                        "region": {"startLine": max(d.line, 1), "startColumn": max(d.column, 1),
                                   "endColumn": max(d.end_column, d.column + 1)},
                    }}],
                }

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
            "results": _RESULTS_HERE,
        }],
    }
    head, tail = json.dumps(document, indent=2, ensure_ascii=False).split(
        json.dumps(_RESULTS_HERE))
    out.write(head + "[")
    _write_array(sarif_results(), out, 6)
    out.write(tail + "\n")
    return tally


def format_sarif(results: Iterable[Result]) -> str:
    buffer = io.StringIO()
    write_sarif(results, buffer)
    return buffer.getvalue()


def _escape_github(text: str, is_property: bool = False) -> str:
    """A workflow command's value: control characters shown (a CI log is read on a
    terminal too), then GitHub's own escapes, line breaks kept as %0A."""
    text = visible_lines(text)
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if is_property else text


def write_github(results: Iterable[Result], out: TextIO) -> Tally:
    """GitHub Actions workflow commands: each problem becomes an annotation on its line."""
    tally = Tally()
    for r in results:
        tally.add(r)
        for d in r.diagnostics:
            kind = "error" if d.severity is Severity.ERROR else "warning"
            props = (f"file={_escape_github(d.path, True)},line={d.line},col={d.column},"
                     f"endColumn={d.end_column},title={d.code}")
            message = d.message + (f" (hint: {d.hint})" if d.hint else "")
            out.write(f"::{kind} {props}::{_escape_github(message)}\n")
    return tally


def format_github(results: Iterable[Result]) -> str:
    buffer = io.StringIO()
    write_github(results, buffer)
    return buffer.getvalue()


def exit_code(results: list[Result], strict: bool = False) -> int:
    """0 clean, 1 problems found (warnings too when `strict`), 2 a path that names nothing."""
    tally = Tally()
    for result in results:
        tally.add(result)
    return tally.exit_code(strict)
