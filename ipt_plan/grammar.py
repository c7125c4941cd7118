"""The Lark parser for `grammar/iptplan.lark`, built once per process.

Analysing the grammar costs more than checking a plan, so the built LALR tables are kept
in the user's cache (see `ipt_plan.cache`) and loaded from there.
"""

from __future__ import annotations

from functools import lru_cache

from lark import Lark
from lark import __version__ as lark_version
from lark.grammar import Rule
from lark.lexer import TerminalDef

from .cache import cached
from .resources import resource_dir

GRAMMAR_FILE = "iptplan.lark"
START_RULES = ["start", "line"]


def grammar_text() -> str:
    return (resource_dir("grammar") / GRAMMAR_FILE).read_text(encoding="utf-8")


def _build(text: str) -> Lark:
    # No propagate_positions: the parser takes positions from tokens, at half the cost.
    return Lark(text, parser="lalr", lexer="contextual", start=START_RULES,
                maybe_placeholders=False)


@lru_cache(maxsize=1)
def parser() -> Lark:
    text = grammar_text()
    # Stored as the plain data Lark's own standalone parsers are made from, not as
    # Lark.save's pickle: loading a cache entry must never be able to run code.
    return cached("grammar", (text, lark_version), lambda: _build(text),
                  to_data=lambda lark: lark.memo_serialize([TerminalDef, Rule]),
                  from_data=lambda data: Lark._load_from_dict(*data), expect=Lark)
