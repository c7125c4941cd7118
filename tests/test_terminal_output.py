"""A plan cannot drive the terminal it is checked on: control characters from plans and
file names are shown as escapes in every text output, and carets stay under their span."""

from __future__ import annotations

import os

from typer.testing import CliRunner

from ipt_plan.cli import app
from ipt_plan.wording import INVISIBLE, visible

runner = CliRunner()

HOSTILE = ('plan "x\x1b]0;owned\x07"\n'
           'focus a: grief "Loss \x1b[2J of \x9b31m mother"\n'
           '  goal "g"\n'
           'phase initial sessions 1-3\n'
           '  session 1\n'
           '    symptom_review for a "\x1b[8mhidden\x1b[0m\u202e" extra\n'
           '    rol\x1b[31me_play\n')


def raw_controls(text: str) -> set[str]:
    return {c for c in text if ord(c) in INVISIBLE and c != "\n"}


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_check_shows_control_characters_as_escapes(tmp_path):
    plan = tmp_path / "plan.iptplan"
    plan.write_text(HOSTILE, encoding="utf-8")
    result = invoke("check", plan)
    assert result.exit_code == 1
    assert raw_controls(result.output) == set()
    assert "\\x1b[8mhidden\\x1b[0m\\u202e" in result.output
    assert "unexpected character '\\x1b'" in result.output


def test_caret_stays_under_the_span_after_escapes(tmp_path):
    plan = tmp_path / "plan.iptplan"
    plan.write_text(HOSTILE, encoding="utf-8")
    lines = invoke("check", plan).output.split("\n")
    shown = next(i for i, line in enumerate(lines) if line.rstrip().endswith('" extra'))
    assert lines[shown + 1].index("^") == lines[shown].index("extra")
    assert lines[shown + 1].count("^") == len("extra")


def test_github_annotations_show_escapes(tmp_path):
    plan = tmp_path / "\x1b]0;owned\x07.iptplan"
    plan.write_text(HOSTILE, encoding="utf-8")
    result = invoke("check", "--format", "github", plan)
    assert result.output.startswith(("::error", "::warning"))
    assert raw_controls(result.output) == set()


def test_file_names_with_control_characters_are_shown_escaped(tmp_path):
    plan = tmp_path / "a\x1b[2Jb.iptplan"
    plan.write_text('plan "x"\nfocus\n', encoding="utf-8")
    for args in (("check", plan), ("render", plan, "-o", tmp_path / "out"),
                 ("fmt", "--check", plan)):
        result = invoke(*args)
        assert result.exit_code == 1, args
        assert raw_controls(result.output) == set(), args
        assert "a\\x1b[2Jb.iptplan" in result.output, args


def test_visible_leaves_ordinary_text_alone():
    text = "Zoë's \"sister\" – 50 min\tat 10:00 🙂"
    assert visible(text) == text


def test_every_message_naming_a_path_shows_its_escapes(tmp_path):
    odd = tmp_path / "d\x1b[2Jx"
    odd.mkdir()
    for args in (("check", odd), ("export", odd / "p.iptplan", "-f", "json"), ("new", "--focus", "grief", "-o", odd),
                 ("new", "--focus", "grief", "-o", odd / "missing" / "p.iptplan")):
        result = invoke(*args)
        assert result.exit_code == 2, args
        assert raw_controls(result.output) == set(), (args, result.output)
        assert "d\\x1b[2Jx" in result.output, args


def test_agendas_show_a_plans_control_characters_as_escapes(tmp_path):
    from conftest import REFERENCE

    plan = tmp_path / "plan.iptplan"
    plan.write_text(REFERENCE.read_text(encoding="utf-8").replace(
        'session 4 "The hospital appointment argument"', 'session 4 "Hidden \x1b[8mtext"'),
        encoding="utf-8")
    for fmt in ("md", "txt", "html"):
        assert invoke("render", plan, "-o", tmp_path / "out", "-f", fmt).exit_code == 0
        (session,) = (tmp_path / "out").rglob(f"session-04.{fmt}")
        text = session.read_text(encoding="utf-8")
        assert "\x1b" not in text and "hidden \\x1b[8mtext" in text.lower(), fmt


def test_a_file_name_that_is_not_utf8_is_shown_and_written(tmp_path):
    from conftest import REFERENCE

    name = os.fsdecode(b"a\x9bb.iptplan")  # the byte arrives as a surrogate
    (tmp_path / name).write_bytes(REFERENCE.read_bytes())
    for fmt in ("text", "json", "sarif", "github"):
        result = invoke("check", "--format", fmt, tmp_path)
        assert result.exit_code == 0 and not isinstance(result.exception, Exception) or \
            isinstance(result.exception, SystemExit), (fmt, result.output)
    bad = tmp_path / os.fsdecode(b"c\x9bd.iptplan")
    bad.write_text('plan "x"\n', encoding="utf-8")
    for fmt in ("text", "json", "sarif", "github"):
        result = invoke("check", "--format", fmt, bad)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), (fmt, result.output)
        shown = "c%9Bd.iptplan" if fmt == "sarif" else "c\\x9bd.iptplan"  # a URI, or escaped
        assert shown in result.output.replace("\\\\", "\\"), fmt
        result.output.encode("utf-8")  # writable as it is
    rendered = invoke("render", tmp_path / name, "-o", tmp_path / "out")
    assert rendered.exit_code == 0, rendered.output
