"""Every diagnostic code, named once. The stages that report problems (source, parser,
builder, loader, config, suppress) and the rules' registrations use these names, so a
mistyped code fails at import instead of slipping into a report.

Each name is its rule's name (`ipt-plan rules`), in capitals. IPT0xx: the file and its
language; IPT1xx: the course's structure; IPT2xx: the problem areas; IPT3xx: the tasks of
each phase; IPT5xx: the log, the course as it happens; IPT999: ipt-plan itself failed.
"""

# The file and its language
UNREADABLE_FILE = "IPT000"
SYNTAX = "IPT001"
UNKNOWN_NAME = "IPT002"
DEFINED_TWICE = "IPT003"
BAD_PROFILE = "IPT004"
UNUSED_SUPPRESSION = "IPT005"
BAD_CONFIG = "IPT006"
BLANK_TEXT = "IPT007"
INTERNAL_ERROR = "IPT999"

# The course
PHASE_ORDER = "IPT101"
SESSION_NUMBERING = "IPT102"
SESSION_COUNT = "IPT103"
INITIAL_LENGTH = "IPT104"
TERMINATION_PHASE = "IPT105"
SCHEDULE = "IPT106"
CALENDAR_END = "IPT107"
MEASUREMENT = "IPT108"

# Problem areas
FOCUS_COUNT = "IPT201"
DEFICITS_WITH_ANOTHER = "IPT202"
FOCUS_NOT_WORKED = "IPT203"
FOCUS_DETAIL = "IPT204"
TECHNIQUE_FOR_OTHER_AREA = "IPT205"
AREA_NOT_IN_PROTOCOL = "IPT206"
STAGE_STRATEGY = "IPT207"
DEFICITS_ABOUT_A_DEATH = "IPT208"

# Tasks of the phases
INITIAL_TASKS = "IPT301"
TERMINATION_TASKS = "IPT302"
TECHNIQUE_PHASE = "IPT303"
PREREQUISITE = "IPT304"
FORBIDDEN_ACTIVITY = "IPT305"
LATE_ENDING = "IPT306"
LATE_NEW_WORK = "IPT307"
EXPECTED_PARTICIPANT = "IPT308"

# The log: the course as it happens
LOG_ENTRY = "IPT501"
SCORE_FIT = "IPT502"
MISSING_SCORE = "IPT503"
NOT_ON_TRACK = "IPT504"
RELIABLE_DETERIORATION = "IPT505"
RISK_NOT_ASSESSED = "IPT506"
COURSE_OVERRUN = "IPT507"

# Problems no rule or setting may hide: the file itself, the configuration, and ipt-plan's
# own failures.
ALWAYS_SHOWN = (UNREADABLE_FILE, BAD_CONFIG, INTERNAL_ERROR)


# Every code ipt-plan reports, for checking the codes a configuration names.
ALL = frozenset(value for name, value in dict(globals()).items()
                if name.isupper() and isinstance(value, str) and value.startswith("IPT"))
