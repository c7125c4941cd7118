"""`ipt-plan progress`: how each course is going, from its log.

A tool over the checking of many plans. Each plan is checked as on one day (`today`); for
a plan that checks, `plan_progress` reads its sessions (held, cancelled, missed, still
owed, and the projected date of the last) from `schedule.session_states`, and its rating
scales (baseline, latest, change, band, response, remission, reliable change) from
`measurement.progress_of`: the judgements are the measurement stage's, never made here. A
plan that does not check is summarised by its diagnostics.

The caseload view (`caseload`) puts the plans that need attention first. Each plan's
reasons, most urgent first; a plan ranks by its most urgent one, then by path:

1. reliable deterioration on a scale (IPT505), or a risk item scored without a risk line
   (IPT506): the client may be getting worse, or at risk;
2. not on track at the middle of the course (IPT504): time to review the plan;
3. the plan does not check: nothing else about it can be read until it is fixed;
4. two missed sessions in a row (the last two appointments of the log): disengagement;
5. a rating overdue (IPT503): the measures cannot say how the course goes;
6. nearing the end (3 sessions or fewer of the course left): the ending and relapse
   prevention are due.

Health data stays on the machine: nothing here is sent anywhere, and the only name a plan
is shown by is its path, as `ipt-plan check` shows it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Iterable, NamedTuple

from . import codes
from .checking import check
from .measurement import OUTSIDE_COURSE, ScaleProgress, main_scale, progress_of
from .result import Result
from .schedule import SessionState, course_calendar, session_states
from .wording import encodable, plural, shows, visible

JSON_FORMAT = "ipt-plan/progress"
JSON_FORMAT_VERSION = 1
# Sessions of the course left (owed) at which a plan is nearing its end: the termination
# phase is the last 2-4 sessions (Weissman, Markowitz & Klerman 2000).
NEARING_END = 3
# A trend's marks, lowest to highest total: blocks on a terminal that shows them, else ASCII.
SPARKS = "▁▂▃▄▅▆▇█"
ASCII_SPARKS = "_.,-=+*#"

# The reasons a plan needs attention, most urgent first (see the module's doc), with the
# diagnostic codes that raise them.
DETERIORATION = "deterioration"
RISK = "risk item without a risk line"
NOT_ON_TRACK = "not on track"
DOES_NOT_CHECK = "does not check"
MISSED_TWICE = "two missed in a row"
OVERDUE = "rating overdue"
NEARING = "nearing the end"
ATTENTION = (DETERIORATION, RISK, NOT_ON_TRACK, DOES_NOT_CHECK, MISSED_TWICE, OVERDUE, NEARING)
RANK = {DETERIORATION: 0, RISK: 0, NOT_ON_TRACK: 1, DOES_NOT_CHECK: 2, MISSED_TWICE: 3,
        OVERDUE: 4, NEARING: 5}
FROM_CODE = {codes.RELIABLE_DETERIORATION: DETERIORATION, codes.RISK_NOT_ASSESSED: RISK,
             codes.NOT_ON_TRACK: NOT_ON_TRACK, codes.MISSING_SCORE: OVERDUE}


class Counts(NamedTuple):
    held: int  # sessions held
    cancelled: int  # appointments cancelled
    missed: int  # appointments the client did not attend
    remaining: int  # sessions still owed (every phase)
    total: int  # sessions of the plan (every phase)
    end: dt.date | None  # the last session's day, held or projected; None without a schedule


class PlanProgress(NamedTuple):
    """One plan's progress; `result` has its diagnostics."""

    path: str
    result: Result
    counts: Counts | None  # None: the plan does not check
    measures: dict[str, ScaleProgress]
    sessions: tuple[SessionState, ...]
    attention: tuple[str, ...]  # reasons, most urgent first
    main: str | None  # the plan's main scale (its first measure line)

    @property
    def ok(self) -> bool:
        return self.counts is not None

    @property
    def rank(self) -> int:
        return min((RANK[reason] for reason in self.attention), default=len(ATTENTION))


def plan_progress(result: Result) -> PlanProgress:
    """A checked plan's progress, as on the day it was checked (`result.today`)."""
    reasons = {FROM_CODE[d.code] for d in result.diagnostics if d.code in FROM_CODE}
    plan = result.plan
    if not result.ok or plan is None or result.catalogue is None:
        return PlanProgress(result.path, result, None, {}, (),
                            _ordered(reasons | {DOES_NOT_CHECK}), None)
    calendar = course_calendar(plan, result.today)
    states = session_states(plan, result.today, calendar)
    log = plan.log or ()
    counts = Counts(
        held=sum(state.status == "held" for state in states.values()),
        cancelled=sum(entry.status.text == "cancelled" for entry in log),
        missed=sum(entry.status.text == "missed" for entry in log),
        remaining=sum(state.owed for state in states.values()),
        total=len(states),
        end=max(calendar.dates.values()).date() if calendar.dates else None)
    if len(log) >= 2 and all(entry.status.text == "missed" for entry in log[-2:]):
        reasons.add(MISSED_TWICE)
    outside = {s.number for phase, s in plan.sessions() if phase.kind in OUTSIDE_COURSE}
    left = sum(state.owed for number, state in states.items() if number not in outside)
    if log and 0 < left <= NEARING_END:
        reasons.add(NEARING)
    return PlanProgress(result.path, result, counts, progress_of(plan, result.catalogue),
                        tuple(states.values()), _ordered(reasons), main_scale(plan))


def _ordered(reasons: set[str]) -> tuple[str, ...]:
    return tuple(reason for reason in ATTENTION if reason in reasons)


def progress(paths: Iterable[str], protocol_dirs: Iterable[Path] = (),
             today: dt.date | None = None) -> list[PlanProgress]:
    """Every plan the paths name, checked as on `today` (None: the real date), in order;
    a path that names nothing is a plan that does not check."""
    return [plan_progress(result) for result in check(paths, protocol_dirs, 1, today)]


def caseload(plans: Iterable[PlanProgress]) -> list[PlanProgress]:
    """The plans that need attention first (the module's doc gives the order), then by
    path."""
    return sorted(plans, key=lambda p: (p.rank, p.path))


# --- text --------------------------------------------------------------------------------

def trend(points: Iterable[int], low: int, high: int, unicode: bool) -> str:
    """One mark per score, its height the total's place in the scale's range."""
    marks = SPARKS if unicode else ASCII_SPARKS
    span = max(high - low, 1)
    return "".join(marks[min(len(marks) - 1, max(0, total - low) * len(marks) // (span + 1))]
                   for total in points)


def can_show_sparks(stream: Any) -> bool:
    """Blocks on a terminal whose encoding shows them; ASCII into a file or a pipe."""
    return bool(getattr(stream, "isatty", lambda: False)()) and shows(
        SPARKS, getattr(stream, "encoding", None))


def _yes(value: bool | None) -> str:
    return "n/a" if value is None else "yes" if value else "no"


def _day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "not scheduled"
    return (value.date() if isinstance(value, dt.datetime) else value).isoformat()


def _summary_of_problems(result: Result) -> str:
    """`2 errors, 1 warning: IPT002 line 43, IPT204 line 12`: what keeps a plan from
    being read, without its lines (`ipt-plan check` shows them)."""
    errors = result.errors
    shown = ", ".join(f"{d.code} line {d.line}" for d in errors[:3])
    more = f" and {len(errors) - 3} more" if len(errors) > 3 else ""
    counts = f"{plural(len(errors), 'error')}, {plural(len(result.warnings), 'warning')}"
    return f"{counts}: {shown}{more}; see ipt-plan check {result.path}"


def _counts_text(counts: Counts) -> str:
    ending = ("ended" if counts.remaining == 0 else "projected end") + f" {_day(counts.end)}"
    return (f"{counts.held} of {counts.total} sessions held, {counts.cancelled} cancelled, "
            f"{counts.missed} missed, {counts.remaining} remaining; {ending}")


def _measure_text(name: str, scale: ScaleProgress, unicode: bool) -> str:
    definition = scale.definition
    marks = trend((p.total for p in scale.points), definition.low, definition.high, unicode)
    change = f"{scale.change:+d}" if scale.change else "0"
    parts = [f"{name}: baseline {scale.baseline.total} (session {scale.baseline.session}), "
             f"latest {scale.latest.total} (session {scale.latest.session}), change {change}"]
    if scale.band:
        parts.append(scale.band)
    parts.append(f"response {_yes(scale.response)}, remission {_yes(scale.remission)}")
    parts.append(scale.reliable if scale.reliable else "reliable change n/a")
    return ", ".join(parts) + f"; trend {marks}"


def format_text(plans: list[PlanProgress], unicode: bool = False) -> str:
    """Each plan: its sessions, the projected end, then one line per scale."""
    blocks = []
    for plan in plans:
        lines = [visible(plan.path)]
        if plan.counts is None:
            lines.append(f"  does not check: {visible(_summary_of_problems(plan.result))}")
            blocks.append("\n".join(lines))
            continue
        lines.append("  " + _counts_text(plan.counts))
        for name, scale in plan.measures.items():
            lines.append("  " + visible(_measure_text(name, scale, unicode)))
        if not plan.measures:
            lines.append("  no scores logged yet")
        if plan.attention:
            lines.append("  needs attention: " + ", ".join(plan.attention))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def format_caseload(plans: list[PlanProgress], unicode: bool = False) -> str:
    """One line per plan, those that need attention first: its path, why, how far the
    course is, and its main scale."""
    ordered = caseload(plans)
    width = max((len(visible(p.path)) for p in ordered), default=0)
    lines = []
    for plan in ordered:
        why = ", ".join(plan.attention) if plan.attention else "on course"
        if plan.counts is None:
            lines.append(f"{visible(plan.path):<{width}}  {why}: "
                         f"{visible(_summary_of_problems(plan.result))}")
            continue
        counts = plan.counts
        where = (f"{counts.held}/{counts.total} held, {counts.remaining} remaining, "
                 f"{'ended' if counts.remaining == 0 else 'ends'} {_day(counts.end)}")
        scale = plan.measures.get(plan.main) if plan.main else None
        if scale is None and plan.measures:
            scale = next(iter(plan.measures.values()))
        measure = ""
        if scale is not None:
            definition = scale.definition
            marks = trend((p.total for p in scale.points), definition.low, definition.high,
                          unicode)
            arrow = "→" if unicode else "->"
            measure = (f"  {scale.scale} {scale.baseline.total}{arrow}{scale.latest.total} "
                       f"{marks}")
        lines.append(visible(f"{plan.path:<{width}}  {why}; {where}{measure}"))
    return "\n".join(lines) + ("\n" if lines else "")


# --- JSON --------------------------------------------------------------------------------

def _point(point) -> dict[str, Any]:
    return {"session": point.session, "date": point.date.isoformat() if point.date else None,
            "total": point.total}


def _measure_json(scale: ScaleProgress) -> dict[str, Any]:
    return {
        "baseline": scale.baseline.total,
        "latest": scale.latest.total,
        "change": scale.change,
        "band": scale.band,
        "response": scale.response,
        "remission": scale.remission,
        "reliable": scale.reliable,
        "baseline_session": scale.baseline.session,
        "latest_session": scale.latest.session,
        "points": [_point(p) for p in scale.points],
    }


def _plan_json(plan: PlanProgress) -> dict[str, Any]:
    result = plan.result
    document: dict[str, Any] = {
        "path": encodable(result.path),
        "checks": plan.ok,
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        # Codes and lines, not messages, which may quote the plan (ipt-plan check has them)
        "diagnostics": [{"code": d.code, "severity": d.severity.value, "line": d.line}
                        for d in result.diagnostics],
        "attention": list(plan.attention),
    }
    if plan.counts is None:
        return document
    counts = plan.counts
    document.update({
        "held": counts.held, "cancelled": counts.cancelled, "missed": counts.missed,
        "remaining": counts.remaining, "total": counts.total,
        "projected_end": counts.end.isoformat() if counts.end else None,
        "measures": {name: _measure_json(scale) for name, scale in plan.measures.items()},
        "sessions": [{
            "number": state.number,
            "planned_date": _iso(state.planned),
            "date": _iso(state.date),
            "status": state.status,
        } for state in plan.sessions],
    })
    return document


def _iso(when: dt.datetime | None) -> str | None:
    return when.date().isoformat() if when else None


def format_json(plans: list[PlanProgress], today: dt.date, ordered: bool) -> str:
    """The plans (in caseload order when `ordered`) as JSON for scripts: per plan its
    counts, `measures` keyed by scale and `sessions`, or its diagnostics when it does not
    check. A session's status is one of schedule.SESSION_STATUSES."""
    document = {
        "format": JSON_FORMAT,
        "version": JSON_FORMAT_VERSION,
        "today": today.isoformat(),
        "plans": [_plan_json(p) for p in (caseload(plans) if ordered else plans)],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
