"""Batches at clinic scale: results handed over as they come and dropped, workers started
once and handed a few plans at a time, a shared output folder listed once a batch, and
a default number of workers that leaves busy cores alone."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import PLANS, REFERENCE
from ipt_plan import batch, checking, report, workers
from ipt_plan.cli import app
from ipt_plan.codes import INTERNAL_ERROR
from ipt_plan.paths import PlanFiles

runner = CliRunner()


def corpus(folder: Path, count: int, broken_every: int = 0) -> list[Path]:
    """`count` copies of the bundled plans; every `broken_every`-th one with a typo."""
    bundled = sorted(PLANS.glob("*.iptplan"))
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for index in range(count):
        text = bundled[index % len(bundled)].read_text(encoding="utf-8")
        if broken_every and index % broken_every == 0:
            text = text.replace("\nphase ", "\nphaze ", 1)
        path = folder / f"plan-{index:03d}.iptplan"
        path.write_text(text, encoding="utf-8")
        made.append(path)
    return made


# --- how many workers ------------------------------------------------------------------

def test_the_default_leaves_the_cores_other_programs_use():
    assert workers.default_jobs(cores=2, busy=0) == 2
    assert workers.default_jobs(cores=2, busy=1) == 1
    assert workers.default_jobs(cores=8, busy=3) == 5
    assert workers.default_jobs(cores=2, busy=7) == 1  # never fewer than one
    assert workers.default_jobs() >= 1


def test_a_containers_cpu_quota_is_read(monkeypatch):
    assert workers.cpu_quota("200000 100000\n") == 2
    assert workers.cpu_quota("50000 100000\n") == 1  # half a CPU is still one worker
    assert workers.cpu_quota("max 100000\n") is None
    assert workers.cpu_quota("nonsense") is None
    assert 1 <= workers.usable_cores() <= (os.cpu_count() or 1)


def test_the_others_running_now_are_read_from_the_kernel():
    assert workers.running_others("0.52 0.58 0.59 3/271 1234\n") == 2
    assert workers.running_others("0.52 0.58 0.59 1/271 1234\n") == 0
    assert workers.running_others("garbled") == 0


# --- the ordered, bounded map ------------------------------------------------------------

def double(items: list[int]) -> list[int]:
    return [2 * i for i in items]


def die_on_13(items: list[int]) -> list[int]:
    if 13 in items:
        os._exit(3)  # as a worker killed for its memory would
    return double(items)


def test_results_come_in_order_and_the_items_are_read_only_as_far_as_needed():
    read = []

    def items():
        for i in range(1000):
            read.append(i)
            yield [i]

    mapped = workers.ordered_map(double, items(), 2, lambda item, err: None)
    assert next(mapped) == [0]
    # Only a few chunks a worker were queued, not the whole batch.
    assert len(read) <= 2 * workers.QUEUED_PER_WORKER + 1
    assert [out[0] for out in mapped] == [2 * i for i in range(1, 1000)]


def test_a_worker_that_dies_costs_its_chunk_and_the_batch_goes_on():
    crashed = []
    out = list(workers.ordered_map(die_on_13, ([i] for i in range(40)), 2,
                                   lambda item, err: crashed.append(item) or ["crashed"]))
    assert crashed == [[13]]
    assert out[13] == ["crashed"]
    assert [o[0] for i, o in enumerate(out) if i != 13] == [2 * i for i in range(40) if i != 13]


# --- which plans ------------------------------------------------------------------------

def test_plan_files_are_walked_not_held_and_given_once(tmp_path):
    plans = corpus(tmp_path / "c", 5)
    named = PlanFiles([tmp_path / "c", plans[2], tmp_path / "nothing"])
    assert named.missing == [str(tmp_path / "nothing")]
    assert [p.name for p in named] == [p.name for p in plans]  # plans[2] once
    assert named.count() == 5
    globbed = PlanFiles([str(tmp_path / "**")])  # matches the folder and the files in it
    assert globbed.count() == 5 and globbed.may_repeat
    assert not PlanFiles([tmp_path / "c"]).may_repeat


# --- check -------------------------------------------------------------------------------

def test_check_hands_each_result_over_before_checking_the_next(tmp_path, monkeypatch):
    corpus(tmp_path / "c", 30)
    checked = []
    real = checking.load_file
    monkeypatch.setattr(checking, "load_file",
                        lambda path, *a, **k: checked.append(path) or real(path, *a, **k))
    results = checking.iter_check([tmp_path / "c"])
    next(results)
    assert len(checked) == 1
    assert len(list(results)) == 29


def test_writers_write_as_the_results_come(tmp_path):
    """The first plan's problems are out before the second plan is checked."""
    corpus(tmp_path / "c", 3, broken_every=1)
    written = []

    class Stream:
        def write(self, text):
            written.append(text)

    pulled = []

    def results():
        for result in checking.iter_check([tmp_path / "c"]):
            pulled.append(written.copy())
            yield result

    for write in (report.write_text, report.write_json, report.write_github, report.write_sarif):
        written.clear(), pulled.clear()
        tally = write(results(), Stream())
        assert tally.plans == 3 and tally.errors >= 3 and tally.exit_code() == 1
        # (SARIF's head, the rules, comes first.)
        assert len(pulled[1]) > len(pulled[0]), write.__name__


def test_a_large_check_in_workers_says_exactly_what_one_process_says(tmp_path):
    corpus(tmp_path / "c", checking.PARALLEL_FROM + 6, broken_every=10)
    said = {}
    for fmt in ("text", "json", "sarif", "github"):
        one = runner.invoke(app, ["check", str(tmp_path / "c"), "--jobs", "1", "-f", fmt])
        two = runner.invoke(app, ["check", str(tmp_path / "c"), "--jobs", "2", "-f", fmt])
        assert one.exit_code == two.exit_code == 1
        assert one.stdout == two.stdout, fmt
        said[fmt] = two.stdout
    document = json.loads(said["json"])
    assert len(document["files"]) == checking.PARALLEL_FROM + 6
    assert sum(f["errors"] > 0 for f in document["files"]) == 7
    assert INTERNAL_ERROR not in two.stdout


def test_streamed_json_and_sarif_are_what_json_dumps_writes(tmp_path):
    corpus(tmp_path / "c", 4, broken_every=2)
    results = checking.check([tmp_path / "c", tmp_path / "missing"])
    for text in (report.format_json(results), report.format_sarif(results)):
        assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    empty = report.format_json([])
    assert json.loads(empty) == {"version": 1, "files": [], "errors": 0, "warnings": 0}


def test_a_clean_plans_text_does_not_cross_between_processes():
    result = checking.check([REFERENCE])[0]
    assert result.ok and not result.diagnostics
    assert result.for_report().text is None


# --- render ------------------------------------------------------------------------------

@pytest.mark.parametrize("jobs", [1, 2])
def test_a_shared_output_folder_is_listed_once_a_batch(tmp_path, monkeypatch, jobs):
    """Rendering into a folder that already holds many plan folders costs what it costs
    into an empty one: the shared folder is listed once, not once a plan."""
    plans = corpus(tmp_path / "c", 24)
    out = tmp_path / "out"
    shared = out / batch.plan_folder(plans[0]).parent
    shared.mkdir(parents=True)
    for index in range(200):  # other plans' folders, rendered earlier
        (shared / f"earlier-{index}.iptplan").mkdir()
    log = tmp_path / "listed.log"
    real = os.listdir

    def listing(path="."):
        # Written to a file, so that the workers' listings are counted too.
        seen = os.fstat(path) if isinstance(path, int) else os.stat(path)
        with open(log, "a") as handle:
            handle.write(f"{seen.st_ino}\n")
        return real(path)

    monkeypatch.setattr(os, "listdir", listing)
    outcome = batch.run([tmp_path / "c"], out, jobs=jobs, keep=False)
    monkeypatch.undo()
    listed = log.read_text().split()
    assert listed.count(str(shared.stat().st_ino)) == 1
    assert outcome.exit_code == 0 and outcome.plans == 24 and outcome.outcomes == ()
    assert outcome.written == sum(len(list(f.iterdir())) - 1  # less the plan's mark
                                  for f in shared.iterdir() if not f.name.startswith("earlier"))


def test_render_tells_each_plan_and_keeps_none(tmp_path):
    corpus(tmp_path / "c", 20, broken_every=5)
    heard = []
    outcome = batch.run([tmp_path / "c"], tmp_path / "out", jobs=2, keep=False,
                        on_outcome=heard.append)
    assert outcome.outcomes == ()
    assert (outcome.plans, outcome.failed_plans, outcome.rendered_plans) == (20, 4, 16)
    assert [Path(o.plan_file).name for o in heard] == [f"plan-{i:03d}.iptplan" for i in range(20)]
    assert outcome.exit_code == 1


def test_the_render_report_is_the_same_in_workers_and_in_one_process(tmp_path):
    corpus(tmp_path / "c", 20, broken_every=5)
    said = {}
    for jobs in ("1", "2"):
        shutil.rmtree(tmp_path / "out", ignore_errors=True)
        result = runner.invoke(app, ["render", str(tmp_path / "c"), "-o", str(tmp_path / "out"),
                                     "--jobs", jobs])
        assert result.exit_code == 1
        said[jobs] = result.stdout.rsplit(" in ", 1)[0]  # the time differs
    assert said["1"] == said["2"]
    assert said["1"].count("error[") >= 4 and "16 plans rendered, 4 failed" in said["1"]


def test_a_batch_stopped_for_room_says_what_it_rendered_and_why_it_stopped(tmp_path,
                                                                           monkeypatch):
    """In worker processes too: the plans begun are finished whole, the summary is
    printed, then why the batch stopped (exit 2)."""
    from ipt_plan import capacity
    from ipt_plan.files import TEMP_SUFFIX
    from test_capacity import GB, shrinking_disk

    corpus(tmp_path / "c", 120)  # more than the workers are handed at once (48)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "statvfs", shrinking_disk(50 * GB, 20 * GB))
    monkeypatch.setattr(capacity, "RECHECK_EVERY", 1)
    result = runner.invoke(app, ["render", "c", "-o", "out", "--jobs", "2"])
    assert result.exit_code == 2
    assert result.stdout.startswith("1 plan rendered, 0 failed")
    assert "\nipt-plan: stopped after 1 of 120 plans" in result.stderr  # after the log
    folders = [p for p in (tmp_path / "out").rglob("*.iptplan") if p.is_dir()]
    assert 1 <= len(folders) < 120  # the plans not yet handed over were dropped
    for folder in folders:
        assert (folder / "overview.md").is_file()
    assert not list((tmp_path / "out").rglob(f"*{TEMP_SUFFIX}"))


def test_a_name_the_system_refuses_is_a_path_that_names_nothing(tmp_path):
    for name in ("a" * 300, str(tmp_path / ("b" * 300)) + "/*.iptplan"):
        result = runner.invoke(app, ["check", name])
        assert result.exit_code == 2 and "no such file or folder" in result.stdout
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_worker_ends_when_its_batch_dies():
    """A worker asks the kernel to end it with its parent (killed by a supervisor, out of
    memory): it does not wait for work for ever."""
    import signal
    import subprocess
    import sys
    import textwrap
    import time

    script = textwrap.dedent("""
        import os, sys, time
        from ipt_plan import workers
        def sleep(items):
            os.write(1, b"%d\\n" % os.getpid())  # one write: two workers never interleave
            time.sleep(60)
            return items
        mapped = workers.ordered_map(sleep, ([i] for i in range(2)), 2, lambda i, e: None)
        next(mapped)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    worker = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(100):  # the kernel ends it at once; the loop only waits for that
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(worker, signal.SIGKILL)
        pytest.fail("the worker outlived its batch")
