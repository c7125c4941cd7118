"""Hover: what the word under the cursor means, in the catalogue's words and the plan's.
A technique gives its description and prompts as the session's agenda says them; a focus
its area, description, goals, stages and death; a `session N` line the session's date
(held, or projected where the plan has a log), phase and the scales due; a scale,
participant or protocol what the catalogue or profile says of it; and a diagnostic under
the cursor the rule's reasons and source. The word is read from the current text and
looked up by name, so a result a keystroke old still answers.
"""

from __future__ import annotations

import re
from typing import Iterable, NamedTuple

from ..agenda import AFTER_COURSE_PHASES, course_total, long_date, technique_texts
from ..diagnostics import Diagnostic
from ..knowledge import Catalogue, catalogue, in_words_of
from ..model import Focus, Plan
from ..result import Result
from ..rules import RULES
from ..schedule import session_states
from ..statements import first_word
from ..wording import joined

_WORD = re.compile(r"[A-Za-z0-9_-]+")


class Hover(NamedTuple):
    markdown: str
    line: int  # 1-based, with the word's columns (end exclusive)
    column: int
    end_column: int


def word_at(line_text: str, column: int) -> tuple[str, int, int] | None:
    """The name under (or just before) the 1-based `column`, with its columns."""
    for match in _WORD.finditer(line_text):
        if match.start() + 1 <= column <= match.end() + 1:
            return match.group(), match.start() + 1, match.end() + 1
    return None


def hover(lines: list[str], line: int, column: int, result: Result | None,
          diagnostics: Iterable[Diagnostic] = ()) -> Hover | None:
    """What to show for the 1-based `line` and `column` of the document's lines, from its
    last check (`result`) and the diagnostics shown on it."""
    text = lines[line - 1] if 1 <= line <= len(lines) else ""
    found = word_at(text, column)
    parts = []
    if found is not None and result is not None and result.plan is not None:
        part = _about(found[0], found[1], text, line, result)
        if part:
            parts.append(part)
    rules = [_rule(d) for d in diagnostics
             if d.line == line and d.column <= column < max(d.end_column, d.column + 1)]
    parts.extend(dict.fromkeys(r for r in rules if r))  # each rule once
    if not parts:
        return None
    start, end = (found[1], found[2]) if found else (column, column)
    return Hover("\n\n---\n\n".join(parts), line, start, end)


def _about(word: str, column: int, text: str, line: int, result: Result) -> str | None:
    plan = result.plan
    cat = result.catalogue or catalogue()
    keyword = first_word(text)
    leading = column == len(text) - len(text.lstrip()) + 1  # the line's first word
    if keyword == "session" and not leading and word in cat.participants:
        participant = cat.participants[word]
        return f"**{participant.label}**\n\n{participant.description}"
    if keyword == "session" and re.fullmatch(r"\s*session\s+\d+.*", text):
        return _session(plan, int(text.split()[1]), result)
    focus = plan.focus(word)
    if focus is not None and not leading:
        return _focus(focus, cat)
    if keyword in ("measure", "score") and word in cat.measures:
        scale = cat.measures[word]
        return (f"**{scale.name}**: {scale.label}\n\n{scale.items} items, total "
                f"{scale.low}-{scale.high}, rated by {scale.rater}.\n\nSource: {scale.source}")
    if keyword == "protocol" and result.profile is not None and not leading:
        return f"**{result.profile.title}**\n\nSource: {result.profile.source}"
    if leading and word in cat.techniques:
        return _technique(word, line, result, cat)
    return None


def _technique(name: str, line: int, result: Result, cat: Catalogue) -> str:
    """As the agenda of the session the line is in says it (of the phase's first session
    for an `every session` line); prompts that need the course's count are the agenda's."""
    plan, technique = result.plan, cat.techniques[name]
    number = _session_of_line(plan, line)
    words: dict[str, str] = {}
    if number is not None:
        words["session_number"] = str(number)
        due = [m.name.text for m in plan.measures if m.due(number, plan.first_session)]
        if due:
            words["measures"] = joined(due)
    description, prompts = technique_texts(technique, result.profile,
                                           number == plan.first_session, words)
    area = cat.areas.get(technique.area or "")
    text = f"**{technique.label}** (`{name}`)"
    if area:
        text += f", for a {area.label.lower()}"
    text += f"\n\n{description}"
    if prompts:
        text += "\n\n" + "\n".join(f"- {prompt}" for prompt in prompts)
    return text


def _session_of_line(plan: Plan, line: int) -> int | None:
    """The session an activity line belongs to: its session's number, or the first of its
    phase for an `every session` line."""
    for phase in plan.phases:
        if any(a.loc.line == line for a in phase.every):
            return phase.first
        for session in phase.sessions:
            if any(a.loc.line == line for a in session.activities):
                return session.number
    return None


def _focus(focus: Focus, cat: Catalogue) -> str:
    area = cat.areas.get(focus.area.text)
    text = f"**{focus.id.text}**: {area.label if area else focus.area.text}"
    if focus.description:
        text += f"\n\n{focus.description}"
    if focus.goals:
        text += "\n\nGoals:\n" + "\n".join(f"- {goal.text}" for goal in focus.goals)
    if focus.stages:
        stages = [stage.name.text + (f" from session {stage.from_session.text}"
                                     if stage.from_session else "") for stage in focus.stages]
        text += "\n\nStage: " + ", then ".join(stages)
    if focus.died:
        text += f"\n\nDied: {focus.died.text}"
    return text


def _session(plan: Plan, number: int, result: Result) -> str | None:
    placed = next(((phase, session) for phase, session in plan.sessions()
                   if session.number == number), None)
    if placed is None:
        return None
    phase, session = placed
    cat = result.catalogue or catalogue()
    total = course_total(plan.sessions())
    info = cat.phases.get(phase.kind)
    text = f"**Session {number}**" + (f" of {total}" if phase.kind not in AFTER_COURSE_PHASES
                                      and number >= 1 else "")
    if session.title:
        text += f": {session.title}"
    state = _states(result).get(number)
    if state is not None and state.date is not None:
        status = "" if plan.log is None else f" ({state.status}"
        if status and state.moved and state.planned is not None:
            status += f"; planned for {state.planned.date().isoformat()}"
        text += (f"\n\n{long_date(state.date.date())} at {state.date:%H:%M}"
                 + (status + ")" if status else ""))
    if info is not None:
        text += f"\n\n{info.label}: {in_words_of(info.purpose, result.profile)}"
    due = [m.name.text for m in plan.measures if m.due(number, plan.first_session)]
    if due:
        text += f"\n\nRated: {joined(due)}"
    return text


_last_states: list = [None, {}]  # the last result asked about, and its sessions' states


def _states(result: Result) -> dict:
    """Each session's state (held, projected...) and date, for the last result asked about:
    a long course's take a while to work out, and hovers come one after another."""
    if _last_states[0] is not result:
        _last_states[:] = [result, session_states(result.plan, result.today)]
    return _last_states[1]


def _rule(d: Diagnostic) -> str | None:
    rule = RULES.get(d.code)
    if rule is None:
        return None
    return (f"**{rule.code}** ({rule.name}): {rule.summary}\n\n{rule.rationale}\n\n"
            f"Source: {rule.source}")
