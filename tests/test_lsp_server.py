"""`ipt-plan lsp` end to end: the server started as an editor starts it, driven over stdio
by pytest-lsp with Visual Studio Code's capabilities (UTF-16 positions)."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys

import pytest
import pytest_lsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from conftest import PLANS, REFERENCE, ROOT
from ipt_plan import load_string
from ipt_plan.editor.positions import Edit, Position, Span, apply
from ipt_plan.knowledge import catalogue
from test_lsp_fixes import BASES, SLIPS, slipped
from test_properties import DELIVERED, mutated_plans

TODAY = "2026-07-01"  # after the bundled grief plan's log
SERVER = [sys.executable, "-m", "ipt_plan", "lsp", "--today", TODAY]
CAREGIVER = REFERENCE.read_text(encoding="utf-8")
GRIEF = (PLANS / "grief-husband-death.iptplan").read_text(encoding="utf-8")
WAIT = 60  # seconds: a shared machine can be slow, and a hang must still end


async def start(client: LanguageClient, editor: str = "visual-studio-code") -> None:
    client.registrations = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def registered(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)

    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(editor)))


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient):
    await start(lsp_client)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def neovim(lsp_client: LanguageClient):
    """Neovim 0.11 offers UTF-8 positions first, and does not watch files for servers."""
    await start(lsp_client, "neovim@v0.11.0")
    yield
    await lsp_client.shutdown_session()


# --- helpers ----------------------------------------------------------------------------

async def published(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """The next diagnostics published for `uri` (those already received are taken)."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while uri not in client.diagnostics:
        assert asyncio.get_running_loop().time() < deadline, f"nothing published for {uri}"
        await asyncio.sleep(0.01)
    return list(client.diagnostics.pop(uri))


async def opened(client: LanguageClient, path, text: str) -> tuple[str, list[types.Diagnostic]]:
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="iptplan", version=1, text=text)))
    return uri, await published(client, uri)


async def changed(client: LanguageClient, uri: str, version: int, edits: list[Edit]
                  ) -> list[types.Diagnostic]:
    """Send the edits as an editor does (ranges in UTF-16), and wait for the diagnostics."""
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=_range(edit.span), text=edit.text) for edit in edits]))
    return await published(client, uri)


def _range(span: Span) -> types.Range:
    return types.Range(types.Position(*span.start), types.Position(*span.end))


def _edit(edit: types.TextEdit) -> Edit:
    return Edit(Span(Position(edit.range.start.line, edit.range.start.character),
                     Position(edit.range.end.line, edit.range.end.character)), edit.new_text)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def document(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def expected(text: str) -> list[tuple[str, str]]:
    """What `check` finds, code and message, as the server should publish it."""
    result = load_string(text, "plans/plan.iptplan", today=dt.date.fromisoformat(TODAY))
    return [(d.code, d.message) for d in result.diagnostics]


def shown(diagnostics: list[types.Diagnostic]) -> list[tuple[str, str]]:
    return [(d.code, d.message.split("\nhint: ")[0]) for d in diagnostics]


# --- diagnostics --------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_a_plan_with_mistakes_gets_each_code_and_range_in_utf16(client, tmp_path):
    title = '  session 2 "The story of the death"'
    line_text = '  session 2 "Zoë\'s story 🕯 of the loss" with famly'
    text = slipped(slipped(GRIEF, title, line_text),
                   "encouragement_of_affect for geoff", "encouragement_of_affect for geof")
    uri, diagnostics = await opened(client, tmp_path / "mistakes.iptplan", text)
    lines = text.split("\n")
    assert shown(diagnostics) == expected(text)
    participant = next(d for d in diagnostics if "famly" in d.message)
    row = lines.index(line_text)
    start = utf16(line_text[:line_text.index("famly")])
    assert participant.range == types.Range(types.Position(row, start),
                                            types.Position(row, start + 5))
    assert start == line_text.index("famly") + 1  # the emoji is two UTF-16 units
    focus = next(d for d in diagnostics if "geof'" in d.message)
    row = next(n for n, line in enumerate(lines) if "encouragement_of_affect for geof" in line)
    column = lines[row].index("geof")
    assert (focus.range.start.line, focus.range.start.character,
            focus.range.end.character) == (row, column, column + 4)
    assert focus.severity == types.DiagnosticSeverity.Error and focus.source == "ipt-plan"
    assert focus.message == "there is no focus called 'geof'\nhint: did you mean 'geoff'?"


@pytest.mark.asyncio
async def test_each_diagnostic_links_to_its_rule_s_explanation(client, tmp_path):
    from ipt_plan.rules import RULES
    from pygls.uris import to_fs_path

    text = slipped(CAREGIVER, "  stage renegotiation\n", "")
    _, diagnostics = await opened(client, tmp_path / "a.iptplan", text)
    [d] = diagnostics
    assert d.code == "IPT204"
    explanation = open(to_fs_path(d.code_description.href), encoding="utf-8").read()
    assert explanation == RULES["IPT204"].explanation + "\n"


@pytest.mark.asyncio
async def test_the_diagnostics_follow_the_edits(client, tmp_path):
    uri, diagnostics = await opened(client, tmp_path / "a.iptplan", CAREGIVER)
    assert diagnostics == []
    row = CAREGIVER.split("\n").index("    role_play for sister \"Saying no to the Thursday appointment\"")
    diagnostics = await changed(client, uri, 2, [
        Edit(Span(Position(row, 22), Position(row, 23)), "")])  # sister -> siste
    assert [d.code for d in diagnostics] == ["IPT002"]
    client.text_document_did_save(types.DidSaveTextDocumentParams(document(uri)))
    assert [d.code for d in await published(client, uri)] == ["IPT002"]
    client.text_document_did_close(types.DidCloseTextDocumentParams(document(uri)))
    assert await published(client, uri) == []


@pytest.mark.asyncio
async def test_edits_after_a_line_separator_the_protocol_does_not_break_at_land_where_meant(
        client, tmp_path):
    # The protocol breaks lines at \r\n, \n and \r only: a form feed or U+2028 in a text
    # is part of its line, for the editor and so for the server.
    text = slipped(CAREGIVER, 'goal "Agree a fair rota', 'goal "Agree\u2028a fair\x0crota')
    uri, diagnostics = await opened(client, tmp_path / "a.iptplan", text)
    assert diagnostics == []
    line = '    role_play for sister "Saying no to the Thursday appointment"'
    row = text.split("\n").index(line)
    after = await changed(client, uri, 2, [Edit(Span(Position(row, 18), Position(row, 24)),
                                                "sistr")])
    assert shown(after) == expected(slipped(text, line, line.replace("sister", "sistr")))


# --- quick fixes ------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_each_kind_of_quick_fix_leaves_the_plan_clean(client, tmp_path):
    for number, slip in enumerate(sorted(SLIPS)):
        base_name, old, new, code, *corrected = SLIPS[slip]
        base = BASES[base_name]
        text = slipped(base, old, new)
        uri, diagnostics = await opened(client, tmp_path / f"{number}.iptplan", text)
        [wrong] = [d for d in diagnostics if d.code == code]
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=document(uri), range=wrong.range,
            context=types.CodeActionContext(diagnostics=[wrong])))
        [action] = actions
        assert action.kind == types.CodeActionKind.QuickFix and action.is_preferred
        edits = [_edit(e) for e in action.edit.changes[uri]]
        after = await changed(client, uri, 2, edits)
        assert shown(after) == expected(base), slip
        if slip != "missing-died":
            assert apply(text, edits) == (slipped(base, old, corrected[0]) if corrected
                                          else base), slip


@pytest.mark.asyncio
async def test_a_quick_fix_is_found_for_a_diagnostic_sent_back_without_its_data(client, tmp_path):
    text = slipped(CAREGIVER, "role_play for sister", "role_play for sistr")
    uri, [wrong] = await opened(client, tmp_path / "a.iptplan", text)
    wrong.data = None  # not every client keeps it
    [action] = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=document(uri), range=wrong.range,
        context=types.CodeActionContext(diagnostics=[wrong])))
    assert action.title == "Change to 'sister'"


# --- completion and hover ---------------------------------------------------------------

@pytest.mark.asyncio
async def test_completion_after_for_lists_the_plan_s_foci(client, tmp_path):
    written = '    role_play for sister "Saying no to the Thursday appointment"'
    text = slipped(CAREGIVER, written, "    role_play for ")
    uri, _ = await opened(client, tmp_path / "a.iptplan", text)
    row = text.split("\n").index("    role_play for ")
    found = await client.text_document_completion_async(types.CompletionParams(
        text_document=document(uri), position=types.Position(row, 18)))
    assert [item.label for item in found.items] == ["sister", "retirement"]
    assert found.items[0].text_edit.range.start == types.Position(row, 18)


@pytest.mark.asyncio
async def test_completion_in_a_middle_phase_session_lists_middle_phase_techniques(client, tmp_path):
    text = slipped(CAREGIVER, "    goal_review\n", "    go\n")
    uri, _ = await opened(client, tmp_path / "a.iptplan", text)
    row = text.split("\n").index("    go")
    found = await client.text_document_completion_async(types.CompletionParams(
        text_document=document(uri), position=types.Position(row, 6)))
    techniques = [item.label for item in found.items
                  if item.kind == types.CompletionItemKind.Function]
    cat = catalogue()
    assert techniques == [name for name, t in cat.techniques.items() if "middle" in t.phases]
    goal_review = next(item for item in found.items if item.label == "goal_review")
    assert goal_review.documentation.value == cat.techniques["goal_review"].description
    assert goal_review.text_edit.range == types.Range(types.Position(row, 4),
                                                      types.Position(row, 6))


@pytest.mark.asyncio
async def test_hover_on_a_technique_shows_its_description(client, tmp_path):
    uri, _ = await opened(client, tmp_path / "a.iptplan", CAREGIVER)
    lines = CAREGIVER.split("\n")
    row = next(n for n, line in enumerate(lines) if line.strip().startswith("decision_analysis"))
    found = await client.text_document_hover_async(types.HoverParams(
        text_document=document(uri), position=types.Position(row, 8)))
    assert catalogue().techniques["decision_analysis"].description in found.contents.value
    assert found.range == types.Range(types.Position(row, 4), types.Position(row, 21))


@pytest.mark.asyncio
async def test_hover_after_an_emoji_finds_the_word_under_the_cursor(client, tmp_path):
    line_text = '  session 6 "🐕 walk" with family'
    text = slipped(CAREGIVER, "  session 6\n", line_text + "\n")
    uri, _ = await opened(client, tmp_path / "a.iptplan", text)
    row = text.split("\n").index(line_text)
    column = utf16(line_text[:line_text.index("family")]) + 1  # the emoji is two units
    found = await client.text_document_hover_async(types.HoverParams(
        text_document=document(uri), position=types.Position(row, column)))
    assert catalogue().participants["family"].description in found.contents.value
    assert found.range == types.Range(types.Position(row, column - 1),
                                      types.Position(row, column + 5))


# --- the outline ------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_definition_references_symbols_and_folding(client, tmp_path):
    uri, _ = await opened(client, tmp_path / "a.iptplan", CAREGIVER)
    lines = CAREGIVER.split("\n")
    row = next(n for n, line in enumerate(lines) if "role_play for sister" in line)
    at = types.Position(row, lines[row].index("sister") + 1)
    definition = await client.text_document_definition_async(types.DefinitionParams(
        text_document=document(uri), position=at))
    focus_row = lines.index(next(line for line in lines if line.startswith("focus sister")))
    assert definition.range == types.Range(types.Position(focus_row, 6),
                                           types.Position(focus_row, 12))
    references = await client.text_document_references_async(types.ReferenceParams(
        text_document=document(uri), position=at,
        context=types.ReferenceContext(include_declaration=True)))
    assert len(references) == 1 + sum(line.count(" sister") for line in lines
                                      if not line.startswith("focus") and "for " in line)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        text_document=document(uri)))
    assert [s.name for s in symbols] == ["Ms. A: caregiving conflict with her sister", "sister",
                                         "retirement", "initial phase", "middle phase",
                                         "termination phase"]
    assert [c.name for c in symbols[3].children] == ["session 1", "session 2", "session 3"]
    folds = await client.text_document_folding_range_async(types.FoldingRangeParams(
        text_document=document(uri)))
    middle = lines.index("phase middle sessions 4-13")
    assert any(f.start_line == middle and f.end_line > middle + 10 for f in folds)


# --- formatting -------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_formatting_gives_exactly_what_fmt_writes(client, tmp_path):
    from typer.testing import CliRunner

    from ipt_plan.cli import app

    messy = (CAREGIVER.replace("\n  ", "\n      ").replace("focus sister:", "focus   sister :")
             .replace("sessions 4-13", "sessions 4 - 13").replace("\n\n", "\n\n\n"))
    uri, _ = await opened(client, tmp_path / "messy.iptplan", messy)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=document(uri), options=types.FormattingOptions(tab_size=2,
                                                                      insert_spaces=True)))
    formatted = apply(messy, [_edit(e) for e in edits])
    on_disk = tmp_path / "fmt.iptplan"
    on_disk.write_text(messy, encoding="utf-8")
    assert CliRunner().invoke(app, ["fmt", str(on_disk)]).exit_code == 0
    assert formatted == on_disk.read_text(encoding="utf-8") != messy


@pytest.mark.asyncio
async def test_a_plan_with_syntax_errors_is_not_formatted(client, tmp_path):
    uri, _ = await opened(client, tmp_path / "a.iptplan", CAREGIVER + "sesion 4\n")
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=document(uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert not edits


# --- configuration ----------------------------------------------------------------------

@pytest.mark.asyncio
async def test_a_configuration_change_is_picked_up(client, tmp_path):
    text = slipped(CAREGIVER, "  measure PHQ-9 every session\n", "")
    uri, diagnostics = await opened(client, tmp_path / "a.iptplan", text)
    # asked for when the session began, so that the editor says when one is saved
    [watching] = client.registrations
    assert watching.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    assert {"globPattern": "**/*.toml"} in watching.register_options["watchers"]
    assert [d.code for d in diagnostics] == ["IPT108"]
    config = tmp_path / "ipt-plan.toml"
    config.write_text('ignore = ["IPT108"]\n', encoding="utf-8")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Created)]))
    assert await published(client, uri) == []
    config.write_text('ignore = ["IPT108"]\n[severity]\nIPT999 = "loud"\n', encoding="utf-8")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)]))
    [problem] = await published(client, uri)
    assert problem.code == "IPT006" and "ipt-plan.toml" in problem.message
    assert problem.range.start == types.Position(0, 0)
    assert problem.related_information[0].location.uri == config.as_uri()


@pytest.mark.asyncio
async def test_neovim_s_utf8_positions_and_a_configuration_read_on_save(neovim, tmp_path):
    line_text = '  session 6 "Zo\u00eb \U0001F415" with famly'
    text = slipped(slipped(CAREGIVER, "  session 6\n", line_text + "\n"),
                   "  measure PHQ-9 every session\n", "")
    uri, diagnostics = await opened(neovim, tmp_path / "a.iptplan", text)
    assert neovim.registrations == []  # it would not say when a file is saved
    row = text.split("\n").index(line_text)
    famly = next(d for d in diagnostics if d.code == "IPT002")
    start = len(line_text[:line_text.index("famly")].encode("utf-8"))
    assert famly.range == types.Range(types.Position(row, start),
                                      types.Position(row, start + 5))
    [action] = await neovim.text_document_code_action_async(types.CodeActionParams(
        text_document=document(uri), range=famly.range,
        context=types.CodeActionContext(diagnostics=[famly])))
    after = await changed(neovim, uri, 2, [_edit(e) for e in action.edit.changes[uri]])
    assert [d.code for d in after] == ["IPT108"]  # the participant is fixed; no measure yet
    (tmp_path / "ipt-plan.toml").write_text('ignore = ["IPT108"]\n', encoding="utf-8")
    neovim.text_document_did_save(types.DidSaveTextDocumentParams(document(uri)))
    assert await published(neovim, uri) == []


# --- never crashes, never stops answering -----------------------------------------------

async def exercise(client: LanguageClient, uri: str, version: int, text: str) -> None:
    """Replace the document's text, then ask for everything at a few places."""
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
    diagnostics = await published(client, uri)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for d in diagnostics:
        assert 0 <= d.range.start.line <= d.range.end.line < len(lines), d
        assert d.code != "IPT999", d
    requests = []
    for row in sorted({0, len(lines) // 2, len(lines) - 1}):
        for character in (0, 3, utf16(lines[row])):
            at = dict(text_document=document(uri), position=types.Position(row, character))
            requests += [
                client.text_document_completion_async(types.CompletionParams(**at)),
                client.text_document_hover_async(types.HoverParams(**at)),
                client.text_document_definition_async(types.DefinitionParams(**at)),
                client.text_document_references_async(types.ReferenceParams(
                    **at, context=types.ReferenceContext(include_declaration=True)))]
    whole = dict(text_document=document(uri))
    requests += [
        client.text_document_document_symbol_async(types.DocumentSymbolParams(**whole)),
        client.text_document_folding_range_async(types.FoldingRangeParams(**whole)),
        client.text_document_formatting_async(types.DocumentFormattingParams(
            **whole, options=types.FormattingOptions(tab_size=2, insert_spaces=True))),
        client.text_document_code_action_async(types.CodeActionParams(
            **whole, range=types.Range(types.Position(0, 0), types.Position(len(lines), 0)),
            context=types.CodeActionContext(diagnostics=diagnostics)))]
    await asyncio.wait_for(asyncio.gather(*requests), WAIT)


def test_fuzzed_documents_never_kill_the_server(tmp_path):
    """The property tests' inputs, each sent as the document's new text: every request is
    answered and every diagnostic placed inside the document."""
    loop = asyncio.new_event_loop()
    client = loop.run_until_complete(ClientServerConfig(server_command=SERVER).start())
    try:
        loop.run_until_complete(start(client))
        path = tmp_path / "fuzzed.iptplan"
        path.write_text(CAREGIVER, encoding="utf-8")
        uri = path.as_uri()
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri, "iptplan", 1, CAREGIVER)))
        loop.run_until_complete(published(client, uri))
        versions = iter(range(2, 10_000))

        @settings(max_examples=40, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(st.one_of(mutated_plans(), mutated_plans(tuple(DELIVERED.split("\n"))),
                         st.text(max_size=300)))
        def drive(text):
            loop.run_until_complete(exercise(client, uri, next(versions), text))

        drive()
        assert client.error is None
        failures = [m.message for m in client.log_messages if m.type == types.MessageType.Error]
        assert failures == []
    finally:
        loop.run_until_complete(client.shutdown_session())
        loop.run_until_complete(client.stop())
        loop.close()


CRASHING = """
import sys
from ipt_plan import loader, lsp

def crash(*args, **kwargs):
    raise RuntimeError("a bug in the rules")

real_load_text, real_checker = loader._load_text, lsp.checker

def load_text(text, *args, **kwargs):  # the facade fails on this document
    return (crash if "CRASH" in text else real_load_text)(text, *args, **kwargs)

class Failing:  # the checker itself fails on this one
    def __init__(self, inner):
        self.inner = inner
    def check(self, text, path):
        if "BOOM" in text:
            crash()
        return self.inner.check(text, path)
    def __getattr__(self, name):
        return getattr(self.inner, name)

loader._load_text = load_text
lsp.checker = lambda *args: Failing(real_checker(*args))
lsp.serve()
"""


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-c", CRASHING]))
async def crashing(lsp_client: LanguageClient):
    await start(lsp_client)
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_a_document_ipt_plan_fails_on_gets_one_diagnostic_and_the_server_goes_on(
        crashing, tmp_path):
    last = len(CAREGIVER.split("\n")) - 1  # the line the marker is written on
    row = CAREGIVER.split("\n").index("    psychoeducation")
    for word in ("CRASH", "BOOM"):
        uri, diagnostics = await opened(crashing, tmp_path / f"{word}.iptplan",
                                        CAREGIVER + f"# {word}\n")
        assert [d.code for d in diagnostics] == ["IPT999"]
        assert "a bug in the rules" in diagnostics[0].message
        assert await changed(crashing, uri, 2, [Edit(Span(Position(last, 0),
                                                          Position(last + 1, 0)), "")]) == []
        found = await crashing.text_document_hover_async(types.HoverParams(
            document(uri), types.Position(row, 6)))
        assert "**Psychoeducation**" in found.contents.value
    failures = [m.message for m in crashing.log_messages if m.type == types.MessageType.Error]
    assert len(failures) == 1 and "checking" in failures[0]  # BOOM: the facade said CRASH


# --- the command ------------------------------------------------------------------------

def test_without_pygls_the_command_says_how_to_install_it():
    blocked = ("import sys; sys.modules['pygls'] = None; sys.modules['lsprotocol'] = None; "
               "sys.argv = ['ipt-plan', 'lsp']; from ipt_plan.cli import run; run()")
    done = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "pip install 'ipt-plan[lsp]'" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_check_never_imports_the_language_server_s_libraries():
    probe = ("import sys; sys.argv = ['ipt-plan', 'check', sys.argv[1]]\n"
             "from ipt_plan.cli import run\ntry:\n    run()\nexcept SystemExit:\n    pass\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & "
             "{'pygls', 'lsprotocol', 'cattrs', 'pytest_lsp'}), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe, str(REFERENCE)], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert done.stderr.strip().splitlines()[-1] == "[]"
