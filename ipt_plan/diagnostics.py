"""Diagnostics: what the checker found, where, and what to do about it."""

from __future__ import annotations

from enum import Enum
from typing import Iterable, NamedTuple

from .model import Loc, Word
from .wording import closest, suggestion


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"

    @property
    def rank(self) -> int:
        return 0 if self is Severity.ERROR else 1


class Fix(NamedTuple):
    """An edit that resolves a diagnostic, kept as data (never read back from the hint) so
    that an editor can offer it as a one-click quick fix: the text at `loc` replaced by
    `text`. An empty span inserts; a span at column 1 of the line after the last appends."""

    title: str  # what the edit does, said to the clinician: "Change to 'role_play'"
    loc: Loc
    text: str


def replacing(word: Word, option: str) -> Fix:
    """The fix that writes `option` where `word` is written."""
    return Fix(f"Change to '{option}'", word.loc, option)


def inserting_line(after: Loc, line: str, title: str) -> Fix:
    """The fix that adds `line` (its indentation included) as the line after `after`'s."""
    return Fix(title, Loc(after.line + 1, 1, 1), line + "\n")


def suggest(word: Word, options: Iterable[str], otherwise: str | None = None, *,
            then: str | None = None, cutoff: float = 0.6) -> tuple[str | None, tuple[Fix, ...]]:
    """For a name that is none of `options`: the hint, worded as `wording.did_you_mean`
    (with `then` after it, as `did_you_mean_then`; else `otherwise` when nothing is
    close), and the fix that writes the closest option in its place."""
    option = closest(word.text, options, cutoff)
    if option is None:
        return (then if then is not None else otherwise), ()
    hint = suggestion(option) if then is None else f"{suggestion(option)} {then}"
    return hint, (replacing(word, option),)


class Diagnostic(NamedTuple):
    code: str
    severity: Severity
    message: str
    path: str
    line: int  # 1-based; a problem with the file as a whole is placed at 1:1 (`at(None)`)
    column: int
    end_column: int
    hint: str | None = None
    fixes: tuple[Fix, ...] = ()  # edits that resolve it, each on its own (quick fixes)

    @classmethod
    def at(cls, code: str, severity: Severity, message: str, path: str, loc: Loc | None,
           hint: str | None = None, fixes: tuple[Fix, ...] = ()) -> Diagnostic:
        loc = loc or Loc(1, 1, 1)
        return cls(code, severity, message, path, loc.line, loc.column, loc.end_column, hint,
                   fixes)

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.severity.rank, self.code, self.message)

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_column": self.end_column,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }
