"""A plan cannot drive the terminal it is checked on: control characters from plans and
file names are shown as escapes in every text output, and carets stay under their span."""

from __future__ import annotations

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
    assert result.output.startswith("::error")
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
