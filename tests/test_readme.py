"""The README runs as shown, so that it cannot drift from the tool.

Every fenced block says what it is (```sh, ```iptplan, ```text, ...), and:

- an ```iptplan block that is a whole plan checks clean and is laid out as `fmt` lays it
  out; a `log` block does the same at the end of the README's plan, as on the day after
  its last entry. The first plan is plans/ms-a.iptplan, as the README says.
- in a ```sh block, each `ipt-plan` and `cp` line is run, in a folder of its own holding a
  copy of plans/, a clinic/ folder of two plans and ours/ (a templates folder, empty: the
  built-in templates stay). It must exit 0, or N where its comment says `exit N here`.
  A pipe into a program that is not installed (jq, dot) runs the ipt-plan part alone;
  lines of other programs (make, pip, code) are not run, since they set up or change
  this repository. A block under a `<!-- not run: why -->` comment is not run at all.
- the ```python blocks run, one after the other, as one script in such a folder.
- the outputs the README shows are what ipt-plan prints for them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import PLANS, ROOT
from ipt_plan import load_string
from ipt_plan.formatter import format_text
from ipt_plan.knowledge import catalogue
from ipt_plan.rules import RULES

README = ROOT / "README.md"
KINDS = {"sh", "iptplan", "text", "toml", "yaml", "json", "lua", "python"}
RUN = {"ipt-plan", "cp"}  # the programs a ```sh block's lines are run with
FENCE = re.compile(r"^\s*(`{3,})(.*)$")
NOT_RUN = re.compile(r"^<!-- not run: (.+) -->$")


@dataclass(frozen=True)
class Block:
    line: int  # of its opening fence, from 1
    kind: str  # what its fence says it is
    text: str
    not_run: str | None  # why, from a `<!-- not run: why -->` line just above it


def blocks(markdown: str) -> list[Block]:
    lines = markdown.split("\n")
    found, number = [], 0
    while number < len(lines):
        opening = FENCE.match(lines[number])
        if opening is None:
            number += 1
            continue
        fence = opening.group(1)
        end = next(i for i in range(number + 1, len(lines))
                   if lines[i].strip() == fence)
        above = lines[number - 1].strip() if number else ""
        why = NOT_RUN.match(above)
        found.append(Block(number + 1, opening.group(2).strip(),
                           "".join(line + "\n" for line in lines[number + 1:end]),
                           why.group(1) if why else None))
        number = end + 1
    return found


BLOCKS = blocks(README.read_text(encoding="utf-8"))
PLAN_BLOCKS = [b for b in BLOCKS if b.kind == "iptplan"]
SHELL_BLOCKS = [b for b in BLOCKS if b.kind == "sh"]
EXAMPLE = PLAN_BLOCKS[0].text  # the README's plan, which the other examples use


def block_id(block: Block) -> str:
    return f"README line {block.line}"


def block_after(block: Block, kind: str) -> Block:
    return next(b for b in BLOCKS if b.line > block.line and b.kind == kind)


def test_readme_rules_table_matches_the_registry():
    readme = README.read_text(encoding="utf-8")
    for rule in RULES.values():
        assert f"| {rule.code} | {rule.severity.value} | {rule.summary} |" in readme, rule.code


def test_readme_lists_every_rating_scale_of_the_catalogue():
    listed = re.search(r"a rating scale from the catalogue \(([^)]*)\)",
                       README.read_text(encoding="utf-8")).group(1)
    assert sorted(listed.split(", ")) == sorted(catalogue().measures)


def test_every_block_says_what_it_is():
    assert [b.line for b in BLOCKS if b.kind not in KINDS] == []
    # A block is left unrun for a reason that is written down, and only a shell block.
    assert all(b.kind == "sh" for b in BLOCKS if b.not_run)


def test_the_readme_plan_is_the_bundled_example():
    assert EXAMPLE == (PLANS / "ms-a.iptplan").read_text(encoding="utf-8")


def log_dates(text: str) -> list[dt.date]:
    return [dt.date.fromisoformat(day) for day in re.findall(r"^  (\d{4}-\d\d-\d\d) ", text, re.M)]


@pytest.mark.parametrize("block", PLAN_BLOCKS, ids=block_id)
def test_plan_blocks_check_clean_and_are_formatted(block):
    if block.text.startswith("log\n"):
        text, today = EXAMPLE + "\n" + block.text, max(log_dates(block.text)) + dt.timedelta(1)
    else:
        text, today = block.text, None
        assert re.search(r"^plan ", text, re.M), "a plan block is a whole plan or a log"
    result = load_string(text, "README.md", today=today)
    assert [f"{d.line}: {d.code} {d.message}" for d in result.diagnostics] == []
    assert format_text(text) == text


# Running the shell blocks.

def unquoted(text: str):
    """Each character of a command outside quotes, with its index."""
    quote = None
    for i, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        else:
            yield i, char


def split_comment(command: str) -> tuple[str, str]:
    """The command and its `# comment`, a # in quotes or inside a word being no comment."""
    for i, char in unquoted(command):
        if char == "#" and (i == 0 or command[i - 1].isspace()):
            return command[:i].rstrip(), command[i + 1:].strip()
    return command.rstrip(), ""


def split_pipe(code: str) -> list[str]:
    cuts = [i for i, char in unquoted(code) if char == "|"]
    return [code[start + 1:end].strip() for start, end in zip([-1, *cuts], [*cuts, len(code)])]


def commands(block: Block) -> list[str]:
    """The block's commands, each with its continuation lines joined."""
    found, current = [], ""
    for line in block.text.splitlines():
        if line.endswith("\\"):
            current += line[:-1]
            continue
        found.append(current + line)
        current = ""
    return [c for c in found if c.strip()]


@pytest.fixture
def folder(tmp_path) -> Path:
    """A folder to run the README's commands in: plans/, clinic/ and ours/, and
    `ipt-plan` on the PATH as this Python runs it."""
    work = tmp_path / "work"
    shutil.copytree(PLANS, work / "plans")
    for clinician, plan in (("moreno", "ms-a"), ("okafor", "ipc-primary-care")):
        (work / "clinic" / clinician).mkdir(parents=True)
        shutil.copy(PLANS / f"{plan}.iptplan", work / "clinic" / clinician)
    (work / "ours").mkdir()
    programs = tmp_path / "bin"
    programs.mkdir()
    shim = programs / "ipt-plan"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m ipt_plan "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    return work


def environment(folder: Path) -> dict[str, str]:
    return {**os.environ, "PATH": f"{folder.parent / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "NO_COLOR": "1", "LC_ALL": "C.UTF-8"}


def run_block(block: Block, folder: Path) -> list[str]:
    """Run a shell block's commands as the module's docstring says, in order; each must
    exit as its comment says. The commands run, as they were run."""
    ran = []
    for command in commands(block):
        code, comment = split_comment(command)
        if not code or code.split()[0] not in RUN:
            continue
        stages = split_pipe(code)
        if not all(shutil.which(stage.split()[0]) for stage in stages[1:]):
            stages = stages[:1]  # jq, dot...: not installed here
        line = " | ".join(stages)
        done = subprocess.run(["bash", "-o", "pipefail", "-c", line], cwd=folder,
                              env=environment(folder), capture_output=True, text=True,
                              timeout=300)
        expected = re.search(r"\bexit (\d) here\b", comment)
        assert done.returncode == (int(expected.group(1)) if expected else 0), (
            f"{line}\n{done.stdout}\n{done.stderr}")
        ran.append(line)
    return ran


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=block_id)
def test_shell_blocks_run_as_shown(block, folder):
    if block.not_run:
        pytest.skip(f"not run: {block.not_run}")
    run_block(block, folder)


def test_python_blocks_run(folder):
    script = "".join(b.text for b in BLOCKS if b.kind == "python")
    done = subprocess.run([sys.executable, "-c", script], cwd=folder, env=environment(folder),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_check_output_shown_is_what_check_prints(folder):
    """For the README's plan without its stage line and with `sistr` for `sister`."""
    shown = next(b for b in BLOCKS if b.kind == "text" and b.text.startswith("ms-a.iptplan:"))
    assert EXAMPLE.count("\n  stage renegotiation\n") == EXAMPLE.count("role_play for sister") == 1
    broken = (EXAMPLE.replace("\n  stage renegotiation\n", "\n")
              .replace("role_play for sister", "role_play for sistr"))
    (folder / "ms-a.iptplan").write_text(broken, encoding="utf-8")
    done = subprocess.run(["bash", "-c", "ipt-plan check ms-a.iptplan"], cwd=folder,
                          env=environment(folder), capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (1, shown.text)


def on_terminal(command: str, folder: Path) -> str:
    """What `command` prints on a terminal: a pseudo-terminal as its standard output."""
    reader, terminal = os.openpty()
    try:
        subprocess.run(["bash", "-c", command], cwd=folder, env=environment(folder),
                       stdout=terminal, stderr=subprocess.DEVNULL, timeout=60)
    finally:
        os.close(terminal)
    printed = b""
    while True:
        try:
            chunk = os.read(reader, 65536)
        except OSError:  # EIO: the terminal's other end is closed and all was read
            break
        if not chunk:
            break
        printed += chunk
    os.close(reader)
    return printed.decode("utf-8").replace("\r\n", "\n")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal (POSIX)")
def test_the_log_walkthrough_leaves_the_log_and_the_progress_shown(folder):
    walkthrough = next(b for b in SHELL_BLOCKS if "ipt-plan log ms-a.iptplan" in b.text)
    ran = run_block(walkthrough, folder)
    assert sum(command.startswith("ipt-plan log ") for command in ran) == 4
    left = block_after(walkthrough, "iptplan")
    plan = (folder / "ms-a.iptplan").read_text(encoding="utf-8")
    assert plan == EXAMPLE + "\n" + left.text
    # As on a terminal, where the trend is drawn in blocks (▆▅).
    progress = next(command for command in ran if command.startswith("ipt-plan progress ms-a"))
    shown = next(b for b in BLOCKS if b.kind == "text" and b.text.startswith("ms-a.iptplan\n"))
    assert on_terminal(progress, folder) == shown.text


# The pre-commit hook the README shows.

HOOK = next(b.text for b in BLOCKS if b.kind == "yaml" and "rev:" in b.text)
PRE_COMMIT = shutil.which("pre-commit",
                          path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def git(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def in_a_git_checkout() -> bool:
    return shutil.which("git") is not None and git("rev-parse", "--git-dir").returncode == 0


def test_the_hook_rev_shown_is_a_commit_of_this_repository():
    rev = re.search(r"^\s*rev: (\S+)", HOOK, re.M).group(1)
    assert re.fullmatch(r"[0-9a-f]{40}", rev), "pre-commit asks for a tag or a full hash"
    if not in_a_git_checkout():
        pytest.skip("not in a git checkout of ipt-plan")
    found = (git("cat-file", "-e", f"{rev}^{{commit}}").returncode == 0
             and git("merge-base", "--is-ancestor", rev, "HEAD").returncode == 0)
    if not found and git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        pytest.skip("a shallow clone does not hold the older commit the README names")
    assert found, f"{rev} is not a commit in this branch's history"
    assert "- id: ipt-plan\n" in git("show", f"{rev}:.pre-commit-hooks.yaml").stdout


@pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed (the test extra "
                                               "has it: pip install -e '.[test]')")
def test_the_pre_commit_hook_passes_a_clean_plan_and_stops_a_broken_one(tmp_path):
    """pre-commit try-repo installs the hook from a clone of this repository (its last
    commit), as `repo:` and `rev:` do, and runs it on the plans given."""
    if not in_a_git_checkout():
        pytest.skip("not in a git checkout of ipt-plan: the hook is installed from one")
    hook_repo = tmp_path / "ipt-plan"
    cloned = git("clone", "--quiet", str(ROOT), str(hook_repo), cwd=tmp_path)
    assert cloned.returncode == 0, cloned.stderr
    plans = tmp_path / "clinic"
    plans.mkdir()
    assert git("init", "--quiet", cwd=plans).returncode == 0
    (plans / "good.iptplan").write_text(EXAMPLE, encoding="utf-8")
    (plans / "bad.iptplan").write_text(EXAMPLE.replace("role_play for sister",
                                                       "role_play for sistr"), encoding="utf-8")
    git("add", ".", cwd=plans)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache")}

    def try_repo(*files: str) -> subprocess.CompletedProcess:
        done = subprocess.run([PRE_COMMIT, "try-repo", str(hook_repo), "ipt-plan",
                               "--color", "never", "--files", *files], cwd=plans, env=env,
                              capture_output=True, text=True, timeout=600)
        if done.returncode and any(no_index in done.stdout + done.stderr for no_index in (
                "No matching distribution found", "Failed to establish a new connection")):
            pytest.skip("the hook's environment could not be installed: no package index")
        return done

    clean = try_repo("good.iptplan")
    assert clean.returncode == 0 and "ipt-plan check" in clean.stdout, clean.stdout + clean.stderr
    broken = try_repo("good.iptplan", "bad.iptplan")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    line = EXAMPLE[:EXAMPLE.index("role_play for")].count("\n") + 1
    assert (f"bad.iptplan:{line}:19: error[IPT002]: there is no focus called 'sistr'"
            in broken.stdout)
    assert "good.iptplan:" not in broken.stdout
