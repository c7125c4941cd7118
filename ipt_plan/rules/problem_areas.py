"""IPT2xx, the problem areas: how many foci, which areas the protocol allows, the
detail each focus needs, and that the middle phase works on each with techniques of its
own area."""

from __future__ import annotations

import bisect
from typing import Iterator

from .. import codes
from ..diagnostics import Fix, inserting_line
from ..model import Activity, Focus, quoted_span
from ..wording import joined, plural, span
from .registry import A_CLEAN_COURSE, ERROR, WARNING, Context, Finding, rule


@rule(codes.FOCUS_COUNT, "focus-count", ERROR, "number of foci outside the protocol's range",
      rationale="IPT works on one, at most two, current interpersonal problems; more "
                "dilutes a short course. Brief IPT keeps to one manageable focus.",
      source="Weissman, Markowitz & Klerman 2000; Swartz, Grote & Graham 2014 (ipt-brief)",
      bad="""
plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"
focus retirement: role_transition "Retired in June after 30 years at the library"
  goal "Two weekly activities with people outside the family"
focus friend: grief "Her closest friend died in May"   # a third focus
  died 2026-05
  goal "Talk about her with the friends they shared"

phase initial sessions 1-3
  session 1
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation for sister, retirement, friend
    treatment_contract

phase middle sessions 4-13
  session 5
    communication_analysis for sister
  session 6
    mourn_old_role
  session 7
    facilitate_mourning

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
      good="""
plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"
focus retirement: role_transition "Retired in June after 30 years at the library"
  goal "Two weekly activities with people outside the family"

phase initial sessions 1-3
  session 1
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation for sister, retirement
    treatment_contract

phase middle sessions 4-13
  session 5
    communication_analysis for sister
  session 6
    mourn_old_role

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""")
def focus_count(ctx: Context) -> Iterator[Finding]:
    low, high = ctx.profile.foci
    count = len(ctx.plan.foci)
    if count < low:
        has = "no focus" if count == 0 else plural(count, "focus", "foci")
        yield Finding(f"this plan has {has}; {ctx.protocol} works on {span(low, high)}",
                      ctx.plan.loc, 'add one under the header, like: focus sister: '
                      'role_dispute "Sister Anna directs the care of their mother"')
    elif count > high:
        yield Finding(f"this plan has {count} foci; {ctx.protocol} works on at most {high}",
                      ctx.plan.foci[high].loc, "choose the problem areas most linked to the "
                      "current episode and drop the others")


@rule(codes.DEFICITS_WITH_ANOTHER, "deficits-with-another", WARNING,
      "interpersonal_deficits together with another focus",
      rationale="Interpersonal deficits is the area of last resort, chosen only when no "
                "grief, dispute or transition fits; alongside another area, the other one is "
                "usually the better focus.",
      source="Weissman, Markowitz & Klerman 2000",
      bad="""
plan "Ms. A: caregiving conflict with her sister"
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"
focus alone: interpersonal_deficits "Few friends since the move"   # and a dispute
  goal "Meet one person outside the family each week"

phase initial sessions 1-3
  session 1
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation for sister, alone
    treatment_contract

phase middle sessions 4-13
  session 5
    communication_analysis for sister
  session 6
    reduce_isolation

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
      good=A_CLEAN_COURSE,
      uses_profile=False)
def deficits_with_another(ctx: Context) -> Iterator[Finding]:
    foci = ctx.plan.foci
    if len(foci) < 2:
        return
    for focus in foci:
        if focus.area.text == "interpersonal_deficits":
            yield Finding("interpersonal deficits is chosen only when no other problem area "
                          "fits, but this plan has another focus", focus.area.loc,
                          "keep the other focus and drop this one; if you keep both on purpose, "
                          "this stays a warning (check passes unless --strict)")


@rule(codes.FOCUS_NOT_WORKED, "focus-not-worked", ERROR,
      "a focus that no middle-phase session works on",
      rationale="The middle phase is where the chosen problem areas are worked on; a focus "
                "that no session addresses is a promise in the contract the plan does not keep. "
                "Where the plan first works on it in the termination phase instead, the message "
                "says so: the ending consolidates what was worked on and opens no new work, so "
                "a problem first taken up then belongs to a new contract (IPT307 warns of work "
                "begun late in the middle phase).",
      source="Weissman, Markowitz & Klerman 2000",
      bad="""
plan "Ms. A: caregiving conflict with her sister"
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
    goal_review                     # works on no focus

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
      good=A_CLEAN_COURSE,
      uses_profile=False)
def focus_not_worked(ctx: Context) -> Iterator[Finding]:
    working = ("middle",) if ctx.phases_of("middle") else ("maintenance",)
    if not ctx.phases_of(*working):
        return
    graph = ctx.graph
    for focus in ctx.plan.foci:
        node = ("focus", focus.id.text)
        if node not in graph:
            continue
        worked = any(graph.nodes[a].get("phase") in working
                     for a, attrs in graph.pred[node].items() if attrs["kind"] == "addresses")
        if not worked:
            area = ctx.catalogue.areas.get(focus.area.text)
            example = next((t.name for t in ctx.catalogue.techniques.values()
                            if area and t.area == area.name), "communication_analysis")
            ending = ctx.work_on(focus.id.text, "termination")
            yield Finding(f"no {working[0]}-phase session works on the focus '{focus.id.text}'"
                          + (f"; it is first worked on in the termination phase, at session "
                             f"{ending[0].first_session}" if ending else ""),
                          focus.id.loc, f"add a technique for it to a {working[0]} session, "
                          f"like: {example} for {focus.id.text}"
                          + ("; the ending consolidates what was worked on and opens no new "
                             "work: a problem first taken up then belongs to a new contract"
                             if ending else ""))


# The problem area a `died` line belongs to: the language writes the date of a death
# under a grief focus only (the Guide reserves grief for the death of someone significant).
GRIEF = "grief"
DIED_EXAMPLE, DIED_MONTH_EXAMPLE = "died 2026-02-14", "died 2026-02"


@rule(codes.FOCUS_DETAIL, "focus-detail", ERROR,
      "a focus missing required detail (goals; a dispute's stage; a death's date), a died "
      "line on a focus that is not grief, or a death dated after the course begins",
      rationale="A role dispute's stage (renegotiation, impasse, dissolution) decides the plan "
                "of action, and every focus needs at least one goal to review progress against. "
                "A grief focus says when the death was (`died 2026-02-14`, or `died 2026-02` "
                "when only the month is known): grief is reserved for the death of someone "
                "significant, and the date ties the episode and its anniversaries to that death. "
                "Other losses (a divorce, a job, a move) are role transitions, so a died line "
                "belongs under a grief focus only. The death has happened before the course "
                "begins: a died date after the first session's date (with a schedule; a month "
                "alone only when its month is later) is usually an expected loss, such as a "
                "parent with a terminal illness, which the Guide works as a role transition.",
      source="Weissman, Markowitz & Klerman 2000",
      bad="""
plan "Ms. A: caregiving conflict with her sister"
  schedule weekly from 2026-03-02 at 10:00 for 50 min
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"   # no stage line under it
  goal "Say what I can and cannot do, calmly"
focus father: grief "Her father has weeks to live"
  died 2026-05                      # after the course begins: an expected loss
  goal "Talk about him with her sister"

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
    communication_analysis for sister
  session 6
    facilitate_mourning

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
      good="""
plan "Ms. A: caregiving conflict with her sister"
  schedule weekly from 2026-03-02 at 10:00 for 50 min
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"
focus father: grief "Her father died in February"
  died 2026-02
  goal "Talk about him with her sister"

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
    communication_analysis for sister
  session 6
    facilitate_mourning

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
      uses_profile=False)
def focus_detail(ctx: Context) -> Iterator[Finding]:
    for focus in ctx.plan.foci:
        area = ctx.catalogue.areas.get(focus.area.text)
        if area and area.stages and focus.stage is None:
            line = f"stage {area.stages[0]}"
            yield Finding(f"the {area.label.lower()} '{focus.id.text}' has no stage",
                          focus.id.loc, f"add a line under it: {line} "
                          f"(or {joined(list(area.stages[1:]), 'or')})",
                          fixes=(inserting_line(focus.loc, f"  {line}", f"Add '{line}'"),))
        if area and not area.stages and focus.stage is not None:
            yield Finding(f"only a role dispute has a stage; '{focus.id.text}' is a "
                          f"{area.label.lower()}", focus.stage.loc, "remove the stage line")
        if area and area.name == GRIEF and focus.died is None:
            yield Finding(f"the {area.label.lower()} focus '{focus.id.text}' has no date "
                          "of death", focus.id.loc,
                          f"add a line under it: {DIED_EXAMPLE} (or {DIED_MONTH_EXAMPLE} when "
                          "only the month is known)", fixes=(_died_line(ctx, focus),))
        if area and area.name == GRIEF and focus.died is not None:
            yield from _death_after_start(ctx, focus)
        if area and area.name != GRIEF and focus.died is not None:
            yield Finding(f"a died line belongs to a grief focus; '{focus.id.text}' is a "
                          f"{area.label.lower()}", focus.died.loc,
                          "if the focus is about a death, make it a grief focus; otherwise "
                          "remove the line (other losses, such as a divorce or a job, are "
                          "role transitions)")
        if not focus.goals:
            example = area.goals[0] if area else "what the patient wants to change"
            yield Finding(f"the focus '{focus.id.text}' has no goal", focus.id.loc,
                          f'add one under it, in the patient\'s words: goal "..." '
                          f"(for this area, goals are about: {example})")


def _died_line(ctx: Context, focus: Focus) -> Fix:
    """A died line to fill in: the month of the course's first session (of today without a
    schedule), which no rule questions, for the clinician to correct to the real date."""
    start = ctx.dates.get(ctx.plan.first_session)
    day = start.date() if start else ctx.today
    line = f"died {day.year:04d}-{day.month:02d}"
    return inserting_line(focus.loc, f"  {line}", f"Add '{line}' (then correct the date)")


def _death_after_start(ctx: Context, focus: Focus) -> Iterator[Finding]:
    """A grief focus mourns a death that has happened: its date is not after the date of
    the course's first session (a month alone: not a later month). Without a schedule
    there is no date to compare with, and nothing is said."""
    start = ctx.dates.get(ctx.plan.first_session)
    died = focus.died
    if start is None or died is None:
        return
    start_day = start.date()
    later = ((died.date.year, died.date.month) > (start_day.year, start_day.month)
             if died.month_only else died.date > start_day)
    if later:
        yield Finding(f"the grief focus '{focus.id.text}' mourns a death dated {died.text}, "
                      f"after the course begins (session {ctx.plan.first_session} on "
                      f"{start_day.isoformat()})", died.loc,
                      "grief is for a death that has already happened: if the date is a slip, "
                      "correct it; an expected loss (a parent with a terminal illness) or a "
                      "loss that is not a death (a divorce, a job) is a role transition: write "
                      f"focus {focus.id.text}: role_transition and remove the died line")


# A problem area worked like another at one of its stages: a role dispute at dissolution
# is helped to mourn and move on, as a role transition is (the Guide).
WORKED_AS: dict[tuple[str, str], str] = {("role_dispute", "dissolution"): "role_transition"}


class _Stages:
    """A focus's stages by the session each begins at, for the stage in force at any
    session without walking every stage line each time (a plan may change stage often)."""

    def __init__(self, focus: Focus):
        self.area = focus.area.text
        self.firsts = [stage.first for stage in focus.stages]  # ascending; the first is 0
        self.names = [stage.name.text for stage in focus.stages]

    def at(self, session: int) -> str | None:
        """The stage in force at this session (as Focus.stage_at)."""
        if not self.names:
            return None
        return self.names[max(bisect.bisect_right(self.firsts, session) - 1, 0)]

    def worked_as(self, first: int, last: int) -> str | None:
        """The area whose techniques fit the focus at every session from `first` to
        `last` because of its stage (a dissolved dispute: a role transition's), or None."""
        if not self.names:
            return None
        low = max(bisect.bisect_right(self.firsts, first) - 1, 0)
        high = max(bisect.bisect_right(self.firsts, last) - 1, 0)
        areas = {WORKED_AS.get((self.area, name)) for name in self.names[low:high + 1]}
        return areas.pop() if len(areas) == 1 else None


@rule(codes.TECHNIQUE_FOR_OTHER_AREA, "technique-for-other-area", ERROR,
      "an area-specific technique used for a focus of another area",
      rationale="The strategies of each problem area are specific to it: mourning belongs to "
                "grief, renegotiating expectations to a dispute, the old and new roles to a "
                "transition. The dispute's stage can change that: a dispute at dissolution is "
                "worked like a role transition (mourning the relationship that is ending, the "
                "new role, new skills), so a transition's techniques fit it from the session "
                "its stage becomes dissolution.",
      source="Weissman, Markowitz & Klerman 2000; Klerman et al. 1984",
      bad="""
plan "Ms. A: caregiving conflict with her sister"
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
  session 6
    mourn_old_role for sister       # a role transition technique, for a dispute being renegotiated

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
      good="""
plan "Ms. A: caregiving conflict with her sister"
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage impasse
  stage dissolution from session 9
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
  session 6
    explore_expectations for sister
  session 10
    mourn_old_role for sister       # dissolved: worked like a role transition

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
      uses_profile=False)
def technique_for_other_area(ctx: Context) -> Iterator[Finding]:
    cat, plan = ctx.catalogue, ctx.plan
    # The sessions an activity falls in: its session, or every session of its phase.
    every = {a.loc.line: phase for phase in plan.phases for a in phase.every}
    stages = {focus.id.text: _Stages(focus) for focus in plan.foci}
    for activity, first, _ in ctx.activities():
        technique = cat.techniques.get(activity.name.text)
        if technique is None or not technique.area:
            continue
        phase = every.get(activity.loc.line)
        last = phase.last if phase else first
        label = cat.areas[technique.area].label.lower()
        if not activity.foci and not ctx.foci_of(activity):
            fitting = [f.id.text for f in plan.foci
                       if stages[f.id.text].worked_as(first, last) == technique.area]
            yield Finding(f"{technique.name} is a {label} technique, and this plan has no "
                          f"{label} focus", activity.name.loc,
                          f"name the focus it works on: {technique.name} for {fitting[0]}"
                          if fitting else "use a technique of one of the plan's problem areas")
        for word in activity.foci:
            focus = plan.focus(word.text)
            if focus is None or focus.area.text == technique.area or focus.area.text not in cat.areas:
                continue
            if stages[focus.id.text].worked_as(first, last) == technique.area:
                continue
            other = cat.areas[focus.area.text]
            options = [t.name for t in cat.techniques.values() if t.area == other.name]
            like = [stage for (area, stage), worked in WORKED_AS.items()
                    if area == other.name and worked == technique.area]
            at = ""
            if like and focus.stages:
                at = (f" at {stages[focus.id.text].at(first)} in session {first}" if phase is None
                      else f" not at {joined(like, 'or')} in every session of the "
                           f"{phase.kind} phase")
            yield Finding(f"{technique.name} is a {label} technique, but '{word.text}' is a "
                          f"{other.label.lower()}{at}", word.loc,
                          f"for a {other.label.lower()} use {joined(options, 'or')}"
                          + (f"; a {other.label.lower()} at {joined(like, 'or')} is worked "
                             f"like a {label}: if this one has dissolved, write under the focus: "
                             f"stage {like[0]} from session {first}" if like else ""))


@rule(codes.AREA_NOT_IN_PROTOCOL, "area-not-in-protocol", ERROR,
      "a problem area the protocol does not allow",
      rationale="Some adaptations were built and tested for some problem areas only: IPT "
                "for PTSD works on grief, role disputes and role transitions.",
      source="protocol profile (ipt-ptsd: Markowitz et al. 2015)",
      bad="""
plan "Mr. B: after the assault on his bus"
  protocol ipt-ptsd
  measure PHQ-9 every session

focus alone: interpersonal_deficits "Has seen no one since the assault"   # not an area of IPT for PTSD
  goal "Meet one friend a week"

phase initial sessions 1-3
  session 1
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation
    treatment_contract

phase middle sessions 4-12
  session 5
    reduce_isolation
  session 12
    termination_discussion

phase termination sessions 13-14
  session 13
    termination_discussion
  session 14
    relapse_prevention
""",
      good="""
plan "Mr. B: after the assault on his bus"
  protocol ipt-ptsd
  measure PHQ-9 every session

focus work: role_transition "Off work since a passenger assaulted him in March"
  goal "Go back to work he can do, or choose other work"

phase initial sessions 1-3
  session 1
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation
    treatment_contract

phase middle sessions 4-12
  session 5
    mourn_old_role
  session 12
    termination_discussion

phase termination sessions 13-14
  session 13
    termination_discussion
  session 14
    relapse_prevention
""")
def area_not_in_protocol(ctx: Context) -> Iterator[Finding]:
    for focus in ctx.plan.foci:
        if focus.area.text in ctx.catalogue.areas and focus.area.text not in ctx.profile.areas:
            yield Finding(f"{ctx.protocol} does not work on {focus.area.text}", focus.area.loc,
                          f"it works on {joined(list(ctx.profile.areas), 'or')}")


# The stage a dispute ends in, worked like a role transition from then on (the Guide); and
# the stage that is to move, reopened towards renegotiation. The techniques that do each
# stage's work are the catalogue's (an area's stage_work).
DISSOLVED, STUCK = "dissolution", "impasse"


@rule(codes.STAGE_STRATEGY, "stage-strategy", WARNING,
      "a dispute's stage without the work it calls for in the middle phase: dissolution "
      "without transition work, or an impasse that never moves",
      rationale="A role dispute's stage decides the plan of action. At dissolution the "
                "relationship is ending, and the Guide works the dispute like a role "
                "transition: mourning what it was and building the new role, so the middle "
                "phase holds that work for it. An impasse is reopened, to move it towards "
                "renegotiation: an impasse that the plan never moves (no later stage line) and "
                "that no middle session works on (setting out expectations, analysing, "
                "deciding, rehearsing) is noted, more softly, for the clinician to consider. "
                "The techniques of each stage are the catalogue's (stage_work). A course "
                "without a middle phase (maintenance IPT) is not judged.",
      source="Weissman, Markowitz & Klerman 2000; catalogue",
      bad="""
plan "Ms. A: caregiving conflict with her sister"
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage impasse
  stage dissolution from session 9   # and no session works on it as a transition
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
  session 6
    explore_expectations for sister

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
      good="""
plan "Ms. A: caregiving conflict with her sister"
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage impasse
  stage dissolution from session 9
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
  session 6
    explore_expectations for sister
  session 10
    mourn_old_role for sister       # dissolved: worked like a role transition
  session 12
    build_new_skills for sister

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
      uses_profile=False)
def stage_strategy(ctx: Context) -> Iterator[Finding]:
    middle = ctx.phases_of("middle")
    if not middle:
        return  # no middle phase (maintenance IPT): the rule is about one
    first, last = min(ph.first for ph in middle), max(ph.last for ph in middle)
    # The last session each middle activity falls in: its own, or its phase's last for an
    # `every session` line.
    every = {a.loc.line: ph.last for ph in middle for a in ph.every}
    work = [(a, every.get(a.loc.line, session)) for a, session, _ in ctx.activities("middle")]
    for focus in ctx.plan.foci:
        area = ctx.catalogue.areas.get(focus.area.text)
        if area is None or not area.stage_work or not focus.stages:
            continue
        name = focus.id.text
        for index, stage in enumerate(focus.stages):
            ends = (focus.stages[index + 1].first - 1 if index + 1 < len(focus.stages)
                    else last)
            if stage.first > last or ends < first:
                continue  # it does not hold at any session of the middle phase
            techniques = area.work_at(stage.name.text)
            if not techniques:
                continue
            options = f"{techniques[0]} for {name}" + (
                f" (or {joined(list(techniques[1:]), 'or')})" if len(techniques) > 1 else "")
            since = max(stage.first, first)
            if stage.name.text == DISSOLVED and not _worked(ctx, work, name, techniques, first):
                at = f" from session {since}" if stage.first > first else ""
                yield Finding(f"the role dispute '{name}' is at dissolution{at}, but no "
                              "middle-phase session works on it as a role transition", stage.loc,
                              "a dissolved dispute is worked like a role transition, mourning "
                              "the relationship as it was and building the new role: add to a "
                              f"middle session{at}: {options}")
            if (stage.name.text == STUCK and index == len(focus.stages) - 1
                    and not _worked(ctx, work, name, techniques, stage.first)):
                yield Finding(f"the role dispute '{name}' stays at impasse, and no "
                              "middle-phase session works to move it", stage.loc,
                              "consider reopening the disagreement to move it towards "
                              f"renegotiation: {options}; or, if it moves, write the stage "
                              "it moves to: stage renegotiation from session N")


def _worked(ctx: Context, work: list[tuple[Activity, int]], focus: str,
            techniques: tuple[str, ...], since: int) -> bool:
    """Whether a middle-phase line of one of these techniques works on the focus at or
    after session `since` (`work`: each line with the last session it falls in). An area's
    technique that addresses no focus at all (`mourn_old_role` in a plan with no role
    transition) counts: IPT205 reports it, with this focus in its hint."""
    for activity, until in work:
        if activity.name.text not in techniques or until < since:
            continue
        foci = ctx.foci_of(activity)
        technique = ctx.catalogue.techniques.get(activity.name.text)
        if focus in foci or (not foci and not activity.foci and technique is not None
                             and technique.area is not None):
            return True
    return False


DEFICITS = "interpersonal_deficits"


@rule(codes.DEFICITS_ABOUT_A_DEATH, "deficits-about-a-death", WARNING,
      "an interpersonal deficits focus whose description speaks of a death",
      rationale="Interpersonal deficits is the area of last resort, chosen only when no "
                "grief, dispute or transition fits; grief is the area for an episode that "
                "follows the death of someone significant. A deficits focus whose own "
                "description says that someone died (died, death, widowed, bereaved, passed "
                "away: the catalogue's list, kept to words that mean a death) is often a grief "
                "focus. A description that says there was no death (\"no recent death\") is "
                "not flagged. The rule is about the focus, not a phase, so it reads every "
                "plan's foci, maintenance plans' too.",
      source="Weissman, Markowitz & Klerman 2000; catalogue (vocabulary.death)",
      bad="""
plan "Mr. C: on his own since his wife died"
  measure PHQ-9 every session

focus alone: interpersonal_deficits "Sees no one since his wife died in March"   # a death
  goal "Meet one person outside the family each week"

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
    reduce_isolation

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
      good="""
plan "Mr. C: on his own since his wife died"
  measure PHQ-9 every session

focus wife: grief "Sees no one since his wife died in March"
  died 2026-03
  goal "Meet one person outside the family each week"

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
    facilitate_mourning
  session 8
    reestablish_interests

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
      uses_profile=False)
def deficits_about_a_death(ctx: Context) -> Iterator[Finding]:
    for focus in ctx.plan.foci:
        if focus.area.text != DEFICITS or not focus.description:
            continue
        found = ctx.words_in(focus.description, ctx.catalogue.vocabulary.death)
        if not found:
            continue
        word = found[0]
        loc = (quoted_span(focus.description, focus.description_at, word.start, word.end)
               if focus.description_at else focus.area.loc)
        yield Finding(f"the focus '{focus.id.text}' is interpersonal deficits, but its "
                      f"description speaks of a death ('{word.written(focus.description)}')",
                      loc, "interpersonal deficits is chosen only when no other area fits: if "
                      f"the episode followed this death, make it a grief focus (focus "
                      f"{focus.id.text}: grief, with a line under it: {DIED_EXAMPLE}); if the "
                      "death is not what the work is about, keep it and silence this line: "
                      f"# ipt-plan: ignore[{codes.DEFICITS_ABOUT_A_DEATH}]")
