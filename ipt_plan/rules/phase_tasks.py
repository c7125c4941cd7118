"""IPT3xx, the tasks of each phase: what the initial and termination phases must hold,
techniques in the phases where they belong and after their prerequisites, what a protocol
forbids, and raising the ending early enough."""

from __future__ import annotations

from typing import Iterator

from .. import codes
from ..graph import activity_node
from ..model import PHASE_ORDER, Activity, Loc, quoted_span
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


@rule(codes.FORBIDDEN_ACTIVITY, "forbidden-activity", ERROR,
      "an activity the protocol forbids; a warning for a word of a forbidden practice in the "
      "plan's text",
      rationale="Some adaptations leave out parts of standard practice on purpose: IPT for "
                "PTSD assigns no homework and does no exposure, to stay distinct from "
                "exposure-based therapies. An activity the protocol forbids is an error. A "
                "protocol also lists the words that betray a practice it leaves out (ipt-ptsd: "
                "exposure, imaginal, in vivo, hotspot, habituation): one of them in a "
                "technique's detail, a note, a homework, a session's title or a phase's note is "
                "a warning, since a text can name a practice without doing it. Where the text "
                "says it is not done (\"no exposure\", \"exposure is not used\") the word is "
                "not flagged. Words that also describe good IPT (\"not reliving the crash\") "
                "stay off the lists. A severity configured for IPT305 applies to both.",
      source="protocol profile (ipt-ptsd: Markowitz et al. 2015, IPT for PTSD without "
             "exposure or homework)",
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
    if ctx.profile.forbidden_words:
        yield from _forbidden_words(ctx)


def _free_texts(ctx: Context) -> Iterator[tuple[str, Loc, str]]:
    """Each text the plan writes in a session or phase, where it is, and how to name it:
    details of techniques, notes, homework, session titles and notes on a phase."""
    kinds = {"note": "this note", "homework": "this homework"}
    for activity, _, _ in ctx.activities():
        if activity.detail and activity.detail_at:
            yield (activity.detail, activity.detail_at,
                   kinds.get(activity.kind, f"the detail of {activity.name.text}"))
    for phase in ctx.plan.phases:
        for note in phase.notes:
            if note.detail and note.detail_at:
                yield note.detail, note.detail_at, f"this note on the {phase.kind} phase"
        for session in phase.sessions:
            if session.title and session.title_at:
                yield session.title, session.title_at, f"the title of session {session.number}"


def _forbidden_words(ctx: Context) -> Iterator[Finding]:
    for text, at, place in _free_texts(ctx):
        for practice, words in ctx.profile.forbidden_words:
            for word in ctx.words_in(text, words):
                yield Finding(
                    f"'{word.written(text)}' in {place} is a word of {practice}, which "
                    f"{ctx.protocol} does not use",
                    quoted_span(text, at, word.start, word.end),
                    f"if the session does {practice}, leave it out; if the text says it is not "
                    f"done, say so plainly (\"no {practice}\"); if it names something the session "
                    f"does not do (what happened to the patient, say), keep it and silence this "
                    f"line: "
                    f"# ipt-plan: ignore[{codes.FORBIDDEN_ACTIVITY}]",
                    WARNING)


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


@rule(codes.LATE_NEW_WORK, "late-new-work", WARNING,
      "a focus first worked on late: in the last quarter of the middle phase, or in the ending",
      rationale="The ending consolidates what the course has worked on; it does not open new "
                "work. A focus the plan first works on only in the last quarter of the middle "
                "phase (rounded down, and at least its last session: the profile's "
                "late_work_share), or first in the termination phase, is a new problem taken "
                "up too late for this course: a new problem belongs to a new contract "
                "(continuation or maintenance treatment). Work on a focus is a technique of "
                "the middle phase (the catalogue's phases) that addresses it, named with `for` "
                "or implied by its area or the catalogue's default_focus; the initial phase's "
                "tasks (the formulation, the contract) and the ending's (competence, the relapse "
                "plan) are not. Going on with a focus already worked on, consolidating skills in "
                "the ending, is what the ending is for. A focus that no middle-phase session "
                "addresses at all is IPT203's error, which then names the ending session where "
                "it is first worked on. A plan without a middle phase (maintenance IPT) has no "
                "such end to judge.",
      source="Weissman, Markowitz & Klerman 2000 (a new problem belongs to a new contract); "
             "protocol profile (late_work_share: ipt-plan's reading, the last quarter)",
      bad="""
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
  session 12
    mourn_old_role                  # the retirement first taken up two sessions before the ending

phase termination sessions 14-16
  session 14
    termination_discussion
  session 15
    build_new_skills                # the ending goes on with it: not new work
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
  session 8
    mourn_old_role
  session 12
    evaluate_new_role

phase termination sessions 14-16
  session 14
    termination_discussion
  session 15
    build_new_skills                # consolidating what was worked on
  session 16
    relapse_prevention
""")
def late_new_work(ctx: Context) -> Iterator[Finding]:
    middles = ctx.phases_of("middle")
    if len(middles) != 1:
        return  # none (maintenance IPT: no middle phase to be late in), or IPT003's
    middle = middles[0]
    size = middle.last - middle.first + 1
    if size < 2:
        return  # one middle session: the first is also the last
    # The last share of the middle phase, rounded down, at least its last session.
    count = max(1, int(size * ctx.profile.late_work_share + 1e-9))
    late = middle.last - count + 1
    in_middle = {f for a, _, _ in ctx.activities("middle") for f in ctx.foci_of(a)}
    for focus in ctx.plan.foci:
        work = [item for item in ctx.work_on(focus.id.text, "middle")
                if middle.first <= item.first_session <= middle.last]
        if work:
            first = work[0]
            if first.first_session < late:
                continue
            where = ("the last session of the middle phase" if count == 1 else
                     f"the last {plural(count, 'session')} of the middle phase "
                     f"({late}-{middle.last})")
            yield Finding(f"the focus '{focus.id.text}' is first worked on at session "
                          f"{first.first_session}, in {where}, too close to the ending",
                          first.activity.name.loc,
                          f"start the work on '{focus.id.text}' earlier in the middle phase; if "
                          "it is a new problem, leave it for a new contract (continuation or "
                          "maintenance) and name it in the ending")
        elif focus.id.text in in_middle:  # addressed in the middle, never worked on there
            ending = ctx.work_on(focus.id.text, "termination")
            if ending:
                yield Finding(f"the focus '{focus.id.text}' is first worked on in the "
                              f"termination phase, at session {ending[0].first_session}",
                              ending[0].activity.name.loc,
                              f"work on '{focus.id.text}' in the middle phase; the ending "
                              "consolidates and opens no new work: a new problem belongs to a "
                              "new contract (continuation or maintenance)")


@rule(codes.EXPECTED_PARTICIPANT, "expected-participant", WARNING,
      "a phase without someone the protocol has join it (IPT-A: a parent at the start and at "
      "the end)",
      rationale="Some protocols bring someone else into the room at set points. IPT-A has a "
                "parent join the first session (consent, psychoeducation, the limited sick "
                "role), mid-treatment when the problem involves them, and the end (progress, "
                "and how the family keeps the changes going). The profile says in which phases "
                "at least one session must have them (required_in: ipt-a's initial and "
                "termination phases; mid-treatment only when the problem involves them, so it "
                "is not required) and who may come in their place (stand_ins: a carer). A plan "
                "without that phase (maintenance IPT has no initial phase) is not judged on "
                "it. Where no parent can take part, say why in a suppression comment on the "
                "phase line: # ipt-plan: ignore[IPT308] (the reason).",
      source="protocol profile (ipt-a: Mufson et al. 2004)",
      bad="""
plan "Maya, 15: not speaking to Mum since the move"
  protocol ipt-a
  measure PHQ-9 every session

focus mum: role_dispute "Since the move, Maya and Mum shout or do not speak"
  stage impasse
  goal "Talk with Mum about things that matter, without a row"

phase initial sessions 1-4          # no session with a parent
  session 1 "Assessment"
    sick_role
    psychoeducation
  session 2
    interpersonal_inventory
  session 4
    formulation
    treatment_contract

phase middle sessions 5-9
  session 5
    communication_analysis

phase termination sessions 10-12
  session 10
    termination_discussion
  session 12 "Ending, with Mum" with parent
    relapse_prevention
""",
      good="""
plan "Maya, 15: not speaking to Mum since the move"
  protocol ipt-a
  measure PHQ-9 every session

focus mum: role_dispute "Since the move, Maya and Mum shout or do not speak"
  stage impasse
  goal "Talk with Mum about things that matter, without a row"

phase initial sessions 1-4
  session 1 "Assessment, with Mum for the first half" with parent
    sick_role
    psychoeducation
  session 2
    interpersonal_inventory
  session 4
    formulation
    treatment_contract

phase middle sessions 5-9
  session 5
    communication_analysis

phase termination sessions 10-12
  session 10
    termination_discussion
  session 12 "Ending, with Mum" with parent
    relapse_prevention
""")
def expected_participant(ctx: Context) -> Iterator[Finding]:
    for expected in ctx.profile.participants:
        accepted = (expected.who, *expected.stand_ins)
        for kind in expected.required_in:
            phases = ctx.phases_of(kind)
            if not phases:
                continue  # a phase the plan does not have
            if any(word.text in accepted for phase in phases for session in phase.sessions
                   for word in session.participants):
                continue
            phase = phases[0]
            who = ctx.catalogue.participants.get(expected.who)
            label = who.label.lower() if who else expected.who
            number = phase.last if kind == "termination" else phase.first
            title = next((s.title for s in phase.sessions if s.number == number and s.title), None)
            example = f"session {number}" + (f' "{title}"' if title else "")
            also = (joined([f"`with {name}`" for name in expected.stand_ins], "or")
                    if expected.stand_ins else "")
            yield Finding(f"no session of the {kind} phase has the {label} taking part; "
                          f"{ctx.protocol} has them join {expected.when} ({expected.source})",
                          phase.name.loc,
                          f"add `with {expected.who}`{f' (or {also})' if also else ''} at the end "
                          f"of a session line of the phase: {example} with {expected.who}; "
                          "where they cannot take part, say why on this line: "
                          f"# ipt-plan: ignore[{codes.EXPECTED_PARTICIPANT}] (the reason)")
