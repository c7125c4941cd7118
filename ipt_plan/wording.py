"""How counts and lists are said in messages, summaries and agendas: "1 session",
"3 sessions", "2 to 4", "grief, role_dispute or role_transition"."""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Mapping, Sequence


def plural(count: int, word: str, plural_form: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural_form or word + 's'}"


def span(low: int, high: int) -> str:
    """A range of counts: "3", "3 or 4", "2 to 4"."""
    if low == high:
        return str(low)
    return f"{low} or {high}" if high == low + 1 else f"{low} to {high}"


def joined(words: Sequence[str], joiner: str = "and") -> str:
    """A list in a sentence: "a", "a and b", "a, b or c"."""
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {joiner} " + words[-1]


def closest(word: str, options: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The option `word` was most likely meant to be, compared without case (`Grief` is
    `grief`), or None when none is close enough. Every "did you mean" of ipt-plan asks
    here, so that they all judge alike; `cutoff` is difflib's similarity, 0 to 1."""
    import difflib  # only when something is misspelt

    by_lower = {option.lower(): option for option in options}
    wanted = word.lower()
    if wanted in by_lower:
        return by_lower[wanted]
    close = difflib.get_close_matches(wanted, list(by_lower), n=1, cutoff=cutoff)
    return by_lower[close[0]] if close else None


def did_you_mean(word: str, options: Iterable[str], otherwise: str | None = None,
                 cutoff: float = 0.6) -> str | None:
    """"did you mean 'x'?" for the closest option; else `otherwise` (say, the options)."""
    option = closest(word, options, cutoff)
    return suggestion(option) if option is not None else otherwise


def suggestion(option: str) -> str:
    """How every "did you mean" offers its option."""
    return f"did you mean '{option}'?"


def did_you_mean_then(word: str, options: Iterable[str], then: str, cutoff: float = 0.6) -> str:
    """"did you mean 'x'? " when an option is close, followed by `then` in any case."""
    suggestion = did_you_mean(word, options, cutoff=cutoff)
    return f"{suggestion} {then}" if suggestion else then


def _invisible_characters() -> dict[int, str]:
    """Characters a terminal acts on instead of showing: C0 and C1 controls (ESC starts
    sequences that retitle a window, clear the screen or hide text), DEL, and the Unicode
    marks that reorder the text around them or break a line."""
    codes = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F,
             *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029]
    shown = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in codes if c != 0x09}
    # A file name that is not UTF-8 reaches Python with its odd bytes as surrogates
    # (U+DC80 to U+DCFF): shown as the bytes they stand for, and writable as UTF-8.
    shown.update({0xDC00 + byte: f"\\x{byte:02x}" for byte in range(0x80, 0x100)})
    return shown


INVISIBLE = _invisible_characters()
_UNDECODED = {c: shown for c, shown in INVISIBLE.items() if 0xDC80 <= c <= 0xDCFF}


def visible(text: str) -> str:
    """Text from a plan or a file name as it may be shown on a terminal: every control
    character written out as an escape (`\\x1b`), so a plan cannot drive the terminal
    and what is shown is what is in the file. Tabs are left for the caller to expand."""
    return text.translate(INVISIBLE)


_INVISIBLE_BUT_LINE_BREAKS = {c: shown for c, shown in INVISIBLE.items() if c != 0x0A}


def visible_lines(text: str) -> str:
    """`visible`, keeping the line breaks."""
    return text.translate(_INVISIBLE_BUT_LINE_BREAKS)


def encodable(text: str) -> str:
    """A file name as text that can be written as UTF-8: the bytes of a name that is not
    UTF-8 written out as `\\x9b` (for JSON and SARIF, which keep every other character)."""
    return text.translate(_UNDECODED)


def shows(text: str, encoding: str | None) -> bool:
    """Whether a stream in `encoding` can carry `text` as it is (a sparkline's blocks on
    a terminal that is not UTF-8 cannot): False for an unknown encoding."""
    try:
        text.encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


# --- placeholders in clinical text ------------------------------------------------------


class PlaceholderError(ValueError):
    """A text whose braces are not placeholders as ipt-plan writes them; the message
    says what is wrong with it."""


def placeholders(text: str) -> tuple[str, ...]:
    """The placeholders of a catalogue text, in order: `Explain {condition}` has
    `condition`. A brace is written `{{`. Raises PlaceholderError for a brace that opens
    or closes none, and for anything but a name between braces (`{condition!r}`,
    `{condition.upper}`), which str.format would read and ipt-plan does not."""
    return tuple(name for _, name in _pieces(text) if name is not None)


def fill(text: str, values: Mapping[str, str]) -> str | None:
    """`text` with each placeholder replaced by its value; None when one has no value
    here. The text was checked with `placeholders` when it was read."""
    parts = []
    for literal, name in _pieces(text):
        parts.append(literal)
        if name is not None:
            value = values.get(name)
            if value is None:
                return None
            parts.append(value)
    return "".join(parts)


@lru_cache(maxsize=4096)
def _pieces(text: str) -> tuple[tuple[str, str | None], ...]:
    import string  # only where a text is read or filled

    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise PlaceholderError("has a '{' or '}' that opens or closes no placeholder (a "
                               "placeholder is a name in braces, like {condition}; a "
                               "brace itself is written {{ or }})") from None
    pieces = []
    for literal, name, spec, conversion in parsed:
        if name is not None and (spec or conversion or not name.isidentifier()):
            inside = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise PlaceholderError(f"has {{{visible(inside)}}}, which is not a placeholder "
                                   "(a placeholder is a name in braces, like {condition})")
        pieces.append((literal, name))
    return tuple(pieces)


# --- the blanks of a new plan -------------------------------------------------------------

# The texts `ipt-plan new` writes in brackets for the clinician to replace, as a form's
# blanks, by what each fills. A plan that still holds one is not finished: `check` warns
# (IPT007) and `render` says so, since its agendas would print "(your name)".
BLANKS = {
    "title": "(the client's initials and the problem, e.g. Ms. A: conflict with her sister)",
    "client": "(the client's ID in your records)",
    "clinician": "(your name)",
    "diagnosis": "(the diagnosis, e.g. Major depressive disorder, single episode, moderate)",
    "description": "(describe the {area} in a few words)",
    "goal": "(write the goal in the patient's words)",
    "homework": "(what the patient will try before the next session)",
}


def is_blank(text: str | None, kind: str) -> bool:
    """Whether `text` is the blank `ipt-plan new` writes for `kind` (a focus's description
    names its area: "(describe the role dispute in a few words)")."""
    if not text or not text.startswith("(") or kind not in BLANKS:
        return False
    before, _, after = BLANKS[kind].partition("{area}")
    return text == before if not after else (
        text.startswith(before) and text.endswith(after) and len(text) > len(before + after))

