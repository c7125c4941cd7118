"""When and how each session is held: the plan's schedule lines, with skipped dates
applied, and each session's length, delivery, format and participants after what its own
line and the plan's header say."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING, Iterator, NamedTuple

from .model import DEFAULT_DELIVERY, LogEntry, Phase, Plan, Schedule, Session

if TYPE_CHECKING:
    from .knowledge import Catalogue, Profile


def _add_months(start: dt.date, months: int) -> dt.date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def slots(schedule: Schedule, start: dt.date | None = None) -> Iterator[dt.date]:
    """Every date the cadence offers, from `start` (the schedule's first date) on."""
    start = start or schedule.start
    assert start is not None
    index = 0
    while True:
        try:
            if schedule.cadence == "weekly":
                yield start + dt.timedelta(weeks=index)
            elif schedule.cadence == "every_n_weeks":
                yield start + dt.timedelta(weeks=index * (schedule.interval_weeks or 1))
            elif schedule.cadence == "twice_weekly":
                # Two sessions a week, three and four days apart (Monday and Thursday).
                yield start + dt.timedelta(days=7 * (index // 2) + 3 * (index % 2))
            else:  # monthly, on the same day of the month where it exists
                yield _add_months(start, index)
        except (OverflowError, ValueError):  # past year 9999: the calendar ends here
            return
        index += 1


class Calendar(NamedTuple):
    dates: dict[int, dt.datetime]  # each session's date and time, by number
    offered: list[dt.date]  # every date the rhythm offered up to the last session, skipped
    # ones included, in order: where a skip can fall
    # The dates the schedule alone gives (the forecast); `dates` differs from it where a
    # log says when sessions were held and moves the ones still to come
    planned: dict[int, dt.datetime] | None = None

    @property
    def forecast(self) -> dict[int, dt.datetime]:
        return self.dates if self.planned is None else self.planned


def schedules_in_force(plan: Plan, numbers: list[int]) -> dict[int, Schedule]:
    """The schedule line in force at each session (numbers in order): the last change
    that has begun, else the first line. One walk of both lists, in step."""
    if plan.schedule is None:
        return {}
    changes = [c for c in plan.schedule_changes if c.from_session is not None]
    in_force: dict[int, Schedule] = {}
    current, index = plan.schedule, 0
    for number in numbers:
        while index < len(changes) and int(changes[index].from_session.text) <= number:
            current, index = changes[index], index + 1
        in_force[number] = current
    return in_force


def course_calendar(plan: Plan, today: dt.date | None = None) -> Calendar:
    """Every session's date and time; empty without a usable schedule. A skipped date
    has no session: that session and the later ones move on a slot. Where the rhythm
    changes (`schedule every 2 weeks from session 13`), the session it names comes one
    step of the new rhythm after the session before it.

    In a plan with a log, a held session is on the date it was held, and every session
    still owed (not logged, or cancelled or missed) takes the schedule's next free slot
    after the last entry, never before `today` (the real date when None). A plan without
    a log keeps its scheduled dates whatever the day."""
    planned = _planned_calendar(plan)
    if plan.log is None or not planned.dates:
        return planned
    return _projected(plan, planned, today or dt.date.today())


def _projected(plan: Plan, planned: Calendar, today: dt.date) -> Calendar:
    first = plan.schedule
    assert first is not None and first.start is not None
    numbers = sorted(planned.dates)
    schedules = schedules_in_force(plan, numbers)
    held: dict[int, dt.date] = {}
    last_logged: dt.date | None = None
    for entry in plan.log or ():
        if entry.date is None:
            continue
        last_logged = entry.date if last_logged is None else max(last_logged, entry.date)
        if entry.held and entry.number in planned.dates:
            held.setdefault(entry.number, entry.date)
    after = today if last_logged is None else _day_after(last_logged)
    # None once the calendar's last day is taken: no session still owed has a date then
    cursor = None if after is None else max(today, after)
    skipped = {skip.date for skip in plan.skips}
    # Each schedule line's own grid of dates, walked forward only: a rhythm change's grid
    # starts where the forecast put the session it names
    grids: dict[int, Iterator[dt.date]] = {}
    visited: set[dt.date] = set()
    dates: dict[int, dt.datetime] = {}
    for number in numbers:
        schedule = schedules[number]
        time = schedule.time or first.time or dt.time(0, 0)
        if number in held:
            dates[number] = dt.datetime.combine(held[number], time)
            continue
        if cursor is None:
            continue
        key = id(schedule)
        if key not in grids:
            start = first.start if schedule is first else planned.dates[
                int(schedule.from_session.text)].date()
            grids[key] = slots(schedule, start)
        day = next(grids[key], None)
        while day is not None and (day < cursor or day in skipped):
            if day >= cursor:
                visited.add(day)  # a skipped date the rhythm offered
            day = next(grids[key], None)
        if day is None:
            cursor = None  # past the end of the calendar
            continue
        visited.add(day)
        dates[number] = dt.datetime.combine(day, time)
        cursor = _day_after(day)
    offered = sorted(set(planned.offered) | visited)
    return Calendar(dates, offered, planned.dates)


def _day_after(day: dt.date) -> dt.date | None:
    """The next day; None after 31 December 9999, where the calendar ends."""
    try:
        return day + dt.timedelta(days=1)
    except OverflowError:
        return None


def _planned_calendar(plan: Plan) -> Calendar:
    first = plan.schedule
    if first is None or first.start is None:
        return Calendar({}, [])
    numbers = sorted({session.number for _, session in plan.sessions()})
    skipped = {skip.date for skip in plan.skips}
    dates: dict[int, dt.datetime] = {}
    offered_days: list[dt.date] = []
    schedules = schedules_in_force(plan, numbers)
    in_force, offered = first, slots(first)
    last_day: dt.date | None = None
    for number in numbers:
        schedule = schedules[number]
        if schedule is not in_force and last_day is not None:
            in_force, offered = schedule, slots(schedule, last_day)
            next(offered, None)  # the session before, already held
        day = next(offered, None)
        while day is not None and day in skipped:
            offered_days.append(day)
            day = next(offered, None)
        if day is None:
            break
        offered_days.append(day)
        dates[number] = dt.datetime.combine(day, in_force.time or first.time or dt.time(0, 0))
        last_day = day
    return Calendar(dates, offered_days)


def session_dates(plan: Plan, today: dt.date | None = None) -> dict[int, dt.datetime]:
    """Date and time of every session of the course, by number (see course_calendar)."""
    return course_calendar(plan, today).dates


def course_weeks(dates: dict[int, dt.datetime]) -> int:
    """How many calendar weeks the course spans, first session's week to last's."""
    if not dates:
        return 0
    first, last = min(dates.values()).date(), max(dates.values()).date()
    return (last - first).days // 7 + 1


class Appointment(NamedTuple):
    """How one session is held, after its own line, the plan's header and the protocol."""

    number: int
    when: dt.datetime | None
    minutes: int | None  # None without a schedule or a length of its own
    delivery: str  # in_person | telephone | video
    format: str  # individual | group
    participants: tuple[str, ...]  # besides the patient and the therapist


def course_format(profile: Profile | None) -> str:
    """`group` or `individual`: the format of the protocol's course sessions (what
    `appointments` takes as `course_format`), individual without a profile."""
    return profile.format if profile else "individual"


# How a session is held, in the words outputs use.
DELIVERY_LABELS = {"in_person": "in person", "telephone": "by telephone", "video": "by video"}


def participant_label(name: str, cat: Catalogue | None = None) -> str:
    """How an output names someone who attends (`with parent`): the catalogue's label,
    in lower case as it stands inside a sentence, else the name as written, in words."""
    known = cat.participants.get(name) if cat else None
    return known.label[0].lower() + known.label[1:] if known else name.replace("_", " ")


def session_format(plan: Plan, phase: Phase, session: Session, course_format: str) -> str:
    """`group` or `individual`: the session's own word, else the plan's `format`, else the
    protocol's (`course_format`). A pre-treatment session is individual unless it says
    otherwise: in group IPT it is each member's own meeting before the group."""
    if session.format is not None:
        return session.format.text
    if phase.kind == "pretreatment":
        return "individual"
    return plan.format.text if plan.format else course_format


def appointments(plan: Plan, course_format: str = "individual",
                 today: dt.date | None = None) -> dict[int, Appointment]:
    """Every session of the course, by number: when, how long, how and with whom."""
    dates = session_dates(plan, today)
    schedules = schedules_in_force(plan, sorted({s.number for _, s in plan.sessions()}))
    default_delivery = plan.delivery.text if plan.delivery else DEFAULT_DELIVERY
    held: dict[int, Appointment] = {}
    for phase, session in plan.sessions():
        if session.number in held:
            continue
        schedule = schedules.get(session.number)
        minutes = session.minutes or (schedule.minutes if schedule and schedule.minutes else None)
        delivery = session.delivery.text if session.delivery else default_delivery
        held[session.number] = Appointment(
            session.number, dates.get(session.number), minutes, delivery,
            session_format(plan, phase, session, course_format),
            tuple(word.text for word in session.participants))
    return held


# --- each session's state, from the log ---------------------------------------------------

# What happened to a session, as outputs say it: held; cancelled or missed (its last
# appointment, and it is still owed); projected (not yet come, or a plan without a log).
SESSION_STATUSES = ("held", "cancelled", "missed", "projected")


class SessionState(NamedTuple):
    """One session of the course as the log leaves it."""

    number: int
    status: str  # one of SESSION_STATUSES
    planned: dt.datetime | None  # where the schedule alone puts it (the forecast)
    date: dt.datetime | None  # held on, or projected to; None without a usable schedule
    entries: tuple[LogEntry, ...]  # the log's entries for it, in the order written

    @property
    def moved(self) -> bool:
        """Held or projected at another time than the schedule gave it."""
        return self.date is not None and self.date != self.planned

    @property
    def owed(self) -> bool:
        return self.status != "held"


def session_states(plan: Plan, today: dt.date | None = None,
                   calendar: Calendar | None = None) -> dict[int, SessionState]:
    """Every session of the course, by number, in order: held (on the date of its first
    held entry), else cancelled or missed (its last entry's, still owed and projected on),
    else projected (course_calendar: after the last entry, never before `today`)."""
    calendar = calendar or course_calendar(plan, today)
    entries: dict[int, list[LogEntry]] = {}
    for entry in plan.log or ():
        entries.setdefault(entry.number, []).append(entry)
    states = {}
    for number in sorted({session.number for _, session in plan.sessions()}):
        own = tuple(entries.get(number, ()))
        if any(entry.held for entry in own):
            status = "held"
        else:
            status = own[-1].status.text if own else "projected"
        states[number] = SessionState(number, status, calendar.forecast.get(number),
                                      calendar.dates.get(number), own)
    return states
