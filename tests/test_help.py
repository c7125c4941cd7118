"""--help is read by clinicians: `ipt-plan --help` lists each command with a whole
sentence, however wide the terminal, and a programmer's word comes with a plain phrase."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from typer.main import get_command

from ipt_plan.cli import app

COMMANDS = {info.name or info.callback.__name__.replace("_", "-"): info
            for info in app.registered_commands}


def command_list(columns: int) -> dict[str, str]:
    """`ipt-plan --help`'s list of commands: each name with its text, lines joined."""
    done = subprocess.run([sys.executable, "-m", "ipt_plan", "--help"], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": str(columns)})
    assert done.returncode == 0, done.stderr
    listed: dict[str, str] = {}
    for line in done.stdout.split("\nCommands:\n", 1)[1].splitlines():
        entry = re.match(r"  (\S+) +(.+)", line)
        if entry:
            name = entry.group(1)
            listed[name] = entry.group(2)
        elif line.startswith("   ") and listed:
            listed[name] += " " + line.strip()
    return listed


@pytest.mark.parametrize("columns", [200, 80, 50])
def test_the_command_list_gives_each_command_a_whole_sentence(columns):
    listed = command_list(columns)
    assert set(listed) == set(COMMANDS)
    for name, text in listed.items():
        assert text == COMMANDS[name].short_help, name  # never cut short with "..."
        assert text[0].isupper() and text.endswith(".") and "..." not in text, name


# Each word, where a command's help or an option's says it: what must be said with it, or
# None where a plainer word does.
PLAIN = {
    "SARIF": "the format code-review tools",
    "IANA": "a time zone name such as Europe/London",
    "Jinja2": "template language",
    "Graphviz": "a drawing program installed apart",
    "FHIR": "health record",
    "inodes": "files and folders",
    "UID": "identity",
    "glob": None,
    "globs": None,
    "atomically": None,
    "unified diff": None,
    "hard-linked": None,
    "regular file": None,
    "processes": None,
    "stdio": None,
    "black": None,
}


def help_texts() -> dict[str, str]:
    """Each command's help and its options' and arguments', as written (not wrapped)."""
    texts = {}
    for name, command in get_command(app).commands.items():
        parts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
        texts[name] = " ".join(" ".join(parts).split())
    return texts


@pytest.mark.parametrize("word", PLAIN)
def test_help_says_a_programmers_word_plainly_or_not_at_all(word):
    for name, text in help_texts().items():
        if not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text):
            continue
        phrase = PLAIN[word]
        assert phrase is not None, f"ipt-plan {name} --help says {word!r}"
        assert phrase in text, f"ipt-plan {name} --help says {word!r} without {phrase!r}"
