"""Run `ipt-plan ARGS...` in this process and write its peak memory (VmHWM, KiB) to FILE.

The kernel's per-process high-water mark starts afresh at exec, unlike the ru_maxrss a
parent reads from wait4, which a child inherits from the process that forked it.

    python bench/peak.py FILE check plan.iptplan
"""

import atexit
import sys
from pathlib import Path


def _write_peak(path: str) -> None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            Path(path).write_text(line.split()[1])


if __name__ == "__main__":
    out, args = sys.argv[1], sys.argv[2:]
    atexit.register(_write_peak, out)
    sys.argv = ["ipt-plan", *args]
    from ipt_plan.cli import run

    run()
