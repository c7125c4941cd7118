"""The output folder: where each plan's agendas go, and how they are written there.

Output goes to a folder per plan that mirrors where the plan is from the current folder:
clinic/smith/plan.iptplan renders into OUTDIR/clinic/smith/plan.iptplan/overview.md,
session-01.md, ... (a plan's folder is named as its file is, so that jones.iptplan/ never
holds the folders of the plans in jones/). A plan outside the current folder goes under OUTDIR/outside/ followed
by its whole path, so nothing is ever written outside OUTDIR. Names that are not plain
lower-case ASCII (capitals, spaces, accents, names Windows reserves) are made readable and
end in a short hash of the real name (`Ms A.iptplan` -> `Ms-A-e7890c77.iptplan/`), so no two
plans meet in one folder, even where the file system ignores case. The folder comes from
the plan's path alone, never from text inside the plan or from the other plans of the
run: a plan lands in the same folder every time; and each folder records which plan file
it belongs to (PLAN_MARK), so that a plan rendered from another folder under the same
relative path is refused instead of replacing another client's agendas.

For very large runs, `layout="nested"` puts each plan's folder one level deeper, in a
shard folder where its parent would be: clinic/smith/plan.iptplan renders into
OUTDIR/clinic/smith/2d+/plan.iptplan/, so that a million plans in one folder make 256
folders of about 4,000 each instead of one of a million. The shard is the first two hex
digits of a hash of the plan's flat folder path, so it too comes from the plan's path
alone (the same folder every run; two plans with different flat folders never meet in
one nested folder), and it ends in `+`, which no kept or made name has, so a shard never
meets a folder of the clinic's own (`3f`) or a plan's. The two layouts never share a
plan's folder: switching layout renders into new folders beside the old ones.

Every file is written to a temporary file beside it and renamed into place, so a run
killed half-way leaves no half-written agenda; a file whose bytes would not change is not
touched. Agendas are private (0600, folders 0700), and a link planted in a plan's folder,
in place of it or between it and OUTDIR is refused, never followed (see files.py).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import unicodedata
from pathlib import Path

from . import files
from .paths import PLAN_SUFFIX
from .renderer import FORMATS, PACK_FORMATS, Document

# In each plan's folder, which plan file it belongs to (see plan_mark).
PLAN_MARK = ".ipt-plan-source"
# The files a render owns in a plan's folder; others there (a clinician's own notes) are
# never removed. The pack (course.html) is one: a render without it removes the old one,
# which would no longer print the course as the plan now has it. A course.md is the
# clinician's own: no render writes one.
RENDERED_NAME = re.compile(r"(?:session-\d+|overview)\.(?:%s)|course\.(?:%s)"
                           % ("|".join(FORMATS), "|".join(PACK_FORMATS)))
# Names Windows keeps for devices: a plan called con.iptplan still gets a usable folder.
WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                   *(f"LPT{i}" for i in range(1, 10))}
MAX_FOLDER_NAME = 80


# A name that is kept as it is: lower-case ASCII (so that no two kept names can meet on a
# file system that ignores case or normalises Unicode), not hidden, and not looking like
# a name made below (so that a kept name and a made one never meet either).
KEPT_NAME = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]{0,78}[a-z0-9_])?")
MADE_NAME = re.compile(r".*-[0-9a-f]{8}")
# Plans outside the current folder go under this folder, then their full path.
OUTSIDE = "outside"
# Where each plan's folder goes below OUTDIR (see `plan_folder`): "flat" mirrors the
# plans' folders, "nested" adds a shard folder above each plan's folder.
LAYOUTS = ("flat", "nested")
# 256 shards: a million plans in one folder give about 4,000 in each.
SHARD_DIGITS = 2
# A shard's name ends in this: not in a kept name (KEPT_NAME) nor a made one (only \w,
# `.` and `-`), so a shard never meets the clinic's own `3f` folder. At the end, since
# tools read a name that starts with `+` or `@` as something else (vim, less, bsdtar).
SHARD_MARK = "+"


def _folder_part(shown: str, identity: str, keep: bool = True) -> str:
    """One part of a plan's output path: `shown` itself when it is a kept name, else made
    readable and followed by a short hash of `identity`, the name as it is on disk."""
    if (keep and KEPT_NAME.fullmatch(shown) and not MADE_NAME.fullmatch(shown)
            and shown.split(".")[0].upper() not in WINDOWS_DEVICES):
        return shown
    readable = re.sub(r"[^\w.-]+", "-", unicodedata.normalize("NFC", shown))
    readable = readable.strip(".-")[:MAX_FOLDER_NAME]
    # At most MAX_FOLDER_NAME characters, and bytes too: 80 letters of a script written
    # with three bytes each, with the hash and the ending, would pass a disk's 255.
    readable = readable.encode("utf-8", "surrogateescape")[:MAX_FOLDER_NAME].decode(
        "utf-8", "ignore").rstrip(".-") or "plan"
    digest = hashlib.sha256(identity.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{readable}-{digest}"


def plan_folder(plan_file: Path, cwd: Path | None = None, layout: str = "flat") -> Path:
    """Where a plan's agendas go, relative to OUTDIR: the plan's own path from the current
    folder (`cwd`), a folder in place of the file, as clinic/smith/plan.iptplan/ for
    clinic/smith/plan.iptplan; a plan outside the current folder goes under outside/ and
    its whole path. It depends on the plan's path alone, never on the plan's text or on
    the other plans of the run, so a plan lands in the same folder every run, and two
    plans never in one. Names that could not be kept (capitals, spaces, accents, names
    Windows reserves...) are made readable and marked with a short hash of the real name.
    With `layout="nested"`, a shard folder (`shard_name`) comes between the plan's
    folder and its parent: clinic/smith/2d+/plan.iptplan/."""
    flat = _flat_folder(plan_file, cwd)
    if layout == "nested":
        return flat.parent / shard_name(flat) / flat.name
    if layout != "flat":
        raise ValueError(f"there is no layout '{layout}'; the layouts are {', '.join(LAYOUTS)}")
    return flat


def shard_name(flat: Path) -> str:
    """The shard folder of the plan whose flat folder (relative to OUTDIR) is `flat`:
    hex digits of a hash of that path, then SHARD_MARK."""
    identity = flat.as_posix().encode("utf-8", "surrogateescape")
    return hashlib.sha256(identity).hexdigest()[:SHARD_DIGITS] + SHARD_MARK


def _flat_folder(plan_file: Path, cwd: Path | None) -> Path:
    # The plan's folder without symbolic links or `..`, which could lead elsewhere; the
    # plan keeps its own file name.
    location = Path(os.path.realpath(plan_file.parent)) / plan_file.name
    cwd = cwd if cwd is not None else current_folder()
    inside = cwd is not None and location.is_relative_to(cwd)
    if inside:
        names = location.relative_to(cwd).parts
    else:
        drive = location.drive.rstrip(":\\/")
        names = ((drive,) if drive else ()) + location.parts[1:]
    parts = [_folder_part(name, name) for name in names[:-1]]
    name = names[-1]
    stem = name[:-len(PLAN_SUFFIX)] if name.endswith(PLAN_SUFFIX) else ""
    # Another kind of file is always hashed: `notes.txt` never takes `notes.txt.iptplan`'s
    # folder.
    # The plan's folder is named as the plan file is, ending and all: clinic/jones.iptplan/
    # can never be, or hold, the folder of the plans in clinic/jones/.
    parts.append(_folder_part(stem or name, name, keep=bool(stem)) + PLAN_SUFFIX)
    if not inside:
        return Path(OUTSIDE, *parts)
    if parts[0] == OUTSIDE:  # the plans' own `outside` is never taken for OUTSIDE
        parts[0] = _folder_part(OUTSIDE, names[0], keep=False)
    return Path(*parts)


def current_folder() -> Path | None:
    """The current folder without symbolic links; None if it was removed."""
    try:
        return Path(os.path.realpath(os.getcwd()))
    except OSError:
        return None


class AnotherPlansFolder(OSError):
    """The folder holds the agendas of another plan file (rendered from another folder)."""


def plan_mark(plan_file: str | os.PathLike, plan_id: str | None = None) -> bytes:
    """What a plan's folder records of the plan it belongs to: a digest of the plan's own
    `id` line where it has one (which moves with the file), else of the plan file's real
    path. Neither names a client."""
    identity = f"id {plan_id}" if plan_id else os.path.realpath(plan_file)
    return hashlib.sha256(identity.encode("utf-8", "surrogateescape")).hexdigest()[:32].encode() + b"\n"


def write_documents(out_dir: Path, documents: list[Document], fmt: str,
                    out_root: Path | None = None, plan_file: str | None = None,
                    plan_id: str | None = None, clear_parents: bool = True
                    ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Write a plan's documents; return the names written, unchanged and removed. A
    first render makes the folder whole at once (`files.write_new_folder`); after that,
    files change one by one inside it, never through a link planted there or in any
    folder between it and `out_root`, the output folder the user named (default: the
    plan folder's parent). With `plan_file`, the folder records which plan it belongs to
    (PLAN_MARK), and a folder that belongs to another plan is refused, never written.
    `clear_parents` False: the folders above were cleared of killed runs' leftovers for
    this batch already (batch.plan_jobs), so they are not listed again."""
    root = out_root if out_root is not None else out_dir.parent
    parent_fd = files.open_below(root, out_dir.parent.relative_to(root).parts,
                                 clear=clear_parents)
    mark = [(PLAN_MARK, plan_mark(plan_file, plan_id))] if plan_file is not None else []
    try:
        encoded = [(d.name, d.text.encode("utf-8")) for d in documents]
        if (not files.exists_in(parent_fd, out_dir.name)
                and files.write_new_folder(out_dir, encoded + mark, parent_fd)):
            return tuple(d.name for d in documents), (), ()
        # Opening the folder clears what killed runs left in it: once per run, as only
        # this plan's job writes this folder.
        with files.ManagedFolder(out_dir, parent_fd) as folder:
            for name, _ in encoded + mark:
                folder.check_replaceable(name)
            if mark:
                recorded = folder.read(PLAN_MARK)
                if recorded is not None and recorded != mark[0][1]:
                    raise AnotherPlansFolder(
                        errno.EEXIST, "it holds the agendas of another plan file (one rendered "
                        "from another folder under the same name); if it is this plan's, moved "
                        f"since, delete the file {PLAN_MARK} in it and render again; "
                        "otherwise render into another output folder", os.fspath(out_dir))
                if recorded is None:
                    folder.write(PLAN_MARK, mark[0][1])
            written, unchanged = [], []
            for name, data in encoded:
                if folder.read(name) == data:
                    unchanged.append(name)
                else:
                    folder.write(name, data)
                    written.append(name)
            current = {d.name for d in documents}
            removed = sorted(name for name in folder.names
                             if name.endswith(f".{fmt}") and RENDERED_NAME.fullmatch(name)
                             and name not in current and folder.is_file(name))
            for name in removed:
                folder.remove(name)
        return tuple(written), tuple(unchanged), tuple(removed)
    finally:
        os.close(parent_fd)
