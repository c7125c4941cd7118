"""The HTML agendas as they print: every session's agenda on one page of A4 and one of
Letter, and the course's pack (course.html) on the overview's pages and then one page a
session, for the reference plan with its log and for every bundled plan.

They are printed by headless Chromium, as a clinician's browser prints them, with the
paper chosen by a `@page { size: ... }` rule added to a copy of each file. Two browsers
(one on a single core) print them all between them, each driven over its DevTools pipe
(--remote-debugging-pipe): a browser started for each of the 450 files took minutes.
Where Chromium is not installed (.ci/run installs it), these tests are skipped, saying so.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import PLANS, REFERENCE
from ipt_plan import load_file, load_string
from ipt_plan.renderer import pack_file_name, render

BUNDLED = sorted(PLANS.glob("*.iptplan"))
# Page sizes in points, as a PDF's MediaBox gives them.
PAPERS = {"A4": (595, 842), "Letter": (612, 792)}
BROWSERS = ("chromium", "chromium-browser")
WAIT = 60  # seconds for one answer of the browser, far beyond a page's printing


class Chromium:
    """A headless Chromium with one tab, told what to do over the DevTools protocol: JSON
    messages, each ended by a NUL byte, written to its fd 3 and read from its fd 4."""

    def __init__(self, program: str, profile: Path):
        to_browser, self._commands = os.pipe()
        self._answers, from_browser = os.pipe()

        def onto_3_and_4():  # in the child, before Chromium starts
            read = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 10)
            write = fcntl.fcntl(from_browser, fcntl.F_DUPFD, 10)
            os.dup2(read, 3)
            os.dup2(write, 4)

        self.process = subprocess.Popen(
            [program, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=onto_3_and_4, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._pending = b""
        self._last_id = 0
        self._loaded = 0  # page loads heard and not yet waited for
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self._tab = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", tab=True)

    def _message(self) -> dict:
        while b"\0" not in self._pending:
            ready, _, _ = select.select([self._answers], [], [], WAIT)
            chunk = os.read(self._answers, 1 << 16) if ready else b""
            if not chunk:
                raise RuntimeError("Chromium stopped answering" if ready else
                                   f"Chromium gave no answer in {WAIT} s")
            self._pending += chunk
        message, self._pending = self._pending.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, tab: bool = False, **params) -> dict:
        self._last_id += 1
        command = {"id": self._last_id, "method": method, "params": params}
        if tab:
            command["sessionId"] = self._tab
        os.write(self._commands, json.dumps(command).encode() + b"\0")
        while True:
            message = self._message()
            if message.get("id") == self._last_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self._loaded += message.get("method") == "Page.loadEventFired"

    def print_pdf(self, html: Path) -> bytes:
        """The PDF of `html`, on the paper its own `@page` rule asks for."""
        self.call("Page.navigate", tab=True, url=html.resolve().as_uri())
        while not self._loaded:
            self._loaded += self._message().get("method") == "Page.loadEventFired"
        self._loaded -= 1
        data = self.call("Page.printToPDF", tab=True, preferCSSPageSize=True,
                         displayHeaderFooter=False, printBackground=True)["data"]
        return base64.b64decode(data)

    def close(self) -> None:
        try:
            self.call("Browser.close")
            self.process.wait(10)
        except (RuntimeError, OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._answers)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """The browsers that print, one a core up to two (the test suite's machine has two)."""
    program = next(filter(None, map(shutil.which, BROWSERS)), None)
    if program is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run "
                    "installs it), so the agendas cannot be printed")
    browsers = [Chromium(program, tmp_path_factory.mktemp("chromium-profile"))
                for _ in range(min(2, os.cpu_count() or 1))]
    yield browsers
    for browser in browsers:
        browser.close()


def pages(pdf: bytes) -> int:
    # Each page is a dictionary `/Type /Page`; the page tree's are `/Type /Pages`.
    # Chromium writes them uncompressed.
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def paper_of(pdf: bytes) -> set[tuple[int, int]]:
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return {(round(float(width)), round(float(height))) for width, height in boxes}


def printed_pages(chromium, documents, folder: Path) -> dict[str, dict[str, int]]:
    """Pages of each document, by paper: {"A4": {"session-01.html": 1, ...}, ...}."""
    copies = []
    for paper in PAPERS:
        for document in documents:
            copy = folder / f"{paper}-{document.name}"
            copy.write_text(document.text.replace(
                "</head>", f"<style>@page {{ size: {paper}; }}</style>\n</head>", 1),
                encoding="utf-8")
            copies.append((paper, document.name, copy))

    def share(browser: Chromium, start: int) -> list[tuple[str, str, bytes]]:
        return [(paper, name, browser.print_pdf(copy))
                for paper, name, copy in copies[start::len(chromium)]]

    counts: dict[str, dict[str, int]] = {paper: {} for paper in PAPERS}
    with ThreadPoolExecutor(len(chromium)) as pool:
        for printed in pool.map(share, chromium, range(len(chromium))):
            for paper, name, pdf in printed:
                assert paper_of(pdf) == {PAPERS[paper]}, (name, paper)
                counts[paper][name] = pages(pdf)
    return counts


def assert_one_page_a_session(chromium, source, folder: Path) -> dict[str, dict[str, int]]:
    documents = render(source, "html", pack=True)
    overview, *sessions, pack = documents
    assert (overview.name, pack.name) == ("overview.html", pack_file_name("html"))
    counts = printed_pages(chromium, documents, folder)
    for paper, of_file in counts.items():
        assert {name: of_file[name] for name in of_file if name.startswith("session-")} == {
            s.name: 1 for s in sessions}, paper
        assert of_file[pack.name] == of_file[overview.name] + len(sessions), paper
    return counts


@pytest.mark.parametrize("plan", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_each_session_prints_on_one_page_and_the_pack_one_page_a_session(chromium, plan,
                                                                         tmp_path):
    assert_one_page_a_session(chromium, load_file(plan), tmp_path)


def test_the_next_agenda_of_a_logged_course_prints_on_one_page_with_its_alert_and_scores(
        chromium, tmp_path):
    # The log adds to the next session's agenda what happened since the last one, the
    # scores so far and a risk alert: the most a session's header holds.
    from test_log_agendas import TODAY, UNASSESSED_RISK

    result = load_string(REFERENCE.read_text(encoding="utf-8") + UNASSESSED_RISK,
                         "ms-a.iptplan", today=TODAY)
    assert result.ok
    assert_one_page_a_session(chromium, result, tmp_path)
