"""Checking many plans: every plan the command line names, in worker processes for a
large batch, a shared configuration's problems told once, and a path that names nothing
reported like a plan with one diagnostic, so a script sees it without catching anything.

    results = ipt_plan.check(["plans/"], jobs=2)
    for result in ipt_plan.iter_check(["clinic/"]):   # a nightly batch: one at a time
        ...

`iter_check` hands each result over as soon as it is ready and keeps none, so the
memory of a batch does not grow with its size; `check` keeps them all in a list.
"""

from __future__ import annotations

import datetime as dt
import os
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

from .codes import INTERNAL_ERROR
from .diagnostics import Diagnostic, Severity
from .loader import load_file
from .paths import PlanFiles, missing_result
from .result import Result, without_repeated_config_problems

# Below this many plans, starting worker processes costs more than it saves.
PARALLEL_FROM = 64
# Plans handed to a worker at once: enough that handing them over costs little (a
# plan checks in about 2 ms), few enough that the workers finish together.
CHUNK = 16

CheckChunk = tuple[list[str], tuple[Path, ...], dt.date]


def _check_chunk(chunk: CheckChunk) -> list[Result]:
    """A worker's check: what a report needs crosses back, not the plan and its graph."""
    paths, protocol_dirs, today = chunk
    return [load_file(path, protocol_dirs, today=today).for_report() for path in paths]


def _crashed(chunk: CheckChunk, err: BaseException) -> list[Result]:
    return [Result(path, None, (Diagnostic.at(
        INTERNAL_ERROR, Severity.ERROR,
        f"the process checking this plan stopped ({type(err).__name__}: {err})", path, None,
        "check it again, alone, with --jobs 1; if it stops again, please report it"),), None)
        for path in chunk[0]]


def iter_check(paths: Iterable[str | os.PathLike], protocol_dirs: Iterable[Path] = (),
               jobs: int | None = 1, today: dt.date | None = None) -> Iterator[Result]:
    """Check every plan the paths name, in order, each result handed over as it is ready;
    then one result per path that named nothing (`path_missing`). Every plan is checked
    as on `today` (None: the real date, taken once, so a batch that runs past midnight
    still checks all on one day).

    With `jobs` > 1 (None: workers.default_jobs), a batch of PARALLEL_FROM plans or more
    is checked in that many processes; its results then carry the diagnostics and the text they point into (the
    text only where there is a diagnostic) but not the plans (`plan` is None)."""
    plans = PlanFiles(paths)
    dirs = tuple(Path(d) for d in protocol_dirs)
    today = today or dt.date.today()
    large = jobs != 1 and sum(1 for _ in islice(plans, PARALLEL_FROM)) >= PARALLEL_FROM
    if large and jobs is None:
        from .workers import default_jobs  # here: a check of a few plans never needs it

        jobs = default_jobs()
    if large and jobs > 1:
        from .workers import chunks_of, ordered_map

        chunks = ((chunk, dirs, today) for chunk in chunks_of(map(str, plans), CHUNK))
        checked: Iterable[Result] = (
            result for results in ordered_map(_check_chunk, chunks, jobs, _crashed)
            for result in results)
    else:
        checked = (load_file(f, dirs, today=today) for f in plans)
    yield from without_repeated_config_problems(checked)
    yield from (missing_result(arg) for arg in plans.missing)


def check(paths: Iterable[str | os.PathLike], protocol_dirs: Iterable[Path] = (),
          jobs: int | None = 1, today: dt.date | None = None) -> list[Result]:
    """iter_check's results in a list (see it)."""
    return list(iter_check(paths, protocol_dirs, jobs, today))
