"""Clinical knowledge as data: the technique catalogue and the protocol profiles.

Both are TOML files under `ipt_plan/knowledge/`, each citing its sources. A clinic adds a
protocol by writing a profile file (see `protocols/ipt.toml`) and naming it in the plan
(`protocol "our-ipt.toml"`) or putting it in a folder passed with `--protocols`; it adds
techniques, participants and rating scales in a `catalogue.toml` of the built-in file's
form in such a folder. Everything read is checked, and a file that cannot be used raises
ProfileError (or CatalogueError) with a message for a clinician, naming what to fix.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path, PurePath
from typing import NamedTuple

from . import codes
from .cache import cached
from .model import MAX_SESSIONS, PHASE_ORDER
from .resources import KNOWLEDGE_DIR
from .source import read_regular
from .wording import (PlaceholderError, closest, did_you_mean_then, fill, joined, placeholders,
                      visible)

BUILTIN_PROTOCOLS = KNOWLEDGE_DIR / "protocols"
BUILTIN_CATALOGUE = KNOWLEDGE_DIR / "catalogue.toml"
CATALOGUE_FILE = "catalogue.toml"  # a clinic's additions, in one of its protocol folders
CADENCES = ("weekly", "twice_weekly", "every_n_weeks", "monthly")
DEFAULT_PROTOCOL = "ipt"  # what a plan with no `protocol` line follows
FORMATS = ("individual", "group")
SICK_ROLES = ("full", "limited")
RATERS = ("self", "clinician", "parent", "self or parent")
# Words of the plan language that read like techniques: no catalogue entry may take them.
ACTIVITY_WORDS = ("homework", "note")
# Names as the plan language writes them (grammar/iptplan.lark: NAME and MEASURE).
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SCALE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*")

# Placeholders a catalogue text may hold, filled when agendas are built (a clinic's
# additions may use them too). The condition the protocol treats, from its profile:
# {condition} "PTSD", "perinatal depression"; {Condition} the same with a capital first
# letter, to begin a sentence; {condition_noun} the short name for running text
# ("depression" in perinatal IPT); {condition_adjective} "depressive", "PTSD";
# {condition_symptoms} a few symptoms to ask about, "sleep, appetite, energy and interest".
CONDITION_WORDS = ("condition", "Condition", "condition_noun", "condition_adjective",
                   "condition_symptoms")
# The course's numbers at a session, in prompts only: {session_number} "7",
# {sessions_left} "2 sessions" after this one ("no sessions" at the last), and
# {sessions_total} "14 sessions", where the course's contract is made.
SESSION_WORDS = ("session_number", "sessions_left", "sessions_total")
# Where the others are filled: {measures} (the scales due, "PHQ-9 and GAD-7") in 'rated';
# {sick_role_note} (the profile's) in 'limited_description' and 'limited_prompts'.
_ONLY_IN = {**{word: "prompts" for word in SESSION_WORDS}, "measures": "'rated'",
            "sick_role_note": "'limited_description' and 'limited_prompts'"}
# The condition of a profile that names none: IPT was built for depression (Klerman et
# al. 1984). Its symptoms to ask about are the existing prompt's: sleep, appetite, energy
# and loss of interest are criteria of a major depressive episode (DSM-5, APA 2013).
DEFAULT_CONDITION = {"condition": "depression", "condition_noun": "depression",
                     "condition_adjective": "depressive",
                     "condition_symptoms": "sleep, appetite, energy and interest"}
# A limited sick role with no `sick_role_note`: what IPT-A's limited sick role keeps
# (Mufson et al. 2004: the adolescent keeps going to school and doing what they can).
DEFAULT_SICK_ROLE_NOTE = "usual roles go on as far as they can"



class TOMLError(ValueError):
    """A TOML file that does not parse (tomllib's TOMLDecodeError, said the same way)."""


def toml_loads(text: str) -> dict:
    """tomllib.loads, tomllib imported on first use: a check whose knowledge comes from
    the cache never needs it, and it is a fiftieth of `check`'s start-up."""
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise TOMLError(str(err)) from None


def cadence_words(cadences: tuple[str, ...]) -> str:
    """A profile's cadences as a clinician reads them: "weekly, every N weeks or monthly"."""
    return joined([c.replace("_", " ").replace(" n ", " N ") for c in cadences], "or")


class ProfileError(ValueError):
    """A protocol profile file that cannot be used; the message says why, for a clinician."""


class CatalogueError(ProfileError):
    """A catalogue file (ipt-plan's own or a clinic's additions) that cannot be used; the
    message names the file and the entry to fix."""


class Technique(NamedTuple):
    name: str
    label: str
    description: str
    phases: tuple[str, ...]
    area: str | None
    after_any: tuple[str, ...]
    prompts: tuple[str, ...]
    default_focus: str | None  # "all", "single" or None: see catalogue.toml
    # Said instead at the course's first session, where there is no "last time" yet.
    first_session_description: str | None = None
    first_session_prompts: tuple[str, ...] | None = None
    # Said instead where the protocol gives the limited sick role (Profile.sick_role).
    limited_description: str | None = None
    limited_prompts: tuple[str, ...] | None = None
    rated: str | None = None  # a sentence added where a rating scale is due ({measures})
    every_focus: bool = False  # a session holding it lists every focus with its goals


class Area(NamedTuple):
    name: str
    label: str
    summary: str
    goals: tuple[str, ...]
    stages: tuple[str, ...]
    # The techniques that do the work each stage calls for (`stage_work`), as (stage,
    # techniques) pairs in the order of `stages`: a tuple, so the catalogue stays hashable.
    stage_work: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def work_at(self, stage: str) -> tuple[str, ...]:
        """The techniques that do this stage's work; none when the catalogue names none."""
        return next((names for name, names in self.stage_work if name == stage), ())


class PhaseInfo(NamedTuple):
    name: str
    label: str
    purpose: str
    aliases: tuple[str, ...]  # other names clinicians use, offered as "did you mean"


class Band(NamedTuple):
    """A severity band of a scale's total: from `low` to `high`, both included."""

    low: int
    high: int
    label: str  # "moderately severe"


class Scale(NamedTuple):
    """A rating scale a plan can name with `measure`, and what a logged score of it is
    judged by (ipt_plan.measurement). Higher totals mean more symptoms. The fields after
    `source` are optional in a catalogue: None (or empty) where the catalogue does not say,
    and then nothing is judged by them."""

    name: str  # PHQ-9
    label: str
    items: int  # items scored
    low: int  # the total score's range
    high: int
    rater: str  # who completes it: one of RATERS
    source: str
    item_range: tuple[int, int] | None = None  # each item's score; None where items differ
    items_add_up: bool = True  # the items' scores add up to the total
    bands: tuple[Band, ...] = ()  # severity bands, in order, covering low-high
    cutoff: int | None = None  # the clinical cut-off: a total at or above it is clinical
    reliable_change: int | None = None  # points of change that are not measurement error
    remission_below: int | None = None  # a total below this is remission
    response: int | None = None  # percent: a fall of at least this much from baseline
    risk_item: int | None = None  # the item (1-based) that signals risk
    risk_from: int = 1  # the item score from which it does
    loinc: str | None = None  # the LOINC code of the total score


class Participant(NamedTuple):
    """Someone other than the patient who may join a session: a parent, an interpreter."""

    name: str
    label: str
    description: str


class Vocabulary(NamedTuple):
    """Word lists the rules read in a plan's own text (`[vocabulary]`; see catalogue.toml):
    whole words or phrases, matched whatever their case."""

    death: tuple[str, ...]  # words that say a text speaks of a death (IPT208)
    negation: tuple[str, ...]  # words before a word that say the plan does not do it
    negation_reach: int  # how many other words a negation may stand before the word
    negation_after: tuple[str, ...]  # words just after a word that say the same
    clause_breaks: tuple[str, ...]  # words that end a negation's reach, as a comma does


class Catalogue(NamedTuple):
    techniques: dict[str, Technique]
    areas: dict[str, Area]
    measures: dict[str, Scale]
    phases: dict[str, PhaseInfo]
    participants: dict[str, Participant]
    vocabulary: Vocabulary

    @property
    def names(self) -> frozenset[str]:
        """Every name a plan may write that the catalogue defines: techniques, problem
        areas and their stages, rating scales, phases and participants."""
        stages = (stage for area in self.areas.values() for stage in area.stages)
        return frozenset((*self.techniques, *self.areas, *stages, *self.measures,
                          *self.phases, *self.participants))


def _read_toml(path: Path) -> dict:
    """A knowledge file's data. tomllib is pure Python and slower than the rest of a
    check together, so the parsed data is cached by the file's content."""
    data = path.read_bytes()
    return cached("toml", (data,), lambda: toml_loads(data.decode("utf-8")), expect=dict)


# --- the catalogue ---------------------------------------------------------------------

# The tables of a catalogue file, and those a clinic's additions may hold.
CATALOGUE_TABLES = ("phases", "areas", "techniques", "measures", "participants")
CLINIC_TABLES = ("techniques", "measures", "participants")
# ipt-plan's own word lists (one table of lists, not of entries); a clinic's file has none.
VOCABULARY = "vocabulary"
_WORD_LISTS = ("death", "negation", "negation_after", "clause_breaks")
# A word or phrase as a word list holds it: words (letters, digits, an apostrophe inside),
# joined by single spaces or hyphens: "died", "passed away", "in vivo", "isn't".
PHRASE = re.compile(r"\w+(?:'\w+)*(?:[ -]\w+(?:'\w+)*)*")


def word_list(value: object) -> tuple[str, ...] | None:
    """A word list's words or phrases, or None when it is not a list of them."""
    if (not isinstance(value, list) or not value
            or not all(isinstance(v, str) and PHRASE.fullmatch(v) for v in value)):
        return None
    return tuple(value)


_KEYS = {
    "phases": ({"label", "purpose"}, {"aliases"}),
    "areas": ({"label", "summary", "goals"}, {"stages", "stage_work"}),
    "techniques": ({"label", "description", "phases"},
                   {"area", "after_any", "prompts", "default_focus", "first_session_description",
                    "first_session_prompts", "limited_description", "limited_prompts", "rated",
                    "every_focus"}),
    "measures": ({"label", "items", "low", "high", "rater", "source"},
                 {"item_range", "items_add_up", "bands", "cutoff", "reliable_change",
                  "remission_below", "response", "risk_item", "risk_from", "loinc"}),
    "participants": ({"label", "description"}, set()),
}
_KIND = {"phases": "phase", "areas": "problem area", "techniques": "technique",
         "measures": "rating scale", "participants": "participant"}


class _Entry:
    """One `[table.name]` entry being read; its errors name the file and the entry."""

    def __init__(self, path: Path, table: str, name: str, data: object):
        self.path, self.table, self.name = path, table, name
        self.where = f"[{table}.{visible(name)}]"
        if not isinstance(data, dict):
            self.fail("must be a table of keys, like label = \"...\"")
        required, optional = _KEYS[table]
        unknown = sorted(set(data) - required - optional)
        if unknown:
            self.fail(f"has the key {joined([repr(visible(k)) for k in unknown])}, which "
                      f"ipt-plan does not read (the keys are: {', '.join(sorted(required | optional))})")
        missing = sorted(required - set(data))
        if missing:
            self.fail(f"needs {joined([repr(k) for k in missing])}")
        self.data = data

    def fail(self, why: str):
        raise CatalogueError(f"{self.path}: {self.where} {why}")

    def text(self, key: str) -> str:
        value = self.data[key]
        if not isinstance(value, str) or not value.strip():
            self.fail(f"needs '{key}' as text, like {key} = \"...\"")
        return value

    def optional_text(self, key: str) -> str | None:
        return self.text(key) if key in self.data else None

    def optional_texts(self, key: str) -> tuple[str, ...] | None:
        """A list of texts, or None where the key is not written."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(f"needs '{key}' as a list of texts, like {key} = [\"...\"]")
        return tuple(value)

    def texts(self, key: str, allowed: tuple[str, ...] | None = None,
              non_empty: bool = False) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"needs '{key}' as a list of names, like {key} = [\"...\"]")
        if non_empty and not value:
            self.fail(f"needs at least one name in '{key}'")
        if allowed is not None:
            unknown = [v for v in value if v not in allowed]
            if unknown:
                self.fail(f"'{key}' names {joined([repr(visible(u)) for u in unknown])}, which "
                          f"ipt-plan does not know (known: {', '.join(allowed)})")
        return tuple(value)

    def words(self, key: str, allowed: tuple[str, ...]) -> None:
        """The placeholders of text `key` (one text or a list) are ones ipt-plan fills
        there: `allowed`."""
        value = self.data.get(key)
        for text in [value] if isinstance(value, str) else value or ():
            try:
                names = placeholders(text)
            except PlaceholderError as err:
                self.fail(f"'{key}' {err}")
            for name in names:
                if name in allowed:
                    continue
                if name in _ONLY_IN:
                    self.fail(f"'{key}' has the placeholder {{{name}}}, which is filled only "
                              f"in {_ONLY_IN[name]}")
                shown = ", ".join("{" + a + "}" for a in allowed)
                # Capitalised names first, so that a near miss is offered in lower case.
                offered = sorted(allowed, key=lambda a: a == a.lower())
                self.fail(f"'{key}' has the placeholder {{{visible(name)}}}, which ipt-plan "
                          "does not fill; " + did_you_mean_then(
                              name, offered, f"the placeholders it fills there are: {shown}"))

    def whole(self, key: str) -> int:
        value = self.data[key]
        if not _whole(value, 0):
            self.fail(f"needs '{key}' as a whole number, like {key} = 10")
        return value


def _technique(entry: _Entry, areas: dict[str, Area]) -> Technique:
    area = entry.optional_text("area")
    if area is not None and area not in areas:
        entry.fail(f"names the area '{visible(area)}', which ipt-plan does not know "
                   f"(known: {', '.join(areas)})")
    focus = entry.data.get("default_focus")
    if focus not in (None, "all", "single"):
        entry.fail("needs 'default_focus' to be \"all\" or \"single\", or no default_focus line")
    every_focus = entry.data.get("every_focus", False)
    if not isinstance(every_focus, bool):
        entry.fail("needs 'every_focus' to be true or false")
    prompts = CONDITION_WORDS + SESSION_WORDS
    for key, allowed in (("description", CONDITION_WORDS), ("prompts", prompts),
                         ("first_session_description", CONDITION_WORDS),
                         ("first_session_prompts", prompts),
                         ("limited_description", CONDITION_WORDS + ("sick_role_note",)),
                         ("limited_prompts", prompts + ("sick_role_note",)),
                         ("rated", CONDITION_WORDS + ("measures",))):
        entry.words(key, allowed)
    return Technique(entry.name, entry.text("label"), entry.text("description"),
                     entry.texts("phases", PHASE_ORDER, non_empty=True), area,
                     entry.texts("after_any"), entry.texts("prompts"), focus,
                     entry.optional_text("first_session_description"),
                     entry.optional_texts("first_session_prompts"),
                     entry.optional_text("limited_description"),
                     entry.optional_texts("limited_prompts"),
                     entry.optional_text("rated"), every_focus)


def _scale(entry: _Entry) -> Scale:
    items, low, high = entry.whole("items"), entry.whole("low"), entry.whole("high")
    if items < 1:
        entry.fail("needs at least one item")
    if low >= high:
        entry.fail(f"has 'low' {low} and 'high' {high}: the lowest total score comes first")
    rater = entry.text("rater")
    if rater not in RATERS:
        entry.fail(f"has the rater '{visible(rater)}'; a rater is "
                   + joined([f'"{r}"' for r in RATERS], "or"))
    item_range = _item_range(entry, items, low, high)
    add_up = entry.data.get("items_add_up", True)
    if not isinstance(add_up, bool):
        entry.fail("needs 'items_add_up' as true or false")
    bands = _bands(entry, low, high)

    def total(key: str, least: int) -> int | None:
        """An optional score of the scale's range, at least `least`."""
        if key not in entry.data:
            return None
        value = entry.data[key]
        if not _whole(value, 0) or not least <= value <= high:
            entry.fail(f"needs '{key}' as a whole number from {least} to {high}, the "
                       f"scale's range")
        return value

    cutoff = total("cutoff", low + 1)
    remission = total("remission_below", low + 1)
    reliable = _optional_whole(entry, "reliable_change", 1, high - low,
                               "points of change, like reliable_change = 6")
    response = _optional_whole(entry, "response", 1, 100,
                               "a percentage fall from the baseline, like response = 50")
    risk_item = _optional_whole(entry, "risk_item", 1, items,
                                f"the number of one of its {items} items, like risk_item = 9")
    risk_from = _optional_whole(entry, "risk_from", 1, item_range[1] if item_range else None,
                                "the item score from which the item signals risk, like "
                                "risk_from = 1")
    if risk_from is not None and risk_item is None:
        entry.fail("has 'risk_from' but no 'risk_item' for it to apply to")
    return Scale(entry.name, entry.text("label"), items, low, high, rater, entry.text("source"),
                 item_range, add_up, bands, cutoff, reliable, remission, response, risk_item,
                 risk_from if risk_from is not None else 1, _loinc(entry))


def _optional_whole(entry: _Entry, key: str, least: int, most: int | None, like: str
                    ) -> int | None:
    if key not in entry.data:
        return None
    value = entry.data[key]
    if not _whole(value, least) or (most is not None and value > most):
        bounds = f"from {least} to {most}" if most is not None else f"of at least {least}"
        entry.fail(f"needs '{key}' as a whole number {bounds}: {like}")
    return value


def _item_range(entry: _Entry, items: int, low: int, high: int) -> tuple[int, int] | None:
    """Each item's score range; where the items add up to the total, `items` of them must
    span the total's range exactly."""
    if "item_range" not in entry.data:
        return None
    value = entry.data["item_range"]
    if not (isinstance(value, list) and len(value) == 2 and all(_whole(v, 0) for v in value)
            and value[0] < value[1]):
        entry.fail("needs 'item_range' as the lowest and highest score of an item, like "
                   "item_range = [0, 3]")
    first, last = value
    if entry.data.get("items_add_up", True) is True and (items * first, items * last) != (low, high):
        entry.fail(f"has {items} items scored {first}-{last}, which add up to "
                   f"{items * first}-{items * last}, not the total's {low}-{high}; give the "
                   "item range the source gives, or items_add_up = false")
    return first, last


def _bands(entry: _Entry, low: int, high: int) -> tuple[Band, ...]:
    """Severity bands that follow on from the scale's lowest total to its highest."""
    value = entry.data.get("bands", [])
    like = 'like bands = [[0, 4, "minimal"], [5, 9, "mild"]]'
    if not isinstance(value, list):
        entry.fail(f"needs 'bands' as a list of [from, to, \"label\"], {like}")
    bands: list[Band] = []
    for band in value:
        if not (isinstance(band, list) and len(band) == 3 and _whole(band[0], 0)
                and _whole(band[1], 0) and band[0] <= band[1] and isinstance(band[2], str)
                and band[2].strip()):
            entry.fail(f"has the band {visible(repr(band))}; a band is [from, to, \"label\"], "
                       f"{like}")
        expected = bands[-1].high + 1 if bands else low
        if band[0] != expected:
            entry.fail(f"has a band from {band[0]}, where {expected} was due: the bands "
                       f"follow on from the lowest total ({low}) to the highest ({high})")
        bands.append(Band(band[0], band[1], band[2]))
    if bands and bands[-1].high != high:
        entry.fail(f"has bands up to {bands[-1].high}; the last must end at the highest "
                   f"total, {high}")
    return tuple(bands)


def _loinc(entry: _Entry) -> str | None:
    """A LOINC code (12345-6), its check digit verified: a mistyped code names another test."""
    if "loinc" not in entry.data:
        return None
    code = entry.data["loinc"]
    if not isinstance(code, str) or not re.fullmatch(r"\d{1,7}-\d", code):
        entry.fail("needs 'loinc' as a LOINC code, like loinc = \"44261-6\"")
    number, check = code.split("-")
    if loinc_check_digit(number) != int(check):
        entry.fail(f"has the LOINC code {code}, whose check digit is wrong: check the code "
                   "at loinc.org")
    return code


def loinc_check_digit(number: str) -> int:
    """LOINC's mod 10 check digit of a code's number: from the right, odd-placed digits
    doubled, every resulting digit summed (Luhn)."""
    total = 0
    for place, digit in enumerate(reversed(number), start=1):
        value = int(digit) * (2 if place % 2 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10


def _stage_work(entry: _Entry, area: Area, techniques: dict[str, Technique]
                ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """An area's `stage_work` table: for each of its stages, the techniques that do the
    work that stage calls for."""
    table = entry.data.get("stage_work", {})
    example = 'like stage_work.impasse = ["explore_expectations"]'
    if not isinstance(table, dict):
        entry.fail(f"needs 'stage_work' as a table of its stages, {example}")
    unknown = [stage for stage in table if stage not in area.stages]
    if unknown:
        entry.fail(f"'stage_work' names the stage {joined([repr(visible(u)) for u in unknown])}, "
                   f"which is not one of its stages ({', '.join(area.stages) or 'it has none'})")
    for stage, names in table.items():
        if (not isinstance(names, list) or not names
                or not all(isinstance(n, str) for n in names)):
            entry.fail(f"needs 'stage_work.{stage}' as a list of techniques, {example}")
        missing = [n for n in names if n not in techniques]
        if missing:
            entry.fail(f"'stage_work.{stage}' names {joined([repr(visible(m)) for m in missing])}, "
                       "which is no technique of the catalogue (`ipt-plan techniques` lists them)")
    return tuple((stage, tuple(table[stage])) for stage in area.stages if stage in table)


def _entries(path: Path, data: dict, own: bool) -> dict[str, dict[str, _Entry]]:
    """Each table's entries, checked for their form; `own` is ipt-plan's file."""
    allowed = CATALOGUE_TABLES if own else CLINIC_TABLES
    found: dict[str, dict[str, _Entry]] = {}
    for table, entries in data.items():
        if table not in allowed:
            what = (f"[{visible(table)}] is ipt-plan's own"
                    if table in CATALOGUE_TABLES or table == VOCABULARY
                    else f"'{visible(table)}' is not one of them")
            raise CatalogueError(f"{path}: a clinic's catalogue adds "
                                 f"{joined(list(CLINIC_TABLES))}; {what}" if not own else
                                 f"{path}: '{visible(table)}' is not a table ipt-plan reads "
                                 f"(the tables are: {', '.join(CATALOGUE_TABLES)}, {VOCABULARY})")
        if not isinstance(entries, dict):
            raise CatalogueError(f"{path}: '{table}' must hold entries like [{table}.NAME]")
        for name in entries:
            pattern = SCALE_NAME if table == "measures" else NAME
            if not pattern.fullmatch(name) or (table == "techniques" and name in ACTIVITY_WORDS):
                raise CatalogueError(
                    f"{path}: [{table}.{visible(name)}] cannot be written in a plan; "
                    + ("a scale's name is letters and digits joined by hyphens, like PHQ-9"
                       if table == "measures" else
                       f"'{name}' is a word of the plan language" if name in ACTIVITY_WORDS
                       else "a name is letters, digits and underscores, like role_play"))
        found[table] = {name: _Entry(path, table, name, value) for name, value in entries.items()}
    return found


def _read_catalogue_file(path: Path) -> dict:
    try:
        text = read_regular(path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CatalogueError(f"{path}: it cannot be read "
                             f"({getattr(err, 'strerror', None) or err})") from None
    try:
        return cached("toml", (text.encode("utf-8"),), lambda: toml_loads(text), expect=dict)
    except TOMLError as err:
        raise CatalogueError(f"{path}: it is not valid TOML ({err})") from None


def _stamp(path: Path) -> tuple[str, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (str(path), info.st_mtime_ns, info.st_size)


def catalogue(extra: tuple[Path, ...] = ()) -> Catalogue:
    """ipt-plan's catalogue with the additions in each of the `extra` protocol folders that
    holds a catalogue.toml, in that order. Raises CatalogueError, naming the file and the
    entry, for an addition that cannot be used. Cached per folders (and their files' state)."""
    return _merged(_catalogue_stamps(extra))


def _catalogue_stamps(extra: tuple[Path, ...]) -> tuple[tuple[str, int, int], ...]:
    """Each catalogue.toml of the `extra` folders, with its state (time and size)."""
    return tuple(stamp for stamp in (_stamp(Path(folder) / CATALOGUE_FILE) for folder in extra)
                 if stamp is not None)


def _vocabulary(path: Path, value: object) -> Vocabulary:
    """The `[vocabulary]` table of ipt-plan's own catalogue, checked."""
    def fail(why: str):
        raise CatalogueError(f"{path}: [{VOCABULARY}] {why}")

    if not isinstance(value, dict):
        fail("is missing: the rules read its word lists (" + ", ".join(_WORD_LISTS) + ")")
    keys = set(_WORD_LISTS) | {"negation_reach"}
    unknown = sorted(set(value) - keys)
    if unknown:
        fail(f"has {joined([repr(visible(k)) for k in unknown])}, which ipt-plan does not read "
             f"(the keys are: {', '.join(sorted(keys))})")
    lists = {}
    for key in _WORD_LISTS:
        lists[key] = word_list(value.get(key))
        if lists[key] is None:
            fail(f"needs '{key}' as a list of words or phrases, each of words joined by single "
                 f"spaces or hyphens, like {key} = [\"died\", \"passed away\"]")
    reach = value.get("negation_reach")
    if not _whole(reach, 0):
        fail("needs 'negation_reach' as a whole number of words, like negation_reach = 3")
    return Vocabulary(lists["death"], lists["negation"], reach, lists["negation_after"],
                      lists["clause_breaks"])


@lru_cache(maxsize=32)
def _merged(additions: tuple[tuple[str, int, int], ...]) -> Catalogue:
    own = _read_toml(BUILTIN_CATALOGUE)
    vocabulary = _vocabulary(BUILTIN_CATALOGUE, own.get(VOCABULARY))
    own = {table: entries for table, entries in own.items() if table != VOCABULARY}
    sources = [(BUILTIN_CATALOGUE, own, True)]
    sources += [(Path(name), _read_catalogue_file(Path(name)), False) for name, _, _ in additions]
    merged: dict[str, dict[str, _Entry]] = {table: {} for table in CATALOGUE_TABLES}
    for path, data, own in sources:
        for table, entries in _entries(path, data, own).items():
            for name, entry in entries.items():
                earlier = merged[table].get(name)
                if earlier is not None:
                    by = ("ipt-plan's own catalogue" if earlier.path == BUILTIN_CATALOGUE
                          else str(earlier.path))
                    entry.fail(f"is already a {_KIND[table]} of {by}: a clinic's addition "
                               f"may not redefine it; give it a name of its own")
                merged[table][name] = entry
    for entry in merged["phases"].values():
        entry.words("purpose", CONDITION_WORDS)
    phases = {name: PhaseInfo(name, e.text("label"), e.text("purpose"), e.texts("aliases"))
              for name, e in merged["phases"].items()}
    unknown = [name for name in phases if name not in PHASE_ORDER]
    if unknown:
        merged["phases"][unknown[0]].fail(f"is not a phase ipt-plan knows "
                                          f"(known: {', '.join(PHASE_ORDER)})")
    areas = {name: Area(name, e.text("label"), e.text("summary"), e.texts("goals", non_empty=True),
                        e.texts("stages"))
             for name, e in merged["areas"].items()}
    techniques = {name: _technique(e, areas) for name, e in merged["techniques"].items()}
    for name, technique in techniques.items():
        unknown = [t for t in technique.after_any if t not in techniques]
        if unknown:
            merged["techniques"][name].fail(
                f"'after_any' names {joined([repr(visible(u)) for u in unknown])}, which is "
                "no technique of the catalogue (`ipt-plan techniques` lists them)")
    for name, entry in merged["areas"].items():
        areas[name] = areas[name]._replace(stage_work=_stage_work(entry, areas[name], techniques))
    measures = {name: _scale(e) for name, e in merged["measures"].items()}
    participants = {name: Participant(name, e.text("label"), e.text("description"))
                    for name, e in merged["participants"].items()}
    return Catalogue(techniques, areas, measures, phases, participants, vocabulary)


# --- protocol profiles -----------------------------------------------------------------


class ExpectedParticipant(NamedTuple):
    """Someone the protocol expects to join sessions of these phases (`[[participants]]`)."""

    who: str  # a participant of the catalogue: parent
    phases: tuple[str, ...]
    when: str  # in the source's words: "the first session, mid-treatment ..., and the end"
    source: str
    # The phases where at least one session must have them (IPT308); the others of
    # `phases` only when the problem calls for it. Empty: none required.
    required_in: tuple[str, ...] = ()
    stand_ins: tuple[str, ...] = ()  # participants who may come in their place: carer


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
    # The fields below are optional in a profile file: their defaults are ipt-plan's.
    format: str = "individual"  # of the course's sessions: "individual" or "group"
    # Tasks on the agenda of the course's first session (session 0 where the plan has
    # one, else session 1), from `[standing] first_session`.
    first_session_tasks: tuple[str, ...] = ()
    participants: tuple[ExpectedParticipant, ...] = ()  # who joins, when (`[[participants]]`)
    sick_role: str = "full"  # "full", or "limited" (IPT-A: school goes on)
    sick_role_note: str | None = None
    usual_measures: tuple[str, ...] = ()  # the rating scales the protocol usually uses
    # A practice the protocol leaves out, with the words that betray it in a plan's text
    # (`[forbidden_words]`), as (practice, words) pairs: IPT305 warns on each word.
    forbidden_words: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The last share of the middle phase (rounded down, at least its last session) in
    # which a focus first worked on is new work left too late (IPT307).
    late_work_share: float = 0.25
    # Initial tasks that build on each other, in order (`initial_order`): each comes in
    # the same session as the one before it or later (IPT301).
    initial_order: tuple[str, ...] = ()
    # The condition the protocol treats, as agendas say it (CONDITION_WORDS): its name
    # ("PTSD", "perinatal depression"), the short name for running text ("depression"),
    # the adjective ("depressive symptoms") and a few symptoms to ask about.
    condition: str = DEFAULT_CONDITION["condition"]
    condition_noun: str = DEFAULT_CONDITION["condition_noun"]
    condition_adjective: str = DEFAULT_CONDITION["condition_adjective"]
    condition_symptoms: str = DEFAULT_CONDITION["condition_symptoms"]

    def condition_words(self) -> dict[str, str]:
        """The values of CONDITION_WORDS for this protocol's texts."""
        return _condition_words(self.condition, self.condition_noun,
                                self.condition_adjective, self.condition_symptoms)

    def standing_tasks(self, phase: str) -> tuple[str, ...]:
        """The techniques the protocol expects in every session of this phase."""
        return next((tasks for name, tasks in self.standing if name == phase), ())


def _condition_words(condition: str, noun: str, adjective: str, symptoms: str) -> dict[str, str]:
    return {"condition": condition, "Condition": condition[:1].upper() + condition[1:],
            "condition_noun": noun, "condition_adjective": adjective,
            "condition_symptoms": symptoms}


def condition_words(profile: Profile | None) -> dict[str, str]:
    """The values of CONDITION_WORDS: the profile's, or depression's without one."""
    if profile is not None:
        return profile.condition_words()
    return _condition_words(*(DEFAULT_CONDITION[key] for key in
                              ("condition", "condition_noun", "condition_adjective",
                               "condition_symptoms")))


def in_words_of(text: str, profile: Profile | None) -> str:
    """A catalogue text that takes only CONDITION_WORDS (a phase's purpose, a technique's
    description) as said for the protocol's condition: depression's without a profile."""
    return fill(text, condition_words(profile)) or text


def _condition(data: dict) -> dict[str, str]:
    """The `condition` keys of a profile. Without `condition` (a profile written before
    it), or with "depression", the missing ones are depression's; for another condition
    the short name is the name and the adjective the short name unless the file says."""
    found = {}
    for key, example in (("condition", "PTSD"), ("condition_noun", "depression"),
                         ("condition_adjective", "depressive"),
                         ("condition_symptoms", "sleep, appetite, energy and interest")):
        if key not in data:
            continue
        value = data[key]
        if not isinstance(value, str) or not value.strip() or value != value.strip() \
                or not value.isprintable():
            raise ProfileError(f"'{key}' must be text on one line, like {key} = \"{example}\"")
        found[key] = value
    name = found.get("condition", DEFAULT_CONDITION["condition"])
    if name == DEFAULT_CONDITION["condition"]:
        return {**DEFAULT_CONDITION, **found}
    noun = found.get("condition_noun", name)
    adjective = found.get("condition_adjective", noun)
    return {"condition": name, "condition_noun": noun, "condition_adjective": adjective,
            "condition_symptoms": found.get("condition_symptoms", f"{adjective} symptoms")}


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
            raise ProfileError(f"'{key}' names {', '.join(map(visible, unknown))}, which "
                               f"ipt-plan does not know (known: {', '.join(allowed)})")
    return tuple(value)


def _choice(data: dict, key: str, choices: tuple[str, ...]) -> str:
    value = data.get(key, choices[0])
    if value not in choices:
        raise ProfileError(f"'{key}' must be " + joined([f'"{c}"' for c in choices], "or")
                           + f" (the default is \"{choices[0]}\")")
    return value


def _first_phases(phases: tuple[str, ...], optional: tuple[str, ...],
                  order: tuple[str, ...]) -> list[str]:
    """The phases a course of the protocol may begin with: a pre-treatment session where
    the protocol allows one, and every phase it allows up to its first required one."""
    allowed = [p for p in order if p in phases + optional]
    first: list[str] = []
    for phase in allowed:
        first.append(phase)
        if phase in phases and phase != "pretreatment":
            break
    return first


def _standing(data: dict, cat: Catalogue, forbidden: tuple[str, ...], first: list[str]
              ) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...]]:
    """The `[standing]` table: for each phase, the techniques every session of it holds;
    and under `first_session`, the tasks of the course's first session."""
    table = data.get("standing", {})
    if not isinstance(table, dict):
        raise ProfileError("'standing' must be a table of phases, like [standing] with "
                           "middle = [\"symptom_review\"]")
    unknown = [phase for phase in table if phase not in (*PHASE_ORDER, "first_session")]
    if unknown:
        raise ProfileError(f"'standing' names the phase {', '.join(map(visible, unknown))}, "
                           f"which ipt-plan does not know (known: {', '.join(PHASE_ORDER)}; "
                           "and first_session for the course's first session)")
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
    key = "standing.first_session"
    first_session = _names({key: table.get("first_session", [])}, key, tuple(cat.techniques))
    for task in first_session:
        if task in forbidden:
            raise ProfileError(f"'{key}' asks the first session for {task}, which 'forbidden' "
                               "forbids")
        elsewhere = [p for p in first if p not in cat.techniques[task].phases]
        if elsewhere:
            raise ProfileError(f"'{key}' asks for {task}, which does not belong to the "
                               f"{joined(elsewhere, 'or')} phase, where a course of this "
                               f"protocol may begin (it belongs to the "
                               f"{', '.join(cat.techniques[task].phases)} phases)")
    return tuple(standing), first_session


def _initial_order(data: dict, cat: Catalogue) -> tuple[str, ...]:
    """The `initial_order` list: tasks of the opening of a course that build on each other,
    in the order they are given (the inventory, then the formulation, then the contract)."""
    order = _names(data, "initial_order", tuple(cat.techniques))
    twice = sorted({task for task in order if order.count(task) > 1})
    if twice:
        raise ProfileError(f"'initial_order' names {', '.join(twice)} more than once")
    elsewhere = [task for task in order
                 if not {"pretreatment", "initial"} & set(cat.techniques[task].phases)]
    if elsewhere:
        raise ProfileError(f"'initial_order' names {', '.join(elsewhere)}, which does not "
                           "belong to the initial phase")
    return order


def _participants(data: dict, cat: Catalogue, allowed_phases: tuple[str, ...]
                  ) -> tuple[ExpectedParticipant, ...]:
    """The `[[participants]]` tables: who the protocol expects to join, in which phases."""
    value = data.get("participants", [])
    example = ('like [[participants]] with who = "parent", phases = ["initial"], '
               'when = "...", source = "..."')
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ProfileError(f"'participants' must be tables, {example}")
    expected = []
    for number, entry in enumerate(value, 1):
        where = f"participants entry {number}"
        keys = ("who", "phases", "when", "source", "required_in", "stand_ins")
        unknown = sorted(set(entry) - set(keys))
        if unknown:
            raise ProfileError(f"{where} has the key {', '.join(map(visible, unknown))}, which "
                               f"ipt-plan does not read (the keys are: {', '.join(keys)})")
        for key in ("who", "when", "source"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ProfileError(f"{where} needs '{key}' as text, {example}")
        if entry["who"] not in cat.participants:
            raise ProfileError(f"{where} names '{visible(entry['who'])}', who is not a "
                               "participant ipt-plan knows; " + did_you_mean_then(
                                   entry["who"], cat.participants,
                                   f"the participants are: {', '.join(cat.participants)} "
                                   "(a clinic adds its own in a catalogue.toml)"))
        phases = _names({f"{where} phases": entry.get("phases", [])}, f"{where} phases")
        if not phases:
            raise ProfileError(f"{where} needs the phases in which they join, {example}")
        elsewhere = [p for p in phases if p not in allowed_phases]
        if elsewhere:
            raise ProfileError(f"{where} names the phase {', '.join(map(visible, elsewhere))}, "
                               f"which this protocol does not have (its phases: "
                               f"{', '.join(allowed_phases)})")
        required = _names({f"{where} required_in": entry.get("required_in", [])},
                          f"{where} required_in")
        extra = [p for p in required if p not in phases]
        if extra:
            raise ProfileError(f"{where} requires them in the {', '.join(map(visible, extra))} "
                               f"phase, which is not among its phases ({', '.join(phases)}); "
                               "'required_in' names some of 'phases'")
        stand_ins = _names({f"{where} stand_ins": entry.get("stand_ins", [])},
                           f"{where} stand_ins")
        unknown = [name for name in stand_ins
                   if name not in cat.participants or name == entry["who"]]
        if unknown:
            raise ProfileError(f"{where} names '{visible(unknown[0])}' in 'stand_ins', who is not "
                               f"another participant ipt-plan knows; the participants are: "
                               f"{', '.join(cat.participants)} (a clinic adds its own in a "
                               "catalogue.toml)")
        expected.append(ExpectedParticipant(entry["who"], phases, entry["when"], entry["source"],
                                            required, stand_ins))
    return tuple(expected)


def _forbidden_words(data: dict) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The `[forbidden_words]` table: each practice the protocol leaves out, with the words
    or phrases that betray it in a plan's text."""
    table = data.get("forbidden_words", {})
    example = 'like [forbidden_words] with exposure = ["exposure", "in vivo"]'
    if not isinstance(table, dict):
        raise ProfileError(f"'forbidden_words' must be a table of practices, {example}")
    found = []
    for practice, words in table.items():
        if not PHRASE.fullmatch(practice):
            raise ProfileError(f"'forbidden_words' names the practice '{visible(practice)}'; a "
                               f"practice is named in words, {example}")
        listed = word_list(words)
        if listed is None:
            raise ProfileError(f"'forbidden_words.{practice}' must be a list of words or phrases, "
                               "each of words joined by single spaces or hyphens, "
                               f"{example}")
        found.append((practice, listed))
    return tuple(found)


def profile_from_toml(text: str, path: str, cat: Catalogue | None = None) -> Profile:
    """The profile a file's text describes, checked against `cat` (ipt-plan's catalogue
    unless a clinic's additions are given); ProfileError says what is wrong."""
    try:
        data = cached("toml", (text.encode("utf-8"),), lambda: toml_loads(text), expect=dict)
    except TOMLError as err:
        raise ProfileError(f"it is not valid TOML ({err})") from None
    cat = cat or catalogue()
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
    phases = _names(data, "phases", PHASE_ORDER) or ("initial", "middle", "termination")
    optional_phases = _names(data, "optional_phases", PHASE_ORDER)
    phase_order = _names(data, "phase_order", PHASE_ORDER) or PHASE_ORDER
    activities = tuple(cat.techniques) + ACTIVITY_WORDS
    forbidden = _names(data, "forbidden", activities)
    standing, first_session = _standing(data, cat, forbidden,
                                        _first_phases(phases, optional_phases, phase_order))
    share = data.get("late_work_share", 0.25)
    if (not isinstance(share, (int, float)) or isinstance(share, bool)
            or not 0 < share < 1):
        raise ProfileError("'late_work_share' must be a share of the middle phase between 0 "
                           "and 1, like late_work_share = 0.25 (its last quarter)")
    initial_order = _initial_order(data, cat)
    note = data.get("sick_role_note")
    if note is not None and (not isinstance(note, str) or not note.strip()):
        raise ProfileError("'sick_role_note' must be text, like sick_role_note = \"...\"")
    return Profile(
        name=data["name"], title=data["title"], source=data["source"], path=path,
        sessions=sessions,
        minutes=_range(data, "minutes"),
        cadences=_names(data, "cadences", CADENCES) or CADENCES,
        max_weeks=max_weeks,
        phases=phases,
        optional_phases=optional_phases,
        phase_order=phase_order,
        initial_sessions=_range(data, "initial_sessions", [1, 3]),
        termination_sessions=_range(data, "termination_sessions", [2, 4]),
        ending_notice=notice,
        foci=_range(data, "foci", [1, 2]),
        areas=_names(data, "areas", tuple(cat.areas)) or tuple(cat.areas),
        initial_tasks=_names(data, "initial_tasks", tuple(cat.techniques)),
        termination_tasks=_names(data, "termination_tasks", tuple(cat.techniques)),
        forbidden=forbidden,
        standing=standing,
        format=_choice(data, "format", FORMATS),
        first_session_tasks=first_session,
        participants=_participants(data, cat, phases + optional_phases),
        sick_role=_choice(data, "sick_role", SICK_ROLES),
        sick_role_note=note,
        usual_measures=_names(data, "usual_measures", tuple(cat.measures)),
        forbidden_words=_forbidden_words(data),
        late_work_share=float(share),
        initial_order=initial_order,
        **_condition(data),
    )


def load_profile_file(path: Path, extra: tuple[Path, ...] = ()) -> Profile:
    """The profile in `path`, checked against the catalogue with the additions of the
    `extra` protocol folders."""
    try:
        text = read_regular(path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ProfileError(f"it cannot be read ({getattr(err, 'strerror', None) or err})") from None
    return profile_from_toml(text, str(path), catalogue(extra))


def protocol_dirs(extra: tuple[Path, ...] = ()) -> tuple[Path, ...]:
    """Folders searched for `protocol NAME`: a clinic's own first, then the built-in ones."""
    return (*extra, BUILTIN_PROTOCOLS)


def _profile_at(path: Path, mtime: float, extra: tuple[Path, ...] = ()) -> Profile:
    return _checked_profile(path, mtime, extra, _catalogue_stamps(extra))


@lru_cache(maxsize=64)
def _checked_profile(path: Path, mtime: float, extra: tuple[Path, ...],
                     stamps: tuple[tuple[str, int, int], ...]) -> Profile:
    """Cached by the file's and the clinic catalogues' state: a profile is checked
    against the catalogue, so a changed catalogue checks it again."""
    return load_profile_file(path, extra)


def _is_catalogue(path: Path) -> bool:
    return path.name == CATALOGUE_FILE


def find_profile(name: str, extra: tuple[Path, ...] = ()) -> Profile | None:
    """The profile called `name` in the protocol folders, or None."""
    extra = tuple(extra)
    for folder in protocol_dirs(extra):
        path = folder / f"{name}.toml"
        if path.is_file() and not _is_catalogue(path):
            return _profile_at(path, path.stat().st_mtime, extra)
    return None


def profile_file(path: Path, extra: tuple[Path, ...] = ()) -> Profile:
    return _profile_at(path, path.stat().st_mtime, tuple(extra))


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


def find_profile_file(ref: str, folders: tuple[Path, ...],
                      extra: tuple[Path, ...] = ()) -> Profile | None:
    """The profile file a plan names by path (`protocol "our-ipt.toml"`), read from the
    first of `folders` that holds it, or None. A path that leads out of them is never
    opened: a plan can neither read other files nor learn whether they exist. A clinic's
    catalogue.toml is not a profile."""
    for folder in folders:
        path = _within(folder, ref)
        if path is not None and not _is_catalogue(path):
            return profile_file(path, extra)
    return None


def available_profiles(extra: tuple[Path, ...] = ()) -> dict[str, Profile | ProfileError]:
    """Every profile that `protocol NAME` can name, the first folder winning a name."""
    extra = tuple(extra)
    found: dict[str, Profile | ProfileError] = {}
    for folder in protocol_dirs(extra):
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            if path.stem in found or _is_catalogue(path):
                continue
            try:
                found[path.stem] = _profile_at(path, path.stat().st_mtime, extra)
            except ProfileError as err:
                found[path.stem] = err
    return found


class ProtocolProblem(LookupError):
    """Why `protocol REF` names no usable profile: a diagnostic's code, message and hint."""

    def __init__(self, code: str, message: str, hint: str | None = None,
                 suggestion: str | None = None):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint
        self.suggestion = suggestion  # the protocol the hint's "did you mean" offers


def _is_profile_file(ref: str) -> bool:
    return ref.endswith(".toml") or "/" in ref or "\\" in ref


def resolve_profile(ref: str | None, base: Path, extra: tuple[Path, ...] = ()) -> Profile:
    """The profile `protocol REF` names (`ipt` for None): a name in the protocol folders,
    or a file path read from `base` (the plan's folder) or those folders. Raises
    ProtocolProblem saying why not. The one lookup of plans, `ipt-plan new` and agendas."""
    ref = ref or DEFAULT_PROTOCOL
    if _is_profile_file(ref):
        try:
            profile = find_profile_file(ref, (base, *extra), extra)
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
                                                cutoff=0.5), closest(ref, names, cutoff=0.5))
    return profile
