"""Seventh stage: agendas laid out as Markdown, HTML or plain text by Jinja2 templates.

The only module that imports jinja2. Templates run in Jinja's sandbox with
`StrictUndefined`, so a user's template can read the agenda records and nothing else, and
a typo stops with the template's name and line instead of printing a blank. Text from a
plan only ever reaches a template as data, never as template source: `{{ 7*7 }}` in a title
prints as written, and HTML output escapes it.

    for document in ipt_plan.render(ipt_plan.load_file("plan.iptplan"), fmt="html"):
        print(document.name)       # overview.html, session-01.html, ...
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import traceback
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateSyntaxError
from jinja2.exceptions import SecurityError, TemplateNotFound, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from . import agenda
from .wording import plural
from .agenda import Course, build_course, course_from_result
from .model import Plan
from .resources import resource_dir

if TYPE_CHECKING:
    from .loader import Result

FORMATS = ("md", "html", "txt")
# The templates a render uses, by format; everything else in a templates folder (shared
# layouts and macros) is reached from these.
TEMPLATE_NAMES = ("overview.{fmt}.j2", "session.{fmt}.j2")


@dataclass(frozen=True)
class Document:
    """One rendered file: its name inside the plan's folder, and its text."""

    name: str  # overview.md, session-01.md
    text: str


class TemplateProblem(Exception):
    """A template that cannot be used: which file, which line, and why, for the person
    who wrote it. Raised by `render`; the batch reports it for each plan it stops."""

    def __init__(self, path: str, line: int | None, message: str):
        super().__init__(path, line, message)  # args, so that it pickles across processes
        self.path = path  # the template file
        self.line = line
        self.message = message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: template error: {self.message}"


def builtin_templates() -> Path:
    return resource_dir("templates")


def _markdown_cell(text: object) -> str:
    # A `|` in plan text would end a Markdown table cell; a line break would end the row.
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


# The agenda's own records: frozen dataclasses of plain data, whose public attributes
# are fields and properties. Templates read them thousands of times per batch.
_AGENDA_RECORDS = (agenda.FocusSummary, agenda.AgendaItem, agenda.MeasureDue,
                   agenda.SessionAgenda, agenda.ScheduleRow, agenda.PhaseSummary,
                   agenda.MeasurePlan, agenda.Course)


class _AgendaSandbox(SandboxedEnvironment):
    """Jinja's sandbox, with a fast answer for the agenda's own records: their public
    attributes are data, so the generic checks (which took most of the render time, by
    cProfile) are kept for everything else: strings, lists, and anything a record holds."""

    def is_safe_attribute(self, obj, attr: str, value) -> bool:
        if type(obj) in _AGENDA_RECORDS and not attr.startswith("_"):
            return True
        return super().is_safe_attribute(obj, attr, value)


@lru_cache(maxsize=16)
def environment(fmt: str, templates: Path | None = None) -> SandboxedEnvironment:
    """The sandbox for one format: the user's template folder first, then the built-in one.
    HTML escapes everything it prints; Markdown and text print plan text as written."""
    if fmt not in FORMATS:
        raise ValueError(f"there is no format {fmt!r}; the formats are {', '.join(FORMATS)}")
    folders = [str(templates)] if templates is not None else []
    folders.append(str(builtin_templates()))
    env = _AgendaSandbox(
        loader=ChoiceLoader([FileSystemLoader(folder) for folder in folders]),
        undefined=StrictUndefined, autoescape=fmt == "html",
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["plural"] = plural  # `3|plural("session")` is "3 sessions"
    env.filters["cell"] = _markdown_cell
    return env


def _template_frame(err: BaseException, fallback: str) -> tuple[str, int | None]:
    """The template file and line an error was raised at: Jinja rewrites tracebacks so
    that a template's frames carry its own file name and line."""
    if isinstance(err, TemplateSyntaxError):
        return err.filename or err.name or fallback, err.lineno
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if not f.filename.endswith(".py") and not f.filename.startswith("<frozen")]
    if frames:
        return frames[-1].filename, frames[-1].lineno
    return fallback, None


_NO_ATTRIBUTE = re.compile(r"'(?:[\w.]+\.)?(\w+) object' has no attribute '(\w+)'")


def _explain(err: BaseException) -> str:
    """Jinja's message, said for someone editing a template."""
    if isinstance(err, SecurityError):
        return (f"refused: {str(err).rstrip('.')}; templates run in a sandbox and can only "
                "read the agenda's fields")
    if isinstance(err, TemplateNotFound):
        return f"there is no template {err.name}"
    message = str(err) if str(err) else type(err).__name__
    if isinstance(err, UndefinedError):
        match = _NO_ATTRIBUTE.search(message)
        record = getattr(agenda, match.group(1), None) if match else None
        if record is not None and dataclasses.is_dataclass(record):
            fields = [f.name for f in dataclasses.fields(record)] + [
                name for name, value in vars(record).items() if isinstance(value, property)]
            close = difflib.get_close_matches(match.group(2), fields, n=1)
            return (f"{match.group(1)} has no field '{match.group(2)}'"
                    + (f"; did you mean '{close[0]}'?" if close else "")
                    + f" (its fields: {', '.join(fields)})")
        if message.endswith("is undefined"):
            return (f"{message}; overview templates get `course`, session templates "
                    "`course` and `session` (their fields are in ipt_plan/agenda.py)")
    if isinstance(err, TemplateSyntaxError):
        return f"{message} (a template syntax error)"
    return message


_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{3,}")


def _tidy(text: str, fmt: str) -> str:
    """Markdown and text: no trailing spaces, never two blank lines in a row, so that
    templates can space their blocks freely. HTML is left as the template wrote it."""
    if fmt != "html":
        text = _BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("", text)).lstrip("\n")
    return text.rstrip("\n") + "\n"  # one final newline, however the template ends


def _render_template(env: SandboxedEnvironment, name: str, fmt: str, **context) -> str:
    try:
        text = env.get_template(name).render(**context)
    except Exception as err:  # noqa: BLE001 - whatever a template does, say where
        path, line = _template_frame(err, name)
        raise TemplateProblem(path, line, _explain(err)) from None
    return _tidy(text, fmt)


def check_templates(fmt: str, templates: Path | None = None) -> None:
    """Compile the templates a render uses, so that a syntax error stops a batch before
    any plan is rendered. Raises TemplateProblem."""
    env = environment(fmt, templates)
    for pattern in TEMPLATE_NAMES:
        name = pattern.format(fmt=fmt)
        try:
            env.get_template(name)
        except Exception as err:  # noqa: BLE001
            path, line = _template_frame(err, name)
            raise TemplateProblem(path, line, _explain(err)) from None


def session_file_name(number: int, last: int, fmt: str) -> str:
    """session-01.md: numbers padded to the course's widest, so files sort in order."""
    width = max(2, len(str(last)))
    return f"session-{number:0{width}d}.{fmt}"


def _course(source: Result | Plan | Course) -> Course:
    if isinstance(source, Course):
        return source
    if isinstance(source, Plan):
        from .loader import resolve_profile

        profile, _ = resolve_profile(source)
        return build_course(source, profile)
    return course_from_result(source)


def render(source: Result | Plan | Course, fmt: str = "md",
           templates: str | os.PathLike | None = None) -> list[Document]:
    """The overview and every session's agenda of one plan, in the format asked for.

    `source` is a checked `Result` (one with errors raises agenda.AgendaError), a `Plan`,
    or a `Course` already built. `templates` is a folder whose templates override the
    built-in ones by name. A template that fails raises TemplateProblem."""
    template_dir = Path(templates).resolve() if templates is not None else None
    if template_dir is not None and not template_dir.is_dir():
        raise ValueError(f"the templates folder {templates} does not exist")
    env = environment(fmt, template_dir)
    course = _course(source)
    last = max((s.number for s in course.sessions), default=0)
    documents = [Document(f"overview.{fmt}",
                          _render_template(env, f"overview.{fmt}.j2", fmt, course=course))]
    documents.extend(
        Document(session_file_name(s.number, last, fmt),
                 _render_template(env, f"session.{fmt}.j2", fmt, course=course, session=s))
        for s in course.sessions)
    return documents
