"""The builder: the parsed lines, in order, assembled into a typed `Plan`.

Keywords give the structure: a goal belongs to the focus above it, an activity to the
session (or `every session` block) above it. Lines in the wrong place and things defined
twice are reported here, since only the builder sees the order of lines.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from . import statements as lines
from .codes import DEFINED_TWICE, SYNTAX
from .diagnostics import Diagnostic, Severity
from .model import MAX_SESSIONS, Activity, Focus, Goal, Loc, Measure, Phase, Plan, Schedule, Session, Skip, Word
from .wording import closest

HEADER_KEYWORDS = ("client", "clinician", "protocol", "diagnosis", "schedule", "skip", "measure",
                   "id")
# Bounds that only a typing slip exceeds: they keep dates and times computable.
MAX_SESSION_MINUTES = 24 * 60
MAX_INTERVAL_WEEKS = 52
REPEATABLE = (lines.SkipLine, lines.MeasureLine)
# A plan's id is random (`ipt-plan new` writes 32 hex digits): at least 48 bits, so that no
# two plans share one by chance, and never a name, a date or a client number.
PLAN_ID = re.compile(r"[0-9a-f]{12,32}")


@dataclass
class _FocusDraft:
    line: lines.FocusLine
    stage: Word | None = None
    goals: list[Goal] = field(default_factory=list)


@dataclass
class _SessionDraft:
    line: lines.SessionLine
    number: int
    activities: list[Activity] = field(default_factory=list)


@dataclass
class _PhaseDraft:
    line: lines.PhaseLine
    first: int
    last: int
    every: list[Activity] | None = None
    sessions: list[_SessionDraft] = field(default_factory=list)
    cut: bool = False


def _parse_date(word: Word) -> dt.date | str:
    """The date, or a sentence saying why it is not one."""
    year, month, day = (int(part) for part in word.text.split("-"))
    if year < 1:
        return f"{word.text} is not a date: there is no year 0"
    if not 1 <= month <= 12:
        return f"{word.text} is not a date: there is no month {month}"
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return (f"{word.text} is not a date: {calendar.month_name[month]} {year} "
                f"has {last} days")
    return dt.date(year, month, day)


class _Builder:
    def __init__(self, path: str):
        self.path = path
        self.diagnostics: list[Diagnostic] = []
        self.header: dict[type, lines.Statement] = {}
        # By date, name or id, so that a repeat is found without a scan: a generated
        # plan of 20,000 foci made the scans quadratic.
        self.skips: dict[dt.date, Skip] = {}
        self.measures: dict[str, Measure] = {}
        self.foci: dict[str, _FocusDraft] = {}
        self.phases: list[_PhaseDraft] = []  # a repeated phase is reported and kept
        self.first_phase: dict[str, _PhaseDraft] = {}
        self.focus: _FocusDraft | None = None
        self.phase: _PhaseDraft | None = None
        self.block: list[Activity] | None = None  # where activities go now
        self.schedule: Schedule | None = None
        self.first_statement = True
        self.session_lines: dict[int, _SessionDraft] = {}
        self.title_broken = False
        self.in_broken_focus = False  # goals under a focus line that did not parse

    def error(self, code: str, message: str, loc: Loc, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic.at(code, Severity.ERROR, message, self.path, loc, hint))

    def twice(self, what: str, loc: Loc, first: Loc, hint: str | None = None) -> None:
        self.error(DEFINED_TWICE, f"{what} is already defined on line {first.line}", loc,
                   hint or "remove one of the two, or merge them")

    # --- dispatch ----------------------------------------------------------------------

    def add(self, st: lines.Statement) -> None:
        handler = getattr(self, f"on_{lines.keyword(st)}")
        if isinstance(st, (lines.PlanLine, lines.BrokenLine)):
            handler(st)
        else:
            if self.first_statement and not self.title_broken:
                self.error(SYNTAX, "a plan starts with its title line",
                           Loc(st.loc.line, st.loc.column, st.loc.column + 1),
                           'make the first line: plan "Ms. A: caregiving conflict with her sister"')
            handler(st)
        self.first_statement = False

    def on_broken(self, st: lines.BrokenLine) -> None:
        """Keep the structure around a line that did not parse, so that the lines after
        it are neither misattributed nor reported a second time."""
        keyword = st.first_word
        if keyword not in lines.KEYWORDS:
            keyword = closest(keyword, lines.KEYWORDS, cutoff=0.75) or keyword
        if keyword == "plan" or self.first_statement:
            self.title_broken = True  # the title line is what failed, or what is hidden
        if keyword == "focus":
            self.focus, self.in_broken_focus = None, True
        elif keyword == "phase":
            self.focus, self.in_broken_focus = None, False
            self.phase = _PhaseDraft(lines.PhaseLine(st.loc, Word("?", st.loc), Word("0", st.loc),
                                                 Word("0", st.loc)), 0, -1)  # not kept
            self.block = None
        elif keyword in ("session", "every"):
            self.block = []  # not kept: the activities of a session we could not read

    def on_plan(self, st: lines.PlanLine) -> None:
        if lines.PlanLine in self.header:
            self.twice("the plan's title", st.loc, self.header[lines.PlanLine].loc)
            return
        if not self.first_statement:
            self.error(SYNTAX, "the plan line must be the first line of the file", st.loc,
                       "move it to the top")
        self.header[lines.PlanLine] = st

    def _header_line(self, st: lines.Statement) -> bool:
        """Record a header line; False when it is a duplicate."""
        if self.foci or self.phases:
            self.error(SYNTAX, f"the {lines.keyword(st)} line belongs in the header, before the "
                       "first focus", st.loc, "move it up, under the plan line")
        if not isinstance(st, REPEATABLE):
            if type(st) in self.header:
                self.twice(f"the plan's {lines.keyword(st)}", st.loc, self.header[type(st)].loc)
                return False
            self.header[type(st)] = st
        return True

    on_client = on_clinician = on_protocol = on_diagnosis = _header_line

    def on_id(self, st: lines.IdLine) -> None:
        if not self._header_line(st):
            return
        value = st.id.text
        if PLAN_ID.fullmatch(value):
            return
        if PLAN_ID.fullmatch(value.lower()):
            why = "write it in lowercase"
        elif re.fullmatch(r"[0-9a-fA-F]+", value):
            why = f"it has {len(value)} digits, and an id has 12 to 32"
        else:
            why = "an id is made of hexadecimal digits only (0-9 and a-f)"
        self.error(SYNTAX, f"'{value}' is not a plan id: {why}", st.id.loc,
                   f"write it like: {lines.LINE_FORMS['id']}; ipt-plan new writes a random one, "
                   "or delete the line")
        del self.header[lines.IdLine]  # not used: a calendar keeps to the file name instead

    def on_schedule(self, st: lines.ScheduleLine) -> None:
        if not self._header_line(st):
            return
        start = _parse_date(st.date)
        if isinstance(start, str):
            self.error(SYNTAX, start, st.date.loc, "write the first session's date as YYYY-MM-DD")
            start = None
        hours, minutes = (int(x) for x in st.time.text.split(":"))
        time = None
        if hours > 23 or minutes > 59:
            self.error(SYNTAX, f"{st.time.text} is not a time of day", st.time.loc,
                       "write the time as HH:MM on the 24-hour clock, like 14:30")
        else:
            time = dt.time(hours, minutes)
        length = int(st.minutes.text)
        if length == 0 or length > MAX_SESSION_MINUTES:
            self.error(SYNTAX, f"a session cannot last {length} minutes", st.minutes.loc,
                       "write the session length, like: for 50 min")
            length = 0
        if st.interval_weeks is not None and not 1 <= st.interval_weeks <= MAX_INTERVAL_WEEKS:
            self.error(SYNTAX, f"sessions cannot be every {st.interval_weeks} weeks", st.loc,
                       "write how many weeks apart sessions are, like: every 2 weeks")
            return
        self.schedule = Schedule(st.cadence, st.interval_weeks or None, start, time, length, st.loc)

    def on_skip(self, st: lines.SkipLine) -> None:
        self._header_line(st)
        date = _parse_date(st.date)
        if isinstance(date, str):
            self.error(SYNTAX, date, st.date.loc, "write the skipped date as YYYY-MM-DD")
            return
        earlier = self.skips.get(date)
        if earlier:
            self.twice(f"skip {st.date.text}", st.loc, earlier.loc)
            return
        self.skips[date] = Skip(date, st.loc)

    def on_measure(self, st: lines.MeasureLine) -> None:
        self._header_line(st)
        every = int(st.every.text) if st.every else 1
        if every == 0:
            self.error(SYNTAX, "a measure cannot be every 0 sessions", st.every.loc,
                       "write: every session, or every 4 sessions")
            return
        earlier = self.measures.get(st.name.text)
        if earlier:
            self.twice(f"the measure {st.name.text}", st.loc, earlier.loc)
            return
        self.measures[st.name.text] = Measure(st.name, every, st.loc)

    def on_focus(self, st: lines.FocusLine) -> None:
        self.in_broken_focus = False
        if self.phases:
            self.error(SYNTAX, "focus lines go before the first phase", st.loc,
                       "move this focus and its goals above the first phase line")
        earlier = self.foci.get(st.id.text)
        if earlier:
            self.twice(f"the focus '{st.id.text}'", st.id.loc, earlier.line.loc,
                       "give each focus its own name")
            self.focus = None
            return
        self.focus = _FocusDraft(st)
        self.foci[st.id.text] = self.focus

    def _in_focus(self, st: lines.Statement) -> _FocusDraft | None:
        if self.in_broken_focus:
            return None
        if self.focus is None or self.phases:
            self.error(SYNTAX, f"a {lines.keyword(st)} line belongs under a focus line", st.loc,
                       f'put it under its focus, like:\n  {lines.LINE_FORMS["focus"]}\n    '
                       f'{lines.LINE_FORMS[lines.keyword(st)]}')
            return None
        return self.focus

    def on_stage(self, st: lines.StageLine) -> None:
        focus = self._in_focus(st)
        if focus is None:
            return
        if focus.stage is not None:
            self.twice(f"the stage of '{focus.line.id.text}'", st.loc, focus.stage.loc)
            return
        focus.stage = st.stage

    def on_goal(self, st: lines.GoalLine) -> None:
        focus = self._in_focus(st)
        if focus is not None:
            focus.goals.append(Goal(st.text, st.loc))

    def on_phase(self, st: lines.PhaseLine) -> None:
        self.focus = None
        self.block = None
        self.in_broken_focus = False
        first, last = int(st.first.text), int(st.last.text)
        if first > last:
            self.error(SYNTAX, f"the range {first}-{last} runs backwards", st.loc,
                       f"write the first session first: sessions {last}-{first}")
            first, last = last, first
        cut = last - first >= MAX_SESSIONS
        if cut:
            self.error(SYNTAX,
                       f"sessions {first}-{last} is a phase of {last - first + 1:,} sessions, more "
                       f"than a plan can hold (at most {MAX_SESSIONS:,} a phase); only sessions "
                       f"{first}-{first + MAX_SESSIONS - 1} are checked, and the course's length "
                       "is not judged", st.last.loc, "check the range for a typing slip")
            last = first + MAX_SESSIONS - 1
        self.phase = _PhaseDraft(st, first, last, cut=cut)
        earlier = self.first_phase.setdefault(st.name.text, self.phase)
        if earlier is not self.phase:
            self.twice(f"the {st.name.text} phase", st.name.loc, earlier.line.loc,
                       "write each phase once, with all its sessions under it")
        self.phases.append(self.phase)

    def on_every(self, st: lines.EveryLine) -> None:
        if self.phase is None:
            self.error(SYNTAX, "an 'every session' block belongs inside a phase", st.loc,
                       "put it under a phase line, before the phase's first session")
            self.block = None
            return
        if self.phase.every is not None:
            self.error(DEFINED_TWICE, "this phase already has an 'every session' block", st.loc,
                       "merge the two blocks into one")
            self.block = self.phase.every
            return
        if self.phase.sessions:
            self.error(SYNTAX, "the 'every session' block must come before the phase's "
                       "first session", st.loc, "move it up, under the phase line")
        self.phase.every = []
        self.block = self.phase.every

    def on_session(self, st: lines.SessionLine) -> None:
        number = int(st.number.text)
        if self.phase is None:
            self.error(SYNTAX, "a session belongs inside a phase", st.loc,
                       f"put a phase line above it, like: {lines.LINE_FORMS['phase']}")
            self.block = None
            return
        if number in self.session_lines:
            earlier = self.session_lines[number]
            self.twice(f"session {number}", st.number.loc, earlier.line.loc,
                       "write each session once; put all its activities under one session line")
            self.block = earlier.activities  # still checked, as part of the first one
            return
        draft = _SessionDraft(st, number)
        self.session_lines[number] = draft
        self.phase.sessions.append(draft)
        self.block = draft.activities

    def on_activity(self, st: lines.ActivityLine) -> None:
        if self.block is not None:
            self.block.append(st.activity)
            return
        name = st.activity.name.text
        if not self.phases and st.activity.kind == "technique":
            close = closest(name, lines.KEYWORDS, cutoff=0.7)
            if close:
                self.error(SYNTAX, f"'{name}' is not a keyword; did you mean '{close}'?",
                           st.activity.name.loc,
                           f"{close} lines look like: {lines.LINE_FORMS[close]}")
            else:
                self.error(SYNTAX, f"'{name}' is not a header line", st.activity.name.loc,
                           "header lines are: " + ", ".join(HEADER_KEYWORDS))
            return
        self.error(SYNTAX, f"'{name}' is outside any session", st.loc,
                   "put it under a session line (session 4) or an 'every session' block")

    # --- result ------------------------------------------------------------------------

    def plan(self) -> Plan:
        header = self.header
        title = header.get(lines.PlanLine)
        if self.first_statement:
            self.error(SYNTAX, "this file is empty", Loc(1, 1, 2),
                       f"a plan starts with its title line: {lines.LINE_FORMS['plan']}")
        protocol = header.get(lines.ProtocolLine)
        plan_id = header.get(lines.IdLine)
        foci = tuple(Focus(f.line.id, f.line.area, f.line.description, f.stage,
                           tuple(f.goals), f.line.loc) for f in self.foci.values())
        phases = tuple(
            Phase(ph.line.name, ph.first, ph.last, tuple(ph.every or ()),
                  tuple(Session(s.number, s.line.title, tuple(s.activities), s.line.loc)
                        for s in ph.sessions), ph.line.loc, ph.cut)
            for ph in self.phases)
        return Plan(
            path=self.path,
            title=title.title if title else None,
            id=plan_id.id.text if plan_id else None,
            client=getattr(header.get(lines.ClientLine), "client", None),
            clinician=getattr(header.get(lines.ClinicianLine), "name", None),
            protocol=protocol.ref if protocol else None,
            diagnosis=getattr(header.get(lines.DiagnosisLine), "text", None),
            schedule=self.schedule,
            skips=tuple(self.skips.values()),
            measures=tuple(self.measures.values()),
            foci=foci,
            phases=phases,
            loc=title.loc if title else None,
        )


def build(statements: list[lines.Statement], path: str = "<plan>") -> tuple[Plan, list[Diagnostic]]:
    builder = _Builder(path)
    for statement in statements:
        builder.add(statement)
    plan = builder.plan()
    return plan, builder.diagnostics
