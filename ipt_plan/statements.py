"""Statements: the typed record of each kind of line, the keywords and the forms a
correct line of each kind takes, and the one scanner that finds where a line's code ends
and its comment starts. The parser makes these records; the builder, the formatter and
suppression comments read them.
"""

from __future__ import annotations

from typing import NamedTuple, Union

from .model import Activity, Loc, Word


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


class ScheduleLine(NamedTuple):
    loc: Loc
    cadence: str
    interval_weeks: int | None
    date: Word
    time: Word
    minutes: Word


class SkipLine(NamedTuple):
    loc: Loc
    date: Word


class MeasureLine(NamedTuple):
    loc: Loc
    name: Word
    every: Word | None  # None: every session


class FocusLine(NamedTuple):
    loc: Loc
    id: Word
    area: Word
    description: str | None


class StageLine(NamedTuple):
    loc: Loc
    stage: Word


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


class ActivityLine(NamedTuple):
    loc: Loc
    activity: Activity


class BrokenLine(NamedTuple):
    """A line that did not parse (already reported). It stays in the sequence so that
    the builder does not hang the lines after it on the wrong focus or session."""

    loc: Loc
    first_word: str


Statement = Union[PlanLine, IdLine, ClientLine, ClinicianLine, ProtocolLine, DiagnosisLine,
                  ScheduleLine, SkipLine, MeasureLine, FocusLine, StageLine, GoalLine, PhaseLine, EveryLine,
                  SessionLine, ActivityLine, BrokenLine]

KEYWORD_OF = {
    PlanLine: "plan", IdLine: "id", ClientLine: "client", ClinicianLine: "clinician",
    ProtocolLine: "protocol", DiagnosisLine: "diagnosis", ScheduleLine: "schedule",
    SkipLine: "skip", MeasureLine: "measure", FocusLine: "focus", StageLine: "stage",
    GoalLine: "goal", PhaseLine: "phase", EveryLine: "every", SessionLine: "session",
    ActivityLine: "activity", BrokenLine: "broken",
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
    "schedule": "schedule weekly from 2026-12-07 at 10:00 for 50 min",
    "skip": "skip 2026-12-28",
    "measure": "measure PHQ-9 every session  (or: measure GAD-7 every 4 sessions)",
    "focus": 'focus sister: role_dispute "Sister Anna directs the care of their mother"',
    "stage": "stage renegotiation",
    "goal": 'goal "Agree a fair rota for appointments"',
    "phase": "phase middle sessions 4-13",
    "every": "every session",
    "session": 'session 4 "The hospital appointment argument"',
    "homework": 'homework "Visit the volunteer centre"',
    "note": 'note "Mother moves to a care home in March"',
    "activity": 'communication_analysis for sister "the argument about the doctor"',
}
KEYWORDS = tuple(k for k in LINE_FORMS if k != "activity")


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
