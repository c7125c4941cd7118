"""The Lark parser for `grammar/iptplan.lark`, built once per process and cached on disk.

Analysing the grammar costs more than checking a plan, so the built LALR tables are
saved in the user's own cache folder (never a shared /tmp, since the cache is a pickle)
and written atomically, so parallel workers never read half a file. A read-only or
missing cache folder only costs speed.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

from lark import Lark
from lark import __version__ as lark_version

from .resources import resource_dir

GRAMMAR_FILE = "iptplan.lark"
START_RULES = ["start", "line"]


def grammar_text() -> str:
    return (resource_dir("grammar") / GRAMMAR_FILE).read_text(encoding="utf-8")


def _cache_dir() -> Path:
    base = os.environ.get("IPT_PLAN_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "ipt-plan" if base else Path.home() / ".cache" / "ipt-plan"


def _build(text: str) -> Lark:
    return Lark(text, parser="lalr", lexer="contextual", start=START_RULES,
                propagate_positions=True, maybe_placeholders=False)


@lru_cache(maxsize=1)
def parser() -> Lark:
    text = grammar_text()
    key = hashlib.sha256(
        f"{text}\0{lark_version}\0{sys.version_info[:2]}".encode()).hexdigest()[:20]
    cache_file = _cache_dir() / f"grammar-{key}.pickle"
    try:
        with open(cache_file, "rb") as handle:
            return Lark.load(handle)
    except Exception:  # absent, unreadable or stale: rebuild below
        pass
    built = _build(text)
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_file.parent, prefix=".grammar-")
        try:
            with os.fdopen(fd, "wb") as handle:
                built.save(handle)
            os.replace(tmp, cache_file)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        pass
    return built
