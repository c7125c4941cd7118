"""ipt-plan's benchmark: every target is a ratio against a baseline measured in the same
run, so a busy, shared machine slows both sides alike. Prints a table of medians.

    make bench                  # or: .venv/bin/python bench/bench.py [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import compileall
import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import long_plan, repeated_lines, write_corpus  # noqa: E402

BIN = Path(sys.executable).parent
IPT_PLAN = str(BIN / "ipt-plan")


@dataclass
class Row:
    measure: str
    baseline: str
    value: float
    base: float
    target: float
    unit: str = "s"
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.base if self.base else float("inf")

    @property
    def ok(self) -> bool:
        return self.ratio <= self.target


def run_process(args: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Wall time and peak memory (KiB) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss


def peak_memory(ipt_plan_args: list[str], work: Path) -> int:
    """Peak resident memory (KiB) of one ipt-plan run, read by the process itself."""
    out = work / "peak.txt"
    subprocess.run([sys.executable, str(Path(__file__).parent / "peak.py"), str(out),
                    *ipt_plan_args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return int(out.read_text())


def median_pair(a: list[str], b: list[str], runs: int, cwd: Path | None = None):
    """Medians of two commands, run alternately so that load falls on both alike."""
    times_a, times_b, mem_a, mem_b = [], [], [], []
    for _ in range(runs):
        t, m = run_process(a, cwd)
        times_a.append(t), mem_a.append(m)
        t, m = run_process(b, cwd)
        times_b.append(t), mem_b.append(m)
    return (statistics.median(times_a), statistics.median(times_b),
            statistics.median(mem_a), statistics.median(mem_b))


def median_call(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def check_rows(work: Path, runs: int, plans: int) -> list[Row]:
    from ipt_plan import load_string

    rows = []
    one = write_corpus(work / "one", 1)[0]
    check_one, imports, _, _ = median_pair(
        [IPT_PLAN, "check", str(one)], [sys.executable, "-c", "import lark, networkx, typer"],
        runs)
    rows.append(Row("ipt-plan check one.iptplan, whole process",
                    'python -c "import lark, networkx, typer"', check_one, imports, 1.25))

    corpus = work / "corpus"
    write_corpus(corpus, plans)
    parse_only = (f"import sys; from pathlib import Path; from ipt_plan.grammar import parser; "
                  f"p = parser(); [p.parse(f.read_text(encoding='utf-8'), start='start') "
                  f"for f in sorted(Path(sys.argv[1]).glob('*.iptplan'))]")
    check_many, parse_many, _, _ = median_pair(
        [IPT_PLAN, "check", str(corpus)], [sys.executable, "-c", parse_only, str(corpus)],
        max(3, runs // 3))
    rows.append(Row(f"ipt-plan check of {plans:,} plans, whole process",
                    "parsing the same files with the project's Lark parser, one process",
                    check_many, parse_many, 2.0))

    # In-process, as `ipt-plan check` runs it: with the cyclic collector off (cli.py says
    # why), so that a collection started by one call is not timed in another.
    small, large = long_plan(100), long_plan(10_000)
    gc.disable()
    try:
        t_small = median_call(lambda: load_string(small), runs * 3)
        t_large = median_call(lambda: load_string(large), max(3, runs // 2))
    finally:
        gc.enable()
    rows.append(Row("checking one plan of 10,000 sessions (in-process, collector off as in "
                    "`check`)", "one plan of 100 sessions, x 100", t_large, t_small * 100, 1.3))

    # Pathological input: an unterminated string and a 1 MB line, against a normal plan of
    # the same size; they must not cost more than it does.
    normal = long_plan(7_000)  # about 1 MB
    size = len(normal)
    unterminated = normal.replace('"an argument this week"', '"an argument this week', 50)
    one_line = 'plan "x"\nnote "' + "x" * (size - 20) + '"\n'
    slow_runs = max(3, runs // 3)
    t_normal = median_call(lambda: load_string(normal), slow_runs)
    t_unterminated = median_call(lambda: load_string(unterminated), slow_runs)
    t_line = median_call(lambda: load_string(one_line), slow_runs)
    rows.append(Row("a plan with 50 unterminated strings", "the same plan, well formed",
                    t_unterminated, t_normal, 2.0))
    rows.append(Row(f"one line of {size / 1e6:.1f} MB", "a well-formed plan of the same size",
                    t_line, t_normal, 2.0))
    rows.extend(repeated_line_rows(runs))
    return rows


# Each shape at a size and at four times it: a linear stage costs four times as much.
REPEATED_LINES = {"foci": 5_000, "skips": 35_000, "measures": 5_000, "phases": 2_500}


def repeated_line_rows(runs: int) -> list[Row]:
    from ipt_plan import load_string

    rows = []
    gc.disable()
    try:
        for shape, count in REPEATED_LINES.items():
            small, large = repeated_lines(shape, count), repeated_lines(shape, count * 4)
            t_small = median_call(lambda: load_string(small), max(3, runs // 3))
            t_large = median_call(lambda: load_string(large), max(3, runs // 5))
            rows.append(Row(f"a plan of {count * 4:,} {shape} lines ({len(large) // 1024:,} KB)",
                            f"one of {count:,}, x 4", t_large, t_small * 4, 1.5))
    finally:
        gc.enable()
    return rows


def render_rows(work: Path, runs: int, plans: int) -> list[Row]:
    corpus = work / "corpus"
    out1, out2 = work / "out1", work / "out2"
    jobs2, jobs1, mem2, _ = [], [], [], []
    for _ in range(max(2, runs // 4)):
        for out in (out1, out2):
            shutil.rmtree(out, ignore_errors=True)
        t1, _m1 = run_process([IPT_PLAN, "render", str(corpus), "-o", str(out1), "--jobs", "1"])
        t2, m2 = run_process([IPT_PLAN, "render", str(corpus), "-o", str(out2), "--jobs", "2"])
        jobs1.append(t1), jobs2.append(t2), mem2.append(m2)
    render_1, render_2 = statistics.median(jobs1), statistics.median(jobs2)
    # Like for like: both in one process.
    check_many, _, _, _ = median_pair([IPT_PLAN, "check", "--jobs", "1", str(corpus)],
                                      [sys.executable, "-c", "pass"], max(2, runs // 4))
    check_one_mem = peak_memory(["check", str(work / "one")], work)
    render_mem = peak_memory(["render", str(corpus), "-o", str(work / "out3"), "--jobs", "1"],
                             work)
    return [
        Row(f"ipt-plan render of {plans:,} plans (md), --jobs 2", "the same with --jobs 1",
            render_2, render_1, 0.6),
        Row(f"ipt-plan render of {plans:,} plans, --jobs 1",
            "ipt-plan check of the same plans, --jobs 1",
            render_1, check_many, 4.0),
        Row(f"peak memory of render of {plans:,} plans (--jobs 1: all in one process)",
            "peak memory of check of one plan", render_mem, check_one_mem, 3.0, unit="KiB"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="runs per measure (median is shown)")
    parser.add_argument("--plans", type=int, default=2000, help="plans in the batch corpus")
    parser.add_argument("--quick", action="store_true", help="fewer runs and plans, for a smoke test")
    parser.add_argument("--no-render", action="store_true", help="only the check rows")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where corpora and agendas are written (default: /dev/shm)")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.plans = 3, 200
    # An installed package has its bytecode compiled; a checkout run with
    # PYTHONDONTWRITEBYTECODE would otherwise recompile ipt_plan in every process.
    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "ipt_plan"), quiet=1)
    # Corpora and agendas go to memory (/dev/shm) where there is one: render writes a file
    # per session, and on the disks of the machines here creating a file costs 0.1 to
    # 0.9 ms, varying from minute to minute, so a render on disk times the disk more than
    # ipt-plan. --workdir chooses another place (the disk, to see what a clinic's nightly
    # job would see).
    shm = Path("/dev/shm")
    base = args.workdir or (shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(__file__).parent)
    with tempfile.TemporaryDirectory(prefix="ipt-plan-bench-", dir=base) as tmp:
        work = Path(tmp)
        rows = check_rows(work, args.runs, args.plans)
        if not args.no_render:
            rows += render_rows(work, args.runs, args.plans)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"{args.runs} runs, medians; work folder {base}\n")
    print("| measure | baseline it is divided by | measured | baseline | ratio | target | |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        fmt = (lambda v: f"{v:.3f} s") if row.unit == "s" else (lambda v: f"{v / 1024:.0f} MiB")
        print(f"| {row.measure} | {row.baseline} | {fmt(row.value)} | {fmt(row.base)} | "
              f"{row.ratio:.2f} | <= {row.target} | {'ok' if row.ok else 'MISSED'} |")
    return 0 if all(row.ok for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
