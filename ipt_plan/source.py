"""First stage: bytes on disk to the text the parser reads, or a clear reason why not."""

from __future__ import annotations

import os
from typing import NamedTuple

from .codes import UNREADABLE_FILE
from .diagnostics import Diagnostic, Severity
from .model import Loc

# A real plan is a few kilobytes; a file this large is almost surely not a plan, and
# refusing it keeps a mistaken `check` of a data dump from hanging an editor.
MAX_BYTES = 4 * 1024 * 1024

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class Source(NamedTuple):
    path: str
    text: str | None  # None when the file could not be read as a plan
    diagnostics: tuple[Diagnostic, ...]

    def line(self, number: int) -> str:
        if not self.text or number < 1:
            return ""
        lines = self.text.split("\n")
        return lines[number - 1] if number <= len(lines) else ""


def _unreadable(path: str, message: str, hint: str | None = None, line: int = 1,
                column: int = 1) -> Source:
    diag = Diagnostic.at(UNREADABLE_FILE, Severity.ERROR, message, path,
                         Loc(line, column, column + 1), hint)
    return Source(path, None, (diag,))


def decode(data: bytes, path: str) -> Source:
    """Decode a plan's bytes: UTF-8 with or without BOM, any line ending."""
    if len(data) > MAX_BYTES:
        return _unreadable(
            path, f"this file is {len(data) / 1_048_576:.1f} MB; a plan is at most "
            f"{MAX_BYTES // 1_048_576} MB", "check that this is the plan you meant")
    if data.startswith(UTF16_BOMS):
        return _unreadable(path, "this file is saved as UTF-16",
                           "save it as UTF-8 (most editors offer this under 'Encoding')")
    if b"\x00" in data:
        return _unreadable(path, "this is a binary file, not a plan",
                           "a plan is plain text, written in an editor such as Notepad or TextEdit")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        return _unreadable(path, "this line has characters that are not UTF-8 text",
                           "save the file as UTF-8 (most editors offer this under 'Encoding')",
                           line, column)
    return Source(path, normalize(text), ())


def normalize(text: str) -> str:
    """One kind of line ending and no byte-order mark, whatever the editor saved."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read(path: str | os.PathLike) -> Source:
    """Read a plan file; every way it can fail becomes a diagnostic, never an exception."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except IsADirectoryError:
        return _unreadable(name, "this is a folder, not a plan file")
    except FileNotFoundError:
        return _unreadable(name, "no such file")
    except PermissionError:
        return _unreadable(name, "this file cannot be read (permission denied)")
    except OSError as err:
        return _unreadable(name, f"this file cannot be read ({err.strerror or err})")
    return decode(data, name)
