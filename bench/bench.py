"""ipt-plan's benchmark: every target is a ratio against a baseline measured in the same
run, the two sides run alternately, so a busy, shared machine slows both alike. Every
timed command's exit code and output are checked, and every timed call's result: a row
whose command failed is printed as FAILED with the reason, never as a time. Prints a
table of medians.

    make bench          # the 2,000-plan batches and the rest: about 6 minutes on 2 cores
    make bench-large    # the 20,000-plan rows (--large): about 17 minutes, 1.7 GB of disk
    .venv/bin/python bench/bench.py [--quick] [--runs N] [--plans N] [--memory] [--large]

Render rows write to the disk (a work folder under bench/) unless --memory puts them in
/dev/shm; the header and each render row say which. Exit status: 0 every target met,
1 a target missed, 2 a row FAILED.
"""

from __future__ import annotations

import argparse
import compileall
import gc
import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from corpus import (bundled_plan_files, is_broken, long_plan, repeated_lines,  # noqa: E402
                    template_of, write_corpus)

BIN = Path(sys.executable).parent
IPT_PLAN = str(BIN / "ipt-plan")
MEMORY_FILESYSTEMS = ("tmpfs", "ramfs")


class Failed(Exception):
    """A measured command or call that did not do its work: its rows are FAILED."""


@dataclass
class Measured:
    """One side of a row: a median, or why there is none."""

    value: float | None = None
    failure: str | None = None  # FAILED: the command or the call went wrong
    absent: str | None = None  # n/a: what it measures does not exist here

    def scaled(self, factor: float) -> Measured:
        """The figure times `factor` (a plan's share of a batch, ten small plans' cost)."""
        return Measured(self.value * factor, self.failure, self.absent) if self.value else self


@dataclass
class Row:
    measure: str
    baseline: str
    measured: Measured
    base: Measured
    target: float
    unit: str = "s"  # s, ms (given in seconds, shown in ms) or KiB

    @property
    def ratio(self) -> float:
        return self.measured.value / self.base.value if self.base.value else float("inf")

    @property
    def status(self) -> str:
        if self.measured.failure or self.base.failure:
            return "FAILED"
        if self.measured.absent or self.base.absent:
            return "n/a"
        return "ok" if self.ratio <= self.target else "MISSED"

    def cells(self) -> list[str]:
        def shown(side: Measured) -> str:
            if self.unit == "KiB":
                return f"{side.value / 1024:.0f} MiB"
            return f"{side.value * 1000:.2f} ms" if self.unit == "ms" else f"{side.value:.3f} s"

        status = self.status
        if status == "FAILED":
            why = self.measured.failure or self.base.failure
            return [self.measure, self.baseline, f"FAILED: {why}", "", "", f"<= {self.target}",
                    "FAILED"]
        if status == "n/a":
            why = f"n/a ({self.measured.absent or self.base.absent})"
            return [self.measure, self.baseline, why, "", "", f"<= {self.target}", "n/a"]
        return [self.measure, self.baseline, shown(self.measured), shown(self.base),
                f"{self.ratio:.2f}", f"<= {self.target}", status]


def say(message: str) -> None:
    """Progress, on standard error: the table is on standard output."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


# --- commands, timed and checked ----------------------------------------------------------

@dataclass
class Command:
    """A process to time, and what a run of it that did its work prints and exits with."""

    args: list[str]
    cwd: Path
    exit_code: int = 0
    expect: Callable[[str], None] | None = None  # reads standard output; raises Failed
    prepare: Callable[[], None] | None = None  # before each run, untimed

    @property
    def shown(self) -> str:
        words = []
        for arg in self.args:
            arg = {sys.executable: "python", IPT_PLAN: "ipt-plan"}.get(arg, arg)
            if arg.startswith(str(self.cwd) + os.sep):
                arg = arg[len(str(self.cwd)) + 1:]
            elif arg.startswith(str(ROOT) + os.sep):
                arg = arg[len(str(ROOT)) + 1:]
            words.append(arg if len(arg) <= 40 else arg[:37] + "...")
        return " ".join(words)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def run_once(cmd: Command) -> float:
    """Wall time of one run; Failed when it exits otherwise or prints what it should not."""
    if cmd.prepare:
        cmd.prepare()
    logs = cmd.cwd / "logs"
    logs.mkdir(exist_ok=True)
    with open(logs / "stdout", "wb") as out, open(logs / "stderr", "wb") as err:
        start = time.perf_counter()
        code = subprocess.run(cmd.args, cwd=cmd.cwd, stdout=out, stderr=err).returncode
        elapsed = time.perf_counter() - start
    text = (logs / "stdout").read_text(encoding="utf-8", errors="replace")
    if code != cmd.exit_code:
        said = (_last_line((logs / "stderr").read_text(encoding="utf-8", errors="replace"))
                or _last_line(text) or "it printed nothing")
        how = f"was killed by signal {-code}" if code < 0 else f"exited {code}, not {cmd.exit_code}"
        raise Failed(f"`{cmd.shown}` {how}: {said}")
    if cmd.expect:
        try:
            cmd.expect(text)
        except Failed as err:
            raise Failed(f"`{cmd.shown}`: {err}") from None
    return elapsed


def alternate(commands: list[Command], rounds: int) -> list[Measured]:
    """The median wall time of each command, run in turn round after round so that the load
    of a shared machine falls on each alike. A command that fails is not run again."""
    times: list[list[float]] = [[] for _ in commands]
    failures: list[str | None] = [None] * len(commands)
    for _ in range(rounds):
        for index, cmd in enumerate(commands):
            if failures[index] is None:
                try:
                    times[index].append(run_once(cmd))
                except Failed as err:
                    failures[index] = str(err)
    return [Measured(failure=failure) if failure else Measured(statistics.median(spent))
            for spent, failure in zip(times, failures)]


def peak_memory(args: list[str], work: Path, expect: Callable[[str], None],
                prepare: Callable[[], None] | None = None) -> Measured:
    """Peak resident memory (KiB) of one ipt-plan run, read by the process itself
    (bench/peak.py), its exit code and output checked as a timed run's are."""
    figure = work.resolve() / "peak.txt"
    figure.unlink(missing_ok=True)
    cmd = Command([sys.executable, str(BENCH / "peak.py"), str(figure), *args], work,
                  expect=expect, prepare=prepare)
    try:
        run_once(cmd)
        return Measured(int(figure.read_text()))
    except Failed as err:
        return Measured(failure=str(err))
    except (OSError, ValueError):
        return Measured(failure=f"`{cmd.shown}` wrote no peak figure")


# --- what a run that did its work prints ---------------------------------------------------

CHECKED = re.compile(r"^(\d+) plans? checked: (\d+) errors?, (\d+) warnings?$", re.M)
ERROR_AT = re.compile(r"^(.+?\.iptplan):\d+:\d+: error\[", re.M)
RENDERED = re.compile(r"^(\d+) plans? rendered, (\d+) failed: (\d+) files? written, "
                      r"(\d+) unchanged", re.M)


def checked(plans: int, errors_in: set[str] | None = None) -> Callable[[str], None]:
    """`ipt-plan check`'s output: its summary counts `plans` (where it prints one: a batch
    with no error and no warning prints nothing); with `errors_in`, errors are reported in
    exactly those files, and without it in none."""
    def expect(text: str) -> None:
        found = CHECKED.findall(text)
        if not found:
            if text.strip():
                raise Failed("its output has no summary line")
            if errors_in:
                raise Failed(f"it printed nothing, yet {len(errors_in)} plans have errors")
            return
        counted, errors, _ = map(int, found[-1])
        if counted != plans:
            raise Failed(f"it checked {counted} plans, not {plans}")
        where = set(ERROR_AT.findall(text))
        if errors_in is None and errors:
            raise Failed(f"{errors} errors in a corpus that has none, the first in "
                         f"{sorted(where)[:1]}")
        if errors_in is not None and where != errors_in:
            raise Failed(f"errors in {len(where)} plans; {len(errors_in)} have one "
                         f"({len(where - errors_in)} reported that have none, "
                         f"{len(errors_in - where)} not reported)")
    return expect


def counted(count: int) -> Callable[[str], None]:
    def expect(text: str) -> None:
        if text.strip() != str(count):
            raise Failed(f"it counted {text.strip()[:40] or 'nothing'}, not {count}")
    return expect


@lru_cache(maxsize=None)
def agendas_per_bundled_plan(fmt: str) -> tuple[int, ...]:
    """How many agenda files each bundled plan renders to (the corpus's plans are
    variations of them), by the library."""
    import ipt_plan

    return tuple(len(list(ipt_plan.render(ipt_plan.load_file(path), fmt=fmt)))
                 for path in bundled_plan_files())


def agendas_of_corpus(plans: int, fmt: str = "md") -> int:
    per_plan = agendas_per_bundled_plan(fmt)
    return sum(per_plan[template_of(index)] for index in range(plans))


def output_of(out: Path) -> tuple[int, int, int, int]:
    """Plan folders (OUTDIR/.../NAME.iptplan/), agenda files in them (ipt-plan's own
    hidden marks aside), and the bytes and inodes the whole folder takes on its disk."""
    folders = agendas = size = inodes = 0
    for here, dirs, names in os.walk(out):
        folders += sum(name.endswith(".iptplan") for name in dirs)
        agendas += sum(not name.startswith(".") for name in names)
        inodes += len(dirs) + len(names)
        for name in names:
            size += os.lstat(os.path.join(here, name)).st_blocks * 512
    return folders, agendas, size, inodes


def rendered(out: Path, plans: int, agendas: int) -> Callable[[str], None]:
    """`ipt-plan render`'s output into an empty `out`: every plan rendered, each file
    written, and the folders and files on disk to match."""
    def expect(text: str) -> None:
        found = RENDERED.search(text)
        if not found:
            raise Failed(f"no summary line in its output ({_last_line(text)})")
        done, failed, written, unchanged = map(int, found.groups())
        if (done, failed, written, unchanged) != (plans, 0, agendas, 0):
            raise Failed(f"it says {done} plans rendered, {failed} failed, {written} files "
                         f"written, {unchanged} unchanged; the corpus gives {plans} plans "
                         f"and {agendas} files")
        folders, files, _, _ = output_of(out)
        if (folders, files) != (plans, agendas):
            raise Failed(f"{out.name} holds {folders} plan folders and {files} agenda files; "
                         f"the corpus gives {plans} and {agendas}")
    return expect


FOOTNOTES: list[str] = []


def note_disk_use(out: Path, place: str) -> None:
    """What a render's agendas take, for the table's notes (and RESULTS.md's arithmetic)."""
    folders, files, size, inodes = output_of(out)
    FOOTNOTES.append(f"agendas of {folders:,} plans (md, {place}): {files:,} files, "
                     f"{size / 1e6:,.0f} MB in blocks, {inodes:,} inodes (files and folders): "
                     f"{size / max(folders, 1) / 1e3:.0f} KB and "
                     f"{inodes / max(folders, 1):.1f} inodes a plan")


def emptied(out: Path) -> Callable[[], None]:
    """Before a render: an empty output folder (else files left unchanged are not written
    again), and the disk's queue of writes flushed, so that no run pays for another's."""
    def prepare() -> None:
        shutil.rmtree(out, ignore_errors=True)
        os.sync()
    return prepare


# --- calls, in this process ---------------------------------------------------------------

@dataclass
class Call:
    """A call to time, a check of what it returned (untimed), and how often a round."""

    func: Callable[[], object]
    verify: Callable[[object], None]
    reps: int = 1


def alternate_calls(calls: list[Call], rounds: int) -> list[Measured]:
    """Medians of in-process calls, run in turn round after round, with Python's cyclic
    collector off as `ipt-plan check` runs (cli.py says why); it collects between rounds,
    untimed, so that no call pays for the garbage of another."""
    times: list[list[float]] = [[] for _ in calls]
    failures: list[str | None] = [None] * len(calls)
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            gc.collect()
            for index, call in enumerate(calls):
                for _ in range(call.reps if failures[index] is None else 0):
                    start = time.perf_counter()
                    try:
                        value = call.func()
                        times[index].append(time.perf_counter() - start)
                        call.verify(value)
                    except Failed as err:
                        failures[index] = str(err)
                        break
                    except Exception as err:  # noqa: BLE001 - a crash is a FAILED row
                        failures[index] = f"raised {type(err).__name__}: {err}"
                        break
    finally:
        if enabled:
            gc.enable()
    return [Measured(failure=failure) if failure else Measured(statistics.median(spent))
            for spent, failure in zip(times, failures)]


def built(clean: bool = False, syntax_errors: bool = False) -> Callable[[object], None]:
    """A check's result: the plan was built and ipt-plan did not fail on it; `clean`: no
    error at all; `syntax_errors`: the syntax errors the text has on purpose are found."""
    def verify(result) -> None:
        crashed = [d for d in result.diagnostics if d.code in ("IPT000", "IPT999")]
        if result.plan is None or crashed:
            raise Failed(f"no plan built: {crashed[0].message if crashed else 'plan is None'}")
        if clean and not result.ok:
            first = result.errors[0]
            raise Failed(f"{len(result.errors)} errors in a plan that has none, the first "
                         f"line {first.line}: {first.code} {first.message}")
        if syntax_errors and not any(d.code == "IPT001" for d in result.errors):
            raise Failed("the syntax errors put in on purpose were not found")
    return verify


# --- the rows ------------------------------------------------------------------------------

def startup_rows(work: Path, runs: int) -> list[Row]:
    say("start-up")
    one = write_corpus(work / "one", 1)[0]
    check_one, imports = alternate([
        Command([IPT_PLAN, "check", str(one.relative_to(work))], work, expect=checked(1)),
        Command([sys.executable, "-c", "import lark, networkx, typer"], work),
    ], runs)
    return [Row("ipt-plan check one.iptplan, whole process",
                'python -c "import lark, networkx, typer"', check_one, imports, 1.25)]


def batch_check_rows(work: Path, runs: int, plans: int) -> list[Row]:
    say(f"check of {plans:,} plans")
    write_corpus(work / "corpus", plans)
    broken = write_corpus(work / "broken", plans, broken_every=10)
    errors_in = {f"broken/{path.name}" for index, path in enumerate(broken)
                 if is_broken(index, 10)}
    parse_only = ("import sys; from pathlib import Path; from ipt_plan.grammar import parser; "
                  "p = parser(); files = sorted(Path(sys.argv[1]).glob('*.iptplan')); "
                  "[p.parse(f.read_text(encoding='utf-8'), start='start') for f in files]; "
                  "print(len(files))")
    one_process, parse, default, with_errors = alternate([
        Command([IPT_PLAN, "check", "--jobs", "1", "corpus"], work, expect=checked(plans)),
        Command([sys.executable, "-c", parse_only, "corpus"], work, expect=counted(plans)),
        Command([IPT_PLAN, "check", "corpus"], work, expect=checked(plans)),
        Command([IPT_PLAN, "check", "--jobs", "1", "broken"], work, exit_code=1,
                expect=checked(plans, errors_in)),
    ], max(3, runs // 5))
    return [
        Row(f"ipt-plan check of {plans:,} plans, --jobs 1 (one process)",
            "parsing the same files with the project's Lark parser, one process",
            one_process, parse, 2.0),
        Row(f"ipt-plan check of {plans:,} plans, default --jobs (no option)",
            "the same with --jobs 1", default, one_process, 1.0),
        Row(f"ipt-plan check of {plans:,} plans, one in ten with a syntax error (exit 1, "
            "errors in exactly those), --jobs 1", "the all-clean corpus, --jobs 1",
            with_errors, one_process, 1.3),
    ]


def in_process_rows(runs: int) -> list[Row]:
    import ipt_plan

    say("single plans")
    small, large = long_plan(100), long_plan(10_000)
    t_small, t_large = alternate_calls([
        Call(lambda: ipt_plan.load_string(small), built(), reps=6),
        Call(lambda: ipt_plan.load_string(large), built()),
    ], max(3, runs // 2))
    rows = [Row("checking one plan of 10,000 sessions (in-process, collector off as in "
                "`check`)",
                "one plan of 100 sessions, x 100",
                t_large, t_small.scaled(100), 1.3)]

    # Pathological input: an unterminated string and a 1 MB line, against a normal plan of
    # the same size; they must not cost more than it does.
    normal = long_plan(7_000)  # about 1 MB
    size = len(normal)
    unterminated = normal.replace('"an argument this week"', '"an argument this week', 50)
    one_line = 'plan "x"\nnote "' + "x" * (size - 20) + '"\n'
    t_normal, t_unterminated, t_line = alternate_calls([
        Call(lambda: ipt_plan.load_string(normal), built()),
        Call(lambda: ipt_plan.load_string(unterminated), built(syntax_errors=True)),
        Call(lambda: ipt_plan.load_string(one_line), built()),
    ], max(3, runs // 3))
    rows.append(Row("a plan with 50 unterminated strings", "the same plan, well formed",
                    t_unterminated, t_normal, 2.0))
    rows.append(Row(f"one line of {size / 1e6:.1f} MB", "a well-formed plan of the same size",
                    t_line, t_normal, 2.0))
    return rows


# Each shape at a size and at four times it: a linear stage costs four times as much.
FOUR_TIMES = {"foci": 5_000, "skips": 35_000, "measures": 5_000, "phases": 2_500}
# The shapes at their size, against a tenth of it times ten.
TEN_TIMES = {"foci": 20_000, "skips": 140_000, "log": 10_000}
SHAPE_WORDS = {"log": "log entries"}


def shape_rows(runs: int) -> list[Row]:
    """The shapes that once made a stage quadratic (bench/corpus.py's repeated_lines),
    each size of a shape alternated with its others."""
    import ipt_plan

    rows = []
    for shape in dict.fromkeys([*FOUR_TIMES, *TEN_TIMES]):
        say(f"a plan of many {SHAPE_WORDS.get(shape, shape)}")
        sizes = set()
        if shape in FOUR_TIMES:
            sizes |= {FOUR_TIMES[shape], FOUR_TIMES[shape] * 4}
        if shape in TEN_TIMES:
            sizes |= {TEN_TIMES[shape] // 10, TEN_TIMES[shape]}
        texts = {count: repeated_lines(shape, count) for count in sorted(sizes)}
        # The log's plan is clean at any size (its cancellations raise one warning).
        calls = [Call(lambda text=text: ipt_plan.load_string(text), built(clean=shape == "log"))
                 for text in texts.values()]
        timed = dict(zip(texts, alternate_calls(calls, max(3, runs // 3))))
        for times, base in ((4, FOUR_TIMES.get(shape)), (10, TEN_TIMES.get(shape))):
            if base is None:
                continue
            small, large = (base, base * 4) if times == 4 else (base // 10, base)
            words = SHAPE_WORDS.get(shape, f"{shape} lines")
            kib = len(texts[large]) // 1024
            rows.append(Row(f"a plan of {large:,} {words} ({kib:,} KB)",
                            f"one of {small:,}, x {times}", timed[large],
                            timed[small].scaled(times), 1.3 if times == 10 else 1.5))
    return rows


def warm_rows(runs: int) -> list[Row]:
    """A warm re-check (ipt_plan.Checker) against the bare grammar parsing the same text."""
    import ipt_plan

    say("warm re-check")
    path = ROOT / "plans" / "caregiver-dispute.iptplan"
    measure = (f"re-check of {path.name} after a one-character edit, warm: "
               "ipt_plan.Checker().check(text, path), in-process, collector off, median")
    baseline = ('lark.Lark(grammar_text(), parser="lalr").parse(text): the grammar file '
                "loaded by Lark alone, same texts")
    checker_class = getattr(ipt_plan, "Checker", None)
    if checker_class is None:
        missing = Measured(absent="ipt_plan.Checker missing")
        return [Row(measure, baseline, missing, missing, 1.5)]
    from lark import Lark

    from ipt_plan.grammar import grammar_text

    text = path.read_text(encoding="utf-8")
    # Two edits of one character in the first goal's text, alternated, so that no check
    # is given the text it was given last.
    at = text.index('goal "') + len('goal "') + 1
    variants = [text[:at] + letter + text[at + 1:] for letter in "xy"]
    expected = {v: [(d.code, d.line, d.column)
                    for d in ipt_plan.load_string(v, str(path)).diagnostics] for v in variants}

    try:
        checker = checker_class()
        checker.check(text, str(path))  # the first check is the cold one
    except Exception as err:  # noqa: BLE001 - an API that does not work is a FAILED row
        failed = Measured(failure=f"ipt_plan.Checker: {type(err).__name__}: {err}")
        return [Row(measure, baseline, failed, failed, 1.5)]
    bare = Lark(grammar_text(), parser="lalr")
    to_check, to_parse, last = itertools.cycle(variants), itertools.cycle(variants), {}

    def recheck():
        last["text"] = next(to_check)
        return checker.check(last["text"], str(path))

    def verify(result) -> None:
        got = [(d.code, d.line, d.column) for d in result.diagnostics]
        if got != expected[last["text"]]:
            raise Failed(f"the warm check found {got[:3]}, a cold one "
                         f"{expected[last['text']][:3]}")
        built(clean=True)(result)

    warm, parse = alternate_calls([Call(recheck, verify),
                                   Call(lambda: bare.parse(next(to_parse)), lambda tree: None)],
                                  max(40, runs * 8))
    return [Row(measure, baseline, warm, parse, 1.5, unit="ms")]


def render_rows(work: Path, runs: int, plans: int, place: str) -> list[Row]:
    say(f"render of {plans:,} plans, {place}")
    if not (work / "corpus").is_dir():
        write_corpus(work / "corpus", plans)
    agendas = agendas_of_corpus(plans)

    def render(out: str, *jobs: str) -> Command:
        return Command([IPT_PLAN, "render", "corpus", "-o", out, *jobs], work,
                       expect=rendered(work / out, plans, agendas), prepare=emptied(work / out))

    jobs_1, jobs_2, default, check = alternate([
        render("out-1", "--jobs", "1"), render("out-2", "--jobs", "2"), render("out-default"),
        Command([IPT_PLAN, "check", "--jobs", "1", "corpus"], work, expect=checked(plans)),
    ], max(2, runs // 6))
    rows = [
        Row(f"ipt-plan render of {plans:,} plans (md, {place}), --jobs 2",
            "the same with --jobs 1", jobs_2, jobs_1, 0.6),
        Row(f"ipt-plan render of {plans:,} plans (md, {place}), --jobs 1",
            "ipt-plan check of the same plans, --jobs 1", jobs_1, check, 4.0),
        Row(f"ipt-plan render of {plans:,} plans (md, {place}), default --jobs (no option)",
            "the same with --jobs 1", default, jobs_1, 1.0),
    ]
    say(f"peak memory of render of {plans:,} plans")
    out = work / "out-peak"
    render_peak = peak_memory(["render", "corpus", "-o", out.name, "--jobs", "1"], work,
                              rendered(out, plans, agendas), emptied(out))
    rows.append(Row(f"peak memory of render of {plans:,} plans (md, {place}), --jobs 1: the "
                    "one process that does all", "peak memory of check of one plan",
                    render_peak, check_one_peak(work), 3.0, unit="KiB"))
    if not render_peak.failure:
        note_disk_use(out, place)
    return rows


@lru_cache(maxsize=None)
def check_one_peak(work: Path) -> Measured:
    one = work / "one" / "plan-00000.iptplan"
    if not one.exists():
        write_corpus(one.parent, 1)
    return peak_memory(["check", str(one.relative_to(work))], work, checked(1))


def large_rows(work: Path, runs: int, small: int, large: int, place: str) -> list[Row]:
    """The second corpus size: per plan, a batch ten times the size costs the same."""
    say(f"writing corpora of {small:,} and {large:,} plans")
    write_corpus(work / "corpus", small)
    write_corpus(work / "corpus-large", large)
    agendas_small, agendas_large = agendas_of_corpus(small), agendas_of_corpus(large)
    out_small, out_large = work / "out-small", work / "out-large"

    def room_for_large() -> None:
        emptied(out_large)()
        # The large render needs about ten times what the small one took (measured in the
        # round before): said plainly rather than as a full disk half-way through.
        if out_small.is_dir():
            folders, _, size, inodes = output_of(out_small)
            need, need_inodes = size * large / max(folders, 1), inodes * large / max(folders, 1)
            free, stats = shutil.disk_usage(work).free, os.statvfs(work)
            if free < need * 1.2 or (stats.f_files and stats.f_favail < need_inodes * 1.2):
                raise Failed(f"{large:,} plans' agendas need about {need / 1e9:.1f} GB and "
                             f"{need_inodes:,.0f} inodes; {work} has {free / 1e9:.1f} GB and "
                             f"{stats.f_favail:,} free")

    say(f"render of {small:,} and {large:,} plans, alternately, {place}")
    render_small, render_large = alternate([
        Command([IPT_PLAN, "render", "corpus", "-o", out_small.name], work,
                expect=rendered(out_small, small, agendas_small), prepare=emptied(out_small)),
        Command([IPT_PLAN, "render", "corpus-large", "-o", out_large.name], work,
                expect=rendered(out_large, large, agendas_large), prepare=room_for_large),
    ], max(2, runs // 8))
    if not render_large.failure:
        note_disk_use(out_large, place)
    shutil.rmtree(out_small, ignore_errors=True)
    say(f"check of {small:,} and {large:,} plans, alternately")
    check_small, check_large = alternate([
        Command([IPT_PLAN, "check", "corpus"], work, expect=checked(small)),
        Command([IPT_PLAN, "check", "corpus-large"], work, expect=checked(large)),
    ], max(3, runs // 5))
    say(f"peak memory of check of {large:,} plans, --jobs 1")
    check_peak = peak_memory(["check", "--jobs", "1", "corpus-large"], work, checked(large))
    say(f"peak memory of render of {large:,} plans, --jobs 1")
    render_peak = peak_memory(["render", "corpus-large", "-o", out_large.name, "--jobs", "1"],
                              work, rendered(out_large, large, agendas_large),
                              emptied(out_large))
    shutil.rmtree(out_large, ignore_errors=True)
    one_peak = check_one_peak(work)
    return [
        Row(f"ipt-plan render of {large:,} plans (md, {place}), time a plan, default --jobs",
            f"render of {small:,} plans, time a plan, default --jobs",
            render_large.scaled(1 / large), render_small.scaled(1 / small), 1.15, unit="ms"),
        Row(f"ipt-plan check of {large:,} plans, time a plan, default --jobs",
            f"check of {small:,} plans, time a plan, default --jobs",
            check_large.scaled(1 / large), check_small.scaled(1 / small), 1.1, unit="ms"),
        Row(f"peak memory of check of {large:,} plans, --jobs 1 (one process)",
            "peak memory of check of one plan", check_peak, one_peak, 3.0, unit="KiB"),
        Row(f"peak memory of render of {large:,} plans (md, {place}), --jobs 1: the one "
            "process that does all (with workers, each holds its own)",
            "peak memory of check of one plan", render_peak, one_peak, 3.0, unit="KiB"),
    ]


# --- where, and the table ----------------------------------------------------------------

def filesystem(path: Path) -> str:
    """The type of the file system `path` is on (Linux's /proc/self/mounts), or "unknown"."""
    best, kind = "", "unknown"
    where = str(path.resolve())
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return kind
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount = fields[1].replace("\\040", " ")
        if (where == mount or where.startswith(mount.rstrip("/") + "/")) and len(mount) >= len(best):
            best, kind = mount, fields[2]
    return kind


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15,
                        help="runs per measure (the median is shown); slow rows run fewer")
    parser.add_argument("--plans", type=int, default=2000, help="plans in the batch corpus")
    parser.add_argument("--large", action="store_true",
                        help="only the rows of the second corpus size (make bench-large)")
    parser.add_argument("--large-plans", type=int, default=20000,
                        help="plans in the large corpus (--large)")
    parser.add_argument("--quick", action="store_true",
                        help="3 runs, 200 plans (2,000 with --large): a smoke test")
    parser.add_argument("--no-render", action="store_true", help="only the check rows")
    parser.add_argument("--memory", action="store_true",
                        help="write corpora and agendas to memory (/dev/shm), not the disk")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where corpora and agendas are written (default: bench/, on "
                             "the repository's disk)")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.plans, args.large_plans = 3, 200, 2000
    if args.memory:
        if args.workdir:
            parser.error("--memory and --workdir each choose the work folder: give one")
        args.workdir = Path("/dev/shm")
        if not (args.workdir.is_dir() and os.access(args.workdir, os.W_OK)):
            parser.error("--memory needs a writable /dev/shm")
    base = args.workdir or BENCH
    kind = filesystem(base)
    place = "in memory" if kind in MEMORY_FILESYSTEMS else "on disk"
    # An installed package has its bytecode compiled; a checkout run with
    # PYTHONDONTWRITEBYTECODE would otherwise recompile ipt_plan in every process.
    compileall.compile_dir(str(ROOT / "ipt_plan"), quiet=1)
    import lark

    with tempfile.TemporaryDirectory(prefix="ipt-plan-bench-", dir=base) as tmp:
        work = Path(tmp)
        if args.large:
            rows = large_rows(work, args.runs, args.plans, args.large_plans, place)
        else:
            rows = (startup_rows(work, args.runs) + batch_check_rows(work, args.runs, args.plans)
                    + in_process_rows(args.runs) + shape_rows(args.runs) + warm_rows(args.runs))
            if not args.no_render:
                rows += render_rows(work, args.runs, args.plans, place)
        say("removing the work folder")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, lark "
          f"{lark.__version__}; {args.runs} runs, medians; render rows write {place}: "
          f"{base.resolve()} ({kind})\n")
    print("| measure | baseline it is divided by | measured | baseline | ratio | target | |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        cells = [cell.replace("|", "\\|").replace("\n", " ") for cell in row.cells()]
        print("| " + " | ".join(cells) + " |")
    for note in FOOTNOTES:
        print(f"\n{note}")
    statuses = {row.status for row in rows}
    return 2 if "FAILED" in statuses else 1 if "MISSED" in statuses else 0


if __name__ == "__main__":
    sys.exit(main())
