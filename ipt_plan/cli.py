"""The `ipt-plan` command: a thin layer that parses options, calls the library and
chooses the exit code (0 clean, 1 problems found, 2 usage error)."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from .version import __version__
from .wording import plural, visible_lines


def say(text: str, **options) -> None:
    """typer.echo, with every control character a plan, a profile or a file name may
    carry shown as an escape (wording.visible): a message never drives the terminal."""
    typer.echo(visible_lines(text), **options)

APP_SETTINGS = dict(
    name="ipt-plan",
    help="Check interpersonal psychotherapy (IPT) treatment plans written as .iptplan files, "
         "and turn them into session agendas.\n\n"
         "A first plan:      ipt-plan new --focus role_dispute -o ms-a.iptplan\n\n"
         "Check plans:       ipt-plan check plans/\n\n"
         "Session agendas:   ipt-plan render plans/ -o agendas\n\n"
         "After a session:   ipt-plan log ms-a.iptplan 2027-01-04 -s 4 --held\n\n"
         "How it is going:   ipt-plan progress plans/\n\n"
         "Each command has its own --help with examples. Exit codes: 0 fine, 1 problems "
         "found in a plan, 2 usage error.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app = typer.Typer(**APP_SETTINGS)


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
        say(f"ipt-plan {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """Check interpersonal psychotherapy (IPT) treatment plans."""


ProtocolDirs = typer.Option(
    None, "--protocols", metavar="DIR",
    help="A folder of your clinic's own protocol profiles (.toml files), searched before "
         "the built-in ones, and of its own techniques, participants and rating scales "
         "(catalogue.toml). Repeatable.")

# check, render and fmt take many plans at once.
PlanPaths = typer.Argument(
    ..., metavar="PATH...",
    help="Plan files, folders (every .iptplan file in them and in their folders) or "
         "patterns such as 'clinic/**/*.iptplan', in quotes (** stands for any folders "
         "between, * for any name).")


def _day(value: Optional[str]) -> Optional[dt.date]:
    """--today's date; a usage error (exit 2) unless it is a real YYYY-MM-DD date."""
    if value is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date; write it as YYYY-MM-DD, like "
                                 "2027-03-01") from None


Today = typer.Option(
    None, "--today", metavar="YYYY-MM-DD", callback=_day,
    help="Check as on this day: a log's dates are judged against it and the sessions it "
         "still owes are dated from it on. Default: today's date.")


@app.command(short_help="Check plans against IPT's structure and their protocol.")
def check(
    paths: List[str] = PlanPaths,
    output_format: OutputFormat = typer.Option(
        OutputFormat.text, "--format", "-f",
        help="text for people; json for other programs; sarif (SARIF, the format code-review "
             "tools such as GitHub's code scanning read); github (notes on the plans' lines "
             "in a GitHub Actions run)."),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 1) on warnings too."),
    protocols: Optional[List[Path]] = ProtocolDirs,
    colour: Colour = typer.Option(Colour.auto, "--color", "--colour",
                                  help="Colour the text output: auto (in a terminal window, "
                                       "unless the NO_COLOR environment variable is set), "
                                       "always or never."),
    jobs: Optional[int] = typer.Option(
        None, "--jobs", "-j", min=1, metavar="N",
        help="For 64 plans or more: how many to check at once, each in a program of its own. "
             "Default: as many as the computer has processor cores free of other programs "
             "when the check starts (at least 1), so that a busy computer is not made slower."),
    today: Optional[str] = Today,
) -> None:
    """Check plans against IPT's structure and their protocol.

    Prints nothing and exits 0 when every plan is clean. Otherwise each problem is shown as
    file:line:column: severity[CODE]: message (which editors can jump to), with the plan's
    line and a hint.

    Silence one rule on one line with a comment: # ipt-plan: ignore[IPT303]
    or in the whole plan: # ipt-plan: ignore-file[IPT106]. Settings (select, ignore,
    severity, protocols) live in ipt-plan.toml, or under [tool.ipt-plan] in
    pyproject.toml: the one nearest above each plan applies.

    Examples:

      ipt-plan check plans/ms-a.iptplan

      ipt-plan check plans/ --strict

      ipt-plan check 'clinic/**/*.iptplan' --format json
    """
    from itertools import chain

    from . import collector, report
    from .checking import iter_check

    collector.off_for_this_run()

    # Each result is reported as it comes and dropped: a batch's memory stays flat.
    results = iter_check(paths, protocols or (), jobs, today)
    first = next(results, None)
    if first is None:  # folders with no plan in them: silence would read as "all clean"
        say(f"ipt-plan: no plans (*.iptplan) found in {', '.join(paths)}", err=True)
        raise typer.Exit(2)
    results = chain([first], results)
    if output_format is OutputFormat.text:
        style = report.Style(report.use_colour(colour.value, sys.stdout))
        tally = report.write_text(results, sys.stdout, style)
    else:
        tally = {OutputFormat.json: report.write_json, OutputFormat.sarif: report.write_sarif,
                 OutputFormat.github: report.write_github}[output_format](results, sys.stdout)
    raise typer.Exit(tally.exit_code(strict=strict))


@app.command(short_help="List every rule, with its code and what it checks.")
def rules() -> None:
    """List every rule: code, default severity and what it checks."""
    from .rules import RULES

    for r in sorted(RULES.values(), key=lambda r: r.code):
        say(f"{r.code}  {r.severity.value:<7}  {r.name:<26} {r.summary}")


@app.command(short_help="Explain one rule, with its reasons and examples.")
def explain(code: str = typer.Argument(..., help="A rule code, such as IPT203.")) -> None:
    """Explain one rule: why it exists, its source, and a failing and a passing example."""
    from .rules import RULES

    r = RULES.get(code.upper())
    if r is None:
        say(f"ipt-plan: there is no rule {code}; `ipt-plan rules` lists them", err=True)
        raise typer.Exit(2)
    say(r.explanation)


@app.command(short_help="List the protocol profiles a plan can name.")
def protocols(
    show: Optional[str] = typer.Option(None, "--show", metavar="NAME",
                                       help="Print one profile: what it asks, then its whole file."),
    dirs: Optional[List[Path]] = ProtocolDirs,
) -> None:
    """List the protocol profiles a plan can name with `protocol NAME`, with their sources."""
    from .knowledge import CatalogueError, ProfileError, available_profiles, catalogue

    folders = tuple(dirs or ())
    try:
        cat = catalogue(folders)
    except CatalogueError as err:
        say(f"ipt-plan: the clinic's catalogue cannot be used: {err}", err=True)
        raise typer.Exit(2)
    found = available_profiles(folders)
    if show is not None:
        profile = found.get(show)
        if profile is None or isinstance(profile, ProfileError):
            say(f"ipt-plan: no usable protocol '{show}'; known: {', '.join(found)}", err=True)
            raise typer.Exit(2)
        say(describe_profile(profile, cat) + f"\n\nThe profile, {profile.path}:\n")
        say(Path(profile.path).read_text(encoding="utf-8"), nl=False)
        return
    width = max((len(name) for name in found), default=0) + 1
    for name, profile in found.items():
        if isinstance(profile, ProfileError):
            say(f"{name:<{width}} (cannot be used: {profile})")
            continue
        low, high = profile.sessions
        count = str(low) if low == high else f"{low}-{high}"
        say(f"{name:<{width}} {count:>5} sessions  {profile.title}\n"
            f"{'':<{width}} source: {profile.source}")


def describe_profile(profile, cat) -> str:
    """What a profile asks, in sentences: its numbers, phases and the optional fields."""
    from .knowledge import cadence_words
    from .wording import joined, span

    def label(name: str) -> str:
        technique = cat.techniques.get(name)
        return technique.label if technique else name

    low, high = profile.sessions
    lines = [f"{profile.name}: {profile.title}", f"  source: {profile.source}",
             f"  treats: {profile.condition}"]
    course = f"{span(low, high)} sessions"
    if profile.minutes:
        course += f" of {span(*profile.minutes).replace(' to ', '-')} minutes"
    course += ", " + cadence_words(profile.cadences)
    if profile.max_weeks:
        course += f", within {profile.max_weeks} weeks"
    lines.append(f"  course: {course}")
    lines.append("  format: " + ("group sessions; a pre-treatment session is individual"
                                 if profile.format == "group" else "individual sessions"))
    phases = f"  phases: {joined(list(profile.phases))}"
    if profile.optional_phases:
        phases += f"; may add {joined(list(profile.optional_phases), 'or')}"
    lines.append(phases)
    if profile.first_session_tasks:
        lines.append("  first session: " + ", ".join(map(label, profile.first_session_tasks)))
    for expected in profile.participants:
        who = cat.participants.get(expected.who)
        lines.append(f"  joins: {who.label if who else expected.who}, in the "
                     f"{joined(list(expected.phases))} phases: {expected.when} ({expected.source})")
        if expected.required_in:
            instead = joined(list(expected.stand_ins), "or") if expected.stand_ins else ""
            lines.append(f"    at least once in the {joined(list(expected.required_in))} "
                         f"phases (IPT308)" + (f"; in their place: {instead}" if instead else ""))
    for practice, words in profile.forbidden_words:
        lines.append(f"  leaves out {practice}: IPT305 warns on the words "
                     + joined([f'"{w}"' for w in words], "and"))
    sick_role = f"  sick role: {profile.sick_role}"
    if profile.sick_role_note:
        sick_role += f" ({profile.sick_role_note})"
    lines.append(sick_role)
    for name in profile.usual_measures:
        scale = cat.measures[name]
        lines.append(f"  usual scale: {name}, {scale.label}: {scale.items} items, "
                     f"{scale.low}-{scale.high}, rater: {scale.rater}")
    return "\n".join(lines)


@app.command(short_help="List the techniques a session can use.")
def techniques(dirs: Optional[List[Path]] = ProtocolDirs) -> None:
    """List the techniques a session can use, with the phases and problem area of each."""
    from .knowledge import CatalogueError, catalogue, in_words_of

    try:
        cat = catalogue(tuple(dirs or ()))
    except CatalogueError as err:
        say(f"ipt-plan: the clinic's catalogue cannot be used: {err}", err=True)
        raise typer.Exit(2)
    for t in cat.techniques.values():
        area = f" [{t.area}]" if t.area else ""
        # Said as for depression, the default protocol's condition (a profile names its own).
        say(f"{t.name:<26} {', '.join(t.phases)}{area}\n{'':<26} {in_words_of(t.description, None)}")


class AgendaFormat(str, Enum):
    md = "md"
    html = "html"
    txt = "txt"


class Layout(str, Enum):
    flat = "flat"
    nested = "nested"


@app.command(short_help="Turn plans into the agendas of their sessions.")
def render(
    paths: List[str] = PlanPaths,
    out: Path = typer.Option(..., "--out", "-o", metavar="OUTDIR",
                             help="Folder for the agendas: one folder per plan, placed as "
                                  "the plan is from the current folder."),
    agenda_format: AgendaFormat = typer.Option(
        AgendaFormat.md, "--format", "-f",
        help="md (Markdown), html (printable, one session a page) or txt (plain text)."),
    templates: Optional[Path] = typer.Option(
        None, "--templates", metavar="DIR", exists=True, file_okay=False, dir_okay=True,
        help="A folder of your own agenda templates, written in Jinja2 (the template "
             "language of the built-in ones in templates/), that replace the built-in ones "
             "of the same name (session.md.j2, overview.html.j2...); the others stay."),
    jobs: Optional[int] = typer.Option(
        None, "--jobs", "-j", min=1, metavar="N",
        help="How many plans to render at once, each in a program of its own. Default: as "
             "many as the computer has processor cores free of other programs when the "
             "render starts (at least 1)."),
    protocols: Optional[List[Path]] = ProtocolDirs,
    today: Optional[str] = Today,
    layout: Layout = typer.Option(
        Layout.flat, "--layout",
        help="flat: each plan's folder mirrors the plan's path, as above. nested, for very "
             "large runs: one level deeper, in one of 256 folders named by a code of two "
             "letters or digits worked out from that path, and a + (which keeps them apart "
             "from every other folder there): clinic/smith/plan.iptplan goes to "
             "OUTDIR/clinic/smith/2d+/plan.iptplan/, the same every run, and a million plans "
             "in one folder make 256 folders of about 4,000. Switching layout renders into "
             "new folders; the old ones stay until you remove them."),
    pack: bool = typer.Option(
        False, "--pack",
        help="Also write the whole course in one file to print in one go: course.html in "
             "each plan's folder, the overview and then every session, each on a page of its "
             "own. With --format html only. An HTML render without --pack removes an "
             "old course.html, which would no longer match the plan."),
    space_check: bool = typer.Option(
        True, "--space-check/--no-space-check",
        help="Before the first plan, check that OUTDIR's disk has the space and the room "
             "for as many files and folders (inodes) as the agendas need, leaving some free "
             "for other programs, "
             "and again every 100 plans at the rate so far; if not, stop (exit 2) with what "
             "is needed and what is free, having written no plan or only whole ones. Plans "
             "already rendered there need no more."),
) -> None:
    """Turn plans into the agendas a clinician holds in each session.

    Each plan is checked first: a plan with errors is reported as `check` shows it and is
    not rendered; the others still are. Each plan gets overview.md (the schedule and the
    foci with their goals) and session-01.md, session-02.md... for every session of the
    course, written out in the plan or not. Files whose content has not changed are left
    untouched.

    Each plan's folder mirrors where the plan is from the current folder, so a plan lands
    in the same folder whatever else is rendered with it: clinic/smith/plan.iptplan goes to
    OUTDIR/clinic/smith/plan.iptplan/. A plan outside the current folder goes to
    OUTDIR/outside/ and its whole path. A name with capitals, spaces or accents is made
    readable and ends in a short code that keeps it apart from similar names (Ms
    A.iptplan: Ms-A-e7890c77.iptplan/). A folder that holds another plan's agendas (the
    same path rendered from another folder) is refused, never written.

    Examples:

      ipt-plan render plans/ -o agendas

      ipt-plan render plans/ms-a.iptplan -o agendas --format html

      ipt-plan render plans/ -o agendas --format html --pack

      ipt-plan render 'clinic/**/*.iptplan' -o out --templates ours/

    Exit codes: 0 every plan rendered, 1 some plans failed, 2 usage error.
    """
    # Here, so that `ipt-plan check` never loads the templating.
    from . import batch, collector, render_report
    from .renderer import TemplateProblem

    collector.off_for_this_run()  # the batch collects template garbage itself

    progress = render_report.Progress(sys.stderr)
    failures = render_report.Failures()

    def heard(plan: batch.PlanOutcome) -> None:
        progress.update(plan)
        failures.add(plan)

    try:
        # Each plan is told as it is done and dropped: a batch's memory stays flat.
        outcome = batch.run(paths, out, agenda_format.value, templates, jobs, protocols or (),
                            on_outcome=heard, on_start=progress.start, today=today,
                            layout=layout.value, space_check=space_check, keep=False,
                            pack=pack)
    except (batch.UsageError, TemplateProblem) as err:
        say(f"ipt-plan: {err}", err=True)
        raise typer.Exit(2)
    finally:
        progress.finish()
    report = failures.report(outcome.missing)
    if report:
        sys.stdout.write(report + "\n")
    sys.stdout.write(render_report.summary_line(outcome) + "\n")
    if outcome.stopped:
        say(f"ipt-plan: {outcome.stopped}", err=True)
    raise typer.Exit(outcome.exit_code)


def means_standard_output(out: Path) -> bool:
    """`-o -` and `-o /dev/stdout` ask for standard output, not for a file to replace."""
    return str(out) in ("-", "/dev/stdout")


class ExportFormat(str, Enum):
    ics = "ics"
    fhir = "fhir"
    json = "json"


def _errors_and_exit(result) -> None:
    """A plan with errors has no output: its diagnostics go to standard error (so that a
    redirected export or drawing never holds them), and the exit code is 1."""
    from . import report

    style = report.Style(report.use_colour("auto", sys.stderr))
    sys.stderr.write(report.format_text([result], style))
    raise typer.Exit(1)


@app.command(short_help="Export a plan for a calendar, a health record or a program.")
def export(
    plan: Path = typer.Argument(..., metavar="PLAN", help="One plan file."),
    export_format: ExportFormat = typer.Option(
        ..., "--format", "-f",
        help="ics (a calendar file, one event per session), fhir (for health record "
             "systems: an HL7 FHIR R4 Bundle, a CarePlan with its Goals) or json (the plan "
             "and its schedule, for other programs)."),
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", metavar="FILE",
        help="Write to FILE instead of to standard output (- and /dev/stdout are standard "
             "output too). A file there is written whole or not at all, keeping who owns "
             "it and who may read it; a new one is readable by you only. A folder, or "
             "anything else that is not an ordinary file, is refused."),
    tz: Optional[str] = typer.Option(
        None, "--tz", metavar="ZONE",
        help="ics and fhir: the time zone of the plan's clock times, a time zone name such "
             "as Europe/London or America/New_York (the IANA names). Default: this "
             "computer's time zone, else UTC."),
    subject: Optional[str] = typer.Option(
        None, "--subject", metavar="REF",
        help="fhir: the patient's record the CarePlan is for, such as Patient/123. Without "
             "it the subject is marked as withheld. The plan's client ID is never written; "
             "its title and goals are, as written."),
    label: Optional[str] = typer.Option(
        None, "--label", metavar="TEXT",
        help="ics: put TEXT before each event's summary (\"TEXT: IPT session 6 of 16\"), "
             "to tell this plan's sessions apart in your calendar. Without it, events "
             "carry nothing that identifies the client; TEXT goes wherever the calendar does."),
    protocols: Optional[List[Path]] = ProtocolDirs,
    today: Optional[str] = Today,
) -> None:
    """Export a plan for a calendar, a health record system or another program.

    The plan is checked first; a plan with errors is reported as `check` shows it (on
    standard error) and not exported.

    ics: a calendar file with one event per session of the course at its scheduled date,
    time and length, skips applied. Each session keeps its event's identity (its UID)
    when the plan is edited, so importing the new file updates the events instead of
    adding copies (renaming a plan without an `id` line starts new ones). Events carry
    the phase and whether a scale is due: nothing that identifies the client or their
    problem (add --label to tell plans apart).

    With a log, a held session's event is on the day it was held and an owed one at its
    projected time (from --today on), as the same event moved, so that a calendar moves
    it; a cancelled appointment is an event marked cancelled.

    fhir: for health record systems, in HL7 FHIR, their standard: a Bundle with a
    CarePlan (an activity per session, linked to its goals), a Goal per focus goal and a
    Goal of remission (PHQ-9 below 5) for a measured scale that has one. A log adds an
    Observation per score (with the LOINC code records use for the PHQ-9 and GAD-7
    totals), an Encounter per held session and an Appointment per cancelled or missed
    one. The client ID is never written; name the patient with --subject.

    json: for other programs, the plan as read, every session with its status and its
    planned and projected date (written out in the plan or not), the log, and each
    element's line; documented by schemas/plan.schema.json.

    Examples:

      \b
    ipt-plan export plans/ms-a.iptplan -f ics --tz Europe/London --label "Ms A" \\
        -o ms-a.ics

      \b
    ipt-plan export plans/ms-a.iptplan -f fhir --subject Patient/123 -o ms-a.json

      ipt-plan export plans/ms-a.iptplan -f json -o -

    Exit codes: 0 exported, 1 the plan has errors (or no schedule, for ics), 2 usage error.
    """
    from . import export as exporting
    from .loader import load_file

    def usage_error(message: str) -> typer.Exit:
        say(f"ipt-plan: {message}", err=True)
        return typer.Exit(2)

    # Options first: a mistyped zone is a usage error whatever state the plan is in.
    if tz is not None and export_format is ExportFormat.json:
        raise usage_error("--tz applies to --format ics and fhir; json dates are as planned")
    if subject is not None and export_format is not ExportFormat.fhir:
        raise usage_error("--subject applies to --format fhir only")
    if label is not None and export_format is not ExportFormat.ics:
        raise usage_error("--label applies to --format ics only")
    if not plan.exists() or plan.is_dir():  # anything else is read, or said why not, below
        raise usage_error(f"no plan file at {plan}")
    if out is not None and means_standard_output(out):
        out = None
    if out is not None and not out.parent.is_dir():
        raise usage_error(f"no folder {out.parent} to write {out.name} into")
    try:
        if export_format is not ExportFormat.json:
            exporting.time_zone(tz)
        exporting.calendar_label(label)
        result = load_file(plan, protocols or (), today=today)
        if not result.ok:
            _errors_and_exit(result)
        if export_format is ExportFormat.ics:
            text = exporting.to_ics(result, tz, label)
        elif export_format is ExportFormat.fhir:
            text = exporting.to_fhir(result, subject, tz)
        else:
            text = exporting.to_json(result)
    except exporting.OptionError as err:
        raise usage_error(str(err))
    except exporting.ExportError as err:
        say(f"ipt-plan: {err}", err=True)
        raise typer.Exit(1)
    except (OverflowError, ValueError) as err:  # dates at the very ends of the calendar
        say(f"ipt-plan: {plan}: its dates cannot be written in this format ({err}); "
                   "check the schedule's first date", err=True)
        raise typer.Exit(1)
    if out is None:
        # Bytes, so iCalendar's CRLF line ends reach the file as they are, on any system.
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
        return
    try:
        exporting.write(text, out)
    except OSError as err:  # a device, a pipe, a folder... (files.RefusedWrite) or the disk
        raise usage_error(f"cannot write {out}: {err.strerror or err}")


@app.command(short_help="Lay plans out in the one standard layout.")
def fmt(
    paths: List[str] = PlanPaths,
    check_only: bool = typer.Option(False, "--check",
                                     help="Change nothing; list the plans that would change "
                                          "and exit 1 if there are any (for checks run on "
                                          "every commit, such as a pre-commit hook)."),
    diff: bool = typer.Option(False, "--diff",
                              help="Change nothing; print the changes line by line (a diff: "
                                   "lines starting - go, lines starting + come)."),
) -> None:
    """Lay plans out the one standard way, whoever wrote them.

    Indentation by structure (header lines, goals and sessions under their block by 2
    spaces, activities by 4), one space between words, one blank line before each focus
    and phase, trailing comments lined up within each block, one newline at the end.
    Only the layout changes: every comment is kept and the plan means exactly what it
    did. A plan with syntax errors is reported and left as it is. A file is rewritten
    only when it changes, and then whole or not at all.

    Examples:

      ipt-plan fmt plans/ms-a.iptplan

      ipt-plan fmt plans/ --check

      ipt-plan fmt plans/ --diff

    Exit codes: 0 done (or nothing to change), 1 some plan would change (--check) or has
    syntax errors, 2 usage error or a plan that could not be written (a plan with a
    second name on the disk, a hard link, or one owned by another user is refused rather
    than changed).
    """
    from . import formatter, report
    from .paths import expand

    files, missing = expand(paths)
    if missing:
        say(f"ipt-plan: no such file or folder: {', '.join(missing)}", err=True)
        raise typer.Exit(2)
    if not files:
        say("ipt-plan: no .iptplan files found; nothing to format", err=True)
        return
    style = report.Style(report.use_colour("auto", sys.stderr))
    changed = unchanged = failed = unwritten = 0
    cleared: set[str] = set()  # folders whose leftovers of killed runs are cleared
    for path in files:
        result = formatter.format_file(path)
        if result.formatted is None:
            failed += 1
            lines = result.original.split("\n") if result.original is not None else None
            for d in result.diagnostics:
                typer.echo(report.format_diagnostic(d, lines, style) + "\n", err=True)
            continue
        if not result.changed:
            unchanged += 1
            continue
        changed += 1
        if diff:
            changes = formatter.unified_diff(result)
            # On a terminal the diff is read, so a plan's control characters are shown;
            # into a file or a pipe it stays a patch that applies.
            sys.stdout.write(visible_lines(changes)
                             if sys.stdout.isatty() else changes)
        if check_only or diff:
            note = f" ({result.encoding_note})" if result.encoding_note else ""
            say(f"would reformat {result.path}{note}", err=True)
            continue
        try:
            formatter.write_formatted(result, cleared)
        except OSError as err:
            changed, unwritten = changed - 1, unwritten + 1
            say(f"ipt-plan: cannot write {result.path}: {err.strerror or err}", err=True)
            continue
        say(f"reformatted {result.path}", err=True)
    done = (f"{plural(changed, 'file')} would be reformatted" if check_only or diff
            else f"reformatted {plural(changed, 'file')}")
    summary = f"{done}, {unchanged} unchanged"
    if failed or unwritten:
        summary += f", {failed + unwritten} not formatted (see above)"
    say(summary, err=True)
    # A file that could not be written (or was refused) is as a usage error: the run did
    # not do what was asked, whatever else it found.
    raise typer.Exit(2 if unwritten else 1 if failed or (check_only and changed) else 0)


class GraphFormat(str, Enum):
    mermaid = "mermaid"
    dot = "dot"


@app.command(short_help="Draw a plan's phases, sessions and foci as a diagram.")
def graph(
    plan: Path = typer.Argument(..., metavar="PLAN", exists=True, dir_okay=False,
                                help="One plan file."),
    graph_format: GraphFormat = typer.Option(
        GraphFormat.mermaid, "--format", "-f",
        help="mermaid: a flowchart in Mermaid's text, which GitHub and many note tools draw "
             "when it is pasted into a ```mermaid block; dot: the text of Graphviz, a "
             "drawing program installed apart from ipt-plan (such as with sudo apt install "
             "graphviz), whose `dot -Tsvg` turns it into a picture."),
    protocols: Optional[List[Path]] = ProtocolDirs,
) -> None:
    """Draw a plan: its phases, sessions, activities and foci.

    Each phase is a box holding its sessions and the activities written under them (its
    'every session' activities in a box of their own). Bold arrows run from session to
    session; a circle-ended arrow joins an activity to the focus it works on; a dashed
    arrow marked 'requires' joins an activity to the earlier one it builds on (a role
    play to its analysis). Sessions the plan does not write out are drawn dashed. The
    plan is checked first: a plan with errors is reported and not drawn.

    Examples:

      ipt-plan graph plans/ms-a.iptplan > ms-a.mmd

      ipt-plan graph plans/ms-a.iptplan --format dot | dot -Tsvg > ms-a.svg

    The second needs Graphviz's dot command, installed apart (graphviz.org).
    """
    from .drawing import draw
    from .loader import load_file
    from .result import PlanHasErrors

    result = load_file(plan, protocols or ())
    try:
        sys.stdout.write(draw(result, graph_format.value))
    except PlanHasErrors:
        _errors_and_exit(result)


def _complete_areas(incomplete: str) -> list[str]:
    """Shell completion for --focus: the catalogue's problem areas."""
    from .knowledge import catalogue

    return [area for area in catalogue().areas if area.startswith(incomplete)]


def _complete_protocols(incomplete: str) -> list[str]:
    """Shell completion for --protocol: the built-in profiles."""
    from .knowledge import available_profiles

    return [name for name in available_profiles() if name.startswith(incomplete)]


@app.command(short_help="Write a skeleton plan to start from.")
def new(
    focus: List[str] = typer.Option(
        ..., "--focus", metavar="AREA", autocompletion=_complete_areas,
        help="The problem area of a focus: grief, role_dispute, role_transition or "
             "interpersonal_deficits. Give it once per focus."),
    protocol: str = typer.Option("ipt", "--protocol", "-p", metavar="NAME",
                                 autocompletion=_complete_protocols,
                                 help="The protocol profile (`ipt-plan protocols` lists them)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", metavar="FILE",
                                       help="Write the plan to FILE, readable by you only "
                                            "(without -o, or with -o -, it is printed)."),
    force: bool = typer.Option(False, "--force", help="Replace FILE if it already exists."),
    client: Optional[str] = typer.Option(None, "--client", metavar="ID",
                                         help="The client's ID in your records."),
    title: Optional[str] = typer.Option(None, "--title", metavar="TEXT",
                                        help="The plan's title, e.g. \"Ms. A: conflict with "
                                             "her sister\"."),
    sessions: Optional[int] = typer.Option(
        None, "--sessions", min=1, metavar="N",
        help="The course's number of sessions, within the protocol's range (default: its "
             "shortest course)."),
    protocols: Optional[List[Path]] = ProtocolDirs,
) -> None:
    """Write a skeleton plan to start from: complete, and clean for `ipt-plan check`.

    It holds the header, one focus per --focus with its stage and a goal to write, the
    protocol's phases sized from its profile with the tasks each phase needs, and middle
    sessions using each focus's own techniques (analysis before role play), with the
    ending raised in time. Texts in brackets, like "(write the goal in the patient's
    words)", are for you to replace: `ipt-plan check` warns of each (IPT007) until it is,
    and is clean then. Comments say what goes where. The first session is next Monday at
    10:00.

    Examples:

      ipt-plan new --focus role_dispute --focus grief -o ms-a.iptplan

      ipt-plan new -p ipt-uk --focus grief --client G-0388 -o mrs-h.iptplan

      ipt-plan new -p ipt-group --focus interpersonal_deficits > group.iptplan

    Exit codes: 0 written, 1 written but not clean for a clinic's own profile, 2 usage
    error (an unknown protocol or area, too many foci, FILE exists).
    """
    from . import report
    from .skeleton import SkeletonError, find_protocol, skeleton

    dirs = tuple(protocols or ())
    if out is not None and means_standard_output(out):
        out = None
    if out is not None and out.exists() and not force:
        say(f"ipt-plan: {out} already exists; choose another name, or add --force "
                   "to replace it", err=True)
        raise typer.Exit(2)
    try:
        result = skeleton(find_protocol(protocol, dirs), focus, title=title, client=client,
                          sessions=sessions, protocol_dirs=dirs,
                          path=str(out) if out is not None else "<new plan>")
    except SkeletonError as err:
        say(f"ipt-plan: {err}", err=True)
        raise typer.Exit(2)
    for note in result.notes:
        say(f"ipt-plan: note: {note}", err=True)
    if out is None:
        sys.stdout.write(result.text)
    else:
        from .files import write_atomically

        try:
            write_atomically(out, result.text.encode("utf-8"))
        except OSError as err:
            say(f"ipt-plan: cannot write {out}: {err.strerror or err}", err=True)
            raise typer.Exit(2)
        say(f"wrote {out}: replace the texts in brackets, then run: ipt-plan check "
                   f"{out}", err=True)
    if result.diagnostics:
        say(f"ipt-plan: this skeleton does not check clean against the {protocol} "
                   "profile; fix these:\n", err=True)
        lines = result.text.split("\n")
        typer.echo("\n\n".join(report.format_diagnostic(d, lines) for d in result.diagnostics),
                   err=True)
        raise typer.Exit(1)


def parse_date(value: str, name: str) -> dt.date:
    """A YYYY-MM-DD date from the command line, or a usage error (exit 2)."""
    try:
        return _day(value)  # type: ignore[return-value]
    except typer.BadParameter as err:
        say(f"ipt-plan: {name} {err}", err=True)
        raise typer.Exit(2) from None


class HomeworkOutcome(str, Enum):
    done = "done"
    partly = "partly"
    not_done = "not_done"


@app.command("log", short_help="Record what happened at an appointment in the plan's log.")
def log_entry(
    plan: Path = typer.Argument(..., metavar="PLAN", help="One plan file."),
    date: str = typer.Argument(..., metavar="DATE",
                               help="The appointment's date, YYYY-MM-DD."),
    session: int = typer.Option(..., "--session", "-s", min=0, metavar="N",
                                help="The session's number in the plan."),
    held: bool = typer.Option(False, "--held", help="The session took place."),
    cancelled: Optional[str] = typer.Option(
        None, "--cancelled", metavar="REASON",
        help="The session was cancelled, and why (\"client unwell\", \"clinic closed\")."),
    missed: bool = typer.Option(False, "--missed",
                                help="The client did not attend and did not cancel."),
    score: Optional[List[str]] = typer.Option(
        None, "--score", metavar="SCALE=TOTAL",
        help="A rating scale's total, such as PHQ-9=12. Repeatable."),
    items: Optional[List[str]] = typer.Option(
        None, "--items", metavar="SCALE=\"N N ...\"",
        help="A scale's item scores in order, such as PHQ-9=\"2 2 3 1 1 2 1 0 0\"; without "
             "--score for it, their sum is the total. Repeatable."),
    homework: Optional[HomeworkOutcome] = typer.Option(
        None, "--homework", help="How the homework set last session went."),
    risk: Optional[List[str]] = typer.Option(
        None, "--risk", metavar="TEXT",
        help="Risk was assessed, and what was found. Repeatable."),
    note: Optional[List[str]] = typer.Option(None, "--note", metavar="TEXT",
                                             help="A note on the session. Repeatable."),
    today: Optional[str] = Today,
    protocols: Optional[List[Path]] = ProtocolDirs,
) -> None:
    """Record what happened at an appointment: one entry added to the plan's log.

    Say whether the session was --held, --cancelled (with the reason) or --missed; for a
    held session, add its scores, how the homework went, what a risk assessment found
    and notes. The entry goes into the plan's log (a log is started at the end of a plan
    that has none) in date order, laid out as `ipt-plan fmt` lays it out.

    The plan is checked with the entry before anything is written: if the entry would
    give it an error (a scale the plan does not measure, a score out of the scale's
    range, a line that does not read), the error is shown and the file is left as it
    was. A plan that has errors already is not changed. The file is written whole or not
    at all, keeping who may read it, and only if nobody changed it meanwhile; a shortcut
    to a file (a symbolic link), a file with a second name on the disk (a hard link) or
    anything but an ordinary file is refused.

    Examples:

      ipt-plan log ms-a.iptplan 2027-01-04 -s 4 --held --score PHQ-9=12

      ipt-plan log ms-a.iptplan 2027-01-11 -s 5 --cancelled "client unwell"

      ipt-plan log ms-a.iptplan 2027-01-18 -s 5 --missed

      \b
    ipt-plan log ms-a.iptplan 2027-01-25 -s 5 --held --homework done \\
        --items PHQ-9="2 2 1 1 1 1 0 1 0" --risk "No thoughts of self-harm" \\
        --note "Spoke to Anna on Sunday"

    Exit codes: 0 recorded, 1 the plan has errors or the entry would give it one (nothing
    written), 2 usage error or a file ipt-plan will not change.
    """
    from . import record as recording
    from . import report
    from .schedule import course_calendar

    when = parse_date(date, "DATE")
    day = today or dt.date.today()  # a date: Today's callback read it
    statuses = [name for name, given in (("held", held), ("cancelled", cancelled is not None),
                                         ("missed", missed)) if given]
    if len(statuses) != 1:
        say("ipt-plan: say what happened with one of --held, --cancelled REASON or --missed",
            err=True)
        raise typer.Exit(2)
    try:
        request = recording.EntryRequest(
            when, session, statuses[0], cancelled,
            recording.parse_pairs(score or (), "--score", "PHQ-9=12"),
            recording.parse_pairs(items or (), "--items", 'PHQ-9="2 2 3 1 1 2 1 0 0"'),
            homework.value if homework else None, tuple(risk or ()), tuple(note or ()))
        outcome = recording.record(plan, request, tuple(protocols or ()), today=day)
    except recording.LogUsageError as err:
        say(f"ipt-plan: {err}", err=True)
        raise typer.Exit(2)
    except FileNotFoundError:
        say(f"ipt-plan: no plan file at {plan}", err=True)
        raise typer.Exit(2)
    except OSError as err:  # a link, a folder, a pipe... (files.RefusedWrite) or the disk
        say(f"ipt-plan: cannot log in {plan}: {err.strerror or err}", err=True)
        raise typer.Exit(2)
    style = report.Style(report.use_colour("auto", sys.stderr))
    if outcome.after is None:
        sys.stderr.write(report.format_text([outcome.before], style))
        say(f"ipt-plan: {plan} has errors, so nothing was added to its log; fix them first "
            f"(ipt-plan check {plan})", err=True)
        raise typer.Exit(1)
    after = outcome.after
    lines = after.text.split("\n") if after.text is not None else None
    shown = [d for d in outcome.new_diagnostics if outcome.written or d in after.errors]
    for diagnostic in shown:
        typer.echo(report.format_diagnostic(diagnostic, lines, style) + "\n", err=True)
    if not outcome.written:
        first, last = outcome.lines
        where = f"line {first}" if first == last else f"lines {first}-{last}"
        say(f"ipt-plan: nothing was written: with this entry ({where} above), {plan} would "
            f"have {plural(len(after.errors), 'error')}", err=True)
        raise typer.Exit(1)
    message = f"logged session {session} ({statuses[0]}) on {when.isoformat()} in {plan}"
    if after.plan is not None:
        calendar = course_calendar(after.plan, day)
        done = {e.number for e in after.plan.log or () if e.held}
        owed = sorted((when_, number) for number, when_ in calendar.dates.items()
                      if number not in done)
        if owed:
            message += (f"; next: session {owed[0][1]}, projected for "
                        f"{owed[0][0].date().isoformat()}")
    say(message, err=True)


class ProgressFormat(str, Enum):
    text = "text"
    json = "json"


@app.command("progress", short_help="Show how each course is going, from its log.")
def progress_report(
    paths: List[str] = typer.Argument(..., metavar="PLAN...",
                                      help="Plan files, or folders or patterns (such as "
                                           "'clinic/**/*.iptplan') of plans for a caseload "
                                           "view."),
    output_format: ProgressFormat = typer.Option(
        ProgressFormat.text, "--format", "-f",
        help="text for people; json for other programs (per plan: measures by scale, "
             "sessions)."),
    today: Optional[str] = Today,
    protocols: Optional[List[Path]] = ProtocolDirs,
) -> None:
    """How each course is going, from its log: sessions and rating scales.

    For each plan: the sessions held, cancelled, missed and remaining, and the date the
    last session is projected for; for each rating scale logged, its baseline, latest
    score, change, severity band, response (a fall of 50% or more), remission, reliable
    change and a small trend of its scores.

    Given a folder (or a pattern), a caseload view: one line per plan, named by its path,
    those that need attention first: reliable deterioration or a risk item without a risk
    line, then not on track at mid-course, then a plan that does not check, then two
    missed sessions in a row, then a rating overdue, then nearing the end (3 sessions or
    fewer left); the rest after, each group by path. A plan with errors is summarised by
    them (ipt-plan check shows them in full).

    Examples:

      ipt-plan progress plans/ms-a.iptplan

      ipt-plan progress clinic/ --today 2027-03-01

      ipt-plan progress clinic/ --format json

    Nothing is sent anywhere: the output names each plan by its path only, as check does.
    Exit codes: 0 every plan read, 1 a plan does not check, 2 usage error (a path that
    names nothing, a bad option).
    """
    from . import collector
    from . import progress as tracking

    collector.off_for_this_run()

    day = today or dt.date.today()  # a date: Today's callback read it
    plans = tracking.progress(paths, tuple(protocols or ()), day)
    if not plans:
        say(f"ipt-plan: no plans (*.iptplan) found in {', '.join(paths)}", err=True)
        raise typer.Exit(2)
    caseload = any(Path(p).is_dir() or any(c in p for c in "*?[") for p in paths)
    if output_format is ProgressFormat.json:
        out = tracking.format_json(plans, day, ordered=caseload)
    elif caseload:
        out = tracking.format_caseload(plans, tracking.can_show_sparks(sys.stdout))
    else:
        out = tracking.format_text(plans, tracking.can_show_sparks(sys.stdout))
    sys.stdout.write(out)
    if any(p.result.path_missing for p in plans):
        raise typer.Exit(2)
    raise typer.Exit(1 if any(not p.ok for p in plans) else 0)


# What `ipt-plan lsp` needs beyond ipt-plan's own dependencies (the `lsp` extra).
LSP_INSTALL = "pip install 'ipt-plan[lsp]'"
LSP_LIBRARIES = ("pygls", "lsprotocol", "cattrs", "attrs")  # and what they import


@app.command("lsp", short_help="Run the language server that editors start.")
def language_server(
    protocols: Optional[List[Path]] = ProtocolDirs,
    today: Optional[str] = Today,
) -> None:
    """Run the language server that editors start, to check plans as you type.

    It talks to the editor over standard input and output, not to a person.

    Editors start it themselves (see "In your editor" in the README): diagnostics as you
    type, quick fixes, completion, hover, go to a focus's definition and references, the
    outline, folding and formatting as `ipt-plan fmt` does it. Configuration and protocol
    folders are found as `check` finds them. Needs the `lsp` extra:

      pip install 'ipt-plan[lsp]'
    """
    try:
        from . import lsp as server
    except ImportError as err:
        if (err.name or "").split(".")[0] not in LSP_LIBRARIES:
            raise  # not what the extra installs: a bug, to be seen as one
        say(f"ipt-plan lsp needs pygls 2 and lsprotocol ({err}); install them with:\n\n"
            f"    {LSP_INSTALL}", err=True)
        raise typer.Exit(2)
    server.serve(tuple(protocols or ()), today)


class OutputLost(Exception):
    """Standard output took no more: its reader went away, its disk is full, or it was
    closed. Not an OSError, so that neither click (which makes a broken pipe exit 1, read
    as "problems found") nor a command's own handling of file errors catches it."""


class _StandardOutput(io.RawIOBase):
    """Standard output's descriptor, where every failed write becomes OutputLost, whoever
    writes (a command, click's help, the final flush). After a failure it takes and drops
    everything, so that Python's own flush at exit has nothing left to fail on."""

    def __init__(self, fd: int | None) -> None:
        self.fd = fd  # None: there was no standard output when ipt-plan started
        self.lost = False

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.fd is not None and os.isatty(self.fd)

    def fileno(self) -> int:
        if self.fd is None:
            raise io.UnsupportedOperation("standard output is closed")
        return self.fd

    def write(self, data) -> int:
        if self.lost:
            return len(data)
        if self.fd is None:
            raise OutputLost("it is closed")
        try:
            return os.write(self.fd, data)
        except BrokenPipeError:
            raise OutputLost(None) from None  # the reader stopped, as `| head` does: quiet
        except OSError as err:
            raise OutputLost(err.strerror or str(err)) from None


def _guarded_stdout() -> _StandardOutput | None:
    """Put sys.stdout on a _StandardOutput, keeping its encoding and buffering."""
    current = sys.stdout
    if sys.platform == "win32" and current is not None and current.isatty():
        return None  # Windows' own console writer is kept: it alone shows all of Unicode
    try:
        fd = current.fileno() if current is not None else None
    except (OSError, ValueError):
        fd = None
    raw = _StandardOutput(fd)
    # Python leaves sys.stdout None when descriptor 1 was closed at start; the number may
    # since name a file ipt-plan opened, so nothing is written to it.
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(raw), encoding=getattr(current, "encoding", None) or "utf-8",
        errors=getattr(current, "errors", None) or "strict",
        line_buffering=getattr(current, "line_buffering", False),
        write_through=getattr(current, "write_through", False))
    return raw


def _app_for(argv: list[str]) -> typer.Typer:
    """The app to run for this command line: for `ipt-plan COMMAND ...`, one that knows
    only that command. Typer turns every command's signature into Click's options before
    running any, a tenth of the start-up of a `check` run on every save; `ipt-plan --help`
    and a misspelt command still get the whole app."""
    wanted = argv[1] if len(argv) > 1 else None
    chosen = [info for info in app.registered_commands
              if (info.name or info.callback.__name__.replace("_", "-")) == wanted]
    if not chosen:
        return app
    only = typer.Typer(**APP_SETTINGS)
    only.registered_callback = app.registered_callback
    only.registered_commands = chosen
    return only


def run() -> None:
    """Console entry point."""
    stdout = _guarded_stdout()
    try:
        try:
            _app_for(sys.argv)(prog_name="ipt-plan")
        finally:
            sys.stdout.flush()  # here, not at exit, where a failure can only be ignored
    except OutputLost as lost:
        if stdout is not None:
            stdout.lost = True
        if lost.args[0] is not None:
            sys.stderr.write(f"ipt-plan: could not write to standard output ({lost.args[0]}); "
                             "the output is incomplete\n")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write("ipt-plan: interrupted\n")
        sys.exit(130)
