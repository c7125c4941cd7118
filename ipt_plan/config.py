"""Project configuration: `[tool.ipt-plan]` in pyproject.toml, or ipt-plan.toml, found
by walking up from each plan's folder (the nearest wins, as with ruff or black).

    [tool.ipt-plan]
    select = ["IPT"]                 # codes or prefixes to report (default: all)
    ignore = ["IPT106"]              # codes or prefixes never reported
    protocols = ["clinic/profiles"]  # extra protocol folders, relative to this file
    [tool.ipt-plan.severity]
    IPT303 = "error"                 # error | warning | off
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import codes
from .codes import ALWAYS_SHOWN, BAD_CONFIG
from .diagnostics import Diagnostic, Severity
from .knowledge import TOMLError, toml_loads

CONFIG_FILES = ("ipt-plan.toml", "pyproject.toml")
KEYS = ("select", "ignore", "protocols", "severity")
CODE_OR_PREFIX = re.compile(r"IPT\d{0,3}")


@dataclass(frozen=True)
class Config:
    path: str | None = None  # None: no configuration file applies
    select: tuple[str, ...] = ("IPT",)
    ignore: tuple[str, ...] = ()
    protocols: tuple[Path, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    problems: tuple[Diagnostic, ...] = ()

    def apply(self, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
        """Keep what is selected and not ignored, at the configured severity."""
        kept = []
        for d in diagnostics:
            # Problems with the file itself, with this configuration and in ipt-plan itself
            # are always shown.
            if d.code not in ALWAYS_SHOWN:
                if not d.code.startswith(self.select) or d.code.startswith(self.ignore or ("\0",)):
                    continue
                level = self.severity.get(d.code)
                if level == "off":
                    continue
                if level is not None and level != d.severity.value:
                    d = d._replace(severity=Severity(level))
            kept.append(d)
        return kept


def _problem(path: Path, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(BAD_CONFIG, Severity.ERROR, message, str(path), 1, 1, 2, hint)


def _codes(value, key: str, path: Path, problems: list[Diagnostic]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(_problem(path, f"'{key}' must be a list of rule codes, like [\"IPT106\"]"))
        return ()
    bad = [v for v in value
           if not CODE_OR_PREFIX.fullmatch(v) or not any(c.startswith(v) for c in codes.ALL)]
    if bad:
        problems.append(_problem(path, f"'{key}' has {', '.join(bad)}, which matches no rule",
                                 "rule codes look like IPT106, or a prefix such as IPT3; "
                                 "`ipt-plan rules` lists them"))
    return tuple(v for v in value if v not in bad)


def parse_config(data: dict, path: Path) -> Config:
    path = _shown(path)
    problems: list[Diagnostic] = []
    unknown = [k for k in data if k not in KEYS]
    if unknown:
        problems.append(_problem(path, f"unknown setting {', '.join(repr(k) for k in unknown)}",
                                 "the settings are: " + ", ".join(KEYS)))
    select = _codes(data.get("select", ["IPT"]), "select", path, problems) or ("IPT",)
    ignore = _codes(data.get("ignore", []), "ignore", path, problems)
    folders = data.get("protocols", [])
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        problems.append(_problem(path, "'protocols' must be a list of folders"))
        folders = []
    protocols = []
    for name in folders:
        try:
            folder = (path.parent / name).resolve()
            found = folder.is_dir()
        except (OSError, ValueError):  # a name no file system accepts (a NUL byte...)
            folder, found = repr(name), False
        if found:
            protocols.append(folder)
        else:
            problems.append(_problem(path, f"the protocol folder {folder!s} does not exist"))
    protocols = tuple(protocols)
    severity = data.get("severity", {})
    levels: dict[str, str] = {}
    if not isinstance(severity, dict):
        problems.append(_problem(path, "'severity' must be a table, like IPT303 = \"error\""))
        severity = {}
    for code, level in severity.items():
        if code not in codes.ALL:
            problems.append(_problem(path, f"severity names {code}, which is not a rule code",
                                     "`ipt-plan rules` lists them"))
        elif level not in ("error", "warning", "off"):
            problems.append(_problem(path, f"the severity of {code} must be error, warning or off"))
        else:
            levels[code] = level
    return Config(str(path), select, ignore, protocols, levels, tuple(problems))


def read_config(path: Path) -> Config | None:
    """The configuration in this file; None for a pyproject.toml without [tool.ipt-plan]."""
    try:
        data = toml_loads(path.read_text(encoding="utf-8"))
        path = _shown(path)
    except (OSError, UnicodeDecodeError) as err:
        return Config(str(path), problems=(_problem(path, f"cannot read this file ({err})"),))
    except TOMLError as err:
        return Config(str(path), problems=(_problem(path, f"this is not valid TOML: {err}"),))
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        section = tool.get("ipt-plan") if isinstance(tool, dict) else None
        if section is None:
            return None
        data = section
    if not isinstance(data, dict):
        return Config(str(path), problems=(_problem(path, "[tool.ipt-plan] must be a table"),))
    return parse_config(data, path)


def _shown(path: Path) -> Path:
    """The path as messages show it: relative to the current folder when inside it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def config_for_folder(folder: Path) -> Config:
    """The nearest configuration at or above `folder` (an absolute path). Files are read
    again when they change, so a long-running process sees a configuration being edited."""
    cwd = Path.cwd()
    # Walked as strings: pathlib's objects cost more than the file system's answers.
    directory = str(folder)
    while True:
        for name in CONFIG_FILES:
            candidate = os.path.join(directory, name)
            try:
                mtime = os.stat(candidate).st_mtime_ns
            except OSError:
                continue
            found = _read_config(Path(candidate), mtime, cwd)
            if found is not None:
                return found
        parent = os.path.dirname(directory)
        if parent == directory:
            return Config()
        directory = parent


@lru_cache(maxsize=256)
def _read_config(path: Path, mtime: int, cwd: Path) -> Config | None:
    # Keyed by modification time (a changed file is read again) and by the current folder,
    # from which messages show the file's path.
    return read_config(path) if path.is_file() else None


def config_for(plan_path: str) -> Config:
    if plan_path.startswith("<"):
        return config_for_folder(Path.cwd().resolve())
    return config_for_folder(Path(plan_path).resolve().parent)
