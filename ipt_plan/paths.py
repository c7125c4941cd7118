"""Which plan files the command line names: files, folders searched for *.iptplan, and
globs, in a stable order; and the diagnostic for a path that names nothing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

from .codes import UNREADABLE_FILE
from .diagnostics import Diagnostic, Severity
from .result import Result

PLAN_SUFFIX = ".iptplan"


def walk(folder: Path) -> Iterator[Path]:
    """The plan files below a folder, hidden folders left out, in a stable order."""
    # os.walk does not follow symlinked folders, so a symlink loop cannot trap it.
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(PLAN_SUFFIX):
                yield Path(root) / name


class PlanFiles:
    """The plan files the command line names (files, folders searched for *.iptplan,
    globs), in a stable order, walked each time they are iterated instead of held in a
    list: a nightly batch of a million plans keeps one folder's listing at a time, not
    every path. `missing` are the arguments that name nothing. A file named twice (in a
    folder and on its own, or by a glob that matches it and its folder) is given once;
    only a command line of several arguments, or a glob, keeps the paths it has given,
    to know."""

    def __init__(self, paths: Iterable[str | os.PathLike]):
        self.args: list[str] = []
        self.missing: list[str] = []
        self._globbed = False
        for raw in paths:
            arg = os.fspath(raw)
            if _names_something(arg):
                self.args.append(arg)
            elif any(c in arg for c in "*?[") and next(_files_of(arg), None) is not None:
                self.args.append(arg)
                self._globbed = True
            else:
                self.missing.append(arg)

    def __iter__(self) -> Iterator[Path]:
        seen: set[str] | None = set() if self.may_repeat else None
        for arg in self.args:
            for found in _files_of(arg):
                if seen is not None:
                    key = str(found)
                    if key in seen:
                        continue
                    seen.add(key)
                yield found

    @property
    def may_repeat(self) -> bool:
        """Whether a file may come twice: several arguments, or a glob."""
        return len(self.args) > 1 or self._globbed

    def count(self) -> int:
        """How many plans there are: a walk that keeps nothing."""
        return sum(1 for _ in self)


def _names_something(arg: str) -> bool:
    """A file, a folder or a link there; False for a name the system refuses (too long,
    a NUL byte), which is then said as a path that names nothing, not a traceback."""
    try:
        path = Path(arg)
        return path.is_dir() or path.exists() or path.is_symlink()
    except (OSError, ValueError):
        return False


def _files_of(arg: str) -> Iterator[Path]:
    path = Path(arg)
    try:
        folder = path.is_dir()
    except (OSError, ValueError):  # a name the system refuses: a glob, or nothing
        folder = False
    if folder:
        yield from walk(path)
    elif _names_something(arg):
        yield path
    elif any(c in arg for c in "*?["):
        import glob

        matches = sorted(glob.glob(arg, recursive=True))
        folders = []
        for match in matches:
            if Path(match).is_dir():
                folders.append(match)
            else:
                yield Path(match)
        for folder in folders:
            yield from walk(Path(folder))


def expand(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[str]]:
    """Files, folders (searched for *.iptplan) and globs to plan files, in a stable order;
    and the arguments that matched nothing."""
    plans = PlanFiles(paths)
    return list(plans), plans.missing


def missing_path(arg: str) -> Diagnostic:
    """The diagnostic for a command-line path that names no file or folder."""
    return Diagnostic.at(UNREADABLE_FILE, Severity.ERROR, "no such file or folder", arg, None,
                         "check the path; folders are searched for *.iptplan files")


def missing_result(arg: str) -> Result:
    """A path that names nothing, as a result a report shows like any other."""
    return Result(arg, None, (missing_path(arg),), None, path_missing=True)
