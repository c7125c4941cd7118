"""IPT1xx, the course's structure: its phases, their order and lengths, the session
numbers, and the schedule, against the protocol profile's numbers; and the rating scales
that measure it."""

from __future__ import annotations

import bisect
from typing import Callable, Iterator

from .. import codes
from ..knowledge import Profile
from ..model import PHASE_ORDER, Plan, Word
from ..schedule import course_weeks
from ..wording import joined, plural, span
from .registry import A_CLEAN_COURSE, ERROR, WARNING, Check, Context, Finding, rule


def _phase_examples(missing: list[str], profile: Profile, plan: Plan) -> list[str]:
    """Phase lines for a hint, fitted in order between the phases the plan already has."""
    written = {ph.kind: ph for ph in plan.phases if ph.kind in PHASE_ORDER}
    course_end = profile.sessions[1] - profile.termination_sessions[1]
    end, lines = 0, []
    for kind in profile.phase_order:
        if kind in written:
            end = max(end, written[kind].last)
        elif kind == "pretreatment" and kind in missing:
            lines.append("phase pretreatment session 0")
        elif kind in missing:
            if kind == "initial":
                length = profile.initial_sessions[1]
            elif kind == "middle":
                following = written.get("termination") or written.get("maintenance")
                length = (following.first if following else course_end + 1) - end - 1
            elif kind == "termination":
                middle_suggested = any(line.startswith("phase middle") for line in lines)
                length = profile.termination_sessions[1 if middle_suggested else 0]
            else:  # continuation or maintenance
                length = profile.sessions[0] - end
            length = max(length, 1)
            lines.append(f"phase {kind} sessions {end + 1}-{end + length}")
            end += length
    return lines


@rule(codes.PHASE_ORDER, "phase-order", ERROR, "phases missing, not allowed, or out of order",
      rationale="IPT runs in three phases, in order: initial, middle and termination "
                "(with a pre-treatment session before, and continuation (booster) sessions or a "
                "maintenance phase after, where a protocol has them). Each phase has its own "
                "tasks, so a missing or misplaced phase means missing tasks. Continuation "
                "sessions follow the end of the acute course, after its termination phase.",
      source="Weissman, Markowitz & Klerman 2000; Frank et al. 1990, 2007 (continuation); "
             "protocol profiles",
      bad="""
plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"

phase middle sessions 4-13
  session 5
    communication_analysis

phase initial sessions 1-3          # written after the middle phase
  session 1
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation
    treatment_contract

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
      good=A_CLEAN_COURSE)
def phase_order(ctx: Context) -> Iterator[Finding]:
    profile, plan = ctx.profile, ctx.plan
    allowed = profile.phases + profile.optional_phases
    present = [ph.kind for ph in plan.phases]
    missing = [kind for kind in profile.phases if kind not in present]
    if missing:
        where = plan.phases[-1].loc if plan.phases else plan.loc
        yield Finding(f"this plan has no {joined(missing, 'or')} phase; {ctx.protocol} needs "
                      f"{joined(list(profile.phases))}", where,
                      "add " + ("it" if len(missing) == 1 else "them") + ", like: "
                      + "; ".join(_phase_examples(missing, profile, plan)))
    known = [ph for ph in plan.phases if ph.kind in PHASE_ORDER]
    for phase in known:
        if phase.kind == "continuation" and phase.kind not in allowed:
            yield Finding(f"{ctx.protocol} has no continuation phase", phase.name.loc,
                          _continuation_hint())
        elif phase.kind not in allowed:
            yield Finding(f"{ctx.protocol} has no {phase.kind} phase", phase.name.loc,
                          f"its phases are {joined(list(allowed))}; is `protocol` right?")
    order = profile.phase_order
    # Continuation sessions follow the acute course: a phase the order puts before them,
    # written after them, is reported at the continuation phase. One pass from the end
    # finds, for each phase, the earliest-ordered kind written after it.
    rank = {kind: index for index, kind in enumerate(order)}
    earliest_after: list[str | None] = []
    earliest: str | None = None
    for phase in reversed(known):
        earliest_after.append(earliest)
        if phase.kind in rank and (earliest is None or rank[phase.kind] < rank[earliest]):
            earliest = phase.kind
    earliest_after.reverse()
    latest = None
    for phase, after in zip(known, earliest_after):
        if phase.kind not in order:
            continue
        if phase.kind == "continuation":
            if after is not None and rank[after] < rank[phase.kind]:
                yield Finding(f"the continuation phase comes before the {after} phase",
                              phase.name.loc, "continuation (booster) sessions follow the end "
                              "of the acute course: move the phase after the termination phase")
            continue
        if latest and latest.kind == "termination":
            continue  # what follows the ending is IPT105's to report
        if latest and rank[phase.kind] < rank[latest.kind]:
            yield Finding(f"the {phase.kind} phase comes after the {latest.kind} phase",
                          phase.name.loc, "phases go in this order: " + ", ".join(
                              k for k in order if k in allowed))
        else:
            latest = phase


def _continuation_hint() -> str:
    """Which built-in protocols have booster sessions after the course, or that none has."""
    from ..knowledge import available_profiles

    having = sorted(name for name, profile in available_profiles().items()
              if isinstance(profile, Profile)
              and "continuation" in profile.phases + profile.optional_phases)
    where = (f"the built-in protocols with one are {joined(having)}" if having
             else "no built-in protocol has one")
    return (f"booster sessions after the course are written as a continuation phase where a "
            f"protocol has one ({where}); otherwise end the plan with its termination phase, or "
            "choose the protocol that matches it")


@rule(codes.SESSION_NUMBERING, "session-numbering", ERROR,
      "session numbers with gaps, overlaps or outside their phase, or a line naming a "
      "session the course does not have",
      rationale="The phases' session ranges together make the course: they start at "
                "session 1 (0 for a pre-treatment session) and follow on without gaps or "
                "overlaps, and each written session lies in its phase's range; continuation "
                "(booster) sessions carry the numbering on after the termination phase. A line "
                "that names a session (`measure HAM-D at sessions 1, 8, 16`, "
                "`stage renegotiation from session 7`, `schedule monthly from session 14`) "
                "must name one of the course's sessions, or it never takes effect. The agendas "
                "and the 'sessions remain' count depend on it.",
      source="ipt-plan; Weissman, Markowitz & Klerman 2000 (a fixed number of sessions)",
      bad="""
plan "Ms. A: caregiving conflict with her sister"
  measure HAM-D at sessions 1, 8, 17   # the course ends at session 16

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

phase middle sessions 5-13          # session 4 is in no phase
  session 5
    communication_analysis

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
      good="""
plan "Ms. A: caregiving conflict with her sister"
  measure HAM-D at sessions 1, 8, 16

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage impasse
  stage renegotiation from session 7
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
""",
      uses_profile=False)
def session_numbering(ctx: Context) -> Iterator[Finding]:
    plan = ctx.plan
    yield from _phase_ranges(plan)
    yield from _sessions_named(plan)


def _phase_ranges(plan: Plan) -> Iterator[Finding]:
    expected = None
    # In order of their sessions, the acute course first and its continuation (booster)
    # sessions after it: phases written in the wrong order are IPT101's to report.
    def by_sessions(ph):
        return (ph.first, ph.last)

    acute = sorted((ph for ph in plan.phases if ph.kind != "continuation"), key=by_sessions)
    boosters = sorted((ph for ph in plan.phases if ph.kind == "continuation"), key=by_sessions)
    for phase in acute + boosters:
        if phase.kind == "pretreatment":
            if phase.first != 0 or phase.last != 0:
                yield Finding("the pre-treatment session is session 0", phase.loc,
                              "write: phase pretreatment session 0")
            expected = 1
            continue
        if phase.first == 0:
            yield Finding("only a pre-treatment session can be session 0", phase.loc,
                          "number the course from 1, and write the session before it as: "
                          "phase pretreatment session 0")
        if expected is None:
            expected = 1
        if phase.first > expected:
            gap = (f"session {expected} belongs" if phase.first - expected == 1
                   else f"sessions {expected}-{phase.first - 1} belong")
            yield Finding(f"{gap} to no phase",
                          phase.loc, f"start the {phase.kind} phase at session {expected}")
        elif phase.first < expected and phase.first > 0:
            if phase.kind == "continuation":
                yield Finding(f"the continuation phase starts at session {phase.first}, but "
                              "booster sessions carry the course's numbering on after its "
                              f"last session, {expected - 1}", phase.loc,
                              f"start it at session {expected}")
            else:
                yield Finding(f"the {phase.kind} phase starts at session {phase.first}, which "
                              "is already in the phase before it", phase.loc,
                              f"start it at session {expected}")
        expected = max(expected, phase.last + 1)
        for session in phase.sessions:
            if session.number not in phase.numbers and session.loc:
                yield Finding(f"session {session.number} is outside the {phase.kind} phase's "
                              f"sessions {phase.first}-{phase.last}", session.loc,
                              "move it under the phase it belongs to, or widen the phase's range")


def _sessions_named(plan: Plan) -> Iterator[Finding]:
    """Each session a measure, stage or schedule line names is a session of the course."""
    numbers = {session.number for _, session in plan.sessions()}
    if not numbers:
        return  # a plan without phases: IPT101 says what to add
    first, runs = plan.first_session, f"{min(numbers)}-{max(numbers)}"

    def missing(word: Word) -> str | None:
        """Why the session `word` names is not on the course, or None when it is."""
        number = int(word.text)
        if number in numbers:
            return None
        if number == 0:
            return "this plan has no session 0 (a pre-treatment session)"
        return f"this plan has no session {number}; its sessions run {runs}"

    for measure in plan.measures:
        for word in measure.at:
            why = missing(word)
            if why:
                yield Finding(f"{measure.name.text} is rated at session {int(word.text)}, but "
                              f"{why}", word.loc,
                              f"the course's first session is session {first}: rate the "
                              "baseline there" if int(word.text) < first else
                              f"rate it at one of the course's sessions ({runs})")
    for focus in plan.foci:
        for stage in focus.stages:
            why = stage.from_session and missing(stage.from_session)
            if why:
                yield Finding(f"the stage of '{focus.id.text}' changes from session "
                              f"{stage.first}, but {why}", stage.from_session.loc,
                              "write the session of the course from which the stage holds")
    for change in plan.schedule_changes:
        if change.from_session is None:
            continue
        number = int(change.from_session.text)
        why = missing(change.from_session)
        if why:
            yield Finding(f"the rhythm changes from session {number}, but {why}",
                          change.from_session.loc,
                          "write the session of the course from which the new rhythm holds")
        elif number == first and plan.schedule is not None:
            start = plan.schedule.start.isoformat() if plan.schedule.start else "YYYY-MM-DD"
            time = change.time.strftime("%H:%M") if change.time else "HH:MM"
            yield Finding(f"session {number} is the course's first session, so this is the "
                          "rhythm of the whole course, not a change", change.from_session.loc,
                          f"write it in the first schedule line, and remove this one: "
                          f"schedule {change.label} from {start} at {time} for "
                          f"{change.minutes} min")


@rule(codes.SESSION_COUNT, "session-count", ERROR, "total sessions outside the protocol's range",
      rationale="IPT is time-limited: the number of sessions is part of the treatment "
                "contract, and each protocol was tested with a set number. Continuation "
                "(booster) sessions after the acute course are not counted in it, nor is a "
                "pre-treatment session before it.",
      source="protocol profile (ipt: 12-16, Weissman, Markowitz & Klerman 2000)",
      bad="""
plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  measure PHQ-9 every session

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

phase middle sessions 4-15
  session 5
    communication_analysis

phase termination sessions 16-18    # 18 sessions in all
  session 16
    termination_discussion
  session 18
    relapse_prevention
""",
      good=A_CLEAN_COURSE)
def session_count(ctx: Context) -> Iterator[Finding]:
    if not ctx.plan.phases or ctx.course_cut:
        return
    count = len(ctx.course_numbers)
    low, high = ctx.profile.sessions
    if not low <= count <= high:
        before = (" before its continuation sessions" if ctx.phases_of("continuation")
                  else "")
        yield Finding(f"this plan has {plural(count, 'session')}{before}; {ctx.protocol} has "
                      f"{span(low, high)}", ctx.acute_phases[-1].loc,
                      f"fit the course into {span(low, high)} sessions, or choose the "
                      "protocol that matches it (`ipt-plan protocols`)")


def _phase_length_rule(kind: str, bounds: Callable[[Profile], tuple[int, int]]) -> Check:
    def check(ctx: Context) -> Iterator[Finding]:
        low, high = bounds(ctx.profile)
        for phase in ctx.phases_of(kind):
            length = len(phase.numbers)
            if not phase.cut and not low <= length <= high:
                yield Finding(f"the {kind} phase has {plural(length, 'session')}; {ctx.protocol} "
                              f"gives it {span(low, high)}", phase.loc,
                              f"make it {span(low, high)} sessions long")
    return check


rule(codes.INITIAL_LENGTH, "initial-length", ERROR,
     "initial phase length outside the protocol's range",
     rationale="The initial phase (diagnosis, inventory, formulation, contract) is kept "
               "short so that most of the course works on the problem area: US manuals say "
               "no more than three sessions, UK practice up to four.",
     source="protocol profile (ipt: 1-3, Weissman, Markowitz & Klerman 2000; ipt-uk: 1-4, IPT UK)",
     bad="""
plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"

phase initial sessions 1-5          # five sessions
  session 1
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation
    treatment_contract

phase middle sessions 6-13
  session 7
    communication_analysis

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
     good=A_CLEAN_COURSE)(
    _phase_length_rule("initial", lambda p: p.initial_sessions))


@rule(codes.TERMINATION_PHASE, "termination-phase", ERROR,
      "termination phase length outside the protocol's range, or not last",
      rationale="Termination takes the last 2-4 sessions: time to grieve the ending, "
                "consolidate gains and plan for relapse. Only continuation (booster) or "
                "maintenance sessions may follow it (and in maintenance IPT, the ending comes "
                "after maintenance).",
      source="protocol profile (ipt: 2-4, Weissman, Markowitz & Klerman 2000)",
      bad="""
plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  measure PHQ-9 every session

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

phase middle sessions 4-10
  session 5
    communication_analysis

phase termination sessions 11-16    # six sessions
  session 11
    termination_discussion
  session 16
    relapse_prevention
""",
      good=A_CLEAN_COURSE)
def termination_phase(ctx: Context) -> Iterator[Finding]:
    yield from _phase_length_rule("termination", lambda p: p.termination_sessions)(ctx)
    order = ctx.profile.phase_order
    may_follow = order[order.index("termination") + 1:] if "termination" in order else ()
    # A phase the protocol does not have at all is IPT101's to report.
    allowed = ctx.profile.phases + ctx.profile.optional_phases
    known = [ph for ph in ctx.plan.phases if ph.kind in PHASE_ORDER and ph.kind in allowed]
    # For each phase, the nearest later phase that may not follow a termination phase:
    # one pass from the end, so a plan of thousands of phases stays linear.
    nearest_misplaced: list[str | None] = []
    following: str | None = None
    for phase in reversed(known):
        nearest_misplaced.append(following)
        if phase.kind not in may_follow and phase.kind != "termination":
            following = phase.kind
    for phase, later in zip(known, reversed(nearest_misplaced)):
        if phase.kind == "termination" and later:
            yield Finding(f"the termination phase is followed by the {later} phase",
                          phase.name.loc, "make the termination phase the last phase of the course")


@rule(codes.SCHEDULE, "schedule", WARNING,
      "schedule: cadence or length the protocol does not use, course too long, a skip that misses",
      rationale="Each protocol was tested at a set cadence and session length, and a course "
                "that stretches over many more weeks than planned loses IPT's time limit. Every "
                "schedule line is checked, a change of rhythm (`schedule weekly from session 7`) "
                "as much as the first, and so is every session's own length (`for 90 min`); a "
                "group protocol's length holds for its individual sessions too. Continuation "
                "(booster) sessions after the course meet less often than the course, so a "
                "rhythm that starts in a continuation phase is not held to its cadences. A `skip` date "
                "on which no session falls, on the rhythm in force at that date, is usually a "
                "typo. Booster sessions after the course do not count towards its weeks.",
      source="protocol profile (ipt: weekly, 45-50 min; Weissman, Markowitz & Klerman 2000)",
      bad="""
plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  schedule weekly from 2026-12-07 at 10:00 for 50 min
  schedule monthly from session 14  # monthly, not weekly
  skip 2026-12-29                   # no session falls on this Tuesday
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"

phase initial sessions 1-3
  session 1 for 90 min              # longer than the protocol's sessions
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
""",
      good="""
plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  schedule weekly from 2026-12-07 at 10:00 for 50 min
  skip 2026-12-28
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"

phase initial sessions 1-3
  session 1 for 45 min
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
""")
def schedule_fit(ctx: Context) -> Iterator[Finding]:
    plan, profile = ctx.plan, ctx.profile
    cadences = joined([c.replace("_", " ") for c in profile.cadences], "or")
    minutes = profile.minutes

    def wrong_length(length: int) -> bool:
        return bool(minutes) and not minutes[0] <= length <= minutes[1]

    length_hint = f"write: for {minutes[1]} min" if minutes else None
    # Booster sessions after the course meet less often than the course itself: the
    # profile's cadences are the course's, so a rhythm from a continuation session is free.
    boosters = {s.number for ph in ctx.phases_of("continuation") for s in ph.course()}
    written_minutes = None  # a change of rhythm keeps the length before it unless it says one
    for schedule in plan.schedules:
        since = (f" (from session {schedule.from_session.text})" if schedule.from_session
                 else "")
        after_course = (schedule.from_session is not None
                        and int(schedule.from_session.text) in boosters)
        if schedule.cadence not in profile.cadences and not after_course:
            yield Finding(f"{ctx.protocol} meets {cadences}, not {schedule.label}{since}",
                          schedule.loc, "change the cadence, or choose the protocol that "
                          "matches it")
        if schedule.minutes and schedule.minutes != written_minutes and wrong_length(
                schedule.minutes):
            yield Finding(f"{ctx.protocol} has sessions of {span(*minutes)} minutes, "
                          f"not {schedule.minutes}{since}", schedule.loc, length_hint)
        written_minutes = schedule.minutes
    for phase in plan.phases:
        for session in phase.sessions:
            if session.length is not None and wrong_length(session.minutes):
                yield Finding(f"{ctx.protocol} has sessions of {span(*minutes)} minutes, not "
                              f"{session.minutes} (session {session.number})",
                              session.length.loc, length_hint)
    schedule = plan.schedule
    if schedule is None:
        return
    dates = ctx.dates
    # The acute course's weeks as the schedule plans them (booster sessions after it are not
    # part of its time limit); where a log's cancellations push it later, IPT507 says so.
    weeks = course_weeks({n: d for n, d in ctx.calendar.forecast.items() if n not in boosters})
    if profile.max_weeks and weeks > profile.max_weeks and not ctx.course_cut:
        yield Finding(f"the course spans {weeks} weeks; {ctx.protocol} fits in "
                      f"{profile.max_weeks}", schedule.loc,
                      "meet more often, skip fewer dates, or shorten the course")
    # Every date the rhythm in force offered up to the last session, in date order (a
    # change of rhythm included), searched by bisection.
    offered = ctx.calendar.offered
    if not dates:
        return
    for skip in plan.skips:
        at = bisect.bisect_left(offered, skip.date)
        if at == len(offered) or offered[at] != skip.date:
            before = offered[at - 1] if at else None
            after = offered[at] if at < len(offered) else None
            near = [f"{d.strftime('%a')} {d.isoformat()}" for d in (before, after) if d]
            yield Finding(f"no session falls on {skip.date.isoformat()}, so this skip "
                          "changes nothing", skip.loc,
                          "the nearest session dates are " + joined(near)
                          if near else "the date is outside the course; check it")


@rule(codes.CALENDAR_END, "calendar-end", ERROR,
      "a schedule that runs past the last date a calendar has (31 December 9999)",
      rationale="Every session needs a date for its agenda, a calendar and the course's "
                "length. A first date far in the future is almost always a typing slip in "
                "the year.",
      source="ipt-plan",
      bad="""
plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  schedule weekly from 9999-11-01 at 10:00 for 50 min   # runs off the calendar
  measure PHQ-9 every session

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
""",
      good="""
plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  schedule weekly from 2026-12-07 at 10:00 for 50 min
  measure PHQ-9 every session

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
""", uses_profile=False)
def calendar_end(ctx: Context) -> Iterator[Finding]:
    schedule = ctx.plan.schedule
    if schedule is None or schedule.start is None or not ctx.plan.phases:
        return
    numbers = sorted({session.number for _, session in ctx.plan.sessions()})
    undated = [n for n in numbers if n not in ctx.dates]
    if undated:
        which = (f"session {undated[0]} has" if len(undated) == 1
                 else f"sessions {undated[0]} to {undated[-1]} have")
        yield Finding(f"the schedule runs past 31 December 9999, so {which} no date",
                      schedule.loc, "check the year of the schedule's first date")


# A hint spells out a measure line with up to this many sessions; a longer one would
# not fit on a screen.
MEASURE_HINT_SESSIONS = 12


@rule(codes.MEASUREMENT, "measurement", WARNING,
      "no rating scale in the plan, or none rated at an acute course's first or last session",
      rationale="IPT rates the depression with a scale to make it concrete as an illness and "
                "to follow progress, and NICE NG222 recommends routine sessional outcome "
                "measures (the PHQ-9, for one): a plan says which scale with a measure line. "
                "An acute course (one with a termination phase) rates at least one scale at "
                "its first session, the baseline (session 0 where the plan has one), and at its "
                "last: response (a fall of half from the baseline) and remission (a PHQ-9 below "
                "5) are judged between the two. Continuation sessions after the course are not "
                "its last session. How often to rate in between is the plan's choice.",
      source="NICE NG222 (2022) 1.4.3; Weissman, Markowitz & Klerman 2000; Kroenke, Spitzer & "
             "Williams 2001",
      bad="""
plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  measure PHQ-9 every 5 sessions    # 1, 5, 10, 15: no score at session 16, the last

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
""",
      good=A_CLEAN_COURSE)
def measurement(ctx: Context) -> Iterator[Finding]:
    plan = ctx.plan
    if not plan.phases:
        return  # no course written yet (IPT101 says so): nothing to measure
    if not plan.measures:  # a broken measure line: not judged (registry.NOT_JUDGED)
        usual = (ctx.profile.usual_measures or tuple(ctx.catalogue.measures))[:1]
        yield Finding("this plan has no measure line, so no rating scale follows the "
                      "depression", plan.loc,
                      "add one under the header, like: measure "
                      f"{usual[0] if usual else 'PHQ-9'} every session (NICE NG222 recommends "
                      "routine sessional outcome measures)")
        return
    if (not plan.measures or not ctx.phases_of("termination") or ctx.course_cut
            or not ctx.course_numbers):
        return  # not an acute course with an end inside the plan
    first, last = plan.first_session, max(ctx.course_numbers)
    numbers = sorted({s.number for _, s in plan.sessions()})
    measure = plan.measures[0]
    rated = ({int(w.text) for w in measure.at} if measure.every is None
             else {n for n in numbers if measure.due(n, first)})
    # A scale rated `at` a session the plan does not have, before its first or after its
    # last, was meant for that end: IPT102 reports the number, once.
    aimed = {int(w.text) for m in plan.measures for w in m.at} - set(numbers)
    for session, what, why, missed in (
            (first, "first", "there is no baseline to judge response or remission against",
             any(n < first for n in aimed)),
            (last, "last", "without an end score nobody can judge response or remission",
             any(n > last for n in aimed))):
        if not missed and not any(m.due(session, first) for m in plan.measures):
            sessions = sorted({*rated, session})
            like = (f"measure {measure.name.text} at sessions {', '.join(map(str, sessions))}"
                    if len(sessions) <= MEASURE_HINT_SESSIONS
                    else f"add session {session} to the sessions of a measure line")
            yield Finding(f"no rating scale is rated at session {session}, the course's {what} "
                          f"session: {why}", measure.loc,
                          f"rate one there, like: {like} (one scale at each end is enough)")
