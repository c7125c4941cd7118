"""`ipt-plan fmt`: the canonical layout, kept comments, idempotence, the same plan after
formatting, and the command's --check, --diff and exit codes."""

from __future__ import annotations

import os
import re
import stat
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import PLANS, REFERENCE
from ipt_plan import load_string
from ipt_plan.builder import build
from ipt_plan.cli import app
from ipt_plan.formatter import COMMENT_COLUMN, format_file, format_text, shape
from ipt_plan.parser import parse
from ipt_plan.statements import comments

BUNDLED = sorted(PLANS.glob("*.iptplan"))
CANONICAL = {path.name: path.read_text(encoding="utf-8") for path in BUNDLED}
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(map(str, args)))


def built_shape(text: str):
    """The plan a text builds, without locations: equal for plans that mean the same."""
    statements, _ = parse(text)
    plan, diagnostics = build(statements, "<plan>")
    return shape(plan), sorted(d.code for d in diagnostics)


def comment_texts(text: str) -> Counter:
    return Counter(c.rstrip() for _, _, c in comments(text))


def assert_same_plan(original: str, formatted: str) -> None:
    assert built_shape(formatted) == built_shape(original)
    assert comment_texts(formatted) == comment_texts(original)
    assert sorted(d.code for d in load_string(formatted).diagnostics) == sorted(
        d.code for d in load_string(original).diagnostics)


# --- the bundled plans are the canonical layout --------------------------------------

@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_plans_are_canonical(path):
    assert format_text(CANONICAL[path.name]) == CANONICAL[path.name]


def test_check_passes_on_the_bundled_plans():
    result = invoke("fmt", "--check", PLANS)
    assert result.exit_code == 0, result.output
    assert f"0 files would be reformatted, {len(BUNDLED)} unchanged" in result.stderr


# --- messing up the layout, and fmt restoring it ------------------------------------

def _code_and_comment(line: str) -> tuple[str, str]:
    found = comments(line)
    if not found:
        return line, ""
    column = found[0][1]
    return line[: column - 1], line[column - 1:]


def _mess_code(draw, code: str, keyword: str) -> str:
    """Change the whitespace between tokens, never inside strings."""
    parts = re.split(r'("(?:[^"\\]|\\.)*")', code.strip())
    out = []
    for index, part in enumerate(parts):
        if index % 2:  # a string: exactly as written
            out.append(part)
            continue
        part = re.sub(r"[ \t]+", lambda _: draw(st.sampled_from([" ", "  ", "\t", " \t "])), part)
        if keyword == "focus" and draw(st.booleans()):
            part = part.replace(":", draw(st.sampled_from([" :", ": ", " : ", ":"])), 1)
        if keyword == "phase" and draw(st.booleans()):
            part = re.sub(r"(\d)-(\d)", r"\1 - \2", part)
        if draw(st.booleans()):
            part = part.replace(", ", draw(st.sampled_from([" ,", " , ", ","])))
        out.append(part)
    return "".join(out)


@st.composite
def messed_up(draw):
    """A bundled plan with its layout spoiled: indentation, spaces between tokens, the gap
    before trailing comments, trailing spaces, blank lines between statements, line
    endings, a byte-order mark and the end of the file. What says which statement a
    comment line belongs to stays: the comment's indentation, the statement right below
    it, and a blank line beside it."""
    name = draw(st.sampled_from(sorted(CANONICAL)))
    lines = CANONICAL[name].rstrip("\n").split("\n")
    out: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        previous = lines[index - 1].strip() if index else ""
        if not stripped:
            beside_comment = previous.startswith("#") or lines[index + 1].startswith("#")
            if beside_comment or draw(st.booleans()):
                out.append(draw(st.sampled_from(["", "  ", "\t"])))
            continue
        if stripped.startswith("#"):
            out.append(line)
            continue
        code, comment = _code_and_comment(line)
        keyword = stripped.split()[0]
        indent = line[: len(line) - len(line.lstrip())]
        if not previous.startswith("#"):
            indent = draw(st.sampled_from(["", " ", "  ", "    ", "\t", "      "]))
        gap = draw(st.sampled_from(["", " ", "   ", "\t"])) if comment else ""
        trailing = draw(st.sampled_from(["", " ", "\t"]))
        out.append(indent + _mess_code(draw, code, keyword) + gap + comment + trailing)
        next_line = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if next_line and not next_line.startswith("#") and draw(st.integers(0, 4)) == 0:
            out.extend([""] * draw(st.integers(1, 3)))  # blank lines between statements
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(out) + draw(st.sampled_from(["", newline, newline * 3]))
    return name, draw(st.sampled_from(["", "\ufeff"])) + text


@SETTINGS
@given(messed_up())
def test_fmt_restores_the_canonical_layout(case):
    name, text = case
    assert format_text(text) == CANONICAL[name]


# --- properties over generated plans --------------------------------------------------

ALL_LINES = [line for text in CANONICAL.values() for line in text.split("\n")]


@st.composite
def generated_plans(draw):
    """Plans put together from the bundled plans' lines (code, comments, blank lines) in
    any order, with any indentation: structure errors included, syntax errors not."""
    lines = draw(st.lists(st.sampled_from(ALL_LINES), min_size=1, max_size=60))
    indented = [draw(st.sampled_from(["", "  ", "    ", "\t"])) + line.strip() for line in lines]
    return "\n".join(indented)


@SETTINGS
@given(generated_plans())
def test_formatting_keeps_the_plan_and_its_comments_and_is_idempotent(text):
    formatted = format_text(text)
    assert formatted is not None
    assert format_text(formatted) == formatted
    assert_same_plan(text, formatted)
    assert formatted == "" if not text.strip() else (
        formatted.endswith("\n") and not formatted.endswith("\n\n") and formatted[0] != "\n")
    assert all(line == line.rstrip() for line in formatted.split("\n"))
    assert "\n\n\n" not in formatted


# --- the rules, one by one ------------------------------------------------------------

def test_tokens_are_spaced_one_way_and_strings_kept_exactly():
    text = ('plan   "Two  spaces, \\"quotes\\" and # inside"\n'
            "focus a :grief\n  goal   \"g\"\nfocus b:role_transition\n  goal \"h\"\n"
            "phase middle sessions 4 - 13\nsession 4\nformulation for a ,b  \"d\"\n")
    assert format_text(text) == (
        'plan "Two  spaces, \\"quotes\\" and # inside"\n\n'
        'focus a: grief\n  goal "g"\n\nfocus b: role_transition\n  goal "h"\n\n'
        'phase middle sessions 4-13\n  session 4\n    formulation for a, b "d"\n')


def test_trailing_comments_line_up_within_each_block():
    text = ('plan "t"  # title\n  client A-1 # id\n'
            'phase initial sessions 1-3\n  session 1\n'
            '    interpersonal_inventory "a long detail that runs past the comment column"  # x\n'
            '    psychoeducation # y\n')
    header, phase = format_text(text).split("\n\n")
    assert [line.index("#") for line in header.split("\n")] == [COMMENT_COLUMN - 1] * 2
    commented = [line for line in phase.split("\n") if "#" in line]
    longest = len('    interpersonal_inventory "a long detail that runs past the comment column"')
    assert [line.index("#") for line in commented] == [longest + 2] * 2


COMMENT_CASES = {
    "attached to the statement below, and moving with it": (
        'plan "t"\n  client A-1\n# about the focus\n   focus a: grief\n  goal "g"\n',
        'plan "t"\n  client A-1\n\n# about the focus\nfocus a: grief\n  goal "g"\n'),
    "a note on the statement above keeps its blank line": (
        ('plan "t"\n  measure PHQ-9 every session\n# PCL-5 is in the notes\n\n'
         'focus a: grief\n  goal "g"\n'),
        ('plan "t"\n  measure PHQ-9 every session\n  # PCL-5 is in the notes\n\n'
         'focus a: grief\n  goal "g"\n')),
    "deeper than the line below, it closes the block above": (
        ("phase initial sessions 1-3\n session 1\npsychoeducation\n"
         "      # end of session 1\n  # about session 2\n  session 2\n"),
        ("phase initial sessions 1-3\n  session 1\n    psychoeducation\n"
         "    # end of session 1\n  # about session 2\n  session 2\n")),
    "between blank lines, it stands alone": (
        ("phase initial sessions 1-3\n  session 1\n    psychoeducation\n\n\n"
         "# standing alone\n\n    sick_role\n"),
        ("phase initial sessions 1-3\n  session 1\n    psychoeducation\n\n"
         "    # standing alone\n\n    sick_role\n")),
    "the file's opening comment": (
        '# Ms. A\n\n\nplan "t"\n',
        '# Ms. A\n\nplan "t"\n'),
}


@pytest.mark.parametrize("case", COMMENT_CASES, ids=list(COMMENT_CASES))
def test_comment_lines(case):
    text, expected = COMMENT_CASES[case]
    assert format_text(text) == expected
    assert format_text(expected) == expected


def test_crlf_and_byte_order_mark_become_plain_lf(tmp_path):
    canonical = REFERENCE.read_text(encoding="utf-8")
    path = tmp_path / "crlf.iptplan"
    path.write_bytes(b"\xef\xbb\xbf" + canonical.replace("\n", "\r\n").encode("utf-8"))
    result = format_file(path)
    assert result.formatted == canonical and result.changed
    assert result.encoding_note == "the byte-order mark is removed and line endings become LF"
    assert invoke("fmt", path).exit_code == 0
    assert path.read_bytes() == canonical.encode("utf-8")


def test_empty_and_comment_only_files():
    assert format_text("") == ""
    assert format_text(" \n\t\n") == ""
    assert format_text("  # only\n\n\n# comments") == "# only\n\n# comments\n"


# --- the command ----------------------------------------------------------------------

@pytest.fixture
def plans(tmp_path):
    """A folder with one canonical plan and one in need of formatting."""
    good = tmp_path / "good.iptplan"
    good.write_text(REFERENCE.read_text(encoding="utf-8"), encoding="utf-8")
    messy = tmp_path / "messy.iptplan"
    messy.write_text(REFERENCE.read_text(encoding="utf-8")
                     .replace("  client A-0142", "client   A-0142")
                     .replace("\n\nphase middle", "\nphase middle"), encoding="utf-8")
    return tmp_path, good, messy


def test_check_lists_what_would_change_and_writes_nothing(plans):
    folder, good, messy = plans
    before = messy.read_bytes()
    result = invoke("fmt", "--check", folder)
    assert result.exit_code == 1
    assert f"would reformat {messy}" in result.stderr and str(good) not in result.stderr
    assert "1 file would be reformatted, 1 unchanged" in result.stderr
    assert result.stdout == "" and messy.read_bytes() == before


def test_diff_prints_a_unified_diff_and_writes_nothing(plans):
    folder, _, messy = plans
    before = messy.read_bytes()
    result = invoke("fmt", "--diff", folder)
    assert result.exit_code == 0 and messy.read_bytes() == before
    diff = result.stdout.splitlines()
    assert diff[0] == f"--- {messy}\t(original)" and diff[1] == f"+++ {messy}\t(formatted)"
    assert "-client   A-0142" in diff and "+  client A-0142" in diff
    assert "+" in diff  # the blank line before the middle phase
    assert invoke("fmt", "--diff", "--check", folder).exit_code == 1


def test_fmt_rewrites_changed_files_only_and_keeps_their_mode(plans):
    folder, good, messy = plans
    os.chmod(messy, 0o640)
    good_mtime = good.stat().st_mtime_ns
    result = invoke("fmt", folder)
    assert result.exit_code == 0
    assert f"reformatted {messy}" in result.stderr
    assert "reformatted 1 file, 1 unchanged" in result.stderr
    assert messy.read_text(encoding="utf-8") == REFERENCE.read_text(encoding="utf-8")
    assert stat.S_IMODE(messy.stat().st_mode) == 0o640
    assert good.stat().st_mtime_ns == good_mtime
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary file left
    assert "reformatted 0 files, 2 unchanged" in invoke("fmt", folder).stderr


def test_a_symlinked_plan_stays_a_link(plans):
    folder, _, messy = plans
    link = folder / "link.iptplan"
    link.symlink_to(messy)
    assert invoke("fmt", link).exit_code == 0
    assert link.is_symlink()
    assert messy.read_text(encoding="utf-8") == REFERENCE.read_text(encoding="utf-8")


def test_syntax_errors_are_reported_and_the_file_left_untouched(plans):
    folder, _, messy = plans
    broken = folder / "broken.iptplan"
    broken.write_bytes(b'plan "x\n  client   A-1\r\nsesion 4\n')
    before, mtime = broken.read_bytes(), broken.stat().st_mtime_ns
    assert format_text(broken.read_text(encoding="utf-8")) is None
    result = invoke("fmt", folder)
    assert result.exit_code == 1
    assert f"{broken}:1:6: error[IPT001]: this text has no closing quote" in result.stderr
    assert f"{broken}:3:1: error[IPT001]: 'sesion' is not a keyword" in result.stderr
    assert "reformatted 1 file, 1 unchanged, 1 not formatted (see above)" in result.stderr
    assert broken.read_bytes() == before and broken.stat().st_mtime_ns == mtime
    assert messy.read_text(encoding="utf-8") == REFERENCE.read_text(encoding="utf-8")


def test_unreadable_file_is_reported(tmp_path):
    binary = tmp_path / "image.iptplan"
    binary.write_bytes(bytes(range(256)))
    result = invoke("fmt", binary)
    assert result.exit_code == 1 and "error[IPT000]: this is a binary file" in result.stderr
    assert binary.read_bytes() == bytes(range(256))


def test_usage_errors(plans):
    folder, _, messy = plans
    before = messy.read_bytes()
    result = invoke("fmt", folder, folder / "nope.iptplan")
    assert result.exit_code == 2 and "no such file or folder" in result.stderr
    assert messy.read_bytes() == before  # a usage error changes nothing
    assert invoke("fmt").exit_code == 2
    assert invoke("fmt", "--no-such-option", folder).exit_code == 2


def test_help_teaches_with_examples():
    help_text = invoke("fmt", "--help").output
    assert "--check" in help_text and "--diff" in help_text
    assert "Examples" in help_text and "ipt-plan fmt plans/ --check" in help_text


def test_a_formatting_bug_is_caught_before_anything_is_written(monkeypatch, plans):
    """The safety net: output that would not parse to the same plan is never written."""
    from ipt_plan import formatter

    def drops_the_last_line(lines):
        return real_render(lines[:-1])

    real_render = formatter._render
    monkeypatch.setattr(formatter, "_render", drops_the_last_line)
    _, _, messy = plans
    before = messy.read_bytes()
    text, diagnostics = formatter.format_source(before.decode("utf-8"), str(messy))
    assert text is None and [d.code for d in diagnostics] == ["IPT000"]
    result = invoke("fmt", messy)
    assert result.exit_code == 1 and "could not format this plan" in result.stderr
    assert messy.read_bytes() == before


def test_suppression_comments_still_apply_after_formatting():
    text = REFERENCE.read_text(encoding="utf-8").replace(
        "  session 8\n    goal_review",
        "  session 8\n    goal_review\n        interpersonal_inventory # ipt-plan: ignore[IPT303]\n\n")
    text = text.replace("\nfocus retirement", "\n\n\n\nfocus retirement")
    formatted = format_text(text)
    assert formatted != text
    assert ("    interpersonal_inventory".ljust(COMMENT_COLUMN - 1)
            + "# ipt-plan: ignore[IPT303]\n") in formatted
    assert load_string(text).diagnostics == () == load_string(formatted).diagnostics
