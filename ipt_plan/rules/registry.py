"""The rules' registry, the `Context` every check reads, and the runner.

A rule is registered once with `@rule(...)`: its code, name, default severity, one-line
summary, the rationale and source a clinician can check, and a failing and a passing
example, each a whole plan. `ipt-plan rules` and `ipt-plan explain` read the registry, and
the tests run every example. A check is a plain function over a `Context` that yields
`Finding`s; the runner stamps them with the rule's code and severity.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Iterable, NamedTuple

from .. import codes
from ..diagnostics import Diagnostic, Fix, Severity
from ..graph import activity_node, nodes_of
from ..knowledge import Catalogue, Profile
from ..model import PHASE_ORDER, Activity, Loc, Phase, Plan
from ..phrases import Found, find
from ..schedule import Calendar, course_calendar
from ..statements import KEYWORDS, BrokenLine

if TYPE_CHECKING:  # networkx is imported only when the graph is built
    from ..graph import PlanGraph

ERROR, WARNING = Severity.ERROR, Severity.WARNING


class Finding(NamedTuple):
    """What a check found: the message, where (None: the plan as a whole) and a fix, at
    the rule's severity unless the finding says otherwise: a rule whose findings are not
    all as sure (IPT305: a forbidden activity is an error, a word that betrays it in free
    text a warning) gives the lesser ones their own. A configured severity for the code
    still applies to all of them."""

    message: str
    loc: Loc | None
    hint: str | None = None
    severity: Severity | None = None  # None: the rule's
    fixes: tuple[Fix, ...] = ()  # edits that resolve it (an editor's quick fixes)


class PlacedActivity(NamedTuple):
    """An activity line with where it falls in the course."""

    activity: Activity
    first_session: int  # the first session it falls in (an `every session` line: the phase's first)
    phase: str  # the kind of the phase it is written in


@dataclass(frozen=True)
class Context:
    """Everything a check may read: the plan, the protocol profile it is checked against
    (`ipt` when the plan names none), the technique catalogue, the plan's graph (built
    with that catalogue; nodes and edges: see ``ipt_plan.graph``) and the day it is
    checked as on (`today`: the real date unless the caller pins one), with views over
    them that several rules share, computed once per plan."""

    plan: Plan
    profile: Profile
    catalogue: Catalogue
    graph: PlanGraph
    today: dt.date = None  # type: ignore[assignment]  # None: the real date, set below

    # The lines that could not be read (already reported), in order: what the rules do
    # not judge while they are broken (see NOT_JUDGED).
    broken: tuple[BrokenLine, ...] = ()

    def __post_init__(self) -> None:
        if self.today is None:
            object.__setattr__(self, "today", dt.date.today())

    @cached_property
    def unread_foci(self) -> frozenset[str]:
        """The names of foci whose line could not be read: their uses are not unknown."""
        return frozenset(name for st in self.broken for name in st.defines)

    @cached_property
    def calendar(self) -> Calendar:
        """Each session's date and time, and every date the rhythm offered up to the last
        session (skipped ones included), after every schedule line and skip. In a plan
        with a log, held sessions are on their logged dates and the sessions still owed are
        projected from `today` on (`calendar.forecast` keeps the schedule's own dates)."""
        return course_calendar(self.plan, self.today)

    @property
    def dates(self) -> dict[int, dt.datetime]:
        """Each session's date and time, by number; empty without a usable schedule."""
        return self.calendar.dates

    @property
    def protocol(self) -> str:
        """The profile as a message names it: "the ipt protocol"."""
        return f"the {self.profile.name} protocol"

    @cached_property
    def course_numbers(self) -> frozenset[int]:
        """The numbers of the sessions on the course: every phase's range, written out or
        not, but not a pre-treatment session before it nor continuation (booster)
        sessions after it, which the protocol's count and its ending do not include."""
        return frozenset(s.number for ph in self.plan.phases
                         if ph.kind not in ("pretreatment", "continuation")
                         for s in ph.course())

    @cached_property
    def course_cut(self) -> bool:
        """A phase's range was longer than a plan can hold and was cut (the builder said
        so): the course's length is then not the clinician's, and rules do not judge it."""
        return any(ph.cut for ph in self.plan.phases)

    def phases_of(self, *kinds: str) -> list[Phase]:
        """The plan's phases of these kinds, in the order written."""
        return [ph for ph in self.plan.phases if ph.kind in kinds]

    @cached_property
    def acute_phases(self) -> list[Phase]:
        """The phases written, in order, but a continuation phase after the course: where
        a finding about the course as a whole points (the plan's phases if all are)."""
        return [ph for ph in self.plan.phases if ph.kind != "continuation"] or list(self.plan.phases)

    @cached_property
    def _activities(self) -> list[PlacedActivity]:
        nodes = self.graph.nodes
        return [PlacedActivity(nodes[n]["obj"], nodes[n]["first_session"], nodes[n]["phase"])
                for n in nodes_of(self.graph, "activity")]

    def activities(self, *phase_kinds: str) -> list[PlacedActivity]:
        """Every activity line, or those in phases of these kinds, in the order written."""
        if not phase_kinds:
            return self._activities
        return [item for item in self._activities if item.phase in phase_kinds]

    def foci_of(self, activity: Activity) -> list[str]:
        """The ids of the foci an activity addresses, named or implied (`addresses` edges)."""
        return self.graph.nodes[activity_node(activity)]["foci"]

    def words_in(self, text: str | None, phrases: Iterable[str]) -> list[Found]:
        """The words or phrases of a list in one of the plan's texts, whole and whatever
        their case, but where the text says the thing is not done (the catalogue's
        vocabulary: "no exposure")."""
        return find(text, phrases, self.catalogue.vocabulary)

    @cached_property
    def _work(self) -> dict[str, list[PlacedActivity]]:
        work: dict[str, list[PlacedActivity]] = {}
        for item in sorted(self._activities, key=lambda i: (i.first_session, i.activity.loc.line)):
            technique = self.catalogue.techniques.get(item.activity.name.text)
            if technique is not None and "middle" in technique.phases:
                for focus in self.foci_of(item.activity):
                    work.setdefault(focus, []).append(item)
        return work

    def work_on(self, focus_id: str, *phase_kinds: str) -> list[PlacedActivity]:
        """The lines that work on a focus, in session order, or those in phases of these
        kinds: techniques the catalogue places in the middle phase, where a problem is
        worked on, that address the focus. The initial phase's tasks (the formulation,
        the contract) and the ending's (competence, the relapse plan) are not work on it."""
        work = self._work.get(focus_id, [])
        return [item for item in work if item.phase in phase_kinds] if phase_kinds else work


Check = Callable[[Context], Iterable[Finding]]


class Rule(NamedTuple):
    code: str
    name: str
    severity: Severity
    summary: str
    rationale: str
    source: str
    bad_example: str  # a whole plan that raises this rule's code and no other
    good_example: str  # a whole plan that raises nothing
    check: Check | None = None  # None: reported by a stage before the rules
    uses_profile: bool = True  # False: still runs when the plan's protocol is unusable
    # The day the examples are checked as on (`--today`), for rules whose findings depend
    # on it (a log's dates); None: any day
    examples_today: dt.date | None = None

    @property
    def explanation(self) -> str:
        """Why the rule exists, its source, and a failing and a passing example: what
        `ipt-plan explain` prints and an editor links each diagnostic to."""
        indent = lambda text: "\n".join("    " + line for line in text.splitlines())  # noqa: E731
        day = (f"The examples are checked as on {self.examples_today.isoformat()} (ipt-plan "
               f"check --today {self.examples_today.isoformat()}).\n\n"
               if self.examples_today else "")
        return (f"{self.code} ({self.name}), {self.severity.value} by default\n\n"
                f"{self.summary}.\n\nWhy:\n{indent(self.rationale)}\n\nSource: {self.source}"
                f"\n\n{day}Fails:\n{indent(self.bad_example)}\n\nPasses:\n"
                f"{indent(self.good_example)}")


# The passing example of every rule about the course's shape: a whole acute course that
# checks clean. Each rule's own examples are whole plans too (`ipt-plan explain` shows them).
A_CLEAN_COURSE = """
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
    relapse_prevention
"""

RULES: dict[str, Rule] = {}


def rule(code: str, name: str, severity: Severity, summary: str, *, rationale: str,
         source: str, bad: str, good: str, uses_profile: bool = True,
         today: dt.date | None = None) -> Callable[[Check | None], Check | None]:
    """Register a rule; used bare (no function) for findings made by earlier stages.
    `today`: the day its examples are checked as on, where its findings depend on it."""
    def register(check: Check | None) -> Check | None:
        RULES[code] = Rule(code, name, severity, summary, rationale.strip(), source, bad.strip(),
                           good.strip(), check, uses_profile, today)
        return check
    return register


# What the rules do not judge while a line they read is broken (its syntax error is said):
# one mistake gives one message, not a cascade of findings about what the line was to say.
# By the broken line's keyword: the rules about the whole plan that read such lines.
NOT_JUDGED: dict[str, frozenset[str]] = {
    keyword: frozenset(found) for keyword, found in {
        "focus": (codes.FOCUS_COUNT, codes.DEFICITS_WITH_ANOTHER,
                  codes.TECHNIQUE_FOR_OTHER_AREA),
        "phase": (codes.PHASE_ORDER, codes.SESSION_NUMBERING, codes.SESSION_COUNT,
                  codes.INITIAL_LENGTH, codes.TERMINATION_PHASE, codes.SCHEDULE,
                  codes.FOCUS_NOT_WORKED, codes.STAGE_STRATEGY, codes.LATE_NEW_WORK,
                  codes.COURSE_OVERRUN),
        "schedule": (codes.SCHEDULE, codes.CALENDAR_END, codes.COURSE_OVERRUN),
        "skip": (codes.SCHEDULE,),
        "measure": (codes.MEASUREMENT, codes.MISSING_SCORE),
    }.items()}
# The rules about what a focus holds: a broken line under a focus leaves them unable to
# judge that focus (findings placed from its focus line to the next block).
FOCUS_CONTENT = {"stage": frozenset((codes.FOCUS_DETAIL, codes.STAGE_STRATEGY)),
                 "died": frozenset((codes.FOCUS_DETAIL,)),
                 "goal": frozenset((codes.FOCUS_DETAIL,))}
# The rules about what a phase holds. A broken session, `every session` or activity line
# leaves them unable to judge its phase (findings placed from its phase line to the next);
# and, in a phase where foci are worked, the foci (findings placed on a focus).
PHASE_CONTENT = frozenset((codes.FOCUS_NOT_WORKED, codes.STAGE_STRATEGY, codes.INITIAL_TASKS,
                           codes.TERMINATION_TASKS, codes.PREREQUISITE, codes.LATE_ENDING,
                           codes.LATE_NEW_WORK, codes.EXPECTED_PARTICIPANT))
# The rules that read a phase's kind, which an unknown one (IPT002) leaves unread.
PHASE_KIND = frozenset((codes.PHASE_ORDER, codes.INITIAL_LENGTH, codes.TERMINATION_PHASE,
                        codes.INITIAL_TASKS, codes.TERMINATION_TASKS))
FOCUS_WORK = frozenset((codes.FOCUS_NOT_WORKED, codes.STAGE_STRATEGY, codes.LATE_NEW_WORK))


def _judged(ctx: Context) -> Callable[[str, Loc | None], bool]:
    """Whether a finding of a code, at a place, stands, given the plan's broken lines."""
    # A technique the catalogue does not know (IPT002 says it) is as unread as a broken line.
    unknown = [item.activity.loc for item in ctx.activities()
               if item.activity.kind == "technique"
               and item.activity.name.text not in ctx.catalogue.techniques]
    unknown_kind = any(ph.kind not in PHASE_ORDER for ph in ctx.plan.phases)
    if not ctx.broken and not unknown and not unknown_kind:
        return lambda code, loc: True
    hidden = frozenset().union(*(NOT_JUDGED.get(st.keyword, ()) for st in ctx.broken))
    if unknown_kind:
        hidden |= PHASE_KIND  # `phase midle` (IPT002) is not also a missing middle phase
    # The blocks of the plan, by the line each starts on: a focus or a phase (and its kind).
    blocks = sorted([(f.loc.line, "focus") for f in ctx.plan.foci]
                    + [(ph.loc.line, ph.kind) for ph in ctx.plan.phases]
                    + [(st.loc.line, "broken") for st in ctx.broken
                       if st.keyword in ("focus", "phase")])

    def block(line: int) -> tuple[int, str] | None:
        """The block that holds `line`; None: the header."""
        return next((b for b in reversed(blocks) if b[0] <= line), None)

    in_focus = {(block(st.loc.line), code) for st in ctx.broken
                for code in FOCUS_CONTENT.get(st.keyword, ())}
    in_phase = {block(st.loc.line) for st in ctx.broken
                if st.keyword in ("session", "every") or st.keyword not in KEYWORDS}
    in_phase.update(block(loc.line) for loc in unknown)
    in_phase.discard(None)
    work_unread = any(kind not in ("focus", "broken", "initial") for _, kind in in_phase)

    def judged(code: str, loc: Loc | None) -> bool:
        place = block(loc.line) if loc else None
        if code in hidden or (place, code) in in_focus:
            return False
        if code in PHASE_CONTENT and in_phase:
            if place is not None and place[1] not in ("focus", "broken"):
                return place not in in_phase  # a phase's finding
            return not (code in FOCUS_WORK and work_unread)  # a focus's or the plan's
        return True
    return judged


def run(ctx: Context, path: str, profile_usable: bool = True) -> list[Diagnostic]:
    """Every rule over the plan, but what a broken line leaves them unable to judge. A rule
    that fails on an odd plan is a bug in ipt-plan: it becomes one more diagnostic, so that
    it never hides what the other rules found."""
    found: list[Diagnostic] = []
    judged = _judged(ctx)
    for rule_ in RULES.values():
        if rule_.check is None or (rule_.uses_profile and not profile_usable):
            continue
        try:
            for finding in rule_.check(ctx):
                if not judged(rule_.code, finding.loc):
                    continue
                found.append(Diagnostic.at(rule_.code, finding.severity or rule_.severity,
                                           finding.message, path, finding.loc, finding.hint,
                                           finding.fixes))
        except Exception as err:  # noqa: BLE001 - reported, never raised
            found.append(Diagnostic.at(
                codes.INTERNAL_ERROR, Severity.ERROR,
                f"ipt-plan could not apply rule {rule_.code} ({rule_.name}) to this plan "
                f"({type(err).__name__}: {err})", path, None,
                "this is a bug in ipt-plan: please report it with the plan that caused it; "
                "the other rules' findings are still shown"))
    return found
