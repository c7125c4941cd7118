"""The source: bytes on disk to the text the parser reads, or a clear reason why not."""

from __future__ import annotations

import errno
import os
import stat
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


def _too_large(size: int) -> str:
    megabytes = f"{size / 1_048_576:.1f}"
    if float(megabytes) <= MAX_BYTES / 1_048_576:  # just over: MB would read as the limit
        return (f"this file is {size:,} bytes; a plan is at most {MAX_BYTES:,} bytes "
                f"({MAX_BYTES // 1_048_576} MB)")
    return f"this file is {megabytes} MB; a plan is at most {MAX_BYTES // 1_048_576} MB"


def decode(data: bytes, path: str, size: int | None = None) -> Source:
    """Decode a plan's bytes: UTF-8 with or without BOM, any line ending. `size`: the
    whole file's, when only its start was read."""
    if len(data) > MAX_BYTES:
        return _unreadable(path, _too_large(max(size or 0, len(data))),
                           "check that this is the plan you meant")
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


class NotRegularFile(OSError):
    """A path that names a pipe, a device or a socket: reading one can wait forever."""


# What a path names when it is not a regular file, said for a clinician.
NOT_REGULAR = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a device"),
               (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int, name: str) -> NotRegularFile:
    kind = next((kind for test, kind in NOT_REGULAR if test(mode)), "a special file")
    return NotRegularFile(errno.EINVAL, f"{kind}, not a regular file", name)


def read_regular(path: str | os.PathLike, limit: int = -1) -> bytes:
    """Up to `limit` bytes of a regular file (all of it by default); NotRegularFile for
    anything else. The file is opened without waiting (a named pipe with no writer would
    block the open, and one with a writer the read, for ever), and what it is comes from
    the open descriptor, so it cannot change between the look and the read."""
    name = os.fspath(path)
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as err:
        if err.errno == errno.ENXIO:  # a socket, which cannot be opened at all
            raise _not_regular(stat.S_IFSOCK, name) from None
        raise
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), name)
        if not stat.S_ISREG(mode):
            raise _not_regular(mode, name)
        return handle.read(limit)


def read(path: str | os.PathLike) -> Source:
    """Read a plan file; every way it can fail becomes a diagnostic, never an exception."""
    name = os.fspath(path)
    try:
        data = read_regular(name, MAX_BYTES + 1)
    except IsADirectoryError:
        return _unreadable(name, "this is a folder, not a plan file")
    except FileNotFoundError:
        return _unreadable(name, "no such file")
    except PermissionError:
        return _unreadable(name, "this file cannot be read (permission denied)")
    except NotRegularFile as err:
        return _unreadable(name, f"this is {err.strerror}, so it is not read",
                           "a plan is a text file saved from an editor; check what this path names")
    except OSError as err:
        return _unreadable(name, f"this file cannot be read ({err.strerror or err})")
    size = None
    if len(data) > MAX_BYTES:  # only the start was read: the message gives the real size
        try:
            size = os.stat(name).st_size
        except OSError:
            pass
    return decode(data, name, size)
