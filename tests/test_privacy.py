"""Health data stays safe: a plan's own `id` line, what a calendar export reveals (nothing
that identifies the client or their problems), and the per-user key its UIDs are made with."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from conftest import PLANS, REFERENCE, SHARED_EXAMPLES
from ipt_plan import load_file, load_string
from ipt_plan.cli import app
from ipt_plan.formatter import format_text

BUNDLED = sorted(PLANS.glob("*.iptplan"))
PLAN_ID = "7f3c9a2e1b4d"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(map(str, args)))


def with_header_line(text: str, line: str) -> str:
    """The plan with `line` added to its header, right under the plan line (line 4 of the
    reference plan)."""
    return re.sub(r"^(plan .*)$", lambda m: f"{m[1]}\n{line}", text, count=1, flags=re.M)


def codes(text: str) -> list[str]:
    return [d.code for d in load_string(text).diagnostics]


# --- the `id` line ------------------------------------------------------------------------

def test_an_id_line_is_read_into_the_plan(reference_text):
    result = load_string(with_header_line(reference_text, f"  id {PLAN_ID}"))
    assert result.ok, [d.message for d in result.diagnostics]
    assert result.plan.id == PLAN_ID
    assert load_string(reference_text).plan.id is None


@pytest.mark.parametrize("path", [*BUNDLED, *sorted(SHARED_EXAMPLES.glob("*.iptplan"))],
                         ids=lambda p: p.name)
def test_plans_without_an_id_stay_clean(path):
    result = load_file(path)
    assert result.ok and result.plan.id is None


@pytest.mark.parametrize("value, message", [
    ("7F3C9A2E1B4D", "lowercase"),
    ("7f3c9a", "12 to 32"),
    ("7f3c9a2e1b4d" * 3, "12 to 32"),
    ("A0142client", "hexadecimal"),
])
def test_a_malformed_id_is_ipt001_with_a_hint(reference_text, value, message):
    result = load_string(with_header_line(reference_text, f"  id {value}"))
    [diagnostic] = result.diagnostics
    assert diagnostic.code == "IPT001" and message in diagnostic.message
    assert (diagnostic.line, diagnostic.column) == (4, 6)
    assert diagnostic.end_column == 6 + len(value)
    assert "id 7f3c9a2e1b4d" in diagnostic.hint and "ipt-plan new" in diagnostic.hint


@pytest.mark.parametrize("line", ['  id "7f3c9a2e1b4d"', "  id", "  id 7f3c-9a2e-1b4d"])
def test_an_id_line_written_wrongly_shows_how_it_looks(reference_text, line):
    [diagnostic] = load_string(with_header_line(reference_text, line)).diagnostics
    assert diagnostic.code == "IPT001"
    assert "Traceback" not in diagnostic.message and "_NL" not in diagnostic.message
    assert "CLIENT_ID" not in diagnostic.message and "client ID" not in diagnostic.message
    assert "id 7f3c9a2e1b4d" in diagnostic.hint


def test_a_quoted_id_is_a_common_mistake(reference_text):
    [diagnostic] = load_string(with_header_line(reference_text, f'  id "{PLAN_ID}"')).diagnostics
    assert diagnostic.message == "the plan's id is written without quotes"


def test_a_misspelt_id_keyword_gets_its_article(reference_text):
    [diagnostic] = load_string(with_header_line(reference_text, f"  idd {PLAN_ID}")).diagnostics
    assert "did you mean 'id'?" in diagnostic.message
    assert diagnostic.hint == f"an id line looks like: id {PLAN_ID}"


def test_an_id_given_twice_is_ipt003(reference_text):
    text = with_header_line(reference_text, f"  id {PLAN_ID}\n  id {'0' * 12}")
    [diagnostic] = load_string(text).diagnostics
    assert diagnostic.code == "IPT003" and "id" in diagnostic.message and diagnostic.line == 5


def test_an_id_line_belongs_in_the_header(reference_text):
    text = reference_text.replace("\nphase initial", f"\n  id {PLAN_ID}\nphase initial", 1)
    assert codes(text) == ["IPT001"]


def test_names_starting_with_id_are_still_names():
    # `id` is a keyword only where a line starts; a focus may be called id or identity.
    text = ('plan "x"\n'
            "focus id: role_transition \"x\"\n  goal \"x\"\n"
            "focus identity: grief \"x\"\n  goal \"x\"\n"
            "phase initial sessions 1-3\n  session 1\n    interpersonal_inventory\n"
            "    formulation for id, identity\n    treatment_contract\n"
            "phase middle sessions 4-12\n  session 4\n    mourn_old_role for id\n"
            "    facilitate_mourning for identity\n"
            "phase termination sessions 13-14\n  session 13\n    termination_discussion\n"
            "    relapse_prevention\n")
    result = load_string(text)
    assert [f.id.text for f in result.plan.foci] == ["id", "identity"]
    assert not [d for d in result.diagnostics if d.code in ("IPT001", "IPT002")]


def test_fmt_keeps_an_id_and_never_adds_one(reference_text):
    with_id = with_header_line(reference_text, f"id   {PLAN_ID}   # keep")
    formatted = format_text(with_id)
    assert re.search(rf"^  id {PLAN_ID} +# keep$", formatted, flags=re.MULTILINE)
    assert format_text(formatted) == formatted
    assert "\n  id " not in format_text(reference_text)


def test_json_export_carries_the_id(reference_text, tmp_path):
    from ipt_plan import export

    assert json.loads(export.to_json(load_string(reference_text)))["id"] is None
    plan = tmp_path / "ms-a.iptplan"
    plan.write_text(with_header_line(reference_text, f"  id {PLAN_ID}"), encoding="utf-8")
    result = invoke("export", plan, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["id"] == PLAN_ID


def test_json_schema_describes_the_id():
    import jsonschema

    from ipt_plan import export

    schema = json.loads(export.json_schema_path().read_text(encoding="utf-8"))
    document = json.loads(export.to_json(load_file(REFERENCE)))
    jsonschema.validate({**document, "id": PLAN_ID}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "id": "A-0142"}, schema)


def test_new_writes_a_random_id():
    first, second = (invoke("new", "--focus", "grief") for _ in range(2))
    ids = [load_string(r.stdout).plan.id for r in (first, second)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and ids[0] != ids[1]
    assert load_string(first.stdout).ok
