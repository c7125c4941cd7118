"""Every stage is linear in the size of the plan. Timing would be noise on a shared
machine, so these tests count the Python lines ipt-plan executes instead: a plan with four
times as many lines of one kind must cost about four times as much, not sixteen."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import ipt_plan

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from corpus import repeated_lines  # noqa: E402

PACKAGE = str(Path(ipt_plan.__file__).resolve().parent)


def executed_lines(text: str) -> int:
    """How many lines of ipt-plan's own code checking `text` executes."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if not frame.f_code.co_filename.startswith(PACKAGE):
            return None
        count += 1  # the call, and each line below
        return local

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    sys.settrace(tracer)
    try:
        result = ipt_plan.load_string(text)
    finally:
        sys.settrace(None)
    assert not [d for d in result.diagnostics if d.code in ("IPT000", "IPT999")]
    return count


@pytest.mark.parametrize("shape", ["foci", "measures", "skips", "phases", "rhythms",
                                   "stages", "sessions", "measured"])
def test_four_times_the_lines_cost_about_four_times_the_work(shape):
    ipt_plan.load_string(repeated_lines(shape, 10))  # warm caches before counting
    small = executed_lines(repeated_lines(shape, 250))
    large = executed_lines(repeated_lines(shape, 1000))
    assert large / small < 5, f"{shape}: {large / small:.1f} times the work for 4 times the lines"
