"""Output: agendas laid out as Markdown, HTML or plain text by Jinja2 templates.

The only module that imports jinja2. Templates run in Jinja's sandbox with
`StrictUndefined`, so a user's template can read the agenda records and nothing else, and
a typo stops with the template's name and line instead of printing a blank. Text from a
plan only ever reaches a template as data, never as template source: `{{ 7*7 }}` in a title
prints as written, and HTML output escapes it.

    for document in ipt_plan.render(ipt_plan.load_file("plan.iptplan"), fmt="html"):
        print(document.name)       # overview.html, session-01.html, ...

With `pack=True` (HTML only) the last document is course.html: the overview and every
session in one file, each on a page of its own when printed.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import math
import os
import re
import signal
import string
import threading
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateSyntaxError
from jinja2.exceptions import SecurityError, TemplateNotFound, UndefinedError
from jinja2.filters import do_format as _format_filter
from jinja2.filters import do_indent as _indent_filter
from jinja2.filters import do_replace as _replace_filter
from jinja2.compiler import CodeGenerator
from jinja2.environment import TemplateModule
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment, safe_range

from . import agenda, charts
from .wording import did_you_mean, plural, visible_lines
from .agenda import Course, course_from_result
from .resources import resource_dir

if TYPE_CHECKING:
    from .result import Result

FORMATS = ("md", "html", "txt")
# The templates a render uses, by format; everything else in a templates folder (shared
# layouts and macros) is reached from these.
TEMPLATE_NAMES = ("overview.{fmt}.j2", "session.{fmt}.j2")
# The whole course in one file, to print in one go (`render(..., pack=True)`): the
# overview, then each session on a page of its own. HTML only: the page breaks are its
# style sheet's, and Markdown and plain text have none a printer keeps.
PACK_FORMATS = ("html",)
PACK_TEMPLATE = "course.{fmt}.j2"


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
_AGENDA_RECORDS = (agenda.FocusSummary, agenda.DisputeStage, agenda.AgendaItem,
                   agenda.MeasureDue, agenda.SessionAgenda, agenda.ScheduleRow,
                   agenda.PhaseSummary, agenda.MeasurePlan, agenda.ScheduleSegment, agenda.Course,
                   agenda.LoggedAppointment, agenda.LoggedScore, agenda.ScoreTaken,
                   agenda.ScaleScores, agenda.RiskAlert, charts.Plot, charts.PlotPoint,
                   charts.PlotBand, charts.Tick)
# Read as the agenda records are, without the sandbox's checks: an imported template's
# macros (`w.for_foci`) and a loop's `loop.last`. Both are Jinja's own objects whose
# public names are what the sandbox would hand out anyway; its checks on them were a
# quarter of a render's time (some 230 lookups a plan at 8 µs each).
_READ_DIRECTLY = (*_AGENDA_RECORDS, TemplateModule, LoopContext)


# What a template may make, far beyond any agenda (a 20,000-session overview is about
# 3 MB): without bounds, `{{ 'x' * 10**10 }}` or loops inside loops run out of memory or
# never end, and a batch with them.
MAX_SIZE = 16_000_000  # characters of one document, or items of one text or list
MAX_DIGITS = 4_300  # of one number: Python's own limit for printing one
MAX_STEPS = 1_000_000  # range() items of one document, all loops together
TIME_LIMIT = 60.0  # seconds to render one plan; one of 20,000 sessions takes about 10

_SIZED = (str, list, tuple)
# The width and precision of a printf-style conversion: `%-10.3f`, `%(name)10s`.
_PRINTF_NUMBERS = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\d*)(?:\.(\d*))?")


class _TooMuch(Exception):
    """A template asked for more than a template may make; the message says what."""


def _limit(what: str, amount: int, most: int, made: str, unit: str) -> None:
    if amount > most:
        raise _TooMuch(f"{what} would make {made} of {amount:,} {unit}; templates are "
                       f"limited to {most:,}")


def _limit_size(what: str, items: int) -> None:
    _limit(what, items, MAX_SIZE, "a text or list", "items")


def _limit_digits(what: str, log10: float) -> None:
    _limit(what, int(log10) + 1, MAX_DIGITS, "a number", "digits")


def _check_size(value):
    if isinstance(value, _SIZED):
        _limit_size("this line", len(value))
    return value


def _check_numbers(args, kwargs) -> None:
    """No argument asks for a width, count or length beyond what a document may hold."""
    for value in (*args, *kwargs.values()):
        if type(value) is int and abs(value) > MAX_SIZE:
            raise _TooMuch(f"this line asks for a width or count of {value:,}; templates "
                           f"are limited to {MAX_SIZE:,}")


def _check_printf(text: str) -> None:
    """`'%0100000000d' % 1` asks for a text of that width."""
    for match in _PRINTF_NUMBERS.finditer(text):
        _check_numbers([int(n) for n in match.groups() if n], {})


def _check_str_format(text: str) -> None:
    """`'{:>100000000}'.format(1)` likewise."""
    for _, _, spec, _ in string.Formatter().parse(text):
        _check_numbers([int(n) for n in re.findall(r"\d+", spec or "")], {})


def _log10(number: int) -> float:
    return math.log10(abs(number)) if number else 0.0


def _check_replace(text: object, old: object, new: object) -> None:
    """`text.replace(old, new)` sized before it runs: a long `new` put in for every `old`
    of a long text would fill the memory before its size could be checked."""
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        grows = max(0, len(new) - len(old))
        if grows:
            _limit_size("replace", len(text) + grows * (text.count(old) if old else len(text) + 1))


def _check_indent(text: object, width: object) -> None:
    if isinstance(text, str):
        step = len(width) if isinstance(width, str) else width if type(width) is int else 0
        _limit_size("indent", len(text) + max(0, step) * (text.count("\n") + 1))


def _bounded_filter(func):
    @functools.wraps(func)  # keeps the pass_context/pass_environment mark Jinja reads
    def bounded(*args, **kwargs):
        _check_numbers(args, kwargs)
        if func is _format_filter and args and isinstance(args[0], str):
            _check_printf(args[0])
        elif func is _replace_filter and len(args) >= 4:  # (eval_ctx, text, old, new)
            _check_replace(*args[1:4])
        elif func is _indent_filter and args:
            _check_indent(args[0], args[1] if len(args) > 1 else kwargs.get("width", 4))
        return _check_size(func(*args, **kwargs))
    return bounded


class _BoundedCode(CodeGenerator):
    """Templates compiled so that `a ~ b` (joining texts) is sized as it is made: a text
    joined to itself in a loop doubles each turn, and no operator hook sees `~`."""

    def visit_Concat(self, node, frame) -> None:
        self.write("environment.joined_within_limits(")
        super().visit_Concat(node, frame)
        self.write(")")


_steps: contextvars.ContextVar[list[int]] = contextvars.ContextVar("steps")


def _bounded_range(*args: int) -> range:
    """Jinja's range (at most 100,000 items), counted against the document's MAX_STEPS,
    so that a loop inside a loop stops after a few turns instead of running for hours."""
    items = safe_range(*args)
    left = _steps.get(None)  # None: not rendering a document (nothing to count against)
    if left is None:
        return items
    left[0] -= len(items)
    if left[0] < 0:
        raise _TooMuch(f"the loops of this template went over {MAX_STEPS:,} steps in one "
                       "document; templates are limited to that (a loop inside a loop?)")
    return items


class _AgendaSandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox, with a fast answer for the agenda's own records: their public
    attributes are data, so the generic checks (which took most of the render time, by
    cProfile) are kept for everything else: strings, lists, and anything a record holds.
    Operators, calls and filters that could make values without bound are checked
    before they run; lists and dicts cannot be changed (`append` in a loop grew one
    without bound), and `~` is sized as it joins."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BoundedCode

    @staticmethod
    def joined_within_limits(text):
        return _check_size(text)

    def is_safe_attribute(self, obj, attr: str, value) -> bool:
        if type(obj) in _AGENDA_RECORDS and not attr.startswith("_"):
            return True
        return super().is_safe_attribute(obj, attr, value)

    def getattr(self, obj, attribute):
        if type(obj) in _READ_DIRECTLY and not attribute.startswith("_"):
            try:  # a field: nothing more to check (a text's .format is looked up on it)
                return getattr(obj, attribute)
            except AttributeError:
                pass
        return super().getattr(obj, attribute)

    def call_binop(self, context, operator: str, left, right):
        what = f"'{operator}'"
        if operator == "*":
            if isinstance(left, _SIZED) and type(right) is int:
                _limit_size(what, len(left) * right)
            elif isinstance(right, _SIZED) and type(left) is int:
                _limit_size(what, len(right) * left)
            elif type(left) is int and type(right) is int:
                _limit_digits(what, _log10(left) + _log10(right))
        elif operator == "**":
            if type(left) is int and type(right) is int and right > 0:
                _limit_digits(what, _log10(left) * right)
        elif operator == "+":
            if isinstance(left, _SIZED) and isinstance(right, _SIZED):
                _limit_size(what, len(left) + len(right))
        elif operator == "%" and isinstance(left, str):  # printf-style formatting
            _check_printf(left)
            _check_numbers(right if isinstance(right, tuple) else (right,), {})
            return _check_size(left % right)
        return self.binop_table[operator](left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # Jinja's signature
        _check_numbers(args, kwargs)
        method = getattr(__obj, "__name__", None)
        if isinstance(getattr(__obj, "__self__", None), str) and len(args) >= 2:
            if method == "replace":
                _check_replace(__obj.__self__, args[0], args[1])
        return _check_size(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value):
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:  # `text.format`, checked as it is looked up
            _check_str_format(value.__self__)
        return wrapped


def _shown(value):
    """A text from the plan as an agenda prints it: control characters as escapes, so that
    `cat session-01.md` cannot drive a terminal, and a file name that is not UTF-8 still
    written (wording.visible_lines). Markup (HTML a macro made) was shown part by part.
    Called for every value printed: most are printable as they are, a test in C."""
    if type(value) is str and not value.isprintable():
        return visible_lines(value)
    return value


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
    env.finalize = _shown  # every value a template prints
    env.filters["plural"] = plural  # `3|plural("session")` is "3 sessions"
    env.filters["cell"] = _markdown_cell
    env.filters = {name: _bounded_filter(func) for name, func in env.filters.items()}
    env.globals["range"] = _bounded_range
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
            suggestion = did_you_mean(match.group(2), fields)
            return (f"{match.group(1)} has no field '{match.group(2)}'"
                    + (f"; {suggestion}" if suggestion else "")
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


class _TimeUp(Exception):
    """Raised in the rendering process when TIME_LIMIT has passed."""


def _time_up(signum, frame):
    raise _TimeUp


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt rendering after `seconds`, with a timer signal: set only where it
    disturbs no one (the main thread, which runs each batch worker, with no timer or
    SIGALRM handler of the caller's own); elsewhere the other bounds still hold."""
    if (not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()
            or signal.getitimer(signal.ITIMER_REAL)[0]
            or signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None)):
        yield
        return
    signal.signal(signal.SIGALRM, _time_up)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)


def _too_slow(path: str, line: int | None) -> TemplateProblem:
    return TemplateProblem(path, line, f"rendering one plan took longer than {TIME_LIMIT:g} s; "
                                       "templates are limited to that (a loop inside a loop?)")


def _render_template(env: SandboxedEnvironment, name: str, fmt: str, **context) -> str:
    steps = _steps.set([MAX_STEPS])
    try:
        template = env.get_template(name)
        name = template.filename or name  # what a problem outside the template's code names
        size, parts = 0, []
        # Piece by piece, so that output without bound is stopped as it passes the limit.
        for part in template.generate(**context):
            size += len(part)
            if size > MAX_SIZE:
                raise _TooMuch(f"the output passed {MAX_SIZE:,} characters for one document; "
                               "templates are limited to that (a loop that repeats text?)")
            parts.append(part)
        text = "".join(parts)
    except _TimeUp as err:
        raise _too_slow(*_template_frame(err, name)) from None
    except Exception as err:  # noqa: BLE001 - whatever a template does, say where
        path, line = _template_frame(err, name)
        raise TemplateProblem(path, line, _explain(err)) from None
    finally:
        _steps.reset(steps)
    return _tidy(text, fmt)


def check_templates(fmt: str, templates: Path | None = None, pack: bool = False) -> None:
    """Compile the templates a render uses, so that a syntax error stops a batch before
    any plan is rendered. Raises TemplateProblem."""
    env = environment(fmt, templates)
    for pattern in TEMPLATE_NAMES + ((PACK_TEMPLATE,) if pack else ()):
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


def pack_file_name(fmt: str) -> str:
    """course.html: the whole course in one file (PACK_FORMATS)."""
    return f"course.{fmt}"


def pack_refused(fmt: str) -> str | None:
    """Why a pack cannot be made in `fmt` (None: it can)."""
    if fmt in PACK_FORMATS:
        return None
    return (f"a pack (the whole course in one file, to print) is made in HTML only (--format "
            f"html), not {fmt}, whose files keep no page breaks")


def render(source: Result | Course, fmt: str = "md",
           templates: str | os.PathLike | None = None, pack: bool = False) -> list[Document]:
    """The overview and every session's agenda of one plan, in the format asked for; with
    `pack`, then the whole course in one file to print (course.html: the overview, then
    each session on a page of its own; HTML only, else ValueError).

    `source` is a checked `Result` (one with errors raises result.PlanHasErrors) or a
    `Course` already built (agenda.build_course). `templates` is a folder whose templates override the
    built-in ones by name. A template that fails raises TemplateProblem."""
    if pack and (refused := pack_refused(fmt)):
        raise ValueError(refused)
    template_dir = Path(templates).resolve() if templates is not None else None
    if template_dir is not None and not template_dir.is_dir():
        raise ValueError(f"the templates folder {templates} does not exist")
    env = environment(fmt, template_dir)
    course = source if isinstance(source, Course) else course_from_result(source)
    last = max((s.number for s in course.sessions), default=0)
    try:
        with _time_limit(TIME_LIMIT):
            documents = [Document(f"overview.{fmt}", _render_template(
                env, f"overview.{fmt}.j2", fmt, course=course))]
            documents.extend(
                Document(session_file_name(s.number, last, fmt), _render_template(
                    env, f"session.{fmt}.j2", fmt, course=course, session=s))
                for s in course.sessions)
            if pack:
                documents.append(Document(pack_file_name(fmt), _render_template(
                    env, PACK_TEMPLATE.format(fmt=fmt), fmt, course=course)))
    except _TimeUp:  # between two templates
        raise _too_slow(str(template_dir or builtin_templates()), None) from None
    return documents
