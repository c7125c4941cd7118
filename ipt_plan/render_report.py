"""What `ipt-plan render` tells the user: a line per plan (or a progress bar on a
terminal), why each failed plan was not rendered, and a summary."""

from __future__ import annotations

import os
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
    return (f"rendered  {plan_file} -> {visible(outcome.out_dir)}{os.sep} "
            f"({plural(outcome.files, 'file')}: {changes})")


def failure_report(batch: BatchOutcome) -> str:
    """Why each failed plan was not rendered: its diagnostics as `ipt-plan check` shows
    them, or the template or file problem that stopped it."""
    from .paths import missing_path
    from .report import format_diagnostic
    from .result import config_problems_once

    # A path that names nothing reads as it does under `ipt-plan check`.
    blocks = [format_diagnostic(missing_path(arg), None) for arg in batch.missing]
    checked = iter(config_problems_once(o.check for o in batch.failed if o.check is not None))
    for outcome in batch.failed:
        if outcome.check is not None:
            result = next(checked)
            lines = result.text.split("\n") if result.text is not None else None
            blocks.extend(format_diagnostic(d, lines if d.path == result.path else None)
                          for d in result.diagnostics)
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
