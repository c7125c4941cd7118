"""Positions as an editor counts them. ipt-plan locates text by 1-based line and column
in code points of the normalised text (no byte-order mark, LF line endings); the
Language Server Protocol by 0-based line and a column in UTF-16 code units unless client
and server agree on UTF-8 or UTF-32. A character outside the Basic Multilingual Plane
(an emoji) is two UTF-16 units, an accented letter one, so a line with either before a
mistake still underlines the right characters.
"""

from __future__ import annotations

from typing import Iterable, NamedTuple

from ..model import Loc
from ..source import normalize

UTF16, UTF8, UTF32 = "utf-16", "utf-8", "utf-32"


class Position(NamedTuple):
    line: int  # 0-based
    character: int  # in the encoding's units


class Span(NamedTuple):
    start: Position
    end: Position


class Edit(NamedTuple):
    span: Span
    text: str


def units(text: str, encoding: str = UTF16) -> int:
    """How long `text` is in the encoding's units."""
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _index(text: str, count: int, encoding: str) -> int:
    """The index in `text` that `count` units from its start fall on (a count inside a
    character, or past the end, stops at that character or the end)."""
    if encoding == UTF32:
        return min(count, len(text))
    seen = 0
    for index, char in enumerate(text):
        width = len(char.encode("utf-8", "surrogatepass")) if encoding == UTF8 else (
            2 if ord(char) > 0xFFFF else 1)
        if seen + width > count:
            return index
        seen += width
    return len(text)


class Lines:
    """A document's lines, for converting between ipt-plan's places and an editor's. Built
    from the text as the editor holds it: a byte-order mark it keeps shifts line 1."""

    def __init__(self, document: str, encoding: str = UTF16):
        self.encoding = encoding
        self.bom = document.startswith("\ufeff")
        self.text = normalize(document)
        self.lines = self.text.split("\n")

    def line(self, number: int) -> str:
        """The text of line `number` (1-based); "" beyond the document."""
        return self.lines[number - 1] if 1 <= number <= len(self.lines) else ""

    def position(self, line: int, column: int) -> Position:
        """The editor's position of ipt-plan's 1-based line and column; a place past the
        end of a line or of the document is brought back to its end."""
        if line > len(self.lines):
            return self.end
        line = max(line, 1)
        text = self.lines[line - 1]
        before = text[:max(column, 1) - 1]
        shift = 1 if self.bom and line == 1 else 0
        return Position(line - 1, units(before, self.encoding) + shift)

    def span(self, loc: Loc) -> Span:
        return Span(self.position(loc.line, loc.column), self.position(loc.line, loc.end_column))

    @property
    def end(self) -> Position:
        last = len(self.lines)
        return Position(last - 1, units(self.lines[-1], self.encoding) + (
            1 if self.bom and last == 1 else 0))

    def column(self, position: Position) -> tuple[int, int]:
        """ipt-plan's (line, column) of an editor's position."""
        line = min(max(position.line, 0), len(self.lines) - 1)
        count = position.character - (1 if self.bom and line == 0 else 0)
        return line + 1, _index(self.lines[line], max(count, 0), self.encoding) + 1

    def edit(self, loc: Loc, text: str) -> Edit:
        """The edit that writes `text` at `loc`. A place at the start of the line after the
        last (where a fix adds a line to a document that does not end with a newline)
        becomes the document's end, the new line starting there."""
        if loc.line == len(self.lines) + 1:
            return Edit(Span(self.end, self.end), "\n" + text.removesuffix("\n"))
        return Edit(self.span(loc), text)


def apply(document: str, edits: Iterable[Edit], encoding: str = UTF16) -> str:
    """The document after the edits (none overlapping), as an editor applies them."""
    lines = document.split("\n")

    def offset(position: Position) -> int:
        line = min(position.line, len(lines) - 1)
        start = sum(len(text) + 1 for text in lines[:line])
        return start + _index(lines[line], position.character, encoding)

    for edit in sorted(edits, key=lambda e: e.span.start, reverse=True):
        document = (document[:offset(edit.span.start)] + edit.text
                    + document[offset(edit.span.end):])
        lines = document.split("\n")
    return document
