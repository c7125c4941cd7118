"""`ipt-plan fmt`: the canonical layout of a plan, like black or bean-format.

The formatter works from what the parser returns (one statement per line, with its line
number) and from the grammar's own tokens for each line, so the grammar stays the one
definition of the language: a line's code is its tokens joined again, and its comment is
kept as written. Only layout changes:

- Indentation by what a line is: `plan`, `focus` and `phase` at 0; the header lines,
  `stage`, `goal`, `every session` and `session` at 2; activities (techniques,
  `homework`, `note`) at 4.
- One space between tokens; none before `:` and `,`, none around the `-` of a range:
  `focus sister: role_dispute "..."`, `for sister, retirement`, `sessions 4-13`.
  Strings keep their text and escapes exactly.
- One blank line before each top-level block (a `focus`, a `phase`; also the `plan`
  line when anything but comments comes before it), above the comments that belong to
  its first line, and none elsewhere, except around comments the author set apart with
  blank lines (below). Sessions inside a phase are not separated by blank lines: the
  `session` lines, one step out, already mark where each begins.
- Trailing comments of a top-level block (the header, one focus, one phase) start in one
  column: column 39, as in the bundled plans, or two spaces after the longest code of
  the block's commented lines when that is longer.
- A comment on a line of its own belongs to the statement below it and is indented like
  it, so it moves with that statement. It belongs to the statement above it instead when
  a blank line separates it from the one below (that blank line is kept), or when it is
  indented deeper than the line below it at the end of a block (as in black). A comment
  with blank lines both above and below (or the file's start above, or its end below)
  stands alone: indented like the statement below it (at 0 when there is none), with
  one blank line kept on each side.
- No trailing spaces, LF line endings, no byte-order mark, one newline at the end.

A file with syntax errors is not formatted. After formatting, the result is parsed again
and must give the same statements and the same comments; if it ever does not, the file is
reported and left alone rather than changed.
"""

from __future__ import annotations

import difflib
import os
from collections import Counter
from dataclasses import fields, is_dataclass
from typing import Any, NamedTuple

from . import source as source_stage
from .builder import HEADER_KEYWORDS
from .codes import UNREADABLE_FILE
from .diagnostics import Diagnostic, Severity
from .files import write_atomically
from .grammar import parser
from .model import Loc
from .parser import parse
from .statements import Statement, comments, keyword

INDENT = "  "
# Nesting depth of each kind of line ("activity" covers techniques, homework and note).
DEPTH = {"plan": 0, "focus": 0, "phase": 0, "stage": 1, "died": 1, "goal": 1, "every": 1,
         "session": 1, "activity": 2, "log": 0, "entry": 1, "score": 2, "risk": 2,
         "outcome": 2, **{name: 1 for name in HEADER_KEYWORDS}}
TOP_LEVEL = ("plan", "focus", "phase", "log")
# Trailing comments start at this column at the earliest (1-based): the bundled plans'.
COMMENT_COLUMN = 39
COMMENT_GAP = 2  # at least this many spaces between code and its comment
NO_SPACE_BEFORE = (":", ",", "-")
NO_SPACE_AFTER = ("-",)


# --- one plan's text --------------------------------------------------------------------

class _Code(NamedTuple):
    depth: int
    code: str
    comment: str | None  # its trailing comment
    top_level: bool
    column: int  # where the author indented it, 0-based


class _Comment(NamedTuple):
    text: str
    column: int


Row = _Code | _Comment | None  # None: a blank line


def _code_of(line_text: str) -> str:
    """A statement line's code, from the grammar's tokens (comments and spaces are not
    tokens), joined with the canonical spacing."""
    interactive = parser().parse_interactive(line_text, start="line")
    out = ""
    for token in interactive.iter_parse():
        if out and token.value not in NO_SPACE_BEFORE and not out.endswith(NO_SPACE_AFTER):
            out += " "
        out += token.value
    return out


def _indentation(line_text: str) -> int:
    return len(line_text) - len(line_text.lstrip())


def _rows(text: str, statements: list[Statement]) -> list[Row]:
    """Each source line as code, a comment on its own, or a blank line."""
    by_line = {st.loc.line: st for st in statements}
    trailing = {line: comment.rstrip() for line, _, comment in comments(text)}
    rows: list[Row] = []
    on_phase = False  # the last statement was a phase line or a note on the phase
    for number, line_text in enumerate(text.split("\n"), start=1):
        statement = by_line.get(number)
        if statement is not None:
            kind = keyword(statement)
            # A note directly under a phase line is the phase's: it sits with the sessions
            is_note = kind == "activity" and statement.activity.kind == "note"
            depth = 1 if on_phase and is_note else DEPTH[kind]
            on_phase = kind == "phase" or (on_phase and is_note)
            rows.append(_Code(depth, _code_of(line_text), trailing.get(number),
                              kind in TOP_LEVEL, _indentation(line_text)))
        elif line_text.strip():
            rows.append(_Comment(line_text.strip(), _indentation(line_text)))
        else:
            rows.append(None)
    return rows


class _Line(NamedTuple):
    depth: int
    text: str  # the code, or a comment on its own line
    comment: str | None  # a code line's trailing comment
    blank_before: bool
    block: int  # the top-level block it is in: trailing comments align within it


def _layout(rows: list[Row]) -> list[_Line]:
    """Each line's indentation and the blank lines, by the rules in the module's doc."""
    lines: list[_Line] = []
    block = 0
    blank_next = False  # the next line gets a blank line above it
    opened = -1  # a top-level statement whose comments already opened its block

    def emit(depth: int, text: str, comment: str | None = None, opens_block: bool = False):
        nonlocal block, blank_next
        if opens_block and lines:
            block += 1
        lines.append(_Line(depth, text, comment, bool(lines) and (blank_next or opens_block),
                           block))
        blank_next = False

    index = 0
    while index < len(rows):
        row = rows[index]
        if row is None:
            index += 1
            continue
        if isinstance(row, _Code):
            emit(row.depth, row.code, row.comment, row.top_level and opened != index)
            index += 1
            continue
        end = index  # a run of comment lines, no blank line inside it
        while end < len(rows) and isinstance(rows[end], _Comment):
            end += 1
        run: list[_Comment] = rows[index:end]  # type: ignore[assignment]
        above = rows[index - 1] if index > 0 else None
        below = rows[end] if end < len(rows) else None
        if isinstance(below, _Code):
            # Comments indented deeper than the statement below, where the structure steps
            # back out, close the block above; the rest belong to the statement below.
            closing = 0
            if isinstance(above, _Code) and below.depth < above.depth:
                while closing < len(run) and run[closing].column > below.column:
                    closing += 1
                for comment in run[:closing]:
                    emit(above.depth, comment.text)
            for position, comment in enumerate(run[closing:]):
                emit(below.depth, comment.text, opens_block=position == 0 and below.top_level)
                opened = end
        elif isinstance(above, _Code):
            # Set apart from the statement below by a blank line: a note on the one above.
            for comment in run:
                emit(above.depth, comment.text)
            blank_next = True
        else:
            # Blank lines (or the file's edges) on both sides: a comment standing alone.
            following = next((r for r in rows[end:] if isinstance(r, _Code)), None)
            blank_next = True
            for comment in run:
                emit(following.depth if following else 0, comment.text)
            blank_next = True
        index = end
    return lines


def _render(lines: list[_Line]) -> str:
    widths: dict[int, int] = {}
    for line in lines:
        if line.comment is not None:
            code_width = len(INDENT * line.depth + line.text) + COMMENT_GAP
            widths[line.block] = max(widths.get(line.block, COMMENT_COLUMN - 1), code_width)
    text: list[str] = []
    for line in lines:
        if line.blank_before:
            text.append("")
        code = INDENT * line.depth + line.text
        text.append(code.ljust(widths[line.block]) + line.comment if line.comment else code)
    return "\n".join(text) + "\n" if text else ""


def shape(value: Any) -> Any:
    """A value with every location left out: statements or plans that differ only in
    where things are written have the same shape."""
    if isinstance(value, Loc):
        return None
    if is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple(shape(getattr(value, f.name))
                                               for f in fields(value) if f.name != "comments")
    if isinstance(value, tuple):  # NamedTuples included: their type name is kept
        return (type(value).__name__,) + tuple(shape(item) for item in value)
    if isinstance(value, list):
        return [shape(item) for item in value]
    return value


def _comment_texts(text: str) -> Counter[str]:
    return Counter(comment.rstrip() for _, _, comment in comments(text))


def format_source(text: str, path: str = "<plan>") -> tuple[str | None, list[Diagnostic]]:
    """The plan in its canonical layout, or None and the reasons it cannot be formatted."""
    return _format_normalized(source_stage.normalize(text), path)


def _format_normalized(text: str, path: str) -> tuple[str | None, list[Diagnostic]]:
    statements, diagnostics = parse(text, path)
    if diagnostics:
        return None, diagnostics
    formatted = _render(_layout(_rows(text, statements)))
    # Like black's safe mode: the result must hold the same statements and comments.
    again, problems = parse(formatted, path)
    if (problems or shape(again) != shape(statements)
            or _comment_texts(formatted) != _comment_texts(text)):
        return None, [Diagnostic(UNREADABLE_FILE, Severity.ERROR,
                                 "ipt-plan fmt could not format this plan without changing it, "
                                 "so it was left as it is", path, 1, 1, 2,
                                 "please report this, with the plan if you can share it")]
    return formatted, []


def format_text(text: str) -> str | None:
    """The plan in its canonical layout; None when it has syntax errors."""
    return format_source(text)[0]


# --- files ------------------------------------------------------------------------------

class FileFormat(NamedTuple):
    """What formatting one file would do."""

    path: str
    original: str | None  # the text as read (line endings normalised); None if unreadable
    formatted: str | None  # None: not formatted (unreadable, or syntax errors)
    diagnostics: tuple[Diagnostic, ...]
    changed: bool  # the file's bytes would change
    encoding_note: str | None = None  # a change no diff line shows (line endings, BOM)


def format_file(path: str | os.PathLike) -> FileFormat:
    """Format one file in memory; every way it can fail is a diagnostic."""
    name = os.fspath(path)
    read = source_stage.read(name)
    if read.text is None:
        return FileFormat(name, None, None, read.diagnostics, False)
    formatted, diagnostics = _format_normalized(read.text, name)  # read normalised it
    if formatted is None:
        return FileFormat(name, read.text, None, tuple(diagnostics), False)
    try:  # the bytes as saved, for what formatting changes beyond the layout
        data = source_stage.read_regular(name)
    except OSError:  # gone since it was read: nothing to compare with or to write
        data = formatted.encode("utf-8")
    notes = []
    if data.startswith(b"\xef\xbb\xbf"):
        notes.append("the byte-order mark is removed")
    if b"\r" in data:
        notes.append("line endings become LF")
    return FileFormat(name, read.text, formatted, (), formatted.encode("utf-8") != data,
                      " and ".join(notes) or None)


def unified_diff(result: FileFormat) -> str:
    """The change as a unified diff, which `patch -p0` applies."""
    if result.formatted is None or result.original is None:
        return ""
    return "".join(difflib.unified_diff(
        result.original.splitlines(keepends=True), result.formatted.splitlines(keepends=True),
        fromfile=result.path, tofile=result.path, fromfiledate="(original)",
        tofiledate="(formatted)"))


def write_formatted(result: FileFormat, cleared: set[str] | None = None) -> None:
    """Replace the file with its formatted text, atomically, keeping its owner, group and
    mode (see `files.write_atomically`, and its `cleared` for a run over many plans)."""
    if result.formatted is None:
        raise ValueError(f"{result.path} was not formatted")
    write_atomically(result.path, result.formatted.encode("utf-8"), cleared=cleared)
