"""The search box's syntax, read into a :class:`SearchQuery`.

Users type what search engines taught them: words (all must match), ``"a phrase"``,
``OR`` between alternatives, ``-word`` or ``NOT word`` to exclude, ``word*`` for a
prefix. The search engine's own query language (where ``-`` and ``:`` and ``(`` mean
something, and a stray quote is a syntax error) is never used: :mod:`api.content.search`
builds query objects from the words and phrases found here. Tokenizing, stemming,
accent folding, ranking and highlighting are the engine's; this module only decides
what is a word, a phrase or an operator. Anything else a user types is plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_LENGTH = 500
MAX_TERMS = 32
# A prefix shorter than this would expand to a large part of the vocabulary (``s*``
# costs more than half a second over 100,000 articles).
MIN_PREFIX = 3
MAX_PREFIXES = 4

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A quoted phrase (maybe excluded with "-"; the closing quote may be missing), or a run
# of anything but spaces and quotes.
_TOKEN = re.compile(r'(-?)"([^"]*)"?(\*?)|([^\s"]+)')
# What the unicode61 tokenizer keeps: letters and digits (not "_", a separator to it).
_WORD_CHAR = re.compile(r"[^\W_]")


class SearchSyntaxError(ValueError):
    """The text cannot be searched; the message says why, for a 400 on ``q``."""


@dataclass(frozen=True, slots=True)
class Term:
    text: str  # words, as typed (the engine's analyzer splits them)
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A parsed ``q``: groups of alternatives (all groups must match), and exclusions."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...]


def parse_search(text: str) -> SearchQuery:
    """Read a ``q`` value; raises :class:`SearchSyntaxError` if nothing is left to find."""
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchSyntaxError(
            f"Too long: {len(text)} characters; a search is at most {MAX_QUERY_LENGTH}."
        )
    text = _CONTROL.sub(" ", text)
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    negate = join_or = False
    for match in _TOKEN.finditer(text):
        minus, phrase, phrase_star, word = match.groups()
        if word is not None:
            if word == "OR":
                join_or = bool(groups)
                continue
            if word == "NOT":
                negate = True
                continue
            if word == "AND":
                continue
            if word.startswith("-") and len(word) > 1:
                negate, word = True, word.lstrip("-")
            prefix = word.endswith("*")
            term = Term(word.rstrip("*"), prefix)
        else:
            term = Term(phrase, bool(phrase_star))
            negate = negate or bool(minus)
        if not _WORD_CHAR.search(term.text):
            negate = join_or = False
            continue  # punctuation alone: nothing to find
        if negate:
            excluded.append(term)
        elif join_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        negate = join_or = False
    prefixes = [t for g in groups for t in g if t.prefix] + [t for t in excluded if t.prefix]
    if any(len(_WORD_CHAR.findall(t.text.split()[-1])) < MIN_PREFIX for t in prefixes):
        raise SearchSyntaxError(
            f"A prefix search (word*) needs at least {MIN_PREFIX} letters before the *."
        )
    if len(prefixes) > MAX_PREFIXES:
        raise SearchSyntaxError(f"At most {MAX_PREFIXES} prefix searches (word*).")
    if sum(len(g) for g in groups) + len(excluded) > MAX_TERMS:
        raise SearchSyntaxError(f"Too many words; a search takes at most {MAX_TERMS}.")
    if not groups:
        if excluded:
            raise SearchSyntaxError(
                "Only exclusions (-word or NOT word); add at least one word to find."
            )
        raise SearchSyntaxError("No words to search for.")
    return SearchQuery(tuple(tuple(g) for g in groups), tuple(excluded))
