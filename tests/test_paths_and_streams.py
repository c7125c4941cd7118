"""Health data stays where it belongs: which files are read (regular files only, never a
pipe that would hang), which folder each plan's agendas land in (the same one every run,
never another plan's), and output that could not be written (a clear error, exit 2)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import PLANS, REFERENCE
from ipt_plan import batch, load_file
from ipt_plan.cli import app

runner = CliRunner()
CLI = [sys.executable, "-m", "ipt_plan"]
BROKEN = PLANS.parent / "tests" / "cases"  # plans with errors: check prints diagnostics


def plan_titled(title: str) -> str:
    return REFERENCE.read_text(encoding="utf-8").replace(
        'plan "Ms. A: caregiving conflict with her sister"', f'plan "{title}"')


def write_plan(path: Path, title: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(plan_titled(title), encoding="utf-8")
    return path


def title_in(folder: Path) -> str:
    return (folder / "overview.md").read_text(encoding="utf-8").split("\n", 1)[0]


# --- 10. output that cannot be written is an error, not a traceback or a success ---------

needs_dev_full = pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")


def run_into(stdout, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], stdout=stdout, stderr=subprocess.PIPE, text=True,
                          timeout=120, cwd=cwd)


def assert_output_lost(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    lost = [line for line in done.stderr.splitlines() if "standard output" in line]
    assert len(lost) == 1 and lost[0].startswith("ipt-plan: "), done.stderr


@needs_dev_full
@pytest.mark.parametrize("args", [
    ["check", str(BROKEN)],
    ["export", str(REFERENCE), "-f", "json"],
    ["graph", str(REFERENCE)],
    ["new", "--focus", "grief"],
    ["fmt", "--diff", "MESSY"],
    ["rules"],
    ["render", str(REFERENCE), "-o", "OUT"],
    ["--help"],
], ids=lambda args: args[0])
def test_a_full_disk_on_standard_output_is_exit_2(tmp_path, args):
    messy = tmp_path / "messy.iptplan"
    messy.write_text(REFERENCE.read_text(encoding="utf-8").replace("  client", "client"))
    args = [str(messy) if a == "MESSY" else str(tmp_path / "out") if a == "OUT" else a
            for a in args]
    with open("/dev/full", "w") as full:
        assert_output_lost(run_into(full, *args))


def test_a_closed_standard_output_is_exit_2(tmp_path):
    done = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *CLI, "check", str(BROKEN)],
                          stderr=subprocess.PIPE, text=True, timeout=120)
    assert_output_lost(done)
    # Nothing is lost when there was nothing to write.
    quiet = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *CLI, "check", str(REFERENCE)],
                           stderr=subprocess.PIPE, text=True, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_a_reader_that_went_away_is_not_a_success_nor_a_traceback():
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` having stopped reading before the output came
    try:
        done = subprocess.run([*CLI, "check", str(BROKEN)], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


# --- 11. only regular files are read --------------------------------------------------------

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


@pytest.fixture
def with_fifo(tmp_path):
    """A folder holding a good plan and a named pipe called like a plan (no one writes to it)."""
    plans = tmp_path / "plans"
    plans.mkdir()
    shutil.copy(REFERENCE, plans / "good.iptplan")
    os.mkfifo(plans / "pipe.iptplan")
    return plans


@needs_fifo
@pytest.mark.parametrize("args", [
    ["check", "PIPE"], ["check", "PLANS"], ["fmt", "PLANS"], ["fmt", "--check", "PIPE"],
    ["render", "PLANS", "-o", "OUT"], ["export", "PIPE", "-f", "json"], ["graph", "PIPE"],
], ids=lambda args: "-".join(a.lower() for a in args[:2]))
def test_a_named_pipe_is_reported_not_waited_on(with_fifo, args):
    swap = {"PIPE": str(with_fifo / "pipe.iptplan"), "PLANS": str(with_fifo),
            "OUT": str(with_fifo.parent / "out")}
    done = subprocess.run([*CLI, *(swap.get(a, a) for a in args)], capture_output=True,
                          text=True, timeout=30)  # before the fix: waits for a writer forever
    assert done.returncode in (1, 2), done.stdout + done.stderr
    assert "not a regular file" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    if args[0] == "render":
        assert any(p.parent.name == "good" for p in (with_fifo.parent / "out").rglob("session-16.md"))


def test_a_device_is_not_read_as_a_plan(tmp_path):
    device = tmp_path / "zero.iptplan"
    device.symlink_to("/dev/zero")
    (diagnostic,) = load_file(device).diagnostics
    assert diagnostic.code == "IPT000" and "not a regular file" in diagnostic.message


@needs_fifo
def test_a_named_pipe_is_not_read_in_process(tmp_path):
    fifo = tmp_path / "pipe.iptplan"
    os.mkfifo(fifo)
    # A writer holds the pipe open, so reading it would wait, not end: only the check of
    # what the file is keeps this test from hanging. Guarded by a child process' timeout.
    code = (f"import os; from ipt_plan import load_file\n"
            f"w = os.open({str(fifo)!r}, os.O_RDWR)\n"
            f"print(load_file({str(fifo)!r}).diagnostics[0].message)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30)
    assert "not a regular file" in done.stdout
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@needs_fifo
def test_a_named_pipe_among_protocol_profiles_is_reported_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "ours.toml")
    done = subprocess.run([*CLI, "protocols", "--protocols", str(tmp_path)], capture_output=True,
                          text=True, timeout=30)
    assert "ours       (cannot be used: it cannot be read (a named pipe, not a regular file))" in done.stdout
