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


def expand(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[str]]:
    """Files, folders (searched for *.iptplan) and globs to plan files, in a stable order;
    and the arguments that matched nothing."""
    found: list[Path] = []
    missing: list[str] = []
    for raw in paths:
        arg = os.fspath(raw)
        path = Path(arg)
        if path.is_dir():
            found.extend(walk(path))
        elif path.exists() or path.is_symlink():
            found.append(path)
        elif any(c in arg for c in "*?["):
            import glob

            matches = sorted(glob.glob(arg, recursive=True))
            files = [Path(m) for m in matches if not Path(m).is_dir()]
            for m in matches:
                if Path(m).is_dir():
                    files.extend(walk(Path(m)))
            if files:
                found.extend(files)
            else:
                missing.append(arg)
        else:
            missing.append(arg)
    unique = list(dict.fromkeys(found))
    return unique, missing


def missing_path(arg: str) -> Diagnostic:
    """The diagnostic for a command-line path that names no file or folder."""
    return Diagnostic.at(UNREADABLE_FILE, Severity.ERROR, "no such file or folder", arg, None,
                         "check the path; folders are searched for *.iptplan files")


def missing_result(arg: str) -> Result:
    """A path that names nothing, as a result a report shows like any other."""
    return Result(arg, None, (missing_path(arg),), None, path_missing=True)
