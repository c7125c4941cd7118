from __future__ import annotations

import json

from typer.testing import CliRunner

from conftest import PLANS, REFERENCE
from ipt_plan import __version__
from ipt_plan.cli import app
from ipt_plan.rules import RULES

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(map(str, args)))


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_clean_plan_prints_nothing_and_exits_0():
    result = invoke("check", REFERENCE)
    assert (result.exit_code, result.output) == (0, "")


def test_folder_and_glob(tmp_path):
    assert invoke("check", PLANS).exit_code == 0
    assert invoke("check", f"{PLANS}/*.iptplan").exit_code == 0


def test_error_output_is_editor_friendly(tmp_path, reference_text):
    bad = write(tmp_path, "bad.iptplan", reference_text.replace(
        "    role_play for sister", "    role_play for sistr"))
    result = invoke("check", bad)
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first == f"{bad}:43:19: error[IPT002]: there is no focus called 'sistr'"
    assert "   43 |     role_play for sistr" in result.output
    assert "      | " + " " * 18 + "^^^^^\n" in result.output
    assert "= hint: did you mean 'sister'?" in result.output
    assert result.output.rstrip().endswith("1 plan checked: 1 error, 0 warnings")


def test_warnings_pass_unless_strict(tmp_path, reference_text):
    late = write(tmp_path, "late.iptplan", reference_text.replace(
        "  session 14\n    termination_discussion", "  session 14\n    recognize_competence")
        .replace("    relapse_prevention", "    relapse_prevention\n    termination_discussion"))
    result = invoke("check", late)
    assert result.exit_code == 0 and "warning[IPT306]" in result.output
    assert invoke("check", "--strict", late).exit_code == 1


def test_json_format(tmp_path, reference_text):
    bad = write(tmp_path, "bad.iptplan", reference_text.replace("stage renegotiation\n", ""))
    result = invoke("check", "--format", "json", bad, REFERENCE)
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["errors"] == 1 and doc["warnings"] == 0
    first, second = doc["files"]
    assert first["protocol"] == "ipt"
    (diag,) = first["diagnostics"]
    assert diag["code"] == "IPT204" and diag["line"] == 12 and diag["severity"] == "error"
    assert second["diagnostics"] == []


def test_missing_file_is_a_usage_error_but_others_are_checked(tmp_path, reference_text):
    bad = write(tmp_path, "bad.iptplan", reference_text.replace("stage renegotiation\n", ""))
    result = invoke("check", tmp_path / "nope.iptplan", bad)
    assert result.exit_code == 2
    assert "nope.iptplan:1:1: error[IPT000]: no such file or folder" in result.output
    assert "error[IPT204]" in result.output


def test_bad_option_is_a_usage_error():
    assert invoke("check", "--format", "xml", REFERENCE).exit_code == 2
    assert invoke("check", "--no-such-option", REFERENCE).exit_code == 2
    assert invoke("check").exit_code == 2


def test_rules_lists_every_rule():
    output = invoke("rules").output
    for code in RULES:
        assert code in output
    assert output.index("IPT001") < output.index("IPT002") < output.index("IPT101")


def test_explain():
    result = invoke("explain", "ipt205")
    assert result.exit_code == 0
    assert "IPT205" in result.output and "Why:" in result.output
    assert "mourn_old_role for sister" in result.output and "Source:" in result.output
    assert invoke("explain", "IPT998").exit_code == 2


def test_protocols_and_techniques():
    result = invoke("protocols")
    for name in ("ipt ", "ipt-uk", "ipt-brief", "ipt-a", "ipt-group", "ipt-ptsd", "ipt-m"):
        assert name in result.output
    assert "Weissman" in result.output
    assert "max_weeks" in invoke("protocols", "--show", "ipt").output
    assert invoke("protocols", "--show", "nope").exit_code == 2
    assert "communication_analysis" in invoke("techniques").output


def test_version_and_help():
    assert invoke("--version").output.strip() == f"ipt-plan {__version__}"
    help_text = invoke("check", "--help").output
    assert "--strict" in help_text and "Examples" in help_text


def test_a_large_batch_checked_in_parallel_reports_the_same(tmp_path, reference_text):
    for n in range(70):
        text = reference_text if n % 10 else reference_text.replace("stage renegotiation\n", "")
        write(tmp_path, f"plan-{n:02d}.iptplan", text)
    serial = invoke("check", "--jobs", "1", "--format", "json", tmp_path)
    parallel = invoke("check", "--jobs", "2", "--format", "json", tmp_path)
    assert serial.exit_code == parallel.exit_code == 1
    assert serial.output == parallel.output
    assert json.loads(serial.output)["errors"] == 7


def test_a_folder_without_plans_is_not_reported_as_clean(tmp_path):
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "no plans (*.iptplan) found" in result.output
