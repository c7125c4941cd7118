"""Room on the disk for a render (capacity.py): a render that would not fit stops before
its first plan with what it needs, what is free and what to do, writing nothing; one
that fits renders; a file system that cannot say, or has no inode limit, is not refused."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import PLANS, REFERENCE
from ipt_plan import batch, capacity, load_file, render as render_plan
from ipt_plan.capacity import Need, Room
from ipt_plan.cli import app
from ipt_plan.files import TEMP_SUFFIX
from ipt_plan.outdir import PLAN_MARK, plan_mark

runner = CliRunner()
GB = 1_000_000_000


def disk(free_bytes: int, free_files: int, *, total_bytes: int = 100 * GB,
         total_files: int = 10_000_000, block: int = 4096):
    """An os.statvfs that says this of every folder."""
    def statvfs(path):
        return os.statvfs_result((block, block, total_bytes // block, free_bytes // block,
                                  free_bytes // block, total_files, free_files, free_files,
                                  0, 255))
    return statvfs


def shrinking_disk(free_bytes: int, step: int):
    """An os.statvfs that finds `step` bytes fewer free at each look."""
    looks = iter(range(10**6))

    def statvfs(path):
        return disk(free_bytes - next(looks) * step, 5_000_000)(path)
    return statvfs


def render(*args: str):
    return runner.invoke(app, ["render", *map(str, args), "--jobs", "1"])


@pytest.fixture
def plans(tmp_path, monkeypatch):
    """Three plans, in plans/ of the current folder."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "plans"
    folder.mkdir()
    for name in ("caregiver-dispute", "postpartum-new-mother", "ptsd-assault-bus-driver"):
        shutil.copy(PLANS / f"{name}.iptplan", folder)
    return folder


def written(out: Path) -> list[Path]:
    return sorted(out.rglob("overview.*")) if out.exists() else []


# --- the estimate -------------------------------------------------------------------------

def test_a_plan_takes_its_folder_overview_sessions_and_mark_each_a_block_at_least():
    need = capacity.estimate(plans=10, folders=2, fmt="md", sessions=21, block=4096)
    assert need == Need(10, 10 * (1 + 1 + 21 + 1) + 2, (10 * 24 + 2) * 4096)
    html = capacity.estimate(plans=10, folders=0, fmt="html", sessions=21, block=4096)
    assert html.files == 240 and html.bytes > 1.8 * need.bytes  # overview 3 blocks, sessions 2
    small = capacity.estimate(plans=1, folders=0, fmt="md", sessions=1, block=512)
    assert small.bytes == 512 + 4_096 + 2_048 + 512  # 3,700 and 2,000 bytes in 512-byte blocks
    # The pack: one file more, as large as the overview and the sessions together.
    packed = capacity.estimate(plans=10, folders=0, fmt="html", sessions=21, block=4096, pack=True)
    assert packed.files == html.files + 10
    assert packed.bytes - html.bytes == 10 * 4096 * -(-(11_200 + 21 * 7_300) // 4096)


def test_the_sizes_are_what_the_bundled_plans_give_with_the_built_in_templates():
    """The constants were measured on the bundled plans; if the templates grow or shrink
    much, measure again (see the comment above OVERVIEW_BYTES)."""
    for fmt in ("md", "html", "txt"):
        overviews, sessions = [], []
        for plan in sorted(PLANS.glob("*.iptplan")):
            for document in render_plan(load_file(plan), fmt):
                size = len(document.text.encode("utf-8"))
                (overviews if document.name.startswith("overview") else sessions).append(size)
        for sizes, constant in ((overviews, capacity.OVERVIEW_BYTES[fmt]),
                                (sessions, capacity.SESSION_BYTES[fmt])):
            mean = sum(sizes) / len(sizes)
            assert 0.75 * constant <= mean <= constant, (fmt, mean, constant)
    assert len(plan_mark(REFERENCE)) == capacity.MARK_BYTES


def test_the_longest_course_is_read_from_the_protocols_not_maintenance(tmp_path):
    assert capacity.longest_course() == (20, "ipt-uk")  # NICE's 16-20 sessions
    clinic = tmp_path / "protocols"
    clinic.mkdir()
    uk = (PLANS.parent / "ipt_plan" / "knowledge" / "protocols" / "ipt-uk.toml").read_text()
    (clinic / "long.toml").write_text(uk.replace('name = "ipt-uk"', 'name = "long"').replace(
        "sessions = [16, 20]", "sessions = [16, 24]"))
    (clinic / "broken.toml").write_text("sessions = [")  # skipped, as `protocols` lists it
    assert capacity.longest_course([clinic]) == (24, "long")
    assert capacity.longest_course([tmp_path / "no-such-folder"]) == (20, "ipt-uk")


def test_plans_rendered_already_need_nothing_new(tmp_path):
    out = tmp_path / "out"
    (out / "clinic" / "old.iptplan").mkdir(parents=True)
    dirs = [str(out / "clinic" / "old.iptplan"), str(out / "clinic" / "new.iptplan"),
            str(out / "clinic" / "smith" / "x" / "new.iptplan"),
            str(out / "clinic" / "smith" / "y" / "new.iptplan")]
    # Three new plans; smith/, smith/x/ and smith/y/ are new, clinic/ is not.
    assert capacity.new_folders(dirs) == (3, 3, 4)


def test_readable_numbers():
    assert capacity.size_words(950) == "950 bytes"
    assert capacity.size_words(4_096) == "4.1 kB"
    assert capacity.size_words(96_000_000_000) == "96.0 GB"
    assert capacity.size_words(5 * 10**15) == "5000.0 TB"
    assert capacity.count_words(15_800) == "15,800"
    assert capacity.count_words(24_000_000) == "24.0 million"


# --- what the file system says ----------------------------------------------------------

def test_room_for_an_unprivileged_user_with_a_margin(monkeypatch, tmp_path):
    monkeypatch.setattr(os, "statvfs", disk(50 * GB, 2_000_000))
    assert capacity.room(tmp_path) == Room(50 * GB // 4096 * 4096, 2_000_000, 4096,
                                           capacity.KEEP_BYTES, capacity.KEEP_FILES)
    # A small disk keeps 5% of itself.
    monkeypatch.setattr(os, "statvfs", disk(2**30, 2_000, total_bytes=2**31, total_files=20_000))
    assert capacity.room(tmp_path) == Room(2**30, 2_000, 4096, int(2**31 * 0.05), 1_000)


def test_a_file_system_without_an_inode_limit_or_a_size_is_not_checked_for_it(
        monkeypatch, tmp_path):
    monkeypatch.setattr(os, "statvfs", disk(50 * GB, 0, total_files=0))  # as btrfs says
    assert capacity.room(tmp_path).files is None
    monkeypatch.setattr(os, "statvfs", disk(0, 0, total_bytes=0, total_files=0))  # a pseudo one
    assert capacity.room(tmp_path) == Room(None, None, 4096, 0, 0)
    assert capacity.SpaceCheck([str(tmp_path / "new.iptplan")], tmp_path, "md").problem is None


def test_a_file_system_that_cannot_say_is_not_checked(monkeypatch, tmp_path):
    def fails(path):
        raise OSError(38, "Function not implemented")
    monkeypatch.setattr(os, "statvfs", fails)
    assert capacity.room(tmp_path) is None
    assert capacity.SpaceCheck([str(tmp_path / "new.iptplan")], tmp_path, "md").problem is None
    monkeypatch.delattr(os, "statvfs")
    assert capacity.room(tmp_path) is None


# --- before the first plan ----------------------------------------------------------------

def test_the_message_says_what_is_needed_what_is_free_and_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr(os, "statvfs", disk(30 * GB, 15_800_000, total_files=16_777_216))
    dirs = [str(tmp_path / "out" / f"p{i}.iptplan") for i in range(1_000_000)]
    message = capacity.problem(capacity.estimate(1_000_000, 0, "md", 21, 4096),
                               capacity.room(tmp_path), tmp_path / "out", len(dirs), 20, "ipt-uk")
    assert message == (
        f"not enough room for the agendas of 1,000,000 plans: they need about 98.3 GB and "
        f"24.0 million files and folders (inodes), and the disk of {tmp_path / 'out'} has "
        "30.0 GB free and room for 15.8 million more, and ipt-plan leaves at least 1.0 GB "
        "and 100,000 free for other programs. Estimated as an overview and up to 21 session "
        "agendas a plan (ipt-uk's course, the longest, has 20 sessions; a plan may add a "
        "session 0). Free space on that disk, render fewer plans at once, or render into "
        "another disk with -o (--no-space-check renders without this check).")


def test_a_render_that_would_not_fit_stops_before_writing_anything(monkeypatch, plans, tmp_path):
    out = tmp_path / "out"
    monkeypatch.setattr(os, "statvfs", disk(204_800, 1_000_000))  # not three plans
    result = render(plans, "-o", out)
    assert result.exit_code == 2
    assert result.stderr.startswith("ipt-plan: not enough room for the agendas of 3 plans: "
                                    "they need about ")
    assert "204.8 kB free" in result.stderr and "render into another disk with -o" in result.stderr
    assert "Traceback" not in result.output
    assert written(out) == [] and not list(out.rglob(PLAN_MARK))


def test_a_render_short_of_inodes_stops_too(monkeypatch, plans, tmp_path):
    out = tmp_path / "out"
    monkeypatch.setattr(os, "statvfs", disk(50 * GB, 60, total_files=1_000))
    result = render(plans, "-o", out, "--format", "html")
    assert result.exit_code == 2
    # Three plans of 24 (a folder, an overview, 21 sessions, the mark), and out/plans/.
    assert "73 files and folders (inodes)" in result.stderr
    assert "room for 60 more, and ipt-plan leaves at least 1.0 GB and 50 free" in result.stderr
    assert written(out) == []


def test_without_an_inode_limit_only_the_space_is_checked(monkeypatch, plans, tmp_path):
    out = tmp_path / "out"
    monkeypatch.setattr(os, "statvfs", disk(50 * GB, 0, total_files=0))
    result = render(plans, "-o", out)
    assert result.exit_code == 0, result.output
    assert len(written(out)) == 3


def test_a_render_that_fits_renders_everything(monkeypatch, plans, tmp_path):
    out = tmp_path / "out"
    monkeypatch.setattr(os, "statvfs", disk(50 * GB, 5_000_000))
    assert render(plans, "-o", out).exit_code == 0
    assert len(written(out)) == 3
    # Rendered again on a disk now nearly full: those plans need no new room.
    monkeypatch.setattr(os, "statvfs", disk(100_000, 10))
    again = render(plans, "-o", out)
    assert again.exit_code == 0, again.output
    assert "0 files written, 42 unchanged" in again.stdout


def test_no_space_check_renders_without_it(monkeypatch, plans, tmp_path):
    out = tmp_path / "out"
    monkeypatch.setattr(os, "statvfs", disk(200_000, 10))
    assert render(plans, "-o", out, "--no-space-check").exit_code == 0
    assert len(written(out)) == 3
    assert "--no-space-check" in runner.invoke(app, ["render", "--help"]).stdout


def test_the_library_raises_a_usage_error(monkeypatch, plans, tmp_path):
    monkeypatch.setattr(os, "statvfs", disk(200_000, 10))
    with pytest.raises(batch.UsageError, match="not enough room"):
        batch.run([plans], tmp_path / "out", jobs=1)
    assert batch.run([plans], tmp_path / "out", jobs=1, space_check=False).exit_code == 0


# --- as plans are written -----------------------------------------------------------------

def test_the_recheck_measures_what_plans_took_and_stops_when_the_rest_would_not_fit(tmp_path):
    start = Room(10 * GB, 1_000_000, 4096, GB, 100_000)
    # 1,000 plans took 100 MB and 17,000 inodes: 100 kB and 17 a plan.
    now = Room(start.bytes - 100_000_000, start.files - 17_000, 4096, GB, 100_000)
    assert capacity.problem_midway(start, now, "out", 1_000, 50_000) is None  # 5 GB, 850,000
    message = capacity.problem_midway(start, now, "out", 1_000, 100_000)
    assert message.startswith("stopped after 1,000 of 101,000 plans: at the rate so far "
                              "(100.0 kB and 17.0 files and folders a plan), for the 100,000 "
                              "plans left they need about 10.0 GB and 1.7 million files")
    assert "The plans rendered so far are complete" in message
    # Space that others freed meanwhile is no rate below nothing.
    freed = Room(start.bytes + GB, start.files, 4096, GB, 100_000)
    assert capacity.problem_midway(start, freed, "out", 1_000, 10**9) is None
    # Plans rendered again take no new room: the rate is the new plans', for the new left.
    assert capacity.problem_midway(start, now, "out", 1_000, 100_000, 100, 1_000) is None
    mixed = capacity.problem_midway(start, now, "out", 1_000, 100_000, 100, 10_000)
    assert mixed.startswith("stopped after 1,000 of 101,000 plans: at the rate so far (1.0 MB "
                            "and 170.0 files and folders a new plan), for the 10,000 new "
                            "plans left they need about 10.0 GB")


def test_a_batch_stops_between_plans_when_the_rest_would_not_fit(monkeypatch, plans, tmp_path):
    out = tmp_path / "out"
    # Each look finds 20 GB less: the plans take far more than the estimate.
    monkeypatch.setattr(os, "statvfs", shrinking_disk(50 * GB, 20 * GB))
    monkeypatch.setattr(capacity, "RECHECK_EVERY", 1)
    heard = []
    outcome = batch.run([plans], out, jobs=1, on_outcome=heard.append)
    assert outcome.stopped.startswith("stopped after 1 of 3 plans")
    assert outcome.exit_code == 2 and outcome.plans == 1
    assert len(heard) == 1 and heard[0].rendered  # the plan before the stop was told
    assert written(out) == [Path(heard[0].out_dir) / "overview.md"]  # whole, and no other
    assert not list(out.rglob(f"*{TEMP_SUFFIX}"))


def test_a_batch_rendered_again_is_not_stopped_by_the_recheck(monkeypatch, plans, tmp_path):
    """Plans whose folders exist need nothing new: the recheck does not count them among
    the plans left, whatever the rate the new ones took."""
    out = tmp_path / "out"
    assert batch.run([plans / "caregiver-dispute.iptplan"], out, jobs=1).exit_code == 0
    monkeypatch.setattr(os, "statvfs", shrinking_disk(50 * GB, 20 * GB))
    space = capacity.SpaceCheck([str(out / "plans" / "caregiver-dispute.iptplan"),
                                 str(out / "plans" / "new.iptplan")], out, "md")
    assert space.problem is None and space.new == 1
    heard = []
    watching = space.watching(heard.append, batch.UsageError, every=1)
    assert watching == heard.append  # one new plan: nothing left to recheck for


def test_in_worker_processes_the_batch_stops_with_every_folder_whole(monkeypatch, plans,
                                                                     tmp_path):
    out = tmp_path / "out"
    monkeypatch.setattr(os, "statvfs", shrinking_disk(50 * GB, 20 * GB))
    monkeypatch.setattr(capacity, "RECHECK_EVERY", 1)
    outcome = batch.run([plans], out, jobs=2)
    assert outcome.stopped.startswith("stopped after 1 of 3 plans") and outcome.exit_code == 2
    folders = [p for p in out.rglob("*.iptplan") if p.is_dir()]
    assert folders  # the plans begun were finished, the others never started
    for folder in folders:
        assert (folder / "overview.md").is_file() and (folder / PLAN_MARK).is_file()
    assert not list(out.rglob(f"*{TEMP_SUFFIX}"))
