"""The parser: text to a list of typed statements (statements.py), one per line, plus
syntax errors (syntax_errors.py says them in words).

The whole file is parsed in one pass when it is well formed. When it is not, each line is
parsed on its own (statements never span lines), so every broken line is reported and
every good line still reaches the builder and the rules.
"""

from __future__ import annotations

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .diagnostics import Diagnostic
from .grammar import parser
from .model import Activity, Loc, Word
from .statements import (ActivityLine, BrokenLine, ClientLine, ClinicianLine, DeliveryLine,
                         DiagnosisLine, DiedLine, EveryLine, FocusLine, FormatLine, GoalLine,
                         EntryLine, IdLine, LogLine, MeasureLine, OutcomeLine, PhaseLine, PlanLine,
                         ProtocolLine, RiskLine, ScheduleLine, ScoreLine, SessionLine, SkipLine,
                         StageLine, Statement, code_end, first_word)
from .syntax_errors import syntax_error


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
    end = len(text.rstrip()) if "#" not in text else code_end(text)
    return Loc(line, first, max(first + 1, end + 1))


# A schedule line's cadence: its name, and the weeks between sessions for "every N weeks".
Cadence = tuple[str, int | None]
Children = list[Token | Cadence]  # a schedule line has its Cadence among the tokens


class _Statements:
    """Turns each line's subtree into its statement record. Positions come from the
    tokens (Lark's propagate_positions would double the cost of parsing); `offset` shifts
    lines when a single line was parsed on its own. A plain walk of the shallow tree,
    since Lark's Transformer visits every token for nothing here."""

    def __init__(self, lines: list[str], offset: int = 0):
        self.lines = lines
        self.offset = offset

    def transform(self, tree: Tree) -> list[Statement] | Statement | Cadence:
        """A subtree's record: the statements of the file (or line), one statement, or a
        schedule line's cadence, by the handler named after the grammar rule."""
        children = [self.transform(c) if isinstance(c, Tree) else c for c in tree.children]
        return getattr(self, tree.data)(children)

    # Each method below gets its line's children: the tokens, and for a schedule line
    # the cadence its own method made.

    def _loc(self, children: Children) -> Loc:
        token = next(c for c in children if isinstance(c, Token))
        return _line_loc(token.line + self.offset, self.lines[token.line - 1])

    def _word(self, token: Token) -> Word:
        return Word(str(token), Loc(token.line + self.offset, token.column, token.end_column))

    def start(self, children: list[Statement]) -> list[Statement]:
        return children

    def line(self, children: list[Statement]) -> list[Statement]:
        return children

    def plan_line(self, c: list[Token]) -> PlanLine:
        return PlanLine(self._loc(c), _unquote(c[0]))

    def id_line(self, c: list[Token]) -> IdLine:
        return IdLine(self._loc(c), self._word(c[0]))

    def client_line(self, c: list[Token]) -> ClientLine:
        value = _unquote(c[0]) if c[0].type == "STRING" else str(c[0])
        return ClientLine(self._loc(c), value)

    def clinician_line(self, c: list[Token]) -> ClinicianLine:
        return ClinicianLine(self._loc(c), _unquote(c[0]))

    def protocol_line(self, c: list[Token]) -> ProtocolLine:
        token = c[0]
        is_path = token.type == "STRING"
        word = self._word(token)
        if is_path:
            word = Word(_unquote(token), word.loc)
        return ProtocolLine(self._loc(c), word, is_path)

    def diagnosis_line(self, c: list[Token]) -> DiagnosisLine:
        return DiagnosisLine(self._loc(c), _unquote(c[0]))

    def delivery_line(self, c: list[Token]) -> DeliveryLine:
        return DeliveryLine(self._loc(c), self._word(c[0]))

    def format_line(self, c: list[Token]) -> FormatLine:
        return FormatLine(self._loc(c), self._word(c[0]))

    def weekly(self, c: list[Token]) -> Cadence:
        return ("weekly", None)

    def twice_weekly(self, c: list[Token]) -> Cadence:
        return ("twice_weekly", None)

    def monthly(self, c: list[Token]) -> Cadence:
        return ("monthly", None)

    def every_n_weeks(self, c: list[Token]) -> Cadence:
        return ("every_n_weeks", int(c[1]))

    def schedule_line(self, c: Children) -> ScheduleLine:
        (cadence, interval), date, time, minutes = c
        return ScheduleLine(self._loc(c), cadence, interval, self._word(date),
                            self._word(time), self._word(minutes))

    def schedule_change(self, c: Children) -> ScheduleLine:
        (cadence, interval), _, number, *rest = c
        time = next((self._word(t) for t in rest if t.type == "TIME"), None)
        minutes = next((self._word(t) for t in rest if t.type == "INT"), None)
        return ScheduleLine(self._loc(c), cadence, interval, None, time, minutes,
                            self._word(number))

    def skip_line(self, c: list[Token]) -> SkipLine:
        return SkipLine(self._loc(c), self._word(c[0]))

    def measure_line(self, c: list[Token]) -> MeasureLine:
        every = self._word(c[2]) if c[2].type == "INT" else None
        return MeasureLine(self._loc(c), self._word(c[0]), every)

    def measure_at(self, c: list[Token]) -> MeasureLine:
        return MeasureLine(self._loc(c), self._word(c[0]), None,
                           tuple(self._word(t) for t in c if t.type == "INT"))

    def focus_line(self, c: list[Token]) -> FocusLine:
        description = _unquote(c[2]) if len(c) > 2 else None
        return FocusLine(self._loc(c), self._word(c[0]), self._word(c[1]), description,
                         self._word(c[2]).loc if len(c) > 2 else None)

    def stage_line(self, c: list[Token]) -> StageLine:
        return StageLine(self._loc(c), self._word(c[0]),
                         self._word(c[2]) if len(c) > 2 else None)

    def died_line(self, c: list[Token]) -> DiedLine:
        return DiedLine(self._loc(c), self._word(c[0]))

    def goal_line(self, c: list[Token]) -> GoalLine:
        return GoalLine(self._loc(c), _unquote(c[0]))

    def phase_line(self, c: list[Token]) -> PhaseLine:
        name, first = c[0], c[2]
        last = c[3] if len(c) > 3 else first
        return PhaseLine(self._loc(c), self._word(name), self._word(first), self._word(last))

    def every_line(self, c: list[Token]) -> EveryLine:
        return EveryLine(self._loc(c))

    def session_line(self, c: list[Token]) -> SessionLine:
        title = _unquote(c[2]) if len(c) > 2 and c[2].type == "STRING" else None
        attributes: list[tuple[Word, list[Word]]] = []
        for token in c[3 if title is not None else 2:]:
            if token.type in ("NAME", "INT", "PERSON", "MIN"):
                if token.type != "MIN":
                    attributes[-1][1].append(self._word(token))
                continue
            attributes.append((self._word(token), []))
        return SessionLine(self._loc(c), self._word(c[1]), title,
                           tuple((keyword, tuple(words)) for keyword, words in attributes),
                           self._word(c[2]).loc if title is not None else None)

    def homework_line(self, c: list[Token]) -> ActivityLine:
        loc = self._loc(c)
        keyword = Word("homework", Loc(loc.line, loc.column, loc.column + 8))
        return ActivityLine(loc, Activity("homework", keyword, (), _unquote(c[0]), loc,
                                          self._word(c[0]).loc))

    def note_line(self, c: list[Token]) -> ActivityLine:
        loc = self._loc(c)
        keyword = Word("note", Loc(loc.line, loc.column, loc.column + 4))
        return ActivityLine(loc, Activity("note", keyword, (), _unquote(c[0]), loc,
                                          self._word(c[0]).loc))

    def homework_outcome_line(self, c: list[Token]) -> OutcomeLine:
        return OutcomeLine(self._loc(c), self._word(c[0]), _unquote(c[1]) if len(c) > 1 else None)

    def log_line(self, c: list[Token]) -> LogLine:
        return LogLine(self._loc(c))

    def entry_line(self, c: list[Token]) -> EntryLine:
        reason = _unquote(c[4]) if len(c) > 4 else None
        return EntryLine(self._loc(c), self._word(c[0]), self._word(c[2]), self._word(c[3]),
                         reason)

    def score_line(self, c: list[Token]) -> ScoreLine:
        items = tuple(self._word(t) for t in c[3:] if t.type == "INT")
        return ScoreLine(self._loc(c), self._word(c[0]), self._word(c[1]), items)

    def risk_line(self, c: list[Token]) -> RiskLine:
        return RiskLine(self._loc(c), _unquote(c[0]))

    def activity_line(self, c: list[Token]) -> ActivityLine:
        name = self._word(c[0])
        foci = tuple(self._word(t) for t in c[1:] if t.type == "NAME")
        quoted = next((t for t in c[1:] if t.type == "STRING"), None)
        detail = _unquote(quoted) if quoted is not None else None
        loc = self._loc(c)
        return ActivityLine(loc, Activity("technique", name, foci, detail, loc,
                                          self._word(quoted).loc if quoted is not None else None))


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
            diagnostics.append(syntax_error(err, line_text, index + 1, path))
            statements.append(BrokenLine(_line_loc(index + 1, line_text),
                                         first_word(line_text)))
            continue
        statements.extend(_Statements([line_text], offset=index).transform(tree))
    return statements, diagnostics
