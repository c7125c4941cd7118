"""Syntax errors in words: what Lark reports about a line that does not parse, turned into
a message and a hint a clinician can act on, with the caret on the right characters.
Common mistakes are learned from example lines (see COMMON_MISTAKES).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Collection

from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .codes import SYNTAX
from .diagnostics import Diagnostic, Fix, Severity
from .grammar import parser
from .model import Loc
from .statements import KEYWORDS, LINE_FORMS, code_end, first_word, run_on_keyword
from .wording import closest, joined, suggestion


TERMINAL_WORDS = {
    "STRING": 'a text in double quotes, like "Assessment"',
    "NAME": "a name made of letters, digits and _",
    "INT": "a whole number",
    "DATE": "a date written YYYY-MM-DD, like 2026-12-07",
    "MONTH": "a month written YYYY-MM, like 2026-02",
    # keywords that end at a word's end (a pattern, not a plain string, in the grammar)
    **{name: f'"{name.lower()}"' for name in ("WITH", "BY", "IN", "PERSON", "GROUP",
                                             "INDIVIDUAL", "MIN")},
    "TIME": "a time written HH:MM, like 10:00",
    "_MIN": '"min"',
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
    return joined(words, "or")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"




# Common mistakes, learned from example lines: each example fails in one parser state on
# one kind of token, and any line failing the same way gets the mistake's own message and
# hint (the idea of Lark's `match_examples`, indexed once instead of re-parsed per error).
# In hints, {keyword} is the line's first word and {rest} what follows it.
_FOR_BETWEEN = "write 'for' between the technique and the focus it works on"
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
    ("a session's title needs double quotes around it",
     'write it like: session 4 "The hospital appointment argument"',
     ("session 4 Assessment", "session 4 The argument")),
    ("a session line is for one session: write each on a line of its own",
     "write each session on its own line, like: session 5 (with its lines under it), then "
     "session 6",
     ("session 5-6", "session 5 - 6", "session 5, 6")),
    ("a focus's description needs double quotes around it",
     f"write it like: {LINE_FORMS['focus']}",
     ("focus sister: role_dispute Sister Anna directs",)),
    ("a phase line needs its sessions", "write it like: phase middle sessions 4-13",
     ("phase middle", "phase middle 4-13", "phase middle sessions", "phase middle sessions 4-",
      'phase middle "x"')),
    ("write the range with a dash", "write it like: phase middle sessions 4-13",
     ("phase middle sessions 4 to 13", "phase middle sessions 4 13")),
    ("a phase line starts with the phase's name: initial, middle, termination, continuation "
     "or maintenance",
     "write it like: phase middle sessions 4-13", ("phase", "phase 4-13")),
    ("the schedule needs how often: weekly, twice weekly, every N weeks or monthly",
     f"write it like: {LINE_FORMS['schedule']}",
     ("schedule from 2026-12-07 at 10:00 for 50 min", "schedule fortnightly from 2026-12-07",
      "schedule", "schedule every week from 2026-12-07", "schedule twice from 2026-12-07")),
    ("a measure line says how often the scale is used", f"write it like: {LINE_FORMS['measure']}",
     ("measure PHQ-9", "measure PHQ-9 weekly", "measure PHQ-9 every", "measure PHQ-9 every week",
      'measure PHQ-9 "x"')),
    ("put a comma between the people a session is with", "write it like: with parent, "
     "interpreter", ("session 1 with parent interpreter", 'session 1 "x" with parent carer')),
    ("after 'with', name who attends besides the patient: parent, carer, partner, family or "
     "interpreter", "write it like: with parent", ("session 1 with", 'session 1 "x" with')),
    ("a session's length is written: for N min", "write it like: for 60 min",
     ("session 1 for 60", 'session 1 "x" for', 'session 1 "x" for sixty min')),
    ("'by' says how the session is held: by telephone or by video (or: in person)",
     "write it like: by video", ("session 1 by", 'session 1 "x" by "video"')),
    ("the session a change starts from is written: from session N",
     "write it like: stage renegotiation from session 7",
     ("stage renegotiation from 7", "stage renegotiation from")),
    ("the sessions a measure is rated at are written: at sessions 1, 7, 14",
     "write it like: measure HAM-D at sessions 1, 7, 14",
     ("measure HAM-D at 1, 7", "measure HAM-D at")),
    ("a died line gives the date of the death, without quotes: YYYY-MM-DD, or YYYY-MM when "
     "only the month is known", "write it like: died 2026-02-14",
     ('died "2026-02-14"', "died", "died 14/02/2026", "died February")),
    ("this text needs double quotes around it", 'write: {keyword} "{rest}"',
     ("plan Ms A", "goal Agree a rota", "clinician Dr Moreno", "diagnosis Major depression",
      "homework Visit the centre", "note Mother moved", "plan 2027")),
    ("'for' must be followed by the focus it works on", "write it like: role_play for sister",
     ("role_play for", 'role_play for "x"', "role_play for sister,")),
    (_FOR_BETWEEN,
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


# The mistakes above whose fix is sure, with that fix: the line (its code, without the
# comment) as it was meant, or None where the line is not of the form the fix knows. The
# diagnostic offers it as a fix, and the loader reads the line so fixed (parser.repair):
# the rules see what the clinician meant, and a second mistake on the line is said at once.
def _quoted(code: str) -> str | None:
    indent, keyword, rest = re.match(r"(\s*)(\S+)\s*(.*)", code).groups()
    return None if not rest or '"' in rest else f'{indent}{keyword} "{rest}"'


# What may follow a session's title: its attributes, left out of the quotes.
_SESSION_ATTRIBUTES = r"(?:\s+(?:with|by|in|for|group|individual)\b.*)?"
# Names separated by commas: the foci after a technique (`sister, retirement`).
_NAMES = r"[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*"


def _technique_and_foci(code: str) -> str | None:
    """`role_play sister` -> `role_play for sister`; `role_play fro sister` -> `... for ...`.
    A text after the technique is not a focus: None (the line needs quotes instead)."""
    match = re.match(rf"^(\s*[A-Za-z_]\w*)\s+(?:(\w+)\s+)?({_NAMES})(\s*\"[^\"]*\")?\s*$", code)
    if match is None:
        return None
    technique, slip, foci, detail = match.groups()
    if slip is not None and not closest(slip, ("for",), cutoff=0.6):
        return None
    return f"{technique} for {foci}{detail or ''}"


# How often, as people write it and as a schedule line says it.
_CADENCES = {"fortnightly": "every 2 weeks", "every week": "weekly", "every month": "monthly",
             "weekly": "weekly", "monthly": "monthly"}


def _cadence(code: str) -> str | None:
    """`schedule weely from ...` -> `schedule weekly from ...`."""
    match = re.match(r"^(\s*schedule\s+)(.+?)(\s+from\b.*)$", code)
    said = closest(match.group(2), _CADENCES, cutoff=0.75) if match else None
    return match.group(1) + _CADENCES[said] + match.group(3) if said else None


def _focus_colon(code: str) -> str | None:
    """`focus sister role_dispute` -> `focus sister: role_dispute` (not a line that has a
    colon elsewhere, such as `focus my sister: ...`)."""
    if ":" in code.split('"', 1)[0]:
        return None
    return _substituted(r"^(\s*focus\s+[A-Za-z_][A-Za-z0-9_]*)(?=\s+[A-Za-z])", r"\1:", code)


SURE_FIXES: dict[str, Callable[[str], str | None]] = {
    "a focus needs a colon and its problem area after its name": _focus_colon,
    "a phase line needs its sessions":
        lambda code: _substituted(r"^(\s*phase\s+[A-Za-z_]+\s+)(?=\d+\s*-\s*\d+\s*$)",
                                  r"\1sessions ", code),
    "write the range with a dash":
        lambda code: _substituted(r"(sessions\s+\d+)\s*(?:\s|\bto\b)\s*(\d+\s*)$", r"\1-\2",
                                  code),
    "this text needs double quotes around it": _quoted,
    "the schedule needs how often: weekly, twice weekly, every N weeks or monthly": _cadence,
    "a session's title needs double quotes around it":
        lambda code: _substituted(rf'^(\s*session\s+\d+\s+)([^"]+?)({_SESSION_ATTRIBUTES})$',
                                  r'\1"\2"\3', code),
    "a focus's description needs double quotes around it":
        lambda code: _substituted(r'^(\s*focus\s+\w+\s*:\s*\w+\s+)([^"]+?)$', r'\1"\2"', code),
    # Sure only where the first word is a technique: joined_name takes it back otherwise.
    _FOR_BETWEEN: _technique_and_foci,
}


def _substituted(pattern: str, replacement: str, code: str) -> str | None:
    fixed, count = re.subn(pattern, replacement, code, count=1)
    return fixed if count else None


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
    code = line_text[:code_end(line_text)].strip()
    keyword, _, rest = code.partition(" ")
    return message, hint.format(keyword=keyword, rest=rest.strip().strip('"'))


def _reads(line_text: str) -> bool:
    """Whether the line is one the language reads."""
    try:
        parser().parse(line_text, start="line")
    except UnexpectedInput:
        return False
    return True


def _reads_past(line_text: str, column: int) -> bool:
    """Whether the language reads the line up to `column` at least: all of it, or up to a
    second mistake after a fix ending there (which is said in turn: parser.repair)."""
    try:
        parser().parse(line_text, start="line")
    except UnexpectedInput as err:
        token = getattr(err, "token", None)
        if isinstance(err, UnexpectedToken) and (token is None or token.type in ("_NL", "$END")):
            return True  # it stops at the end: what the fix wrote was read
        return isinstance(err.column, int) and err.column >= column
    return True


# What word processors and phones type for a double quote.
CURLY_QUOTES = "\u201c\u201d\u201e\u201f"


def _straight_quotes(line_text: str, line: int) -> tuple[Fix, ...]:
    """The fix for texts written in curly quotes: the quotes made straight, offered only
    where that makes the line one the language reads."""
    at = [index for index, char in enumerate(line_text) if char in CURLY_QUOTES]
    if not at:
        return ()
    straight = line_text.translate({ord(q): '"' for q in CURLY_QUOTES})
    if not _reads(straight):
        return ()
    return (Fix("Use straight quotes", Loc(line, at[0] + 1, at[-1] + 2),
                straight[at[0]:at[-1] + 1]),)


def syntax_error(err: UnexpectedInput, line_text: str, line: int, path: str) -> Diagnostic:
    fixes = _straight_quotes(line_text, line)
    first = first_word(line_text)
    form_key = first if first in LINE_FORMS else "activity"
    hint = f"{_article(form_key)} {form_key} line looks like: {LINE_FORMS[form_key]}"
    column = err.column if isinstance(err.column, int) and err.column > 0 else 1
    token = getattr(err, "token", None)
    at_end = isinstance(err, UnexpectedToken) and (token is None or token.type in ("_NL", "$END"))
    if at_end:
        column = code_end(line_text) + 1

    def located(message: str, hint: str | None, end: int, fix: Fix | None = None,
                start: int | None = None) -> Diagnostic:
        """The diagnostic from `start` (default: where the parser stopped) to `end`, with
        `fix` as its one fix, or the line's own (curly quotes) without one."""
        begin = column if start is None else start
        return Diagnostic(SYNTAX, Severity.ERROR, message, path, line, begin,
                          max(end, begin + 1), hint, (fix,) if fix else fixes)

    if isinstance(err, UnexpectedCharacters) and line_text[column - 1:column] == '"':
        return located("this text has no closing quote", 'end the text with " on the same line',
                       len(line_text.rstrip()) + 1)
    if isinstance(err, UnexpectedCharacters) and line_text[column - 1:column] in CURLY_QUOTES:
        # A word processor's or a phone's quotes: say it, with the line as it should read.
        fixed = line_text.translate({ord(q): '"' for q in CURLY_QUOTES})
        straight = fixed[:code_end(fixed)].strip()  # the line's code, without its comment
        return located('this text is in curly quotes, which a plan does not read as quotes; '
                       'use straight quotes (")',
                       f"write: {straight}" if fixes else
                       'write texts between straight double quotes ("), as a keyboard types '
                       "them when no word processor changes them", column + 1)
    colon_at = line_text.find(first) + len(first)
    if first in KEYWORDS and line_text[colon_at:colon_at + 1] == ":" and \
            _reads(line_text[:colon_at] + line_text[colon_at + 1:]):
        # `goal: "..."`, `clinician: "..."`, as a form is filled in
        fix = Fix("Remove the colon", Loc(line, colon_at + 1, colon_at + 2), "")
        return located(f"a {first} line has no colon after '{first}'",
                       f"write: {_code_after(line_text, fix)}", colon_at + 2, fix, colon_at + 1)
    if first and first not in LINE_FORMS:
        run_on = run_on_keyword(first)
        space_at = line_text.find(first) + 1 + len(run_on or "")
        # Only where the space makes the whole line read: `idd 7f3c` is a misspelt `id`.
        fix = Fix(f"Put a space after '{run_on}'", Loc(line, space_at, space_at), " ") \
            if run_on and _reads(line_text[:space_at - 1] + " " + line_text[space_at - 1:]) \
            else None
        if fix:  # `measurePHQ-9 every session`: the space after the keyword left out
            start = space_at - len(run_on)
            return located(f"'{first}' is the keyword '{run_on}' run into what follows; put a "
                           "space after it", f"write: {_code_after(line_text, fix)}",
                           start + len(first), fix, start)
        close = closest(first, KEYWORDS, cutoff=0.75)
        if close and not (token is not None and token.column == 1 + line_text.find(first)):
            column = line_text.find(first) + 1
            fixes = (Fix(f"Change to '{close}'", Loc(line, column, column + len(first)), close),)
            return located(f"'{first}' is not a keyword; did you mean '{close}'?",
                           f"{_article(close)} {close} line looks like: "
                           f"{LINE_FORMS[close]}",
                           column + len(first))
    if token is not None and not at_end and token.end_line == token.line:
        token_end = token.end_column or column + 1
    else:
        token_end = column + 1
    expected = set(getattr(err, "expected", None) or getattr(err, "accepts", None) or ())
    written = line_text[column - 1:token_end - 1] if token_end > column else ""
    half = re.match(r"[AaPp]\.?[Mm]\.?(?![\w.])", line_text[column - 1:])
    before = re.search(r"\d{1,2}:\d{2}\s*$", line_text[:column - 1]) if half else None
    if before is not None:  # `2:30pm`: the time read, then its pm left over
        expected, column = {"TIME"}, before.start() + 1
    if "TIME" in expected:
        clock = _clock_time(line_text[column - 1:])
        if clock is not None and (fix := _fix(line_text, line, column, column + len(clock[0]),
                                                clock[1], f"Write {clock[1]}")):
            return located(f"'{clock[0]}' is not a time written HH:MM; on the 24-hour clock it "
                           f"is {clock[1]}", f"write: {_code_after(line_text, fix)}",
                           column + len(clock[0]), fix)
        return located(f"expected a time written HH:MM on the 24-hour clock, like 10:00 or "
                       f"14:30, found '{written or line_text[column - 1:column]}'", hint,
                       token_end)
    if expected & {"MIN", "_MIN"} and written.isalpha() and \
            closest(written.lower(), ("min", "mins", "minute", "minutes"), cutoff=0.6):
        fix = _fix(line_text, line, column, token_end, "min", "Change to 'min'")
        return located(f"'{written}' is not a length ipt-plan reads; write the minutes as: "
                       "for 50 min", f"write: {_code_after(line_text, fix)}" if fix else hint,
                       token_end, fix)
    mistake = _common_mistake(err, line_text)
    if mistake is not None and mistake[0] == _FOR_BETWEEN and \
            _technique_and_foci(line_text[:code_end(line_text)]) is None:
        # `psychoeducation Depression is common`: a text, not a focus, follows the technique.
        meant = _quoted(line_text[:code_end(line_text)])
        fix = _fix_line(line_text, line, meant) if meant else None
        return located("this text needs double quotes around it",
                       f"write: {_code_after(line_text, fix)}" if fix else hint, token_end, fix)
    if mistake is not None:
        sure = SURE_FIXES.get(mistake[0])
        meant = sure(line_text[:code_end(line_text)]) if sure else None
        fix = _fix_line(line_text, line, meant) if meant else None
        if fix is not None:
            return located(mistake[0], f"write: {_code_after(line_text, fix)}", token_end, fix)
        return located(mistake[0], mistake[1], token_end)
    if isinstance(err, UnexpectedCharacters):
        char = line_text[column - 1:column]
        message = f"unexpected character {char!r}"
        if err.allowed:
            message += f"; expected {_expected_words(err.allowed)}"
        return located(message, hint, column + 1)
    if at_end:
        return located(f"this {form_key} line is incomplete: expected "
                       f"{_expected_words(expected)}", hint, column + 1)
    return located(f"expected {_expected_words(expected)}, found '{token}'", hint, token_end)


# A time as people write it: 9am, 9 am, 2.30pm, 9.30, 14h30. Without am or pm, the hour is
# read on the 24-hour clock, and a bare hour (9) is not read at all: it may be the evening.
_CLOCK = r"(\d{1,2})(?:[:.h](\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?(?![\w:.])"


def _clock_time(text: str) -> tuple[str, str] | None:
    """(the time as written at the start of `text`, that time as HH:MM), or None."""
    match = re.match(_CLOCK, text)
    if match is None or (match.group(2) is None and match.group(3) is None):
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    return match.group(), f"{hour:02d}:{minute:02d}"


def _fix(line_text: str, line: int, column: int, end: int, text: str, title: str) -> Fix | None:
    """The fix writing `text` over columns [column, end) of the line, offered only where
    the line so fixed is one the language reads."""
    fixed = line_text[:column - 1] + text + line_text[end - 1:]
    return Fix(title, Loc(line, column, end), text) \
        if _reads_past(fixed, column + len(text)) else None


def _fix_line(line_text: str, line: int, meant: str) -> Fix | None:
    """The fix that makes the line's code read `meant`: the part that differs, replaced."""
    code = line_text[:code_end(line_text)]
    start = 0
    while start < min(len(code), len(meant)) and code[start] == meant[start]:
        start += 1
    end = 0
    while end < min(len(code), len(meant)) - start and code[-1 - end] == meant[-1 - end]:
        end += 1
    return _fix(line_text, line, start + 1, len(code) - end + 1, meant[start:len(meant) - end],
                f"Write: {meant.strip()}")


def _code_after(line_text: str, fix: Fix) -> str:
    """The line's code with the fix made: what the hint tells the clinician to write."""
    fixed = line_text[:fix.loc.column - 1] + fix.text + line_text[fix.loc.end_column - 1:]
    return fixed[:code_end(fixed)].strip()


# --- a name written as separate words ---------------------------------------------------

# Words outside quotes, one space or more apart: where a name may have been written apart.
# Written as patterns, compiled (and cached by `re`) on first use: only a plan with a
# syntax error needs them.
_STRING = r'"([^"\\\n]|\\.)*"'
# A run starts only where a word does, and no word is given back once read (possessive
# quantifiers): otherwise a long line of letters was tried from each of its characters,
# and a line of 30,000 took 13 s to check.
_WORD_RUN = r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]*+(?: ++[A-Za-z0-9]++)+"
_LONGEST_NAME = 4  # words: no name of the catalogue has more


def joined_name(d: Diagnostic, line_text: str, by_lower: dict[str, str]) -> Diagnostic:
    """A syntax error on a line where words written apart are one of the catalogue's
    names (`by_lower`, by their lower case: `role play` for role_play, `PHQ 9` for PHQ-9)
    said as that slip, with the fix that joins them, offered only where the joined line is
    one the language reads. The parser cannot tell this slip from others: it does not know
    the catalogue. Any other diagnostic is returned as it is."""
    if d.code != SYNTAX:
        return d
    joined = _joined_name(d, line_text, by_lower) or (
        None if "is not a keyword" in d.message else _joined_name(d, line_text, by_lower,
                                                                  near=True))
    if joined is not None:
        return joined
    first = first_word(line_text)
    if d.message == _FOR_BETWEEN and first.lower() not in by_lower:
        # `psycho edukation`: a 'for' would make it worse; the first word is no technique.
        # `role_ply sister`: the technique it is near, with its 'for', in one fix.
        column = line_text.find(first) + 1
        near = closest(first, by_lower, cutoff=0.75)
        meant = _technique_and_foci(line_text[:code_end(line_text)]) if near else None
        fix = _fix_line(line_text, d.line, meant.replace(first, by_lower[near], 1)) \
            if meant else None
        return d._replace(column=column, end_column=column + len(first),
                          message=f"'{first}' is not a technique ipt-plan knows; "
                          + (suggestion(by_lower[near]) if near
                             else "a technique line has one name"),
                          hint=f"write: {_code_after(line_text, fix)}" if fix else
                          "`ipt-plan techniques` lists them; a technique line looks "
                          f"like: {LINE_FORMS['activity']}",
                          fixes=(fix,) if fix else ())
    return d



def _joined_name(d: Diagnostic, line_text: str, by_lower: dict[str, str],
                 near: bool = False) -> Diagnostic | None:
    code = line_text[:code_end(line_text)]
    outside = re.sub(_STRING, lambda m: "\0" * len(m.group()), code)  # texts are not names
    for run in re.finditer(_WORD_RUN, outside):
        words = [(m.start() + run.start(), m.end() + run.start())
                 for m in re.finditer(r"[A-Za-z0-9]+", run.group())]
        for first in range(len(words)):
            for last in range(min(len(words), first + _LONGEST_NAME) - 1, first, -1):
                start, end = words[first][0], words[last][1]
                parts = [line_text[a:b] for a, b in words[first:last + 1]]
                # Joined by _ (role_play), by - (PHQ-9), or by nothing (psycho education).
                # `near`: or close to one (psycho edukation), as a misspelt name is, and
                # about as long: every word written is part of it.
                name = next((by_lower[found] for joined in
                             (sep.join(parts).lower() for sep in ("_", "-", ""))
                             if (found := closest(joined, by_lower, cutoff=0.85) if near
                                 else joined if joined in by_lower else None)
                             and abs(len(found) - len(joined)) <= 2), None)
                if name is None or _reads(line_text):
                    continue
                if not _reads(line_text[:start] + name + line_text[end:]):
                    continue
                written = line_text[start:end]
                return d._replace(
                    message=f"'{written}' is not a name ipt-plan knows; {suggestion(name)}",
                    hint=f"a name is written as one word, as the catalogue has it: {name}",
                    column=start + 1, end_column=end + 1,
                    fixes=(Fix(f"Change to '{name}'", Loc(d.line, start + 1, end + 1), name),))
    return None
