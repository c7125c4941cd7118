"""Words in a plan's own text (a detail, a note, a title, a focus's description), for the
rules that read them (`Context.words_in`): whole words or phrases from a word list of the
catalogue or the profile, whatever their case, except where the text says the thing is not
done ("no exposure", "exposure is not used"). The negations and their reach are the
catalogue's `[vocabulary]`.
"""

from __future__ import annotations

import re
from typing import Iterable, NamedTuple

from .knowledge import Vocabulary

# A word of a text: letters or digits, with an apostrophe inside ("isn't", "mother's").
_WORD = re.compile(r"\w+(?:['\u2019]\w+)*")
# What may join the words of a phrase: spaces or a hyphen ("in vivo", "in-vivo", "non-exposure").
_JOIN = re.compile(r"\s*-\s*|\s+")
# What may stand between a word and a negation just after it: "exposure-free", "exposure: none".
_AFTER = re.compile(r"\s*[-:\u2013\u2014]?\s*")
# Punctuation that ends a clause, and so a negation's reach: a hyphen only between spaces.
_BREAK = re.compile(r"[.,;:!?()\[\]{}\"/\u2013\u2014]|\s-|-\s")


class Found(NamedTuple):
    """A word of the list found in a text: where (indexes into the text), and which."""

    start: int
    end: int
    phrase: str  # as the list writes it

    def written(self, text: str) -> str:
        return text[self.start:self.end]


class _Token(NamedTuple):
    start: int
    end: int
    word: str  # lower case, with a typographic apostrophe made plain


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.start(), m.end(), m.group().lower().replace("\u2019", "'"))
            for m in _WORD.finditer(text)]


def _split(phrase: str) -> tuple[str, ...]:
    return tuple(phrase.lower().replace("-", " ").split())


def _phrase_at(text: str, tokens: list[_Token], index: int, words: tuple[str, ...]) -> bool:
    """Whether the phrase's words are the tokens from `index` on, joined only by spaces or
    hyphens."""
    if index < 0 or index + len(words) > len(tokens):
        return False
    for offset, word in enumerate(words):
        token = tokens[index + offset]
        if token.word != word:
            return False
        if offset and not _JOIN.fullmatch(text[tokens[index + offset - 1].end:token.start]):
            return False
    return True


def find(text: str | None, phrases: Iterable[str], vocabulary: Vocabulary) -> list[Found]:
    """Each occurrence in `text` of a word or phrase of `phrases`, in order, but those the
    text negates."""
    if not text:
        return []
    tokens = _tokens(text)
    wanted = sorted({(_split(p), p) for p in phrases}, key=lambda item: -len(item[0]))
    matches: list[tuple[int, int, str]] = []  # (first token, last token + 1, phrase)
    index = 0
    while index < len(tokens):
        hit = next(((words, phrase) for words, phrase in wanted
                    if _phrase_at(text, tokens, index, words)), None)
        if hit is None:
            index += 1
            continue
        matches.append((index, index + len(hit[0]), hit[1]))
        index += len(hit[0])
    watched = {i for first, last, _ in matches for i in range(first, last)}
    negations = [_split(p) for p in vocabulary.negation]
    after = [_split(p) for p in vocabulary.negation_after]
    breaks = {_split(p)[0] for p in vocabulary.clause_breaks}
    found = []
    for first, last, phrase in matches:
        if (_negated_before(text, tokens, first, watched, negations, breaks,
                            vocabulary.negation_reach)
                or _negated_after(text, tokens, last, after)):
            continue
        found.append(Found(tokens[first].start, tokens[last - 1].end, phrase))
    return found


def _negated_before(text: str, tokens: list[_Token], first: int, watched: set[int],
                    negations: list[tuple[str, ...]], breaks: set[str], reach: int) -> bool:
    """A negation earlier in the same clause, with at most `reach` other words between
    (the list's own words, as in "no imaginal or in vivo exposure", do not count)."""
    between = 0
    index = first - 1
    while index >= 0:
        if _BREAK.search(text[tokens[index].end:tokens[index + 1].start]):
            return False
        if tokens[index].word in breaks:
            return False
        if any(_phrase_at(text, tokens, index - len(words) + 1, words) for words in negations):
            return True
        if index not in watched:
            between += 1
            if between > reach:
                return False
        index -= 1
    return False


def _negated_after(text: str, tokens: list[_Token], last: int,
                   after: list[tuple[str, ...]]) -> bool:
    """A negation just after the word: "exposure is not used", "exposure-free"."""
    if last >= len(tokens) or not _AFTER.fullmatch(text[tokens[last - 1].end:tokens[last].start]):
        return False
    return any(_phrase_at(text, tokens, last, words) for words in after)
