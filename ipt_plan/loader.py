"""The library's facade: text or files in, plan and diagnostics out, never an exception.

    result = ipt_plan.load_file("plans/caregiver-dispute.iptplan")
    result.plan.graph          # the networkx graph the rules walked
    for d in result.diagnostics: print(d.line, d.code, d.message)
"""

from __future__ import annotations

import difflib
import gc
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from . import source as source_stage
from . import suppress
from .builder import build
from .codes import BAD_CONFIG, BAD_PROFILE, INTERNAL_ERROR, UNKNOWN_NAME, UNREADABLE_FILE
from .config import Config, config_for
from .diagnostics import Diagnostic, Severity
from .knowledge import (Profile, ProfileError, available_profiles, catalogue, find_profile,
                        find_profile_file)
from .model import Plan
from .parser import parse
from .statements import BrokenLine
from .rules import Context, run

PLAN_SUFFIX = ".iptplan"
DEFAULT_PROTOCOL = "ipt"


@dataclass(frozen=True)
class Result:
    path: str
    plan: Plan | None  # as much of the plan as could be built; None if unreadable
    diagnostics: tuple[Diagnostic, ...]
    text: str | None  # the decoded source, for showing lines under diagnostics
    profile: Profile | None = None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


def _is_profile_file(ref: str) -> bool:
    return ref.endswith(".toml") or "/" in ref or "\\" in ref


def resolve_profile(plan: Plan, protocol_dirs: tuple[Path, ...] = ()
                    ) -> tuple[Profile | None, list[Diagnostic]]:
    """The profile the plan names (`ipt` when it names none), or diagnostics saying why not."""
    word = plan.protocol
    ref = word.text if word else DEFAULT_PROTOCOL
    loc = word.loc if word else None

    def problem(code: str, message: str, hint: str | None = None):
        return None, [Diagnostic.at(code, Severity.ERROR, message, plan.path, loc, hint)]

    if _is_profile_file(ref):
        base = Path(plan.path).parent if plan.path and not plan.path.startswith("<") else Path.cwd()
        try:
            profile = find_profile_file(ref, (base, *protocol_dirs))
        except ProfileError as err:
            return problem(BAD_PROFILE, f"the protocol profile {ref} cannot be used: {err}",
                           "compare it with a built-in profile: ipt-plan protocols --show ipt")
        if profile is None:  # said as for a name, whether or not such a file exists
            return problem(UNKNOWN_NAME, f"'{ref}' is not a protocol ipt-plan knows",
                           f"a profile file is read from the plan's folder ({base}) or a "
                           "protocol folder; the protocols are: "
                           + ", ".join(available_profiles(protocol_dirs)))
        return profile, []
    try:
        profile = find_profile(ref, protocol_dirs)
    except ProfileError as err:
        return problem(BAD_PROFILE, f"the protocol profile '{ref}' cannot be used: {err}")
    if profile is None:
        names = list(available_profiles(protocol_dirs))
        close = difflib.get_close_matches(ref.lower(), names, n=1, cutoff=0.5)
        return problem(UNKNOWN_NAME, f"'{ref}' is not a protocol ipt-plan knows",
                       (f"did you mean '{close[0]}'? " if close else "")
                       + "the protocols are: " + ", ".join(names))
    return profile, []


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Checking a plan makes many small objects and no garbage cycles; the cyclic
    collector's passes over them grew with the plan's size and made a 10,000-session plan
    check twice as slow as 100 plans of 100 sessions (measured, bench/bench.py)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_string(text: str, path: str = "<string>", protocol_dirs: Iterable[Path] = (),
                config: Config | None = None) -> Result:
    """Parse, build and check a plan given as text. `config` defaults to the nearest
    ipt-plan.toml or [tool.ipt-plan] above the plan's path (or the current folder)."""
    text = source_stage.normalize(text)
    try:
        with _collector_paused():
            return _load_text(text, path, protocol_dirs, config or config_for(path))
    except Exception as err:  # noqa: BLE001 - the facade reports, it never raises
        return Result(path, None, (Diagnostic.at(
            INTERNAL_ERROR, Severity.ERROR,
            f"ipt-plan failed on this file ({type(err).__name__}: {err})", path, None,
            "please report this, with the plan if you can share it"),), text)


def _load_text(text: str, path: str, protocol_dirs: Iterable[Path], config: Config) -> Result:
    dirs = tuple(Path(d) for d in protocol_dirs) + config.protocols
    statements, diagnostics = parse(text, path)
    plan, built = build(statements, path)
    diagnostics.extend(built)
    profile, problems = resolve_profile(plan, dirs)
    diagnostics.extend(problems)
    if plan.protocol is None and any(isinstance(st, BrokenLine) and st.first_word == "protocol"
                                     for st in statements):
        profile = None  # the plan names a protocol we could not read: do not assume `ipt`
    if any(not isinstance(st, BrokenLine) for st in statements):  # else nothing to check
        context = Context(plan, profile or find_profile(DEFAULT_PROTOCOL), catalogue())
        diagnostics.extend(run(context, path, profile_usable=profile is not None))
    diagnostics = config.apply(suppress.apply(diagnostics, text, path)) + list(config.problems)
    diagnostics.sort(key=lambda d: d.sort_key)
    return Result(path, plan, tuple(diagnostics), text, profile)


def load_file(path: str | os.PathLike, protocol_dirs: Iterable[Path] = (),
              config: Config | None = None) -> Result:
    """Read and check one plan file."""
    return _load_source(source_stage.read(path), protocol_dirs, config)


def load_bytes(data: bytes, path: str = "<bytes>", protocol_dirs: Iterable[Path] = (),
               config: Config | None = None) -> Result:
    return _load_source(source_stage.decode(data, path), protocol_dirs, config)


def _load_source(src: source_stage.Source, protocol_dirs: Iterable[Path],
                 config: Config | None) -> Result:
    if src.text is None:
        return Result(src.path, None, src.diagnostics, None)
    return load_string(src.text, src.path, protocol_dirs, config)


def _walk(folder: Path) -> Iterator[Path]:
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
            found.extend(_walk(path))
        elif path.exists() or path.is_symlink():
            found.append(path)
        elif any(c in arg for c in "*?["):
            import glob

            matches = sorted(glob.glob(arg, recursive=True))
            files = [Path(m) for m in matches if not Path(m).is_dir()]
            for m in matches:
                if Path(m).is_dir():
                    files.extend(_walk(Path(m)))
            if files:
                found.extend(files)
            else:
                missing.append(arg)
        else:
            missing.append(arg)
    unique = list(dict.fromkeys(found))
    return unique, missing


def _report_config_problems_once(results: list[Result]) -> list[Result]:
    """Plans that share a broken configuration file show its problems once, not per plan."""
    seen: set[Diagnostic] = set()
    cleaned = []
    for result in results:
        repeated = [d for d in result.diagnostics if d.code == BAD_CONFIG and d in seen]
        seen.update(d for d in result.diagnostics if d.code == BAD_CONFIG)
        if repeated:
            result = Result(result.path, result.plan,
                            tuple(d for d in result.diagnostics if d not in repeated),
                            result.text, result.profile)
        cleaned.append(result)
    return cleaned


# Below this many plans, starting worker processes costs more than it saves.
PARALLEL_FROM = 64


def _check_for_report(args: tuple[str, tuple[Path, ...]]) -> Result:
    """A worker's check: what a report needs crosses back, not the plan and its graph."""
    path, protocol_dirs = args
    result = load_file(path, protocol_dirs)
    return Result(result.path, None, result.diagnostics, result.text, result.profile)


def check(paths: Iterable[str | os.PathLike], protocol_dirs: Iterable[Path] = (),
          jobs: int = 1) -> list[Result]:
    """Check every plan the paths name; an argument that names nothing is reported as a
    result with one diagnostic, so a script sees it without catching anything.

    With `jobs` > 1, a large batch is checked in that many processes; its results then
    carry the diagnostics and the text but not the plans (`plan` is None)."""
    files, missing = expand(paths)
    dirs = tuple(Path(d) for d in protocol_dirs)
    if jobs > 1 and len(files) >= PARALLEL_FROM:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            checked = list(pool.map(_check_for_report, [(str(f), dirs) for f in files],
                                    chunksize=max(8, len(files) // (jobs * 8))))
    else:
        checked = [load_file(f, dirs) for f in files]
    results = _report_config_problems_once(checked)
    results.extend(Result(arg, None, (missing_path(arg),), None) for arg in missing)
    return results


def missing_path(arg: str) -> Diagnostic:
    """The diagnostic for a command-line path that names no file or folder."""
    return Diagnostic.at(UNREADABLE_FILE, Severity.ERROR, NO_SUCH_PATH, arg, None,
                         "check the path; folders are searched for *.iptplan files")


NO_SUCH_PATH = "no such file or folder"
