"""The render pipeline for many plans: check each, render the clean ones, write the files.

    outcome = batch.run(["plans/"], "agendas", fmt="html", jobs=4)

Each plan is checked first (`loader.load_file`); one with errors is reported with its
diagnostics and not rendered, and the others go on.

Where each plan's agendas go and how they are written: outdir.py. Plans render in worker
processes; each writes only its own folder, so the output is the same whatever the number
of processes. Runs into the same OUTDIR at once both succeed:
each holds a lock on its temporary files, and only unlocked ones (a killed run's) are
cleared. What the user is told: render_report.py.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from . import capacity, collector, files
from .codes import INTERNAL_ERROR
from .loader import load_file
from .outdir import LAYOUTS, current_folder, plan_folder, write_documents
from .paths import expand
from .renderer import FORMATS, TemplateProblem, check_templates, render
from .result import Result


@dataclass(frozen=True)
class PlanJob:
    """One plan to render: everything a worker process needs, and nothing it must share."""

    plan_file: str
    out_dir: str  # OUTDIR/<folder>, chosen before any plan is read
    out_root: str  # OUTDIR: below it, no link is followed
    fmt: str
    templates: str | None
    protocol_dirs: tuple[str, ...]
    today: dt.date | None = None  # the day every plan of the batch is checked as on


@dataclass(frozen=True)
class PlanOutcome:
    """What became of one plan."""

    plan_file: str
    out_dir: str
    # The check's findings when they stop the render: the diagnostics and the text they
    # point into (the plan itself stays in the worker).
    check: Result | None = None
    problem: str | None = None  # a template or file-system failure, said for a person
    written: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()  # agendas of sessions the plan no longer has

    @property
    def rendered(self) -> bool:
        return self.check is None and self.problem is None

    @property
    def files(self) -> int:
        return len(self.written) + len(self.unchanged)


@dataclass(frozen=True)
class BatchOutcome:
    outcomes: tuple[PlanOutcome, ...]
    missing: tuple[str, ...]  # arguments that named no file or folder
    seconds: float

    @property
    def rendered(self) -> list[PlanOutcome]:
        return [o for o in self.outcomes if o.rendered]

    @property
    def failed(self) -> list[PlanOutcome]:
        return [o for o in self.outcomes if not o.rendered]

    @property
    def exit_code(self) -> int:
        """0 every plan rendered, 1 some failed, 2 a path that does not exist."""
        if self.missing:
            return 2
        return 1 if self.failed else 0


class UsageError(ValueError):
    """A batch that cannot start (a bad option, an output folder that cannot be made), or
    cannot go on (no room left on the disk for the plans left: capacity.py)."""


# --- one plan, in whichever process -----------------------------------------------------

def render_plan(job: PlanJob) -> PlanOutcome:
    """Check, render and write one plan. Never raises: every failure is in the outcome."""
    collector.now_and_then()
    try:
        result = load_file(job.plan_file, [Path(d) for d in job.protocol_dirs],
                           today=job.today)
        if result.plan is None or not result.ok:
            # Only what the report needs crosses back to the parent process.
            return PlanOutcome(job.plan_file, job.out_dir, check=result.for_report())
        documents = render(result, job.fmt, job.templates)
        written, unchanged, removed = write_documents(
            Path(job.out_dir), documents, job.fmt, Path(job.out_root), job.plan_file,
            result.plan.id)
    except TemplateProblem as problem:
        return PlanOutcome(job.plan_file, job.out_dir, problem=str(problem))
    except OSError as err:
        where = err.filename or job.out_dir
        return PlanOutcome(job.plan_file, job.out_dir,
                           problem=f"cannot write {where}: {err.strerror or err}")
    except Exception as err:  # noqa: BLE001 - one plan's failure must not stop the batch
        return PlanOutcome(job.plan_file, job.out_dir,
                           problem=f"ipt-plan failed on this plan [{INTERNAL_ERROR}] "
                                   f"({type(err).__name__}: {err}); please report this, with "
                                   "the plan if you can share it")
    return PlanOutcome(job.plan_file, job.out_dir, written=written, unchanged=unchanged,
                       removed=removed)


def _crashed(job: PlanJob, err: BaseException) -> PlanOutcome:
    return PlanOutcome(job.plan_file, job.out_dir,
                       problem=f"the process rendering this plan stopped ({type(err).__name__}: "
                               f"{err}); render it again, alone, with --jobs 1")


# --- the batch --------------------------------------------------------------------------

def plan_jobs(plan_files: list[Path], out: Path, fmt: str, templates: Path | None,
              protocol_dirs: tuple[Path, ...], today: dt.date | None = None,
              layout: str = "flat") -> list[PlanJob]:
    """One job per plan, each with its own folder (placed by `layout`, see outdir.py). Two
    paths that give one folder name one file (`a/x.iptplan` and `a/../a/x.iptplan`): it is
    rendered once."""
    jobs: dict[Path, PlanJob] = {}
    cwd = current_folder()
    for plan_file in plan_files:
        folder = out / plan_folder(plan_file, cwd, layout)
        jobs.setdefault(folder, PlanJob(str(plan_file), str(folder), str(out), fmt,
                                        str(templates) if templates is not None else None,
                                        tuple(str(d) for d in protocol_dirs), today))
    return list(jobs.values())


def run(paths: Iterable[str | os.PathLike], out: str | os.PathLike, fmt: str = "md",
        templates: str | os.PathLike | None = None, jobs: int | None = None,
        protocol_dirs: Iterable[str | os.PathLike] = (),
        on_outcome: Callable[[PlanOutcome], None] | None = None,
        on_start: Callable[[int], None] | None = None,
        today: dt.date | None = None, layout: str = "flat",
        space_check: bool = True) -> BatchOutcome:
    """Render every plan the paths name into `out`, each checked as on `today` (None: the
    real date, taken once for the whole batch). Raises UsageError before starting
    when an option is wrong, and TemplateProblem when a template does not compile;
    after that, every failure is one plan's outcome. `on_start` hears how many plans
    there are and `on_outcome` each plan's outcome, in the order of the plans. `layout`:
    where each plan's folder goes (outdir.LAYOUTS). With `space_check`, a batch whose
    agendas would not fit on OUTDIR's disk raises UsageError before the first plan, or
    between plans as they are written (capacity.py)."""
    started = time.monotonic()
    if fmt not in FORMATS:
        raise UsageError(f"there is no format '{fmt}'; the formats are {', '.join(FORMATS)}")
    if jobs is not None and jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    if layout not in LAYOUTS:
        raise UsageError(f"there is no layout '{layout}'; the layouts are {', '.join(LAYOUTS)}")
    template_dir = Path(templates).resolve() if templates is not None else None
    if template_dir is not None and not template_dir.is_dir():
        raise UsageError(f"the templates folder {templates} does not exist")
    out_dir = Path(out)
    try:
        files.make_private_folders(out_dir)
    except OSError as err:
        raise UsageError(f"cannot make the output folder {out}: {err.strerror or err}") from None
    check_templates(fmt, template_dir)

    plan_files, missing = expand(paths)
    jobs_list = plan_jobs(plan_files, out_dir, fmt, template_dir,
                          tuple(Path(d) for d in protocol_dirs), today or dt.date.today(),
                          layout)
    # Room on OUTDIR's disk: before the first plan is written, and again every hundred
    # plans as they are (capacity.py).
    if space_check:
        space = capacity.SpaceCheck([job.out_dir for job in jobs_list], out_dir, fmt,
                                    jobs_list[0].protocol_dirs if jobs_list else ())
        if space.problem is not None:
            raise UsageError(space.problem)
        on_outcome = space.watching(on_outcome, UsageError)
    # What killed runs left in OUTDIR: here, once; the folders below it are cleared as they
    # are opened, each once a process (files.open_below), never through a link.
    files.new_run()
    files.clear_leftovers(out_dir)
    if on_start:
        on_start(len(jobs_list))
    outcomes = []
    workers = min(jobs or os.cpu_count() or 1, len(jobs_list))
    if workers <= 1:
        for job in jobs_list:
            outcomes.append(render_plan(job))
            if on_outcome:
                on_outcome(outcomes[-1])
    else:
        pool = ProcessPoolExecutor(max_workers=workers)
        try:
            futures = [pool.submit(render_plan, job) for job in jobs_list]
            for job, future in zip(jobs_list, futures):  # in plan order, for a stable log
                try:
                    outcomes.append(future.result())
                except Exception as err:  # noqa: BLE001 - a worker that died (out of memory...)
                    outcomes.append(_crashed(job, err))
                if on_outcome:
                    on_outcome(outcomes[-1])
        finally:
            # On Ctrl-C, drop the plans not yet started instead of rendering them all first.
            pool.shutdown(wait=True, cancel_futures=True)
    return BatchOutcome(tuple(outcomes), tuple(missing), time.monotonic() - started)


