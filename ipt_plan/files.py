"""Writing files that hold health data: agendas, exports, formatted plans.

Every file is written to a temporary file beside it and renamed over the target, so a
reader (or a rerun after a crash) sees the old file or the new one, never half of one.
The temporary file is private from its creation (or has the mode of the file it
replaces), keeps the replaced file's owner and group, and is locked (flock) for as long as
its run lives: a later run clears only leftovers it can lock, which dead runs left, and
never the files of a run writing at the same time. Only regular files are ever
replaced; devices, pipes, sockets and folders are refused, and inside a folder that
ipt-plan manages (a plan's agendas) a symbolic link is never followed.

POSIX only (flock, openat): the systems ipt-plan runs on.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import shutil
import stat
from pathlib import Path
from typing import Iterable

# Temporary files and folders carry this ending, so a later run can clear what a killed
# one left.
TEMP_SUFFIX = ".ipt-plan-tmp"
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
# The target's name is kept in its temporary file's (for whoever finds one), cut so that
# the whole stays within the 255 bytes a file name may have.
TEMP_STEM_BYTES = 200

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class RefusedWrite(OSError):
    """A target ipt-plan will not replace; `strerror` says why, for a clinician."""

    def __init__(self, path: str | os.PathLike, reason: str):
        super().__init__(errno.EPERM, reason, os.fspath(path))

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "something other than a file"


def _check_replaceable(old: os.stat_result, shown: str, keep_links: bool) -> None:
    if stat.S_ISLNK(old.st_mode):
        raise RefusedWrite(shown, "it is a symbolic link, and ipt-plan never writes through a "
                                  "link in a folder it manages; remove the link and run again")
    if not stat.S_ISREG(old.st_mode):
        raise RefusedWrite(shown, f"it is {_kind(old.st_mode)}, not a regular file; ipt-plan "
                                  "replaces only regular files")
    if keep_links and old.st_nlink > 1:
        raise RefusedWrite(shown, f"it has {old.st_nlink} hard links (names for the same file), "
                                  "and writing it would leave the other names with the old "
                                  "text; make it a file of its own (copy it, then move the copy "
                                  "over it) and run again")


def _shared(folder: os.stat_result) -> bool:
    """A sticky folder others may write to, such as /tmp: anyone can put a file or a link
    there, and only its maker can remove it. (A team folder, group-writable but not
    sticky, is a folder of colleagues: their plans are formatted there as usual.)"""
    return bool(folder.st_mode & stat.S_ISVTX and folder.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def _check_not_planted(old: os.stat_result, folder: os.stat_result, shown: str) -> None:
    """In a sticky folder others can write to, a file that another user put there is not
    ours to fill with health data: they chose its mode, and (run as root) its owner would
    be kept. The kernel's protected_regular rule, applied whatever the machine's setting."""
    if _shared(folder) and old.st_uid not in (os.geteuid(), folder.st_uid):
        raise RefusedWrite(shown, f"another user (user {old.st_uid}) made this file in a folder "
                                  "others can write to, so it may not be theirs to read; "
                                  "write to a new name, or to a folder of your own")


def _check_links_named(target: str) -> None:
    """A link the user named is followed only if it is safe to: in a folder others can
    write to, only a link made by this user or the folder's owner (the kernel's
    protected_symlinks rule, applied whatever the machine's setting)."""
    path = os.path.abspath(target)
    for _ in range(40):  # as many links as the kernel follows
        try:
            link = os.lstat(path)
        except FileNotFoundError:
            return
        if not stat.S_ISLNK(link.st_mode):
            return
        folder = os.path.dirname(path)
        if _shared(os.stat(folder)) and link.st_uid not in (os.geteuid(), os.stat(folder).st_uid):
            raise RefusedWrite(target, f"it is a symbolic link another user (user "
                                       f"{link.st_uid}) made in a folder others can write to, "
                                       "and following it could write health data anywhere; "
                                       "write to a new name, or to a folder of your own")
        path = os.path.join(folder, os.readlink(path))


def write_all(fd: int, data: bytes) -> None:
    """All of `data` to a file just made. Not through Python's file objects: opening one
    asks the file whether it is a terminal and where it stands (two system calls a file,
    some 17 files a plan rendered)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _temp_name(name: str) -> str:
    stem = os.fsdecode(os.fsencode(name)[:TEMP_STEM_BYTES])
    return f".{stem}.{secrets.token_hex(4)}{TEMP_SUFFIX}"


def _lock(fd: int) -> bool:
    """Lock a temporary file or folder just made; False when a cleaner removed it between
    its creation and the lock (it took the entry for a leftover): then make another."""
    fcntl.flock(fd, fcntl.LOCK_EX)
    return os.fstat(fd).st_nlink > 0


def _new_temp(dir_fd: int, name: str, mode: int, folder: bool = False) -> tuple[int, str]:
    """A new temporary file (or folder) for `name`, open and locked, with `mode` from its
    creation on; made anew when a cleaner took it for a leftover before it was locked."""
    for _ in range(100):  # a cleaner wins this race rarely, never a hundred times
        temp = _temp_name(name)
        if folder:
            os.mkdir(temp, mode, dir_fd=dir_fd)
            try:
                fd = os.open(temp, _FOLDER | os.O_NOFOLLOW, dir_fd=dir_fd)
            except FileNotFoundError:  # cleared between its making and its opening
                continue
        else:
            fd = os.open(temp, _NEW_FILE, mode, dir_fd=dir_fd)
        if _lock(fd):
            break
        os.close(fd)
    else:
        raise OSError(errno.EAGAIN, "another process keeps removing the temporary files "
                                    "ipt-plan makes here", name)
    try:
        # The umask may have narrowed the mode; the file is still empty, so widening it to
        # the mode of the file it replaces shows nothing.
        if stat.S_IMODE(os.fstat(fd).st_mode) != mode:
            os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        if folder:
            shutil.rmtree(temp, dir_fd=dir_fd, ignore_errors=True)
        else:
            _remove(dir_fd, temp)
        raise
    return fd, temp


def _keep_owner(fd: int, old: os.stat_result, shown: str) -> None:
    """Give the new file the owner and group of the one it replaces, or refuse: a file
    that changes hands can lock its owner out of their own client's plan."""
    new = os.fstat(fd)
    if (new.st_uid, new.st_gid) == (old.st_uid, old.st_gid):
        return
    try:
        os.fchown(fd, old.st_uid, old.st_gid)
    except PermissionError:
        raise RefusedWrite(shown, f"it belongs to another user (user {old.st_uid}, group "
                                  f"{old.st_gid}), and a replacement written by this user "
                                  "would change hands; run ipt-plan as its owner") from None


def exists_in(dir_fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def _remove(dir_fd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass


def same_file(seen: os.stat_result, now: os.stat_result) -> bool:
    """Whether `now` is the file `seen` was, unchanged: the same file, the same size, the
    same time of its last change."""
    return ((seen.st_dev, seen.st_ino, seen.st_size, seen.st_mtime_ns)
            == (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns))


def _check_unchanged(old: os.stat_result | None, expected: os.stat_result, shown: str) -> None:
    if old is None or not same_file(expected, old):
        raise RefusedWrite(shown, "it changed since ipt-plan read it (saved from an editor, "
                                  "or replaced), and writing now would lose that change; "
                                  "run the command again")


def replace_in(dir_fd: int, name: str, data: bytes, shown: str, keep_links: bool,
               expected: os.stat_result | None = None) -> None:
    """Write `data` as `name` in the open folder `dir_fd`, atomically. `name` is never
    followed if it is a link; `shown` is the path the user knows it by, for messages.
    With `keep_links`, a file with other names (hard links) is refused rather than split
    from them; without, it is replaced and the other names keep the old text. With
    `expected` (what os.stat said of the file when it was read), a file that is no longer
    that one, unchanged, is refused: a read-change-write never loses another's edit."""
    try:
        old: os.stat_result | None = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        old = None
    if expected is not None:
        _check_unchanged(old, expected, shown)
    if old is not None:
        _check_replaceable(old, shown, keep_links)
        _check_not_planted(old, os.fstat(dir_fd), shown)
    mode = stat.S_IMODE(old.st_mode) if old is not None else PRIVATE_FILE
    try:
        fd, temp = _new_temp(dir_fd, name, mode & 0o777)
    except OSError as err:
        err.filename = shown
        raise
    try:
        if old is not None:
            _keep_owner(fd, old, shown)
            if stat.S_IMODE(os.fstat(fd).st_mode) != mode:  # a change of owner clears setgid
                os.fchmod(fd, mode)
        write_all(fd, data)
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException as err:
        _remove(dir_fd, temp)
        if isinstance(err, OSError) and not isinstance(err, RefusedWrite):
            err.filename = shown
        raise
    finally:
        os.close(fd)  # the lock goes with it


def write_atomically(target: str | os.PathLike, data: bytes, *,
                     cleared: set[str] | None = None, follow_links: bool = True,
                     expected: os.stat_result | None = None) -> None:
    """Write a file the user named (an export, a plan being formatted): a symbolic link
    they named keeps pointing at its file, which is replaced (without `follow_links`, a
    link is refused: a plan that ipt-plan changes in place). A new file is private
    (0600); a replaced one keeps its owner, group and mode; a device, pipe, socket, folder
    or hard-linked file is refused (RefusedWrite), and so is, with `expected`, a file that
    changed since it was read (see `replace_in`). What killed runs left in the folder is
    cleared first; with `cleared` (one set per run), once per folder."""
    if follow_links:
        _check_links_named(os.fspath(target))
        path = os.path.realpath(target)
    else:
        # The folders on the way are the user's to choose; the file itself is not followed
        # (replace_in refuses a link there, and one put there after this look).
        folder, name = os.path.split(os.path.abspath(target))
        path = os.path.join(os.path.realpath(folder), name)
    folder, name = os.path.split(path)
    clear_leftovers(folder, cleared)
    dir_fd = os.open(folder, _FOLDER)
    try:
        replace_in(dir_fd, name, data, os.fspath(target), keep_links=True, expected=expected)
    finally:
        os.close(dir_fd)


def read_unfollowed(target: str | os.PathLike, limit: int) -> tuple[bytes, os.stat_result]:
    """Up to `limit` bytes of the regular file `target`, and what os.stat says of it, for
    a file ipt-plan will change in place (`write_atomically(..., follow_links=False,
    expected=...)`): a symbolic link there is not followed but refused, and so is anything
    but a regular file (RefusedWrite), looked at on the open file so that it cannot change
    between the look and the read. A pipe is opened without waiting."""
    shown = os.fspath(target)
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise RefusedWrite(shown, "it is a symbolic link, and ipt-plan changes a plan only "
                                      "where it is, never through a link; name the plan's "
                                      "own file") from None
        if err.errno == errno.ENXIO:  # a socket
            raise RefusedWrite(shown, "it is a socket, not a regular file; ipt-plan changes "
                                      "only regular files") from None
        raise
    try:
        seen = os.fstat(fd)
        _check_replaceable(seen, shown, keep_links=True)
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "rb") as handle:
        return handle.read(limit), seen


# --- folders ipt-plan manages (a plan's agendas) ----------------------------------------

def _symlink_refused(path: str | os.PathLike) -> RefusedWrite:
    return RefusedWrite(path, "it is a symbolic link, and ipt-plan writes only into folders "
                              "it made, never through a link; remove the link and run again")


def make_private_folders(path: str | os.PathLike) -> None:
    """`mkdir -p`, every folder it makes private (0700): an output folder's name, and
    those above it, may name a clinic's clients."""
    missing = []
    folder = Path(os.path.abspath(path))
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, PRIVATE_FOLDER)
        except FileExistsError:
            pass
    if not os.path.isdir(path):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), os.fspath(path))


# Folders of this process already cleared of what killed runs left: each once a run.
_cleared: set[tuple[int, int]] = set()


def new_run() -> None:
    """A new run starts: every folder it opens is cleared again (once)."""
    _cleared.clear()


def open_below(root: str | os.PathLike, relative: Iterable[str], clear: bool = True) -> int:
    """The folder `root/relative...`, open: `root` is the output folder the user named (a
    link there is theirs to choose); each folder below it is made private when missing
    (their names name clients) and opened without following a link, so a link planted
    anywhere below `root` never sends a write elsewhere. What killed runs left in each
    folder opened is cleared, once a process (never with `clear` False)."""
    fd = os.open(root, _FOLDER)
    shown = Path(root)
    try:
        for part in relative:
            shown = shown / part
            try:
                os.mkdir(part, PRIVATE_FOLDER, dir_fd=fd)
            except FileExistsError:
                pass
            try:
                below = os.open(part, _FOLDER | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as err:
                if err.errno in (errno.ELOOP, errno.ENOTDIR) and stat.S_ISLNK(
                        os.stat(part, dir_fd=fd, follow_symlinks=False).st_mode):
                    raise _symlink_refused(shown) from None
                raise
            os.close(fd)
            fd = below
            seen = os.fstat(fd)
            if clear and (seen.st_dev, seen.st_ino) not in _cleared:
                _cleared.add((seen.st_dev, seen.st_ino))
                _clear_in(fd, os.listdir(fd))
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_new_folder(folder: Path, contents: Iterable[tuple[str, bytes]],
                     parent_fd: int | None = None) -> bool:
    """Make `folder` (private) holding `contents`, whole or not at all: the files go into
    a locked temporary folder beside it, renamed into place at once (one rename instead of
    one per file, which dominated a first render's time). False, with nothing written,
    when something already has the folder's name. `parent_fd`: its parent, already open."""
    own = parent_fd is None
    if parent_fd is None:
        parent_fd = os.open(folder.parent, _FOLDER)
    try:
        return _write_new_folder(parent_fd, folder.name, contents)
    except OSError as err:
        if not isinstance(err, RefusedWrite):
            err.filename = os.fspath(folder)  # not the temporary name nobody knows
        raise
    finally:
        if own:
            os.close(parent_fd)


def _write_new_folder(parent_fd: int, name: str, contents: Iterable[tuple[str, bytes]]) -> bool:
    temp_fd, temp = _new_temp(parent_fd, name, PRIVATE_FOLDER, folder=True)
    try:
        for file_name, data in contents:
            fd = os.open(file_name, _NEW_FILE, PRIVATE_FILE, dir_fd=temp_fd)
            try:
                write_all(fd, data)
            finally:
                os.close(fd)
        try:
            # Renamed over an empty folder only, never merged into one that has files.
            os.rename(temp, name, src_dir_fd=parent_fd, dst_dir_fd=parent_fd)
            return True
        except OSError:
            if not exists_in(parent_fd, name):
                raise
        shutil.rmtree(temp, dir_fd=parent_fd, ignore_errors=True)
        return False
    except BaseException:
        shutil.rmtree(temp, dir_fd=parent_fd, ignore_errors=True)
        raise
    finally:
        os.close(temp_fd)


class ManagedFolder:
    """A folder ipt-plan made and writes (a plan's agendas), held open: the folder itself
    and every name in it are used without following links, so a link planted there never
    sends a write, or a removal, anywhere else.

        with ManagedFolder(path) as folder:
            folder.write("session-01.md", data)
    """

    def __init__(self, path: Path, parent_fd: int | None = None):
        """`parent_fd`: the folder's parent, already open (see `open_below`)."""
        self.path = path
        where = {"dir_fd": parent_fd} if parent_fd is not None else {}
        name = path.name if parent_fd is not None else path
        try:
            self.fd = os.open(name, _FOLDER | os.O_NOFOLLOW, **where)
        except OSError as err:
            if err.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise
            if stat.S_ISLNK(os.stat(name, follow_symlinks=False, **where).st_mode):
                raise _symlink_refused(path) from None
            raise RefusedWrite(path, "it is a file, where ipt-plan keeps a folder of "
                                     "agendas; move it away and run again") from None
        try:
            # One listing serves both the clearing of leftovers and the caller.
            self.names = os.listdir(self.fd)
        except BaseException:
            os.close(self.fd)
            raise
        _clear_in(self.fd, self.names)

    def __enter__(self) -> ManagedFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)

    def read(self, name: str) -> bytes | None:
        """A regular file's bytes; None for anything else (never opened), or nothing."""
        if not self.is_file(name):
            return None
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                         dir_fd=self.fd)
        except OSError:
            return None
        with open(fd, "rb") as handle:
            return handle.read() if stat.S_ISREG(os.fstat(fd).st_mode) else None

    def is_file(self, name: str) -> bool:
        try:
            return stat.S_ISREG(os.stat(name, dir_fd=self.fd, follow_symlinks=False).st_mode)
        except OSError:
            return False

    def check_replaceable(self, name: str) -> None:
        """RefusedWrite now if `name` could not be written (a link, a pipe...): a plan's
        files are checked before the first is written, so none is left half-changed."""
        try:
            old = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return
        _check_replaceable(old, os.fspath(self.path / name), keep_links=False)

    def write(self, name: str, data: bytes) -> None:
        """Replace or add `name`. A hard link to an agenda is replaced, not written
        through: the other name (a backup made with `cp -al`, say) keeps what it had."""
        replace_in(self.fd, name, data, os.fspath(self.path / name), keep_links=False)

    def remove(self, name: str) -> None:
        os.unlink(name, dir_fd=self.fd)


# --- what killed runs left --------------------------------------------------------------

def clear_leftovers(folder: str | os.PathLike, cleared: set[str] | None = None) -> None:
    """Remove the temporary files and folders that killed runs left in `folder`; those
    of runs still writing are locked and kept. Never fails: a folder that cannot be read
    only keeps its leftovers. With `cleared` (one set per run), each folder once."""
    key = os.path.realpath(folder)
    if cleared is not None:
        if key in cleared:
            return
        cleared.add(key)
    try:
        dir_fd = os.open(folder, _FOLDER)
    except OSError:
        return
    try:
        _clear_in(dir_fd, os.listdir(dir_fd))
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _clear_in(dir_fd: int, names: Iterable[str]) -> None:
    for name in names:
        if name.startswith(".") and name.endswith(TEMP_SUFFIX):
            _clear_one(dir_fd, name)


def _clear_one(dir_fd: int, name: str) -> None:
    try:
        seen = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if not (stat.S_ISREG(seen.st_mode) or stat.S_ISDIR(seen.st_mode)):
            return  # never ours: only files and folders are made with this ending
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     dir_fd=dir_fd)
    except OSError:
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # a live run holds it
        # Still the entry that was locked? A live run may have renamed it into place.
        held, now = os.fstat(fd), os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if (held.st_dev, held.st_ino) != (now.st_dev, now.st_ino):
            return
        if stat.S_ISDIR(now.st_mode):
            shutil.rmtree(name, dir_fd=dir_fd, ignore_errors=True)
        else:
            os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass
    finally:
        os.close(fd)  # only now may a run that lost the race to create it see it gone
