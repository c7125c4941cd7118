"""IPT0xx, the file and its language: names ipt-plan must know, and the problems the
stages before the rules report (registered here so that `ipt-plan explain` covers them);
IPT999 when ipt-plan itself fails."""

from __future__ import annotations

from typing import Iterator

from .. import codes
from ..diagnostics import suggest
from ..model import PHASE_ORDER, Loc, Word
from ..wording import BLANKS, is_blank
from .registry import A_CLEAN_COURSE, ERROR, WARNING, Context, Finding, rule


# --- reported by the stages before the rules ----------------------------------------------

rule(codes.UNREADABLE_FILE, "unreadable-file", ERROR, "the file cannot be read as a plan",
     rationale="A plan is a UTF-8 text file. Binary files, other encodings, folders and "
               "files too large to be a plan are reported instead of being guessed at.",
     source="ipt-plan",
     bad="(a .docx or .pdf saved with the .iptplan ending)",
     good="(a plan saved as plain UTF-8 text, as any text editor writes it)")(None)

rule(codes.SYNTAX, "syntax", ERROR, "a line that is not written the way the language expects",
     rationale="Each line is one statement that starts with its keyword (plan, focus, "
               "phase, session...) or a technique's name. The message says what was "
               "expected, and the hint shows a correct line of the same kind.",
     source="ipt-plan language reference (README)",
     bad="""
plan "Ms. A: caregiving conflict with her sister"
  clinician Dr. R. Moreno           # text without quotes
  schedule weekly from 2026-12-07 10:00 for 50 min   # "at" left out
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
  clinician "Dr. R. Moreno"
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
""")(None)

rule(codes.DEFINED_TWICE, "defined-twice", ERROR,
     "something defined twice (focus, session, phase, header)",
     rationale="A focus name, a session number, a phase and each header line may appear "
               "once; a second one is almost always a copy-and-paste slip, and ipt-plan "
               "cannot know which one you meant.",
     source="ipt-plan",
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
  session 5                         # a second session 5
    role_play

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
    role_play

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""")(None)

rule(codes.BAD_PROFILE, "bad-profile", ERROR, "a protocol profile file that cannot be used",
     rationale="A clinic's own protocol profile is a TOML file like the built-in ones "
               "(`ipt-plan protocols` lists them). When it is missing a field or a field "
               "has the wrong shape, the plan cannot be checked against it.",
     source="ipt-plan",
     bad="""
plan "Ms. A: caregiving conflict with her sister"
  protocol "clinic/our-ipt.toml"      # the file has: sessions = 16
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
  protocol "clinic/our-ipt.toml"      # the file has: sessions = [16, 16]
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
""")(None)

rule(codes.UNUSED_SUPPRESSION, "unused-suppression", WARNING,
     "a suppression comment that suppresses nothing",
     rationale="`# ipt-plan: ignore[CODE]` silences one rule on its line, and "
               "`# ipt-plan: ignore-file[CODE]` in the whole plan. Once the plan is fixed, or "
               "when the code is mistyped, the comment hides nothing and only misleads the "
               "next reader.",
     source="ipt-plan",
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
    interpersonal_inventory   # ipt-plan: ignore[IPT303]
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
  session 8 "Her mother moves in with the family"
    interpersonal_inventory   # ipt-plan: ignore[IPT303]

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""")(None)

rule(codes.BAD_CONFIG, "bad-config", ERROR, "a configuration file that cannot be used",
     rationale="Settings come from [tool.ipt-plan] in pyproject.toml or from ipt-plan.toml, "
               "the nearest one above the plan. A setting ipt-plan does not know, or a rule "
               "code that does not exist, is reported rather than silently ignored.",
     source="ipt-plan",
     bad='[tool.ipt-plan]\nignore = ["IPT16"]\nseverity = { IPT303 = "fatal" }',
     good='[tool.ipt-plan]\nignore = ["IPT106"]\nseverity = { IPT303 = "error" }')(None)

rule(codes.INTERNAL_ERROR, "internal-error", ERROR, "ipt-plan itself failed on this file",
     rationale="This is a bug in ipt-plan, never a problem with the plan: a rule, or a stage "
               "before the rules, failed on this file. When a rule failed, the message names "
               "it and the other rules' findings are still reported. Please report it, with "
               "the plan if you can share it.",
     source="ipt-plan",
     bad="(no plan should cause it: any plan that does shows a bug to fix in ipt-plan)",
     good="(every plan, whatever its mistakes)")(None)


# --- names ---------------------------------------------------------------------------------

@rule(codes.UNKNOWN_NAME, "unknown-name", ERROR,
      "unknown technique, focus, area, stage, phase, protocol, measure or participant",
      rationale="Names must be ones ipt-plan knows so that the rules and agendas can use "
                "them: techniques from the catalogue (`ipt-plan techniques`), foci defined "
                "in this plan, the four problem areas, the stages of a role dispute, the "
                "phases, the protocol profiles, the rating scales and who may join a session "
                "(`with parent`: the catalogue's participants, and a clinic's own).",
      source="Catalogue: Klerman et al. 1984; Weissman, Markowitz & Klerman 2000, ch. 10",
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
    communication_analysis for sister
  session 6
    decision_analyis for sistr      # two misspelt names
  session 7 "Joint session" with famly   # and a third
    communication_analysis for sister

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
    communication_analysis for sister
  session 6
    decision_analysis for sister
  session 7 "Joint session" with family
    communication_analysis for sister

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
""",
      uses_profile=False)
def unknown_names(ctx: Context) -> Iterator[Finding]:
    cat, plan = ctx.catalogue, ctx.plan
    focus_ids = [f.id.text for f in plan.foci]

    def unknown(message: str, word: Word, options, otherwise: str) -> Finding:
        """A name that is none of `options`, with "did you mean" and its fix where one is close."""
        hint, fixes = suggest(word, options, otherwise)
        return Finding(message, word.loc, hint, fixes=fixes)

    for focus in plan.foci:
        if focus.area.text not in cat.areas:
            yield unknown(f"'{focus.area.text}' is not a problem area", focus.area, cat.areas,
                          "the areas are: " + ", ".join(cat.areas))
        area = cat.areas.get(focus.area.text)
        if area and area.stages:
            # Every stage line: the stage at the start and each later change.
            for stage in focus.stages:
                if stage.name.text not in area.stages:
                    yield unknown(f"'{stage.name.text}' is not a stage of a {area.label.lower()}",
                                  stage.name, area.stages,
                                  "the stages are: " + ", ".join(area.stages))
    for phase in plan.phases:
        if phase.kind not in PHASE_ORDER:
            # A word the catalogue knows for a phase (an alias) names that phase exactly.
            alias = next((info.name for info in cat.phases.values()
                          if phase.kind.lower() in info.aliases), None)
            yield unknown(f"'{phase.kind}' is not a phase",
                          phase.name._replace(text=alias or phase.kind), PHASE_ORDER,
                          "the phases are: " + ", ".join(PHASE_ORDER))
    for measure in plan.measures:
        if measure.name.text not in cat.measures:
            yield unknown(f"'{measure.name.text}' is not a rating scale ipt-plan knows",
                          measure.name, cat.measures, "the scales are: " + ", ".join(cat.measures))
    known = cat.participants
    for phase in plan.phases:
        for session in phase.sessions:
            for word in session.participants:
                if word.text not in known:
                    yield unknown(f"'{word.text}' is not a participant ipt-plan knows", word,
                                  known, "the participants are: " + ", ".join(known)
                                  + " (a clinic adds its own in a catalogue.toml in its "
                                  "protocol folder)")
    for activity, _, _ in ctx.activities():
        if activity.kind == "technique" and activity.name.text not in cat.techniques:
            yield unknown(f"'{activity.name.text}' is not a technique ipt-plan knows",
                          activity.name, cat.techniques, "`ipt-plan techniques` lists them")
        for word in activity.foci:
            if word.text not in focus_ids and word.text not in ctx.unread_foci:
                yield unknown(f"there is no focus called '{word.text}'", word, focus_ids,
                              "the foci are: " + ", ".join(focus_ids) if focus_ids
                              else 'define it first: focus sister: role_dispute "..."')


# --- the blanks of a new plan ---------------------------------------------------------------

# What each blank is for, as its message names it, and what to write there.
BLANK_WHAT = {
    "title": ("the plan's title", 'the client\'s initials and the problem: plan "Ms. A: '
              'caregiving conflict with her sister"'),
    "client": ("the client", "the client's ID in your records: client A-0142"),
    "clinician": ("the clinician", 'your name: clinician "Dr. R. Moreno"'),
    "diagnosis": ("the diagnosis", 'the diagnosis: diagnosis "Major depressive disorder, single '
                  'episode, moderate"'),
    "description": ("the focus's description", "the problem in a few words, as you would tell "
                    'a colleague: "Sister Anna directs the care of their mother"'),
    "goal": ("the goal", 'the goal in the patient\'s words: goal "Agree a fair rota for '
             'mother\'s appointments"'),
    "homework": ("the homework", "what the patient will try before the next session: "
                 'homework "Write down each request Anna makes this week"'),
}


@rule(codes.BLANK_TEXT, "blank-text", WARNING,
      "a text in brackets that `ipt-plan new` wrote for you to replace",
      rationale="`ipt-plan new` writes a whole plan, with texts in brackets where only the "
                "clinician can write: the client, your name, the diagnosis, what each focus "
                "is about, the goals and the homework. Until they are replaced, the plan is "
                "not this patient's, and its agendas would print \"(your name)\". Each is "
                "said once, where it is, until it is replaced.",
      source="ipt-plan",
      bad=A_CLEAN_COURSE.replace("  protocol ipt\n",
                                 f'  protocol ipt\n  clinician "{BLANKS["clinician"]}"\n'),
      good=A_CLEAN_COURSE, uses_profile=False)
def blank_texts(ctx: Context) -> Iterator[Finding]:
    plan = ctx.plan
    header = [("title", plan.title, plan.loc), ("client", plan.client, plan.line_of("client")),
              ("clinician", plan.clinician, plan.line_of("clinician")),
              ("diagnosis", plan.diagnosis, plan.line_of("diagnosis"))]
    texts: list[tuple[str, str | None, Loc | None]] = list(header)
    for focus in plan.foci:
        texts.append(("description", focus.description, focus.description_at or focus.loc))
        texts.extend(("goal", goal.text, goal.loc) for goal in focus.goals)
    for activity, _, _ in ctx.activities():
        if activity.kind == "homework":
            texts.append(("homework", activity.detail, activity.detail_at or activity.loc))
    for kind, text, loc in texts:
        if is_blank(text, kind):
            what, write = BLANK_WHAT[kind]
            yield Finding(f"{what} is still the text in brackets that `ipt-plan new` wrote for "
                          "you to replace", loc, f"write {write}")

