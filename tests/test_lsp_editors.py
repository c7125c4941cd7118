"""The VS Code extension (editors/vscode): its TextMate grammar covers every keyword of the
Lark grammar, and, where Node and the extension's dev dependencies are installed (`make
editors`), highlights the bundled plans as ipt-plan's own parser reads them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from lark.lexer import PatternStr

from conftest import PLANS, ROOT
from ipt_plan.grammar import parser
from ipt_plan.parser import parse
from ipt_plan.statements import ActivityLine, comments

VSCODE = ROOT / "editors" / "vscode"
TM_GRAMMAR = VSCODE / "syntaxes" / "iptplan.tmLanguage.json"
TESTER = VSCODE / "node_modules" / ".bin" / "vscode-tmgrammar-test"

# Where each keyword is highlighted: a line that opens a block, a header line, another
# line's first word, or a word inside a line.
BLOCK, HEADER, LINE, WORD = ("keyword.control.block.iptplan", "keyword.other.header.iptplan",
                             "keyword.other.line.iptplan", "keyword.other.iptplan")
FIRST_WORDS = {**dict.fromkeys(("plan", "focus", "phase", "log", "session", "every"), BLOCK),
               **dict.fromkeys(("id", "client", "clinician", "protocol", "diagnosis",
                                "delivery", "format", "schedule", "skip", "measure"), HEADER),
               **dict.fromkeys(("stage", "died", "goal", "homework", "note", "score", "risk"),
                               LINE)}


def grammar_keywords() -> dict[str, str]:
    """Every keyword of grammar/iptplan.lark, by its terminal: the quoted words, and the
    terminals that are a word ending at a word's end (`with`, `min(ute)?s?`)."""
    found = {}
    for terminal in parser().terminals:
        pattern = terminal.pattern
        if isinstance(pattern, PatternStr):
            if pattern.value.isalpha():
                found[terminal.name] = pattern.value
        elif pattern.value.endswith(r"\b") and re.match(r"[a-z]+", pattern.value):
            word = terminal.name.lower().lstrip("_")
            assert re.fullmatch(pattern.value[:-2], word), terminal
            found[terminal.name] = word
    return found


def tm_patterns(node) -> list[dict]:
    """Every pattern of the TextMate grammar, in the repository or nested."""
    if isinstance(node, dict):
        own = [node] if "match" in node or "begin" in node else []
        return own + [p for value in node.values() for p in tm_patterns(value)]
    if isinstance(node, list):
        return [p for item in node for p in tm_patterns(item)]
    return []


def highlighted_as_keyword(word: str, patterns: list[dict]) -> bool:
    """Whether a pattern gives `word` a keyword scope, as a line's first word or inside one."""
    for pattern in patterns:
        if "match" not in pattern:
            continue
        for line in (word, f"  {word}", f"x {word} y"):
            match = re.search(pattern["match"], line)
            if match is None:
                continue
            if pattern.get("name", "").startswith("keyword") and match.group() == word:
                return True
            for group, scope in pattern.get("captures", {}).items():
                if scope["name"].startswith("keyword") and match.group(int(group)) == word:
                    return True
    return False


def test_every_keyword_of_the_lark_grammar_is_in_the_textmate_grammar():
    keywords = grammar_keywords()
    assert {"plan", "focus", "phase", "session", "with", "min", "items", "log"} <= set(
        keywords.values())
    patterns = tm_patterns(json.loads(TM_GRAMMAR.read_text(encoding="utf-8")))
    missing = sorted(word for word in keywords.values()
                     if not highlighted_as_keyword(word, patterns))
    assert missing == []


def test_the_extension_is_for_iptplan_files_and_starts_ipt_plan_lsp():
    package = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    [language] = package["contributes"]["languages"]
    assert language["id"] == "iptplan" and language["extensions"] == [".iptplan"]
    [grammar] = package["contributes"]["grammars"]
    assert (VSCODE / grammar["path"]).is_file() and grammar["language"] == "iptplan"
    setting = package["contributes"]["configuration"]["properties"]["ipt-plan.server.command"]
    assert setting["default"] == ["ipt-plan", "lsp"]
    assert "vscode-languageclient" in package["dependencies"]
    assert {"@vscode/vsce", "vscode-tmgrammar-test"} <= set(package["devDependencies"])
    assert (VSCODE / package["main"]).is_file()
    assert "ipt-plan.server.command" in (VSCODE / package["main"]).read_text(encoding="utf-8")


# --- highlighting, where Node is installed ------------------------------------------------

def needs_the_grammar_tester() -> None:
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: the TextMate grammar is tested only where it is")
    if not TESTER.exists():
        pytest.skip("vscode-tmgrammar-test is not installed: run `make editors` (npm ci in "
                    "editors/vscode) to test the TextMate grammar")


def run_tester(files: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(TESTER), "-g", str(TM_GRAMMAR), *files], capture_output=True,
                          text=True, timeout=300, cwd=VSCODE)


def test_the_grammar_s_own_syntax_test_passes():
    needs_the_grammar_tester()
    done = run_tester(["test/*.iptplan"])
    assert done.returncode == 0, done.stdout + done.stderr


def expected_scopes(text: str) -> dict[int, list[tuple[int, int, str]]]:
    """For each line (1-based): (column from 0, length, scope) of what ipt-plan's parser
    reads there: keywords, texts, numbers, scales, techniques, foci, comments."""
    keywords = set(grammar_keywords())
    statements, problems = parse(text)
    assert problems == []
    lines = text.split("\n")
    found: dict[int, list[tuple[int, int, str]]] = {}
    for statement in statements:
        number = statement.loc.line
        tokens = list(parser().parse_interactive(lines[number - 1], start="line").iter_parse())
        technique = isinstance(statement, ActivityLine) and statement.activity.kind == "technique"
        after_for = False
        for index, token in enumerate(tokens):
            column, length = token.column - 1, len(token.value)
            if token.type in keywords:
                first = index == 0 or (index == 1 and tokens[0].value == "every")
                scope = FIRST_WORDS.get(token.value, WORD) if first else WORD
            elif token.type == "STRING":
                scope = "string.quoted.double.iptplan"
            elif token.type in ("DATE", "MONTH"):
                scope = "constant.numeric.date.iptplan"
            elif token.type == "TIME":
                scope = "constant.numeric.time.iptplan"
            elif token.type == "INT":
                scope = "constant.numeric.integer.iptplan"
            elif token.type == "MEASURE":
                scope = "support.constant.scale.iptplan"
            elif token.type == "PROTOCOL_NAME":
                scope = "support.constant.protocol.iptplan"
            elif token.type == "NAME" and technique and index == 0:
                scope = "entity.name.function.technique.iptplan"
            elif token.type == "NAME" and technique and after_for:
                scope = "variable.other.focus.iptplan"
            else:
                continue
            after_for = technique and (token.type == "FOR" or (after_for and token.type in (
                "NAME", "COMMA")))
            found.setdefault(number, []).append((column, length, scope))
    for number, column, comment in comments(text):
        found.setdefault(number, []).append((column - 1, len(comment.rstrip()),
                                             "comment.line.number-sign.iptplan"))
    return found


def syntax_test(text: str, name: str) -> str:
    """The plan as a vscode-tmgrammar-test file: each line followed by assertions of the
    scopes ipt-plan's parser expects (a column 0 asserted with `<-`)."""
    out = [f'# SYNTAX TEST "source.iptplan" "{name}"']
    expected = expected_scopes(text)
    for number, line in enumerate(text.split("\n"), start=1):
        out.append(line)
        for column, length, scope in expected.get(number, ()):
            if column == 0:
                out.append(f"# <{'-' * length} {scope}")
            else:
                out.append("#" + " " * (column - 1) + "^" * length + f" {scope}")
    return "\n".join(out)


def test_the_bundled_plans_are_highlighted_as_ipt_plan_reads_them(tmp_path):
    needs_the_grammar_tester()
    files = []
    for plan in sorted(PLANS.glob("*.iptplan")):
        path = tmp_path / plan.name
        path.write_text(syntax_test(plan.read_text(encoding="utf-8"), plan.name),
                        encoding="utf-8")
        files.append(str(path))
    assert len(files) >= 10
    done = run_tester(files)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
