"""The render pipeline for many plans: check each, render the clean ones, write the files.

    outcome = batch.run(["plans/"], "agendas", fmt="html", jobs=4)

Each plan is checked first (`loader.load_file`); one with errors is reported with its
diagnostics and not rendered, and the others go on.

Output goes to a folder per plan that mirrors where the plan is from the current folder:
clinic/smith/plan.iptplan renders into OUTDIR/clinic/smith/plan/overview.md,
session-01.md, ... A plan outside the current folder goes under OUTDIR/outside/ followed
by its whole path, so nothing is ever written outside OUTDIR. Names that are not plain
lower-case ASCII (capitals, spaces, accents, names Windows reserves) are made readable and
end in a short hash of the real name (`Ms A.iptplan` -> `Ms-A-e7890c77/`), so no two
plans meet in one folder, even where the file system ignores case. The folder comes from
the plan's path alone, never from text inside the plan or from the other plans of the
run: a plan lands in the same folder every time.

Plans render in parallel processes; each writes only its own folder, so the output is the
same whatever the number of processes. Every file is written to a temporary file beside
it and renamed into place, so a run killed half-way leaves no half-written agenda; a file
whose bytes would not change is not touched. Runs into the same OUTDIR at once both
succeed: each holds a lock on its temporary files, and only unlocked ones (a killed run's)
are cleared. Agendas are private (0600, folders 0700), and a link planted in a plan's
folder, or in place of it, is refused, never followed (see files.py).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, TextIO

from . import files
from .files import TEMP_SUFFIX  # noqa: F401 - where tests and callers have found it
from . import collector
from .loader import load_file
from .paths import PLAN_SUFFIX, expand
from .result import Result
from .wording import plural, visible
from .renderer import FORMATS, Document, TemplateProblem, check_templates, render

# The files a render owns in a plan's folder; others there (a clinician's own notes) are
# never removed.
RENDERED_NAME = re.compile(r"(?:session-\d+|overview)\.(?:%s)" % "|".join(FORMATS))
# Names Windows keeps for devices: a plan called con.iptplan still gets a usable folder.
WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                   *(f"LPT{i}" for i in range(1, 10))}
MAX_FOLDER_NAME = 80


@dataclass(frozen=True)
class PlanJob:
    """One plan to render: everything a worker process needs, and nothing it must share."""

    plan_file: str
    out_dir: str  # OUTDIR/<folder>, chosen before any plan is read
    out_root: str  # OUTDIR: below it, no link is followed
    fmt: str
    templates: str | None
    protocol_dirs: tuple[str, ...]


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
    """A batch that cannot start (a bad option, an output folder that cannot be made)."""


# --- where each plan's agendas go -------------------------------------------------------

# A name that is kept as it is: lower-case ASCII (so that no two kept names can meet on a
# file system that ignores case or normalises Unicode), not hidden, and not looking like
# a name made below (so that a kept name and a made one never meet either).
KEPT_NAME = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]{0,78}[a-z0-9_])?")
MADE_NAME = re.compile(r".*-[0-9a-f]{8}")
# Plans outside the current folder go under this folder, then their full path.
OUTSIDE = "outside"


def _folder_part(shown: str, identity: str, keep: bool = True) -> str:
    """One part of a plan's output path: `shown` itself when it is a kept name, else made
    readable and followed by a short hash of `identity`, the name as it is on disk."""
    if (keep and KEPT_NAME.fullmatch(shown) and not MADE_NAME.fullmatch(shown)
            and shown.split(".")[0].upper() not in WINDOWS_DEVICES):
        return shown
    readable = re.sub(r"[^\w.-]+", "-", unicodedata.normalize("NFC", shown))
    readable = readable.strip(".-")[:MAX_FOLDER_NAME].rstrip(".-") or "plan"
    digest = hashlib.sha256(identity.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{readable}-{digest}"


def plan_folder(plan_file: Path, cwd: Path | None = None) -> Path:
    """Where a plan's agendas go, relative to OUTDIR: the plan's own path from the current
    folder (`cwd`), with its name in place of the file, as clinic/smith/plan/ for
    clinic/smith/plan.iptplan; a plan outside the current folder goes under outside/ and
    its whole path. It depends on the plan's path alone, never on the plan's text or on
    the other plans of the run, so a plan lands in the same folder every run, and two
    plans never in one. Names that could not be kept (capitals, spaces, accents, names
    Windows reserves...) are made readable and marked with a short hash of the real name."""
    # The plan's folder without symbolic links or `..`, which could lead elsewhere; the
    # plan keeps its own file name.
    location = Path(os.path.realpath(plan_file.parent)) / plan_file.name
    cwd = cwd if cwd is not None else current_folder()
    inside = cwd is not None and location.is_relative_to(cwd)
    if inside:
        names = location.relative_to(cwd).parts
    else:
        drive = location.drive.rstrip(":\\/")
        names = ((drive,) if drive else ()) + location.parts[1:]
    parts = [_folder_part(name, name) for name in names[:-1]]
    name = names[-1]
    stem = name[:-len(PLAN_SUFFIX)] if name.endswith(PLAN_SUFFIX) else ""
    # Another kind of file is always hashed: `notes.txt` never takes `notes.txt.iptplan`'s
    # folder.
    parts.append(_folder_part(stem or name, name, keep=bool(stem)))
    if not inside:
        return Path(OUTSIDE, *parts)
    if parts[0] == OUTSIDE:  # the plans' own `outside` is never taken for OUTSIDE
        parts[0] = _folder_part(OUTSIDE, names[0], keep=False)
    return Path(*parts)


def current_folder() -> Path | None:
    """The current folder without symbolic links; None if it was removed."""
    try:
        return Path(os.path.realpath(os.getcwd()))
    except OSError:
        return None


# --- writing ----------------------------------------------------------------------------

def write_documents(out_dir: Path, documents: list[Document], fmt: str,
                    out_root: Path | None = None
                    ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Write a plan's documents; return the names written, unchanged and removed. A
    first render makes the folder whole at once (`files.write_new_folder`); after that,
    files change one by one inside it, never through a link planted there or in any
    folder between it and `out_root`, the output folder the user named (default: the
    plan folder's parent)."""
    root = out_root if out_root is not None else out_dir.parent
    parent_fd = files.open_below(root, out_dir.parent.relative_to(root).parts)
    try:
        encoded = [(d.name, d.text.encode("utf-8")) for d in documents]
        if (not files.exists_in(parent_fd, out_dir.name)
                and files.write_new_folder(out_dir, encoded, parent_fd)):
            return tuple(d.name for d in documents), (), ()
        # Opening the folder clears what killed runs left in it: once per run, as only
        # this plan's job writes this folder.
        with files.ManagedFolder(out_dir, parent_fd) as folder:
            written, unchanged = [], []
            for name, data in encoded:
                if folder.read(name) == data:
                    unchanged.append(name)
                else:
                    folder.write(name, data)
                    written.append(name)
            current = {d.name for d in documents}
            removed = sorted(name for name in folder.names
                             if name.endswith(f".{fmt}") and RENDERED_NAME.fullmatch(name)
                             and name not in current and folder.is_file(name))
            for name in removed:
                folder.remove(name)
        return tuple(written), tuple(unchanged), tuple(removed)
    finally:
        os.close(parent_fd)


# --- one plan, in whichever process -----------------------------------------------------

def render_plan(job: PlanJob) -> PlanOutcome:
    """Check, render and write one plan. Never raises: every failure is in the outcome."""
    collector.now_and_then()
    try:
        result = load_file(job.plan_file, [Path(d) for d in job.protocol_dirs])
        if result.plan is None or not result.ok:
            # Only what the report needs crosses back to the parent process.
            return PlanOutcome(job.plan_file, job.out_dir, check=result.for_report())
        documents = render(result, job.fmt, job.templates)
        written, unchanged, removed = write_documents(Path(job.out_dir), documents, job.fmt,
                                                      Path(job.out_root))
    except TemplateProblem as problem:
        return PlanOutcome(job.plan_file, job.out_dir, problem=str(problem))
    except OSError as err:
        where = err.filename or job.out_dir
        return PlanOutcome(job.plan_file, job.out_dir,
                           problem=f"cannot write {where}: {err.strerror or err}")
    except Exception as err:  # noqa: BLE001 - one plan's failure must not stop the batch
        return PlanOutcome(job.plan_file, job.out_dir,
                           problem=f"ipt-plan failed on this plan ({type(err).__name__}: {err}); "
                                   "please report this, with the plan if you can share it")
    return PlanOutcome(job.plan_file, job.out_dir, written=written, unchanged=unchanged,
                       removed=removed)


def _crashed(job: PlanJob, err: BaseException) -> PlanOutcome:
    return PlanOutcome(job.plan_file, job.out_dir,
                       problem=f"the process rendering this plan stopped ({type(err).__name__}: "
                               f"{err}); render it again, alone, with --jobs 1")


# --- the batch --------------------------------------------------------------------------

def plan_jobs(plan_files: list[Path], out: Path, fmt: str, templates: Path | None,
              protocol_dirs: tuple[Path, ...]) -> list[PlanJob]:
    """One job per plan, each with its own folder. Two paths that give one folder name one
    file (`a/x.iptplan` and `a/../a/x.iptplan`): it is rendered once."""
    jobs: dict[Path, PlanJob] = {}
    cwd = current_folder()
    for plan_file in plan_files:
        folder = out / plan_folder(plan_file, cwd)
        jobs.setdefault(folder, PlanJob(str(plan_file), str(folder), str(out), fmt,
                                        str(templates) if templates is not None else None,
                                        tuple(str(d) for d in protocol_dirs)))
    return list(jobs.values())


def run(paths: Iterable[str | os.PathLike], out: str | os.PathLike, fmt: str = "md",
        templates: str | os.PathLike | None = None, jobs: int | None = None,
        protocol_dirs: Iterable[str | os.PathLike] = (),
        on_outcome: Callable[[PlanOutcome], None] | None = None,
        on_start: Callable[[int], None] | None = None) -> BatchOutcome:
    """Render every plan the paths name into `out`. Raises UsageError before starting
    when an option is wrong, and TemplateProblem when a template does not compile;
    after that, every failure is one plan's outcome. `on_start` hears how many plans
    there are and `on_outcome` each plan's outcome, in the order of the plans."""
    started = time.monotonic()
    if fmt not in FORMATS:
        raise UsageError(f"there is no format '{fmt}'; the formats are {', '.join(FORMATS)}")
    if jobs is not None and jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    template_dir = Path(templates).resolve() if templates is not None else None
    if template_dir is not None and not template_dir.is_dir():
        raise UsageError(f"the templates folder {templates} does not exist")
    out_dir = Path(out)
    try:
        out_dir.mkdir(mode=files.PRIVATE_FOLDER, parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"cannot make the output folder {out}: {err.strerror or err}") from None
    check_templates(fmt, template_dir)

    plan_files, missing = expand(paths)
    jobs_list = plan_jobs(plan_files, out_dir, fmt, template_dir,
                          tuple(Path(d) for d in protocol_dirs))
    # What killed runs left beside the plans' folders (where a first render's temporary
    # folder goes): each folder once per run, here rather than per plan, since listing a
    # shared folder per plan is quadratic.
    for folder in dict.fromkeys([str(out_dir), *(os.path.dirname(j.out_dir) for j in jobs_list)]):
        files.clear_leftovers(folder)
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


# --- telling the user -------------------------------------------------------------------

def outcome_line(outcome: PlanOutcome) -> str:
    """One plan's line in the log; file names are shown with `visible`."""
    plan_file = visible(outcome.plan_file)
    if outcome.check is not None:
        errors = len(outcome.check.errors)
        return f"failed    {plan_file}: {plural(errors, 'error')}; not rendered"
    if outcome.problem is not None:
        return f"failed    {plan_file}: {visible(outcome.problem)}"
    changes = f"{len(outcome.written)} written, {len(outcome.unchanged)} unchanged"
    if outcome.removed:
        changes += f", {len(outcome.removed)} removed"
    return (f"rendered  {plan_file} -> {visible(outcome.out_dir)}{os.sep} "
            f"({plural(outcome.files, 'file')}: {changes})")


def failure_report(batch: BatchOutcome) -> str:
    """Why each failed plan was not rendered: its diagnostics as `ipt-plan check` shows
    them, or the template or file problem that stopped it."""
    from .diagnostics import Diagnostic
    from .paths import missing_path
    from .report import format_diagnostic

    # A path that names nothing reads as it does under `ipt-plan check`.
    blocks = [format_diagnostic(missing_path(arg), None) for arg in batch.missing]
    shown: set[Diagnostic] = set()  # a shared configuration's problem is told once
    for outcome in batch.failed:
        if outcome.check is not None:
            text = outcome.check.text
            lines = text.split("\n") if text is not None else None
            for d in outcome.check.diagnostics:
                if d.path != outcome.check.path and d in shown:
                    continue
                shown.add(d)
                blocks.append(format_diagnostic(d, lines if d.path == outcome.check.path else None))
        else:
            blocks.append(visible(f"{outcome.plan_file}: not rendered: {outcome.problem}"))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def summary_line(batch: BatchOutcome) -> str:
    written = sum(len(o.written) for o in batch.outcomes)
    unchanged = sum(len(o.unchanged) for o in batch.outcomes)
    removed = sum(len(o.removed) for o in batch.outcomes)
    line = (f"{plural(len(batch.rendered), 'plan')} rendered, {len(batch.failed)} failed: "
            f"{plural(written, 'file')} written, {unchanged} unchanged")
    if removed:
        line += f", {removed} removed"
    line += f", in {batch.seconds:.1f} s"
    if batch.missing:
        line += f"; {plural(len(batch.missing), 'path')} not found"
    return line


@dataclass
class Progress:
    """A bar on a terminal, one line a plan elsewhere (a log, CI)."""

    stream: TextIO
    total: int = 0
    done: int = 0
    failed: int = 0
    width: int = 30
    bar: bool = field(init=False)

    def __post_init__(self) -> None:
        self.bar = bool(getattr(self.stream, "isatty", lambda: False)())

    def start(self, total: int) -> None:
        self.total = total
        if self.bar and total:
            self._draw()

    def update(self, outcome: PlanOutcome) -> None:
        self.done += 1
        self.failed += not outcome.rendered
        if self.bar:
            self._draw()
        else:
            self.stream.write(outcome_line(outcome) + "\n")
        self.stream.flush()

    def _draw(self) -> None:
        filled = self.width * self.done // max(self.total, 1)
        failed = f", {self.failed} failed" if self.failed else ""
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] "
                          f"{self.done}/{self.total} plans{failed}")

    def finish(self) -> None:
        if self.bar and self.total:
            self.stream.write("\r\x1b[K")  # clear the bar; the summary follows
            self.stream.flush()
