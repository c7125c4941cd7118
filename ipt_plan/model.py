"""Typed, immutable records of a plan; every element knows where it was written.

The builder (``ipt_plan.builder``) makes these from parsed lines. Rules and renderers
read them and never see Lark trees. The records are NamedTuples, which cost a fifth of a
frozen dataclass to define: start-up time is the floor of every `ipt-plan check`. The
model knows nothing of the graph built from it (graph.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterator, NamedTuple

PHASE_ORDER = ("pretreatment", "initial", "middle", "termination", "continuation", "maintenance")
# More sessions than this in a phase or a profile is a typing slip (4-40000 for 4-40); the
# bound keeps every later stage from walking a huge course.
MAX_SESSIONS = 20_000


class Loc(NamedTuple):
    """A span of source text: 1-based line and column, end column exclusive."""

    line: int
    column: int
    end_column: int


class Word(NamedTuple):
    """A name as the clinician wrote it (technique, focus id, area...), with its place."""

    text: str
    loc: Loc


class Schedule(NamedTuple):
    cadence: str  # weekly | twice_weekly | every_n_weeks | monthly
    interval_weeks: int | None  # for every_n_weeks
    start: dt.date | None  # None when the written date does not exist
    time: dt.time | None
    minutes: int
    loc: Loc

    @property
    def label(self) -> str:
        if self.cadence == "every_n_weeks":
            return f"every {self.interval_weeks} weeks"
        return self.cadence.replace("_", " ")


class Skip(NamedTuple):
    date: dt.date
    loc: Loc


class Measure(NamedTuple):
    name: Word
    every: int  # sessions between ratings; 1 = every session
    loc: Loc

    def due(self, session_number: int) -> bool:
        # Counted from session 1: "every 4 sessions" rates at 1, 5, 9...
        return session_number >= 1 and (session_number - 1) % self.every == 0


class Goal(NamedTuple):
    text: str
    loc: Loc


class Focus(NamedTuple):
    id: Word
    area: Word
    description: str | None
    stage: Word | None
    goals: tuple[Goal, ...]
    loc: Loc


class Activity(NamedTuple):
    """One line inside a session or an `every session` block."""

    kind: str  # technique | homework | note
    name: Word  # the technique; for homework and note, the keyword itself
    foci: tuple[Word, ...]
    detail: str | None
    loc: Loc


class Session(NamedTuple):
    number: int
    title: str | None
    activities: tuple[Activity, ...]  # written in this session's own block
    loc: Loc | None  # None for a session of the phase's range that is not written out


class Phase(NamedTuple):
    name: Word
    first: int
    last: int
    every: tuple[Activity, ...]  # the `every session` block
    sessions: tuple[Session, ...]  # as written, in order
    loc: Loc
    # True when the range as written was longer than a plan can hold and `last` was
    # brought down to fit: its length is then not the clinician's, and is not judged.
    cut: bool = False

    @property
    def kind(self) -> str:
        return self.name.text

    @property
    def numbers(self) -> range:
        return range(self.first, self.last + 1)

    def course(self) -> Iterator[Session]:
        """Every session of the phase's range, written out or not, in order."""
        written = {s.number: s for s in self.sessions}
        for number in self.numbers:
            yield written.get(number) or Session(number, None, (), None)


@dataclass(frozen=True)
class Plan:
    path: str
    title: str | None
    id: str | None  # the plan's own random id (`id 7f3c9a2e1b4d`); calendar UIDs keep to it
    client: str | None
    clinician: str | None
    protocol: Word | None
    diagnosis: str | None
    schedule: Schedule | None
    skips: tuple[Skip, ...]
    measures: tuple[Measure, ...]
    foci: tuple[Focus, ...]
    phases: tuple[Phase, ...]
    loc: Loc | None  # the `plan` line

    @property
    def protocol_name(self) -> str:
        return self.protocol.text if self.protocol else "ipt"

    def focus(self, focus_id: str) -> Focus | None:
        return next((f for f in self.foci if f.id.text == focus_id), None)

    def phase(self, kind: str) -> Phase | None:
        return next((p for p in self.phases if p.kind == kind), None)

    def sessions(self) -> Iterator[tuple[Phase, Session]]:
        """Every session of the course with its phase, in the order written."""
        for phase in self.phases:
            for session in phase.course():
                yield phase, session
