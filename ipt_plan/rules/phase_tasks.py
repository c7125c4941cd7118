"""IPT3xx, the tasks of each phase: what the initial and termination phases must hold,
techniques in the phases where they belong and after their prerequisites, what a protocol
forbids, and raising the ending early enough."""

from __future__ import annotations

from typing import Iterator

from .. import codes
from ..graph import activity_node
from ..model import PHASE_ORDER, Activity
from ..wording import joined, plural
from .registry import A_CLEAN_COURSE, ERROR, WARNING, Context, Finding, rule


@rule(codes.INITIAL_TASKS, "initial-tasks", ERROR,
      "initial phase lacks a required task (psychoeducation, sick role, inventory, a "
      "formulation covering every focus, contract), or gives them out of order",
      rationale="The initial phase explains the depression as a treatable illness "
                "(psychoeducation) and gives the sick role, and it ends with the interpersonal "
                "inventory taken, an interpersonal formulation that links the depression to "
                "each chosen problem area, and a treatment contract: without them the middle "
                "phase has no agreed focus. A pre-treatment session 0 counts as initial; a task "
                "given only later, in a phase where it does not belong, is IPT303's warning "
                "instead. The tasks build on each other: the formulation is built from the inventory, "
                "and the contract agrees the focus the formulation names, so each comes in the "
                "same session as the one before it or later (the profile's initial_order).",
      source="Weissman, Markowitz & Klerman 2000; protocol profile",
      bad="""
plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"

phase initial sessions 1-3          # no interpersonal_inventory
  session 1
    psychoeducation
    sick_role
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
def initial_tasks(ctx: Context) -> Iterator[Finding]:
    initial = ctx.phases_of("initial")
    if not initial:
        return
    yield from _initial_order(ctx)
    done: dict[str, set[str]] = {}
    for activity, _, phase in ctx.activities():
        # A task given in the initial phase (a pre-treatment session 0 included) is done; one
        # given only later, in a phase where it does not belong, is IPT303's warning, not
        # this error as well (one mistake, one message).
        if phase in ("pretreatment", "initial") or _out_of_place(ctx, activity, phase):
            done.setdefault(activity.name.text, set()).update(ctx.foci_of(activity))
    for task in ctx.profile.initial_tasks:
        if task not in done:
            detail = ""
            if task == "formulation" and ctx.plan.foci:
                detail = " for " + ", ".join(f.id.text for f in ctx.plan.foci)
            elif task == "sick_role" and ctx.profile.sick_role == "limited":
                note = ctx.profile.sick_role_note
                detail = ", a limited one" + (f" ({note})" if note else "")
            yield Finding(f"the initial phase has no {task}", initial[0].name.loc,
                          f"add it to a session of the initial phase: {task}{detail}")
        elif task == "formulation":
            missing = [f.id.text for f in ctx.plan.foci if f.id.text not in done[task]]
            if missing:
                yield Finding(f"the formulation does not cover the focus "
                              f"{joined([repr(m) for m in missing])}", initial[0].name.loc,
                              "name every focus: formulation for "
                              + ", ".join(f.id.text for f in ctx.plan.foci))


def _out_of_place(ctx: Context, activity: Activity, phase: str) -> bool:
    """Whether IPT303 warns about this activity: a technique in a phase where it does not
    belong."""
    technique = ctx.catalogue.techniques.get(activity.name.text)
    return bool(technique) and phase in PHASE_ORDER and phase not in technique.phases


# The phases of the acute course, where the initial tasks' order is read: a contract
# renewed for booster or maintenance sessions comes after the course and is not judged.
ACUTE_PHASES = ("pretreatment", "initial", "middle", "termination")


def _initial_order(ctx: Context) -> Iterator[Finding]:
    """Each task of the profile's initial_order is first given in the same session as the
    task before it (the nearest one the plan gives) or later."""
    first: dict[str, tuple[int, int, Activity]] = {}  # task -> (session, line, activity)
    for activity, session, _ in ctx.activities(*ACUTE_PHASES):
        name = activity.name.text
        if name in ctx.profile.initial_order:
            placed = (session, activity.loc.line, activity)
            first[name] = min(first.get(name, placed), placed, key=lambda p: (p[0], p[1]))
    given = [task for task in ctx.profile.initial_order if task in first]
    for before, task in zip(given, given[1:]):
        (needed_at, _, _), (at, _, activity) = first[before], first[task]
        if at < needed_at:
            order = ", then ".join(ctx.profile.initial_order)
            yield Finding(f"{task} at session {at} comes before any {before}, which it "
                          f"builds on (first at session {needed_at})", activity.name.loc,
                          f"the initial tasks build on each other ({order}; two of them may "
                          f"share a session): give {task} at session {needed_at} or later, or "
                          f"{before} earlier")


@rule(codes.TERMINATION_TASKS, "termination-tasks", ERROR,
      "termination phase lacks a required task (termination_discussion, relapse_prevention)",
      rationale="Termination is explicit: the ending and its feelings are discussed, and "
                "the patient leaves with a plan for the warning signs of a new episode.",
      source="Weissman, Markowitz & Klerman 2000; protocol profile",
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

phase middle sessions 4-13
  session 5
    communication_analysis

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    recognize_competence            # and no relapse_prevention
""",
      good=A_CLEAN_COURSE)
def termination_tasks(ctx: Context) -> Iterator[Finding]:
    termination = ctx.phases_of("termination")
    if not termination:
        return
    done = {a.name.text for a, _, _ in ctx.activities("termination")}
    for task in ctx.profile.termination_tasks:
        if task not in done:
            yield Finding(f"the termination phase has no {task}", termination[0].name.loc,
                          f"add it to a session of the termination phase: {task}")


@rule(codes.TECHNIQUE_PHASE, "technique-phase", WARNING,
      "a technique outside the phases where it belongs",
      rationale="Tasks are tied to phases: the inventory, formulation and contract belong "
                "to the initial phase, the relapse plan to termination. Out of place, they "
                "usually mean a task was forgotten in its own phase.",
      source="Weissman, Markowitz & Klerman 2000, ch. 10; catalogue",
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
  session 4
    psychoeducation                 # belongs to the initial phase
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
  measure PHQ-9 every session

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"

phase initial sessions 1-3
  session 1
    sick_role
    psychoeducation
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
def technique_phase(ctx: Context) -> Iterator[Finding]:
    for activity, _, phase in ctx.activities():
        if _out_of_place(ctx, activity, phase):
            technique = ctx.catalogue.techniques[activity.name.text]
            yield Finding(f"{technique.name} belongs to the "
                          f"{joined(list(technique.phases), 'or')} phase, not the {phase} phase",
                          activity.name.loc, "move it to a session of a phase where it belongs")


@rule(codes.PREREQUISITE, "prerequisite", WARNING,
      "a prerequisite not met: role_play for a focus before any analysis of it",
      rationale="Rehearsal follows analysis: role play for a problem normally comes after "
                "a communication analysis or decision analysis of the same problem, so that "
                "the patient rehearses a new way that was worked out first.",
      source="Weissman, Markowitz & Klerman 2000, ch. 10",
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
    role_play                       # before any analysis
  session 6
    communication_analysis

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
    role_play

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
      uses_profile=False)
def prerequisite(ctx: Context) -> Iterator[Finding]:
    graph = ctx.graph
    for activity, _, _ in ctx.activities():
        technique = ctx.catalogue.techniques.get(activity.name.text)
        if technique is None or not technique.after_any:
            continue
        met = graph.nodes[activity_node(activity)]["met"]  # foci of its `requires` edges
        for focus in ctx.foci_of(activity) or [None]:
            if focus not in met:
                about = f" for '{focus}'" if focus else ""
                needed = joined(list(technique.after_any), "or")
                yield Finding(f"{technique.name}{about} comes before any {needed}"
                              f"{' for it' if focus else ''}", activity.name.loc,
                              f"analyse the problem first, in an earlier session: "
                              f"{technique.after_any[0]}{' for ' + focus if focus else ''}")


@rule(codes.FORBIDDEN_ACTIVITY, "forbidden-activity", ERROR, "an activity the protocol forbids",
      rationale="Some adaptations leave out parts of standard practice on purpose: IPT for "
                "PTSD assigns no homework, to keep it distinct from exposure-based therapies.",
      source="protocol profile (ipt-ptsd: Markowitz et al. 2015)",
      bad="""
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
    homework "Write about the day of the assault"   # IPT for PTSD gives no homework
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
    note "Talked about the day of the assault"
  session 12
    termination_discussion

phase termination sessions 13-14
  session 13
    termination_discussion
  session 14
    relapse_prevention
""")
def forbidden_activity(ctx: Context) -> Iterator[Finding]:
    forbidden = ctx.profile.forbidden
    for activity, _, _ in ctx.activities():
        if activity.name.text in forbidden:
            yield Finding(f"{ctx.protocol} does not use {activity.name.text}",
                          activity.name.loc, "remove it; write a note instead if it matters")


@rule(codes.LATE_ENDING, "late-ending", WARNING,
      "the ending first discussed too close to the last session",
      rationale="The end of treatment is raised explicitly and early, at least two to four "
                "sessions before the last, so that the feelings it brings can be worked with. "
                "A protocol that needs no termination phase has no fixed end inside the plan "
                "(maintenance IPT goes on under its contract until it is reviewed): when such a "
                "plan writes no termination phase, its last session is not an ending and the "
                "rule does not apply.",
      source="Weissman, Markowitz & Klerman 2000; protocol profile (ipt: 2; ipt-m: Frank et "
             "al. 1990, 2007)",
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

phase middle sessions 4-13
  session 5
    communication_analysis

phase termination sessions 14-16
  session 16
    termination_discussion          # first raised at the last session
    relapse_prevention
""",
      good=A_CLEAN_COURSE)
def late_ending(ctx: Context) -> Iterator[Finding]:
    if "termination" not in ctx.profile.phases and not ctx.phases_of("termination"):
        return  # no ending inside the plan: its last session ends nothing
    numbers = ctx.course_numbers
    mentions = [(first, a.loc.line, a) for a, first, _ in ctx.activities()
                if a.name.text == "termination_discussion"]
    if not numbers or not mentions:
        return
    first, _, activity = min(mentions, key=lambda m: (m[0], m[1]))
    last, notice = max(numbers), ctx.profile.ending_notice
    if last - first < notice:
        yield Finding(f"the ending is first discussed at session {first}, "
                      f"{plural(last - first, 'session')} before the last; {ctx.protocol} raises it "
                      f"at least {plural(notice, 'session')} before", activity.name.loc,
                      f"discuss the ending by session {last - notice}")
