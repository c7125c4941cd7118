"""Output: a checked plan as the agendas a clinician holds in each session.

Pure data, no templating: `build_course` turns a plan and its protocol profile into a
`Course` (the header, the schedule table, the foci, the phases) holding one
`SessionAgenda` per session of the course, written out or not. In a plan with a log, the
course also holds the log, each scale's scores with their chart (`ScaleScores`), and the
next session's agenda what happened since the last session held, the scores so far and
the risk left unassessed. The renderer
(``ipt_plan.renderer``) only lays these records out; scripts can use them directly.

    course = agenda.course_from_result(ipt_plan.load_file("plans/caregiver-dispute.iptplan"))
    course.sessions[5].date        # '2027-01-18'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable

from . import charts
from .graph import activity_node, build_graph, edges_of
from .knowledge import (DEFAULT_SICK_ROLE_NOTE, SESSION_WORDS, Catalogue, Profile, Technique,
                        catalogue, condition_words)
from .measurement import ScaleProgress, band_of, progress_of, unassessed_risks
from .model import (DEFAULT_DELIVERY, Activity, Died, Focus, LogEntry, Measure, Phase, Plan,
                    Schedule, Session)
from .result import PlanHasErrors, Result
from .schedule import (DELIVERY_LABELS, appointments, course_calendar, course_format,
                       participant_label, schedules_in_force)
from .wording import fill, joined, placeholders, plural

if TYPE_CHECKING:
    from .graph import PlanGraph

# IPT makes the time limit explicit once the work is under way: from the middle phase on,
# each session says how many remain (Weissman, Markowitz & Klerman 2000). Continuation
# sessions, after the course, count down their own.
COUNTDOWN_PHASES = ("middle", "termination", "continuation")
# Sessions after the acute course: not counted in its length, nor in its countdown.
AFTER_COURSE_PHASES = ("continuation",)


def course_total(sessions: Iterable[tuple[Phase, Session]]) -> int:
    """How many sessions the course itself has ("session 4 of 16"): those numbered from 1,
    before any continuation sessions after it."""
    return sum(1 for phase, session in sessions
               if session.number >= 1 and phase.kind not in AFTER_COURSE_PHASES)
# Phases where the course's contract is made, so a prompt can say the course's length
# ({sessions_total}): before and at its start, and for the continuation sessions theirs.
CONTRACT_PHASES = ("pretreatment", "initial", "continuation")
# The catalogue's technique that reviews the last session's homework.
HOMEWORK_REVIEW = "homework_review"

# Fixed English names, so a date reads the same whatever the machine's locale.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


# How the log's words read in an agenda.
STATUS_LABELS = {"held": "held", "cancelled": "cancelled", "missed": "missed (did not attend)"}
HOMEWORK_LABELS = {"done": "done", "partly": "partly done", "not_done": "not done"}


# A plan that cannot be turned into agendas (it has errors); the message says why.
AgendaError = PlanHasErrors


@dataclass(frozen=True)
class DisputeStage:
    """A role dispute's stage from a session on."""

    name: str  # renegotiation, impasse or dissolution
    from_session: int | None  # None: from the start of the course


@dataclass(frozen=True)
class FocusSummary:
    """A problem area the course works on, as a session agenda shows it."""

    id: str
    area: str  # role_dispute
    area_label: str  # Role dispute
    description: str | None
    # A role dispute's stage: in a session's agenda, the stage in force at that session;
    # in the overview, the stage the course starts with.
    stage: str | None
    # In a session's agenda only the stage in force (with the session it holds from); in
    # the overview every stage line, in session order.
    stages: tuple[DisputeStage, ...]
    died: str | None  # a grief focus's death: 2026-02-14, or 2026-02 when the day is not known
    died_long: str | None  # 14 February 2026, or February 2026
    goals: tuple[str, ...]
    line: int  # where the focus is written in the plan

    @property
    def label(self) -> str:
        """How a line of an agenda names it: its id and problem area, "mum (role dispute)"."""
        return focus_label(self.id, self.area_label)


def focus_label(focus_id: str, area_label: str) -> str:
    return f"{focus_id} ({area_label.lower()})"


@dataclass(frozen=True)
class AgendaItem:
    """One thing to do in a session: a technique, homework or a note."""

    kind: str  # technique | homework | note
    name: str  # the technique's name; "homework" or "note" for those
    label: str  # Communication analysis
    description: str | None  # the catalogue's description of a technique
    prompts: tuple[str, ...]  # questions the clinician can ask
    detail: str | None  # the plan's own text for this line
    foci: tuple[str, ...]  # ids of the foci it works on
    line: int | None  # where it is written in the plan; None for a protocol's standing task
    # The foci as a line names them, in the order of `foci`: "mum (role dispute)".
    focus_labels: tuple[str, ...] = ()

    @property
    def prompts_are_questions(self) -> bool:
        """Whether every prompt is a question (some are things to say instead)."""
        return all(p.rstrip().endswith("?") for p in self.prompts)


@dataclass(frozen=True)
class MeasureDue:
    name: str  # PHQ-9
    label: str  # Patient Health Questionnaire (depression)
    # The scale's range of totals, for the box today's score is written in (agendas of a
    # plan with a log); None for a scale the catalogue does not know
    low: int | None = None
    high: int | None = None
    logged: int | None = None  # the total the log records at this session, once held


@dataclass(frozen=True)
class LoggedScore:
    """A rating scale's total, as the log records it."""

    scale: str  # PHQ-9
    total: int
    line: int


@dataclass(frozen=True)
class LoggedAppointment:
    """One entry of the plan's log: an appointment as it happened."""

    session: int
    date: str | None  # ISO; None when the written date does not exist (reported)
    date_long: str | None  # Monday 11 January 2027
    status: str  # held | cancelled | missed
    status_label: str  # held, cancelled, missed (did not attend)
    reason: str | None  # why it was cancelled
    # How the homework set at the session before went, as reviewed at this one
    homework: str | None  # done | partly | not_done
    homework_label: str | None  # done, partly done, not done
    homework_text: str | None
    scores: tuple[LoggedScore, ...]
    risks: tuple[str, ...]  # the `risk` lines: risk was assessed, and what was found
    notes: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class ScoreTaken:
    """One score of a scale in the log, and the severity band it falls in."""

    session: int
    date: str | None  # ISO
    total: int
    band: str | None  # None: the scale has no bands


@dataclass(frozen=True)
class ScaleScores:
    """A rating scale's scores in the log and what they say (ipt_plan.measurement judges
    them by the catalogue's numbers for the scale)."""

    name: str  # PHQ-9
    label: str  # Patient Health Questionnaire (depression)
    low: int  # the scale's range of totals
    high: int
    scores: tuple[ScoreTaken, ...]  # in date order
    baseline: ScoreTaken  # the first
    latest: ScoreTaken  # the last
    change: int  # latest minus baseline: below zero, fewer symptoms
    reliable: str | None  # improvement, deterioration, no reliable change; None: no threshold
    response: bool | None  # a fall of the scale's response percentage; None: not judged
    remission: bool | None  # below the scale's remission threshold; None: not judged
    bands: tuple[str, ...]  # the scale's bands, mildest first, as "0-4 none or minimal"
    spark: str  # the totals as a sparkline of block characters: ▅▄▄▃
    spark_ascii: str  # the same in ASCII marks, for plain text: +==-
    chart: charts.Plot  # where each score goes on a chart (an SVG viewBox)


@dataclass(frozen=True)
class RiskAlert:
    """A risk item scored positive at the last session held, with no `risk` line under it
    in the log (IPT506): risk has not been assessed since."""

    session: int
    date: str | None  # ISO
    scale: str  # PHQ-9
    item: int  # the scale's risk item: 9
    score: int  # what it was scored


@dataclass(frozen=True)
class SessionAgenda:
    number: int
    total: int  # sessions in the course, not counting a pre-treatment session 0
    title: str | None
    phase: str  # middle
    phase_label: str  # Middle phase
    phase_purpose: str
    date: str | None  # ISO, 2027-01-18; None when the plan has no usable schedule
    date_long: str | None  # Monday 18 January 2027
    time: str | None  # 10:00, from the rhythm in force at this session
    minutes: int | None  # this session's length: its own `for N min`, else its rhythm's
    delivery: str  # in_person | telephone | video
    delivery_label: str  # in person, by telephone, by video
    format: str  # individual | group
    # Whether the agenda names the format: where the course mixes formats, or this session's
    # differs from the course's.
    show_format: bool
    participants: tuple[str, ...]  # who attends besides the patient and the therapist
    foci: tuple[FocusSummary, ...]  # the foci this session's activities work on
    techniques: tuple[AgendaItem, ...]  # written in this session's own block
    every_session: tuple[AgendaItem, ...]  # the phase's `every session` techniques
    standing_tasks: tuple[AgendaItem, ...]  # the protocol's, where the plan has not written them
    notes: tuple[AgendaItem, ...]
    phase_notes: tuple[AgendaItem, ...]  # the `note` lines written under the phase line
    homework_given: tuple[AgendaItem, ...]
    homework_to_review: tuple[AgendaItem, ...]  # given at the previous session
    measures_due: tuple[MeasureDue, ...]
    # After this one, to the end of the course (or of the continuation sessions, in
    # those); None before the middle phase.
    sessions_remaining: int | None
    continuation_after: int  # continuation sessions after the course; 0 in them
    line: int | None  # the session's line in the plan; None when not written out
    # The protocol's tasks for the course's first session (`[standing] first_session`:
    # risk assessment), where the plan has not written them; empty for the others.
    first_session_tasks: tuple[AgendaItem, ...] = ()
    # The plan asks for a homework review here, but no homework was set at the session
    # before: the review is left out (or kept without its prompts where the plan wrote
    # a detail for it), and the agenda says there is nothing to review.
    review_without_homework: bool = False
    # In a plan with a log (None and empty in one without): `held` where the log says the
    # session was held (`date` is then the day it was), `projected` where it is still owed
    # (`date` is then the next free slot of the schedule after the log, never before today)
    date_status: str | None = None
    planned_date: str | None = None  # the schedule's own date, where `date` differs from it
    # The next session's agenda only (the first session the log does not hold as held):
    # what happened since the last session held (that one, then each one cancelled or
    # missed after it), the scores so far, and the risk the last session held left
    # unassessed. Empty in the others: a held session's agenda is the one it had, and the
    # log cannot yet speak for the sessions after the next.
    since_last: tuple[LoggedAppointment, ...] = ()
    scores: tuple[ScaleScores, ...] = ()
    risk_alerts: tuple[RiskAlert, ...] = ()

    @property
    def routine(self) -> tuple[AgendaItem, ...]:
        """What the session holds at its start whatever its own lines say: the protocol's
        tasks for the course's first session, the plan's `every session` lines, then the
        protocol's standing tasks."""
        return self.first_session_tasks + self.every_session + self.standing_tasks

    @property
    def reviews_homework(self) -> bool:
        return self.review_without_homework or any(
            i.name == HOMEWORK_REVIEW for i in (*self.routine, *self.techniques))


@dataclass(frozen=True)
class ScheduleRow:
    """One line of the overview's schedule table."""

    number: int
    date: str | None
    title: str | None
    phase_label: str
    foci: tuple[str, ...]
    techniques: tuple[str, ...]  # labels of the session's own techniques
    homework: bool
    delivery: str  # in_person | telephone | video
    delivery_label: str
    format: str  # individual | group
    participants: tuple[str, ...]
    own_minutes: int | None  # the session's length where it differs from its rhythm's
    # In a plan with a log: as SessionAgenda.date_status, and every entry the log holds for
    # this session (cancelled, missed, then held), in the order written
    date_status: str | None = None
    log: tuple[LoggedAppointment, ...] = ()


@dataclass(frozen=True)
class PhaseSummary:
    name: str
    label: str
    purpose: str
    first: int
    last: int
    every_session: tuple[str, ...]  # technique labels
    standing_tasks: tuple[str, ...]  # technique labels
    notes: tuple[str, ...]  # the `note` lines written under the phase line


@dataclass(frozen=True)
class MeasurePlan:
    name: str
    label: str  # the scale: Patient Health Questionnaire (depression)
    every: int | None  # sessions between ratings; None for `at sessions ...`
    when: str  # as the plan says it: every session, every 4 sessions, at sessions 1, 7, 14
    sessions: tuple[int, ...]  # the sessions of the course it is due at


@dataclass(frozen=True)
class ScheduleSegment:
    """One schedule line: the first, then each change of rhythm."""

    cadence: str  # weekly, twice weekly, every 2 weeks, monthly
    from_session: int | None  # None for the first line, which starts on a date
    start: str | None  # the first line's date, ISO
    time: str | None  # 10:00
    minutes: int
    line: int


@dataclass(frozen=True)
class Course:
    plan_file: str  # the plan's file name, without its folder
    title: str | None
    client: str | None
    clinician: str | None
    diagnosis: str | None
    protocol: str  # ipt-uk
    protocol_title: str
    protocol_source: str | None
    total_sessions: int  # not counting a pre-treatment session 0 or continuation sessions
    continuation_sessions: int  # after the course
    cadence: str | None  # the first schedule line's: weekly, every 2 weeks...
    time: str | None
    minutes: int | None
    schedules: tuple[ScheduleSegment, ...]  # every schedule line, the first and each change
    delivery: str  # the course's: the header's `delivery`, else in_person
    delivery_label: str
    format: str  # the course's sessions': the header's `format`, else the protocol's
    skipped_dates: tuple[str, ...]
    measures: tuple[MeasurePlan, ...]
    foci: tuple[FocusSummary, ...]
    phases: tuple[PhaseSummary, ...]
    rows: tuple[ScheduleRow, ...]
    sessions: tuple[SessionAgenda, ...]
    # The plan's log, in the order written; None when the plan has none (then every date
    # is the schedule's and nothing here speaks of what happened)
    log: tuple[LoggedAppointment, ...] | None = None
    # The last session's date, where a log has moved it from the schedule's (ISO)
    planned_end: str | None = None
    # Every scale scored in the log, with its chart over the whole course
    scores: tuple[ScaleScores, ...] = ()


def long_date(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def death_date(died: Died) -> str:
    """14 February 2026, or February 2026 when only the month is known."""
    month = f"{MONTHS[died.date.month - 1]} {died.date.year}"
    return month if died.month_only else f"{died.date.day} {month}"


def course_from_result(result: Result) -> Course:
    """The course of a checked plan, as on the day it was checked (`Result.today`); a plan
    with errors has no agendas (AgendaError)."""
    plan, graph = result.checked_plan("agendas")
    return build_course(plan, result.profile, result.catalogue, graph, result.today)


def build_course(plan: Plan, profile: Profile | None, cat: Catalogue | None = None,
                 graph: PlanGraph | None = None, today: dt.date | None = None) -> Course:
    """Every session's agenda and the overview's tables, from a plan that checks clean;
    its graph is built with `cat` unless the check's is given. A log's owed sessions are
    dated from `today` on (None: the real date)."""
    cat = cat or catalogue()
    return _CourseBuilder(plan, profile, cat, graph or build_graph(plan, cat), today).course()


def logged_appointment(entry: LogEntry) -> LoggedAppointment:
    homework = entry.homework
    outcome = homework.outcome.text if homework else None
    return LoggedAppointment(
        session=entry.number,
        date=entry.date.isoformat() if entry.date else None,
        date_long=long_date(entry.date) if entry.date else None,
        status=entry.status.text, status_label=STATUS_LABELS[entry.status.text],
        reason=entry.reason, homework=outcome,
        homework_label=HOMEWORK_LABELS[outcome] if outcome else None,
        homework_text=homework.text if homework else None,
        scores=tuple(LoggedScore(s.scale.text, s.value, s.loc.line) for s in entry.scores),
        risks=tuple(r.detail or "" for r in entry.risks),
        notes=tuple(n.detail or "" for n in entry.notes), line=entry.loc.line)


class _Log:
    """A plan's log as the agendas read it: its entries, which session each held one
    was, and the session to come next."""

    def __init__(self, plan: Plan, numbers: list[int]):
        self.raw = plan.log or ()
        self.entries = tuple(logged_appointment(e) for e in self.raw)
        self.held_at: dict[int, int] = {}  # session number: index of its held entry
        self.by_session: dict[int, list[LoggedAppointment]] = {}
        for index, (entry, logged) in enumerate(zip(self.raw, self.entries)):
            if entry.held:
                self.held_at.setdefault(entry.number, index)
            self.by_session.setdefault(entry.number, []).append(logged)
        self.next = next((n for n in numbers if n not in self.held_at), None)

    def of_session(self, number: int) -> tuple[LoggedAppointment, ...]:
        return tuple(self.by_session.get(number, ()))

    def since_last(self) -> tuple[LoggedAppointment, ...]:
        """What the next session's agenda looks back on: the last appointment held, then
        each one after it (cancelled or missed); the whole log before any is held."""
        start = max((i for i, e in enumerate(self.entries) if e.status == "held"), default=0)
        return self.entries[start:]

    @property
    def last_held(self) -> LogEntry | None:
        return self.raw[max(self.held_at.values())] if self.held_at else None


class _CourseBuilder:
    """Holds what every agenda of one plan shares: its graph, appointments and catalogue."""

    def __init__(self, plan: Plan, profile: Profile | None, cat: Catalogue, graph: PlanGraph,
                 today: dt.date | None = None):
        self.plan, self.profile, self.cat = plan, profile, cat
        self.graph = graph
        self.course_sessions = list(plan.sessions())
        numbers = sorted({s.number for _, s in self.course_sessions})
        # How each session is held: schedule.appointments is the one place that says it.
        self.held = appointments(plan, course_format(profile), today)
        # What the schedule alone gives, where a log moves sessions from it
        self.planned = course_calendar(plan, today).forecast if plan.log is not None else {}
        self.log = _Log(plan, [s.number for _, s in self.course_sessions]) \
            if plan.log is not None else None
        # What the log's scores say (ipt_plan.measurement): charted small for the next
        # session's agenda, and over the whole course for the overview
        self.progress = progress_of(plan, cat) if plan.log else {}
        self.next_scores = tuple(
            self.scale_scores(p, p.baseline.session, p.latest.session, width=100, height=25,
                              margins=(3, 3, 3, 3)) for p in self.progress.values())
        self.next_alerts = self.risk_alerts()
        self.rhythms = schedules_in_force(plan, numbers)
        self.format = plan.format.text if plan.format else course_format(profile)
        self.mixed_formats = len({a.format for a in self.held.values()}) > 1
        after = [p.kind in AFTER_COURSE_PHASES for p, _ in self.course_sessions]
        self.after_course = after
        # Sessions after each one in its part (the course, or the continuation after it),
        # counted in one walk back: a course may have thousands of sessions.
        self.later_in_part = [0] * len(after)
        counted = {False: 0, True: 0}
        for index in reversed(range(len(after))):
            self.later_in_part[index] = counted[after[index]]
            counted[after[index]] += 1
        self.total = course_total(self.course_sessions)
        self.continuation = sum(after)
        self.focus_order = [f.id.text for f in plan.foci]
        self.first_number = plan.first_session  # session 0 where the plan has one, else 1
        self.focus_labels = {f.id.text: focus_label(f.id.text, self.area_label(f.area.text))
                             for f in plan.foci}
        # What the catalogue's placeholders say for this course (knowledge.CONDITION_WORDS).
        self.words = _protocol_words(profile)
        self.limited_sick_role = _limited_sick_role(profile)
        self.course_words = tuple(self.words.items())
        self._purposes: dict[str, str] = {}

    # --- the pieces -------------------------------------------------------------------

    def focus_summary(self, focus: Focus, session: int | None = None) -> FocusSummary:
        """A focus as the overview shows it (every stage), or as one session's agenda
        does (`session`: only the stage in force there, Focus.stage_at)."""
        if session is None:
            stages, stage = focus.stages, focus.stage
        else:
            stage = focus.stage_at(session)
            stages = tuple(s for s in focus.stages if s.name is stage)
        return FocusSummary(
            id=focus.id.text, area=focus.area.text,
            area_label=self.area_label(focus.area.text),
            description=focus.description, stage=stage.text if stage else None,
            stages=tuple(DisputeStage(s.name.text, s.first if s.from_session else None)
                         for s in stages),
            died=focus.died.text if focus.died else None,
            died_long=death_date(focus.died) if focus.died else None,
            goals=tuple(g.text for g in focus.goals), line=focus.loc.line)

    def area_label(self, name: str) -> str:
        area = self.cat.areas.get(name)
        return area.label if area else name

    def foci_of(self, activity: Activity) -> tuple[str, ...]:
        addressed = {node[1] for node in edges_of(self.graph, activity_node(activity), "addresses")}
        return tuple(f for f in self.focus_order if f in addressed)

    def technique_item(self, name: str, detail: str | None, foci: tuple[str, ...],
                       line: int | None, at: _At) -> AgendaItem:
        technique = self.cat.techniques.get(name)
        description, prompts = self.said(technique, at) if technique else (None, ())
        return AgendaItem("technique", name, self.label(name), description, prompts, detail,
                          foci, line, tuple(self.focus_labels.get(f, f) for f in foci))

    def said(self, technique: Technique, at: _At) -> tuple[str, tuple[str, ...]]:
        """A technique's description and prompts as this session says them (`_said`),
        from the placeholders' values that matter to it: a course may be long, and most
        of its sessions say a technique alike."""
        first = at.first and (technique.first_session_description is not None
                              or technique.first_session_prompts is not None)
        words = (*self.course_words, *((word, at.words.get(word))
                                       for word in _session_bound(technique)))
        if technique.rated:
            words += (("measures", at.words.get("measures")),)
        return _said(technique, self.limited_sick_role, first, words)

    def item(self, activity: Activity, at: _At) -> AgendaItem:
        """A line of the plan, its technique's texts as said at the session `at`."""
        if activity.kind == "technique":
            return self.technique_item(activity.name.text, activity.detail,
                                       self.foci_of(activity), activity.loc.line, at)
        return self.plain_item(activity)

    def plain_item(self, activity: Activity) -> AgendaItem:
        """Homework or a note: the plan's own text, nothing from the catalogue."""
        foci = self.foci_of(activity)
        label = "Homework" if activity.kind == "homework" else "Note"
        return AgendaItem(activity.kind, activity.kind, label, None, (), activity.detail, foci,
                          activity.loc.line, tuple(self.focus_labels.get(f, f) for f in foci))

    def standing(self, phase: Phase) -> tuple[str, ...]:
        return self.profile.standing_tasks(phase.kind) if self.profile else ()

    def scale_label(self, name: str) -> str:
        scale = self.cat.measures.get(name)
        return scale.label if scale else ""

    def label(self, technique: str) -> str:
        found = self.cat.techniques.get(technique)
        # No catalogue entry only in a plan that does not check: show what was written.
        return found.label if found else technique.replace("_", " ").capitalize()

    def homework(self, phase: Phase, session: Session) -> tuple[AgendaItem, ...]:
        lines = (*session.activities, *phase.every)
        return tuple(self.plain_item(a) for a in lines if a.kind == "homework")

    def phase_summary(self, phase: Phase) -> PhaseSummary:
        info = self.cat.phases.get(phase.kind)
        every = [a.name.text for a in phase.every if a.kind == "technique"]
        purpose = self._purposes.get(phase.kind)
        if purpose is None:
            purpose = self._purposes[phase.kind] = (
                (fill(info.purpose, self.words) or info.purpose) if info else "")
        return PhaseSummary(
            phase.kind, info.label if info else f"{phase.kind.capitalize()} phase",
            purpose, phase.first, phase.last,
            tuple(self.label(t) for t in every),
            tuple(self.label(t) for t in self.standing(phase) if t not in every),
            tuple(note.detail or "" for note in phase.notes))

    def measure_sessions(self, measure: Measure) -> tuple[int, ...]:
        first = self.plan.first_session
        return tuple(n for n in sorted(self.held) if measure.due(n, first))

    def own_minutes(self, number: int) -> int | None:
        """The session's length where it is not its rhythm's (`for 90 min` on its line)."""
        minutes, rhythm = self.held[number].minutes, self.rhythms.get(number)
        return minutes if minutes != (rhythm.minutes if rhythm else None) else None

    def remaining(self, index: int) -> int | None:
        """Sessions after this one in its part: the course, or the continuation after it."""
        phase, _ = self.course_sessions[index]
        return self.later_in_part[index] if phase.kind in COUNTDOWN_PHASES else None

    def at(self, index: int, measures: tuple[str, ...]) -> _At:
        """What this session's texts fill their placeholders with."""
        phase, session = self.course_sessions[index]
        first = session.number == self.first_number
        left = self.later_in_part[index]
        words = {"session_number": str(session.number),
                 "sessions_left": plural(left, "session") if left else
                 "no sessions of this course" if self.continuation and not self.after_course[index]
                 else "no sessions"}
        if phase.kind in CONTRACT_PHASES or first:
            words["sessions_total"] = plural(
                self.continuation if self.after_course[index] else self.total, "session")
        if measures:
            words["measures"] = joined(measures)
        return _At(first, words)

    # --- one session ------------------------------------------------------------------

    def session_agenda(self, index: int) -> SessionAgenda:
        phase, session = self.course_sessions[index]
        phase_summary = self.phase_summary(phase)
        measures_due = tuple(self.measure_due(m, session.number) for m in self.plan.measures
                             if m.due(session.number, self.first_number))
        at = self.at(index, tuple(m.name for m in measures_due))
        written = [self.item(a, at) for a in session.activities]
        every = [self.item(a, at) for a in phase.every]
        written_names = {i.name for i in (*written, *every)}
        # A standing task the plan already holds this session is not listed twice.
        standing = [self.technique_item(name, None, (), None, at)
                    for name in self.standing(phase) if name not in written_names]
        # The course's first session (session 0 where the plan has one, else session 1).
        first = [self.technique_item(name, None, (), None, at)
                 for name in (self.profile.first_session_tasks if self.profile else ())
                 if at.first and name not in written_names
                 and name not in {i.name for i in standing}]
        previous = self.homework(*self.course_sessions[index - 1]) if index > 0 else ()
        without_homework = not previous and any(
            i.name == HOMEWORK_REVIEW for i in (*written, *every, *standing, *first))
        if without_homework:
            written, every, standing, first = (
                _without_review(items) for items in (written, every, standing, first))
        items = (*written, *every, *standing, *first)
        if any(self.shows_every_focus(i.name) for i in items if i.kind == "technique"):
            addressed = set(self.focus_order)
        else:
            addressed = {f for i in (*written, *every) for f in i.foci}
        held = self.held[session.number]
        when = held.when
        planned_at = self.planned.get(session.number)
        moved = planned_at is not None and when is not None and planned_at.date() != when.date()
        log = self.log
        is_next = log is not None and session.number == log.next
        return SessionAgenda(
            number=session.number, total=self.total, title=session.title,
            phase=phase.kind, phase_label=phase_summary.label,
            phase_purpose=phase_summary.purpose,
            date=when.date().isoformat() if when else None,
            date_long=long_date(when.date()) if when else None,
            time=when.strftime("%H:%M") if when else None,
            minutes=held.minutes,
            delivery=held.delivery, delivery_label=DELIVERY_LABELS[held.delivery],
            format=held.format,
            show_format=self.mixed_formats or held.format != self.format,
            participants=tuple(participant_label(p, self.cat) for p in held.participants),
            foci=tuple(self.focus_summary(f, session.number)
                       for f in self.plan.foci if f.id.text in addressed),
            techniques=tuple(i for i in written if i.kind == "technique"),
            every_session=tuple(i for i in every if i.kind == "technique"),
            standing_tasks=tuple(standing),
            notes=tuple(i for i in (*written, *every) if i.kind == "note"),
            phase_notes=tuple(AgendaItem("note", "note", "Note", None, (), note.detail, (),
                                         note.loc.line) for note in phase.notes),
            homework_given=self.homework(phase, session),
            homework_to_review=previous,
            measures_due=measures_due,
            sessions_remaining=self.remaining(index),
            continuation_after=0 if self.after_course[index] else self.continuation,
            line=session.loc.line if session.loc else None,
            first_session_tasks=tuple(first),
            review_without_homework=without_homework,
            date_status=None if log is None or when is None else self.date_status(session.number),
            planned_date=planned_at.date().isoformat() if moved else None,
            since_last=log.since_last() if log and is_next else (),
            scores=self.next_scores if is_next else (),
            risk_alerts=self.next_alerts if is_next else (),
        )

    def date_status(self, number: int) -> str:
        assert self.log is not None
        return "held" if number in self.log.held_at else "projected"

    # --- the log's scores -------------------------------------------------------------

    def scale_scores(self, progress: ScaleProgress, first: int, last: int,
                     **size) -> ScaleScores:
        """One scale's scores, charted across sessions `first` to `last`."""
        scale = progress.definition

        def taken(point) -> ScoreTaken:
            return ScoreTaken(point.session, point.date.isoformat() if point.date else None,
                              point.total, band_of(scale, point.total))

        totals = [p.total for p in progress.points]
        return ScaleScores(
            name=scale.name, label=scale.label, low=scale.low, high=scale.high,
            scores=tuple(taken(p) for p in progress.points),
            baseline=taken(progress.baseline), latest=taken(progress.latest),
            change=progress.change, reliable=progress.reliable,
            response=progress.response, remission=progress.remission,
            bands=tuple(f"{b.low}-{b.high} {b.label}" for b in scale.bands),
            spark=charts.sparkline(totals, scale.low, scale.high),
            spark_ascii=charts.sparkline(totals, scale.low, scale.high, charts.ASCII),
            chart=charts.plot([(p.session, p.total) for p in progress.points], scale.low,
                              scale.high, first, last,
                              [(b.low, b.high, b.label) for b in scale.bands], **size))

    def risk_alerts(self) -> tuple[RiskAlert, ...]:
        """Each risk item the last session held scored positive with no `risk` line under
        it (what IPT506 warns of), for the next session's agenda."""
        last = self.log.last_held if self.log else None
        if last is None:
            return ()
        return tuple(RiskAlert(last.number, last.date.isoformat() if last.date else None,
                               scale.name, scale.risk_item, int(item.text))
                     for scale, item in unassessed_risks(last, self.cat))

    def measure_due(self, measure: Measure, number: int) -> MeasureDue:
        name = measure.name.text
        scale = self.cat.measures.get(name)
        logged = None
        if self.log is not None and number in self.log.held_at:
            entry = self.log.raw[self.log.held_at[number]]
            logged = next((s.value for s in entry.scores if s.scale.text == name), None)
        return MeasureDue(name, self.scale_label(name), scale.low if scale else None,
                          scale.high if scale else None, logged)

    def shows_every_focus(self, technique: str) -> bool:
        found = self.cat.techniques.get(technique)
        return found is not None and found.every_focus

    # --- the whole course -------------------------------------------------------------

    def course(self) -> Course:
        plan, profile, schedule = self.plan, self.profile, self.plan.schedule
        sessions = tuple(self.session_agenda(i) for i in range(len(self.course_sessions)))
        rows = tuple(ScheduleRow(s.number, s.date, s.title, s.phase_label,
                                 tuple(f.id for f in s.foci),
                                 tuple(t.label for t in s.techniques), bool(s.homework_given),
                                 s.delivery, s.delivery_label, s.format, s.participants,
                                 self.own_minutes(s.number), s.date_status,
                                 self.log.of_session(s.number) if self.log else ())
                     for s in sessions)
        phases = tuple(self.phase_summary(p) for p in plan.phases)
        delivery = plan.delivery.text if plan.delivery else DEFAULT_DELIVERY
        return Course(
            plan_file=_file_name(plan.path), title=plan.title, client=plan.client,
            clinician=plan.clinician, diagnosis=plan.diagnosis,
            protocol=profile.name if profile else plan.protocol_name,
            protocol_title=profile.title if profile else plan.protocol_name,
            protocol_source=profile.source if profile else None,
            total_sessions=self.total,
            continuation_sessions=self.continuation,
            cadence=schedule.label if schedule else None,
            time=_clock(schedule),
            minutes=schedule.minutes if schedule else None,
            schedules=tuple(ScheduleSegment(
                s.label, int(s.from_session.text) if s.from_session else None,
                s.start.isoformat() if s.start else None, _clock(s), s.minutes, s.loc.line)
                for s in plan.schedules),
            delivery=delivery, delivery_label=DELIVERY_LABELS[delivery], format=self.format,
            skipped_dates=tuple(s.date.isoformat() for s in plan.skips),
            measures=tuple(MeasurePlan(m.name.text, self.scale_label(m.name.text),
                                       m.every, m.label, self.measure_sessions(m))
                           for m in plan.measures),
            foci=tuple(self.focus_summary(f) for f in plan.foci),
            phases=phases, rows=rows, sessions=sessions,
            log=self.log.entries if self.log else None, planned_end=self.planned_end(),
            scores=self.course_scores())

    def course_scores(self) -> tuple[ScaleScores, ...]:
        """Every scale scored in the log, charted over the whole course."""
        if not self.progress:
            return ()
        first, last = min(self.held), max(self.held)
        return tuple(self.scale_scores(p, first, last) for p in self.progress.values())

    def planned_end(self) -> str | None:
        """The schedule's date for the last session, where the log has moved it."""
        if not self.planned or not self.held:
            return None
        last = max(self.held)
        planned, when = self.planned.get(last), self.held[last].when
        if planned is None or when is None or planned.date() == when.date():
            return None
        return planned.date().isoformat()


@dataclass(frozen=True)
class _At:
    """One session, as its texts are said: whether it is the course's first, and the
    values there of the placeholders that change from session to session (SESSION_WORDS
    and "measures")."""

    first: bool
    words: dict[str, str]


def _protocol_words(profile: Profile | None) -> dict[str, str]:
    """What the catalogue's placeholders say for a protocol: its condition's words and its
    note on the sick role."""
    words = condition_words(profile)
    words["sick_role_note"] = (profile.sick_role_note if profile else None) \
        or DEFAULT_SICK_ROLE_NOTE
    return words


def _limited_sick_role(profile: Profile | None) -> bool:
    return profile is not None and profile.sick_role == "limited"


def technique_texts(technique: Technique, profile: Profile | None, first: bool = False,
                    words: dict[str, str] | None = None) -> tuple[str, tuple[str, ...]]:
    """A technique's description and prompts as an agenda of the protocol says them, for a
    reader with no course built (an editor's hover). `first`: at the course's first
    session; `words`: the course's numbers known there (SESSION_WORDS, `measures`); a
    prompt that needs one not given is left out."""
    return _said(technique, _limited_sick_role(profile), first,
                 tuple({**_protocol_words(profile), **(words or {})}.items()))


@lru_cache(maxsize=4096)
def _said(technique: Technique, limited: bool, first: bool,
          words: tuple[tuple[str, str | None], ...]) -> tuple[str, tuple[str, ...]]:
    """A technique's description and prompts: the limited sick role's where the protocol
    gives it, the first session's at the course's first, the placeholders filled with
    `words`, and the rating sentence where a scale is due ("measures" has a value). A
    prompt whose number is not known at this session (no value) is left out."""
    values = {word: value for word, value in words if value is not None}
    description = ((limited and technique.limited_description)
                   or (first and technique.first_session_description)
                   or technique.description)
    prompts = next(p for p in (technique.limited_prompts if limited else None,
                               technique.first_session_prompts if first else None,
                               technique.prompts) if p is not None)
    text = fill(description, values) or description
    rated = fill(technique.rated, values) if technique.rated else None
    if rated:  # None where no scale is due: {measures} has no value there
        text += " " + rated
    said = (fill(prompt, values) for prompt in prompts)
    return text, tuple(p for p in said if p is not None)


@lru_cache(maxsize=1024)
def _session_bound(technique: Technique) -> tuple[str, ...]:
    """The course's numbers (SESSION_WORDS) a technique's prompts say."""
    texts = (*technique.prompts, *(technique.first_session_prompts or ()),
             *(technique.limited_prompts or ()))
    return tuple(sorted({word for text in texts for word in placeholders(text)
                         if word in SESSION_WORDS}))


def _without_review(items: list[AgendaItem]) -> list[AgendaItem]:
    """With no homework to review, a homework review asks nothing: one the plan wrote a
    detail for keeps it, without the catalogue's description and prompts; others go."""
    return [AgendaItem(i.kind, i.name, i.label, None, (), i.detail, i.foci, i.line,
                       i.focus_labels) if i.name == HOMEWORK_REVIEW else i
            for i in items if i.name != HOMEWORK_REVIEW or i.detail]


def _clock(schedule: Schedule | None) -> str | None:
    return schedule.time.strftime("%H:%M") if schedule and schedule.time else None


def _file_name(path: str) -> str:
    # Only the name: the folder a plan was rendered from must not change its agendas.
    return path.replace("\\", "/").rsplit("/", 1)[-1]
