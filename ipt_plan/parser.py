"""The parser: text to a list of typed statements (statements.py), one per line, plus
syntax errors (syntax_errors.py says them in words).

The whole file is parsed in one pass; a broken line is parsed on its own (statements never
span lines) and the pass resumes after it, so every broken line is reported and every good
line still reaches the builder and the rules. `reparse` parses again only the lines of a
document that changed since its last parse (the warm re-check of editors, warm.py).
"""

from __future__ import annotations

from typing import Collection, NamedTuple

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .codes import SYNTAX
from .diagnostics import Diagnostic, Fix, Severity
from .grammar import parser
from .model import Activity, Loc, Word
from .statements import (ActivityLine, BrokenLine, ClientLine, ClinicianLine, DeliveryLine,
                         DiagnosisLine, DiedLine, EveryLine, FocusLine, FormatLine, GoalLine,
                         EntryLine, IdLine, LogLine, MeasureLine, OutcomeLine, PhaseLine, PlanLine,
                         ProtocolLine, RiskLine, ScheduleLine, ScoreLine, SessionLine, SkipLine,
                         StageLine, Statement, KEYWORDS, code_end, first_word,
                         run_on_keyword)
from .syntax_errors import joined_name, syntax_error


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


# --- entry points -----------------------------------------------------------------------

# A whole pass over the text parses it fastest; a line parsed on its own pays Lark's set-up
# each time. Changed lines are parsed one by one while they are at most this share of the
# text's lines (one in four), and the whole text is parsed again beyond it.
ALONE_SHARE = 4
# After this many syntax errors in one text, its remaining lines are parsed one by one:
# each whole pass after an error copies the rest of the text, which a file of nothing but
# broken lines would pay once per line.
MAX_WHOLE_PASSES = 16


class Parsed(NamedTuple):
    """A text's statements in order, a diagnostic for every line that failed, and the
    text's lines, which `reparse` compares with the next version of the same document."""

    path: str
    lines: list[str]
    statements: list[Statement]
    diagnostics: list[Diagnostic]


def parse(text: str, path: str = "<plan>") -> tuple[list[Statement], list[Diagnostic]]:
    """All statements of a plan in order, and a diagnostic for every line that failed."""
    parsed = reparse(text, path)
    return parsed.statements, parsed.diagnostics


def reparse(text: str, path: str = "<plan>", earlier: Parsed | None = None) -> Parsed:
    """As `parse`, given the parse of an earlier version of the same document (`earlier`,
    for the same path): a line unchanged at the same index keeps its statement and its
    error, since statements never span lines and a statement's location is its own line's.
    Only the lines that changed are parsed, one by one, unless so many changed (a paste; a
    line inserted above moves every line after it) that one pass over the whole costs less."""
    lines = text.split("\n")
    if earlier is not None and earlier.path == path:
        before = earlier.lines
        changed = [index for index, line in enumerate(lines)
                   if index >= len(before) or before[index] != line]
        if len(changed) * ALONE_SHARE <= len(lines):
            return _reuse(lines, path, earlier, set(changed))
    return _parse_whole(text, lines, path)


def _reuse(lines: list[str], path: str, earlier: Parsed, changed: set[int]) -> Parsed:
    kept: dict[int, list[Statement]] = {}
    for statement in earlier.statements:
        kept.setdefault(statement.loc.line - 1, []).append(statement)
    errors = {d.line - 1: d for d in earlier.diagnostics}
    statements: list[Statement] = []
    diagnostics: list[Diagnostic] = []
    for index, line_text in enumerate(lines):
        if index in changed:
            _parse_alone(line_text, index, path, statements, diagnostics)
            continue
        statements.extend(kept.get(index, ()))
        if index in errors:
            diagnostics.append(errors[index])
    return Parsed(path, lines, statements, diagnostics)


def _parse_whole(text: str, lines: list[str], path: str) -> Parsed:
    """The whole text in one pass when it is well formed. When it is not, Lark stops at the
    first broken line: the lines before it keep what Lark built of them, the broken line is
    parsed on its own (for its error in the words of a single line), and the pass goes on
    after it, so that an error costs about what a clean text does."""
    lark = parser()
    statements: list[Statement] = []
    diagnostics: list[Diagnostic] = []
    start = passes = 0
    while start < len(lines):
        rest = lines[start:] if start else lines
        passes += 1
        if passes > MAX_WHOLE_PASSES:
            for index in range(start, len(lines)):
                _parse_alone(lines[index], index, path, statements, diagnostics)
            break
        try:
            tree = lark.parse("\n".join(rest) if start else text, start="start")
        except UnexpectedInput as err:
            failing = _failing_index(err, len(rest))
            built = None if failing is None else _built_before(err, rest, start, failing)
            if failing is None:  # it names no line to resume after: every line on its own
                failing = len(rest) - 1
            if built is None:
                for index in range(start, start + failing):
                    _parse_alone(lines[index], index, path, statements, diagnostics)
            else:
                statements.extend(built)
            _parse_alone(lines[start + failing], start + failing, path, statements,
                         diagnostics)
            start += failing + 1
            continue
        statements.extend(_Statements(rest, offset=start).transform(tree))
        break
    return Parsed(path, lines, statements, diagnostics)


def _failing_index(err: UnexpectedInput, line_count: int) -> int | None:
    """The index of the line Lark stopped at, among `line_count` lines; None if it names none."""
    line = getattr(err, "line", None)
    return line - 1 if isinstance(line, int) and 1 <= line <= line_count else None


def _built_before(err: UnexpectedInput, lines: list[str], offset: int,
                  failing: int) -> list[Statement] | None:
    """The statements of `lines[:failing]`, from the trees Lark had built when it stopped
    at `lines[failing]`: its parser state, which it hands over with the error for error
    recovery. None when they are not all there (the statements found must be exactly one
    on each line before that holds code), and then those lines are parsed again."""
    state = getattr(getattr(err, "interactive_parser", None), "parser_state", None)
    stack = getattr(state, "value_stack", None)
    if not isinstance(stack, list):
        return None
    trees: list[Tree] = []
    for value in stack:
        if isinstance(value, Tree):
            # Lark's own rules for `(statement _NL)*` (named __start_star_0) hold the
            # statements reduced so far.
            trees.extend(value.children if value.data.startswith("__") else [value])
    make = _Statements(lines, offset)
    built: list = []
    for tree in trees:
        first = next(tree.scan_values(lambda v: isinstance(v, Token)), None) \
            if isinstance(tree, Tree) else None
        if first is not None and first.line <= failing:  # what the broken line began is left
            built.append(make.transform(tree))
    code_lines = [offset + index + 1 for index in range(failing) if _holds_code(lines[index])]
    if [getattr(st, "loc", Loc(0, 0, 0)).line for st in built] != code_lines:
        return None
    return built


def _holds_code(line_text: str) -> bool:
    stripped = line_text.strip()
    return bool(stripped) and not stripped.startswith("#")


def _names(line_text: str) -> tuple[str, ...]:
    """The words after a line's first that could be names: outside quotes, colons dropped."""
    code = line_text[:code_end(line_text)].split('"', 1)[0]
    return tuple(word for word in code.replace(":", " ").replace(",", " ").split()[1:]
                 if word.replace("_", "a").isalnum())


def _parse_alone(line_text: str, index: int, path: str, statements: list[Statement],
                 diagnostics: list[Diagnostic]) -> None:
    """One line (`index` from 0) parsed on its own: its statement, or a BrokenLine and its
    syntax error."""
    if not _holds_code(line_text):
        return
    try:
        tree = parser().parse(line_text, start="line")
    except (UnexpectedToken, UnexpectedCharacters, UnexpectedEOF) as err:
        diagnostics.append(syntax_error(err, line_text, index + 1, path))
        statements.append(BrokenLine(_line_loc(index + 1, line_text), first_word(line_text),
                                     _names(line_text)))
        return
    statements.extend(_Statements([line_text], offset=index).transform(tree))


# --- broken lines read as they were meant ------------------------------------------------

def misread_keywords(statements: list[Statement], diagnostics: list[Diagnostic], text: str,
                     path: str, names: Collection[str]) -> tuple[list[Statement], list[Diagnostic]]:
    """A keyword line written `Goal "..."` or `stagerenegotiation` reads as a technique's
    line, which the builder would place, or not, as one. Such a line is a slip of the
    keyword: it is said as one, with its fix, and left as a broken line for `repair` to
    read as fixed; so is a technique in the wrong case (`Sick_role`). `names`: the
    catalogue's techniques, which are not slips (a set or a dict: each line asks it once,
    which is all a clean plan costs). New lists are returned."""
    found: dict[int, Diagnostic] = {}
    by_lower: dict[str, str] | None = None  # made only for a name the catalogue lacks
    for st in statements:
        if not isinstance(st, ActivityLine) or st.activity.kind != "technique" \
                or st.activity.name.text in names:
            continue
        name = st.activity.name
        by_lower = by_lower or {known.lower(): known for known in names}
        slip = _keyword_slip(name.text, by_lower)
        if slip is None:
            continue
        line_text = text.split("\n", name.loc.line)[name.loc.line - 1]
        fix, message, hint = slip(name.loc)
        fixed = line_text[:fix.loc.column - 1] + fix.text + line_text[fix.loc.end_column - 1:]
        try:
            parser().parse(fixed, start="line")
        except UnexpectedInput:
            continue
        found[name.loc.line] = Diagnostic(SYNTAX, Severity.ERROR, message, path, name.loc.line,
                                          name.loc.column, name.loc.end_column, hint, (fix,))
    if not found:
        return statements, diagnostics
    kept = [BrokenLine(st.loc, st.activity.name.text)
            if isinstance(st, ActivityLine) and st.loc.line in found else st for st in statements]
    return kept, sorted([*diagnostics, *found.values()], key=lambda d: (d.line, d.column))


def _keyword_slip(word: str, by_lower: dict[str, str]):
    """How `word` slipped from a keyword or a name of the catalogue (`by_lower`, by
    their lower case): `Goal`, `Sick_role`, `stagerenegotiation`. A function of its place
    giving the fix, the message and the hint; None if it is no slip."""
    lower = word.lower()
    if lower in KEYWORDS and word != lower:
        return lambda at: (Fix(f"Change to '{lower}'", at, lower),
                           f"'{word}' is not a keyword; did you mean '{lower}'?",
                           f"keywords are written in lower case: {lower}")
    if lower in by_lower and word != by_lower[lower]:
        name = by_lower[lower]
        return lambda at: (Fix(f"Change to '{name}'", at, name),
                           f"'{word}' is not a name ipt-plan knows; did you mean '{name}'?",
                           f"a name is written as the catalogue has it: {name}")
    keyword = run_on_keyword(word)
    rest = word[len(keyword):] if keyword else ""
    if keyword is None or (len(rest) == 1 and not rest.isdigit()):
        return None  # `idd` is a misspelt `id`
    return lambda at: (Fix(f"Put a space after '{keyword}'",
                           Loc(at.line, at.column + len(keyword), at.column + len(keyword)), " "),
                       f"'{word}' is the keyword '{keyword}' run into what follows; put a "
                       "space after it", f"write: {keyword} {word[len(keyword):]}")


# Sure fixes made one after another on one line: enough for every mistake a line of the
# language can hold, few enough that a line of garbage costs nothing.
MAX_REPAIRS = 4


def repair(statements: list[Statement], diagnostics: list[Diagnostic], text: str, path: str,
           names: Collection[str]) -> tuple[list[Statement], list[Diagnostic]]:
    """A broken line whose syntax error carries a sure fix (curly quotes, a name of the
    catalogue written apart, a missing colon: syntax_errors) is read again as fixed, and
    its statement takes the place of its BrokenLine, placed on the line as written. The
    builder and the rules then see what the clinician meant, so that one mistake gives one
    message, and what the rules say of the line is said now, not after the fix. A second
    mistake the fix reveals on the same line is said too, and fixed in turn if it can be.
    `names`: the catalogue's, for names written apart. New lists are returned; the ones
    given are not changed (a warm checker hands them out again)."""
    if not any(d.code == SYNTAX for d in diagnostics):
        return statements, diagnostics
    lines = text.split("\n")
    by_lower = {name.lower(): name for name in names}
    said: list[Diagnostic] = []
    read_as: dict[int, list[Statement]] = {}
    for d in diagnostics:
        if d.code != SYNTAX or not 1 <= d.line <= len(lines):
            said.append(d)
            continue
        found, meant = _repaired(joined_name(d, lines[d.line - 1], by_lower), lines[d.line - 1],
                                 path, by_lower)
        said.extend(found)
        if meant is not None:
            read_as[d.line] = meant
    if not read_as:
        return statements, said
    kept: list[Statement] = []
    for st in statements:
        if isinstance(st, BrokenLine) and st.loc.line in read_as:
            kept.extend(read_as.pop(st.loc.line))
        else:
            kept.append(st)
    return kept, said


def _repaired(d: Diagnostic, line_text: str, path: str, by_lower: dict[str, str]
              ) -> tuple[list[Diagnostic], list[Statement] | None]:
    """The diagnostics of one broken line (its first, and any a fix revealed), and its
    statements if sure fixes make it read; None if they do not."""
    found = [d]
    fixed, shifts = line_text, []  # each fix made: (column, end, length of its text)
    for _ in range(MAX_REPAIRS):
        fixes = d.fixes
        if not fixes or any(fix.loc.line != d.line for fix in fixes):
            return found, None
        for fix in sorted(fixes, key=lambda f: f.loc.column, reverse=True):
            fixed = fixed[:fix.loc.column - 1] + fix.text + fixed[fix.loc.end_column - 1:]
            shifts.append((fix.loc.column, fix.loc.end_column, len(fix.text)))
        written = _as_written(shifts)
        try:
            tree = parser().parse(fixed, start="line")
        except (UnexpectedToken, UnexpectedCharacters, UnexpectedEOF) as err:
            d = joined_name(syntax_error(err, fixed, d.line, path), fixed, by_lower)
            found.append(_placed(d, written))
            continue
        return found, [_placed(st, written)
                       for st in _flat(_Statements([fixed], offset=d.line - 1).transform(tree))]
    return found, None


def _flat(made: list[Statement] | Statement) -> list[Statement]:
    return made if isinstance(made, list) else [made]


def _as_written(shifts: list[tuple[int, int, int]]):
    """The column on the line as written of a column on the line as fixed, for fixes made
    in this order: a column after a fix moves by what the fix added, one inside it goes
    to the span it replaced."""
    def column(at: int) -> int:
        for start, end, length in reversed(shifts):
            if at >= start + length:
                at -= length - (end - start)
            elif at > start:
                at = min(at, end)
        return at
    return column


def _placed(value, column):
    """`value` (a statement, a diagnostic or a part of one) with every Loc in it moved by
    `column`; diagnostics' own columns too."""
    if isinstance(value, Loc):
        return Loc(value.line, column(value.column), max(column(value.end_column),
                                                         column(value.column) + 1))
    if isinstance(value, Diagnostic):
        moved = value._replace(column=column(value.column),
                               end_column=max(column(value.end_column), column(value.column) + 1),
                               fixes=tuple(_placed(fix, column) for fix in value.fixes))
        return moved
    if isinstance(value, tuple):
        items = [_placed(item, column) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value
