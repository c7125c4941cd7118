"""A per-user disk cache for what is slow to build and never changes between runs: the
grammar's LALR tables and the parsed knowledge files.

Entries are pickles, so they live in the user's own cache folder (never a shared /tmp,
where another user could plant one) and are loaded only when that folder and the entry
are the user's own and writable by no one else. They are named by a hash of everything
they were built from and written atomically, so parallel workers never read half a file.
A read-only, missing or shared cache folder, or a damaged entry, only costs speed.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, Callable, TypeVar

T = TypeVar("T")


def cache_dir() -> Path:
    base = os.environ.get("IPT_PLAN_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "ipt-plan" if base else Path.home() / ".cache" / "ipt-plan"


def _private(path: Path) -> bool:
    """Owned by this user and writable by no one else: only then is a pickle in it
    trusted, since loading a pickle runs whatever its author chose."""
    info = path.stat()
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def cached(kind: str, sources: tuple[str | bytes, ...], build: Callable[[], T],
           save: Callable[[T, BinaryIO], Any] = pickle.dump,
           load: Callable[[BinaryIO], T] = pickle.load, expect: type | None = None) -> T:
    """`build()`, or what an earlier run saved from the same `sources` (of type `expect`)."""
    digest = hashlib.sha256(repr(sys.version_info[:2]).encode())
    for part in sources:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    path = cache_dir() / f"{kind}-{digest.hexdigest()[:20]}.pickle"
    try:
        if _private(path.parent) and _private(path):
            with open(path, "rb") as handle:
                value = load(handle)
            if expect is None or isinstance(value, expect):
                return value
    except Exception:  # absent, unreadable or from another version: build it anew
        pass
    value = build()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(path.parent):
            return value  # a folder others can write to is never used
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{kind}-")
        try:
            with os.fdopen(fd, "wb") as handle:
                save(value, handle)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except Exception:  # noqa: BLE001 - a cache that cannot be written is only slower
        pass
    return value
