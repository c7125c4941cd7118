"""Checking many plans: every plan the command line names, in worker processes for a
large batch, a shared configuration's problems told once, and a path that names nothing
reported like a plan with one diagnostic, so a script sees it without catching anything.

    results = ipt_plan.check(["plans/"], jobs=2)
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Iterable

from .loader import load_file
from .paths import expand, missing_result
from .result import Result, config_problems_once

# Below this many plans, starting worker processes costs more than it saves.
PARALLEL_FROM = 64


def _check_for_report(args: tuple[str, tuple[Path, ...], dt.date]) -> Result:
    """A worker's check: what a report needs crosses back, not the plan and its graph."""
    path, protocol_dirs, today = args
    return load_file(path, protocol_dirs, today=today).for_report()


def check(paths: Iterable[str | os.PathLike], protocol_dirs: Iterable[Path] = (),
          jobs: int = 1, today: dt.date | None = None) -> list[Result]:
    """Check every plan the paths name, in order; then one result per path that named
    nothing (`path_missing`). Every plan is checked as on `today` (None: the real date,
    taken once, so a batch that runs past midnight still checks all on one day).

    With `jobs` > 1, a large batch is checked in that many processes; its results then
    carry the diagnostics and the text but not the plans (`plan` is None)."""
    files, missing = expand(paths)
    dirs = tuple(Path(d) for d in protocol_dirs)
    today = today or dt.date.today()
    if jobs > 1 and len(files) >= PARALLEL_FROM:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            checked = list(pool.map(_check_for_report, [(str(f), dirs, today) for f in files],
                                    chunksize=max(8, len(files) // (jobs * 8))))
    else:
        checked = [load_file(f, dirs, today=today) for f in files]
    results = config_problems_once(checked)
    results.extend(missing_result(arg) for arg in missing)
    return results
