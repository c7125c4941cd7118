"""`ipt-plan lsp`: the language server, over standard input and output, built on pygls and
lsprotocol (imported here only: `check` never loads them).

It speaks the Language Server Protocol and nothing more: every answer comes from the
library, through one checker (`checker()`: the warm `ipt_plan.warm.Checker` where this
ipt-plan has it, else `load_string` each time) and the editor's pieces (`ipt_plan.editor`:
positions, completion, hover, outline; `formatter` for formatting). A document is
checked when opened or saved and shortly after the typing stops, in a worker thread, so
that the server answers hovers and completions while a long plan is checked; what a
check finds is published with each rule's code, severity, range, hint, quick fixes (the
diagnostic's `fixes`, carried in its `data`) and a link to the rule's explanation.
Whatever a document holds, a request gets an answer: a failure in the server is logged
and answered with nothing, a failure on one document becomes one diagnostic on it.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import functools
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument

from .codes import INTERNAL_ERROR
from .config import config_for
from .diagnostics import Diagnostic, Severity
from .editor import completion, hover, outline
from .editor.positions import Lines, Position
from .formatter import format_source
from .model import Loc
from .result import Result
from .rules import RULES
from .version import __version__
from .warm import Checker

log = logging.getLogger("ipt-plan.lsp")

# Seconds after the last keystroke before a document is checked again: a check per
# keystroke would only keep the worker busy with texts already out of date.
DEBOUNCE = 0.25
# What a saved configuration, profile or clinic catalogue can be named (configuration and
# profile folders are found as `check` finds them, so any of them may change the answers).
WATCHED = ("**/ipt-plan.toml", "**/pyproject.toml", "**/*.toml")
SOURCE = "ipt-plan"


_PROTOCOL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _count_lines_as_the_protocol_does() -> None:
    """The protocol breaks lines at \\r\\n, \\n and \\r only. pygls 2.1 splits its copy of a
    document with str.splitlines, which also breaks at a form feed, U+2028 and the like, so
    an editor's change below one would land on the wrong line and the text checked would no
    longer be the editor's. Every position pygls converts and every change it applies goes
    through `TextDocument.lines`, so they are counted the protocol's way there."""
    TextDocument.lines = property(  # type: ignore[method-assign]
        lambda document: tuple(_PROTOCOL_LINE.findall(document.source)))


# --- the checker ------------------------------------------------------------------------

def checker(protocol_dirs: Iterable[Path] = (), today: dt.date | None = None) -> Checker:
    """The one place the server gets its checker: the warm re-check, which parses again
    only the lines an edit changed."""
    return Checker(protocol_dirs, today)


# --- each rule's explanation, for a diagnostic's link ------------------------------------

class Explanations:
    """`ipt-plan explain CODE`'s text for each rule, written once into a folder of this
    server's own (removed when it ends), so that a diagnostic's link opens it in the editor."""

    def __init__(self):
        self.folder: Path | None = None

    def uri(self, code: str) -> str | None:
        rule = RULES.get(code)
        if rule is None:
            return None
        try:
            if self.folder is None:
                self.folder = Path(tempfile.mkdtemp(prefix="ipt-plan-rules-"))
                atexit.register(shutil.rmtree, self.folder, True)
            path = self.folder / f"{code}.txt"
            if not path.exists():
                # Private, as every file ipt-plan writes (the folder is 0700 already).
                with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                                  0o600), "w", encoding="utf-8") as handle:
                    handle.write(rule.explanation + "\n")
        except OSError:
            return None
        return from_fs_path(str(path))


# --- documents ----------------------------------------------------------------------------

class _Document:
    """What the server keeps of one open document: its last check and what was shown."""

    def __init__(self, path: str):
        self.path = path
        self.result: Result | None = None
        self.checked_version: int | None = None  # the version `result` is of
        self.lines: Lines | None = None  # the checked text's, for its diagnostics' places
        self.published: list[tuple[Diagnostic, types.Diagnostic]] = []
        self.timer: asyncio.Task | None = None  # waiting out the typing
        self.checking: asyncio.Task | None = None  # checking until the result is current


def document_path(uri: str) -> str:
    """The path a document is checked as (its configuration is found from its folder); a
    document not on disk is checked as from the current folder, as `load_string` does."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return path or f"<{uri}>"


class Server(LanguageServer):
    def __init__(self, protocol_dirs: Iterable[Path] = (), today: dt.date | None = None):
        super().__init__("ipt-plan", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.protocol_dirs = tuple(Path(d) for d in protocol_dirs)
        self.checker = checker(self.protocol_dirs, today)
        # One thread: a checker is for one thread at a time, and checks of one document
        # follow each other in the order they were asked for.
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ipt-plan-check")
        self.documents: dict[str, _Document] = {}
        self.explanations = Explanations()

    def failed(self, what: str) -> None:
        """Say that something failed (called where the error is caught): on standard error,
        and in the editor's log, where it can be reported from."""
        log.exception("%s failed", what)
        try:
            self.window_log_message(types.LogMessageParams(
                type=types.MessageType.Error,
                message=f"ipt-plan lsp: {what} failed:\n{traceback.format_exc()}"))
        except Exception:  # noqa: BLE001 - the connection itself may be what failed
            pass

    # --- checking ---

    @property
    def encoding(self) -> str:
        """The position encoding agreed with the client: UTF-16 unless it offered another."""
        chosen = self.workspace.position_encoding or types.PositionEncodingKind.Utf16
        return getattr(chosen, "value", chosen)

    def lines(self, uri: str) -> Lines:
        return Lines(self.workspace.get_text_document(uri).source, self.encoding)

    def schedule(self, uri: str, delay: float = 0.0) -> None:
        """Check the document after `delay` seconds without another call for it."""
        state = self.documents.get(uri)
        if state is None:
            return
        if state.timer is not None:
            state.timer.cancel()
        state.timer = asyncio.ensure_future(self._after(uri, delay))

    def recheck(self, uri: str) -> None:
        """Check the document now, even if its text has not changed since its last check."""
        state = self.documents.get(uri)
        if state is not None:
            state.checked_version = None
            self.schedule(uri)

    async def _after(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        self._start(uri)

    def _start(self, uri: str) -> asyncio.Task | None:
        state = self.documents.get(uri)
        if state is None:
            return None
        if state.checking is None or state.checking.done():
            state.checking = asyncio.ensure_future(self._check_until_current(uri))
        return state.checking  # a check under way goes on to the newest text when done

    async def _check_until_current(self, uri: str) -> None:
        loop = asyncio.get_running_loop()
        while (state := self.documents.get(uri)) is not None:
            document = self.workspace.get_text_document(uri)
            text, version = document.source, document.version
            if state.checked_version == version and state.result is not None:
                return
            try:
                result = await loop.run_in_executor(self.worker, self.checker.check, text,
                                                    state.path)
            except Exception as err:  # noqa: BLE001 - one diagnostic, and the server goes on
                self.failed(f"checking {uri}")
                result = _failed(state.path, text, err)
            if self.documents.get(uri) is not state:
                return  # closed meanwhile
            state.result, state.checked_version = result, version
            state.lines = Lines(text, self.encoding)
            self.publish(uri, state, version)

    async def current(self, uri: str) -> Result | None:
        """The check of the document as it is now, waiting for it if need be."""
        state = self.documents.get(uri)
        if state is None:
            return None
        version = self.workspace.get_text_document(uri).version
        if state.checked_version != version or state.result is None:
            task = self._start(uri)
            if task is not None:
                await asyncio.shield(task)
        return state.result

    async def latest(self, uri: str) -> Result | None:
        """The document's last check, even if a keystroke old (hover and completion read
        names from the current text and look them up in it); the first one waited for."""
        state = self.documents.get(uri)
        if state is not None and state.result is None:
            return await self.current(uri)
        return state.result if state else None

    def publish(self, uri: str, state: _Document, version: int | None) -> None:
        try:
            shown = [(d, self.diagnostic(d, state)) for d in state.result.diagnostics]
        except Exception as err:  # noqa: BLE001
            self.failed(f"showing the diagnostics of {uri}")
            failed = _failed(state.path, state.lines.text, err).diagnostics[0]
            shown = [(failed, self.diagnostic(failed, state))]
        state.published = shown
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=version, diagnostics=[lsp for _, lsp in shown]))

    def diagnostic(self, d: Diagnostic, state: _Document) -> types.Diagnostic:
        """An ipt-plan diagnostic as the protocol has it. One about another file (a
        configuration that cannot be used) is shown at the plan's start and links there."""
        lines = state.lines
        elsewhere = d.path != state.path
        span = lines.span(Loc(1, 1, 1) if elsewhere else Loc(d.line, d.column, d.end_column))
        message = f"{d.path}:{d.line}: {d.message}" if elsewhere else d.message
        if d.hint:
            message += f"\nhint: {d.hint}"
        link = self.explanations.uri(d.code)
        related = None
        if elsewhere:
            place = types.Position(max(d.line - 1, 0), max(d.column - 1, 0))
            related = [types.DiagnosticRelatedInformation(
                types.Location(from_fs_path(str(Path(d.path).resolve())),
                               types.Range(place, place)), d.message)]
        fixes = [] if elsewhere else [_fix_data(lines, fix) for fix in d.fixes]
        return types.Diagnostic(
            range=_range(*span), message=message, source=SOURCE, code=d.code,
            severity=(types.DiagnosticSeverity.Error if d.severity is Severity.ERROR
                      else types.DiagnosticSeverity.Warning),
            code_description=types.CodeDescription(href=link) if link else None,
            related_information=related, data={"fixes": fixes} if fixes else None)


def _failed(path: str, text: str, err: Exception) -> Result:
    return Result(path, None, (Diagnostic.at(
        INTERNAL_ERROR, Severity.ERROR,
        f"ipt-plan failed on this document ({type(err).__name__}: {err})", path, None,
        "please report this, with the plan if you can share it"),), text)


def _position(position: Position) -> types.Position:
    return types.Position(line=position.line, character=position.character)


def _range(start: Position, end: Position) -> types.Range:
    return types.Range(start=_position(start), end=_position(end))


def _range_of(data: dict) -> types.Range:
    """A range as `_fix_data` writes it, back from a diagnostic's data."""
    return _range(Position(data["start"]["line"], data["start"]["character"]),
                  Position(data["end"]["line"], data["end"]["character"]))


def _fix_data(lines: Lines, fix) -> dict:
    edit = lines.edit(fix.loc, fix.text)
    start, end = edit.span
    return {"title": fix.title, "newText": edit.text,
            "range": {"start": {"line": start.line, "character": start.character},
                      "end": {"line": end.line, "character": end.character}}}


# --- the features -----------------------------------------------------------------------

def answering(default: Any = None) -> Callable:
    """A feature that never fails the client: an error is logged and answered with
    `default` (nothing), and the server goes on."""
    def wrap(handler: Callable) -> Callable:
        if asyncio.iscoroutinefunction(handler):
            @functools.wraps(handler)
            async def guarded(ls, params):
                try:
                    return await handler(ls, params)
                except Exception:  # noqa: BLE001
                    ls.failed(handler.__name__)
                    return default
        else:
            @functools.wraps(handler)
            def guarded(ls, params):
                try:
                    return handler(ls, params)
                except Exception:  # noqa: BLE001
                    ls.failed(handler.__name__)
                    return default
        return guarded
    return wrap


def make_server(protocol_dirs: Iterable[Path] = (), today: dt.date | None = None) -> Server:
    _count_lines_as_the_protocol_does()
    server = Server(protocol_dirs, today)

    @server.feature(types.INITIALIZED)
    @answering()
    def initialized(ls: Server, params: types.InitializedParams) -> None:
        watched = ls.client_capabilities.workspace
        watched = watched.did_change_watched_files if watched else None
        # Without it, a saved configuration is still read at the document's next check.
        if watched is not None and watched.dynamic_registration:
            asked = ls.client_register_capability(types.RegistrationParams(registrations=[
                types.Registration(
                    id="ipt-plan-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=[
                        types.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED]))]))
            asked.add_done_callback(lambda done: done.exception())  # a refusal is no failure

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @answering()
    def did_open(ls: Server, params: types.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.documents[uri] = _Document(document_path(uri))
        ls.schedule(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @answering()
    def did_change(ls: Server, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, DEBOUNCE)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @answering()
    def did_save(ls: Server, params: types.DidSaveTextDocumentParams) -> None:
        # Checked again even if unchanged, with the configuration and profiles looked at
        # anew: a saved plan is when they are expected to count, also in an editor that
        # does not say when they are saved.
        ls.worker.submit(ls.checker.refresh)
        ls.recheck(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @answering()
    def did_close(ls: Server, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        state = ls.documents.pop(uri, None)
        if state is not None:
            for task in (state.timer, state.checking):
                if task is not None:
                    task.cancel()
            ls.worker.submit(ls.checker.forget, state.path)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri,
                                                                            diagnostics=[]))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @answering()
    def watched_files_changed(ls: Server, params: types.DidChangeWatchedFilesParams) -> None:
        # A configuration, profile or catalogue was saved: every open plan may read it.
        ls.worker.submit(ls.checker.refresh)
        for uri in ls.documents:
            ls.recheck(uri)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    @answering([])
    def code_actions(ls: Server, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        state = ls.documents.get(uri)
        actions = []
        for shown in params.context.diagnostics:
            data = shown.data if isinstance(shown.data, dict) else None
            fixes = data.get("fixes") if data else _fixes_shown(state, shown)
            for fix in fixes or ():
                edit = types.TextEdit(range=_range_of(fix["range"]), new_text=fix["newText"])
                actions.append(types.CodeAction(
                    title=fix["title"], kind=types.CodeActionKind.QuickFix, diagnostics=[shown],
                    is_preferred=len(fixes) == 1,
                    edit=types.WorkspaceEdit(changes={uri: [edit]})))
        return actions

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=[" ", ","]))
    @answering(None)
    async def complete(ls: Server, params: types.CompletionParams) -> types.CompletionList:
        uri = params.text_document.uri
        result = await ls.latest(uri)
        lines = ls.lines(uri)
        line, column = lines.column(Position(params.position.line, params.position.character))
        dirs = ls.protocol_dirs + config_for(ls.documents[uri].path).protocols
        at, items = completion.complete(lines.lines, line, column, result, dirs)
        start = lines.position(line, at.start)
        replaced = types.Range(start=_position(start), end=params.position)
        return types.CompletionList(is_incomplete=False, items=[
            types.CompletionItem(
                label=item.label, kind=_COMPLETION_KINDS.get(item.kind),
                detail=item.detail, sort_text=f"{index:04d}",
                documentation=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                  value=item.documentation)
                if item.documentation else None,
                text_edit=types.TextEdit(range=replaced, new_text=item.label))
            for index, item in enumerate(items)])

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @answering(None)
    async def hover_(ls: Server, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        result = await ls.latest(uri)
        lines = ls.lines(uri)
        line, column = lines.column(Position(params.position.line, params.position.character))
        state = ls.documents.get(uri)
        shown = [d for d, _ in state.published] if state else []
        found = hover.hover(lines.lines, line, column, result, shown)
        if found is None:
            return None
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.markdown),
            range=_range(*lines.span(Loc(found.line, found.column, found.end_column))))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @answering(None)
    async def definition(ls: Server, params: types.DefinitionParams) -> types.Location | None:
        uri, result, lines, line, column = await _at(ls, params)
        loc = outline.definition(result.plan, line, column) if result and result.plan else None
        return types.Location(uri, _range(*lines.span(loc))) if loc else None

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @answering([])
    async def references(ls: Server, params: types.ReferenceParams) -> list[types.Location]:
        uri, result, lines, line, column = await _at(ls, params)
        if result is None or result.plan is None:
            return []
        return [types.Location(uri, _range(*lines.span(loc))) for loc in outline.references(
            result.plan, line, column, params.context.include_declaration)]

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @answering([])
    async def symbols(ls: Server, params: types.DocumentSymbolParams
                      ) -> list[types.DocumentSymbol]:
        uri = params.text_document.uri
        result = await ls.current(uri)
        if result is None or result.plan is None:
            return []
        lines = ls.documents[uri].lines
        return [_symbol(symbol, lines) for symbol in outline.symbols(result.plan, lines.lines)]

    @server.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
    @answering([])
    async def folding(ls: Server, params: types.FoldingRangeParams) -> list[types.FoldingRange]:
        uri = params.text_document.uri
        result = await ls.current(uri)
        if result is None or result.plan is None:
            return []
        return [types.FoldingRange(start_line=first - 1, end_line=last - 1,
                                   kind=types.FoldingRangeKind.Region)
                for first, last in outline.folds(result.plan, ls.documents[uri].lines.lines)]

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    @answering(None)
    async def formatting(ls: Server, params: types.DocumentFormattingParams
                         ) -> list[types.TextEdit] | None:
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        text = document.source
        loop = asyncio.get_running_loop()
        formatted, _ = await loop.run_in_executor(ls.worker, format_source, text,
                                                  document_path(uri))
        if formatted is None:
            return None  # syntax errors: the diagnostics say where
        if formatted == text:
            return []
        end = Lines(text, ls.encoding).end
        return [types.TextEdit(range=_range(Position(0, 0), end), new_text=formatted)]

    return server


async def _at(ls: Server, params) -> tuple:
    """The document, its current check, its lines and ipt-plan's place of the request's."""
    uri = params.text_document.uri
    result = await ls.current(uri)
    state = ls.documents.get(uri)
    lines = state.lines if state and state.lines else ls.lines(uri)
    line, column = lines.column(Position(params.position.line, params.position.character))
    return uri, result, lines, line, column


def _fixes_shown(state: _Document | None, shown: types.Diagnostic) -> list[dict]:
    """The fixes of a diagnostic a client sent back without its data (not every client
    keeps it): found among those published by its code, range and message."""
    if state is None or state.lines is None:
        return []
    for diagnostic, published in state.published:
        if (published.code, published.range, published.message) == (
                shown.code, shown.range, shown.message):
            return [_fix_data(state.lines, fix) for fix in diagnostic.fixes]
    return []


_COMPLETION_KINDS = {
    "keyword": types.CompletionItemKind.Keyword, "technique": types.CompletionItemKind.Function,
    "focus": types.CompletionItemKind.Reference, "participant": types.CompletionItemKind.Value,
    "scale": types.CompletionItemKind.Unit, "protocol": types.CompletionItemKind.Module,
    "stage": types.CompletionItemKind.EnumMember, "phase": types.CompletionItemKind.Enum,
    "area": types.CompletionItemKind.Class, "value": types.CompletionItemKind.Value,
}
_SYMBOL_KINDS = {
    "header": types.SymbolKind.File, "focus": types.SymbolKind.Class,
    "phase": types.SymbolKind.Module, "session": types.SymbolKind.Event,
    "log": types.SymbolKind.Array, "entry": types.SymbolKind.Event,
}


def _symbol(symbol: outline.Symbol, lines: Lines) -> types.DocumentSymbol:
    last_line = lines.line(symbol.last)
    whole = types.Range(start=types.Position(symbol.first - 1, 0),
                        end=_position(lines.position(symbol.last, len(last_line) + 1)))
    return types.DocumentSymbol(
        name=symbol.name, kind=_SYMBOL_KINDS[symbol.kind], detail=symbol.detail, range=whole,
        selection_range=_range(*lines.span(symbol.selection)),
        children=[_symbol(child, lines) for child in symbol.children] or None)


def serve(protocol_dirs: Iterable[Path] = (), today: dt.date | None = None) -> None:
    """Serve over standard input and output until the client says exit. Anything printed
    meanwhile goes to standard error, where it cannot break the protocol's stream."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="ipt-plan lsp: %(levelname)s: %(message)s")
    stdin, stdout = sys.stdin.buffer, sys.__stdout__.buffer
    sys.stdout = sys.stderr
    # Ended by a signal (an editor closing it, a supervisor), it still runs its atexit
    # clean-up: the folder of rule explanations is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    make_server(protocol_dirs, today).start_io(stdin, stdout)
