"""The rules. `registry` holds the registry, the `Context` a check reads and
the runner; each family of rules has its own module, and importing this package imports
them all, so the registry is complete:

    language       IPT0xx  the file and its language (and IPT999, ipt-plan's own failures)
    course         IPT1xx  the course's structure
    problem_areas  IPT2xx  the problem areas
    phase_tasks    IPT3xx  the tasks of each phase
    course_log     IPT5xx  the log: the course as it happens, and what its scores say
"""

from __future__ import annotations

# Importing a family registers its rules; in code order, so the registry runs and lists
# them in that order.
from . import language  # noqa: F401
from . import course  # noqa: F401
from . import problem_areas  # noqa: F401
from . import phase_tasks  # noqa: F401
from . import course_log  # noqa: F401
from .registry import RULES, Check, Context, Finding, PlacedActivity, Rule, rule, run

__all__ = ["RULES", "Check", "Context", "Finding", "PlacedActivity", "Rule", "rule", "run"]
