"""Second stage: text to a list of typed statements, one per line, plus syntax errors.

The whole file is parsed in one pass when it is well formed. When it is not, each line is
parsed on its own (statements never span lines), so every broken line is reported and
every good line still reaches the builder and the rules.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import NamedTuple, Union

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .codes import SYNTAX
from .diagnostics import Diagnostic, Severity
from .grammar import parser
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


# --- tree to statements ---------------------------------------------------------------

def _unquote(token: Token) -> str:
    body = token.value[1:-1]
    if "\\" not in body:
        return body
    return body.replace('\\"', '"').replace("\\\\", "\\")


def _line_loc(line: int, text: str) -> Loc:
    """The span of a line's statement: from its first character to the end of its code,
    leaving out indentation and a trailing comment."""
    first = len(text) - len(text.lstrip()) + 1
    end = len(text.rstrip()) if "#" not in text else _code_end(text)
    return Loc(line, first, max(first + 1, end + 1))


class _Statements:
    """Turns each line's subtree into its statement record. Positions come from the
    tokens (Lark's propagate_positions would double the cost of parsing); `offset` shifts
    lines when a single line was parsed on its own. A plain walk of the shallow tree,
    since Lark's Transformer visits every token for nothing here."""

    def __init__(self, lines: list[str], offset: int = 0):
        self.lines = lines
        self.offset = offset

    def transform(self, tree: Tree):
        children = [self.transform(c) if isinstance(c, Tree) else c for c in tree.children]
        return getattr(self, tree.data)(children)

    def _loc(self, children) -> Loc:
        token = next(c for c in children if isinstance(c, Token))
        return _line_loc(token.line + self.offset, self.lines[token.line - 1])

    def _word(self, token: Token) -> Word:
        return Word(str(token), Loc(token.line + self.offset, token.column, token.end_column))

    def start(self, children):
        return children

    def line(self, children):
        return children

    def plan_line(self, c):
        return PlanLine(self._loc(c), _unquote(c[0]))

    def id_line(self, c):
        return IdLine(self._loc(c), self._word(c[0]))

    def client_line(self, c):
        value = _unquote(c[0]) if c[0].type == "STRING" else str(c[0])
        return ClientLine(self._loc(c), value)

    def clinician_line(self, c):
        return ClinicianLine(self._loc(c), _unquote(c[0]))

    def protocol_line(self, c):
        token = c[0]
        is_path = token.type == "STRING"
        word = self._word(token)
        if is_path:
            word = Word(_unquote(token), word.loc)
        return ProtocolLine(self._loc(c), word, is_path)

    def diagnosis_line(self, c):
        return DiagnosisLine(self._loc(c), _unquote(c[0]))

    def weekly(self, c):
        return ("weekly", None)

    def twice_weekly(self, c):
        return ("twice_weekly", None)

    def monthly(self, c):
        return ("monthly", None)

    def every_n_weeks(self, c):
        return ("every_n_weeks", int(c[1]))

    def schedule_line(self, c):
        (cadence, interval), date, time, minutes = c
        return ScheduleLine(self._loc(c), cadence, interval, self._word(date),
                            self._word(time), self._word(minutes))

    def skip_line(self, c):
        return SkipLine(self._loc(c), self._word(c[0]))

    def measure_line(self, c):
        every = self._word(c[2]) if c[2].type == "INT" else None
        return MeasureLine(self._loc(c), self._word(c[0]), every)

    def focus_line(self, c):
        description = _unquote(c[2]) if len(c) > 2 else None
        return FocusLine(self._loc(c), self._word(c[0]), self._word(c[1]), description)

    def stage_line(self, c):
        return StageLine(self._loc(c), self._word(c[0]))

    def goal_line(self, c):
        return GoalLine(self._loc(c), _unquote(c[0]))

    def phase_line(self, c):
        name, first = c[0], c[2]
        last = c[3] if len(c) > 3 else first
        return PhaseLine(self._loc(c), self._word(name), self._word(first), self._word(last))

    def every_line(self, c):
        return EveryLine(self._loc(c))

    def session_line(self, c):
        title = _unquote(c[2]) if len(c) > 2 else None
        return SessionLine(self._loc(c), self._word(c[1]), title)

    def homework_line(self, c):
        loc = self._loc(c)
        keyword = Word("homework", Loc(loc.line, loc.column, loc.column + 8))
        return ActivityLine(loc, Activity("homework", keyword, (), _unquote(c[0]), loc))

    def note_line(self, c):
        loc = self._loc(c)
        keyword = Word("note", Loc(loc.line, loc.column, loc.column + 4))
        return ActivityLine(loc, Activity("note", keyword, (), _unquote(c[0]), loc))

    def activity_line(self, c):
        name = self._word(c[0])
        foci = tuple(self._word(t) for t in c[1:] if t.type == "NAME")
        detail = next((_unquote(t) for t in c[1:] if t.type == "STRING"), None)
        loc = self._loc(c)
        return ActivityLine(loc, Activity("technique", name, foci, detail, loc))


# --- syntax errors in words -----------------------------------------------------------

TERMINAL_WORDS = {
    "STRING": 'a text in double quotes, like "Assessment"',
    "NAME": "a name made of letters, digits and _",
    "INT": "a whole number",
    "DATE": "a date written YYYY-MM-DD, like 2026-12-07",
    "TIME": "a time written HH:MM, like 10:00",
    "MEASURE": "a rating scale such as PHQ-9",
    "CLIENT_ID": "a client ID such as A-0142",
    "PLAN_ID": "the plan's id, 12 to 32 lowercase hexadecimal digits",
    "PROTOCOL_NAME": "a protocol name such as ipt or ipt-uk",
    "_NL": "the end of the line",
    "$END": "the end of the file",
}


def _describe(terminal: str) -> str:
    if terminal in TERMINAL_WORDS:
        return TERMINAL_WORDS[terminal]
    try:
        pattern = parser().get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    return f'"{pattern.value}"' if pattern.type == "str" else terminal.lower()


def _expected_words(terminals) -> str:
    words = sorted({_describe(t) for t in terminals if not t.startswith("__")})
    if not words:
        return "something else"
    if len(words) > 6:
        return "a keyword such as " + ", ".join(w for w in words if w.startswith('"'))[:120]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _code_end(line_text: str) -> int:
    """Length of the line without its trailing comment and spaces."""
    in_string = False
    for index, char in enumerate(line_text):
        if char == '"':
            in_string = not in_string
        elif char == "#" and not in_string:
            return len(line_text[:index].rstrip())
    return len(line_text.rstrip())


def _first_word(text: str) -> str:
    stripped = text.strip()
    return stripped.split(None, 1)[0].rstrip(":") if stripped else ""


# Common mistakes, learned from example lines: each example fails in one parser state on
# one kind of token, and any line failing the same way gets the mistake's own message and
# hint (the idea of Lark's `match_examples`, indexed once instead of re-parsed per error).
# In hints, {keyword} is the line's first word and {rest} what follows it.
COMMON_MISTAKES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("a session line needs its number", 'write: session 4 "The hospital appointment argument"',
     ("session", 'session "Assessment"', "session four", "session #4")),
    ("a focus needs a colon and its problem area after its name",
     f"write it like: {LINE_FORMS['focus']}",
     ('focus sister "x"', "focus sister", 'focus sister role_dispute "x"',
      "focus sister role_dispute")),
    ("a focus needs its problem area after the colon: grief, role_dispute, role_transition "
     "or interpersonal_deficits", f"write it like: {LINE_FORMS['focus']}",
     ('focus sister: "x"', "focus sister:")),
    ("a focus line starts with a short name for the focus", f"write it like: {LINE_FORMS['focus']}",
     ('focus: role_dispute "x"', 'focus "x"', "focus")),
    ("a phase line needs its sessions", "write it like: phase middle sessions 4-13",
     ("phase middle", "phase middle 4-13", "phase middle sessions", "phase middle sessions 4-",
      'phase middle "x"')),
    ("write the range with a dash", "write it like: phase middle sessions 4-13",
     ("phase middle sessions 4 to 13", "phase middle sessions 4 13")),
    ("a phase line starts with the phase's name: initial, middle, termination or maintenance",
     "write it like: phase middle sessions 4-13", ("phase", "phase 4-13")),
    ("the schedule needs how often: weekly, twice weekly, every N weeks or monthly",
     f"write it like: {LINE_FORMS['schedule']}",
     ("schedule from 2026-12-07 at 10:00 for 50 min", "schedule fortnightly from 2026-12-07",
      "schedule", "schedule every week from 2026-12-07", "schedule twice from 2026-12-07")),
    ("a measure line says how often the scale is used", f"write it like: {LINE_FORMS['measure']}",
     ("measure PHQ-9", "measure PHQ-9 weekly", "measure PHQ-9 every", "measure PHQ-9 every week",
      'measure PHQ-9 "x"')),
    ("this text needs double quotes around it", 'write: {keyword} "{rest}"',
     ("plan Ms A", "goal Agree a rota", "clinician Dr Moreno", "diagnosis Major depression",
      "homework Visit the centre", "note Mother moved", "plan 2027")),
    ("'for' must be followed by the focus it works on", "write it like: role_play for sister",
     ("role_play for", 'role_play for "x"', "role_play for sister,")),
    ("write 'for' between the technique and the focus it works on",
     "write: {keyword} for {rest}",
     ("role_play sister", 'role_play sister "x"', "role_play sister, retirement")),
    ("a skip line needs the date of the session that does not happen",
     "write the date as YYYY-MM-DD: skip 2026-12-28", ("skip", "skip 28/12/2026", "skip 2026-12",
                                                       'skip "2026-12-28"')),
    ("write 'every session' to start a block for every session of the phase",
     "write: every session", ("every", "every sessions", "every 2 sessions")),
    ("the plan's id is written without quotes", f"write it like: {LINE_FORMS['id']}",
     ('id "7f3c9a2e1b4d"',)),
    ("a stage line names the dispute's stage: renegotiation, impasse or dissolution",
     "write it like: stage renegotiation", ("stage", 'stage "impasse"')),
)


@lru_cache(maxsize=1)
def _mistake_index() -> dict[tuple, int]:
    index: dict[tuple, int] = {}
    for number, (_, _, examples) in enumerate(COMMON_MISTAKES):
        for example in examples:
            try:
                parser().parse(example, start="line")
            except UnexpectedInput as err:
                index.setdefault(_mistake_key(err), number)
    return index


def _mistake_key(err: UnexpectedInput) -> tuple:
    token = getattr(err, "token", None)
    state = getattr(err, "state", None)
    state = getattr(state, "position", state)  # the LALR state number
    return (type(err).__name__, state if isinstance(state, (int, str)) else None,
            token.type if token else None)


def _common_mistake(err: UnexpectedInput, line_text: str) -> tuple[str, str] | None:
    number = _mistake_index().get(_mistake_key(err))
    if number is None:
        return None
    message, hint, _ = COMMON_MISTAKES[number]
    code = line_text.split("#", 1)[0].strip() if '"' not in line_text else line_text.strip()
    keyword, _, rest = code.partition(" ")
    return message, hint.format(keyword=keyword, rest=rest.strip().strip('"'))


def _syntax_error(err: UnexpectedInput, line_text: str, line: int, path: str) -> Diagnostic:
    first = _first_word(line_text)
    form_key = first if first in LINE_FORMS else "activity"
    hint = f"{_article(form_key)} {form_key} line looks like: {LINE_FORMS[form_key]}"
    column = err.column if isinstance(err.column, int) and err.column > 0 else 1
    token = getattr(err, "token", None)
    at_end = isinstance(err, UnexpectedToken) and (token is None or token.type in ("_NL", "$END"))
    if at_end:
        column = _code_end(line_text) + 1

    def located(message: str, hint: str | None, end: int) -> Diagnostic:
        return Diagnostic(SYNTAX, Severity.ERROR, message, path, line, column,
                          max(end, column + 1), hint)

    if isinstance(err, UnexpectedCharacters) and line_text[column - 1:column] == '"':
        return located("this text has no closing quote", 'end the text with " on the same line',
                       len(line_text.rstrip()) + 1)
    if first and first not in LINE_FORMS:
        close = difflib.get_close_matches(first, KEYWORDS, n=1, cutoff=0.75)
        if close and not (token is not None and token.column == 1 + line_text.find(first)):
            column = line_text.find(first) + 1
            return located(f"'{first}' is not a keyword; did you mean '{close[0]}'?",
                           f"{_article(close[0])} {close[0]} line looks like: "
                           f"{LINE_FORMS[close[0]]}",
                           column + len(first))
    if token is not None and not at_end and token.end_line == token.line:
        token_end = token.end_column or column + 1
    else:
        token_end = column + 1
    mistake = _common_mistake(err, line_text)
    if mistake is not None:
        return located(mistake[0], mistake[1], token_end)
    if isinstance(err, UnexpectedCharacters):
        char = line_text[column - 1:column]
        message = f"unexpected character {char!r}"
        if err.allowed:
            message += f"; expected {_expected_words(err.allowed)}"
        return located(message, hint, column + 1)
    expected = getattr(err, "expected", None) or getattr(err, "accepts", None) or set()
    if at_end:
        return located(f"this {form_key} line is incomplete: expected "
                       f"{_expected_words(expected)}", hint, column + 1)
    return located(f"expected {_expected_words(expected)}, found '{token}'", hint, token_end)


# --- entry point ------------------------------------------------------------------------

def parse(text: str, path: str = "<plan>") -> tuple[list[Statement], list[Diagnostic]]:
    """All statements of a plan in order, and a diagnostic for every line that failed."""
    lark = parser()
    try:
        return _Statements(text.split("\n")).transform(lark.parse(text, start="start")), []
    except UnexpectedInput:
        pass
    statements: list[Statement] = []
    diagnostics: list[Diagnostic] = []
    for index, line_text in enumerate(text.split("\n")):
        stripped = line_text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            tree = lark.parse(line_text, start="line")
        except (UnexpectedToken, UnexpectedCharacters, UnexpectedEOF) as err:
            diagnostics.append(_syntax_error(err, line_text, index + 1, path))
            statements.append(BrokenLine(_line_loc(index + 1, line_text),
                                         _first_word(line_text)))
            continue
        statements.extend(_Statements([line_text], offset=index).transform(tree))
    return statements, diagnostics
