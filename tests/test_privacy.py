"""Health data stays safe: a plan's own `id` line, what a calendar export reveals (nothing
that identifies the client or their problems), and the per-user key its UIDs are made with."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path

import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from conftest import PLANS, REFERENCE, SHARED_EXAMPLES
from ipt_plan import load_file, load_string
from ipt_plan.cli import app
from ipt_plan.formatter import format_text
from ipt_plan.knowledge import catalogue

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
                         ids=lambda p: f"{p.parent.name}/{p.name}")
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


# --- what a calendar reveals --------------------------------------------------------------

def old_uid_key(client: str, plan_file: str) -> str:
    """The UID key of the first calendar export: an unsalted hash anyone can recompute."""
    return hashlib.sha256(f"{client}\0{plan_file}".encode()).hexdigest()[:16]


def calendar(path_or_result, *options) -> Calendar:
    from ipt_plan import export

    result = load_file(path_or_result) if isinstance(path_or_result, Path) else path_or_result
    return Calendar.from_ical(export.to_ics(result, "UTC", *options))


def uids(cal: Calendar) -> dict[int, str]:
    return {int(str(e["UID"]).split(".")[0].removeprefix("session-")): str(e["UID"])
            for e in cal.events}


def saved(tmp_path: Path, text: str, name: str = "ms-a.iptplan") -> Path:
    folder = tmp_path / f"plan-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_old_uid_scheme_no_longer_gives_the_client_away():
    # Brute force over one letter's client numbers, as an attacker would over A-Z.
    cal = calendar(REFERENCE)
    tokens = {uid.split(".")[1].split("@")[0] for uid in uids(cal).values()}
    guesses = {old_uid_key(f"A-{n:04d}", REFERENCE.name): n for n in range(10_000)}
    assert old_uid_key("A-0142", REFERENCE.name) in guesses  # the old scheme fell to this
    assert not tokens & set(guesses)
    assert not any(g in uid for g in guesses for uid in uids(cal).values())
    assert len(tokens) == len(uids(cal))  # one token per event: nothing links them to a key


def test_uids_depend_on_the_users_key(tmp_path, monkeypatch):
    first = uids(calendar(REFERENCE))
    monkeypatch.setenv("IPT_PLAN_CONFIG_DIR", str(tmp_path / "another-user"))
    second = uids(calendar(REFERENCE))
    assert first.keys() == second.keys() and not set(first.values()) & set(second.values())
    # Copying the key file to another machine keeps them.
    (tmp_path / "copy").mkdir(mode=0o700)
    key = Path(os.environ["IPT_PLAN_CONFIG_DIR"]) / "calendar.key"
    copy = tmp_path / "copy" / "calendar.key"
    copy.write_bytes(key.read_bytes())
    copy.chmod(0o600)
    monkeypatch.setenv("IPT_PLAN_CONFIG_DIR", str(tmp_path / "copy"))
    assert uids(calendar(REFERENCE)) == second


def test_uids_survive_edits_and_a_move_to_another_folder(tmp_path, reference_text):
    original = uids(calendar(saved(tmp_path, reference_text)))
    edited = reference_text.replace("Ms. A: caregiving", "Ms. A, edited: caregiving").replace(
        "Agree a fair rota", "Agree a fairer rota")
    assert uids(calendar(saved(tmp_path, edited))) == original
    assert len(set(original.values())) == len(original) == 16
    # Another plan file (an acute course, then maintenance) gets events of its own.
    other = uids(calendar(saved(tmp_path, reference_text, "maintenance.iptplan")))
    assert not set(other.values()) & set(original.values())


def test_with_an_id_line_the_uids_come_from_it(tmp_path, reference_text, monkeypatch):
    key_folder = tmp_path / "config"
    monkeypatch.setenv("IPT_PLAN_CONFIG_DIR", str(key_folder))
    text = with_header_line(reference_text, f"  id {PLAN_ID}")
    from_id = uids(calendar(saved(tmp_path, text)))
    assert from_id == {n: f"session-{n}.{PLAN_ID}@ipt-plan" for n in range(1, 17)}
    # Renamed, edited, on another machine: the same events.
    renamed = saved(tmp_path, text.replace("Agree a fair rota", "Agree a rota"), "x.iptplan")
    assert uids(calendar(renamed)) == from_id
    assert not key_folder.exists()  # a plan with an id needs no key


SECRET_FIELDS = ("SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT", "CATEGORIES", "ATTENDEE",
                 "ORGANIZER", "CONTACT", "URL", "ATTACH")


def written_about_the_client(path: Path) -> set[str]:
    """Everything in a plan that names or describes the client: its file name, client and
    clinician, titles, focus ids and descriptions, goals, diagnosis and free text."""
    plan = load_file(path).plan
    texts = {path.name, path.stem, plan.title, plan.client, plan.clinician, plan.diagnosis}
    for focus in plan.foci:
        texts |= {focus.id.text, focus.description, *(g.text for g in focus.goals)}
    for _, session in plan.sessions():
        texts |= {session.title, *(a.detail for a in session.activities)}
    for phase in plan.phases:
        texts |= {a.detail for a in phase.every}
    return {t for t in texts if t}


def without_catalogue_words(text: str) -> str:
    """The text with the catalogue's own labels blanked out: a session titled "Interpersonal
    inventory", or a focus named isolation, is no leak where the technique's label says it."""
    cat = catalogue()
    labels = [t.label for t in cat.techniques.values()] + [p.label for p in cat.phases.values()]
    for label in sorted(labels, key=len, reverse=True):
        text = text.replace(label, "\u2022")
    return text


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_calendar_events_carry_nothing_about_the_client(path):
    private = written_about_the_client(path)
    assert len(private) > 5
    for event in calendar(path).events:
        assert str(event["CLASS"]) == "CONFIDENTIAL"
        assert str(event["SUMMARY"]).startswith("IPT session ")
        shown = without_catalogue_words(
            "\n".join(str(event[field]) for field in SECRET_FIELDS if field in event))
        for text in private:
            # Focus ids are short words (mum, work): only a whole word would reveal one.
            assert not re.search(rf"(?<![\w-]){re.escape(text)}(?![\w-])", shown), text


def test_the_description_names_the_phase_and_how_the_session_is_held_only():
    six = next(e for e in calendar(REFERENCE).events if str(e["UID"]).startswith("session-6."))
    assert str(six["DESCRIPTION"]) == (
        "Middle phase. 10 sessions remain after this one.\n"
        "In person.\n"
        "A rating scale is due.\n"
        "The session's agenda: from ipt-plan render.")
    assert str(six["SUMMARY"]) == "IPT session 6 of 16 (middle phase)"


def test_no_event_names_a_technique_or_a_scale():
    """'Facilitate mourning' says bereavement, the EPDS says a new mother: neither belongs
    in a calendar that may be synced elsewhere."""
    from ipt_plan.knowledge import catalogue

    cat = catalogue()
    words = [t.label for t in cat.techniques.values()] + list(cat.measures)
    for plan in sorted(PLANS.glob("*.iptplan")):
        for event in calendar(plan).events:
            text = str(event["DESCRIPTION"]) + str(event["SUMMARY"])
            assert not [w for w in words if w in text], (plan.name, text)


def test_a_label_is_what_tells_clients_apart():
    labelled = calendar(REFERENCE, "Ms A")
    assert {str(e["SUMMARY"]).split(": ")[0] for e in labelled.events} == {"Ms A"}
    six = next(e for e in labelled.events if str(e["UID"]).startswith("session-6."))
    assert str(six["SUMMARY"]) == "Ms A: IPT session 6 of 16 (middle phase)"
    result = invoke("export", REFERENCE, "-f", "ics", "--tz", "UTC", "--label", "Ms A")
    assert result.exit_code == 0 and "SUMMARY:Ms A: IPT session 6 of 16" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["-f", "json", "--label", "Ms A"], "--label applies to --format ics only"),
    (["-f", "fhir", "--label", "Ms A"], "--label applies to --format ics only"),
    (["-f", "ics", "--label", "  "], "--label needs some text"),
    (["-f", "ics", "--label", "Ms A\nnext"], "--label must be one line"),
])
def test_a_label_that_cannot_be_used_is_a_usage_error(args, message):
    result = invoke("export", REFERENCE, *args)
    assert result.exit_code == 2 and message in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


# --- the per-user key ---------------------------------------------------------------------

def key_path() -> Path:
    return Path(os.environ["IPT_PLAN_CONFIG_DIR"]) / "calendar.key"


def test_the_key_is_made_once_private_to_the_user(tmp_path, monkeypatch):
    monkeypatch.setenv("IPT_PLAN_CONFIG_DIR", str(tmp_path / "config" / "ipt-plan"))
    first = uids(calendar(REFERENCE))
    key = key_path()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert len(key.read_bytes()) == 32
    secret = key.read_bytes()
    assert uids(calendar(REFERENCE)) == first and key.read_bytes() == secret


def test_the_key_folder_follows_xdg(tmp_path, monkeypatch):
    from ipt_plan.calendar_key import key_path as where

    monkeypatch.delenv("IPT_PLAN_CONFIG_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert where() == tmp_path / "ipt-plan" / "calendar.key"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/path")  # not absolute: ignored, per XDG
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert where() == tmp_path / "home" / ".config" / "ipt-plan" / "calendar.key"


def refused(message: str) -> None:
    result = invoke("export", REFERENCE, "-f", "ics", "--tz", "UTC")
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert message in result.stderr, result.stderr
    assert str(key_path()) in result.stderr


def test_a_key_that_is_a_symlink_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("IPT_PLAN_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "config").mkdir(mode=0o700)
    elsewhere = tmp_path / "planted.key"
    elsewhere.write_bytes(b"k" * 32)
    elsewhere.chmod(0o600)
    key_path().symlink_to(elsewhere)
    refused("is a symbolic link")
    assert key_path().is_symlink() and elsewhere.read_bytes() == b"k" * 32


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_a_key_others_can_read_is_refused(tmp_path, monkeypatch, mode):
    monkeypatch.setenv("IPT_PLAN_CONFIG_DIR", str(tmp_path / "config"))
    calendar(REFERENCE)
    key_path().chmod(mode)
    refused("chmod 600")


def test_a_key_that_is_not_a_file_or_is_damaged_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("IPT_PLAN_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "config").mkdir(mode=0o700)
    os.mkfifo(key_path(), 0o600)  # opening a FIFO would wait for a writer forever
    refused("not a regular file")
    key_path().unlink()
    key_path().write_bytes(b"short")
    key_path().chmod(0o600)
    refused("not a key ipt-plan made")


def test_a_key_folder_others_can_write_to_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("IPT_PLAN_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "config").mkdir()
    (tmp_path / "config").chmod(0o777)
    result = invoke("export", REFERENCE, "-f", "ics", "--tz", "UTC")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert f"make it yours alone: chmod 700 {key_path().parent}" in result.stderr
    assert not key_path().exists()


# --- the README's table of what goes where ------------------------------------------------

# Texts of the reference plan, one set per column of the table.
COLUMNS = {
    "client ID": ("A-0142",),
    "clinician": ("Dr. R. Moreno",),
    "titles": ("Ms. A: caregiving conflict with her sister", "The hospital appointment argument"),
    "goals": ("Tell Anna what I can and cannot do, calmly, without giving in",),
    "free text": ("Major depressive disorder, single episode, moderate",
                  "Sister Anna directs the care of their mother",
                  "Saying no to the Thursday appointment",
                  "Write down each request Anna makes this week and your answer"),
}


def readme_table() -> dict[str, dict[str, str]]:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Health data: what goes where", 1)[1].split("\n## ", 1)[0]
    rows = [re.split(r"(?<!\\)\|", line.strip())[1:-1] for line in section.splitlines()
            if line.startswith("| ") and not line.startswith("|---")]
    header = [cell.strip() for cell in rows[0]]
    return {row[0].strip(): dict(zip(header[1:], (c.strip() for c in row[1:]))) for row in rows[1:]}


def output_of(name: str) -> str:
    from ipt_plan import export, render

    result = load_file(REFERENCE)
    if name == "agendas (`render`)":
        return "\n".join(document.text for document in render(result, fmt="md"))
    if name.startswith("`export -f "):
        fmt = name.removeprefix("`export -f ").rstrip("`")
        if fmt == "ics":
            return Calendar.from_ical(export.to_ics(result, "UTC")).to_ical().decode().replace(
                "\r\n ", "").replace("\\", "")
        return json.dumps(json.loads(export.to_fhir(result) if fmt == "fhir"
                                     else export.to_json(result)), ensure_ascii=False)
    if name == "`progress`":  # its text and its json, as on a day after the course
        return "\n".join(invoke("progress", REFERENCE, *options, "--today", "2027-06-01").stdout
                         for options in ((), ("--format", "json")))
    assert name == "`graph`", name
    return invoke("graph", REFERENCE, "--format", "dot").stdout


def test_the_readme_table_names_every_output_and_column():
    table = readme_table()
    assert list(table) == ["agendas (`render`)", "`export -f json`", "`export -f fhir`",
                           "`export -f ics`", "`graph`", "`progress`", "diagnostics"]
    assert all(list(row)[:-1] == list(COLUMNS) for row in table.values())


@pytest.mark.parametrize("output", ["agendas (`render`)", "`export -f json`",
                                    "`export -f fhir`", "`export -f ics`", "`graph`",
                                    "`progress`"])
def test_the_readme_table_says_what_each_output_holds(output):
    text, row = output_of(output), readme_table()[output]
    for column, samples in COLUMNS.items():
        cell = row[column]
        if cell == "no":
            assert not any(s in text for s in samples), (column, cell)
        elif cell == "plan and session titles":
            assert all(s in text for s in samples), (column, cell)
        else:
            assert cell.startswith("yes") and all(s in text for s in samples), (column, cell)


def test_the_readme_table_on_diagnostics(tmp_path, reference_text):
    assert set(list(readme_table()["diagnostics"].values())[:-1]) == {"on a line shown"}
    broken = tmp_path / "ms-a.iptplan"
    goal = COLUMNS["goals"][0]
    broken.write_text(reference_text.replace(f'"{goal}"', f'"{goal}'), encoding="utf-8")
    assert goal in invoke("check", broken).stdout
    for fmt in ("json", "sarif", "github"):
        result = invoke("check", broken, "--format", fmt)
        assert result.exit_code == 1 and goal not in result.stdout, fmt


def test_a_key_that_cannot_be_made_says_what_to_do(monkeypatch):
    from ipt_plan.calendar_key import KeyFileError, calendar_key

    monkeypatch.setenv("IPT_PLAN_CONFIG_DIR", "/proc/ipt-plan-cannot-be-made-here")
    with pytest.raises(KeyFileError) as caught:
        calendar_key()
    assert "set IPT_PLAN_CONFIG_DIR" in str(caught.value) and "`id` line" in str(caught.value)
