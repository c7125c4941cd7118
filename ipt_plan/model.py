"""Typed, immutable records of a plan; every element knows where it was written.

The builder (``ipt_plan.builder``) makes these from parsed lines. Rules and renderers
read them and never see Lark trees. The records are NamedTuples, which cost a fifth of a
frozen dataclass to define: start-up time is the floor of every `ipt-plan check`. The
model knows nothing of the graph built from it (graph.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Iterator, NamedTuple

PHASE_ORDER = ("pretreatment", "initial", "middle", "termination", "continuation",
               "maintenance")
# How a session is held: the header's `delivery` and a session's `by telephone`,
# `by video` or `in person`.
DELIVERIES = ("in_person", "telephone", "video")
DEFAULT_DELIVERY = "in_person"
FORMATS = ("individual", "group")
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


def quoted_span(text: str, at: Loc, start: int, end: int) -> Loc:
    """Where `text[start:end]` is written, for a text the plan writes in quotes at `at`
    (the quotes included), with a quote and a backslash written as \\" and \\\\. A quoted
    text that holds any other backslash cannot be mapped back for certain: its whole span
    is given instead, never a wrong column."""
    written = len(text) + text.count('"') + text.count("\\")
    if written != at.end_column - at.column - 2:
        return at

    def column(index: int) -> int:
        before = text[:index]
        return at.column + 1 + index + before.count('"') + before.count("\\")

    return Loc(at.line, column(start), column(end))


class Schedule(NamedTuple):
    """The rhythm of sessions: the plan's first schedule line (from a date), or a change
    of rhythm from a session on (`from_session`; time and length kept from before unless
    the line gives them)."""

    cadence: str  # weekly | twice_weekly | every_n_weeks | monthly
    interval_weeks: int | None  # for every_n_weeks
    start: dt.date | None  # None when the written date does not exist, or for a change
    time: dt.time | None
    minutes: int
    loc: Loc
    from_session: Word | None = None  # None: the first schedule line

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
    every: int | None  # sessions between ratings, 1 = every session; None: `at` sessions
    loc: Loc
    at: tuple[Word, ...] = ()  # `at sessions 1, 7, 14`

    def due(self, session_number: int, first_session: int = 1) -> bool:
        """Whether the scale is rated at this session. `every N sessions` is the course's
        first session (the baseline) and every session whose number is a multiple of N,
        as clinics word it ("at intake and every 4 sessions"): 1, 4, 8, 12, 16 in a
        16-session course, so that most courses end with a rating."""
        if self.every is None:
            return any(int(word.text) == session_number for word in self.at)
        return session_number >= first_session and (
            session_number == first_session or session_number % self.every == 0)

    @property
    def label(self) -> str:
        """When it is rated, as the plan says it: "every session", "every 4 sessions",
        "at sessions 1, 7, 14"."""
        if self.every is None:
            numbers = ", ".join(word.text for word in self.at)
            return f"at session{'s' if len(self.at) > 1 else ''} {numbers}"
        return "every session" if self.every == 1 else f"every {self.every} sessions"


class Goal(NamedTuple):
    text: str
    loc: Loc


class Stage(NamedTuple):
    """A dispute's stage from a session on (`from_session` None: from the start)."""

    name: Word
    from_session: Word | None
    loc: Loc

    @property
    def first(self) -> int:
        return int(self.from_session.text) if self.from_session else 0


class Died(NamedTuple):
    """The death a grief focus mourns: a day, or a month when the day is not known."""

    date: dt.date  # the first of the month when only the month is known
    month_only: bool
    loc: Loc

    @property
    def text(self) -> str:
        return self.date.strftime("%Y-%m") if self.month_only else self.date.isoformat()


class Focus(NamedTuple):
    id: Word
    area: Word
    description: str | None
    stages: tuple[Stage, ...]  # in session order; the first holds from the start
    goals: tuple[Goal, ...]
    loc: Loc
    died: Died | None = None
    description_at: Loc | None = None  # the quoted description, quotes included

    @property
    def stage(self) -> Word | None:
        """The stage at the start of the course."""
        return self.stages[0].name if self.stages else None

    def stage_at(self, session_number: int) -> Word | None:
        """The stage in force at a session: the last stage line that has begun."""
        current = None
        for stage in self.stages:
            if stage.first <= session_number or current is None:
                current = stage.name
        return current


class Activity(NamedTuple):
    """One line inside a session or an `every session` block."""

    kind: str  # technique | homework | note
    name: Word  # the technique; for homework and note, the keyword itself
    foci: tuple[Word, ...]
    detail: str | None
    loc: Loc
    detail_at: Loc | None = None  # the quoted detail, homework or note, quotes included


class Session(NamedTuple):
    number: int
    title: str | None
    activities: tuple[Activity, ...]  # written in this session's own block
    loc: Loc | None  # None for a session of the phase's range that is not written out
    # What the session line says after its title (None: as the plan's header says)
    participants: tuple[Word, ...] = ()  # `with parent, interpreter`
    delivery: Word | None = None  # `by telephone`, `by video`, `in person` (as in_person)
    format: Word | None = None  # `group` or `individual`
    length: Word | None = None  # `for 90 min`: the minutes, at the number
    title_at: Loc | None = None  # the quoted title, quotes included

    @property
    def minutes(self) -> int | None:
        return int(self.length.text) if self.length else None


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
    notes: tuple[Activity, ...] = ()  # `note` lines directly under the phase line

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


# What happened to an appointment: `held`, `cancelled "reason"`, `missed` (did not attend).
STATUSES = ("held", "cancelled", "missed")
# How the homework set last time went: `homework done|partly|not_done ["text"]`.
HOMEWORK_OUTCOMES = ("done", "partly", "not_done")


class Score(NamedTuple):
    """`score PHQ-9 19 items 2 2 3 ...`: a rating scale's total, and its items if given."""

    scale: Word
    total: Word  # the number, at its place
    items: tuple[Word, ...]
    loc: Loc

    @property
    def value(self) -> int:
        return int(self.total.text)


class HomeworkOutcome(NamedTuple):
    outcome: Word  # done | partly | not_done
    text: str | None
    loc: Loc


class LogEntry(NamedTuple):
    """One appointment of the course as it happened: `2026-12-07 session 1 held`."""

    date: dt.date | None  # None when the written date does not exist (reported)
    date_word: Word
    session: Word  # the session's number, at its place
    status: Word  # held | cancelled | missed
    reason: str | None  # `cancelled "client unwell"`
    scores: tuple[Score, ...]
    homework: HomeworkOutcome | None
    risks: tuple[Activity, ...]  # `risk "..."`: risk was assessed, and what was found
    notes: tuple[Activity, ...]
    loc: Loc

    @property
    def number(self) -> int:
        return int(self.session.text)

    @property
    def held(self) -> bool:
        return self.status.text == "held"


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
    # Changes of rhythm after the first schedule line, in session order
    schedule_changes: tuple[Schedule, ...] = ()
    delivery: Word | None = None  # the header's `delivery`; None: in person
    format: Word | None = None  # the header's `format`; None: as the protocol's sessions
    # The `log` section, in the order written; None when the plan has none (a forecast
    # only: its sessions keep their scheduled dates)
    log: tuple[LogEntry, ...] | None = None
    # Where each header line is, by its keyword (client, clinician, diagnosis...)
    header_at: tuple[tuple[str, Loc], ...] = ()

    def line_of(self, keyword: str) -> Loc | None:
        """Where the header line of this keyword is; None when the plan has none."""
        return next((loc for word, loc in self.header_at if word == keyword), None)

    @property
    def schedules(self) -> tuple[Schedule, ...]:
        """Every schedule line: the first, then the changes, in session order."""
        return (self.schedule, *self.schedule_changes) if self.schedule else ()

    @property
    def first_session(self) -> int:
        """The course's first session: session 0 where the plan has one (a pre-treatment
        session), else session 1. The baseline of measures, and where the first-session
        tasks go."""
        return 0 if any(p.first <= 0 <= p.last for p in self.phases) else 1

    @property
    def protocol_name(self) -> str:
        return self.protocol.text if self.protocol else "ipt"

    def focus(self, focus_id: str) -> Focus | None:
        return next((f for f in self.foci if f.id.text == focus_id), None)

    def phase(self, kind: str) -> Phase | None:
        return next((p for p in self.phases if p.kind == kind), None)

    def sessions(self) -> Iterator[tuple[Phase, Session]]:
        """Every session of the course with its phase, in the order written."""
        return iter(self._sessions)

    @cached_property
    def _sessions(self) -> tuple[tuple[Phase, Session], ...]:
        # Made once per plan: a check's rules and stages walk the course a dozen times.
        return tuple((phase, session) for phase in self.phases for session in phase.course())
