"""`ipt-plan new`: for every built-in protocol, with one focus and with as many as it
allows over the problem areas it allows, the skeleton checks clean (warnings too) once its
blanks are filled, warns of each blank until then, and holds what the protocol needs;
impossible requests are refused with a usage error."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from typer.testing import CliRunner

from conftest import BRACKETED, filled

from ipt_plan import load_file, load_string
from ipt_plan.cli import app
from ipt_plan.config import Config
from ipt_plan.formatter import format_text
from ipt_plan.knowledge import catalogue, find_profile
from ipt_plan.skeleton import next_monday, skeleton

runner = CliRunner()
TODAY = dt.date(2026, 11, 25)  # a Wednesday


def invoke(*args):
    return runner.invoke(app, list(map(str, args)))


def blanks_said(text: str) -> list[int]:
    """The lines `check` says hold a blank: every diagnostic must be one (IPT007)."""
    diagnostics = load_string(text, "new.iptplan", config=Config()).diagnostics
    assert {(d.code, d.severity.value) for d in diagnostics} <= {("IPT007", "warning")}
    return [d.line for d in diagnostics]


def builtin_protocols() -> list[str]:
    """The names `ipt-plan protocols` lists: a name at the start of a line."""
    output = invoke("protocols").output
    return re.findall(r"^(\S+)\s+\d", output, flags=re.MULTILINE)


PROTOCOLS = builtin_protocols()


def requests():
    """(protocol, areas): one focus of each area the protocol allows, then every choice
    of as many foci as it allows."""
    for name in PROTOCOLS:
        profile = find_profile(name)
        yield from ((name, (area,)) for area in profile.areas)
        if profile.foci[1] > 1:
            yield from ((name, areas) for areas in
                        itertools.combinations(profile.areas, profile.foci[1]))


REQUESTS = list(requests())


def test_every_builtin_protocol_is_covered():
    assert set(PROTOCOLS) == {"ipt", "ipt-uk", "ipt-brief", "ipt-a", "ipt-group", "ipt-ptsd",
                              "ipt-m", "ipc", "ipt-perinatal"}
    assert ("ipt", ("role_dispute", "grief")) in [(n, tuple(sorted(a, reverse=True)))
                                                  for n, a in REQUESTS]


@pytest.mark.parametrize("name, areas", REQUESTS, ids=lambda v: v if isinstance(v, str) else "+".join(v))
def test_skeleton_checks_clean_and_holds_what_the_protocol_needs(name, areas):
    profile = find_profile(name)
    result = skeleton(profile, areas, today=TODAY)
    assert result.diagnostics == ()
    # Each blank is said where it is, and nothing else: filled, the plan checks clean
    # (no errors and no warnings: clean with --strict too).
    lines = result.text.split("\n")
    assert blanks_said(result.text) == [
        number for number, line in enumerate(lines, 1)
        if BRACKETED.search(line) and "limited sick role" not in line]
    assert load_string(filled(result.text), "new.iptplan", config=Config()).diagnostics == ()
    checked = load_string(result.text, "new.iptplan", config=Config())
    assert format_text(result.text) == result.text  # laid out as `ipt-plan fmt` would
    plan = checked.plan
    cat = catalogue()

    # Header: placeholders, the protocol, a schedule from next Monday at 10:00.
    assert plan.protocol_name == name and plan.title.startswith("(")
    assert plan.schedule.start == dt.date(2026, 11, 30) and plan.schedule.time == dt.time(10)
    if profile.minutes:
        assert profile.minutes[0] <= plan.schedule.minutes <= profile.minutes[1]
    # The protocol's usual scale, or ipt-plan's default (PHQ-9) where it names none.
    assert [m.name.text for m in plan.measures] == [(profile.usual_measures or ("PHQ-9",))[0]]

    # Foci: one per area, named after it, with a goal to write; a dispute's stage.
    assert [f.area.text for f in plan.foci] == list(areas)
    assert all(f.goals[0].text == "(write the goal in the patient's words)" for f in plan.foci)
    for focus in plan.foci:
        assert focus.id.text.split("_")[0] == focus.area.text.rsplit("_", 1)[-1]
        if focus.area.text == "role_dispute":
            assert focus.stage.text == "renegotiation"

    # Phases: the ones the profile needs, in its order, sized within its ranges.
    assert tuple(p.kind for p in plan.phases) == tuple(
        k for k in profile.phase_order if k in profile.phases)
    course = [s.number for phase, s in plan.sessions() if phase.kind != "pretreatment"]
    assert profile.sessions[0] == len(course)
    if plan.phase("pretreatment"):
        assert (plan.phase("pretreatment").first, plan.phase("pretreatment").last) == (0, 0)

    # Tasks: the formulation names every focus; each focus gets its area's techniques,
    # with an analysis before its role play; the ending is raised in time.
    activities = [(phase.kind, session.number, a) for phase, session in plan.sessions()
                  for a in session.activities]
    names = {a.name.text for _, _, a in activities}
    assert set(profile.initial_tasks) <= names
    # The first session (session 0 where there is one) holds what the protocol asks of it.
    first = min(n for _, n, _ in activities)
    assert set(profile.first_session_tasks) <= {a.name.text for _, n, a in activities if n == first}
    if plan.phase("termination"):
        termination = {a.name.text for kind, _, a in activities if kind == "termination"}
        assert set(profile.termination_tasks) <= termination
    # The formulation names every focus; maintenance IPT, with no initial phase, keeps the
    # acute course's and writes none.
    if plan.phase("initial") or plan.phase("pretreatment"):
        formulation = next(a for _, _, a in activities if a.name.text == "formulation")
        assert [w.text for w in formulation.foci] == [f.id.text for f in plan.foci]
    else:
        assert "formulation" not in names and "treatment_contract" in names
    for focus in plan.foci:
        own = [t.name for t in cat.techniques.values() if t.area == focus.area.text]
        used = [(n, a.name.text) for _, n, a in activities
                if [w.text for w in a.foci] == [focus.id.text]]
        assert {t for _, t in used} >= set(own) | {"role_play"}
        analysed = min(n for n, t in used if t == "communication_analysis")
        assert analysed <= min(n for n, t in used if t == "role_play")
    ending = min(n for _, n, a in activities if a.name.text == "termination_discussion")
    assert max(course) - ending >= profile.ending_notice
    assert ("homework" in names) == ("homework" not in profile.forbidden)


def test_a_second_focus_of_interpersonal_deficits_is_marked_not_hidden():
    result = skeleton(find_profile("ipt"), ["role_transition", "interpersonal_deficits"],
                      today=TODAY)
    assert result.diagnostics == ()
    line = next(l for l in result.text.split("\n") if l.startswith("focus deficits"))
    assert line.endswith("# ipt-plan: ignore[IPT202]")
    assert "ipt-plan explain IPT202" in result.text and "IPT202" in result.notes[0]
    without = result.text.replace("  # ipt-plan: ignore[IPT202]", "")
    assert [d.code for d in load_string(filled(without), config=Config()).diagnostics] == [
        "IPT202"]


def test_two_foci_of_one_area_get_their_own_names():
    result = skeleton(find_profile("ipt"), ["grief", "grief"], today=TODAY)
    assert result.diagnostics == ()
    assert re.findall(r"^focus (\w+):", result.text, flags=re.MULTILINE) == ["grief", "grief_2"]


def test_title_client_and_course_length():
    title = 'Ms. A: "Anna" \\ her sister'
    result = skeleton(find_profile("ipt-uk"), ["grief"], title=title, client="G 0388",
                      sessions=18, today=TODAY)
    plan = load_string(result.text).plan
    assert plan.title == title and plan.client == "G 0388"  # quoted: it has a space
    assert "client G-0388" in skeleton(find_profile("ipt"), ["grief"], client="G-0388").text
    assert sum(1 for _ in plan.sessions()) == 18 and result.diagnostics == ()


def test_next_monday():
    assert next_monday(dt.date(2026, 11, 25)) == dt.date(2026, 11, 30)  # Wednesday
    assert next_monday(dt.date(2026, 11, 30)) == dt.date(2026, 12, 7)  # a Monday: the next one
    assert next_monday(dt.date(2026, 12, 6)) == dt.date(2026, 12, 7)  # Sunday


# --- the command ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", PROTOCOLS)
def test_new_writes_a_plan_that_checks_clean_with_strict(tmp_path, name):
    profile = find_profile(name)
    target = tmp_path / f"{name}.iptplan"
    args = ["new", "--protocol", name, "-o", target]
    for area in profile.areas[: profile.foci[1]]:
        args += ["--focus", area]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert f"wrote {target}" in result.stderr and result.stdout == ""
    unfilled = invoke("check", "--strict", target)
    assert unfilled.exit_code == 1 and "[IPT007]" in unfilled.output  # its blanks
    target.write_text(filled(target.read_text(encoding="utf-8")), encoding="utf-8")
    assert invoke("check", "--strict", target).exit_code == 0
    assert load_file(target).plan.protocol_name == name


def test_new_prints_to_standard_output_without_a_file():
    result = invoke("new", "--focus", "grief", "--client", "A-1")
    assert result.exit_code == 0
    assert "protocol ipt\n" in result.stdout and "client A-1\n" in result.stdout
    assert load_string(result.stdout).ok


REFUSALS = {
    "unknown protocol": (["--protocol", "ipd", "--focus", "grief"],
                         "'ipd' is not a protocol ipt-plan knows; did you mean 'ipt'?"),
    "unknown area": (["--focus", "dispute"],
                     "'dispute' is not a problem area; did you mean 'role_dispute'?"),
    "too many foci": (["--protocol", "ipt-brief", "--focus", "grief", "--focus", "role_dispute"],
                      "the ipt-brief protocol works on 1 focus, and 2 were asked for"),
    "three foci": (["--focus", "grief", "--focus", "role_dispute", "--focus", "role_transition"],
                   "the ipt protocol works on 1 or 2 foci, and 3 were asked for"),
    "area not allowed": (["--protocol", "ipt-ptsd", "--focus", "interpersonal_deficits"],
                         "the ipt-ptsd protocol does not work on interpersonal_deficits"),
    "course too long": (["--focus", "grief", "--sessions", "30"],
                        "the ipt protocol has 12 to 16 sessions, not 30"),
    "no focus": ([], "Missing option '--focus'"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_refusals_are_usage_errors_that_say_why(case):
    args, message = REFUSALS[case]
    result = invoke("new", *args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stdout == ""


def test_an_existing_file_is_kept_unless_forced(tmp_path):
    target = tmp_path / "plan.iptplan"
    target.write_text("my own plan\n", encoding="utf-8")
    result = invoke("new", "--focus", "grief", "-o", target)
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert target.read_text(encoding="utf-8") == "my own plan\n"
    assert invoke("new", "--focus", "grief", "-o", target, "--force").exit_code == 0
    assert load_file(target).ok


def test_help_teaches_with_examples():
    help_text = invoke("new", "--help").output
    assert "Examples" in help_text and "--focus role_dispute --focus grief -o ms-a.iptplan" in help_text


def test_shell_completion_offers_areas_and_protocols():
    from ipt_plan.cli import _complete_areas, _complete_protocols

    assert _complete_areas("role") == ["role_dispute", "role_transition"]
    assert set(_complete_protocols("ipt-")) == {p for p in PROTOCOLS if p.startswith("ipt-")}
    assert "ipc" in _complete_protocols("ip") and "ipc" not in _complete_protocols("ipt")
    assert "--install-completion" in invoke("--help").output


def test_render_says_a_plan_still_has_its_blanks(tmp_path):
    """Its agendas would print "(your name)": render says so, on the plan's line and in
    the summary, and says nothing once the blanks are filled."""
    target = tmp_path / "new.iptplan"
    assert invoke("new", "--focus", "grief", "-o", target).exit_code == 0
    said = invoke("render", target, "-o", tmp_path / "out")
    assert said.exit_code == 0
    assert "it still has 8 texts in brackets from ipt-plan new, which its agendas print" in said.output
    assert "1 plan still has texts in brackets from ipt-plan new to replace" in said.output
    target.write_text(filled(target.read_text(encoding="utf-8")), encoding="utf-8")
    said = invoke("render", target, "-o", tmp_path / "out")
    assert said.exit_code == 0 and "brackets" not in said.output
