"""Sixth stage, after the knowledge and the schedule: measurement. What a plan's log says
of its rating scales, judged by the catalogue's numbers for each scale (bands, cut-off,
reliable change, remission, response, the risk item; `knowledge.Scale`). Typed records and
pure functions over a `Plan` and a `Catalogue`; no I/O, no dates of its own.

    from ipt_plan.measurement import progress_of
    progress = progress_of(result.plan, result.catalogue)["PHQ-9"]
    progress.baseline.total, progress.latest.total, progress.reliable   # 19, 11, "improvement"

The API (names and fields are kept stable; others build on them):

    progress_of(plan, catalogue) -> dict[str, ScaleProgress]
        Each scale scored in the log, in the order first scored: its baseline (the first
        held score of that scale, by date) and latest (the last), the change, the latest
        band, response, remission, reliable change and every point.
    readings(plan, catalogue) -> list[Reading]
        Every usable score of the log in date order: under a held entry that is the first
        logged for a session the plan has, of a known scale, with no ScoreProblem.
    band_of(scale, total) -> str | None             the severity band's label
    reliable_change(scale, baseline, total) -> str | None
        IMPROVEMENT, DETERIORATION or NO_RELIABLE_CHANGE; None: no threshold for the scale
    is_response(scale, baseline, total) -> bool | None
    is_remission(scale, total) -> bool | None
    is_clinical(scale, total) -> bool | None       at or above the clinical cut-off
    score_problem(score, scale) -> ScoreProblem | None
        Why a logged score does not fit its scale: its total outside the range, or items
        that are too few or too many, outside their range, or that do not add up.
    risk_signal(score, scale) -> Word | None
        The risk item's score as written, when it signals risk (PHQ-9 item 9 of 1 or more)
    held_entries(plan) -> dict[int, LogEntry]      the first held entry of each session
    main_scale(plan) -> str | None                  the first `measure` line's scale
    course_sessions(plan) -> list[int]              the acute course's session numbers
    middle_session(plan) -> int | None              session 8 of 16 (the higher when odd)
    last_held(plan) -> int | None                   the highest session number held
    on_track(plan, catalogue) -> Track | None       the main scale, once the middle is held
    missing_ratings(plan, catalogue) -> list[MissingRating]
        Each measure due at a held session (`Measure.due`) that the entry has no score of

A higher total means more symptoms on every scale of the catalogue; a change below zero
is a fall. Reliable change uses the catalogue's threshold for the scale (Jacobson & Truax's
reliable change index, as NHS Talking Therapies applies it: PHQ-9 6 points, GAD-7 4):
a fall of at least that many points is reliable improvement, a rise of as many reliable
deterioration.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from .knowledge import Catalogue, Scale
from .model import LogEntry, Loc, Measure, Plan, Score, Word

IMPROVEMENT = "improvement"
DETERIORATION = "deterioration"
NO_RELIABLE_CHANGE = "no reliable change"

# Phases outside the acute course: a session before it, booster sessions after it.
OUTSIDE_COURSE = ("pretreatment", "continuation")


class Point(NamedTuple):
    """One score on a scale's course: at which session, on what day, the total."""

    session: int
    date: dt.date | None
    total: int


class Reading(NamedTuple):
    """A usable score of the log, with the entry it is under and its scale."""

    entry: LogEntry
    score: Score
    scale: Scale

    @property
    def point(self) -> Point:
        return Point(self.entry.number, self.entry.date, self.score.value)


class ScaleProgress(NamedTuple):
    """One scale's course through the log."""

    scale: str  # its name: PHQ-9
    baseline: Point  # the first held score
    latest: Point  # the last
    change: int  # latest minus baseline: below zero is a fall (fewer symptoms)
    band: str | None  # the latest total's severity band; None: the scale has no bands
    response: bool | None  # None: no response threshold for the scale, or a baseline of 0
    remission: bool | None  # the latest below the remission threshold; None: none given
    reliable: str | None  # IMPROVEMENT, DETERIORATION, NO_RELIABLE_CHANGE; None: no threshold
    points: tuple[Point, ...]  # every score, in date order
    baseline_band: str | None
    clinical_at_baseline: bool | None  # the baseline at or above the cut-off; None: no cut-off
    deterioration: Point | None  # the first point reliably worse than the baseline
    definition: Scale  # the catalogue's record: label, bands, thresholds, LOINC code


class ScoreProblem(NamedTuple):
    """Why a logged score does not fit its scale (the first found, in this order)."""

    kind: str  # "total" | "item_count" | "item_range" | "item_sum"
    loc: Loc  # the total, the first item, or the first item out of range
    items: tuple[Word, ...] = ()  # for "item_range": the items outside it


class Track(NamedTuple):
    """Whether the main scale shows reliable improvement by the middle of the course."""

    progress: ScaleProgress
    middle: int  # the course's middle session
    on_track: bool  # reliable improvement since the baseline, by its latest score
    held: int  # the last session held: the middle or later


class MissingRating(NamedTuple):
    entry: LogEntry  # a held session
    measure: Measure  # due there by the plan's measure line, with no score


# --- one score ---------------------------------------------------------------------------

def band_of(scale: Scale, total: int) -> str | None:
    """The label of the severity band the total falls in; None without bands (or outside
    the scale's range)."""
    return next((band.label for band in scale.bands if band.low <= total <= band.high), None)


def is_clinical(scale: Scale, total: int) -> bool | None:
    """At or above the scale's clinical cut-off; None when the catalogue gives none."""
    return None if scale.cutoff is None else total >= scale.cutoff


def reliable_change(scale: Scale, baseline: int, total: int) -> str | None:
    """How `total` compares with `baseline` by the scale's reliable change threshold."""
    if scale.reliable_change is None:
        return None
    change = total - baseline
    if change <= -scale.reliable_change:
        return IMPROVEMENT
    if change >= scale.reliable_change:
        return DETERIORATION
    return NO_RELIABLE_CHANGE


def is_response(scale: Scale, baseline: int, total: int) -> bool | None:
    """A fall of at least the scale's response percentage from the baseline; None without
    a threshold, or from a baseline of 0 (nothing to fall from)."""
    if scale.response is None or baseline <= 0:
        return None
    return (baseline - total) * 100 >= scale.response * baseline


def is_remission(scale: Scale, total: int) -> bool | None:
    """Below the scale's remission threshold; None when the catalogue gives none."""
    return None if scale.remission_below is None else total < scale.remission_below


def score_problem(score: Score, scale: Scale) -> ScoreProblem | None:
    """Why the score does not fit the scale, or None: its total outside the scale's range;
    items given that are not the scale's number of items, outside an item's range, or that
    do not add up to the total."""
    if not scale.low <= score.value <= scale.high:
        return ScoreProblem("total", score.total.loc)
    if not score.items:
        return None
    if len(score.items) != scale.items:
        return ScoreProblem("item_count", score.items[0].loc)
    if scale.item_range is not None:
        first, last = scale.item_range
        outside = tuple(w for w in score.items if not first <= int(w.text) <= last)
        if outside:
            return ScoreProblem("item_range", outside[0].loc, outside)
    if scale.items_add_up and sum(int(w.text) for w in score.items) != score.value:
        return ScoreProblem("item_sum", score.total.loc)
    return None


def risk_signal(score: Score, scale: Scale) -> Word | None:
    """The risk item's score as written when it signals risk (PHQ-9 item 9 of 1 or more);
    None when it does not, the scale has no risk item, or the items given are not the
    scale's number (which item is which is then not known)."""
    if scale.risk_item is None or len(score.items) != scale.items:
        return None
    word = score.items[scale.risk_item - 1]
    return word if int(word.text) >= scale.risk_from else None


def unassessed_risks(entry: LogEntry, catalogue: Catalogue) -> list[tuple[Scale, Word]]:
    """Each scale of a log entry whose risk item signals risk while the entry has no
    `risk` line, with the item as written: what IPT506 warns of, and what the next
    session's agenda opens with."""
    if entry.risks:
        return []
    found = []
    for score in entry.scores:
        scale = catalogue.measures.get(score.scale.text)
        item = risk_signal(score, scale) if scale else None
        if item is not None:
            found.append((scale, item))
    return found


# --- the course --------------------------------------------------------------------------

def _plan_sessions(plan: Plan) -> set[int]:
    return {session.number for _, session in plan.sessions()}


def held_entries(plan: Plan) -> dict[int, LogEntry]:
    """The first held entry of each session the plan has, by number (every session
    number when the plan has no phases to say which it has)."""
    numbers = _plan_sessions(plan)
    held: dict[int, LogEntry] = {}
    for entry in plan.log or ():
        if entry.held and (not numbers or entry.number in numbers):
            held.setdefault(entry.number, entry)
    return held


def last_held(plan: Plan) -> int | None:
    """The highest number of a session held; None before any is."""
    return max(held_entries(plan), default=None)


def readings(plan: Plan, catalogue: Catalogue) -> list[Reading]:
    """Every usable score, in date order (the order written among the same day's): under
    the first held entry of a session the plan has, of a scale the catalogue knows, and
    fitting it (no ScoreProblem)."""
    found = []
    for entry in held_entries(plan).values():
        for score in entry.scores:
            scale = catalogue.measures.get(score.scale.text)
            if scale is not None and score_problem(score, scale) is None:
                found.append(Reading(entry, score, scale))
    order = {id(entry): index for index, entry in enumerate(plan.log or ())}
    found.sort(key=lambda r: (r.entry.date is None, r.entry.date or dt.date.min,
                              order[id(r.entry)]))
    return found


def progress_of(plan: Plan, catalogue: Catalogue) -> dict[str, ScaleProgress]:
    """Each scale scored in the log, by name, in the order first scored."""
    by_scale: dict[str, list[Reading]] = {}
    for reading in readings(plan, catalogue):
        by_scale.setdefault(reading.scale.name, []).append(reading)
    return {name: _progress(found) for name, found in by_scale.items()}


def _progress(found: list[Reading]) -> ScaleProgress:
    scale = found[0].scale
    points = tuple(r.point for r in found)
    baseline, latest = points[0], points[-1]
    deterioration = next((p for p in points[1:] if reliable_change(
        scale, baseline.total, p.total) == DETERIORATION), None)
    return ScaleProgress(
        scale=scale.name, baseline=baseline, latest=latest,
        change=latest.total - baseline.total,
        band=band_of(scale, latest.total),
        response=is_response(scale, baseline.total, latest.total),
        remission=is_remission(scale, latest.total),
        reliable=reliable_change(scale, baseline.total, latest.total),
        points=points,
        baseline_band=band_of(scale, baseline.total),
        clinical_at_baseline=is_clinical(scale, baseline.total),
        deterioration=deterioration,
        definition=scale)


def main_scale(plan: Plan) -> str | None:
    """The plan's main scale: the first `measure` line's."""
    return plan.measures[0].name.text if plan.measures else None


def course_sessions(plan: Plan) -> list[int]:
    """The acute course's session numbers, in order: not a pre-treatment session before
    it nor continuation (booster) sessions after it."""
    return sorted({session.number for phase, session in plan.sessions()
                   if phase.kind not in OUTSIDE_COURSE})


def middle_session(plan: Plan) -> int | None:
    """The acute course's middle session: session 8 of 16, the higher of the two middle
    ones when the count is odd (8 of 15); None for a plan without a course."""
    numbers = course_sessions(plan)
    return numbers[(len(numbers) + 1) // 2 - 1] if numbers else None


def on_track(plan: Plan, catalogue: Catalogue) -> Track | None:
    """Whether the main scale's latest score shows reliable improvement since its baseline,
    judged once the sessions held reach the middle session of the course. None where it is
    not judged: before the middle is held, no main scale or no score of it after the
    baseline, a baseline below the scale's clinical cut-off, or a scale without a cut-off
    or a reliable change threshold."""
    name, middle, held = main_scale(plan), middle_session(plan), last_held(plan)
    if name is None or middle is None or held is None or held < middle:
        return None
    progress = progress_of(plan, catalogue).get(name)
    if progress is None or len(progress.points) < 2 or not progress.clinical_at_baseline:
        return None
    if progress.reliable is None:
        return None
    return Track(progress, middle, progress.reliable == IMPROVEMENT, held)


def missing_ratings(plan: Plan, catalogue: Catalogue) -> list[MissingRating]:
    """Each measure of the plan due at a held session (by its measure line: Measure.due)
    with no score of its scale in that entry. A measure of a scale the catalogue does not
    know is not asked for, and an entry with a score of an unknown scale is not judged:
    that score is most likely the one due, misnamed."""
    known = [m for m in plan.measures if m.name.text in catalogue.measures]
    missing = []
    for number, entry in sorted(held_entries(plan).items()):
        scored = {score.scale.text for score in entry.scores}
        if any(name not in catalogue.measures for name in scored):
            continue
        missing.extend(MissingRating(entry, m) for m in known
                       if m.due(number, plan.first_session) and m.name.text not in scored)
    return missing
