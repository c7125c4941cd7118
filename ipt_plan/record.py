"""`ipt-plan log`: what happened at one appointment, added to the plan's log.

A tool over the facade. The plan is read where it is (a symbolic link is refused, and so
is anything but a regular file), the entry is written in the standard layout (as
`ipt-plan fmt` lays it: the entry 2 spaces in, its lines 4), placed in date order (after
every entry of the same day or before), and the plan with it is checked. Only a plan that
checked clean before and still does is written back: atomically, keeping the file's
owner, mode, line endings and byte-order mark, and only if nobody changed the file since
it was read.

    request = EntryRequest(dt.date(2027, 1, 4), 4, "held", scores=(("PHQ-9", "12"),))
    outcome = record("plans/ms-a.iptplan", request, today=dt.date(2027, 1, 4))
    outcome.written, outcome.after.diagnostics    # after: the plan with the entry, checked
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from collections import Counter
from typing import Iterable, NamedTuple

from . import source as source_stage
from .diagnostics import Diagnostic
from .files import RefusedWrite, read_unfollowed, write_atomically
from .loader import load_string
from .model import HOMEWORK_OUTCOMES, STATUSES, Plan
from .result import Result
from .wording import INVISIBLE

ENTRY_INDENT = "  "  # formatter.DEPTH: an entry at 1, its lines at 2
LINE_INDENT = "    "
UTF8_BOM = b"\xef\xbb\xbf"
# What a scale's items may be separated by on the command line: "2 2 3" or "2,2,3".
ITEM_SEPARATORS = re.compile(r"[\s,]+")


class LogUsageError(ValueError):
    """An option the command cannot turn into a log line; the message says how to write
    it (a usage error: exit 2)."""


class EntryRequest(NamedTuple):
    """One appointment, as the command line gives it. Scores and items are kept as typed:
    a total that is not a number reaches the plan's parser and is reported like a
    mistake in the file would be."""

    date: dt.date
    session: int
    status: str  # held | cancelled | missed
    reason: str | None = None  # cancelled "reason"
    scores: tuple[tuple[str, str], ...] = ()  # (scale, total) from --score PHQ-9=12
    items: tuple[tuple[str, str], ...] = ()  # (scale, "2 2 3 ...") from --items
    homework: str | None = None  # done | partly | not_done
    risks: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


class Outcome(NamedTuple):
    """What `record` did. `written` is True only when the file now holds the entry."""

    path: str
    written: bool
    before: Result  # the plan as it was: with errors, nothing is added to it
    after: Result | None  # the plan with the entry, checked; None when not tried
    lines: tuple[int, int]  # first and last line of the entry in the new text (1-based)

    @property
    def refused_before(self) -> bool:
        return self.after is None

    @property
    def new_diagnostics(self) -> list[Diagnostic]:
        """What the entry brought: the plan's diagnostics with it that it had not before
        (compared by code and message, as lines below the entry move down)."""
        if self.after is None:
            return []
        known = Counter((d.code, d.message) for d in self.before.diagnostics)
        new = []
        for d in self.after.diagnostics:
            if known[(d.code, d.message)]:
                known[(d.code, d.message)] -= 1
            else:
                new.append(d)
        return new


# --- the command line's values -----------------------------------------------------------

def _one_line(value: str, option: str) -> str:
    """Text for a quoted string: one line of characters a terminal shows."""
    if any(ord(char) in INVISIBLE for char in value):
        raise LogUsageError(f"{option} must be one line of plain text, without control "
                            "characters")
    return value


def _bare(value: str, option: str, example: str) -> str:
    """A word written outside quotes (a scale, a number): nothing that would start a
    comment or a quoted text, so the line means what was typed."""
    _one_line(value, option)
    if "#" in value or '"' in value:
        raise LogUsageError(f"{option} {value!r} cannot hold # or \"; write it as {example}")
    return value.strip()


def parse_pairs(values: Iterable[str], option: str, example: str) -> tuple[tuple[str, str], ...]:
    """`PHQ-9=12` -> ("PHQ-9", "12"), for --score and --items; each scale once."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        scale, equals, rest = value.partition("=")
        if not equals or not scale.strip():
            raise LogUsageError(f"{option} {value!r}: write the scale, =, then its value, as "
                                f"{example}")
        scale = _bare(scale, option, example)
        if any(scale == seen for seen, _ in pairs):
            raise LogUsageError(f"{option} gives {scale} twice; give each scale once")
        pairs.append((scale, _bare(rest, option, example)))
    return tuple(pairs)


def check_request(request: EntryRequest) -> EntryRequest:
    """The request, or LogUsageError for what no plan could hold: scores, homework or
    risk for a session that was not held, an unknown status or homework outcome, text
    that is not one plain line."""
    if request.status not in STATUSES:
        raise LogUsageError(f"a session is {', '.join(STATUSES[:-1])} or {STATUSES[-1]}, "
                            f"not {request.status!r}")
    if request.homework is not None and request.homework not in HOMEWORK_OUTCOMES:
        raise LogUsageError(f"--homework is one of {', '.join(HOMEWORK_OUTCOMES)}")
    if request.status != "held":
        given = [option for option, value in (("--score", request.scores),
                                              ("--items", request.items),
                                              ("--homework", request.homework),
                                              ("--risk", request.risks)) if value]
        if given:
            raise LogUsageError(f"session {request.session} was {request.status}, so it has "
                                f"no {' or '.join(given)}; those go with --held (a --note "
                                "may say more)")
    if request.status == "held" and request.reason is not None:
        raise LogUsageError("a held session has no reason; say more with --note")
    for text in (request.reason, *request.risks, *request.notes):
        if text is not None:
            _one_line(text, "--cancelled, --risk and --note")
    return request


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def entry_lines(request: EntryRequest) -> list[str]:
    """The entry as `ipt-plan fmt` lays it out: the entry line, then its scores (in the
    order given, --items joined to the --score of the same scale), homework, risk and
    notes."""
    request = check_request(request)
    head = f"{ENTRY_INDENT}{request.date.isoformat()} session {request.session} {request.status}"
    if request.reason is not None:
        head += f" {_quoted(request.reason)}"
    lines = [head]
    items = dict(request.items)
    totals = dict(request.scores)
    for scale in [*totals, *(s for s in items if s not in totals)]:
        numbers = [n for n in ITEM_SEPARATORS.split(items.get(scale, "")) if n]
        total = totals.get(scale)
        if total is None:  # only the items: their sum is the total
            total = (str(sum(map(int, numbers))) if numbers and all(n.isascii() and n.isdigit() for n in numbers)
                     else "")
        line = " ".join(filter(None, ("score", scale, total)))
        if numbers:
            line += " items " + " ".join(numbers)
        lines.append(LINE_INDENT + line)
    if request.homework is not None:
        lines.append(f"{LINE_INDENT}homework {request.homework}")
    lines.extend(f"{LINE_INDENT}risk {_quoted(text)}" for text in request.risks)
    lines.extend(f"{LINE_INDENT}note {_quoted(text)}" for text in request.notes)
    return lines


# --- the plan's text ---------------------------------------------------------------------

def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def with_entry(text: str, plan: Plan, lines: list[str], date: dt.date) -> tuple[str, int]:
    """The plan's text with the entry in its log, and the entry's first line (1-based).
    A plan without a log gets one at its end, after one blank line. The entry goes before
    the first entry of a later date (and the comments written just above that entry,
    which belong to it), else at the end."""
    rows = text.split("\n")
    if rows and rows[-1] == "":
        rows.pop()  # the newline that ends the file
    later = next((entry for entry in plan.log or ()
                  if entry.date is not None and entry.date > date), None)
    if later is not None:
        at = later.loc.line - 1
        while at > 0 and _is_comment(rows[at - 1]):
            at -= 1
        rows[at:at] = lines
        return "\n".join(rows) + "\n", at + 1
    while rows and not rows[-1].strip():
        rows.pop()  # blank lines at the end: the entry follows the last written line
    if plan.log is None:
        rows += ["", "log"] if rows else ["log"]
    first = len(rows) + 1
    rows += lines
    return "\n".join(rows) + "\n", first


def _encoded(text: str, original: bytes) -> bytes:
    """The new text as the file was saved: its line endings and byte-order mark kept."""
    if b"\r\n" in original:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    return UTF8_BOM + data if original.startswith(UTF8_BOM) else data


# --- the whole step ----------------------------------------------------------------------

def record(path: str | os.PathLike, request: EntryRequest, protocol_dirs: Iterable[Path] = (),
           today: dt.date | None = None) -> Outcome:
    """Add one entry to the plan at `path`, checked before anything is written.

    Raises LogUsageError for a request no plan can hold, RefusedWrite for a path ipt-plan
    will not change (a link, a folder, a device, a hard-linked file, a file changed while
    this ran) and OSError when it cannot be read or written; every other outcome, a plan
    with errors included, is returned."""
    shown = os.fspath(path)
    lines = entry_lines(request)
    data, seen = read_unfollowed(shown, source_stage.MAX_BYTES + 1)
    source = source_stage.decode(data, shown)
    if source.text is None:
        return Outcome(shown, False, Result(shown, None, source.diagnostics, None), None, (0, 0))
    dirs = tuple(protocol_dirs)
    before = load_string(source.text, shown, dirs, today=today)
    if not before.ok or before.plan is None:
        return Outcome(shown, False, before, None, (0, 0))
    text, first = with_entry(source.text, before.plan, lines, request.date)
    after = load_string(text, shown, dirs, today=today)
    span = (first, first + len(lines) - 1)
    if not after.ok:
        return Outcome(shown, False, before, after, span)
    write_atomically(shown, _encoded(text, data), follow_links=False, expected=seen)
    return Outcome(shown, True, before, after, span)


__all__ = ["EntryRequest", "LogUsageError", "Outcome", "RefusedWrite", "check_request",
           "entry_lines", "parse_pairs", "record", "with_entry"]
