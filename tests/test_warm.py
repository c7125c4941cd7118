"""The warm re-check (ipt_plan.Checker) gives what a cold check gives, after any edit, and
keeps only what it says it keeps; the parser's cheap error path says what parsing every
line on its own says."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PLANS, REFERENCE
from ipt_plan import Checker, codes, load_string
from ipt_plan import parser as parser_stage
from ipt_plan.knowledge import BUILTIN_PROTOCOLS
from ipt_plan.parser import parse
from ipt_plan.warm import LOOK_AGAIN_AFTER, MAX_DOCUMENTS

TODAY = dt.date(2027, 1, 11)  # inside the bundled plans' courses, so log rules have work
PLAN_PATHS = sorted(PLANS.glob("*.iptplan"))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Characters an edit types: the language's own punctuation, spaces and letters, and a few
# it does not accept.
TYPED = st.one_of(st.sampled_from(list('a1"#:,- \t\\x_e9')), st.characters())


def assert_same_as_cold(result, text: str, path: str) -> None:
    cold = load_string(text, path, today=TODAY)
    assert result.diagnostics == cold.diagnostics
    assert result.plan == cold.plan
    assert result.profile == cold.profile and result.text == cold.text
    assert all(d.code != codes.INTERNAL_ERROR for d in result.diagnostics), result.diagnostics


@st.composite
def edited(draw, text: str) -> str:
    """`text` after one edit: a character typed, deleted or replaced, a line inserted or
    deleted, or a line broken in two."""
    lines = text.split("\n")
    kind = draw(st.sampled_from(["insert", "delete", "replace", "insert line", "delete line",
                                 "break line"]))
    at = draw(st.integers(0, len(text)))
    row = draw(st.integers(0, len(lines) - 1))
    if kind == "insert":
        return text[:at] + draw(TYPED) + text[at:]
    if kind == "delete":
        return text[:at] + text[at + 1:]
    if kind == "replace":
        return text[:at] + draw(TYPED) + text[at + 1:]
    if kind == "insert line":
        new = draw(st.one_of(st.sampled_from(lines), st.text(TYPED, max_size=12)))
        return "\n".join([*lines[:row], new, *lines[row:]])
    if kind == "delete line":
        return "\n".join(lines[:row] + lines[row + 1:])
    return text[:at] + "\n" + text[at:]


@SETTINGS
@given(st.data())
def test_after_every_edit_a_warm_check_is_a_cold_check(data):
    path = str(data.draw(st.sampled_from(PLAN_PATHS)))
    text = open(path, encoding="utf-8").read()
    checker = Checker(today=TODAY)
    assert_same_as_cold(checker.check(text, path), text, path)
    for _ in range(data.draw(st.integers(1, 8))):
        text = data.draw(edited(text))
        assert_same_as_cold(checker.check(text, path), text, path)


def parsed_line_by_line(text: str, path: str) -> tuple[list, list]:
    """What parsing used to do on any syntax error: every line on its own."""
    statements, diagnostics = [], []
    for index, line in enumerate(text.split("\n")):
        parser_stage._parse_alone(line, index, path, statements, diagnostics)
    return statements, diagnostics


@SETTINGS
@given(st.data())
def test_the_error_path_says_what_parsing_each_line_alone_says(data):
    text = REFERENCE.read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(1, 6))):
        text = data.draw(edited(text))
    assert parse(text, "p.iptplan") == parsed_line_by_line(text, "p.iptplan")


def counting_lark_calls(monkeypatch) -> list[str]:
    """The start rule of every parse Lark is asked for from now on."""
    calls: list[str] = []
    lark = parser_stage.parser()
    real = lark.parse

    def parse(text, start=None, **kwargs):
        calls.append(start)
        return real(text, start=start, **kwargs)

    monkeypatch.setattr(lark, "parse", parse)
    return calls


def test_a_broken_line_costs_one_more_pass_not_one_per_line(monkeypatch):
    lines = REFERENCE.read_text(encoding="utf-8").split("\n")
    lines[30] += ' "unclosed'
    text = "\n".join(lines)
    calls = counting_lark_calls(monkeypatch)
    statements, diagnostics = parse(text)
    # Up to the broken line, the broken line alone, and on from it.
    assert calls == ["start", "line", "start"]
    assert [d.line for d in diagnostics] == [31]
    assert (statements, diagnostics) == parsed_line_by_line(text, "<plan>")


@pytest.mark.parametrize("lost", ["_built_before", "_failing_index"])
def test_without_what_lark_built_or_where_it_stopped_the_lines_are_parsed_again(
        monkeypatch, lost):
    text = REFERENCE.read_text(encoding="utf-8").replace("session 2 ", "session two ")
    monkeypatch.setattr(parser_stage, lost, lambda *args: None)
    statements, diagnostics = parse(text)
    assert [d.line for d in diagnostics] == [25]
    assert (statements, diagnostics) == parsed_line_by_line(text, "<plan>")


def test_a_file_of_broken_lines_is_parsed_line_by_line_after_a_few_passes(monkeypatch):
    text = "\n".join(f"session {n} extra words" for n in range(100))
    calls = counting_lark_calls(monkeypatch)
    statements, diagnostics = parse(text)
    assert len(diagnostics) == 100 and calls.count("start") == parser_stage.MAX_WHOLE_PASSES
    assert (statements, diagnostics) == parsed_line_by_line(text, "<plan>")


def test_after_a_one_character_edit_only_that_line_is_parsed_again(monkeypatch):
    path = str(REFERENCE)
    text = REFERENCE.read_text(encoding="utf-8")
    checker = Checker(today=TODAY)
    before = checker.check(text, path)
    calls = counting_lark_calls(monkeypatch)
    edited_text = text.replace("Sister Anna", "Sister Anne")
    after = checker.check(edited_text, path)
    assert calls == ["line"]
    assert after.plan.foci[0].description == "Sister Anne directs the care of their mother"
    # The unchanged lines' records are the very ones of the first check.
    first_activity = before.plan.phases[0].sessions[0].activities[0]
    assert after.plan.phases[0].sessions[0].activities[0] is first_activity
    assert_same_as_cold(after, edited_text, path)


def test_a_line_inserted_above_everything_parses_the_whole_once(monkeypatch):
    path = str(REFERENCE)
    text = REFERENCE.read_text(encoding="utf-8")
    checker = Checker(today=TODAY)
    checker.check(text, path)
    calls = counting_lark_calls(monkeypatch)
    moved = "# a comment on top\n" + text
    result = checker.check(moved, path)
    assert calls == ["start"]
    assert_same_as_cold(result, moved, path)


def test_statements_are_immutable_records():
    """Statements are handed from one check to the next: nothing in them can change (a
    record holding a list, dict or set could not be hashed)."""
    for path in PLAN_PATHS:
        for statement in parse(path.read_text(encoding="utf-8"))[0]:
            hash(statement)


def test_a_forgotten_document_and_the_least_recent_beyond_the_limit_are_parsed_whole(
        monkeypatch):
    text = REFERENCE.read_text(encoding="utf-8")
    checker = Checker(today=TODAY)
    checker.check(text, "a.iptplan")
    checker.forget("a.iptplan")
    checker.forget("never-checked.iptplan")  # nothing to forget: no error
    calls = counting_lark_calls(monkeypatch)
    checker.check(text, "a.iptplan")
    assert calls == ["start"]
    for number in range(MAX_DOCUMENTS):
        checker.check(text, f"{number}.iptplan")
    calls.clear()
    checker.check(text, f"{MAX_DOCUMENTS - 1}.iptplan")  # kept: nothing changed
    assert calls == []
    checker.check(text, "a.iptplan")  # dropped: the least recently checked
    assert calls == ["start"]


def test_a_crash_while_parsing_is_a_diagnostic_and_nothing_is_kept_from_it(monkeypatch):
    path = str(REFERENCE)
    text = REFERENCE.read_text(encoding="utf-8")
    checker = Checker(today=TODAY)
    checker.check(text, path)

    def crash(*args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(parser_stage, "_reuse", crash)
    edited_text = text.replace("Sister Anna", "Sister Anne")
    assert [d.code for d in checker.check(edited_text, path).diagnostics] == [
        codes.INTERNAL_ERROR]
    monkeypatch.undo()
    assert_same_as_cold(checker.check(edited_text, path), edited_text, path)


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_edited_configuration_is_seen_after_refresh_or_a_second(tmp_path):
    config = tmp_path / "ipt-plan.toml"
    config.write_text('ignore = []\n')
    plan = tmp_path / "plan.iptplan"
    text = REFERENCE.read_text(encoding="utf-8")
    clock = FakeClock()
    checker = Checker(today=TODAY, clock=clock)
    assert checker.check(text, str(plan)).diagnostics == ()

    def edit(setting: str) -> None:
        config.write_text(setting)
        stat = config.stat()
        os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))

    edit('ignore = []\ncolour = "blue"\n')
    clock.now += LOOK_AGAIN_AFTER / 2
    assert checker.check(text, str(plan)).diagnostics == ()  # not looked at again yet
    checker.refresh()
    (problem,) = checker.check(text, str(plan)).diagnostics
    assert problem.code == codes.BAD_CONFIG and "'colour'" in problem.message

    edit('ignore = []\n')
    clock.now += LOOK_AGAIN_AFTER / 2
    assert [d.code for d in checker.check(text, str(plan)).diagnostics] == [codes.BAD_CONFIG]
    clock.now += LOOK_AGAIN_AFTER
    assert checker.check(text, str(plan)).diagnostics == ()


def test_a_profile_written_later_is_found_after_refresh(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    plan = str(tmp_path / "plan.iptplan")
    text = REFERENCE.read_text(encoding="utf-8").replace("protocol ipt", "protocol clinic")
    checker = Checker([folder], today=TODAY, clock=FakeClock())
    for _ in range(2):  # the missing profile's problem is kept, and said again
        (missing,) = checker.check(text, plan).diagnostics
        assert missing.code == codes.UNKNOWN_NAME and "'clinic'" in missing.message
    (folder / "clinic.toml").write_bytes((BUILTIN_PROTOCOLS / "ipt.toml").read_bytes())
    assert [d.code for d in checker.check(text, plan).diagnostics] == [codes.UNKNOWN_NAME]
    checker.refresh()
    result = checker.check(text, plan)
    assert result.diagnostics == load_string(text, plan, [folder], today=TODAY).diagnostics
    assert result.profile is not None and result.profile.name
