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
from .codes import DEFINED_TWICE, SYNTAX, UNKNOWN_NAME
from .diagnostics import Diagnostic, Fix, Severity, replacing, suggest
from .model import (DELIVERIES, FORMATS, HOMEWORK_OUTCOMES, MAX_SESSIONS, STATUSES, Activity, Died,
                    Focus, Goal, HomeworkOutcome, Loc, LogEntry, Measure, Phase, Plan, Schedule,
                    Score, Session, Skip, Stage, Word)
from .wording import closest

HEADER_KEYWORDS = ("client", "clinician", "protocol", "diagnosis", "delivery", "format",
                   "schedule", "skip", "measure", "id")
# A session line's delivery words: `by telephone`, `by video`, `in person`.
SESSION_DELIVERIES = {"telephone": "telephone", "video": "video", "person": "in_person"}
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
    stages: list[Stage] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    died: Died | None = None


@dataclass
class _SessionDraft:
    line: lines.SessionLine
    number: int
    activities: list[Activity] = field(default_factory=list)
    participants: tuple[Word, ...] = ()
    delivery: Word | None = None
    format: Word | None = None
    length: Word | None = None


@dataclass
class _EntryDraft:
    line: lines.EntryLine
    date: dt.date | None
    scores: list[Score] = field(default_factory=list)
    homework: HomeworkOutcome | None = None
    risks: list[Activity] = field(default_factory=list)
    notes: list[Activity] = field(default_factory=list)


@dataclass
class _PhaseDraft:
    line: lines.PhaseLine
    first: int
    last: int
    every: list[Activity] | None = None
    sessions: list[_SessionDraft] = field(default_factory=list)
    cut: bool = False
    notes: list[Activity] = field(default_factory=list)


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
        self.schedule_changes: list[Schedule] = []
        self.delivery: Word | None = None
        self.format: Word | None = None
        self.log: list[_EntryDraft] | None = None  # None until the `log` line
        self.log_line: lines.LogLine | None = None
        self.entry: _EntryDraft | None = None  # the log entry lines now belong to
        self.in_broken_entry = False  # lines under a log entry that did not parse
        self.first_statement = True
        self.session_lines: dict[int, _SessionDraft] = {}
        self.title_broken = False
        self.in_broken_focus = False  # goals under a focus line that did not parse

    def error(self, code: str, message: str, loc: Loc, hint: str | None = None,
              fixes: tuple[Fix, ...] = ()) -> None:
        self.diagnostics.append(Diagnostic.at(code, Severity.ERROR, message, self.path, loc, hint,
                                              fixes))

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

    # --- the log: the course as it happens ----------------------------------------------

    def _after_log(self, st: lines.Statement) -> bool:
        """A plan line written after the log: reported, and not kept, since the log ends
        the plan."""
        if self.log is None:
            return False
        assert self.log_line is not None
        self.error(SYNTAX, f"the {lines.keyword(st)} line comes after the log, which ends the "
                   f"plan (line {self.log_line.loc.line})", st.loc,
                   "move it above the log line")
        return True

    def on_log(self, st: lines.LogLine) -> None:
        if self.log is not None:
            assert self.log_line is not None
            self.twice("the log", st.loc, self.log_line.loc, "keep one log, at the end")
            return
        self.log, self.log_line = [], st
        self.focus = self.phase = self.block = self.entry = None

    def on_entry(self, st: lines.EntryLine) -> None:
        if self.log is None:
            self.error(SYNTAX, "a log entry belongs under the log line, at the end of the plan",
                       st.loc, "write the line log above the first entry")
            self.entry, self.in_broken_entry = None, True
            return
        date = _parse_date(st.date)
        if isinstance(date, str):
            self.error(SYNTAX, date, st.date.loc, "write the date as YYYY-MM-DD")
            date = None
        status = st.status.text
        if not self._one_of(st.status, STATUSES, "what happened to a session"):
            self.entry, self.in_broken_entry = None, True
            return
        if st.reason is not None and status == "held":
            self.error(SYNTAX, "a held session has no reason", st.loc,
                       "write what happened in a note under it: note \"...\"")
        self.entry, self.in_broken_entry = _EntryDraft(st, date), False
        self.log.append(self.entry)

    def _in_entry(self, st: lines.Statement) -> _EntryDraft | None:
        """The held session a score, risk or homework line belongs to; None (reported)
        when it is not under one."""
        entry = self.entry
        if entry is None:
            if self.in_broken_entry or self.log:
                return None  # under an entry that did not parse: already reported
            self.error(SYNTAX, f"a {lines.keyword(st)} line belongs under a session of the log",
                       st.loc, f"put it under a log entry, like:\n  log\n    "
                       f"{lines.LINE_FORMS['entry'].split('  (')[0]}\n      "
                       f"{lines.LINE_FORMS[lines.keyword(st)].split('  (')[0]}")
            return None
        if entry.line.status.text != "held":
            self.error(SYNTAX, f"session {entry.line.number.text} was "
                       f"{entry.line.status.text}, so it has no {lines.keyword(st)}", st.loc,
                       "a score, risk or homework line goes under a held session")
            return None
        return entry

    def on_score(self, st: lines.ScoreLine) -> None:
        entry = self._in_entry(st)
        if entry is None:
            return
        earlier = next((s for s in entry.scores if s.scale.text == st.scale.text), None)
        if earlier is not None:
            self.twice(f"the {st.scale.text} score of this session", st.loc, earlier.loc)
            return
        entry.scores.append(Score(st.scale, st.total, st.items, st.loc))

    def on_risk(self, st: lines.RiskLine) -> None:
        entry = self._in_entry(st)
        if entry is not None:
            keyword = Word("risk", Loc(st.loc.line, st.loc.column, st.loc.column + 4))
            entry.risks.append(Activity("risk", keyword, (), st.text, st.loc))

    def on_outcome(self, st: lines.OutcomeLine) -> None:
        if self.log is None:
            self.error(SYNTAX, f"'homework {st.outcome.text}' says how homework went, which "
                       "belongs in the log", st.outcome.loc,
                       'to set homework, write: homework "Visit the volunteer centre"')
            return
        entry = self._in_entry(st)
        if entry is None or not self._one_of(st.outcome, HOMEWORK_OUTCOMES,
                                             "how homework went"):
            return
        if entry.homework is not None:
            self.twice("how the homework went", st.loc, entry.homework.loc)
            return
        entry.homework = HomeworkOutcome(st.outcome, st.text, st.loc)

    def on_broken(self, st: lines.BrokenLine) -> None:
        """Keep the structure around a line that did not parse, so that the lines after
        it are neither misattributed nor reported a second time."""
        keyword = st.keyword
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
        elif self.log is not None and st.first_word[:1].isdigit():
            self.entry, self.in_broken_entry = None, True  # its lines are not judged

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

    def _one_of(self, word: Word, allowed: tuple[str, ...], what: str) -> bool:
        """Whether the word is one of `allowed`; if not, say so with a did-you-mean."""
        if word.text in allowed:
            return True
        hint, fixes = suggest(word, allowed, then="write one of: " + ", ".join(allowed))
        self.error(UNKNOWN_NAME, f"'{word.text}' is not {what}", word.loc, hint, fixes)
        return False

    def on_delivery(self, st: lines.DeliveryLine) -> None:
        if self._header_line(st) and self._one_of(st.mode, DELIVERIES, "a way of delivering "
                                                  "sessions"):
            self.delivery = st.mode

    def on_format(self, st: lines.FormatLine) -> None:
        if self._header_line(st) and self._one_of(st.format, FORMATS, "a session format"):
            self.format = st.format

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

    def _time(self, word: Word) -> dt.time | None:
        hours, minutes = (int(x) for x in word.text.split(":"))
        if hours > 23 or minutes > 59:
            self.error(SYNTAX, f"{word.text} is not a time of day", word.loc,
                       "write the time as HH:MM on the 24-hour clock, like 14:30")
            return None
        return dt.time(hours, minutes)

    def _minutes(self, word: Word) -> int:
        """A session's length in minutes; 0 when it cannot be one (reported)."""
        length = int(word.text)
        if length == 0 or length > MAX_SESSION_MINUTES:
            self.error(SYNTAX, f"a session cannot last {length} minutes", word.loc,
                       "write the session length, like: for 50 min")
            return 0
        return length

    def on_schedule(self, st: lines.ScheduleLine) -> None:
        if st.from_session is not None:
            self._schedule_change(st)
            return
        if not self._header_line(st):
            return
        assert st.date is not None and st.time is not None and st.minutes is not None
        start = _parse_date(st.date)
        if isinstance(start, str):
            self.error(SYNTAX, start, st.date.loc, "write the first session's date as YYYY-MM-DD")
            start = None
        time = self._time(st.time)
        length = self._minutes(st.minutes)
        if st.interval_weeks is not None and not 1 <= st.interval_weeks <= MAX_INTERVAL_WEEKS:
            self.error(SYNTAX, f"sessions cannot be every {st.interval_weeks} weeks", st.loc,
                       "write how many weeks apart sessions are, like: every 2 weeks")
            return
        self.schedule = Schedule(st.cadence, st.interval_weeks or None, start, time, length, st.loc)

    def _schedule_change(self, st: lines.ScheduleLine) -> None:
        """`schedule weekly from session 7`: the rhythm from that session on. Kept in
        the header like the first schedule line; a phase may follow it, since a change of
        rhythm is often written where it happens (a continuation phase's own line)."""
        assert st.from_session is not None
        if st.interval_weeks is not None and not 1 <= st.interval_weeks <= MAX_INTERVAL_WEEKS:
            self.error(SYNTAX, f"sessions cannot be every {st.interval_weeks} weeks", st.loc,
                       "write how many weeks apart sessions are, like: every 2 weeks")
            return
        if lines.ScheduleLine not in self.header:
            self.error(SYNTAX, "the first schedule line gives the first session's date",
                       st.loc, "write it before this one, like: schedule weekly from "
                       "2026-12-07 at 10:00 for 50 min")
            return
        number = int(st.from_session.text)
        earlier = self.schedule_changes[-1] if self.schedule_changes else None
        if earlier is not None and earlier.from_session is not None:
            before = int(earlier.from_session.text)
            if number == before:
                self.twice(f"the rhythm from session {number}", st.from_session.loc,
                           earlier.loc)
                return
            if number < before:
                self.error(SYNTAX, f"the rhythm changes from session {before} on line "
                           f"{earlier.loc.line}, so a change from session {number} comes "
                           "before it", st.from_session.loc,
                           "write the schedule lines in session order")
                return
        base = earlier or self.schedule
        time = self._time(st.time) if st.time else (base.time if base else None)
        length = self._minutes(st.minutes) if st.minutes else (base.minutes if base else 0)
        self.schedule_changes.append(Schedule(st.cadence, st.interval_weeks or None, None, time,
                                              length, st.loc, st.from_session))

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
        every = int(st.every.text) if st.every else (None if st.at else 1)
        seen: dict[int, Word] = {}
        for word in st.at:
            if int(word.text) in seen:
                self.error(SYNTAX, f"session {int(word.text)} is listed twice", word.loc,
                           "list each session once")
                return
            seen[int(word.text)] = word
        if st.at and list(seen) != sorted(seen):
            self.error(SYNTAX, "list the sessions in order", st.at[0].loc,
                       "write: at sessions " + ", ".join(str(n) for n in sorted(seen)))
            return
        if every == 0:
            self.error(SYNTAX, "a measure cannot be every 0 sessions", st.every.loc,
                       "write: every session, or every 4 sessions")
            return
        earlier = self.measures.get(st.name.text)
        if earlier:
            self.twice(f"the measure {st.name.text}", st.loc, earlier.loc)
            return
        self.measures[st.name.text] = Measure(st.name, every, st.loc, st.at)

    def on_focus(self, st: lines.FocusLine) -> None:
        if self._after_log(st):
            return
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
        stage = Stage(st.stage, st.from_session, st.loc)
        if not focus.stages:
            if st.from_session is not None:
                self.error(SYNTAX, "the first stage line gives the stage at the start of "
                           "the course", st.from_session.loc,
                           f"write the stage at the start first: stage {st.stage.text}, then "
                           f"later changes like: stage renegotiation from session "
                           f"{st.from_session.text}")
                stage = Stage(st.stage, None, st.loc)
            focus.stages.append(stage)
            return
        previous = focus.stages[-1]
        if st.from_session is None:
            self.twice(f"the stage of '{focus.line.id.text}'", st.loc, focus.stages[0].loc,
                       f"to say when the stage changes, write: stage {st.stage.text} from "
                       "session N")
            return
        if stage.first <= previous.first:
            self.error(SYNTAX, f"the stage changes from session {previous.first} on line "
                       f"{previous.loc.line}, so a change from session {stage.first} comes "
                       "before it", st.from_session.loc,
                       "write the stage lines in session order")
            return
        focus.stages.append(stage)

    def on_died(self, st: lines.DiedLine) -> None:
        focus = self._in_focus(st)
        if focus is None:
            return
        if focus.died is not None:
            self.twice(f"the date of death for '{focus.line.id.text}'", st.loc, focus.died.loc)
            return
        text = st.date.text if len(st.date.text) == 10 else st.date.text + "-01"
        date = _parse_date(Word(text, st.date.loc))
        if isinstance(date, str):
            self.error(SYNTAX, date.replace(text, st.date.text), st.date.loc,
                       "write the date of the death as YYYY-MM-DD, or YYYY-MM when only "
                       "the month is known")
            return
        focus.died = Died(date, len(st.date.text) == 7, st.loc)

    def on_goal(self, st: lines.GoalLine) -> None:
        focus = self._in_focus(st)
        if focus is not None:
            focus.goals.append(Goal(st.text, st.loc))

    def on_phase(self, st: lines.PhaseLine) -> None:
        if self._after_log(st):
            return
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
        if self._after_log(st):
            return
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
        if self._after_log(st):
            self.block = None
            return
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
        self._session_attributes(draft, st)
        self.session_lines[number] = draft
        self.phase.sessions.append(draft)
        self.block = draft.activities

    def _session_attributes(self, draft: _SessionDraft, st: lines.SessionLine) -> None:
        """Who attends, how, in which format and for how long, from the words after the
        session's title; each said once."""
        said: dict[str, Word] = {}
        for keyword, words in st.attributes:
            # `by` and `in person` both say how; `group` and `individual` both the format
            kind = {"by": "delivery", "in": "delivery", "group": "format",
                    "individual": "format"}.get(keyword.text, keyword.text)
            if kind in said:
                what = {"with": "who attends", "delivery": "how the session is held",
                        "format": "the session's format", "for": "the session's length"}[kind]
                self.error(SYNTAX, f"session {draft.number} already says {what}, at column "
                           f"{said[kind].loc.column}", keyword.loc, "say it once")
                continue
            said[kind] = keyword
            if kind == "with":
                names: dict[str, Word] = {}
                for word in words:
                    if word.text in names:
                        self.error(SYNTAX, f"{word.text} is listed twice", word.loc,
                                   "name each participant once")
                    names.setdefault(word.text, word)
                draft.participants = tuple(names.values())
            elif kind == "delivery":
                word = words[0]
                if keyword.text == "by" and word.text not in ("telephone", "video"):
                    self._one_of(word, ("telephone", "video"), "a way of delivering sessions "
                                 "(in person is written: in person)")
                    continue
                draft.delivery = Word(SESSION_DELIVERIES[word.text],
                                      Loc(keyword.loc.line, keyword.loc.column,
                                          word.loc.end_column))
            elif kind == "format":
                draft.format = keyword
            else:  # for N min
                if self._minutes(words[0]):
                    draft.length = words[0]

    def on_activity(self, st: lines.ActivityLine) -> None:
        if self.log is not None:
            self._log_activity(st)
            return
        if self.block is not None:
            self.block.append(st.activity)
            return
        if st.activity.kind == "note" and self.phase is not None and not self.phase.sessions:
            self.phase.notes.append(st.activity)  # a note on the phase itself
            return
        name = st.activity.name.text
        if not self.phases and st.activity.kind == "technique":
            close = closest(name, lines.KEYWORDS, cutoff=0.7)
            if close:
                self.error(SYNTAX, f"'{name}' is not a keyword; did you mean '{close}'?",
                           st.activity.name.loc,
                           f"{close} lines look like: {lines.LINE_FORMS[close]}",
                           (replacing(st.activity.name, close),))
            else:
                self.error(SYNTAX, f"'{name}' is not a header line", st.activity.name.loc,
                           "header lines are: " + ", ".join(HEADER_KEYWORDS))
            return
        self.error(SYNTAX, f"'{name}' is outside any session", st.loc,
                   "put it under a session line (session 4) or an 'every session' block")

    def _log_activity(self, st: lines.ActivityLine) -> None:
        """A note under a log entry; anything else a session holds is planned above."""
        activity = st.activity
        if activity.kind == "note":
            if self.entry is not None:
                self.entry.notes.append(activity)
            elif not self.log and not self.in_broken_entry:
                self._in_entry(lines.RiskLine(st.loc, ""))  # says where it belongs
            return
        if self.entry is None and (self.log or self.in_broken_entry):
            return  # under an entry that did not parse: already reported
        if activity.kind == "homework":
            self.error(SYNTAX, "in the log, say how the homework went", activity.name.loc,
                       "write: homework done, homework partly or homework not_done, with a "
                       "text if you like; homework to set goes in the session's plan above")
            return
        self.error(SYNTAX, f"'{activity.name.text}' is planned in a session above the log",
                   activity.name.loc, "a log entry holds score, homework, risk and note lines")

    # --- result ------------------------------------------------------------------------

    def plan(self) -> Plan:
        header = self.header
        title = header.get(lines.PlanLine)
        if self.first_statement:
            self.error(SYNTAX, "this file is empty", Loc(1, 1, 2),
                       f"a plan starts with its title line: {lines.LINE_FORMS['plan']}")
        protocol = header.get(lines.ProtocolLine)
        plan_id = header.get(lines.IdLine)
        foci = tuple(Focus(f.line.id, f.line.area, f.line.description, tuple(f.stages),
                           tuple(f.goals), f.line.loc, f.died, f.line.description_at)
                     for f in self.foci.values())
        phases = tuple(
            Phase(ph.line.name, ph.first, ph.last, tuple(ph.every or ()),
                  tuple(Session(s.number, s.line.title, tuple(s.activities), s.line.loc,
                                s.participants, s.delivery, s.format, s.length, s.line.title_at)
                        for s in ph.sessions), ph.line.loc, ph.cut, tuple(ph.notes))
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
            schedule_changes=tuple(self.schedule_changes),
            log=None if self.log is None else tuple(
                LogEntry(e.date, e.line.date, e.line.number, e.line.status, e.line.reason,
                         tuple(e.scores), e.homework, tuple(e.risks), tuple(e.notes), e.line.loc)
                for e in self.log),
            delivery=self.delivery,
            format=self.format,
            header_at=tuple((lines.keyword(st), st.loc) for st in header.values()),
        )


def build(statements: list[lines.Statement], path: str = "<plan>") -> tuple[Plan, list[Diagnostic]]:
    builder = _Builder(path)
    for statement in statements:
        builder.add(statement)
    plan = builder.plan()
    return plan, builder.diagnostics
