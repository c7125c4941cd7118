"""Clinical knowledge as data: the technique catalogue and the protocol profiles.

Both are TOML files under `ipt_plan/knowledge/`, each citing its sources. A clinic adds a
protocol by writing a profile file (see `protocols/ipt.toml`) and naming it in the plan
(`protocol "our-ipt.toml"`) or putting it in a folder passed with `--protocols`.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path, PurePath
from typing import NamedTuple

from . import codes
from .cache import cached
from .model import MAX_SESSIONS, PHASE_ORDER
from .resources import KNOWLEDGE_DIR
from .source import read_regular
from .wording import did_you_mean_then

BUILTIN_PROTOCOLS = KNOWLEDGE_DIR / "protocols"
CADENCES = ("weekly", "twice_weekly", "every_n_weeks", "monthly")
DEFAULT_PROTOCOL = "ipt"  # what a plan with no `protocol` line follows


class Technique(NamedTuple):
    name: str
    label: str
    description: str
    phases: tuple[str, ...]
    area: str | None
    after_any: tuple[str, ...]
    prompts: tuple[str, ...]
    default_focus: str | None  # "all", "single" or None: see catalogue.toml


class Area(NamedTuple):
    name: str
    label: str
    summary: str
    goals: tuple[str, ...]
    stages: tuple[str, ...]


class PhaseInfo(NamedTuple):
    name: str
    label: str
    purpose: str
    aliases: tuple[str, ...]  # other names clinicians use, offered as "did you mean"


class Catalogue(NamedTuple):
    techniques: dict[str, Technique]
    areas: dict[str, Area]
    measures: dict[str, str]
    phases: dict[str, PhaseInfo]


def _read_toml(path: Path) -> dict:
    """A knowledge file's data. tomllib is pure Python and slower than the rest of a
    check together, so the parsed data is cached by the file's content."""
    data = path.read_bytes()
    return cached("toml", (data,), lambda: tomllib.loads(data.decode("utf-8")), expect=dict)


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    data = _read_toml(KNOWLEDGE_DIR / "catalogue.toml")
    techniques = {
        name: Technique(name, t["label"], t["description"], tuple(t["phases"]), t.get("area"),
                        tuple(t.get("after_any", ())), tuple(t.get("prompts", ())),
                        t.get("default_focus"))
        for name, t in data["techniques"].items()
    }
    areas = {
        name: Area(name, a["label"], a["summary"], tuple(a["goals"]), tuple(a.get("stages", ())))
        for name, a in data["areas"].items()
    }
    measures = {name: m["label"] for name, m in data["measures"].items()}
    phases = {name: PhaseInfo(name, p["label"], p["purpose"], tuple(p.get("aliases", ()))) for name, p in data["phases"].items()}
    return Catalogue(techniques, areas, measures, phases)


class ProfileError(ValueError):
    """A protocol profile file that cannot be used; the message says why, for a clinician."""


class Profile(NamedTuple):
    name: str
    title: str
    source: str
    path: str
    sessions: tuple[int, int]
    minutes: tuple[int, int] | None
    cadences: tuple[str, ...]
    max_weeks: int | None
    phases: tuple[str, ...]  # the phases a plan must have
    optional_phases: tuple[str, ...]  # phases a plan may add
    phase_order: tuple[str, ...]  # the order phases must come in
    initial_sessions: tuple[int, int]
    termination_sessions: tuple[int, int]
    ending_notice: int
    foci: tuple[int, int]
    areas: tuple[str, ...]
    initial_tasks: tuple[str, ...]
    termination_tasks: tuple[str, ...]
    forbidden: tuple[str, ...]
    # Tasks every session of a phase holds whatever the plan writes (the `[standing]`
    # table), as (phase, techniques) pairs: a tuple, so the profile stays hashable.
    standing: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def standing_tasks(self, phase: str) -> tuple[str, ...]:
        """The techniques the protocol expects in every session of this phase."""
        return next((tasks for name, tasks in self.standing if name == phase), ())


def _whole(value, least: int) -> bool:
    """A whole number (TOML's true and false are not) of at least `least`."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _range(data: dict, key: str, default=None) -> tuple[int, int] | None:
    value = data.get(key, default)
    if value is None:
        return None
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
            or value[0] > value[1]):
        raise ProfileError(f"'{key}' must be two whole numbers, smallest first, like [12, 16]")
    return (value[0], value[1])


def _names(data: dict, key: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProfileError(f"'{key}' must be a list of names")
    if allowed is not None:
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise ProfileError(f"'{key}' names {', '.join(unknown)}, which ipt-plan does not know "
                               f"(known: {', '.join(allowed)})")
    return tuple(value)


def _standing(data: dict, cat: Catalogue, forbidden: tuple[str, ...]
              ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The `[standing]` table: for each phase, the techniques every session of it holds."""
    table = data.get("standing", {})
    if not isinstance(table, dict):
        raise ProfileError("'standing' must be a table of phases, like [standing] with "
                           "middle = [\"symptom_review\"]")
    unknown = [phase for phase in table if phase not in PHASE_ORDER]
    if unknown:
        raise ProfileError(f"'standing' names the phase {', '.join(unknown)}, which ipt-plan "
                           f"does not know (known: {', '.join(PHASE_ORDER)})")
    standing = []
    for phase in (p for p in PHASE_ORDER if p in table):
        key = f"standing.{phase}"  # so the clinic sees which line to fix
        tasks = _names({key: table[phase]}, key, tuple(cat.techniques))
        for task in tasks:
            if task in forbidden:
                raise ProfileError(f"'{key}' asks every session for {task}, which 'forbidden' "
                                   "forbids")
            if phase not in cat.techniques[task].phases:
                raise ProfileError(f"'{key}' asks for {task}, which belongs to the "
                                   f"{', '.join(cat.techniques[task].phases)} phases")
        standing.append((phase, tasks))
    return tuple(standing)


def profile_from_toml(text: str, path: str) -> Profile:
    try:
        data = cached("toml", (text.encode("utf-8"),), lambda: tomllib.loads(text), expect=dict)
    except tomllib.TOMLDecodeError as err:
        raise ProfileError(f"it is not valid TOML ({err})") from None
    cat = catalogue()
    for key in ("name", "title", "source"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ProfileError(f"it needs a '{key}' line, like {key} = \"...\"")
    if _range(data, "sessions") is None:
        raise ProfileError("it needs 'sessions', the allowed number of sessions, like [12, 16]")
    max_weeks = data.get("max_weeks")
    if max_weeks is not None and not _whole(max_weeks, 1):
        raise ProfileError("'max_weeks' must be a whole number of weeks")
    notice = data.get("ending_notice", 2)
    if not _whole(notice, 0):
        raise ProfileError("'ending_notice' must be a whole number of sessions")
    sessions = _range(data, "sessions")
    if sessions[1] > MAX_SESSIONS:
        raise ProfileError(f"'sessions' allows {sessions[1]:,}; ipt-plan handles courses of "
                           f"up to {MAX_SESSIONS:,} sessions")
    if notice >= sessions[1]:
        raise ProfileError(f"'ending_notice' is {notice}, but a course has at most "
                           f"{sessions[1]} sessions")
    for key in ("initial_sessions", "termination_sessions"):
        if key in data and _range(data, key)[0] < 1:
            raise ProfileError(f"'{key}' must allow at least one session, like [1, 3]")
    activities = tuple(cat.techniques) + ("homework", "note")
    forbidden = _names(data, "forbidden", activities)
    standing = _standing(data, cat, forbidden)
    return Profile(
        name=data["name"], title=data["title"], source=data["source"], path=path,
        sessions=sessions,
        minutes=_range(data, "minutes"),
        cadences=_names(data, "cadences", CADENCES) or CADENCES,
        max_weeks=max_weeks,
        phases=_names(data, "phases", PHASE_ORDER) or ("initial", "middle", "termination"),
        optional_phases=_names(data, "optional_phases", PHASE_ORDER),
        phase_order=_names(data, "phase_order", PHASE_ORDER) or PHASE_ORDER,
        initial_sessions=_range(data, "initial_sessions", [1, 3]),
        termination_sessions=_range(data, "termination_sessions", [2, 4]),
        ending_notice=notice,
        foci=_range(data, "foci", [1, 2]),
        areas=_names(data, "areas", tuple(cat.areas)) or tuple(cat.areas),
        initial_tasks=_names(data, "initial_tasks", tuple(cat.techniques)),
        termination_tasks=_names(data, "termination_tasks", tuple(cat.techniques)),
        forbidden=forbidden,
        standing=standing,
    )


def load_profile_file(path: Path) -> Profile:
    try:
        text = read_regular(path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ProfileError(f"it cannot be read ({getattr(err, 'strerror', None) or err})") from None
    return profile_from_toml(text, str(path))


def protocol_dirs(extra: tuple[Path, ...] = ()) -> tuple[Path, ...]:
    """Folders searched for `protocol NAME`: a clinic's own first, then the built-in ones."""
    return (*extra, BUILTIN_PROTOCOLS)


@lru_cache(maxsize=64)
def _profile_at(path: Path, mtime: float) -> Profile:
    return load_profile_file(path)


def find_profile(name: str, extra: tuple[Path, ...] = ()) -> Profile | None:
    """The profile called `name` in the protocol folders, or None."""
    for folder in protocol_dirs(extra):
        path = folder / f"{name}.toml"
        if path.is_file():
            return _profile_at(path, path.stat().st_mtime)
    return None


def profile_file(path: Path) -> Profile:
    return _profile_at(path, path.stat().st_mtime)


def _within(folder: Path, ref: str) -> Path | None:
    """The file `ref` names in `folder`, if it is one and stays there: not absolute, no
    `..` leading out, no link leading out (compared as real paths)."""
    relative = os.path.normpath(ref)
    if (os.path.isabs(relative) or PurePath(relative).drive or relative == os.pardir
            or relative.startswith(os.pardir + os.sep)):
        return None
    root = folder.resolve()
    path = (root / relative).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def find_profile_file(ref: str, folders: tuple[Path, ...]) -> Profile | None:
    """The profile file a plan names by path (`protocol "our-ipt.toml"`), read from the
    first of `folders` that holds it, or None. A path that leads out of them is never
    opened: a plan can neither read other files nor learn whether they exist."""
    for folder in folders:
        path = _within(folder, ref)
        if path is not None:
            return profile_file(path)
    return None


def available_profiles(extra: tuple[Path, ...] = ()) -> dict[str, Profile | ProfileError]:
    """Every profile that `protocol NAME` can name, the first folder winning a name."""
    found: dict[str, Profile | ProfileError] = {}
    for folder in protocol_dirs(extra):
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            if path.stem in found:
                continue
            try:
                found[path.stem] = _profile_at(path, path.stat().st_mtime)
            except ProfileError as err:
                found[path.stem] = err
    return found


class ProtocolProblem(LookupError):
    """Why `protocol REF` names no usable profile: a diagnostic's code, message and hint."""

    def __init__(self, code: str, message: str, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def _is_profile_file(ref: str) -> bool:
    return ref.endswith(".toml") or "/" in ref or "\\" in ref


def resolve_profile(ref: str | None, base: Path, extra: tuple[Path, ...] = ()) -> Profile:
    """The profile `protocol REF` names (`ipt` for None): a name in the protocol folders,
    or a file path read from `base` (the plan's folder) or those folders. Raises
    ProtocolProblem saying why not. The one lookup of plans, `ipt-plan new` and agendas."""
    ref = ref or DEFAULT_PROTOCOL
    if _is_profile_file(ref):
        try:
            profile = find_profile_file(ref, (base, *extra))
        except ProfileError as err:
            raise ProtocolProblem(codes.BAD_PROFILE,
                                  f"the protocol profile {ref} cannot be used: {err}",
                                  "compare it with a built-in profile: ipt-plan protocols --show ipt")
        if profile is None:  # said as for a name, whether or not such a file exists
            raise ProtocolProblem(codes.UNKNOWN_NAME, f"'{ref}' is not a protocol ipt-plan knows",
                                  f"a profile file is read from the plan's folder ({base}) or a "
                                  "protocol folder; the protocols are: "
                                  + ", ".join(available_profiles(extra)))
        return profile
    try:
        profile = find_profile(ref, extra)
    except ProfileError as err:
        raise ProtocolProblem(codes.BAD_PROFILE,
                              f"the protocol profile '{ref}' cannot be used: {err}")
    if profile is None:
        names = list(available_profiles(extra))
        raise ProtocolProblem(codes.UNKNOWN_NAME, f"'{ref}' is not a protocol ipt-plan knows",
                              did_you_mean_then(ref, names, "the protocols are: " + ", ".join(names),
                                                cutoff=0.5))
    return profile
