"""Fifth stage: the rules. Each rule is registered here once, with its code, default
severity, one-line summary, the rationale and source a clinician can check, and a failing
and a passing example. `ipt-plan rules` and `ipt-plan explain` read this registry.

A check is a plain function over a `Context` (the plan, its graph, the protocol profile
and the catalogue) that yields `Finding`s; the runner stamps them with the rule's code
and severity. Codes: IPT0xx the file and its language, IPT1xx the course's structure,
IPT2xx the problem areas, IPT3xx the tasks of each phase.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Iterable, Iterator, NamedTuple

from .diagnostics import Diagnostic, Severity
from .graph import activity_node, nodes_of
from .knowledge import Catalogue, Profile
from .model import PHASE_ORDER, Activity, Loc, Plan
from .wording import plural
from .schedule import course_weeks, session_dates, slots


class Finding(NamedTuple):
    message: str
    loc: Loc | None
    hint: str | None = None


@dataclass
class Context:
    plan: Plan
    profile: Profile
    catalogue: Catalogue

    @cached_property
    def graph(self):
        return self.plan.graph

    @cached_property
    def dates(self):
        return session_dates(self.plan)

    @property
    def protocol(self) -> str:
        return f"the {self.profile.name} protocol"

    def phases_of(self, *kinds: str):
        return [ph for ph in self.plan.phases if ph.kind in kinds]

    @cached_property
    def _activities(self) -> list[tuple[Activity, int, str]]:
        nodes = self.graph.nodes
        return [(nodes[n]["obj"], nodes[n]["first_session"], nodes[n]["phase"])
                for n in nodes_of(self.graph, "activity")]

    def activities(self, *phase_kinds: str) -> list[tuple[Activity, int, str]]:
        """(activity, first session it falls in, phase) for every activity line."""
        if not phase_kinds:
            return self._activities
        return [item for item in self._activities if item[2] in phase_kinds]

    def foci_of(self, activity: Activity) -> list[str]:
        """The ids of the foci an activity addresses (its `addresses` edges)."""
        return self.graph.nodes[activity_node(activity)]["foci"]


Check = Callable[[Context], Iterable[Finding]]


class Rule(NamedTuple):
    code: str
    name: str
    severity: Severity
    summary: str
    rationale: str
    source: str
    bad_example: str
    good_example: str
    check: Check | None = None
    uses_profile: bool = True  # False: still runs when the plan's protocol is unusable


RULES: dict[str, Rule] = {}


def rule(code: str, name: str, severity: Severity, summary: str, *, rationale: str,
         source: str, bad: str, good: str, uses_profile: bool = True):
    """Register a rule; used bare (no function) for findings made by earlier stages."""
    def register(check: Check | None) -> Check | None:
        RULES[code] = Rule(code, name, severity, summary, rationale.strip(), source, bad.strip(),
                           good.strip(), check, uses_profile)
        return check
    return register


def _did_you_mean(word: str, options: Iterable[str]) -> str | None:
    by_lower = {option.lower(): option for option in options}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f"did you mean '{by_lower[close[0]]}'?" if close else None


def _span(low: int, high: int) -> str:
    if low == high:
        return str(low)
    return f"{low} or {high}" if high == low + 1 else f"{low} to {high}"


def _and(words: list[str], joiner: str = "and") -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {joiner} " + words[-1]


E, W = Severity.ERROR, Severity.WARNING

# --- stages before the rules ------------------------------------------------------------

rule("IPT000", "unreadable-file", E, "the file cannot be read as a plan",
     rationale="A plan is a UTF-8 text file. Binary files, other encodings, folders and "
               "files too large to be a plan are reported instead of being guessed at.",
     source="ipt-plan", bad="(a .docx or .pdf saved with the .iptplan ending)",
     good='plan "Ms. A: caregiving conflict with her sister"')(None)

rule("IPT001", "syntax", E, "a line that is not written the way the language expects",
     rationale="Each line is one statement that starts with its keyword (plan, focus, "
               "phase, session...) or a technique's name. The message says what was "
               "expected, and the hint shows a correct line of the same kind.",
     source="ipt-plan language reference (README)",
     bad='phase middle sessions 9-4\nsesion 5 "Role play"',
     good='phase middle sessions 4-9\nsession 5 "Role play"')(None)

rule("IPT003", "defined-twice", E, "something defined twice (focus, session, phase, header)",
     rationale="A focus name, a session number, a phase and each header line may appear "
               "once; a second one is almost always a copy-and-paste slip, and ipt-plan "
               "cannot know which one you meant.",
     source="ipt-plan", bad="session 5\n  role_play for sister\nsession 5\n  goal_review",
     good="session 5\n  role_play for sister\n  goal_review")(None)

rule("IPT004", "bad-profile", E, "a protocol profile file that cannot be used",
     rationale="A clinic's own protocol profile is a TOML file like the built-in ones "
               "(`ipt-plan protocols` lists them). When it is missing a field or a field "
               "has the wrong shape, the plan cannot be checked against it.",
     source="ipt-plan", bad='protocol "clinic/our-ipt.toml"   # file has sessions = 16',
     good='protocol "clinic/our-ipt.toml"   # file has sessions = [16, 16]')(None)


rule("IPT005", "unused-suppression", W, "a suppression comment that suppresses nothing",
     rationale="`# ipt-plan: ignore[CODE]` silences one rule on its line, and "
               "`# ipt-plan: ignore-file[CODE]` in the whole plan. Once the plan is fixed, or "
               "when the code is mistyped, the comment hides nothing and only misleads the "
               "next reader.",
     source="ipt-plan", bad="  session 2\n    goal_review   # ipt-plan: ignore[IPT303]",
     good="  session 6\n    interpersonal_inventory   # ipt-plan: ignore[IPT303]")(None)

rule("IPT006", "bad-config", E, "a configuration file that cannot be used",
     rationale="Settings come from [tool.ipt-plan] in pyproject.toml or from ipt-plan.toml, "
               "the nearest one above the plan. A setting ipt-plan does not know, or a rule "
               "code that does not exist, is reported rather than silently ignored.",
     source="ipt-plan", bad='[tool.ipt-plan]\nignore = ["IPT16"]\nseverity = { IPT303 = "fatal" }',
     good='[tool.ipt-plan]\nignore = ["IPT106"]\nseverity = { IPT303 = "error" }')(None)


@rule("IPT002", "unknown-name", E,
      "unknown technique, focus, area, stage, phase, protocol or measure",
      rationale="Names must be ones ipt-plan knows so that the rules and agendas can use "
                "them: techniques from the catalogue (`ipt-plan techniques`), foci defined "
                "in this plan, the four problem areas, the stages of a role dispute, the "
                "phases, the protocol profiles and the rating scales.",
      source="Catalogue: Klerman et al. 1984; Weissman, Markowitz & Klerman 2000, ch. 10",
      bad="session 4\n  comunication_analysis for sistr",
      good="session 4\n  communication_analysis for sister",
      uses_profile=False)
def unknown_names(ctx: Context) -> Iterator[Finding]:
    cat, plan = ctx.catalogue, ctx.plan
    focus_ids = [f.id.text for f in plan.foci]
    for focus in plan.foci:
        if focus.area.text not in cat.areas:
            yield Finding(f"'{focus.area.text}' is not a problem area", focus.area.loc,
                          _did_you_mean(focus.area.text, cat.areas)
                          or "the areas are: " + ", ".join(cat.areas))
        area = cat.areas.get(focus.area.text)
        if focus.stage and area and area.stages and focus.stage.text not in area.stages:
            yield Finding(f"'{focus.stage.text}' is not a stage of a {area.label.lower()}",
                          focus.stage.loc, _did_you_mean(focus.stage.text, area.stages)
                          or "the stages are: " + ", ".join(area.stages))
    for phase in plan.phases:
        if phase.kind not in PHASE_ORDER:
            alias = next((info.name for info in cat.phases.values()
                          if phase.kind.lower() in info.aliases), None)
            yield Finding(f"'{phase.kind}' is not a phase", phase.name.loc,
                          (f"did you mean '{alias}'?" if alias else None)
                          or _did_you_mean(phase.kind, PHASE_ORDER)
                          or "the phases are: " + ", ".join(PHASE_ORDER))
    for measure in plan.measures:
        if measure.name.text not in cat.measures:
            yield Finding(f"'{measure.name.text}' is not a rating scale ipt-plan knows",
                          measure.name.loc, _did_you_mean(measure.name.text, cat.measures)
                          or "the scales are: " + ", ".join(cat.measures))
    for activity, _, _ in ctx.activities():
        if activity.kind == "technique" and activity.name.text not in cat.techniques:
            yield Finding(f"'{activity.name.text}' is not a technique ipt-plan knows",
                          activity.name.loc, _did_you_mean(activity.name.text, cat.techniques)
                          or "`ipt-plan techniques` lists them")
        for word in activity.foci:
            if word.text not in focus_ids:
                yield Finding(f"there is no focus called '{word.text}'", word.loc,
                              _did_you_mean(word.text, focus_ids)
                              or ("the foci are: " + ", ".join(focus_ids) if focus_ids
                                  else "define it first: " + 'focus sister: role_dispute "..."'))


# --- the course ---------------------------------------------------------------------------

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
            else:  # maintenance
                length = profile.sessions[0] - end
            length = max(length, 1)
            lines.append(f"phase {kind} sessions {end + 1}-{end + length}")
            end += length
    return lines


@rule("IPT101", "phase-order", E, "phases missing, not allowed, or out of order",
      rationale="IPT runs in three phases, in order: initial, middle and termination "
                "(with a pre-treatment session before and a maintenance phase after where a "
                "protocol has them). Each phase has its own tasks, so a missing or "
                "misplaced phase means missing tasks.",
      source="Weissman, Markowitz & Klerman 2000; protocol profiles",
      bad="phase initial sessions 1-3\nphase termination sessions 4-6\nphase middle sessions 7-16",
      good="phase initial sessions 1-3\nphase middle sessions 4-13\nphase termination sessions 14-16")
def phase_order(ctx: Context) -> Iterator[Finding]:
    profile, plan = ctx.profile, ctx.plan
    allowed = profile.phases + profile.optional_phases
    present = [ph.kind for ph in plan.phases]
    missing = [kind for kind in profile.phases if kind not in present]
    if missing:
        where = plan.phases[-1].loc if plan.phases else plan.loc
        yield Finding(f"this plan has no {_and(missing, 'or')} phase; {ctx.protocol} needs "
                      f"{_and(list(profile.phases))}", where,
                      "add " + ("it" if len(missing) == 1 else "them") + ", like: "
                      + "; ".join(_phase_examples(missing, profile, plan)))
    known = [ph for ph in plan.phases if ph.kind in PHASE_ORDER]
    for phase in known:
        if phase.kind not in allowed:
            yield Finding(f"{ctx.protocol} has no {phase.kind} phase", phase.name.loc,
                          f"its phases are {_and(list(allowed))}; is `protocol` right?")
    order = profile.phase_order
    latest = None
    for phase in (ph for ph in known if ph.kind in order):
        if latest and latest.kind == "termination":
            continue  # what follows the ending is IPT105's to report
        if latest and order.index(phase.kind) < order.index(latest.kind):
            yield Finding(f"the {phase.kind} phase comes after the {latest.kind} phase",
                          phase.name.loc, "phases go in this order: " + ", ".join(
                              k for k in order if k in allowed))
        else:
            latest = phase


@rule("IPT102", "session-numbering", E, "session numbers with gaps, overlaps or outside their phase",
      rationale="The phases' session ranges together make the course: they start at "
                "session 1 (0 for a pre-treatment session) and follow on without gaps or "
                "overlaps, and each written session lies in its phase's range. The agendas "
                "and the 'sessions remain' count depend on it.",
      source="ipt-plan; Weissman, Markowitz & Klerman 2000 (a fixed number of sessions)",
      bad="phase initial sessions 1-3\nphase middle sessions 5-13\n  session 14",
      good="phase initial sessions 1-3\nphase middle sessions 4-13\n  session 13",
      uses_profile=False)
def session_numbering(ctx: Context) -> Iterator[Finding]:
    expected = None
    # In order of their sessions: phases written in the wrong order are IPT101's to report.
    for phase in sorted(ctx.plan.phases, key=lambda ph: (ph.first, ph.last)):
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
            yield Finding(f"{'session' if phase.first - expected == 1 else 'sessions'} "
                          f"{_span(expected, phase.first - 1).replace(' to ', '-')} "
                          f"{'belongs' if phase.first - expected == 1 else 'belong'} to no phase",
                          phase.loc, f"start the {phase.kind} phase at session {expected}")
        elif phase.first < expected and phase.first > 0:
            yield Finding(f"the {phase.kind} phase starts at session {phase.first}, which "
                          "is already in the phase before it", phase.loc,
                          f"start it at session {expected}")
        expected = max(expected, phase.last + 1)
        for session in phase.sessions:
            if session.number not in phase.numbers and session.loc:
                yield Finding(f"session {session.number} is outside the {phase.kind} phase's "
                              f"sessions {phase.first}-{phase.last}", session.loc,
                              "move it under the phase it belongs to, or widen the phase's range")


def _course_numbers(plan: Plan) -> set[int]:
    return {s.number for ph in plan.phases if ph.kind != "pretreatment" for s in ph.course()}


@rule("IPT103", "session-count", E, "total sessions outside the protocol's range",
      rationale="IPT is time-limited: the number of sessions is part of the treatment "
                "contract, and each protocol was tested with a set number.",
      source="protocol profile (ipt: 12-16, Weissman, Markowitz & Klerman 2000)",
      bad="protocol ipt\nphase initial sessions 1-3\nphase middle sessions 4-17\n"
          "phase termination sessions 18-20",
      good="protocol ipt\nphase initial sessions 1-3\nphase middle sessions 4-13\n"
           "phase termination sessions 14-16")
def session_count(ctx: Context) -> Iterator[Finding]:
    if not ctx.plan.phases:
        return
    count = len(_course_numbers(ctx.plan))
    low, high = ctx.profile.sessions
    if not low <= count <= high:
        yield Finding(f"this plan has {plural(count, 'session')}; {ctx.protocol} has "
                      f"{_span(low, high)}", ctx.plan.phases[-1].loc,
                      f"fit the course into {_span(low, high)} sessions, or choose the "
                      "protocol that matches it (`ipt-plan protocols`)")


def _phase_length_rule(kind: str, bounds: Callable[[Profile], tuple[int, int]]) -> Check:
    def check(ctx: Context) -> Iterator[Finding]:
        low, high = bounds(ctx.profile)
        for phase in ctx.phases_of(kind):
            length = len(phase.numbers)
            if not low <= length <= high:
                yield Finding(f"the {kind} phase has {plural(length, 'session')}; {ctx.protocol} "
                              f"gives it {_span(low, high)}", phase.loc,
                              f"make it {_span(low, high)} sessions long")
    return check


rule("IPT104", "initial-length", E, "initial phase length outside the protocol's range",
     rationale="The initial phase (diagnosis, inventory, formulation, contract) is kept "
               "short so that most of the course works on the problem area: US manuals say "
               "no more than three sessions, UK practice up to four.",
     source="protocol profile (ipt: 1-3, Weissman, Markowitz & Klerman 2000; ipt-uk: 1-4, IPT UK)",
     bad="protocol ipt\nphase initial sessions 1-5",
     good="protocol ipt\nphase initial sessions 1-3")(
    _phase_length_rule("initial", lambda p: p.initial_sessions))


@rule("IPT105", "termination-phase", E,
      "termination phase length outside the protocol's range, or not last",
      rationale="Termination takes the last 2-4 sessions: time to grieve the ending, "
                "consolidate gains and plan for relapse. Only a maintenance phase may follow it "
                "(and in maintenance IPT, the ending comes after maintenance).",
      source="protocol profile (ipt: 2-4, Weissman, Markowitz & Klerman 2000)",
      bad="phase termination sessions 16-16",
      good="phase termination sessions 14-16")
def termination_phase(ctx: Context) -> Iterator[Finding]:
    yield from _phase_length_rule("termination", lambda p: p.termination_sessions)(ctx)
    order = ctx.profile.phase_order
    may_follow = order[order.index("termination") + 1:] if "termination" in order else ()
    known = [ph for ph in ctx.plan.phases if ph.kind in PHASE_ORDER]
    for index, phase in enumerate(known):
        later = [ph.kind for ph in known[index + 1:]
                 if ph.kind not in may_follow and ph.kind != "termination"]
        if phase.kind == "termination" and later:
            yield Finding(f"the termination phase is followed by the {later[0]} phase",
                          phase.name.loc, "make the termination phase the last phase of the course")


@rule("IPT106", "schedule", W,
      "schedule: cadence or length the protocol does not use, course too long, a skip that misses",
      rationale="Each protocol was tested at a set cadence and session length, and a course "
                "that stretches over many more weeks than planned loses IPT's time limit. A "
                "`skip` date on which no session falls is usually a typo.",
      source="protocol profile (ipt: weekly, 45-50 min; Weissman, Markowitz & Klerman 2000)",
      bad="protocol ipt\nschedule monthly from 2026-12-07 at 10:00 for 50 min\nskip 2026-12-29",
      good="protocol ipt\nschedule weekly from 2026-12-07 at 10:00 for 50 min\nskip 2026-12-28")
def schedule_fit(ctx: Context) -> Iterator[Finding]:
    schedule, profile = ctx.plan.schedule, ctx.profile
    if schedule is None:
        return
    if schedule.cadence not in profile.cadences:
        yield Finding(f"{ctx.protocol} meets {_and([c.replace('_', ' ') for c in profile.cadences], 'or')}, "
                      f"not {schedule.label}", schedule.loc,
                      "change the cadence, or choose the protocol that matches it")
    if profile.minutes and schedule.minutes and not (
            profile.minutes[0] <= schedule.minutes <= profile.minutes[1]):
        yield Finding(f"{ctx.protocol} has sessions of {_span(*profile.minutes)} minutes, "
                      f"not {schedule.minutes}", schedule.loc,
                      f"write: for {profile.minutes[1]} min")
    dates = ctx.dates
    weeks = course_weeks(dates)
    if profile.max_weeks and weeks > profile.max_weeks:
        yield Finding(f"the course spans {weeks} weeks; {ctx.protocol} fits in "
                      f"{profile.max_weeks}", schedule.loc,
                      "meet more often, skip fewer dates, or shorten the course")
    if dates and schedule.start:
        last = max(dates.values()).date()
        offered = set()
        for day in slots(schedule):
            if day > last:
                break
            offered.add(day)
        for skip in ctx.plan.skips:
            if skip.date not in offered:
                before = max((d for d in offered if d < skip.date), default=None)
                after = min((d for d in offered if d > skip.date), default=None)
                near = [f"{d.strftime('%a')} {d.isoformat()}" for d in (before, after) if d]
                yield Finding(f"no session falls on {skip.date.isoformat()}, so this skip "
                              "changes nothing", skip.loc,
                              "the nearest session dates are " + _and(near)
                              if near else "the date is outside the course; check it")


# --- problem areas ---------------------------------------------------------------------

@rule("IPT201", "focus-count", E, "number of foci outside the protocol's range",
      rationale="IPT works on one, at most two, current interpersonal problems; more "
                "dilutes a short course. Brief IPT keeps to one manageable focus.",
      source="Weissman, Markowitz & Klerman 2000; Swartz, Grote & Graham 2014 (ipt-brief)",
      bad='focus a: grief "..."\nfocus b: role_dispute "..."\nfocus c: role_transition "..."',
      good='focus a: grief "..."\nfocus b: role_dispute "..."')
def focus_count(ctx: Context) -> Iterator[Finding]:
    low, high = ctx.profile.foci
    count = len(ctx.plan.foci)
    if count < low:
        has = "no focus" if count == 0 else f"{count} {'focus' if count == 1 else 'foci'}"
        yield Finding(f"this plan has {has}; {ctx.protocol} works on {_span(low, high)}",
                      ctx.plan.loc, 'add one under the header, like: focus sister: '
                      'role_dispute "Sister Anna directs the care of their mother"')
    elif count > high:
        yield Finding(f"this plan has {count} foci; {ctx.protocol} works on at most {high}",
                      ctx.plan.foci[high].loc, "choose the problem areas most linked to the "
                      "current episode and drop the others")


@rule("IPT202", "deficits-with-another", W, "interpersonal_deficits together with another focus",
      rationale="Interpersonal deficits is the area of last resort, chosen only when no "
                "grief, dispute or transition fits; alongside another area, the other one is "
                "usually the better focus.",
      source="Weissman, Markowitz & Klerman 2000",
      bad='focus a: role_dispute "..."\nfocus b: interpersonal_deficits "..."',
      good='focus a: role_dispute "..."',
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


@rule("IPT203", "focus-not-worked", E, "a focus that no middle-phase session works on",
      rationale="The middle phase is where the chosen problem areas are worked on; a focus "
                "that no session addresses is a promise in the contract the plan does not keep.",
      source="Weissman, Markowitz & Klerman 2000",
      bad='focus retirement: role_transition "..."\nphase middle sessions 4-13\n  session 4\n    goal_review',
      good='focus retirement: role_transition "..."\nphase middle sessions 4-13\n  session 4\n    mourn_old_role for retirement',
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
            yield Finding(f"no {working[0]}-phase session works on the focus '{focus.id.text}'",
                          focus.id.loc, f"add a technique for it to a {working[0]} session, "
                          f"like: {example} for {focus.id.text}")


@rule("IPT204", "focus-detail", E, "a focus missing required detail (goals; a dispute's stage)",
      rationale="A role dispute's stage (renegotiation, impasse, dissolution) decides the plan "
                "of action, and every focus needs at least one goal to review progress against.",
      source="Weissman, Markowitz & Klerman 2000",
      bad='focus sister: role_dispute "Sister Anna directs the care of their mother"',
      good='focus sister: role_dispute "Sister Anna directs the care of their mother"\n'
           '  stage renegotiation\n  goal "Agree a fair rota for appointments"',
      uses_profile=False)
def focus_detail(ctx: Context) -> Iterator[Finding]:
    for focus in ctx.plan.foci:
        area = ctx.catalogue.areas.get(focus.area.text)
        if area and area.stages and focus.stage is None:
            yield Finding(f"the {area.label.lower()} '{focus.id.text}' has no stage",
                          focus.id.loc, f"add a line under it: stage {area.stages[0]} "
                          f"(or {_and(list(area.stages[1:]), 'or')})")
        if area and not area.stages and focus.stage is not None:
            yield Finding(f"only a role dispute has a stage; '{focus.id.text}' is a "
                          f"{area.label.lower()}", focus.stage.loc, "remove the stage line")
        if not focus.goals:
            example = area.goals[0] if area else "what the patient wants to change"
            yield Finding(f"the focus '{focus.id.text}' has no goal", focus.id.loc,
                          f'add one under it, in the patient\'s words: goal "..." '
                          f"(for this area, goals are about: {example})")


@rule("IPT205", "technique-for-other-area", E,
      "an area-specific technique used for a focus of another area",
      rationale="The strategies of each problem area are specific to it: mourning belongs to "
                "grief, renegotiating expectations to a dispute, the old and new roles to a "
                "transition.",
      source="Weissman, Markowitz & Klerman 2000; Klerman et al. 1984",
      bad='focus sister: role_dispute "..."\n...\n    mourn_old_role for sister',
      good='focus sister: role_dispute "..."\n...\n    explore_expectations for sister',
      uses_profile=False)
def technique_for_other_area(ctx: Context) -> Iterator[Finding]:
    cat = ctx.catalogue
    for activity, _, _ in ctx.activities():
        technique = cat.techniques.get(activity.name.text)
        if technique is None or not technique.area:
            continue
        label = cat.areas[technique.area].label.lower()
        if not activity.foci and not ctx.foci_of(activity):
            yield Finding(f"{technique.name} is a {label} technique, and this plan has no "
                          f"{label} focus", activity.name.loc,
                          "use a technique of one of the plan's problem areas")
        for word in activity.foci:
            focus = ctx.plan.focus(word.text)
            if focus is None or focus.area.text == technique.area or focus.area.text not in cat.areas:
                continue
            other = cat.areas[focus.area.text]
            options = [t.name for t in cat.techniques.values() if t.area == other.name]
            yield Finding(f"{technique.name} is a {label} technique, but '{word.text}' is a "
                          f"{other.label.lower()}", word.loc,
                          f"for a {other.label.lower()} use {_and(options, 'or')}")


@rule("IPT206", "area-not-in-protocol", E, "a problem area the protocol does not allow",
      rationale="Some adaptations were built and tested for some problem areas only: IPT "
                "for PTSD works on grief, role disputes and role transitions.",
      source="protocol profile (ipt-ptsd: Markowitz et al. 2015)",
      bad='protocol ipt-ptsd\nfocus alone: interpersonal_deficits "..."',
      good='protocol ipt-ptsd\nfocus move: role_transition "..."')
def area_not_in_protocol(ctx: Context) -> Iterator[Finding]:
    for focus in ctx.plan.foci:
        if focus.area.text in ctx.catalogue.areas and focus.area.text not in ctx.profile.areas:
            yield Finding(f"{ctx.protocol} does not work on {focus.area.text}", focus.area.loc,
                          f"it works on {_and(list(ctx.profile.areas), 'or')}")


# --- tasks of the phases ------------------------------------------------------------------

@rule("IPT301", "initial-tasks", E,
      "initial phase lacks a required task (inventory, a formulation covering every focus, contract)",
      rationale="The initial phase ends with the interpersonal inventory taken, an "
                "interpersonal formulation that links the depression to each chosen problem "
                "area, and a treatment contract: without them the middle phase has no agreed focus.",
      source="Weissman, Markowitz & Klerman 2000; protocol profile",
      bad='phase initial sessions 1-3\n  session 3\n    formulation for sister',
      good='phase initial sessions 1-3\n  session 2\n    interpersonal_inventory\n'
           '  session 3\n    formulation for sister, retirement\n    treatment_contract')
def initial_tasks(ctx: Context) -> Iterator[Finding]:
    initial = ctx.phases_of("initial")
    if not initial:
        return
    done: dict[str, set[str]] = {}
    for activity, _, _ in ctx.activities("pretreatment", "initial"):
        done.setdefault(activity.name.text, set()).update(ctx.foci_of(activity))
    for task in ctx.profile.initial_tasks:
        if task not in done:
            yield Finding(f"the initial phase has no {task}", initial[0].name.loc,
                          f"add it to a session of the initial phase: {task}"
                          + (" for " + ", ".join(f.id.text for f in ctx.plan.foci)
                             if task == "formulation" and ctx.plan.foci else ""))
        elif task == "formulation":
            missing = [f.id.text for f in ctx.plan.foci if f.id.text not in done[task]]
            if missing:
                yield Finding(f"the formulation does not cover the focus "
                              f"{_and([repr(m) for m in missing])}", initial[0].name.loc,
                              "name every focus: formulation for "
                              + ", ".join(f.id.text for f in ctx.plan.foci))


@rule("IPT302", "termination-tasks", E,
      "termination phase lacks a required task (termination_discussion, relapse_prevention)",
      rationale="Termination is explicit: the ending and its feelings are discussed, and "
                "the patient leaves with a plan for the warning signs of a new episode.",
      source="Weissman, Markowitz & Klerman 2000; protocol profile",
      bad='phase termination sessions 14-16\n  session 16\n    recognize_competence',
      good='phase termination sessions 14-16\n  session 14\n    termination_discussion\n'
           '  session 16\n    relapse_prevention')
def termination_tasks(ctx: Context) -> Iterator[Finding]:
    termination = ctx.phases_of("termination")
    if not termination:
        return
    done = {a.name.text for a, _, _ in ctx.activities("termination")}
    for task in ctx.profile.termination_tasks:
        if task not in done:
            yield Finding(f"the termination phase has no {task}", termination[0].name.loc,
                          f"add it to a session of the termination phase: {task}")


@rule("IPT303", "technique-phase", W, "a technique outside the phases where it belongs",
      rationale="Tasks are tied to phases: the inventory, formulation and contract belong "
                "to the initial phase, the relapse plan to termination. Out of place, they "
                "usually mean a task was forgotten in its own phase.",
      source="Weissman, Markowitz & Klerman 2000, ch. 10; catalogue",
      bad="phase middle sessions 4-13\n  session 6\n    interpersonal_inventory",
      good="phase initial sessions 1-3\n  session 2\n    interpersonal_inventory",
      uses_profile=False)
def technique_phase(ctx: Context) -> Iterator[Finding]:
    for activity, _, phase in ctx.activities():
        technique = ctx.catalogue.techniques.get(activity.name.text)
        if technique and phase in PHASE_ORDER and phase not in technique.phases:
            yield Finding(f"{technique.name} belongs to the "
                          f"{_and(list(technique.phases), 'or')} phase, not the {phase} phase",
                          activity.name.loc, "move it to a session of a phase where it belongs")


@rule("IPT304", "prerequisite", W,
      "a prerequisite not met: role_play for a focus before any analysis of it",
      rationale="Rehearsal follows analysis: role play for a problem normally comes after "
                "a communication analysis or decision analysis of the same problem, so that "
                "the patient rehearses a new way that was worked out first.",
      source="Weissman, Markowitz & Klerman 2000, ch. 10",
      bad="session 5\n  role_play for sister\nsession 6\n  communication_analysis for sister",
      good="session 5\n  communication_analysis for sister\nsession 6\n  role_play for sister",
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
                needed = _and(list(technique.after_any), "or")
                yield Finding(f"{technique.name}{about} comes before any {needed}"
                              f"{' for it' if focus else ''}", activity.name.loc,
                              f"analyse the problem first, in an earlier session: "
                              f"{technique.after_any[0]}{' for ' + focus if focus else ''}")


@rule("IPT305", "forbidden-activity", E, "an activity the protocol forbids",
      rationale="Some adaptations leave out parts of standard practice on purpose: IPT for "
                "PTSD assigns no homework, to keep it distinct from exposure-based therapies.",
      source="protocol profile (ipt-ptsd: Markowitz et al. 2015)",
      bad='protocol ipt-ptsd\n...\n    homework "Write about the day of the accident"',
      good='protocol ipt-ptsd\n...\n    note "Talked about the day of the accident"')
def forbidden_activity(ctx: Context) -> Iterator[Finding]:
    forbidden = ctx.profile.forbidden
    for activity, _, _ in ctx.activities():
        if activity.name.text in forbidden:
            yield Finding(f"{ctx.protocol} does not use {activity.name.text}",
                          activity.name.loc, "remove it; write a note instead if it matters")


@rule("IPT306", "late-ending", W, "the ending first discussed too close to the last session",
      rationale="The end of treatment is raised explicitly and early, at least two to four "
                "sessions before the last, so that the feelings it brings can be worked with.",
      source="Weissman, Markowitz & Klerman 2000; protocol profile (ipt: 2)",
      bad="phase termination sessions 14-16\n  session 16\n    termination_discussion",
      good="phase termination sessions 14-16\n  session 14\n    termination_discussion")
def late_ending(ctx: Context) -> Iterator[Finding]:
    numbers = _course_numbers(ctx.plan)
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


# --- the runner ---------------------------------------------------------------------------

def run(ctx: Context, path: str, profile_usable: bool = True) -> list[Diagnostic]:
    """Every rule over the plan. A rule that fails on an odd plan becomes one more
    diagnostic, so a bug in one rule never hides what the others found."""
    found: list[Diagnostic] = []
    for rule_ in RULES.values():
        if rule_.check is None or (rule_.uses_profile and not profile_usable):
            continue
        try:
            for finding in rule_.check(ctx):
                found.append(Diagnostic.at(rule_.code, rule_.severity, finding.message, path,
                                           finding.loc, finding.hint))
        except Exception as err:  # noqa: BLE001 - reported, never raised
            found.append(Diagnostic.at(
                rule_.code, Severity.ERROR,
                f"ipt-plan could not apply this rule ({type(err).__name__}: {err})", path, None,
                "please report this with the plan that caused it"))
    return found
