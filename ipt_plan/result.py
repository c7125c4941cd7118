"""What checking one plan gives: the plan as far as it could be built, its graph, every
diagnostic, and the text they point into. The facade makes these; reports, agendas and
exports read them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator

from .codes import BAD_CONFIG
from .diagnostics import Diagnostic, Severity
from .knowledge import Catalogue, Profile
from .model import Plan

if TYPE_CHECKING:
    from .graph import PlanGraph


class PlanHasErrors(ValueError):
    """A plan with errors was asked for an output: it has none, since a clinician (or
    another system) would take a broken plan for a real one."""


@dataclass(frozen=True)
class Result:
    path: str
    plan: Plan | None  # as much of the plan as could be built; None if unreadable
    diagnostics: tuple[Diagnostic, ...]
    text: str | None  # the decoded source, for showing lines under diagnostics
    profile: Profile | None = None
    graph: PlanGraph | None = None  # the graph the rules walked, built with their catalogue
    path_missing: bool = False  # the path named no file or folder at all
    # The catalogue the rules used: ipt-plan's, with a clinic's additions from its
    # protocol folders; agendas label the plan's techniques and scales from it.
    catalogue: Catalogue | None = None
    # The day the plan was checked as on (the real date unless the caller pinned one):
    # outputs built from this result project a log's owed sessions from the same day.
    today: dt.date | None = None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def checked_plan(self, output: str) -> tuple[Plan, PlanGraph]:
        """The plan and its graph, for an output (`output` says what it is: "agendas");
        PlanHasErrors when the plan has errors: the one guard every output goes through."""
        if self.plan is None or self.graph is None or not self.ok:
            raise PlanHasErrors(f"{self.path} has errors, so it has no {output}; "
                                f"see them with: ipt-plan check {self.path}")
        return self.plan, self.graph

    def for_report(self) -> Result:
        """Only what a report needs, as crosses between processes: the diagnostics, and the
        text they point into (none for a clean plan, whose text no report shows)."""
        return Result(self.path, None, self.diagnostics,
                      self.text if self.diagnostics else None, self.profile,
                      path_missing=self.path_missing, today=self.today)


def without_repeated_config_problems(results: Iterable[Result],
                                     seen: set[Diagnostic] | None = None) -> Iterator[Result]:
    """Plans that share a broken configuration file show its problems once, not per plan:
    the first result that has one keeps it. Each result is handed on as it comes. `seen`:
    the configuration problems already told (a caller that hands results one at a time)."""
    seen = set() if seen is None else seen
    for result in results:
        repeated = [d for d in result.diagnostics if d.code == BAD_CONFIG and d in seen]
        seen.update(d for d in result.diagnostics if d.code == BAD_CONFIG)
        if repeated:
            result = dataclasses.replace(
                result, diagnostics=tuple(d for d in result.diagnostics if d not in repeated))
        yield result


def config_problems_once(results: Iterable[Result]) -> list[Result]:
    return list(without_repeated_config_problems(results))
