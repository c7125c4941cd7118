"""When Python's cyclic garbage collector runs during a check or a render: the one place
that decides it.

Checking a plan makes many small objects and no reference cycles (a checked plan is freed
as soon as it is dropped); the collector's passes over them grew with the plan's size and
made a 10,000-session plan check twice as slow as 100 plans of 100 sessions, and cost 40%
of a batch check (bench/bench.py). Rendering leaves Jinja's garbage cycles (about 460
objects a plan), collected every so many plans instead.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

COLLECT_EVERY = 64  # plans rendered between two collections


@contextmanager
def paused() -> Iterator[None]:
    """The collector off for a block (one plan's check, from the library)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def off_for_this_run() -> None:
    """The collector off for the rest of a short command-line run (check, render)."""
    gc.disable()


_since_collect = 0


def now_and_then() -> None:
    """Called once a plan rendered: a full collection every COLLECT_EVERY plans, cheaper
    than the collector's own timing over the small live set."""
    global _since_collect
    _since_collect += 1
    if _since_collect >= COLLECT_EVERY:
        _since_collect = 0
        gc.collect()
