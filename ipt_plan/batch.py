"""The render pipeline for many plans: check each, render the clean ones, write the files.

    outcome = batch.run(["plans/"], "agendas", fmt="html", jobs=4)

Each plan is checked first (`loader.load_file`); one with errors is reported with its
diagnostics and not rendered, and the others go on.

Where each plan's agendas go and how they are written: outdir.py. Plans render in worker
processes (workers.py: started once, handed a few plans at a time, results handed back
and dropped as they come, so memory stays flat); each writes only its own folder, so the
output is the same whatever the number of processes. Runs into the same OUTDIR at once both succeed:
each holds a lock on its temporary files, and only unlocked ones (a killed run's) are
cleared. What the user is told: render_report.py.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import capacity, collector, files
from .codes import BLANK_TEXT, INTERNAL_ERROR
from .loader import load_file
from .outdir import LAYOUTS, current_folder, plan_folder, write_documents
from .paths import PlanFiles
from .renderer import FORMATS, TemplateProblem, check_templates, pack_refused, render
from .result import Result
from .workers import chunks_of, default_jobs, ordered_map


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
    # The folders above out_dir were made and cleared once for the batch (plan_jobs):
    # the worker does not list them again.
    parents_cleared: bool = False
    pack: bool = False  # also the whole course in one file, to print (renderer.render)


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
    new_folder: bool = False  # the plan's folder was made by this render
    # Texts in brackets that `ipt-plan new` wrote and the plan still holds (IPT007): its
    # agendas print them
    blanks: int = 0

    @property
    def rendered(self) -> bool:
        return self.check is None and self.problem is None

    @property
    def files(self) -> int:
        return len(self.written) + len(self.unchanged)


@dataclass(frozen=True)
class BatchOutcome:
    """What became of a batch: its totals, and each plan's outcome when they were kept
    (`run(keep=True)`, for a library caller's small batch; the command line reports each
    as it comes and keeps none)."""

    outcomes: tuple[PlanOutcome, ...]  # () when not kept
    missing: tuple[str, ...]  # arguments that named no file or folder
    seconds: float
    plans: int = 0
    failed_plans: int = 0
    written: int = 0  # files
    unchanged: int = 0
    removed: int = 0
    with_blanks: int = 0  # plans rendered with texts in brackets still to replace
    # Why the batch stopped before its last plan (no room left on the disk for the rest:
    # capacity.py); the plans before were rendered whole.
    stopped: str | None = None

    @property
    def rendered(self) -> list[PlanOutcome]:
        return [o for o in self.outcomes if o.rendered]

    @property
    def failed(self) -> list[PlanOutcome]:
        return [o for o in self.outcomes if not o.rendered]

    @property
    def rendered_plans(self) -> int:
        return self.plans - self.failed_plans

    @property
    def exit_code(self) -> int:
        """0 every plan rendered, 1 some failed, 2 a path that does not exist or a batch
        stopped before its end."""
        if self.missing or self.stopped:
            return 2
        return 1 if self.failed_plans else 0


class UsageError(ValueError):
    """A batch that cannot start (a bad option, an output folder that cannot be made, no
    room on the disk for its agendas: capacity.py)."""


class _Stop(Exception):
    """Raised by a check between two plans (capacity.SpaceCheck.watching): the batch ends
    there, and its outcome says why (BatchOutcome.stopped)."""


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
        documents = render(result, job.fmt, job.templates, job.pack)
        new_folder = not os.path.lexists(job.out_dir)
        written, unchanged, removed = write_documents(
            Path(job.out_dir), documents, job.fmt, Path(job.out_root), job.plan_file,
            result.plan.id, clear_parents=not job.parents_cleared)
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
                       removed=removed, new_folder=new_folder,
                       blanks=sum(d.code == BLANK_TEXT for d in result.diagnostics))


def render_chunk(jobs: list[PlanJob]) -> list[PlanOutcome]:
    """A worker's share: a few plans, rendered one after the other."""
    return [render_plan(job) for job in jobs]


def _crashed(jobs: list[PlanJob], err: BaseException) -> list[PlanOutcome]:
    return [PlanOutcome(job.plan_file, job.out_dir,
                        problem=f"the process rendering this plan stopped ({type(err).__name__}: "
                                f"{err}); render it again, alone, with --jobs 1")
            for job in jobs]


# --- the batch --------------------------------------------------------------------------

# Plans handed to a worker at once: a plan renders in about 10 ms, so handing over a
# chunk costs little next to it, and the workers still finish together.
CHUNK = 8


def plan_jobs(plan_files: Iterable[Path], out: Path, fmt: str, templates: Path | None,
              protocol_dirs: tuple[Path, ...], today: dt.date | None = None,
              may_repeat: bool = True, layout: str = "flat", pack: bool = False
              ) -> Iterator[PlanJob]:
    """One job per plan, each with its own folder (placed by `layout`, see outdir.py),
    made as the plans are read. Two paths
    that give one folder name one file (`a/x.iptplan` and `a/../a/x.iptplan`): it is
    rendered once; only a batch whose paths `may_repeat` (several arguments, a glob)
    keeps the folders it has given, to know. Each folder that holds plan folders is made
    and cleared of what killed runs left in it here, once a batch, so that no worker lists
    a shared folder again (a folder of 20,000 plans' folders, once per plan, made a batch
    quadratic)."""
    given: set[Path] = set()
    opened: set[Path] = set()
    cwd = current_folder()
    for plan_file in plan_files:
        folder = out / plan_folder(plan_file, cwd, layout)
        if may_repeat:
            if folder in given:
                continue
            given.add(folder)
        if folder.parent not in opened:
            opened.add(folder.parent)
            _open_once(out, folder.parent)
        yield PlanJob(str(plan_file), str(folder), str(out), fmt,
                      str(templates) if templates is not None else None,
                      tuple(str(d) for d in protocol_dirs), today, parents_cleared=True,
                      pack=pack)


def _open_once(out: Path, parent: Path) -> None:
    """Make a plan folder's parent (private) and clear it of killed runs' leftovers. A
    failure here is the plan's own, told when it is written."""
    try:
        os.close(files.open_below(out, parent.relative_to(out).parts))
    except OSError:
        pass


def run(paths: Iterable[str | os.PathLike], out: str | os.PathLike, fmt: str = "md",
        templates: str | os.PathLike | None = None, jobs: int | None = None,
        protocol_dirs: Iterable[str | os.PathLike] = (),
        on_outcome: Callable[[PlanOutcome], None] | None = None,
        on_start: Callable[[int], None] | None = None,
        today: dt.date | None = None, keep: bool = True, layout: str = "flat",
        space_check: bool = True, pack: bool = False) -> BatchOutcome:
    """Render every plan the paths name into `out`, each checked as on `today` (None: the
    real date, taken once for the whole batch). Raises UsageError before starting
    when an option is wrong, and TemplateProblem when a template does not compile;
    after that, every failure is one plan's outcome. `on_start` hears how many plans
    there are and `on_outcome` each plan's outcome, in the order of the plans. With
    `keep` False the outcomes are not kept (only the totals): the memory of the batch
    then stays flat whatever its size. `jobs`: worker processes (None: workers.default_jobs).
    `layout`: where each plan's folder goes (outdir.LAYOUTS). With `pack`, each plan's
    folder also gets the whole course in one file to print (course.html; HTML only, else
    UsageError). With `space_check`, a batch
    whose agendas would not fit on OUTDIR's disk raises UsageError before the first plan,
    or stops between plans as they are written, saying why in its outcome's `stopped`
    (capacity.py)."""
    started = time.monotonic()
    if fmt not in FORMATS:
        raise UsageError(f"there is no format '{fmt}'; the formats are {', '.join(FORMATS)}")
    if jobs is not None and jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    if layout not in LAYOUTS:
        raise UsageError(f"there is no layout '{layout}'; the layouts are {', '.join(LAYOUTS)}")
    if pack and (refused := pack_refused(fmt)):
        raise UsageError(refused)
    template_dir = Path(templates).resolve() if templates is not None else None
    if template_dir is not None and not template_dir.is_dir():
        raise UsageError(f"the templates folder {templates} does not exist")
    out_dir = Path(out)
    try:
        files.make_private_folders(out_dir)
    except OSError as err:
        raise UsageError(f"cannot make the output folder {out}: {err.strerror or err}") from None
    # Compiled here, before any worker starts: a forked worker has them already.
    check_templates(fmt, template_dir, pack)

    plan_files = PlanFiles(paths)
    total = plan_files.count()
    dirs = tuple(Path(d) for d in protocol_dirs)
    # Room on OUTDIR's disk: before the first plan is written, and again every hundred
    # plans as they are (capacity.py). The plans' folders are walked for it once more,
    # not kept.
    if space_check:
        cwd = current_folder()
        space = capacity.SpaceCheck(
            (str(out_dir / plan_folder(f, cwd, layout)) for f in plan_files), out_dir, fmt,
            dirs, pack)
        if space.problem is not None:
            raise UsageError(space.problem)
        on_outcome = space.watching(on_outcome, _Stop)
    jobs_of = plan_jobs(plan_files, out_dir, fmt, template_dir, dirs, today or dt.date.today(),
                        plan_files.may_repeat, layout, pack)
    # What killed runs left in OUTDIR: here, once; the folders below it are cleared as they
    # are first met (plan_jobs), never through a link.
    files.new_run()
    files.clear_leftovers(out_dir)
    if on_start:
        on_start(total)
    workers = min(jobs or default_jobs(), max(1, total // CHUNK))
    pool = None
    if workers <= 1:
        outcomes: Iterable[PlanOutcome] = map(render_plan, jobs_of)
    else:
        pool = ordered_map(render_chunk, chunks_of(jobs_of, CHUNK), workers, _crashed)
        outcomes = (outcome for chunk in pool for outcome in chunk)
    kept: list[PlanOutcome] = []
    plans = failed = written = unchanged = removed = with_blanks = 0
    stopped = None
    try:
        for outcome in outcomes:
            plans += 1
            failed += not outcome.rendered
            written += len(outcome.written)
            unchanged += len(outcome.unchanged)
            removed += len(outcome.removed)
            with_blanks += outcome.blanks > 0
            if keep:
                kept.append(outcome)
            if on_outcome:
                on_outcome(outcome)
    except _Stop as stop:
        stopped = str(stop)
    finally:
        if pool is not None:
            pool.close()  # the plans not yet begun are dropped, the workers stopped
    return BatchOutcome(tuple(kept), tuple(plan_files.missing), time.monotonic() - started,
                        plans, failed, written, unchanged, removed, with_blanks, stopped)
