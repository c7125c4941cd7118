"""When each session falls: the plan's schedule, with skipped dates applied."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Iterator

from .model import Plan, Schedule


def _add_months(start: dt.date, months: int) -> dt.date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def slots(schedule: Schedule) -> Iterator[dt.date]:
    """Every date the cadence offers, from the first session on."""
    start = schedule.start
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


def session_dates(plan: Plan) -> dict[int, dt.datetime]:
    """Date and time of every session of the course, by number; empty without a usable
    schedule. A skipped date has no session: that session and the later ones move on a slot."""
    schedule = plan.schedule
    if schedule is None or schedule.start is None:
        return {}
    numbers = sorted({session.number for _, session in plan.sessions()})
    skipped = {skip.date for skip in plan.skips}
    time = schedule.time or dt.time(0, 0)
    dates: dict[int, dt.datetime] = {}
    offered = slots(schedule)
    for number in numbers:
        day = next(offered, None)
        while day in skipped:
            day = next(offered, None)
        if day is None:
            break
        dates[number] = dt.datetime.combine(day, time)
    return dates


def course_weeks(dates: dict[int, dt.datetime]) -> int:
    """How many calendar weeks the course spans, first session's week to last's."""
    if not dates:
        return 0
    first, last = min(dates.values()).date(), max(dates.values()).date()
    return (last - first).days // 7 + 1
