"""`ipt-plan new`: a complete skeleton plan for a protocol profile, so that nobody starts
from a blank page.

Everything clinical comes from the knowledge files: the course's length and the lengths
of its phases from the profile, the phases it needs (a pre-treatment session 0 for group
IPT, a maintenance phase for IPT-M), the tasks the first session and the initial and
termination phases must hold, what the protocol forbids (homework in IPT for PTSD), how
early the ending must be raised, the rating scale it usually uses, who joins the sessions
and whether its sessions are group sessions; and, from the catalogue, each problem area's
own techniques, its stages and the goals it works toward. The skeleton is written so that
it checks clean as it is (errors, warnings and all) but for its blanks, and it is laid out
as `ipt-plan fmt` would lay it out. The blanks are texts in brackets, "(write the goal in
the patient's words)" (wording.BLANKS), which `check` warns of until they are replaced
(IPT007); comments say what to fill in.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from .codes import BLANK_TEXT
from .config import Config
from .diagnostics import Diagnostic
from .knowledge import (Catalogue, CatalogueError, Profile, ProtocolProblem, cadence_words,
                        catalogue, in_words_of, resolve_profile)
from .rules.problem_areas import DIED_EXAMPLE, DIED_MONTH_EXAMPLE, GRIEF
from .wording import BLANKS, did_you_mean_then, joined, plural, span

START_TIME = "10:00"
PREFERRED_MINUTES = 50  # the usual therapy hour, where the profile's range allows it
# The scale written when the profile names no usual one: ipt-plan's default, the PHQ-9
# that NICE NG222 (1.4.3) gives as an example of a sessional outcome measure.
MEASURE = "PHQ-9"
# How often a clinician-rated scale is written: trials rated every 2-4 weeks, and IPT
# training practice every 4 sessions (ipt-domain.md, Measures); a self-report scale is
# written for every session, which a clinician can thin out.
CLINICIAN_RATED_EVERY = 4
CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
COMMENT_WIDTH = 88
# The opening of a course, in three steps; the profile's own required tasks join them.
ASSESSMENT = ("psychoeducation", "sick_role")
INVENTORY = ("interpersonal_inventory",)
CONTRACT = ("formulation", "treatment_contract")
ANALYSIS_THEN_REHEARSAL = ("communication_analysis", "role_play")
CLOSING = ("termination_discussion", "recognize_competence", "relapse_prevention",
           "maintenance_planning")
GOAL_PLACEHOLDER = BLANKS["goal"]
HOMEWORK_PLACEHOLDER = BLANKS["homework"]

SessionPlans = dict[int, tuple[str | None, list[str]]]  # number -> (title, activity lines)


class SkeletonError(ValueError):
    """A request `ipt-plan new` cannot meet; the message says why, for a clinician."""


class Skeleton(NamedTuple):
    text: str
    diagnostics: tuple[Diagnostic, ...]  # from checking it; empty for the built-in profiles
    notes: tuple[str, ...]  # what the clinician should know about choices made for them


def find_protocol(name: str, protocol_dirs: tuple[Path, ...] = ()) -> Profile:
    """The profile `--protocol` names, found as a plan's `protocol` line is."""
    try:
        catalogue(tuple(protocol_dirs))
    except CatalogueError as err:
        raise SkeletonError(f"the clinic's catalogue cannot be used: {err}") from None
    try:
        return resolve_profile(name, Path.cwd(), protocol_dirs)
    except ProtocolProblem as problem:
        raise SkeletonError("; ".join(filter(None, (problem.message, problem.hint)))) from None


def check_areas(profile: Profile, areas: Sequence[str], cat: Catalogue) -> None:
    for area in areas:
        if area not in cat.areas:
            raise SkeletonError(f"'{area}' is not a problem area; " + did_you_mean_then(
                area, cat.areas, f"the areas are: {', '.join(cat.areas)}"))
        if area not in profile.areas:
            raise SkeletonError(f"the {profile.name} protocol does not work on {area}; it works "
                                f"on {joined(profile.areas, 'or')}")
    low, high = profile.foci
    if not low <= len(areas) <= high:
        asked = "1 was" if len(areas) == 1 else f"{len(areas)} were"
        raise SkeletonError(f"the {profile.name} protocol works on {span(low, high)} "
                            f"{'focus' if high == 1 else 'foci'}, and {asked} asked for; give "
                            f"--focus {'once' if high == 1 else 'once for each problem area'}")


def focus_ids(areas: Sequence[str]) -> list[str]:
    """A short name per focus: the last word of its area (dispute, grief, transition,
    deficits), numbered when two foci share an area."""
    ids: list[str] = []
    for area in areas:
        base = area.rsplit("_", 1)[-1]
        name, number = base, 2
        while name in ids:
            name, number = f"{base}_{number}", number + 1
        ids.append(name)
    return ids


def _quoted(text: str) -> str:
    """A string of the plan language: one line, with quotes and backslashes escaped."""
    text = " ".join(text.split())
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _comment(text: str) -> list[str]:
    return [f"# {line}" for line in textwrap.wrap(text, COMMENT_WIDTH - 2)]


def next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=7 - today.weekday())


def _cadence(profile: Profile) -> str:
    cadence = profile.cadences[0]
    return {"twice_weekly": "twice weekly", "every_n_weeks": "every 2 weeks"}.get(cadence, cadence)


def _minutes(profile: Profile) -> int:
    """The usual therapy hour where the profile allows it, else its longest session
    (90-minute groups, 35 minutes for the half-hour of interpersonal counselling)."""
    if profile.minutes is None:
        return PREFERRED_MINUTES
    low, high = profile.minutes
    return PREFERRED_MINUTES if low <= PREFERRED_MINUTES <= high else high


def measure_line(profile: Profile, cat: Catalogue, first: int = 1, last: int | None = None
                 ) -> str:
    """The `measure` line: the protocol's usual scale (ipt-plan's default where it names
    none), each session for a self-report and every few for a clinician's interview, with
    the other scales offered in its comment. A course's first and last sessions are always
    rated (IPT108): where every few sessions would miss the last (`last`), the sessions
    are named."""
    usual = [name for name in profile.usual_measures if name in cat.measures]
    name = (usual or [MEASURE])[0]
    scale = cat.measures.get(name)
    every = ("every session" if scale is None or scale.rater != "clinician"
             else f"every {CLINICIAN_RATED_EVERY} sessions")
    if every != "every session" and last is not None and last % CLINICIAN_RATED_EVERY:
        at = [first, *range(CLINICIAN_RATED_EVERY, last, CLINICIAN_RATED_EVERY), last]
        every = "at sessions " + ", ".join(str(n) for n in sorted(set(at)))
    others = [n for n in usual if n != name] + [n for n in cat.measures
                                                if n != name and n not in usual]
    return f"measure {name} {every}  # or {', '.join(others)}; or every N sessions"


def _spread(items: list, slots: int) -> list[list]:
    """Items in order over `slots` sessions, as evenly as they go."""
    return [items[len(items) * i // slots: len(items) * (i + 1) // slots] for i in range(slots)]


class _Course(NamedTuple):
    """The phases of the skeleton, in order, each with its first and last session."""

    phases: tuple[tuple[str, int, int], ...]

    @property
    def last(self) -> int:
        return max(last for _, _, last in self.phases)

    @property
    def first(self) -> int:
        return min(first for _, first, _ in self.phases)

    def of(self, kind: str) -> tuple[int, int] | None:
        return next(((first, last) for k, first, last in self.phases if k == kind), None)


def plan_course(profile: Profile, sessions: int) -> _Course:
    """Phase lengths from the profile: the initial and termination phases as long as it
    allows (room for their tasks; as short as it allows for a group course), shortened
    toward its minimum while the working phases (middle, maintenance), the heart of the
    course, would have less than half of it."""
    kinds = [kind for kind in profile.phase_order if kind in profile.phases]
    # A group course opens and ends in as few group sessions as its profile allows: the
    # individual pre-group meeting has taken the assessment (WHO 2016: initial phase group
    # session 1, termination the last).
    end = 0 if profile.format == "group" else 1
    initial = profile.initial_sessions[end] if "initial" in kinds else 0
    termination = profile.termination_sessions[end] if "termination" in kinds else 0
    working = [kind for kind in kinds if kind not in ("pretreatment", "initial", "termination")]
    minimum_working = max(len(working), (sessions + 1) // 2) if working else 0
    while sessions - initial - termination < minimum_working and (
            termination > profile.termination_sessions[0] or initial > profile.initial_sessions[0]):
        if termination > profile.termination_sessions[0] and (
                termination >= initial or initial == profile.initial_sessions[0]):
            termination -= 1
        else:
            initial -= 1
    remaining = sessions - initial - termination
    if not working:
        raise SkeletonError(f"the {profile.name} protocol has no middle or maintenance phase "
                            "to work on the foci in, so ipt-plan cannot write its sessions")
    if remaining < len(working):
        raise SkeletonError(f"a course of {sessions} sessions has no room for the phases of the "
                            f"{profile.name} protocol; choose a longer course with --sessions")
    lengths = {"initial": initial, "termination": termination}
    for position, kind in enumerate(working):
        lengths[kind] = remaining * (position + 1) // len(working) - remaining * position // len(working)
    phases, next_session = [], 1
    for kind in kinds:
        if kind == "pretreatment":
            phases.append((kind, 0, 0))
            continue
        phases.append((kind, next_session, next_session + lengths[kind] - 1))
        next_session += lengths[kind]
    return _Course(tuple(phases))


class _Writer:
    """Writes the skeleton line by line; `fmt` lays it out afterwards."""

    def __init__(self, profile: Profile, areas: Sequence[str], cat: Catalogue):
        self.profile = profile
        self.cat = cat
        self.areas = list(areas)
        self.ids = focus_ids(areas)
        self.lines: list[str] = []
        self.notes: list[str] = []

    def allowed(self, name: str, phase: str) -> bool:
        """Whether the protocol uses it and it belongs to this phase."""
        if name in self.profile.forbidden:
            return False
        technique = self.cat.techniques.get(name)
        return name in ("homework", "note") or (technique is not None and phase in technique.phases)

    def header(self, title: str | None, client: str | None, start: dt.date,
               plan_id: str, course: _Course) -> None:
        p = self.profile
        self.lines += _comment(f"A skeleton plan for {p.title} (protocol {p.name}), from "
                               "ipt-plan new.")
        self.lines += [("# Replace each text in brackets with this patient's own and change "
                        "what does not fit;"), "# then check the plan: ipt-plan check <this file>"]
        for expected in p.participants:
            who = self.cat.participants.get(expected.who)
            self.lines += _comment(f"{who.label if who else expected.who} joins {expected.when} "
                                   f"({expected.source}).")
        if p.format == "group":
            self.lines += _comment("The course's sessions are group sessions; the pre-treatment "
                                   "session 0 is an individual meeting with each member.")
        self.lines.append("plan " + _quoted(title or BLANKS["title"]))
        self.lines.append(f"id {plan_id}  # random: calendar exports keep to it; leave it as it is")
        if client and CLIENT_ID.fullmatch(client):
            self.lines.append(f"client {client}")
        else:
            self.lines.append("client " + _quoted(client or BLANKS["client"]))
        self.lines.append("clinician " + _quoted(BLANKS["clinician"]))
        self.lines.append(f"protocol {p.name}")
        self.lines.append("diagnosis " + _quoted(BLANKS["diagnosis"]))
        cadences = cadence_words(p.cadences)
        length = "" if p.minutes else "; set the session length"
        self.lines.append(f"schedule {_cadence(p)} from {start.isoformat()} at {START_TIME} for "
                          f"{_minutes(p)} min  # the first session; {p.name} meets {cadences}"
                          + length)
        ending = course.of("termination")
        self.lines.append(measure_line(p, self.cat, course.first, ending[1] if ending else None))

    def foci(self) -> None:
        for area_name, focus_id in zip(self.areas, self.ids):
            area = self.cat.areas[area_name]
            self.lines.append("")
            self.lines += _comment(f"{area.label} ({area.summary}). Its goals: "
                                   f"{'; '.join(area.goals)}.")
            trailing = ""
            if area_name == "interpersonal_deficits" and len(self.areas) > 1:
                # IPT202 warns of this pairing; the clinician asked for it, so the
                # skeleton keeps it checking clean and says so where it shows.
                self.lines += _comment("Beside another focus, check warns of it (ipt-plan "
                                       "explain IPT202): keep both only on purpose, with the "
                                       "ignore comment; otherwise remove one of them.")
                trailing = "  # ipt-plan: ignore[IPT202]"
                self.notes.append("interpersonal deficits beside another focus is usually a "
                                  "second choice (IPT202); the skeleton marks it with an "
                                  "ignore comment for you to keep or remove")
            if area_name == GRIEF:
                # Only the clinician knows when the death was, and a made-up date would
                # read as a fact: the missing line (IPT204) is marked where it shows.
                self.lines += _comment(f"Write when the death was under this focus: "
                                       f"{DIED_EXAMPLE}, or {DIED_MONTH_EXAMPLE} when only the "
                                       "month is known; then remove the ignore comment.")
                trailing = "  # ipt-plan: ignore[IPT204]"
                self.notes.append("a grief focus needs the date of the death (IPT204); the "
                                  "skeleton marks its focus line with an ignore comment until "
                                  f"you write it: {DIED_EXAMPLE}")
            description = _quoted(BLANKS["description"].replace("{area}", area.label.lower()))
            self.lines.append(f"focus {focus_id}: {area_name} {description}{trailing}")
            if area.stages:
                others = joined(area.stages[1:], "or")
                self.lines.append(f"stage {area.stages[0]}  # or {others}: the stage sets "
                                  "the plan of action")
            self.lines.append(f"goal {_quoted(GOAL_PLACEHOLDER)}")

    def phase(self, kind: str, first: int, last: int,
              sessions: SessionPlans, every: Sequence[str] = ()) -> None:
        info = self.cat.phases.get(kind)
        self.lines.append("")
        if info:
            self.lines += _comment(f"{info.label}: {in_words_of(info.purpose, self.profile)}")
        span = f"session {first}" if first == last else f"sessions {first}-{last}"
        self.lines.append(f"phase {kind} {span}")
        if every:
            self.lines.append("every session  # in each session of the phase, written out or not")
            self.lines += every
        # Someone the protocol has join this phase (IPT-A: a parent, IPT308) joins its
        # first session, or the last of the ending.
        joining = [e.who for e in self.profile.participants if kind in e.required_in]
        joined_at = last if kind == "termination" else first
        if joining and joined_at not in sessions:
            sessions = {**sessions, joined_at: (None, [])}
        for number in sorted(sessions):
            title, activities = sessions[number]
            self.lines.append(f"session {number}" + (f" {_quoted(title)}" if title else "")
                              + (" with " + ", ".join(joining) if joining and number == joined_at
                                 else ""))
            self.lines += activities

    def opening(self, numbers: list[tuple[str, int]]) -> SessionPlans:
        """The assessment, inventory, formulation and contract over the opening sessions
        (a pre-treatment session 0 included), each task in a phase where it belongs."""
        extra = tuple(t for t in self.profile.initial_tasks
                      if t not in ASSESSMENT + INVENTORY + CONTRACT)
        steps = [("Assessment", ASSESSMENT), ("interpersonal inventory", INVENTORY + extra),
                 ("formulation and contract", CONTRACT)]
        if len(numbers) == 1:
            groups = [steps]
        elif len(numbers) == 2:
            groups = [[steps[0], steps[1]], [steps[2]]]
        else:
            groups = [[steps[0]], [steps[1]]] + [[] for _ in numbers[3:]] + [[steps[2]]]
        sessions: SessionPlans = {}
        for index, ((phase, number), group) in enumerate(zip(numbers, groups)):
            lines = self.first_session(phase) if index == 0 else []
            for _, tasks in group:
                for task in tasks:
                    if not self.allowed(task, phase) or task in lines:
                        continue
                    foci = " for " + ", ".join(self.ids) if task == "formulation" else ""
                    detail = ""
                    if task == "sick_role" and self.profile.sick_role == "limited":
                        note = self.profile.sick_role_note or "fewer obligations set aside"
                        detail = " " + _quoted(f"(limited sick role; {note})")
                    lines.append(f"{task}{foci}{detail}")
            if group and group[-1][1] == CONTRACT and self.allowed("homework", phase):
                lines.append(f"homework {_quoted(HOMEWORK_PLACEHOLDER)}")
            if lines:
                title = joined([name for name, _ in group])
                sessions[number] = (title[0].upper() + title[1:], lines)
        return sessions

    def first_session(self, phase: str) -> list[str]:
        """What the protocol asks of the course's first session (a risk assessment)."""
        return [t for t in self.profile.first_session_tasks if self.allowed(t, phase)]

    def working(self, kind: str, first: int, last: int, ending_at: int | None,
                closes_course: bool, opens_course: bool = False) -> tuple[SessionPlans, list[str]]:
        """The working phase: each focus's own techniques, then an analysis and the role
        play that rehearses it; a goal review half-way; the ending raised in time. A
        working phase that opens the course (maintenance IPT has no initial phase) starts
        with the first session's tasks and the contract."""
        standing = self.profile.standing_tasks(kind) or self.profile.standing_tasks("middle")
        every = [t for t in (*standing, "homework_review") if self.allowed(t, kind)]
        work: list[list[str]] = []  # a session's worth each; homework follows its role play
        for area_name, focus_id in zip(self.areas, self.ids):
            own = [t.name for t in self.cat.techniques.values() if t.area == area_name]
            for name in own + list(ANALYSIS_THEN_REHEARSAL):
                if self.allowed(name, kind):
                    work.append([f"{name} for {focus_id}"])
            if work and self.allowed("homework", kind):
                work[-1].append(f"homework {_quoted(HOMEWORK_PLACEHOLDER)}")
        numbers = list(range(first, last + 1))
        plan = {n: [line for unit in units for line in unit]
                for n, units in zip(numbers, _spread(work, len(numbers)))}
        if self.allowed("goal_review", kind):
            plan[numbers[len(numbers) // 2]].insert(0, "goal_review")
        if ending_at is not None and self.allowed("termination_discussion", kind):
            notice = self.profile.ending_notice
            plan[min(max(ending_at, first), last)].append(
                f"termination_discussion  # raise the ending at least "
                f"{plural(notice, 'session')} before the last")
        if closes_course:  # no termination phase: the last session closes the contract
            plan[last] += [t for t in CLOSING[1:] if self.allowed(t, kind)]
        if opens_course:
            opening = self.first_session(kind)
            opening += [t for t in self.profile.initial_tasks
                        if self.allowed(t, kind) and t not in opening and t != "formulation"]
            plan[first] = opening + plan[first]
        return {n: (None, lines) for n, lines in plan.items() if lines}, every

    def termination(self, first: int, last: int) -> SessionPlans:
        tasks = list(CLOSING) + [t for t in self.profile.termination_tasks if t not in CLOSING]
        tasks = [t for t in tasks if self.allowed(t, "termination")]
        numbers = list(range(first, last + 1))
        spread = _spread(tasks, len(numbers))
        return {n: (None, lines) for n, lines in zip(numbers, spread) if lines}


def skeleton(profile: Profile, areas: Sequence[str], *, title: str | None = None,
             client: str | None = None, sessions: int | None = None,
             today: dt.date | None = None, cat: Catalogue | None = None,
             protocol_dirs: tuple[Path, ...] = (), path: str = "<new plan>",
             plan_id: str | None = None) -> Skeleton:
    """The skeleton plan's text, checked; raises SkeletonError for a request it cannot meet.
    The plan gets `plan_id`, or a new random id: 128 bits, which says nothing about the
    client and is never the same for two plans."""
    from .formatter import format_text
    from .loader import load_string

    cat = cat or catalogue(tuple(protocol_dirs))
    check_areas(profile, areas, cat)
    low, high = profile.sessions
    count = low if sessions is None else sessions
    if not low <= count <= high:
        raise SkeletonError(f"the {profile.name} protocol has {low} to {high} sessions, not "
                            f"{count}" if low != high else
                            f"the {profile.name} protocol has {low} sessions, not {count}")
    course = plan_course(profile, count)
    writer = _Writer(profile, areas, cat)
    writer.header(title, client, next_monday(today or dt.date.today()),
                  plan_id or secrets.token_hex(16), course)
    writer.foci()
    opening = [(kind, n) for kind, first, last in course.phases
               if kind in ("pretreatment", "initial") for n in range(first, last + 1)]
    opening_sessions = writer.opening(opening)
    ending_at = course.last - profile.ending_notice
    termination = course.of("termination")
    for kind, first, last in course.phases:
        if kind in ("pretreatment", "initial"):
            writer.phase(kind, first, last, {n: s for n, s in opening_sessions.items()
                                             if first <= n <= last})
        elif kind == "termination":
            writer.phase(kind, first, last, writer.termination(first, last))
        else:
            raise_ending = termination is None or termination[0] > ending_at
            planned, every = writer.working(kind, first, last,
                                            ending_at if raise_ending else None,
                                            closes_course=termination is None and last == course.last,
                                            opens_course=not opening and first == course.first)
            writer.phase(kind, first, last, planned, every)
    text = format_text("\n".join(writer.lines) + "\n")
    if text is None:  # a bug here, never the clinician's doing
        raise SkeletonError("ipt-plan could not write this skeleton; please report this")
    result = load_string(text, path, protocol_dirs, config=Config())
    # Its blanks are warned of until they are replaced (IPT007): that is what they are for.
    return Skeleton(text, tuple(d for d in result.diagnostics if d.code != BLANK_TEXT),
                    tuple(writer.notes))
