"""Output: a checked plan in the formats other systems read.

    result = ipt_plan.load_file("plans/caregiver-dispute.iptplan")
    export.to_ics(result, tz="Europe/London", label="Ms A")   # the clinician's calendar
    export.to_fhir(result, subject="Patient/123")    # an HL7 FHIR R4 record system
    export.to_json(result)                           # scripts (schemas/plan.schema.json)

Each format is written by the library that knows it (icalendar, fhir.resources), imported
only inside the function that needs it, so `ipt-plan check` never loads them. Every
function returns text, the same text for the same plan and options, and raises
`ExportError` (or `OptionError` for an option it cannot use) with a message for a
clinician. Per-session content (phase, activities, foci, dates) comes from the agendas of
``ipt_plan.agenda``, so an export says what the printed agendas say.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .version import __version__
from .agenda import AgendaItem, Course, FocusSummary, MeasurePlan, SessionAgenda, build_course
from .model import Activity, Plan, Schedule
from .result import PlanHasErrors, Result
from .resources import resource_dir
from .schedule import course_calendar
from .wording import did_you_mean_then

FORMATS = ("ics", "fhir", "json")
JSON_FORMAT = "ipt-plan/plan"
# 2: a measure's `every` is null for one rated `at sessions ...`, and a phase may be a
# continuation phase; version 1 had neither (see schemas/plan.schema.json).
JSON_FORMAT_VERSION = 2
PRODID = f"-//ipt-plan//ipt-plan {__version__}//EN"
# FHIR's way to say a required value is withheld: "masked", for security or privacy reasons.
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
# A literal reference to the patient or group a CarePlan is for, relative or absolute: the
# pattern FHIR R4 gives for Reference.reference (constraint ref-1), narrowed to the two
# resource types CarePlan.subject allows.
SUBJECT_REFERENCE = re.compile(
    r"((https?)://([A-Za-z0-9\-\\.:%$]*/)+)?(Patient|Group)/[A-Za-z0-9\-.]{1,64}"
    r"(/_history/[A-Za-z0-9\-.]{1,64})?")
# The namespace of the FHIR resource ids an export makes (uuid5 of this URL).
FHIR_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://ipt-plan.invalid/fhir")


class ExportError(ValueError):
    """A plan that cannot be exported in this format; the message says why, for a clinician."""


class OptionError(ExportError):
    """An option the export cannot use (a time zone, a subject reference): a usage error."""


# --- shared ------------------------------------------------------------------------------

def checked_course(result: Result) -> Course:
    """The agendas of a plan that checks clean; a plan with errors is not exported, since
    another system would take a broken plan for a real one."""
    try:
        plan, graph = result.checked_plan("export")
    except PlanHasErrors as err:
        raise ExportError(str(err)) from None
    return build_course(plan, result.profile, graph=graph, today=result.today)


def local_time_zone_name() -> str:
    """The machine's IANA time zone: from TZ, else /etc/localtime (a link into the zoneinfo
    folder) or /etc/timezone; UTC when none of them names a zone zoneinfo knows."""
    candidates = [os.environ.get("TZ", "").removeprefix(":"), os.path.realpath("/etc/localtime")]
    try:
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError):
        pass
    for candidate in candidates:
        # A path into the zone files (TZ may hold one too) ends with the zone's name; the
        # tzdata package also keeps posix/ and right/ (leap second) copies there.
        name = candidate.rsplit("/zoneinfo/", 1)[-1].removeprefix("posix/").removeprefix("right/")
        if name and _zone_or_none(name) is not None:
            return name
    return "UTC"


def _zone_or_none(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # ValueError: not a relative key
        return None


def time_zone(name: str | None) -> ZoneInfo:
    """The zone a plan's clock times are in: an IANA name such as Europe/London, or the
    machine's own zone when `name` is None."""
    zone = _zone_or_none(name if name is not None else local_time_zone_name())
    if zone is not None:
        return zone
    import zoneinfo  # the list of zones is read from disk only to suggest one

    known = sorted(zoneinfo.available_timezones())
    # A different case is the commonest slip (europe/london), then a typo.
    raise OptionError(f"'{name}' is not a time zone ipt-plan knows; " + did_you_mean_then(
        name or "", known, "use an IANA name such as Europe/London or America/New_York"))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _heading(session: SessionAgenda) -> str:
    """IPT session 6 of 16 (middle phase); a session 0 comes before the course, and
    continuation sessions after it."""
    phase = session.phase_label.lower()
    if session.number == 0:
        return f"IPT session 0, before the {session.total}-session course ({phase})"
    if session.phase == "continuation":
        return f"IPT session {session.number}, after the {session.total}-session course ({phase})"
    return f"IPT session {session.number} of {session.total} ({phase})"


def _how(session: SessionAgenda) -> str:
    """"In person", "By video, group session": how the session is held, as its agenda says
    it (the format where the course mixes formats or this session's is not the course's)."""
    how = session.delivery_label + (f", {session.format} session" if session.show_format else "")
    return how[0].upper() + how[1:]


def _people(names: tuple[str, ...]) -> str:
    return " and ".join(filter(None, (", ".join(names[:-1]), names[-1]))) if names else ""


def _measure_when(measure: MeasurePlan) -> str:
    """every 4 sessions (sessions 1, 4, 8, 12, 16); at sessions 1, 7, 14."""
    if measure.every is not None and measure.every > 1:
        return f"{measure.when} (sessions {', '.join(map(str, measure.sessions))})"
    return measure.when


def _stages(focus: FocusSummary) -> str:
    """impasse; renegotiation from session 7."""
    return "; ".join(s.name + (f" from session {s.from_session}" if s.from_session is not None
                                else "") for s in focus.stages)


def _rhythm(course: Course) -> str:
    """twice weekly, 50 min; weekly from session 5; every 2 weeks from session 13, 45 min."""
    parts, before = [], None
    for s in course.schedules:
        if before is None:
            parts.append(f"{s.cadence}, {s.minutes} min")
        else:
            changed = [f"at {s.time}"] if s.time != before.time else []
            changed += [f"{s.minutes} min"] if s.minutes != before.minutes else []
            parts.append(f"{s.cadence} from session {s.from_session}"
                         + (", " + ", ".join(changed) if changed else ""))
        before = s
    return "; ".join(parts)


def _unique(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(texts))


def _remaining(session: SessionAgenda) -> str | None:
    """The time limit as the agendas say it: how many sessions remain, or that this is the
    last, and whether continuation sessions follow the course."""
    if session.sessions_remaining is None:
        return None
    count, after = session.sessions_remaining, session.continuation_after
    if count == 0 and after:
        return (f"This is the last session of the course; {after} continuation "
                + ("session follows." if after == 1 else "sessions follow."))
    if count == 0:
        return "This is the last session."
    if count == 1:
        return "1 session remains after this one."
    return f"{count} sessions remain after this one."


# --- iCalendar ---------------------------------------------------------------------------

def _calendar_uids(plan: Plan, course: Course) -> dict[int, str]:
    """Each session's UID. It must stay the same when the plan is edited, so that
    re-importing an edited plan updates its events, and it must not give away the client:
    calendars are synced to other services, and an unkeyed hash of a client ID is undone
    by trying every ID. So it comes from the plan's own random `id` when it has one (the
    same on every machine, and after renaming the file), else from an HMAC under the
    user's key (`calendar_key`) of the plan's file name, its client (two clients'
    plan.iptplan files stay apart) and the session's number."""
    numbers = [s.number for s in course.sessions]
    if plan.id is not None:
        return {n: f"session-{n}.{plan.id}@ipt-plan" for n in numbers}
    from .calendar_key import KeyFileError, calendar_key

    try:
        key = calendar_key()
    except KeyFileError as err:
        raise OptionError(str(err)) from None

    def token(number: int) -> str:
        message = "\0".join(("ipt-plan calendar uid", plan.client or "", course.plan_file,
                             str(number)))
        return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    return {n: f"session-{n}.{token(n)}@ipt-plan" for n in numbers}


def calendar_label(label: str | None) -> str | None:
    """The user's own words for telling a plan's events apart (`--label`), checked."""
    if label is None:
        return None
    if not label.strip():
        raise OptionError("--label needs some text, such as the initials you use for this "
                          "client in your calendar")
    if any(ord(char) < 32 or ord(char) == 127 for char in label):
        raise OptionError("--label must be one line of plain text")
    return label.strip()


def _event_summary(session: SessionAgenda, label: str | None) -> str:
    """IPT session 6 of 16 (middle phase): the same for every client, unless the user
    labels the events; never the session's title, which is the clinician's free text."""
    return f"{label}: {_heading(session)}" if label else _heading(session)


def _event_description(session: SessionAgenda) -> str:
    """The phase and how many sessions remain. Calendars are often synced to other
    services, so nothing here identifies the client or their problems: no text the
    clinician wrote, no focus names (often a person's), no file name, and no technique or
    scale either ("facilitate mourning", the EPDS, say what the client lives through).
    Nor who attends: `with` names may be a person's. The agendas hold the rest."""
    lines = [" ".join(filter(None, (f"{session.phase_label}.", _remaining(session)))),
             f"{_how(session)}."]
    if session.measures_due:
        lines.append("A rating scale is due.")
    lines.append("The session's agenda: from ipt-plan render.")
    return "\n".join(lines)


def _scheduled_dates(result: Result, course) -> dict[int, dt.datetime]:
    """Every session's date and time, as the rhythm in force at it gives them (schedule
    lines and skips: schedule.course_calendar), or an ExportError when the course runs off
    the calendar."""
    dates = course_calendar(result.plan, result.today).dates
    if dates and len(dates) < len(course.sessions):
        raise ExportError(f"{result.path}: the schedule runs past the year 9999, so not "
                          "every session has a date; check the schedule's first date")
    return dates


def to_ics(result: Result, tz: str | None = None, label: str | None = None) -> str:
    """An iCalendar (RFC 5545) calendar with one event per session of the course, at its
    scheduled date and time in the zone `tz` (default: the machine's), skips applied and
    each change of rhythm followed, as long as the session lasts.
    Each event's summary starts with `label` when given: the only thing in the calendar
    that tells one client's sessions from another's."""
    zone = time_zone(tz)
    label = calendar_label(label)
    course = checked_course(result)
    plan = result.plan
    assert plan is not None  # checked_course refuses a plan that could not be built
    dates = _scheduled_dates(result, course)
    if plan.schedule is None or not dates:
        raise ExportError(f"{result.path} has no schedule, and a calendar needs one: add a "
                          "line such as `schedule weekly from 2027-01-04 at 10:00 for 50 min` "
                          "under the plan line")
    from icalendar import Calendar, Event

    # DTSTAMP says when the calendar data was made. The clock time of the export would make
    # every run differ; the schedule's first day, at midnight UTC, keeps the output
    # byte-identical for the same plan; a calendar importing the file matches its events
    # to the ones it holds by UID.
    stamp = dt.datetime.combine(min(dates.values()).date(), dt.time(0), dt.timezone.utc)
    uids = _calendar_uids(plan, course)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    for session in course.sessions:
        when = dates.get(session.number)
        if when is None:  # a course running past year 9999: the calendar ends there
            continue
        start = when.replace(tzinfo=zone)
        event = Event()
        event.add("uid", uids[session.number])
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", start + _length(session))
        event.add("summary", _event_summary(session, label))
        event.add("description", _event_description(session))
        event.add("class", "CONFIDENTIAL")  # a therapy session: private in a shared calendar
        calendar.add_component(event)
    # The zone's rules only for the span of the course: the default span (1970-2038) would
    # both bloat the file and miss a course planned past 2038.
    first, last = min(dates.values()).date(), max(dates.values()).date()
    calendar.add_missing_timezones(first_date=first - dt.timedelta(days=1),
                                   last_date=last + dt.timedelta(days=1))
    return calendar.to_ical().decode("utf-8")


def _length(session: SessionAgenda) -> dt.timedelta:
    """How long the session lasts: its own length, else its rhythm's, as
    schedule.appointments gave it to the agenda."""
    return dt.timedelta(minutes=session.minutes or 0)


# --- HL7 FHIR ----------------------------------------------------------------------------

def _subject(reference: str | None) -> dict[str, Any]:
    """CarePlan.subject and Goal.subject are required (1..1) in R4. Without `--subject`,
    the client is not named: the reference carries the data-absent-reason "masked"."""
    if reference is None:
        return {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "masked"}]}
    if not SUBJECT_REFERENCE.fullmatch(reference):
        raise OptionError(f"--subject '{reference}' is not a reference to a patient's record; "
                          "write it as Patient/ID (or Group/ID), such as Patient/123, or as "
                          "a full URL ending in Patient/ID")
    return {"reference": reference}


def _fhir_id(bundle_key: str, *parts: str | int) -> str:
    name = "/".join(map(str, (bundle_key, *parts)))
    return f"urn:uuid:{uuid.uuid5(FHIR_ID_NAMESPACE, name)}"


def _activity_description(session: SessionAgenda) -> str:
    """What the session holds, with the plan's own details: a record system is where the
    clinical content belongs."""
    def written(item: AgendaItem) -> str:
        target = f" for {', '.join(item.foci)}" if item.foci else ""
        return f"{item.label}{target}" + (f": {item.detail}" if item.detail else "")

    parts = [session.phase_label + "."]
    if session.title:
        parts.append(f"{session.title}.")
    parts.append(f"{_how(session)}.")
    if session.participants:
        parts.append(f"Also attending: {_people(session.participants)}.")
    if session.techniques:
        parts.append("This session: " + "; ".join(written(i) for i in session.techniques) + ".")
    if session.first_session_tasks:
        parts.append("First session of the course: "
                     + ", ".join(_unique([i.label for i in session.first_session_tasks])) + ".")
    if session.every_session or session.standing_tasks:
        parts.append("Every session of the phase: " + ", ".join(_unique(
            [i.label for i in (*session.every_session, *session.standing_tasks)])) + ".")
    parts.extend(f"Homework: {i.detail}." for i in session.homework_given if i.detail)
    parts.extend(f"Note: {i.detail}." for i in session.notes if i.detail)
    if session.measures_due:
        parts.append("Rating scales: " + ", ".join(m.name for m in session.measures_due) + ".")
    remaining = _remaining(session)
    if remaining:
        parts.append(remaining)
    return " ".join(parts)


def to_fhir(result: Result, subject: str | None = None, tz: str | None = None) -> str:
    """An HL7 FHIR R4 Bundle (type collection): one CarePlan with an activity per session,
    each linked to the Goals of the foci it works on, and one Goal per focus goal.

    The client ID is never written; `subject` (Patient/123) names the patient's record
    when the user chooses to. Clock times are in the zone `tz` (default: the machine's)."""
    subject_reference = _subject(subject)
    zone = time_zone(tz)
    course = checked_course(result)
    plan = result.plan
    assert plan is not None
    # fhir.resources 8 keeps R5 at the top level and R4B (FHIR 4.3) in this subpackage; it
    # has no R4 (4.0.1) package, and Bundle, CarePlan and Goal did not change from R4 to
    # R4B, so these models write and validate R4 resources.
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.careplan import CarePlan
    from fhir.resources.R4B.goal import Goal

    # Ids come from the plan's whole text: the same plan gives the same bundle, any edit a
    # new one, and the client ID in the text cannot be recovered from a hash of all of it.
    bundle_key = _digest(result.text or "")
    dates = _scheduled_dates(result, course)
    lengths = {s.number: _length(s) for s in course.sessions}

    goal_refs: dict[str, list[str]] = {}  # focus id -> the fullUrls of its goals
    entries: list[dict[str, Any]] = []
    for focus in course.foci:
        goal_refs[focus.id] = []
        for index, text in enumerate(focus.goals, 1):
            full_url = _fhir_id(bundle_key, "goal", focus.id, index)
            goal_refs[focus.id].append(full_url)
            goal = Goal(
                lifecycleStatus="proposed",
                description={"text": text},
                subject=subject_reference,
                category=[{"text": focus.area_label}],
                addresses=[{"display": f"{focus.area_label} (focus '{focus.id}')"
                                       + (f": {focus.description}" if focus.description else "")}],
                note=[{"text": f"IPT problem area {focus.area_label}, focus '{focus.id}'"
                               + (f", death {focus.died}" if focus.died else "")
                               + (f", dispute stage {_stages(focus)}" if focus.stages else "")
                               + f" (plan line {focus.line})."}],
            )
            entries.append({"fullUrl": full_url, "resource": goal})

    activities = []
    for session in course.sessions:
        when = dates.get(session.number)
        detail: dict[str, Any] = {
            "kind": "Appointment",
            "code": {"text": _heading(session)},
            "status": "scheduled" if when else "not-started",
            "description": _activity_description(session),
            "goal": [{"reference": ref} for f in session.foci for ref in goal_refs[f.id]],
        }
        if session.participants:  # who is expected to take part, besides the patient
            detail["performer"] = [{"display": name} for name in session.participants]
        if when:
            start = when.replace(tzinfo=zone)
            detail["scheduledPeriod"] = {"start": start.isoformat(),
                                         "end": (start + lengths[session.number]).isoformat()}
        else:
            detail["scheduledString"] = f"Session {session.number}; the plan has no schedule"
        activities.append({"detail": detail})

    notes = [f"Diagnosis: {plan.diagnosis}."] if plan.diagnosis else []
    if course.measures:
        notes.append("Rating scales: " + "; ".join(
            f"{m.name} {_measure_when(m)}" for m in course.measures) + ".")
    notes.extend(f"{phase.label} (sessions {phase.first}-{phase.last}): {text}"
                 for phase in course.phases for text in phase.notes)
    schedule = (f", {_rhythm(course)}" if course.schedules else "")
    held = f"{course.delivery_label}, {course.format} sessions"
    after = (f", then {course.continuation_sessions} continuation session"
             + ("s" if course.continuation_sessions != 1 else "")
             if course.continuation_sessions else "")
    care_plan: dict[str, Any] = {
        "status": "active",
        "intent": "plan",
        "title": plan.title,
        "description": f"Interpersonal psychotherapy: {course.protocol_title} (protocol "
                       f"{course.protocol}), {course.total_sessions} sessions{after}{schedule}; "
                       f"{held}. Problem areas: " + "; ".join(
                           f"{f.area_label} ({f.id})" for f in course.foci) + ".",
        "category": [{"text": "Interpersonal psychotherapy (IPT)"}],
        "subject": subject_reference,
        "goal": [{"reference": ref} for refs in goal_refs.values() for ref in refs],
        "activity": activities,
        "note": [{"text": text} for text in notes] or None,
        "author": {"display": plan.clinician} if plan.clinician else None,
    }
    if dates:
        first = min(dates.values())
        last = max(dates, key=lambda number: dates[number])
        care_plan["period"] = {"start": first.replace(tzinfo=zone).isoformat(),
                               "end": (dates[last].replace(tzinfo=zone)
                                       + lengths[last]).isoformat()}
    present = {key: value for key, value in care_plan.items() if value is not None}
    entries.insert(0, {"fullUrl": _fhir_id(bundle_key, "careplan"),
                       "resource": CarePlan(**present)})
    # Building the models runs fhir.resources' (pydantic) validation: a field the R4
    # structure does not have, or a value of the wrong type, stops here, not in the
    # receiving system.
    bundle = Bundle(type="collection", entry=entries)
    return bundle.model_dump_json(indent=2) + "\n"


# --- JSON --------------------------------------------------------------------------------

def json_schema_path() -> Path:
    """The JSON Schema (draft 2020-12) that documents and validates `to_json`'s output."""
    return resource_dir("schemas") / "plan.schema.json"


def _activity_json(activity: Activity, addressed: dict[int, tuple[str, ...]]) -> dict[str, Any]:
    return {
        "kind": activity.kind,
        "name": activity.name.text,
        "for": [w.text for w in activity.foci],
        "addresses": list(addressed.get(activity.loc.line, ())),
        "detail": activity.detail,
        "line": activity.loc.line,
    }


def _schedule_json(schedule: Schedule) -> dict[str, Any]:
    """A schedule line, with the time and length in force from it (a change keeps the
    ones before it unless it gives its own)."""
    return {
        "cadence": schedule.cadence,
        "interval_weeks": schedule.interval_weeks,
        **({"from_session": int(schedule.from_session.text)} if schedule.from_session
           else {"start": schedule.start.isoformat() if schedule.start else None}),
        "time": schedule.time.strftime("%H:%M") if schedule.time else None,
        "minutes": schedule.minutes,
        "line": schedule.loc.line,
    }


def to_json(result: Result) -> str:
    """The parsed plan and its schedule as JSON, for scripts; `json_schema_path()` is its
    documentation. Every session of the course is listed, with `"written": false` for
    those the plan does not write out, and how it is held (schedule.appointments, as the
    agendas say it)."""
    course = checked_course(result)
    plan = result.plan
    assert plan is not None
    # Which foci each activity line works on, as the agendas resolved it (named with `for`
    # or implied by the technique): one activity per line, so the line is its key.
    addressed = {item.line: item.foci for s in course.sessions
                 for item in (*s.techniques, *s.every_session, *s.notes, *s.homework_given)
                 if item.line is not None}
    agendas = {s.number: s for s in course.sessions}
    measures = {m.name: m for m in course.measures}
    schedule = plan.schedule
    document = {
        "format": JSON_FORMAT,
        "version": JSON_FORMAT_VERSION,
        "file": course.plan_file,
        "id": plan.id,
        "title": plan.title,
        "client": plan.client,
        "clinician": plan.clinician,
        "protocol": course.protocol,
        "diagnosis": plan.diagnosis,
        "total_sessions": course.total_sessions,
        "delivery": course.delivery,
        "session_format": course.format,
        "schedule": None if schedule is None else _schedule_json(schedule),
        "schedule_changes": [_schedule_json(change) for change in plan.schedule_changes],
        "skips": [{"date": s.date.isoformat(), "line": s.loc.line} for s in plan.skips],
        "measures": [{
            "name": m.name.text,
            "every": m.every,
            "at": [int(word.text) for word in m.at],
            "due": list(measures[m.name.text].sessions),
            "line": m.loc.line,
        } for m in plan.measures],
        "foci": [{
            "id": f.id.text,
            "area": f.area.text,
            "description": f.description,
            "stage": f.stage.text if f.stage else None,
            "stages": [{"stage": st.name.text,
                        "from_session": int(st.from_session.text) if st.from_session else None,
                        "line": st.loc.line} for st in f.stages],
            "died": None if f.died is None else {
                "date": f.died.text, "month_only": f.died.month_only, "line": f.died.loc.line},
            "goals": [{"text": g.text, "line": g.loc.line} for g in f.goals],
            "line": f.loc.line,
        } for f in plan.foci],
        "phases": [{
            "name": phase.kind,
            "first": phase.first,
            "last": phase.last,
            "notes": [_activity_json(note, addressed) for note in phase.notes],
            "every": [_activity_json(a, addressed) for a in phase.every],
            "sessions": [{
                "number": session.number,
                "title": session.title,
                "date": agendas[session.number].date,
                "time": agendas[session.number].time,
                "minutes": agendas[session.number].minutes,
                "delivery": agendas[session.number].delivery,
                "format": agendas[session.number].format,
                "participants": [word.text for word in session.participants],
                "written": session.loc is not None,
                "activities": [_activity_json(a, addressed) for a in session.activities],
                "line": session.loc.line if session.loc else None,
            } for session in phase.course()],
            "line": phase.loc.line,
        } for phase in plan.phases],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- output ------------------------------------------------------------------------------

def write(text: str, target: Path) -> None:
    """Write an export to `target` through a temporary file in the same folder, so the file
    is either the old one or the whole new one, never half of one; private when new, with
    its owner and mode kept when replaced. Raises files.RefusedWrite for a device, pipe,
    folder or hard-linked file."""
    from .files import write_atomically

    write_atomically(target, text.encode("utf-8"))
