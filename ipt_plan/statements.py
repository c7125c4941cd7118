"""Statements: the typed record of each kind of line, the keywords and the forms a
correct line of each kind takes, and the one scanner that finds where a line's code ends
and its comment starts. The parser makes these records; the builder, the formatter and
suppression comments read them.
"""

from __future__ import annotations

from typing import NamedTuple, Union

from .model import Activity, Loc, Word
from .wording import closest


# --- statements: one record per kind of line --------------------------------------------

# Each statement's `loc` spans its whole line. Statements are NamedTuples rather than
# dataclasses: there are many kinds, and creating a dataclass costs five times more at
# import, which every `ipt-plan check` pays.
class PlanLine(NamedTuple):
    loc: Loc
    title: str


class IdLine(NamedTuple):
    loc: Loc
    id: Word  # as written; the builder checks its form


class ClientLine(NamedTuple):
    loc: Loc
    client: str


class ClinicianLine(NamedTuple):
    loc: Loc
    name: str


class ProtocolLine(NamedTuple):
    loc: Loc
    ref: Word
    is_path: bool  # written in quotes: a clinic's own profile file


class DiagnosisLine(NamedTuple):
    loc: Loc
    text: str


class DeliveryLine(NamedTuple):
    loc: Loc
    mode: Word  # as written; the builder checks it


class FormatLine(NamedTuple):
    loc: Loc
    format: Word  # as written; the builder checks it


class ScheduleLine(NamedTuple):
    """The first schedule line (`date` set), or a change of rhythm from a session on
    (`from_session` set; `time` and `minutes` None when kept from before)."""

    loc: Loc
    cadence: str
    interval_weeks: int | None
    date: Word | None
    time: Word | None
    minutes: Word | None
    from_session: Word | None = None


class SkipLine(NamedTuple):
    loc: Loc
    date: Word


class MeasureLine(NamedTuple):
    loc: Loc
    name: Word
    every: Word | None  # None: every session, or at the sessions listed
    at: tuple[Word, ...] = ()  # `at sessions 1, 7, 14`


class FocusLine(NamedTuple):
    loc: Loc
    id: Word
    area: Word
    description: str | None
    description_at: Loc | None = None  # the quoted description, quotes included


class StageLine(NamedTuple):
    loc: Loc
    stage: Word
    from_session: Word | None  # None: the stage at the start


class DiedLine(NamedTuple):
    loc: Loc
    date: Word  # YYYY-MM-DD, or YYYY-MM when only the month is known


class GoalLine(NamedTuple):
    loc: Loc
    text: str


class PhaseLine(NamedTuple):
    loc: Loc
    name: Word
    first: Word
    last: Word


class EveryLine(NamedTuple):
    loc: Loc


class SessionLine(NamedTuple):
    loc: Loc
    number: Word
    title: str | None
    # The attributes after the title, in the order written, each with its words:
    # ("with", (parent, interpreter)), ("by", (video,)), ("in", (person,)),
    # ("group", ()), ("individual", ()), ("for", (90,)). The builder checks them.
    attributes: tuple[tuple[Word, tuple[Word, ...]], ...] = ()
    title_at: Loc | None = None  # the quoted title, quotes included


class ActivityLine(NamedTuple):
    loc: Loc
    activity: Activity


class LogLine(NamedTuple):
    loc: Loc


class EntryLine(NamedTuple):
    """`2026-12-07 session 1 held`, `... cancelled "reason"`, `... missed`."""

    loc: Loc
    date: Word
    number: Word
    status: Word  # as written; the builder checks it
    reason: str | None


class ScoreLine(NamedTuple):
    loc: Loc
    scale: Word
    total: Word
    items: tuple[Word, ...]


class RiskLine(NamedTuple):
    loc: Loc
    text: str


class OutcomeLine(NamedTuple):
    """`homework done "text"` in the log: how the homework set last time went."""

    loc: Loc
    outcome: Word  # as written; the builder checks it
    text: str | None


class BrokenLine(NamedTuple):
    """A line that did not parse (already reported). It stays in the sequence so that
    the builder does not hang the lines after it on the wrong focus or session."""

    loc: Loc
    first_word: str
    # The line's other words outside quotes, without colons: a focus's name among them
    names: tuple[str, ...] = ()

    @property
    def keyword(self) -> str:
        """The keyword the line begins with, or the one it was near enough to be meant
        as (`sesion`); otherwise its first word (an activity line's technique)."""
        if self.first_word in KEYWORDS:
            return self.first_word
        return closest(self.first_word, KEYWORDS, cutoff=0.75) or self.first_word

    @property
    def defines(self) -> tuple[str, ...]:
        """The names a broken focus line may have been to define, which later lines use."""
        return self.names if self.keyword == "focus" else ()


Statement = Union[PlanLine, IdLine, ClientLine, ClinicianLine, ProtocolLine, DiagnosisLine,
                  DeliveryLine, FormatLine, ScheduleLine, SkipLine, MeasureLine, FocusLine,
                  StageLine, DiedLine, GoalLine, PhaseLine, EveryLine, SessionLine, ActivityLine,
                  LogLine, EntryLine, ScoreLine, RiskLine, OutcomeLine, BrokenLine]

KEYWORD_OF = {
    PlanLine: "plan", IdLine: "id", ClientLine: "client", ClinicianLine: "clinician",
    ProtocolLine: "protocol", DiagnosisLine: "diagnosis", DeliveryLine: "delivery",
    FormatLine: "format", ScheduleLine: "schedule",
    SkipLine: "skip", MeasureLine: "measure", FocusLine: "focus", StageLine: "stage",
    DiedLine: "died",
    GoalLine: "goal", PhaseLine: "phase", EveryLine: "every", SessionLine: "session",
    ActivityLine: "activity", LogLine: "log", EntryLine: "entry", ScoreLine: "score",
    RiskLine: "risk", OutcomeLine: "outcome", BrokenLine: "broken",
}


def keyword(statement: Statement) -> str:
    """The keyword a statement's line starts with ("activity" for a technique line)."""
    return KEYWORD_OF[type(statement)]

# What a correct line of each kind looks like, shown in hints.
LINE_FORMS = {
    "plan": 'plan "Ms. A: caregiving conflict with her sister"',
    "id": "id 7f3c9a2e1b4d",
    "client": "client A-0142",
    "clinician": 'clinician "Dr. R. Moreno"',
    "protocol": "protocol ipt",
    "diagnosis": 'diagnosis "Major depressive disorder, single episode"',
    "delivery": "delivery video  (or: in_person, telephone)",
    "format": "format individual  (or: group)",
    "schedule": "schedule weekly from 2026-12-07 at 10:00 for 50 min  "
                "(later: schedule every 2 weeks from session 13)",
    "skip": "skip 2026-12-28",
    "measure": "measure PHQ-9 every session  (or: measure GAD-7 every 4 sessions, "
               "measure HAM-D at sessions 1, 7, 14)",
    "focus": 'focus sister: role_dispute "Sister Anna directs the care of their mother"',
    "stage": "stage impasse  (later: stage renegotiation from session 7)",
    "died": "died 2026-02-14  (or the month alone: died 2026-02)",
    "goal": 'goal "Agree a fair rota for appointments"',
    "phase": "phase middle sessions 4-13",
    "every": "every session",
    "session": 'session 4 "The hospital appointment argument"  '
               '(or: session 7 "Joint session" with parent by video for 60 min)',
    "homework": 'homework "Visit the volunteer centre"',
    "note": 'note "Mother moves to a care home in March"',
    "activity": 'communication_analysis for sister "the argument about the doctor"',
    "log": "log",
    "entry": '2026-12-07 session 1 held  (or: cancelled "client unwell", missed)',
    "score": "score PHQ-9 19  (or with its items: score PHQ-9 19 items 2 2 3 2 2 3 2 2 1)",
    "risk": 'risk "Passive thoughts of death, no plan; safety plan reviewed"',
    "outcome": 'homework done "Wrote down each request"  (or: partly, not_done)',
}
# The words a line can start with ("activity", a log entry's date and a homework outcome
# start otherwise).
KEYWORDS = tuple(k for k in LINE_FORMS if k not in ("activity", "entry", "outcome"))


# --- where the code of a line ends -----------------------------------------------------

def comment_start(line_text: str) -> int | None:
    """The index of the `#` that starts the line's comment: the first one outside a
    quoted text, where a quote escaped with a backslash does not end the text. None when
    the line has no comment."""
    if "#" not in line_text:
        return None
    in_string = escaped = False
    for index, char in enumerate(line_text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "#":
            return index
    return None


def code_end(line_text: str) -> int:
    """Length of the line without its comment and trailing spaces."""
    start = comment_start(line_text)
    return len((line_text if start is None else line_text[:start]).rstrip())


def comments(text: str) -> list[tuple[int, int, str]]:
    """(line, column, text) of every comment: a # outside quotes, to the end of its line."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        start = comment_start(line)
        if start is not None:
            found.append((number, start + 1, line[start:]))
    return found


def first_word(text: str) -> str:
    stripped = text.strip()
    return stripped.split(None, 1)[0].rstrip(":") if stripped else ""
