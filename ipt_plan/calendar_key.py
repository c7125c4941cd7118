"""For the calendar export: the user's own secret that calendar UIDs are made with.

A calendar is often synced to other services, so an event's UID must not let anyone work
out the client or the plan: for a plan without an `id` line it is a keyed hash (HMAC) of
the plan's file name, client and session number, and the key is 32 random bytes made once
per user. Without the key, a UID cannot be reversed or recomputed; copying the key file to
another machine keeps every UID the same there.

The key lives in the user's config folder (`$IPT_PLAN_CONFIG_DIR`, else
`$XDG_CONFIG_HOME/ipt-plan`, else `~/.config/ipt-plan`), as `calendar.key`. It is used
only when it is a regular file (never a link to one) owned by this user that nobody else
can read, in a folder nobody else can write to; otherwise `KeyFileError` says what to fix.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

KEY_FILE = "calendar.key"
KEY_BYTES = 32


class KeyFileError(ValueError):
    """The key cannot be used as it is; the message says what to do, for a clinician."""


def key_path() -> Path:
    folder = os.environ.get("IPT_PLAN_CONFIG_DIR")
    if folder:
        return Path(folder) / KEY_FILE
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    # The XDG spec: a relative path is invalid and is ignored.
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".config"
    return base / "ipt-plan" / KEY_FILE


def _check_folder(folder: Path) -> None:
    """Someone who can write to the folder could swap the key for one they know."""
    info = folder.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise KeyFileError(f"{folder} is not a folder; ipt-plan keeps its calendar key "
                           f"there: move it away, or set IPT_PLAN_CONFIG_DIR to another folder")
    if info.st_uid != os.getuid():
        raise KeyFileError(f"the folder {folder}, which holds the calendar key, belongs to "
                           "another user; use a folder of your own (IPT_PLAN_CONFIG_DIR)")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise KeyFileError(f"others can write to the folder {folder}, which holds the "
                           f"calendar key; make it yours alone: chmod 700 {folder}")


def _read(path: Path) -> bytes:
    # O_NOFOLLOW: a link is refused, not followed; O_NONBLOCK: a FIFO does not hang the open.
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise KeyFileError(f"the calendar key {path} is a symbolic link, and ipt-plan "
                               "uses only a file of its own there; remove the link (or "
                               "replace it with the file it points to)") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyFileError(f"the calendar key {path} is not a regular file; remove it "
                               "and ipt-plan makes a new key")
        if info.st_uid != os.getuid():
            raise KeyFileError(f"the calendar key {path} belongs to another user; remove "
                               "it and ipt-plan makes a new key")
        if info.st_mode & 0o077:
            raise KeyFileError(f"others can read or change the calendar key {path}; make it "
                               f"yours alone: chmod 600 {path}")
        data = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) != KEY_BYTES:
        raise KeyFileError(f"{path} is not a key ipt-plan made (it has {len(data)} bytes, "
                           f"not {KEY_BYTES}); restore the copy you have, or remove it to make "
                           "a new key (calendars then add events anew instead of updating "
                           "the old ones)")
    return data


def _create(path: Path) -> None:
    """Write a new key under a temporary name, then link it into place: another process
    making a key at the same time either wins or finds the whole key, never half of one."""
    key = secrets.token_bytes(KEY_BYTES)
    temp = path.with_name(f".{KEY_FILE}.{secrets.token_hex(4)}")
    try:
        _write_new(temp, key)
        try:
            os.link(temp, path, follow_symlinks=False)  # never replaces what is there
        except FileExistsError:
            pass  # made by another process meanwhile: that one is read
        except OSError:  # a file system without hard links: create the key in place
            try:
                _write_new(path, key)
            except FileExistsError:
                pass
    finally:
        temp.unlink(missing_ok=True)


def _write_new(path: Path, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def calendar_key() -> bytes:
    """The user's key, made on first use; raises KeyFileError when it cannot be used."""
    path = key_path()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _check_folder(path.parent)
        if not os.path.lexists(path):
            _create(path)
        return _read(path)
    except OSError as err:
        raise KeyFileError(f"cannot use the calendar key {path}: {err.strerror or err}; "
                           "set IPT_PLAN_CONFIG_DIR to a private folder of yours to keep it "
                           "there, or give the plan an `id` line (then no key is needed)"
                           ) from None
