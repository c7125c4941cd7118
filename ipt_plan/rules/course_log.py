"""IPT5xx, the log: the course as it happens. Whether the entries can be true (in date
order, sessions the plan has, each held once, none after today), whether each score fits
its scale, and what the scores say, by the catalogue's numbers for each scale
(ipt_plan.measurement): a rating due and not taken, no reliable improvement by the middle
of the course, reliable deterioration, a risk item with no risk assessment, and a course
that cancellations have pushed past the protocol's weeks.

Each rule's examples are checked as on one day (EXAMPLES_DAY, `--today`), since a log's
dates are judged against it and the sessions it still owes are dated from it.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterator

from .. import codes
from ..diagnostics import suggest
from ..measurement import (DETERIORATION, course_sessions, held_entries, missing_ratings,
                           on_track, progress_of, score_problem, unassessed_risks)
from ..model import LogEntry, Score
from ..schedule import course_weeks
from ..wording import joined, plural
from .registry import ERROR, WARNING, Context, Finding, rule

EXAMPLES_DAY = dt.date(2026, 3, 2)

# A 16-session course from Monday 5 January 2026, rated with the PHQ-9 at sessions 1, 4,
# 8, 12 and 16; each example adds its log.
_COURSE = """
plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  schedule weekly from 2026-01-05 at 10:00 for 50 min
  measure PHQ-9 every 4 sessions

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"

phase initial sessions 1-3
  session 1
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation
    treatment_contract

phase middle sessions 4-13
  session 5
    communication_analysis

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention

log
"""


def _date(day: dt.date) -> str:
    return f"{day.strftime('%a')} {day.isoformat()}"


# --- IPT501: entries that cannot be true -------------------------------------------------

@rule(codes.LOG_ENTRY, "log-entry", ERROR,
      "a log entry out of date order, dated after today, for a session the plan does not "
      "have, or a session held twice",
      rationale="The log is the record of the course as it happened: one entry per "
                "appointment, in date order. Progress, the sessions still owed and their "
                "dates are all read from it, so an entry that cannot be true (a date after "
                "today, a session number the plan does not have, a session held twice, an "
                "entry written before an earlier one) makes every later judgement wrong. A "
                "session cancelled or missed and then held is logged twice, once as "
                "cancelled or missed and once as held.",
      source="ipt-plan; Weissman, Markowitz & Klerman 2000 (a fixed number of sessions)",
      bad=_COURSE + """  2026-01-05 session 1 held
    score PHQ-9 16
  2026-01-19 session 3 held
  2026-01-12 session 2 held          # written after the later entry above
  2026-01-26 session 4 held
    score PHQ-9 13
  2026-02-02 session 4 held          # session 4 again: this was session 5
  2026-02-09 session 17 cancelled "client unwell"   # the course ends at 16
""",
      good=_COURSE + """  2026-01-05 session 1 held
    score PHQ-9 16
  2026-01-12 session 2 held
  2026-01-19 session 3 held
  2026-01-26 session 4 held
    score PHQ-9 13
  2026-02-02 session 5 held
  2026-02-09 session 6 cancelled "client unwell"
""", today=EXAMPLES_DAY)
def log_entry(ctx: Context) -> Iterator[Finding]:
    plan = ctx.plan
    numbers = sorted({s.number for _, s in plan.sessions()})
    runs = f"{numbers[0]}-{numbers[-1]}" if numbers else ""
    held: dict[int, LogEntry] = {}
    before: LogEntry | None = None  # the last entry with a date not after today
    for entry in plan.log or ():
        number = entry.number
        if numbers and number not in numbers:
            yield Finding(f"this plan has no session {number}; its sessions run {runs}",
                          entry.session.loc, "log the session by its number in the plan; "
                          "sessions added to the course belong in its phases first")
        elif entry.held and number in held:
            yield Finding(f"session {number} is already logged as held (line "
                          f"{held[number].loc.line})", entry.session.loc,
                          "a session is held once: correct the number, or log the earlier "
                          "appointment as cancelled or missed")
        elif entry.date is not None and entry.date > ctx.today:
            yield Finding(f"this entry is dated {entry.date.isoformat()}, after today "
                          f"({ctx.today.isoformat()})", entry.date_word.loc,
                          "log an appointment once it has happened; check the year and the "
                          "month (to check the plan as on another day: --today YYYY-MM-DD)")
            if entry.held:
                held.setdefault(number, entry)
            continue
        elif (entry.date is not None and before is not None and before.date is not None
              and entry.date < before.date):
            yield Finding(f"this entry ({entry.date.isoformat()}) comes after one dated "
                          f"{before.date.isoformat()} (line {before.loc.line}); the log "
                          "goes in date order", entry.date_word.loc,
                          "move the entry up to its place, or correct its date")
        if entry.held:
            held.setdefault(number, entry)
        if entry.date is not None:
            before = entry


# --- IPT502: a score that does not fit its scale -----------------------------------------

@rule(codes.SCORE_FIT, "score-fit", ERROR,
      "a score outside its scale's range, items that do not fit the scale or add up to the "
      "total, or an unknown scale",
      rationale="A score is only as good as its numbers: a total the scale cannot give, or "
                "items that do not add up to it, is a slip in copying the form, and every "
                "judgement built on it (severity, response, reliable change, risk) would be "
                "wrong. A score that does not fit is left out of the progress until it is "
                "corrected. Where a scale's items are scored on different ranges (HAM-D, "
                "CDRS-R) or its total is not the sum of every item (CAPS-5), the catalogue "
                "says so and only what holds is checked.",
      source="the catalogue's scales: Kroenke, Spitzer & Williams 2001 (PHQ-9: 9 items "
             "0-3, total 0-27); Spitzer et al. 2006 (GAD-7: 7 items 0-3, total 0-21); "
             "Cox, Holden & Sagovsky 1987 (EPDS)",
      bad=_COURSE + """  2026-01-05 session 1 held
    score PHQ-9 29                   # a PHQ-9 total is 0-27
  2026-01-12 session 2 held
  2026-01-19 session 3 held
  2026-01-26 session 4 held
    score PHQ-9 14 items 2 2 2 2 2 2 1 0 0   # the items add up to 13
""",
      good=_COURSE + """  2026-01-05 session 1 held
    score PHQ-9 19
  2026-01-12 session 2 held
  2026-01-19 session 3 held
  2026-01-26 session 4 held
    score PHQ-9 14 items 2 2 2 2 2 2 1 1 0
""", today=EXAMPLES_DAY)
def score_fit(ctx: Context) -> Iterator[Finding]:
    scales = ctx.catalogue.measures
    for entry in ctx.plan.log or ():
        for score in entry.scores:
            name = score.scale.text
            scale = scales.get(name)
            if scale is None:
                hint, fixes = suggest(score.scale, scales,
                                      then="the scales are: " + ", ".join(scales))
                yield Finding(f"'{name}' is not a rating scale ipt-plan knows",
                              score.scale.loc, hint, fixes=fixes)
                continue
            problem = score_problem(score, scale)
            if problem is None:
                continue
            if problem.kind == "total":
                yield Finding(f"a {name} total is {scale.low}-{scale.high}, not "
                              f"{score.value}", problem.loc,
                              "check the total against the form")
            elif problem.kind == "item_count":
                yield Finding(f"the {name} has {plural(scale.items, 'item')}; this score "
                              f"gives {len(score.items)}", problem.loc,
                              f"write every item's score in the form's order, or leave the "
                              f"items out: score {name} {score.value}")
            elif problem.kind == "item_range":
                first, last = scale.item_range
                which = [f"item {score.items.index(word) + 1} is {word.text}"
                         for word in problem.items]
                yield Finding(f"a {name} item is scored {first}-{last}, but {joined(which)}",
                              problem.loc, "check the items against the form")
            else:
                added = sum(int(word.text) for word in score.items)
                yield Finding(f"the {name} items add up to {added}, not the total "
                              f"{score.value}", problem.loc,
                              "check the total and each item against the form")


# --- IPT503: a rating due and not taken --------------------------------------------------

@rule(codes.MISSING_SCORE, "missing-score", WARNING,
      "a rating scale due at a held session with no score",
      rationale="Rating scales make the depression concrete and show whether treatment is "
                "working; a rating that was due and not taken leaves a gap exactly where a "
                "change would show. The plan's own `measure` lines say when each scale is "
                "due (the course's first session is the baseline). Where a rating could not "
                "be taken, say why in a note and silence this warning on that entry.",
      source="NICE NG222 (2022): routine outcome monitoring with validated sessional "
             "measures, such as the PHQ-9; Weissman, Markowitz & Klerman 2000 (symptom "
             "rating in IPT)",
      bad=_COURSE + """  2026-01-05 session 1 held
    score PHQ-9 17
  2026-01-12 session 2 held
  2026-01-19 session 3 held
  2026-01-26 session 4 held          # the PHQ-9 is due every 4 sessions
""",
      good=_COURSE + """  2026-01-05 session 1 held
    score PHQ-9 17
  2026-01-12 session 2 held
  2026-01-19 session 3 held
  2026-01-26 session 4 held
    score PHQ-9 15
""", today=EXAMPLES_DAY)
def missing_score(ctx: Context) -> Iterator[Finding]:
    for missing in missing_ratings(ctx.plan, ctx.catalogue):
        entry, measure = missing.entry, missing.measure
        if entry.date is not None and entry.date > ctx.today:
            continue  # IPT501: not yet happened
        name = measure.name.text
        yield Finding(f"the {name} was due at session {entry.number} (measure {name} "
                      f"{measure.label}, line {measure.loc.line}), but this entry has no "
                      "score of it", entry.loc,
                      f"add it under the entry, like: score {name} 12; if it could not be "
                      f"taken, say why in a note and add # ipt-plan: ignore[IPT503] to "
                      "the entry's line")


# --- IPT504: not on track by the middle of the course ------------------------------------

@rule(codes.NOT_ON_TRACK, "not-on-track", WARNING,
      "not on track: no reliable improvement on the main scale by the middle of the course",
      rationale="Most people who will respond to a course of psychotherapy show it by its "
                "middle; a course that has passed its middle session with no reliable fall "
                "on its main scale (the first `measure` line's) should be reviewed now, while "
                "there is time to change it: the formulation and focus, how often sessions "
                "are held, and whether to add or change treatment. Reliable change is the "
                "catalogue's threshold for the scale (Jacobson & Truax's reliable change "
                "index as NHS Talking Therapies applies it: a fall of 6 on the PHQ-9, 4 on "
                "the GAD-7). Judged only from a baseline at or above the scale's clinical "
                "cut-off (PHQ-9 10), once the sessions held reach the middle session (8 of "
                "16; the higher of the two middles when the count is odd), by the main "
                "scale's latest score.",
      source="NHS Talking Therapies manual (reliable improvement); Jacobson & Truax 1991; "
             "NICE NG222 (2022): routine outcome monitoring, and review when treatment is "
             "not working",
      bad=_COURSE + """  2026-01-05 session 1 held
    score PHQ-9 18
  2026-01-12 session 2 held
  2026-01-19 session 3 held
  2026-01-26 session 4 held
    score PHQ-9 17
  2026-02-02 session 5 held
  2026-02-09 session 6 held
  2026-02-16 session 7 held
  2026-02-23 session 8 held
    score PHQ-9 15                   # down 3 by the middle: 6 is reliable
""",
      good=_COURSE + """  2026-01-05 session 1 held
    score PHQ-9 18
  2026-01-12 session 2 held
  2026-01-19 session 3 held
  2026-01-26 session 4 held
    score PHQ-9 17
  2026-02-02 session 5 held
  2026-02-09 session 6 held
  2026-02-16 session 7 held
  2026-02-23 session 8 held
    score PHQ-9 11
""", today=EXAMPLES_DAY)
def not_on_track(ctx: Context) -> Iterator[Finding]:
    track = on_track(ctx.plan, ctx.catalogue)
    if track is None or track.on_track or track.progress.reliable == DETERIORATION:
        return  # a reliable rise is IPT505's to report
    progress = track.progress
    baseline, latest, scale = progress.baseline, progress.latest, progress.definition
    course = len(course_sessions(ctx.plan))
    moved = (f"down {-progress.change}" if progress.change < 0
             else f"up {progress.change}" if progress.change > 0 else "unchanged")
    # At the latest score when it is the last session's; else at the last session held.
    score = _score_at(ctx, latest.session, scale.name) if latest.session == track.held else None
    reliable = f"no reliable improvement (a fall of {scale.reliable_change} or more)"
    middle = f"the middle of the course (session {track.middle} of {course})"
    if score:
        message = (f"by session {latest.session} the {scale.name} has gone from "
                   f"{baseline.total} to {latest.total} ({moved}): {reliable} by {middle}")
    else:
        message = (f"by session {track.held}, past {middle}, the {scale.name}'s latest score "
                   f"({latest.total}, at session {latest.session}) is {moved} from "
                   f"{baseline.total}: {reliable}")
    where = score.total.loc if score else held_entries(ctx.plan)[track.held].loc
    yield Finding(message, where,
                  "review the course with the patient now: the formulation and focus, how "
                  "often you meet, and whether to add or change treatment (NICE NG222)")


def _score_at(ctx: Context, session: int, scale: str) -> Score | None:
    entry = held_entries(ctx.plan).get(session)
    return next((s for s in entry.scores if s.scale.text == scale), None) if entry else None


# --- IPT505: reliable deterioration ------------------------------------------------------

@rule(codes.RELIABLE_DETERIORATION, "reliable-deterioration", WARNING,
      "reliable deterioration since the baseline",
      rationale="A rise of at least the scale's reliable change (6 on the PHQ-9, 4 on the "
                "GAD-7: more than measurement error) means the patient is worse than when "
                "the course began. It calls for a review at the next session, not at the "
                "end: risk (thoughts of death or self-harm), what has happened in their "
                "relationships, and whether the plan needs to change. Reported at the first "
                "score that shows it, on every scale the catalogue gives a threshold for.",
      source="NHS Talking Therapies manual (reliable deterioration); Jacobson & Truax "
             "1991; NICE NG222 (2022): monitor, and review treatment that is not working",
      bad=_COURSE + """  2026-01-05 session 1 held
    score PHQ-9 12
  2026-01-12 session 2 held
  2026-01-19 session 3 held
  2026-01-26 session 4 held
    score PHQ-9 18                   # up 6 since the baseline
""",
      good=_COURSE + """  2026-01-05 session 1 held
    score PHQ-9 12
  2026-01-12 session 2 held
  2026-01-19 session 3 held
  2026-01-26 session 4 held
    score PHQ-9 15
""", today=EXAMPLES_DAY)
def reliable_deterioration(ctx: Context) -> Iterator[Finding]:
    for progress in progress_of(ctx.plan, ctx.catalogue).values():
        worse = progress.deterioration
        if worse is None:
            continue
        name, baseline = progress.scale, progress.baseline
        score = _score_at(ctx, worse.session, name)
        yield Finding(f"the {name} has risen from {baseline.total} at session "
                      f"{baseline.session} to {worse.total} at session {worse.session} (up "
                      f"{worse.total - baseline.total}): a reliable deterioration (a rise of "
                      f"{progress.definition.reliable_change} or more)",
                      score.total.loc if score else None,
                      "review it with the patient at the next session: risk, what has "
                      "happened since, and whether the plan should change")


# --- IPT506: a risk item with no risk assessment -----------------------------------------

@rule(codes.RISK_NOT_ASSESSED, "risk-not-assessed", WARNING,
      "a positive risk item (PHQ-9 item 9 of 1 or more) with no risk line in the entry",
      rationale="The PHQ-9's item 9 asks about thoughts of being better off dead or of "
                "self-harm; any score of 1 or more calls for a risk assessment that day, "
                "whatever the total (as does the EPDS's item 10, or the BDI-II's item 9). "
                "The entry's `risk` line records that it was assessed and what was found. "
                "Only items written with the score are read: without them, the log cannot "
                "show the item.",
      source="Kroenke, Spitzer & Williams 2001 (item 9); NICE NG222 (2022): monitor "
             "suicidal ideation, particularly in the early weeks of treatment; Cox, Holden "
             "& Sagovsky 1987 (EPDS item 10)",
      bad=_COURSE + """  2026-01-05 session 1 held
    score PHQ-9 16
    risk "No thoughts of death or self-harm"
  2026-01-12 session 2 held
  2026-01-19 session 3 held
  2026-01-26 session 4 held
    score PHQ-9 14 items 2 2 2 2 2 1 1 1 1   # item 9 is 1
""",
      good=_COURSE + """  2026-01-05 session 1 held
    score PHQ-9 16
    risk "No thoughts of death or self-harm"
  2026-01-12 session 2 held
  2026-01-19 session 3 held
  2026-01-26 session 4 held
    score PHQ-9 14 items 2 2 2 2 2 1 1 1 1
    risk "Passive thoughts of death, no plan or intent; safety plan reviewed"
""", today=EXAMPLES_DAY)
def risk_not_assessed(ctx: Context) -> Iterator[Finding]:
    for entry in ctx.plan.log or ():
        for scale, item in unassessed_risks(entry, ctx.catalogue)[:1]:
            # one risk line answers every scale of the entry: said once
            yield Finding(f"item {scale.risk_item} of the {scale.name} (its risk item) is "
                          f"{item.text}, but session {entry.number} has no risk line",
                          item.loc, "assess risk and record it under the entry, like: risk "
                          "\"Passive thoughts of death, no plan or intent; safety plan made\"")


# --- IPT507: the course pushed past the protocol's weeks ---------------------------------

@rule(codes.COURSE_OVERRUN, "course-overrun", WARNING,
      "cancelled and missed sessions now push the course past the protocol's weeks",
      rationale="IPT is time-limited: the end date is part of the treatment contract and of "
                "the work. Each cancelled or missed session moves the sessions still owed "
                "later (they take the schedule's next dates after the last entry, never "
                "before today), and a course that drifts far past its planned length loses "
                "the time limit that drives it. When the projection passes the protocol's "
                "weeks, agree with the patient how to finish: meet more often for a while, "
                "or agree a new end date. A plan whose schedule is already too long is "
                "IPT106's to report.",
      source="Weissman, Markowitz & Klerman 2000 (the time limit); protocol profile "
             "(max_weeks: ipt 20, ipt-plan's allowance)",
      bad=_COURSE + """  2026-01-05 session 1 held
    score PHQ-9 16
  2026-01-12 session 2 held
  2026-01-19 session 3 cancelled "client unwell"
  2026-01-26 session 3 missed
  2026-02-02 session 3 cancelled "therapist unwell"
  2026-02-09 session 3 held
  2026-02-16 session 4 cancelled "client in hospital"
  2026-02-23 session 4 missed
""",
      good=_COURSE + """  2026-01-05 session 1 held
    score PHQ-9 16
  2026-01-12 session 2 held
  2026-01-19 session 3 cancelled "client unwell"
  2026-01-26 session 3 held
  2026-02-02 session 4 held
    score PHQ-9 14
  2026-02-09 session 5 missed
  2026-02-16 session 5 held
  2026-02-23 session 6 held
""", today=EXAMPLES_DAY)
def course_overrun(ctx: Context) -> Iterator[Finding]:
    plan, profile = ctx.plan, ctx.profile
    if not plan.log or not profile.max_weeks or ctx.course_cut or plan.schedule is None:
        return
    boosters = {s.number for ph in ctx.phases_of("continuation") for s in ph.course()}
    now = {n: d for n, d in ctx.dates.items() if n not in boosters}
    planned = {n: d for n, d in ctx.calendar.forecast.items() if n not in boosters}
    if not now:
        return
    # From the first session's day: a held date written in the wrong year is IPT501's.
    last = max(now, key=lambda n: now[n])
    weeks = course_weeks({n: now[n] for n in (min(now), last)})
    if weeks <= profile.max_weeks or course_weeks(planned) > profile.max_weeks:
        return  # on time, or already too long as planned (IPT106)
    lost = sum(1 for entry in plan.log if not entry.held)
    owed = sorted(n for n in now if n not in held_entries(plan))
    why = (f"with {plural(lost, 'session')} cancelled or missed, " if lost
           else "with the sessions still owed dated from today, ")
    meet_more = (f"meet twice weekly for a while (schedule twice weekly from session "
                 f"{owed[0]}), " if owed and "twice_weekly" in profile.cadences else "")
    yield Finding(f"{why}the course now ends with session {last} on "
                  f"{_date(now[last].date())}, {weeks} weeks from its first session; "
                  f"{ctx.protocol} fits in {profile.max_weeks}", plan.log[-1].loc,
                  f"agree with the patient how to finish: {meet_more}fewer sessions within "
                  "the protocol's range, or a new end date; and check that the log is up to "
                  "date")
