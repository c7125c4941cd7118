"""How quickly `ipt-plan lsp` answers an editor: the time from a one-character edit
(textDocument/didChange) to the diagnostics for it (textDocument/publishDiagnostics), for
the reference plan and for a plan of 10,000 sessions, and how long a hover waits while the
long plan is being checked. Each edit's time includes the server's wait for the typing to
stop (lsp.DEBOUNCE), which is also printed alone. Not part of the tests: timings on a
shared machine are noise for a test.

    .venv/bin/python bench/lsp.py [--runs N] [--sessions N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import long_plan  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "plans" / "caregiver-dispute.iptplan"


async def edit_to_diagnostics(client, uri: str, text: str, runs: int) -> list[float]:
    """Seconds from each one-character edit to its diagnostics (the edit undone between)."""
    row = text.split("\n").index(next(line for line in text.split("\n")
                                      if "role_play for sister" in line))
    times, version = [], 1
    for run in range(runs):
        for new in ("X", ""):  # type a character, then delete it
            version += 1
            end = 4 if new else 5
            client.diagnostics.pop(uri, None)
            start = time.perf_counter()
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(row, 4), types.Position(row, end)),
                    text=new)]))
            while uri not in client.diagnostics:
                await asyncio.sleep(0.002)
            times.append(time.perf_counter() - start)
    return times


async def hover_during_check(client, uri: str, text: str, version: int) -> float:
    """Seconds a hover waits when asked just after an edit of the long plan."""
    row = text.split("\n").index("    role_play for sister")
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(row, 4), types.Position(row, 4)), text="")]))
    await asyncio.sleep(0.3)  # the debounce is over: the check is under way
    start = time.perf_counter()
    await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(row, 6)))
    waited = time.perf_counter() - start
    while uri not in client.diagnostics:
        await asyncio.sleep(0.01)
    return waited


async def main(runs: int, sessions: int) -> None:
    from ipt_plan.lsp import DEBOUNCE, checker

    client = await ClientServerConfig(
        server_command=[sys.executable, "-m", "ipt_plan", "lsp"]).start()
    client.feature(types.CLIENT_REGISTER_CAPABILITY)(lambda params: None)
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code")))
    with tempfile.TemporaryDirectory() as folder:
        print(f"checker: {type(checker()).__module__}.{type(checker()).__name__}; "
              f"debounce {DEBOUNCE * 1000:.0f} ms (included below)")
        for name, text in (("reference plan", REFERENCE.read_text(encoding="utf-8")),
                           (f"{sessions:,}-session plan", long_plan(sessions))):
            path = Path(folder) / f"{len(text)}.iptplan"
            path.write_text(text, encoding="utf-8")
            uri = path.as_uri()
            client.text_document_did_open(types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri, "iptplan", 1, text)))
            start = time.perf_counter()
            while uri not in client.diagnostics:
                await asyncio.sleep(0.002)
            opened = time.perf_counter() - start
            times = await edit_to_diagnostics(client, uri, text, runs)
            print(f"{name}: open {opened * 1000:.0f} ms; edit to diagnostics median "
                  f"{statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f}, "
                  f"max {max(times) * 1000:.0f}, {len(times)} edits), of which checking "
                  f"about {(statistics.median(times) - DEBOUNCE) * 1000:.0f} ms")
            if sessions and text.count("\n") > 10_000:
                waited = await hover_during_check(client, uri, text, 2 * runs + 2)
                print(f"{name}: a hover asked during a check answered in "
                      f"{waited * 1000:.0f} ms")
    await client.shutdown_session()
    await client.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=10_000)
    options = parser.parse_args()
    asyncio.run(main(options.runs, options.sessions))
