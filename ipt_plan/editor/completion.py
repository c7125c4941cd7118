"""Completion: what may be written at the cursor (context.where), offered from the
catalogue, the protocol profiles and the plan itself, each with what it is in the
catalogue's own words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, NamedTuple

from ..builder import HEADER_KEYWORDS
from ..knowledge import Catalogue, Profile, available_profiles, catalogue, in_words_of
from ..model import DELIVERIES, FORMATS, HOMEWORK_OUTCOMES, PHASE_ORDER, Plan
from ..result import Result
from ..statements import LINE_FORMS
from .context import Block, Where, where

# What a block's lines may start with, after the names of the block's own kind.
TOP_LEVEL = ("focus", "phase", "log")
PHASE_LINES = ("session", "every session", "note")
SESSION_LINES = ("homework", "note")
LOG_LINES = ("score", "homework", "risk", "note")
GRIEF = "grief"  # the one area whose focus has a died line (rules/problem_areas.py)


class Item(NamedTuple):
    label: str
    kind: str  # keyword | technique | focus | participant | scale | protocol | stage | phase
    #            | area | value
    detail: str | None = None  # a short label
    documentation: str | None = None  # what it is, in the catalogue's words (Markdown)


def complete(lines: list[str], line: int, column: int, result: Result | None,
             protocol_dirs: Iterable[Path] = ()) -> tuple[Where, list[Item]]:
    """What may be written at the 1-based `line` and `column` of the document's
    normalised lines, from the document's last check (`result`; None before any)."""
    at = where(lines, line, column)
    cat = (result.catalogue if result else None) or catalogue()
    profile = result.profile if result else None
    plan = result.plan if result else None
    kind = at.kind
    if kind == "keyword":
        items = _line_starts(at.block, cat, profile, plan)
    elif kind == "phase":
        items = [Item(name, "phase", info.label, in_words_of(info.purpose, profile))
                 for name, info in cat.phases.items()] or [Item(p, "phase") for p in PHASE_ORDER]
    elif kind == "protocol":
        items = [_protocol_item(name, found) for name, found in
                 available_profiles(tuple(Path(d) for d in protocol_dirs)).items()]
    elif kind == "scale":
        items = [Item(name, "scale", scale.label,
                      f"{scale.items} items, total {scale.low}-{scale.high}, rated by "
                      f"{scale.rater}.\n\nSource: {scale.source}")
                 for name, scale in cat.measures.items()]
    elif kind == "stage":
        items = _stages(at.block, cat)
    elif kind == "area":
        items = [Item(name, "area", area.label, area.summary) for name, area in cat.areas.items()]
    elif kind == "focus":
        items = [_focus_item(focus, cat) for focus in (plan.foci if plan else ())
                 if focus.id.text not in at.taken]
    elif kind == "participant":
        items = [Item(name, "participant", p.label, p.description)
                 for name, p in cat.participants.items() if name not in at.taken]
    else:
        words = {"delivery": DELIVERIES, "format": FORMATS, "by": ("telephone", "video"),
                 "outcome": HOMEWORK_OUTCOMES}.get(kind, ())
        items = [Item(word, "value") for word in words]
    return at, items


def _line_starts(block: Block, cat: Catalogue, profile: Profile | None,
                 plan: Plan | None) -> list[Item]:
    """A line's first word: the block's own lines first, then those that open a block."""
    if block.kind == "start":
        return [_keyword("plan")]
    if block.kind == "header":
        return [_keyword(k) for k in (*HEADER_KEYWORDS, *TOP_LEVEL)]
    if block.kind == "focus":
        area = cat.areas.get(block.area or "")
        own = [k for k in ("goal", "stage", "died")
               if k == "goal" or (k == "stage" and (area is None or area.stages))
               or (k == "died" and (area is None or area.name == GRIEF))]
        return [_keyword(k) for k in (*own, *TOP_LEVEL)]
    if block.kind == "phase":
        return [_keyword(k) for k in (*PHASE_LINES, *TOP_LEVEL)]
    if block.kind == "session":
        return [*_techniques(block.phase, cat, profile),
                *(_keyword(k) for k in (*SESSION_LINES, *PHASE_LINES[:2], *TOP_LEVEL))]
    return [_keyword(k) for k in (*LOG_LINES,)]


def _keyword(word: str) -> Item:
    form = LINE_FORMS.get(word.split()[0])
    return Item(word, "keyword", None, f"`{form}`" if form else None)


def _techniques(phase: str | None, cat: Catalogue, profile: Profile | None) -> list[Item]:
    """The techniques of the phase (all of them in a phase ipt-plan does not know)."""
    known = phase in PHASE_ORDER
    return [Item(name, "technique", t.label, in_words_of(t.description, profile))
            for name, t in cat.techniques.items() if not known or phase in t.phases]


def _stages(block: Block, cat: Catalogue) -> list[Item]:
    areas = [cat.areas[block.area]] if block.area in cat.areas else list(cat.areas.values())
    return [Item(stage, "stage", area.label) for area in areas for stage in area.stages]


def _focus_item(focus, cat: Catalogue) -> Item:
    area = cat.areas.get(focus.area.text)
    goals = "".join(f"\n- {goal.text}" for goal in focus.goals)
    return Item(focus.id.text, "focus", area.label if area else focus.area.text,
                (focus.description or "") + (f"\n\nGoals:{goals}" if goals else ""))


def _protocol_item(name: str, found: object) -> Item:
    if isinstance(found, Profile):
        return Item(name, "protocol", found.title, f"Source: {found.source}")
    return Item(name, "protocol", f"cannot be used: {found}")
