"""Where the cursor is, for completion: the block its line is in (the header, a focus, a
phase, a session of a phase, the log) and what the line asks for there (a keyword at its
start, a phase after `phase`, a focus after `for`...). Read from the text alone, since the
line being typed rarely parses yet: only a line's first words and the block lines above
it are looked at, so a half-written plan still gets answers.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..statements import KEYWORDS, code_end, comment_start

# What the cursor may be writing. "keyword": a line's first word (a keyword, or in a
# session a technique); the others: a name of that kind. "none": nothing to offer (inside
# a quoted text or a comment, or after words that take free text or a number).
KINDS = ("keyword", "phase", "protocol", "scale", "stage", "area", "focus", "participant",
         "delivery", "format", "by", "outcome", "none")

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[,:]|[^\s,:"]+')
_PREFIX = re.compile(r"[A-Za-z0-9_-]*$")
_FOCUS_AREA = re.compile(r"\s*focus\s+[A-Za-z0-9_]*\s*:\s*([A-Za-z0-9_]+)")
_AFTER_FIRST_WORD = {"phase": "phase", "protocol": "protocol", "measure": "scale",
                     "score": "scale", "stage": "stage", "delivery": "delivery",
                     "format": "format"}


class Block(NamedTuple):
    """The part of the plan a line is in, from the block lines above it."""

    kind: str  # start (no plan line above) | header | focus | phase | session | log
    phase: str | None = None  # the phase's kind as written, in a phase or its sessions
    area: str | None = None  # a focus's problem area as written


class Where(NamedTuple):
    kind: str  # one of KINDS
    start: int  # 1-based column where the word being written starts
    block: Block
    taken: tuple[str, ...] = ()  # names already in the list being written (for a, b, ...)


def _words(line_text: str) -> list[str]:
    return line_text[:code_end(line_text)].split()


def block_at(lines: list[str], line: int) -> Block:
    """The block line `line` (1-based) is in: the nearest block line above it decides."""
    in_session = False
    for number in range(line - 1, 0, -1):
        words = _words(lines[number - 1])
        if not words:
            continue
        first = words[0].rstrip(":")
        if first == "session" or words[:2] == ["every", "session"]:
            in_session = True
        elif first == "phase":
            return Block("session" if in_session else "phase",
                         words[1] if len(words) > 1 else None)
        elif first == "focus":
            area = _FOCUS_AREA.match(lines[number - 1])
            return Block("focus", area=area.group(1) if area else None)
        elif first == "log":
            return Block("log")
        elif first == "plan":
            return Block("header")
    return Block("start")


def _in_text(before: str) -> bool:
    """Whether `before` ends inside a quoted text."""
    inside = escaped = False
    for char in before:
        if escaped:
            escaped = False
        elif inside and char == "\\":
            escaped = True
        elif char == '"':
            inside = not inside
    return inside


def _listing(tokens: list[str], keyword: str) -> tuple[str, ...] | None:
    """The names already written after `keyword` when the cursor is where the next name of
    its list goes (just after the keyword, or after a comma of the list); else None."""
    if not tokens or tokens[-1] not in (keyword, ","):
        return None
    names: list[str] = []
    index = len(tokens) - 1
    while tokens[index] == ",":
        if index < 2 or tokens[index - 1] in (",", keyword):
            return None
        names.append(tokens[index - 1])
        index -= 2
    return tuple(reversed(names)) if tokens[index] == keyword else None


def where(lines: list[str], line: int, column: int) -> Where:
    """What may be written at 1-based `line` and `column` (the cursor is before the
    character at `column`) of a document's normalised lines."""
    text = lines[line - 1] if 1 <= line <= len(lines) else ""
    before = text[:max(column, 1) - 1]
    prefix = _PREFIX.search(before).group()
    start = len(before) - len(prefix) + 1
    block = block_at(lines, line)
    if comment_start(before) is not None or _in_text(before):
        return Where("none", start, block)
    tokens = _TOKEN.findall(before[:len(before) - len(prefix)])
    if not tokens:
        return Where("keyword", start, block)
    first = tokens[0]
    if len(tokens) == 1 and first in _AFTER_FIRST_WORD:
        return Where(_AFTER_FIRST_WORD[first], start, block)
    if first == "homework" and len(tokens) == 1 and block.kind == "log":
        return Where("outcome", start, block)
    if first == "focus" and len(tokens) == 3 and tokens[2] == ":":
        return Where("area", start, block)
    if first == "session":
        if tokens[-1] == "by":
            return Where("by", start, block)
        taken = _listing(tokens, "with")
        return Where("participant" if taken is not None else "none", start, block, taken or ())
    if first not in KEYWORDS and block.kind in ("phase", "session"):  # an activity line
        taken = _listing(tokens, "for")
        if taken is not None:
            return Where("focus", start, block, taken)
    return Where("none", start, block)
