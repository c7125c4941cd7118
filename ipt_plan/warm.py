"""The warm re-check: one process checking the same documents again after each edit, as a
language server or a web view does. A result is the one `load_string` gives for the same
text; only the work is less (what is kept, and why: `Checker`).

    checker = ipt_plan.Checker()
    result = checker.check(text, "plans/a.iptplan")   # after every edit
    checker.forget("plans/a.iptplan")                  # the editor closed it
    checker.refresh()                                  # a configuration or profile was saved
"""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Hashable, Iterable, TypeVar

from . import loader
from .config import Config
from .diagnostics import Diagnostic
from .knowledge import Catalogue, CatalogueError, Profile, ProtocolProblem
from .parser import Parsed, reparse
from .result import Result
from .statements import Statement

MAX_DOCUMENTS = 64
LOOK_AGAIN_AFTER = 1.0  # seconds: a configuration being edited is seen within a second
MAX_LOOKUPS = 256  # folders and profiles remembered; the oldest look is dropped first

Found = TypeVar("Found")


class Checker:
    """Checks documents again and again in one process, keeping what did not change
    between checks. `protocol_dirs` and `today` are those of `load_string`; `clock`
    (seconds, monotonic) is for tests. It keeps:

    - per document (the MAX_DOCUMENTS checked last; the least recently checked is dropped
      first), the lines of its last check with their statements and syntax errors.
      Parsing is the costliest stage, and statements never span lines: after an edit only
      the lines that changed are parsed again (`parser.reparse`). Only the current text's
      lines are kept.
    - per plan folder its configuration, per set of protocol folders the catalogue, and
      per protocol named the profile: looking them up walks up the folders and asks the
      file system about each file, so it looks at most once every LOOK_AGAIN_AFTER seconds
      (and at once after `refresh()`). Until then a file changed on disk is not seen.

    The plan, its graph and the rules' findings are made afresh by each check: they
    depend on the whole text. A Checker is for one thread at a time."""

    def __init__(self, protocol_dirs: Iterable[Path] = (), today: dt.date | None = None, *,
                 clock: Callable[[], float] = time.monotonic):
        self.protocol_dirs = tuple(Path(d) for d in protocol_dirs)
        self.today = today
        self._lookups = _Kept(clock)

    def check(self, text: str, path: str = "<string>") -> Result:
        """The plan `text` checked, as `load_string(text, path, protocol_dirs, today=today)`
        checks it; `path` names the document (and the folder its configuration is found
        from). Never raises."""
        return loader.load_string(text, path, self.protocol_dirs, today=self.today,
                                  lookups=self._lookups)

    def forget(self, path: str) -> None:
        """Drop what is kept for one document (the editor closed it)."""
        self._lookups.documents.pop(path, None)

    def refresh(self) -> None:
        """Look at the files (configuration, profiles, catalogues) again at the next check,
        without waiting for LOOK_AGAIN_AFTER to pass."""
        self._lookups.looked.clear()


class _Kept(loader.Lookups):
    """The loader's lookups, with each document's last parse and each lookup's last answer."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self.documents: OrderedDict[str, Parsed] = OrderedDict()
        # key -> (when it was looked up, what was found: a value or the error to raise)
        self.looked: dict[Hashable, tuple[float, object]] = {}

    def parse(self, text: str, path: str) -> tuple[list[Statement], list[Diagnostic]]:
        earlier = self.documents.pop(path, None)  # not kept again if parsing fails
        parsed = reparse(text, path, earlier)
        self.documents[path] = parsed
        while len(self.documents) > MAX_DOCUMENTS:
            self.documents.popitem(last=False)
        return parsed.statements, parsed.diagnostics

    def config(self, path: str) -> Config:
        # Keyed by the folder as written: a relative one is read from the current folder.
        folder = "<" if path.startswith("<") else str(Path(path).parent)
        return self._look(("config", folder), lambda: loader.FRESH.config(path))

    def catalogue(self, dirs: tuple[Path, ...]) -> Catalogue:
        return self._look(("catalogue", dirs), lambda: loader.FRESH.catalogue(dirs))

    def profile(self, ref: str | None, base: Path, dirs: tuple[Path, ...] = ()) -> Profile:
        return self._look(("profile", ref, base, dirs),
                          lambda: loader.FRESH.profile(ref, base, dirs))

    def _look(self, key: Hashable, look: Callable[[], Found]) -> Found:
        """What `look` found for `key` less than LOOK_AGAIN_AFTER seconds ago, or what it
        finds now. A catalogue or profile that cannot be used is an answer too (its error is
        kept and raised again); any other error is not kept."""
        now = self.clock()
        kept = self.looked.get(key)
        if kept is None or not 0 <= now - kept[0] < LOOK_AGAIN_AFTER:
            try:
                found: object = look()
            except (CatalogueError, ProtocolProblem) as err:
                found = err
            self.looked.pop(key, None)
            self.looked[key] = kept = (now, found)
            if len(self.looked) > MAX_LOOKUPS:
                del self.looked[next(iter(self.looked))]
        found = kept[1]
        if isinstance(found, Exception):
            raise found.with_traceback(None)  # a fresh traceback each time, none piling up
        return found  # type: ignore[return-value]
