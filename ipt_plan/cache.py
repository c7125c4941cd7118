"""A per-user disk cache for what is slow to build and never changes between runs: the
grammar's LALR tables and the parsed knowledge files.

Entries are plain data written as JSON, never pickles: reading one cannot run code,
whoever wrote it. Since a changed entry could still change what a check says, an entry is
read only through descriptors: each folder is opened from the root down without following
links and checked with fstat (the folders above the cache this user's or root's and
writable by no one else, unless sticky like /tmp; the cache folder and the entry this
user's own and writable by no one else), and the entry is read from the descriptor that
was checked, so nothing can be swapped in between a check and the read. Entries are named
by a hash of everything they were built from and renamed into place, so parallel workers
never read half a file. A cache that cannot be trusted or written, or a damaged entry,
only costs speed: the value is built anew.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

T = TypeVar("T")

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
# O_NONBLOCK: opening a FIFO put in place of an entry must not hang; fstat then refuses it.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
# Without these (Windows), no entry can be checked as it is read: there is no cache.
_SUPPORTED = (hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY")
              and {os.open, os.mkdir, os.rename, os.unlink} <= os.supports_dir_fd)
_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH
_MAX_LINKS = 40  # as the kernel allows, so that a loop of links ends


class _Untrusted(Exception):
    """A folder or entry someone else could have written: not used."""


def cache_dir() -> Path:
    base = os.environ.get("IPT_PLAN_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "ipt-plan" if base else Path.home() / ".cache" / "ipt-plan"


def _check_above(info: os.stat_result) -> None:
    """A folder above the cache: whoever can write to it can replace what is inside."""
    if info.st_uid not in (os.getuid(), 0) or (
            info.st_mode & _OTHERS_WRITE and not info.st_mode & stat.S_ISVTX):
        raise _Untrusted


def _check_own(info: os.stat_result) -> None:
    if info.st_uid != os.getuid() or info.st_mode & _OTHERS_WRITE:
        raise _Untrusted


def _open_folder(folder: Path, create: bool) -> int:
    """A descriptor for the cache folder, opened one folder at a time from the root,
    each checked before anything in it is trusted. A link is followed only when found in
    a folder already trusted and made by this user or root, so its target is what they
    chose (and is then walked the same way). Missing folders are made (0700) when
    `create`. Raises OSError or _Untrusted."""
    pending = list(reversed(Path(os.path.abspath(folder)).parts[1:]))
    fd = os.open("/", _DIR_FLAGS)
    links = 0
    try:
        while pending:
            name = pending.pop()
            _check_above(os.fstat(fd))
            try:
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                try:
                    os.mkdir(name, 0o700, dir_fd=fd)
                except FileExistsError:  # made meanwhile by a parallel worker
                    pass
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError:  # a link (or not a folder at all, which lstat tells)
                info = os.stat(name, dir_fd=fd, follow_symlinks=False)
                links += 1
                if not stat.S_ISLNK(info.st_mode) or links > _MAX_LINKS:
                    raise
                if info.st_uid not in (os.getuid(), 0):
                    raise _Untrusted from None
                # On from the folder holding the link; an absolute target starts with
                # "/", which openat opens whatever folder it is given.
                pending.extend(reversed(Path(os.readlink(name, dir_fd=fd)).parts))
                continue
            os.close(fd)
            fd = child
        _check_own(os.fstat(fd))
        return fd
    except BaseException:
        os.close(fd)
        raise


def _read(folder_fd: int, name: str) -> bytes:
    fd = os.open(name, _READ_FLAGS, dir_fd=folder_fd)
    with open(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Untrusted
        _check_own(info)
        return handle.read()


def _write(folder_fd: int, name: str, data: bytes) -> None:
    temp = f".{name}.{os.urandom(4).hex()}.tmp"  # not `secrets`: its imports slow `check`
    fd = os.open(temp, _WRITE_FLAGS, 0o600, dir_fd=folder_fd)
    try:
        with open(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
    except BaseException:
        try:
            os.unlink(temp, dir_fd=folder_fd)
        except OSError:
            pass
        raise


# --- plain data as JSON -----------------------------------------------------------------

_TUPLE, _DICT = "#tuple", "#dict"
_PLAIN = (str, int, float, bool, type(None))


def to_json_data(value: Any) -> Any:
    """`value` in JSON's terms, keeping what JSON has no form for: tuples, and dicts
    whose keys are not all text (Lark's parse tables are keyed by numbers). A dict that
    holds a key spelt like a tag is stored in the tagged form too, so no data reads back
    as a tag. Raises TypeError for anything but plain data."""
    kind = type(value)
    if kind is dict:
        if all(type(key) is str for key in value) and _TUPLE not in value and _DICT not in value:
            return {key: to_json_data(item) for key, item in value.items()}
        return {_DICT: [[to_json_data(key), to_json_data(item)] for key, item in value.items()]}
    if kind is list:
        return [to_json_data(item) for item in value]
    if kind is tuple:
        return {_TUPLE: [to_json_data(item) for item in value]}
    if kind in _PLAIN:
        return value
    raise TypeError(f"a {kind.__name__} is not plain data")


def _from_json_object(obj: dict) -> Any:
    if len(obj) == 1:
        if _TUPLE in obj:
            return tuple(obj[_TUPLE])
        if _DICT in obj:
            return {key: item for key, item in obj[_DICT]}
    return obj


def _same(value: Any) -> Any:
    return value


def cached(kind: str, sources: tuple[str | bytes, ...], build: Callable[[], T],
           to_data: Callable[[T], Any] = _same, from_data: Callable[[Any], T] = _same,
           expect: type | None = None) -> T:
    """`build()`, or what an earlier run saved from the same `sources` (of type `expect`).
    The value is stored as `to_data(value)`, plain data (see `to_json_data`), and read
    back with `from_data`; a value that is not plain data is only not stored."""
    if not _SUPPORTED:
        return build()
    digest = hashlib.sha256(repr(sys.version_info[:2]).encode())
    for part in sources:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    name = f"{kind}-{digest.hexdigest()[:20]}.json"
    folder = cache_dir()
    try:
        folder_fd = _open_folder(folder, create=False)
        try:
            data = json.loads(_read(folder_fd, name), object_hook=_from_json_object)
        finally:
            os.close(folder_fd)
        value = from_data(data)
        if expect is None or isinstance(value, expect):
            return value
    except Exception:  # noqa: BLE001 - absent, untrusted, damaged or from another version
        pass
    value = build()
    try:
        data = json.dumps(to_json_data(to_data(value)), separators=(",", ":")).encode()
        folder_fd = _open_folder(folder, create=True)
        try:
            _write(folder_fd, name, data)
        finally:
            os.close(folder_fd)
    except Exception:  # noqa: BLE001 - a cache that cannot be written is only slower
        pass
    return value
