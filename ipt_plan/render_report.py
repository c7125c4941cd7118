"""What `ipt-plan render` tells the user: a line per plan (or a progress bar on a
terminal), why each failed plan was not rendered, and a summary."""

from __future__ import annotations

import io
import os
import shlex
import shutil
from dataclasses import dataclass, field
from typing import TextIO

from .batch import BatchOutcome, PlanOutcome
from .wording import plural, visible


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
    line = (f"rendered  {plan_file} -> {visible(outcome.out_dir)}{os.sep} "
            f"({plural(outcome.files, 'file')}: {changes})")
    if outcome.blanks:
        line += (f"; it still has {plural(outcome.blanks, 'text')} in brackets from "
                 f"ipt-plan new, which its agendas print (ipt-plan check {shlex.quote(plan_file)} shows "
                 "where)")
    return line


class Failures:
    """Why each failed plan was not rendered, gathered as the batch runs: its diagnostics
    as `ipt-plan check` shows them, or the template or file problem that stopped it.
    Written out after the progress lines; kept meanwhile in a temporary file that has no
    name (so no other process can open it) once past 1 MB, so that a batch with many
    failed plans does not grow in memory."""

    def __init__(self) -> None:
        import tempfile

        self.blocks = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+",
                                                    encoding="utf-8", errors="surrogateescape")
        self.empty = True
        self._config_seen: set = set()

    def add(self, outcome: PlanOutcome) -> None:
        from .report import format_diagnostic
        from .result import without_repeated_config_problems

        if outcome.rendered:
            return
        if outcome.check is not None:
            # A configuration shared by many plans shows its problems once.
            result = next(without_repeated_config_problems([outcome.check], self._config_seen))
            lines = result.text.split("\n") if result.text is not None else None
            for d in result.diagnostics:
                self._write(format_diagnostic(d, lines if d.path == result.path else None))
        else:
            self._write(visible(f"{outcome.plan_file}: not rendered: {outcome.problem}"))

    def _write(self, block: str) -> None:
        self.blocks.write(block if self.empty else "\n\n" + block)
        self.empty = False

    def report(self, missing: tuple[str, ...] = ()) -> str:
        """The whole report (empty when nothing failed); a path that names nothing reads
        first, as it does under `ipt-plan check`."""
        buffer = io.StringIO()
        self.write(buffer, missing)
        return buffer.getvalue()

    def write(self, stream: TextIO, missing: tuple[str, ...] = ()) -> None:
        from .paths import missing_path
        from .report import format_diagnostic

        blocks = [format_diagnostic(missing_path(arg), None) for arg in missing]
        if blocks:
            stream.write("\n\n".join(blocks) + ("\n" if self.empty else "\n\n"))
        if not self.empty:
            self.blocks.seek(0)
            shutil.copyfileobj(self.blocks, stream)
            stream.write("\n")
        self.blocks.close()


def failure_report(batch: BatchOutcome) -> str:
    """The failure report of a batch whose outcomes were kept (batch.run(keep=True))."""
    failures = Failures()
    for outcome in batch.failed:
        failures.add(outcome)
    return failures.report(batch.missing)


def summary_line(batch: BatchOutcome) -> str:
    line = (f"{plural(batch.rendered_plans, 'plan')} rendered, {batch.failed_plans} failed: "
            f"{plural(batch.written, 'file')} written, {batch.unchanged} unchanged")
    if batch.removed:
        line += f", {batch.removed} removed"
    line += f", in {batch.seconds:.1f} s"
    if batch.with_blanks:
        line += (f"; {plural(batch.with_blanks, 'plan')} still {'has' if batch.with_blanks == 1 else 'have'} "
                 "texts in brackets from ipt-plan new to replace")
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
