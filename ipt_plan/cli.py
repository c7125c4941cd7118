"""The `ipt-plan` command: a thin layer that parses options, calls the library and
chooses the exit code (0 clean, 1 problems found, 2 usage error)."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__

app = typer.Typer(
    name="ipt-plan",
    help="Check interpersonal psychotherapy (IPT) treatment plans written as .iptplan files.\n\n"
         "Start with:  ipt-plan check plans/   (every plan in a folder)\n\n"
         "Exit codes: 0 clean (warnings allowed), 1 problems found, 2 usage error.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class Colour(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ipt-plan {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """Check interpersonal psychotherapy (IPT) treatment plans."""


ProtocolDirs = typer.Option(
    None, "--protocols", metavar="DIR",
    help="A folder of your clinic's own protocol profiles (*.toml), searched before the "
         "built-in ones. Repeatable.")


@app.command()
def check(
    paths: List[str] = typer.Argument(..., metavar="PATH...",
                                      help="Plan files, folders (searched for *.iptplan) or globs."),
    output_format: OutputFormat = typer.Option(
        OutputFormat.text, "--format", "-f",
        help="text for people; json for scripts; sarif for code-scanning tools; github for "
             "annotations in GitHub Actions."),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 1) on warnings too."),
    protocols: Optional[List[Path]] = ProtocolDirs,
    colour: Colour = typer.Option(Colour.auto, "--color", "--colour",
                                  help="Colour the text output: auto (on a terminal, unless "
                                       "NO_COLOR is set), always or never."),
    jobs: Optional[int] = typer.Option(
        None, "--jobs", "-j", min=1, metavar="N",
        help="Processes for large batches (64 plans or more). Default: the machine's cores."),
) -> None:
    """Check plans against IPT's structure and their protocol.

    Prints nothing and exits 0 when every plan is clean. Otherwise each problem is shown as
    path:line:col: severity[CODE]: message, with the line and a hint.

    Silence one rule on one line with a comment: # ipt-plan: ignore[IPT303]
    or in the whole plan: # ipt-plan: ignore-file[IPT106]. Project settings (select,
    ignore, severity, protocols) live in [tool.ipt-plan] in pyproject.toml or in
    ipt-plan.toml, found upward from each plan.

    Examples:

      ipt-plan check plans/ms-a.iptplan

      ipt-plan check plans/ --strict

      ipt-plan check 'clinic/**/*.iptplan' --format json
    """
    from . import report
    from .loader import check as check_paths

    results = check_paths(paths, protocols or (), jobs or os.cpu_count() or 1)
    missing = any(r.plan is None and r.text is None and any(
        d.message == "no such file or folder" for d in r.diagnostics) for r in results)
    if output_format is OutputFormat.text:
        style = report.Style(report.use_colour(colour.value, sys.stdout))
        out = report.format_text(results, style)
    else:
        out = {OutputFormat.json: report.format_json, OutputFormat.sarif: report.format_sarif,
               OutputFormat.github: report.format_github}[output_format](results)
    if out:
        sys.stdout.write(out)
    raise typer.Exit(report.exit_code(results, strict=strict, missing=missing))


@app.command()
def rules() -> None:
    """List every rule: code, default severity and what it checks."""
    from .rules import RULES

    for r in sorted(RULES.values(), key=lambda r: r.code):
        typer.echo(f"{r.code}  {r.severity.value:<7}  {r.name:<26} {r.summary}")


@app.command()
def explain(code: str = typer.Argument(..., help="A rule code, such as IPT203.")) -> None:
    """Explain one rule: why it exists, its source, and a failing and a passing example."""
    from .rules import RULES

    r = RULES.get(code.upper())
    if r is None:
        typer.echo(f"ipt-plan: there is no rule {code}; `ipt-plan rules` lists them", err=True)
        raise typer.Exit(2)
    indent = lambda text: "\n".join("    " + line for line in text.splitlines())  # noqa: E731
    typer.echo(f"{r.code} ({r.name}), {r.severity.value} by default\n\n{r.summary}.\n\n"
               f"Why:\n{indent(r.rationale)}\n\nSource: {r.source}\n\n"
               f"Fails:\n{indent(r.bad_example)}\n\nPasses:\n{indent(r.good_example)}")


@app.command()
def protocols(
    show: Optional[str] = typer.Option(None, "--show", metavar="NAME",
                                       help="Print one profile's whole file."),
    dirs: Optional[List[Path]] = ProtocolDirs,
) -> None:
    """List the protocol profiles a plan can name with `protocol NAME`."""
    from .knowledge import ProfileError, available_profiles

    found = available_profiles(tuple(dirs or ()))
    if show is not None:
        profile = found.get(show)
        if profile is None or isinstance(profile, ProfileError):
            typer.echo(f"ipt-plan: no usable protocol '{show}'; known: {', '.join(found)}", err=True)
            raise typer.Exit(2)
        typer.echo(Path(profile.path).read_text(encoding="utf-8"), nl=False)
        return
    for name, profile in found.items():
        if isinstance(profile, ProfileError):
            typer.echo(f"{name:<10} (cannot be used: {profile})")
            continue
        low, high = profile.sessions
        count = str(low) if low == high else f"{low}-{high}"
        typer.echo(f"{name:<10} {count:>5} sessions  {profile.title}\n{'':<10} source: {profile.source}")


@app.command()
def techniques() -> None:
    """List the techniques a session can use, with the phases and problem area of each."""
    from .knowledge import catalogue

    for t in catalogue().techniques.values():
        area = f" [{t.area}]" if t.area else ""
        typer.echo(f"{t.name:<26} {', '.join(t.phases)}{area}\n{'':<26} {t.description}")


class AgendaFormat(str, Enum):
    md = "md"
    html = "html"
    txt = "txt"


@app.command()
def render(
    paths: List[str] = typer.Argument(..., metavar="PATH...",
                                      help="Plan files, folders (searched for *.iptplan) or globs."),
    out: Path = typer.Option(..., "--out", "-o", metavar="OUTDIR",
                             help="Folder for the agendas: one subfolder per plan."),
    agenda_format: AgendaFormat = typer.Option(
        AgendaFormat.md, "--format", "-f",
        help="md (Markdown), html (printable, one session a page) or txt (plain text)."),
    templates: Optional[Path] = typer.Option(
        None, "--templates", metavar="DIR", exists=True, file_okay=False, dir_okay=True,
        help="A folder of Jinja2 templates that replace built-in ones of the same name "
             "(session.md.j2, overview.html.j2...); the others stay built-in."),
    jobs: Optional[int] = typer.Option(
        None, "--jobs", "-j", min=1, metavar="N",
        help="Plans rendered at once, in separate processes. Default: the machine's cores."),
    protocols: Optional[List[Path]] = ProtocolDirs,
) -> None:
    """Turn plans into the agendas a clinician holds in each session.

    Each plan is checked first: a plan with errors is reported as `check` shows it and is
    not rendered; the others still are. For each plan, OUTDIR/<plan file name>/ gets
    overview.md (the schedule and the foci with their goals) and session-01.md,
    session-02.md... for every session of the course, written out in the plan or not.
    Files whose content has not changed are left untouched.

    Examples:

      ipt-plan render plans/ -o agendas

      ipt-plan render plans/ms-a.iptplan -o agendas --format html

      ipt-plan render 'clinic/**/*.iptplan' -o out --templates ours/

    Exit codes: 0 every plan rendered, 1 some plans failed, 2 usage error.
    """
    from . import batch  # here, so that `ipt-plan check` never loads the templating
    from .renderer import TemplateProblem

    progress = batch.Progress(sys.stderr)
    try:
        outcome = batch.run(paths, out, agenda_format.value, templates, jobs, protocols or (),
                            on_outcome=progress.update, on_start=progress.start)
    except (batch.UsageError, TemplateProblem) as err:
        typer.echo(f"ipt-plan: {err}", err=True)
        raise typer.Exit(2)
    finally:
        progress.finish()
    report = batch.failure_report(outcome)
    if report:
        sys.stdout.write(report + "\n")
    sys.stdout.write(batch.summary_line(outcome) + "\n")
    raise typer.Exit(outcome.exit_code)


def run() -> None:
    """Console entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("ipt-plan: interrupted\n")
        sys.exit(130)
