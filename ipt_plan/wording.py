"""How counts are said in messages, summaries and agendas: "1 session", "3 sessions"."""

from __future__ import annotations


def plural(count: int, word: str, plural_form: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural_form or word + 's'}"
