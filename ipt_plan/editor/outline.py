"""The plan's outline for an editor: its blocks as symbols (the header, each focus, each
phase with its sessions, the log with its entries), the same blocks folded, and a focus's
definition and references. A block runs from its line to the line before the next block
of its level or above, less the blank lines and comments at its end (those belong to what
follows, as the formatter reads them); which line opens which block is the parsed plan's.
"""

from __future__ import annotations

from typing import Iterator, NamedTuple

from ..model import Loc, Plan, Word
from ..statements import code_end, first_word

TOP, INNER = 0, 1  # a block's level: plan, focus, phase, log; session, every session


class Symbol(NamedTuple):
    name: str
    kind: str  # header | focus | phase | session | log | entry
    detail: str | None
    first: int  # the block's first and last lines, 1-based
    last: int
    selection: Loc  # what names it, within those lines
    children: tuple[Symbol, ...] = ()


def _level(line_text: str) -> int | None:
    """The level of block a line opens, from its first words; None for any other line."""
    word = first_word(line_text)
    if word in ("plan", "focus", "phase", "log"):
        return TOP
    if word == "session" or line_text.split()[:2] == ["every", "session"]:
        return INNER
    return None


class Blocks:
    """Where each block of a document ends, by the line that opens it."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.ends: dict[int, int] = {}
        open_at: dict[int, int] = {}  # level: the line of the block open at that level
        for number, text in enumerate(lines, start=1):
            level = _level(text)
            if level is None:
                continue
            for other in [lvl for lvl in open_at if lvl >= level]:
                self.ends[open_at.pop(other)] = self._trimmed(number - 1)
            open_at[level] = number
        for start in open_at.values():
            self.ends[start] = self._trimmed(len(lines))

    def _trimmed(self, last: int) -> int:
        """`last`, or the line before the blank lines and comments that end at it."""
        while last > 1 and not self.lines[last - 1][:code_end(self.lines[last - 1])].strip():
            last -= 1
        return last

    def end(self, first: int) -> int:
        return max(self.ends.get(first, first), first)


def symbols(plan: Plan, lines: list[str]) -> list[Symbol]:
    """The header, foci, phases (with their sessions) and log, in the order written."""
    blocks = Blocks(lines)
    found: list[Symbol] = []
    if plan.loc is not None:
        found.append(Symbol(plan.title or "plan", "header", plan.protocol_name, plan.loc.line,
                            blocks.end(plan.loc.line), plan.loc))
    for focus in plan.foci:
        found.append(Symbol(focus.id.text, "focus", focus.area.text, focus.loc.line,
                            blocks.end(focus.loc.line), focus.id.loc))
    for phase in plan.phases:
        sessions = tuple(
            Symbol(f"session {s.number}", "session", s.title, s.loc.line,
                   blocks.end(s.loc.line), s.loc) for s in phase.sessions if s.loc is not None)
        span = f"{phase.first}-{phase.last}" if phase.last != phase.first else str(phase.first)
        found.append(Symbol(f"{phase.kind} phase", "phase", f"sessions {span}",
                            phase.loc.line, blocks.end(phase.loc.line), phase.name.loc,
                            sessions))
    if plan.log:
        first = plan.log[0].loc.line
        opened = next((n for n in range(first - 1, 0, -1) if first_word(lines[n - 1]) == "log"),
                      first)
        entries = tuple(
            Symbol(f"{e.date_word.text} session {e.session.text} {e.status.text}", "entry",
                   e.reason, e.loc.line, e.loc.line, e.loc) for e in plan.log)
        found.append(Symbol("log", "log", f"{len(plan.log)} entries", opened,
                            blocks.end(opened), Loc(opened, 1, 4), entries))
    found.sort(key=lambda s: s.first)
    return found


def folds(plan: Plan, lines: list[str]) -> list[tuple[int, int]]:
    """The 1-based first and last lines of each block that spans more than its line:
    foci, phases, sessions, the log."""
    spans = []
    for symbol in symbols(plan, lines):
        if symbol.kind != "header":
            spans.append((symbol.first, symbol.last))
        spans.extend((child.first, child.last) for child in symbol.children)
    return [(first, last) for first, last in spans if last > first]


def focus_words(plan: Plan) -> Iterator[Word]:
    """Every focus named where it is worked on (`for sister`)."""
    for phase in plan.phases:
        for activity in (*phase.every, *phase.notes,
                         *(a for s in phase.sessions for a in s.activities)):
            yield from activity.foci


def _on(word: Word, line: int, column: int) -> bool:
    return word.loc.line == line and word.loc.column <= column <= word.loc.end_column


def focus_at(plan: Plan, line: int, column: int) -> str | None:
    """The focus named at the 1-based place: on its definition or where it is worked on."""
    for focus in plan.foci:
        if _on(focus.id, line, column):
            return focus.id.text
    for word in focus_words(plan):
        if _on(word, line, column):
            return word.text
    return None


def definition(plan: Plan, line: int, column: int) -> Loc | None:
    """Where the focus named at the place is defined (its id on its focus line)."""
    name = focus_at(plan, line, column)
    focus = plan.focus(name) if name else None
    return focus.id.loc if focus else None


def references(plan: Plan, line: int, column: int, declaration: bool = True) -> list[Loc]:
    """Every place the focus named at the place is named: its definition (when asked for)
    and each `for` that works on it."""
    name = focus_at(plan, line, column)
    if name is None:
        return []
    focus = plan.focus(name)
    found = [focus.id.loc] if declaration and focus else []
    return found + sorted(word.loc for word in focus_words(plan) if word.text == name)
