"""Room on the disk for a render: checked before the first plan is written, and again as
plans are written, so that a big render stops between plans with a message instead of
failing half-way, and never fills the disk to its last block.

    space = capacity.SpaceCheck(out_dirs, "agendas", "html")
    if space.problem is not None:
        ...  # for a person: what the render needs, what is free, and what to do
    on_outcome = space.watching(on_outcome, UsageError)  # and again as plans are written

A plan whose folder does not exist yet needs a folder, its overview, one agenda per
session and the PLAN_MARK file: as many inodes, and at least a block of the file system
each (its temporary folder is renamed into place, so it costs nothing more). A plan whose
folder exists (a render again) needs no new inode and about no new space: its files are
replaced one by one. A plan's sessions are not known before it is read, so the estimate
takes the longest course of the protocols (`longest_course`); as plans are written,
`SpaceCheck.watching` measures what they really took and stops the run if the rest will
not fit.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, TypeVar

from . import knowledge
from .wording import plural

Outcome = TypeVar("Outcome")  # what the batch tells of each plan (batch.PlanOutcome)

# A file's typical size, by format, with the built-in templates: the mean over the 14
# bundled plans (their 14 overviews and 202 sessions, as ipt_plan.render gives them),
# rounded up to 100 bytes. Measured again when the agendas were laid out for print (one
# session a page): overview md 3,656.9 bytes (largest 4,667), html 11,144.9 (19,726), txt
# 3,847.4 (4,952); session md 1,967.0 (largest 3,952), html 7,228.1 (10,726), txt 2,051.5
# (4,131). HTML carries its own style sheet, so it is three times the others. A pack
# (render --pack) is at most an overview and its sessions. tests/test_capacity.py
# measures them again. A clinic's own templates (--templates) may differ: the recheck
# measures what is written.
OVERVIEW_BYTES = {"md": 3_700, "html": 11_200, "txt": 3_900}
SESSION_BYTES = {"md": 2_000, "html": 7_300, "txt": 2_100}
# The PLAN_MARK file: a 32-digit digest and a line end.
MARK_BYTES = 33
# Sessions assumed when no profile can be read: NICE CG90's 16-20 (ipt-uk), the most of
# the acute courses.
FALLBACK_SESSIONS = 20
# A file system's allocation unit when it gives none.
DEFAULT_BLOCK = 4096

# Left free for the other programs of the machine: 5% of the file system, but no more
# than this, so that a small render on a well-used disk is not refused.
KEEP_SHARE = 0.05
KEEP_BYTES = 1_000_000_000
KEEP_FILES = 100_000
# Plans between two rechecks: one os.statvfs each time, and enough plans for the space
# they took to be measured.
RECHECK_EVERY = 100

SKIP_HINT = "--no-space-check renders without this check"


@dataclass(frozen=True)
class Room:
    """What a file system has free for this user (os.statvfs), and what to leave."""

    bytes: int | None  # None: it tells no size (f_blocks 0), so no check
    files: int | None  # None: no limit on inodes (f_files 0, as btrfs says)
    block: int  # each file takes at least one
    keep_bytes: int = 0
    keep_files: int = 0


@dataclass(frozen=True)
class Need:
    plans: int  # new plans, or the plans left (recheck)
    files: int  # files and folders, that is inodes
    bytes: int


def room(folder: str | os.PathLike) -> Room | None:
    """What is free on `folder`'s file system for an unprivileged user; None when it
    cannot be told (os.statvfs fails, on an odd file system): then nothing is checked."""
    try:
        seen = os.statvfs(folder)
    except (OSError, ValueError, AttributeError):
        return None
    block = seen.f_frsize or seen.f_bsize
    known_size = bool(seen.f_blocks and block)
    return Room(
        bytes=seen.f_bavail * block if known_size else None,
        files=seen.f_favail if seen.f_files else None,
        block=block or DEFAULT_BLOCK,
        keep_bytes=min(int(seen.f_blocks * block * KEEP_SHARE), KEEP_BYTES) if known_size else 0,
        keep_files=min(int(seen.f_files * KEEP_SHARE), KEEP_FILES))


def longest_course(protocol_dirs: Iterable[str | os.PathLike] = ()) -> tuple[int, str | None]:
    """The most sessions of a course with an ending among the protocols (built-in and the
    clinic's), and that protocol's name. Maintenance IPT, with no fixed end (ipt-m: up to
    78 monthly sessions), is left out: counted in, it would make every plan four times
    what a course is; the recheck measures such plans as they are written."""
    try:
        profiles = knowledge.available_profiles(tuple(Path(d) for d in protocol_dirs))
    except (OSError, knowledge.ProfileError):
        return FALLBACK_SESSIONS, None
    courses = [(p.sessions[1], name) for name, p in profiles.items()
               if isinstance(p, knowledge.Profile) and "termination" in p.phases]
    return max(courses) if courses else (FALLBACK_SESSIONS, None)


def _blocks(size: int, block: int) -> int:
    """The bytes a file of `size` bytes takes: whole blocks, at least one."""
    return max(1, math.ceil(size / block)) * block


def estimate(plans: int, folders: int, fmt: str, sessions: int, block: int,
             pack: bool = False) -> Need:
    """What `plans` new plans of `sessions` sessions each take in format `fmt`, with
    `folders` new folders above theirs (mirrored folders, shards), and with `pack` the
    course in one file besides (at most the overview and the sessions together)."""
    overview = OVERVIEW_BYTES.get(fmt, max(OVERVIEW_BYTES.values()))
    session = SESSION_BYTES.get(fmt, max(SESSION_BYTES.values()))
    # Its folder, the overview, the sessions and the mark.
    files = 3 + sessions + int(pack)
    size = (block + _blocks(overview, block) + sessions * _blocks(session, block)
            + _blocks(MARK_BYTES, block))
    if pack:
        size += _blocks(overview + sessions * session, block)
    return Need(plans, plans * files + folders, plans * size + folders * block)


def new_folders(out_dirs: Iterable[str]) -> tuple[int, int, int]:
    """How many of the plans' folders do not exist yet, how many folders above them do
    not either, and how many plans there are (the folders are read once, not kept: only
    the folders above them are). One os.lstat a plan: measured at 2 µs for a folder that exists and 6 µs for
    one that does not (ext4, 50,000 in one folder), a few seconds for a million plans
    that take hours to render; a render again then asks for no room it will not use."""
    new = above = plans = 0
    seen: set[str] = set()
    for out_dir in out_dirs:
        plans += 1
        if os.path.lexists(out_dir):
            continue
        new += 1
        # Up to the first folder that exists (OUTDIR does): those above it do too.
        folder = os.path.dirname(out_dir)
        while folder not in seen and folder != os.path.dirname(folder):
            seen.add(folder)
            if os.path.lexists(folder):
                break
            above += 1
            folder = os.path.dirname(folder)
    return new, above, plans


# --- what a person reads ----------------------------------------------------------------

def size_words(size: float) -> str:
    """Bytes as a person reads them: 950 bytes, 4.1 kB, 96.0 GB (powers of 1000, as
    disks are sold and file managers show them)."""
    if size < 1000:
        return plural(int(size), "byte")
    for unit in ("kB", "MB", "GB", "TB"):
        size /= 1000
        if size < 1000 or unit == "TB":
            return f"{size:.1f} {unit}"
    raise AssertionError("unreachable")


def count_words(count: float) -> str:
    """A count of files as a person reads it: 15,800 or 24.0 million."""
    return f"{count / 1e6:.1f} million" if count >= 1_000_000 else f"{int(count):,}"


def _short(need: Need, space: Room) -> bool:
    return ((space.files is not None and need.files > space.files - space.keep_files)
            or (space.bytes is not None and need.bytes > space.bytes - space.keep_bytes))


def _room_words(need: Need, space: Room, folder: str | os.PathLike) -> str:
    """'they need about A and B files and folders (inodes), and the disk of F has C free
    and room for D more, and ipt-plan leaves at least E and G free for other programs'."""
    free, kept = [], []
    if space.bytes is not None:
        free.append(f"{size_words(space.bytes)} free")
        kept.append(size_words(space.keep_bytes))
    if space.files is None:
        free.append("no limit on files")
    else:
        free.append(f"room for {count_words(space.files)} more")
        kept.append(count_words(space.keep_files))
    return (f"they need about {size_words(need.bytes)} and {count_words(need.files)} files "
            f"and folders (inodes), and the disk of {os.fspath(folder)} has "
            f"{' and '.join(free)}, and ipt-plan leaves at least {' and '.join(kept)} free "
            "for other programs")


def problem(need: Need, space: Room, folder: str | os.PathLike, plans: int,
            most: int, course: str | None) -> str | None:
    """None when `need`, estimated for plans of up to `most` sessions and a session 0
    (`course`: the protocol with the longest course), fits in `space` with its margin;
    else why not and what to do."""
    if not _short(need, space):
        return None
    longest = f"{course}'s course, the longest," if course else "the longest course"
    rendered = plans - need.plans
    again = (f"; {rendered:,} of them are rendered there already and need no more"
             if rendered else "")
    return (f"not enough room for the agendas of {plans:,} "
            f"{'plan' if plans == 1 else 'plans'}: {_room_words(need, space, folder)}{again}. "
            f"Estimated as an overview and up to {most + 1} session agendas a plan "
            f"({longest} has {most} sessions; a plan may add a session 0). Free space on "
            "that disk, render fewer plans at once, or render into another disk with -o "
            f"({SKIP_HINT}).")


class SpaceCheck:
    """The room a batch needs on OUTDIR's disk (`folder`, which exists) for the plans
    whose folders are `out_dirs`: `problem` says, before the first plan is written, why
    they would not fit (None: they fit, or the file system cannot say); `watching` checks
    again as they are written.

        space = SpaceCheck(out_dirs, "agendas", "md")
        if space.problem is not None: ...
        on_outcome = space.watching(on_outcome, UsageError)
    """

    def __init__(self, out_dirs: Iterable[str], folder: str | os.PathLike, fmt: str,
                 protocol_dirs: Iterable[str | os.PathLike] = (), pack: bool = False):
        self.folder = folder
        self.plans = 0
        self.start = room(folder)
        self.new = 0  # plans whose folder does not exist yet
        self.problem: str | None = None
        if self.start is None or (self.start.bytes is None and self.start.files is None):
            self.start = None  # nothing to check, now or later
            return
        self.new, above, self.plans = new_folders(out_dirs)
        if self.new:
            most, course = longest_course(protocol_dirs)
            # A session 0 (pre-group, engagement) besides the course's own.
            need = estimate(self.new, above, fmt, most + 1, self.start.block, pack)
            self.problem = problem(need, self.start, folder, self.plans, most, course)

    def watching(self, on_outcome: Callable[[Outcome], None] | None, stop: type[Exception],
                 every: int | None = None) -> Callable[[Outcome], None] | None:
        """`on_outcome` (which hears each plan's outcome, with `new_folder`: whether its
    folder was made by this batch), which also,
        every `every` plans (RECHECK_EVERY), checks that the new plans left will fit at
        the rate the new ones so far took (`problem_midway`), and raises `stop` with the
        message if not: the batch then stops between plans, each plan's folder written
        whole or not at all."""
        every = every or RECHECK_EVERY
        start = self.start
        if start is None or self.new <= every:
            return on_outcome
        done = new_done = 0

        def heard(outcome: Outcome) -> None:
            nonlocal done, new_done
            if on_outcome is not None:
                on_outcome(outcome)
            done += 1
            new_done += bool(getattr(outcome, "new_folder", False))
            if done % every or done >= self.plans:
                return
            now = room(self.folder)
            message = (problem_midway(start, now, self.folder, done, self.plans - done,
                                      new_done, self.new - new_done)
                       if now is not None else None)
            if message is not None:
                raise stop(message)

        return heard


def problem_midway(start: Room, now: Room, folder: str | os.PathLike, done: int, left: int,
                   new_done: int | None = None, new_left: int | None = None) -> str | None:
    """After `done` plans, `left` to go (of them `new_done` and `new_left` new: without,
    all): None when the new plans left fit at the rate the new ones so far took (what the
    file system lost since `start`, put down to them alone), else a message. Space that
    others freed meanwhile reads as a rate of nothing."""
    new_done = done if new_done is None else new_done
    new_left = left if new_left is None else new_left
    if not new_done or not new_left:
        return None
    used_bytes = (start.bytes - now.bytes) if None not in (start.bytes, now.bytes) else 0
    used_files = (start.files - now.files) if None not in (start.files, now.files) else 0
    files_each, bytes_each = max(used_files, 0) / new_done, max(used_bytes, 0) / new_done
    need = Need(new_left, math.ceil(files_each * new_left), math.ceil(bytes_each * new_left))
    if not _short(need, now):
        return None
    new = " new" if new_left != left else ""
    return (f"stopped after {done:,} of {done + left:,} plans: at the rate so far "
            f"({size_words(bytes_each)} and {files_each:.1f} files and folders a{new} plan), "
            f"for the {new_left:,}{new} plans left {_room_words(need, now, folder)}. The "
            "plans rendered so far are complete. Free space on that disk and render again "
            "(the plans rendered are left as they are), render fewer plans at once, or "
            f"render into another disk with -o ({SKIP_HINT}).")

