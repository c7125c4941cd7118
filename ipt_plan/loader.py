"""The library's facade: text or files in, plan and diagnostics out, never an exception.

    result = ipt_plan.load_file("plans/caregiver-dispute.iptplan")
    result.graph               # the networkx graph the rules walked
    for d in result.diagnostics: print(d.line, d.code, d.message)

Each call runs the stages in order: source -> parser -> builder -> knowledge (the profile)
-> graph -> rules -> suppressions and configuration. Many plans at once: `checking.check`; the same
documents again and again (an editor, a service): `warm.Checker`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Iterable

from . import collector, suppress
from . import source as source_stage
from .builder import build
from .codes import BAD_PROFILE, INTERNAL_ERROR, SYNTAX
from .config import Config, config_for
from .diagnostics import Diagnostic, Severity, replacing
from .graph import build_graph
from .knowledge import (DEFAULT_PROTOCOL, Catalogue, CatalogueError, Profile, ProtocolProblem,
                        catalogue, resolve_profile)
from .parser import misread_keywords, parse, repair
from .result import Result
from .rules import Context, run
from .statements import BrokenLine, Statement, keyword


class Lookups:
    """How a check parses the text and finds what lies outside it: the configuration, the
    catalogue and the protocol profile. These parse the whole text and look at the file
    system on every call (the caches below them are keyed by each file's state);
    `warm.Checker` keeps what they give between checks of the same documents. What they
    return is not changed here: a keeper may hand it out again."""

    def parse(self, text: str, path: str) -> tuple[list[Statement], list[Diagnostic]]:
        return parse(text, path)

    def config(self, path: str) -> Config:
        return config_for(path)

    def catalogue(self, dirs: tuple[Path, ...]) -> Catalogue:
        """Raises CatalogueError for a clinic's catalogue that cannot be used."""
        return catalogue(dirs)

    def profile(self, ref: str | None, base: Path, dirs: tuple[Path, ...] = ()) -> Profile:
        """Raises ProtocolProblem saying why `protocol REF` names no usable profile."""
        return resolve_profile(ref, base, dirs)


FRESH = Lookups()


def load_string(text: str, path: str = "<string>", protocol_dirs: Iterable[Path] = (),
                config: Config | None = None, today: dt.date | None = None, *,
                lookups: Lookups = FRESH) -> Result:
    """Parse, build and check a plan given as text. `config` defaults to the nearest
    ipt-plan.toml or [tool.ipt-plan] above the plan's path (or the current folder).
    `today` is the day the plan is checked as on (a log's dates, the sessions it still
    owes); None: the real date. The result keeps it (`Result.today`). `lookups`: how the
    text is parsed and the configuration, catalogue and profile found (see Lookups)."""
    return _checked(source_stage.normalize(text), path, protocol_dirs, config, today, lookups)


def load_file(path: str | os.PathLike, protocol_dirs: Iterable[Path] = (),
              config: Config | None = None, today: dt.date | None = None) -> Result:
    """Read and check one plan file (`today`: as for load_string)."""
    return _load_source(source_stage.read(path), protocol_dirs, config, today)


def load_bytes(data: bytes, path: str = "<bytes>", protocol_dirs: Iterable[Path] = (),
               config: Config | None = None, today: dt.date | None = None) -> Result:
    return _load_source(source_stage.decode(data, path), protocol_dirs, config, today)


def _load_source(src: source_stage.Source, protocol_dirs: Iterable[Path],
                 config: Config | None, today: dt.date | None) -> Result:
    if src.text is None:
        return Result(src.path, None, src.diagnostics, None, today=today or dt.date.today())
    return _checked(src.text, src.path, protocol_dirs, config, today)  # decode normalised it


def _checked(text: str, path: str, protocol_dirs: Iterable[Path], config: Config | None,
             today: dt.date | None, lookups: Lookups = FRESH) -> Result:
    today = today or dt.date.today()  # once: the rules and the outputs see the same day
    try:
        with collector.paused():
            return _load_text(text, path, protocol_dirs, config or lookups.config(path), today,
                              lookups)
    except Exception as err:  # noqa: BLE001 - the facade reports, it never raises
        return Result(path, None, (Diagnostic.at(
            INTERNAL_ERROR, Severity.ERROR,
            f"ipt-plan failed on this file ({type(err).__name__}: {err})", path, None,
            "please report this, with the plan if you can share it"),), text, today=today)


def _load_text(text: str, path: str, protocol_dirs: Iterable[Path], config: Config,
               today: dt.date, lookups: Lookups = FRESH) -> Result:
    dirs = tuple(Path(d) for d in protocol_dirs) + config.protocols
    statements, syntax = lookups.parse(text, path)
    # A text of which no line reads as written is not a plan the rules can judge yet.
    any_read = any(not isinstance(st, BrokenLine) for st in statements)
    try:
        cat, unusable = lookups.catalogue(dirs), None  # with a clinic's additions
    except CatalogueError as err:
        cat, unusable = lookups.catalogue(()), err
    statements, syntax = misread_keywords(statements, syntax, text, path, cat.techniques)
    if any(d.code == SYNTAX for d in syntax):  # the catalogue's names are gathered only then
        statements, syntax = repair(statements, syntax, text, path, cat.names)
    plan, built = build(statements, path)
    diagnostics = [*syntax, *built]
    base = Path(path).parent if path and not path.startswith("<") else Path.cwd()
    word = plan.protocol
    profile: Profile | None = None
    # A plan whose protocol line could not be read has no profile: `ipt` is not assumed.
    unreadable = word is None and any(isinstance(st, BrokenLine) and st.first_word == "protocol"
                                      for st in statements)
    if unusable is not None:
        # Said once; no profile is checked against a catalogue that cannot be read.
        diagnostics.append(Diagnostic.at(
            BAD_PROFILE, Severity.ERROR, f"the clinic's catalogue cannot be used: {unusable}",
            path, word.loc if word else None,
            "fix that entry (compare it with ipt-plan's own: ipt-plan techniques), or check "
            "without that protocol folder"))
        unreadable = True
    if not unreadable:
        try:
            profile = lookups.profile(word.text if word else None, base, dirs)
        except ProtocolProblem as problem:
            fixes = (replacing(word, problem.suggestion),) if word and problem.suggestion else ()
            diagnostics.append(Diagnostic.at(problem.code, Severity.ERROR, problem.message,
                                             path, word.loc if word else None, problem.hint,
                                             fixes))
    graph = build_graph(plan, cat)
    if any_read:
        # Rules that need no profile still run against `ipt` when the plan's is unusable.
        # The lines that did not parse, and those the builder could not use (a date that
        # does not exist): the rules do not judge what they were to say.
        rejected = {d.line for d in built if d.code == SYNTAX}
        broken = tuple(st if isinstance(st, BrokenLine) else BrokenLine(st.loc, keyword(st))
                       for st in statements
                       if isinstance(st, BrokenLine) or st.loc.line in rejected)
        context = Context(plan, profile or lookups.profile(DEFAULT_PROTOCOL, base), cat,
                          graph, today, broken)
        diagnostics.extend(run(context, path, profile_usable=profile is not None))
    diagnostics = config.apply(suppress.apply(diagnostics, text, path)) + list(config.problems)
    diagnostics.sort(key=lambda d: d.sort_key)
    return Result(path, plan, tuple(diagnostics), text, profile, graph, catalogue=cat,
                  today=today)
