"""Completions for a search box: topics, providers and article titles that match what
has been typed so far.

Topic and provider names are few, so each word start of each (case- and accent-folded)
name is kept in one sorted list, and a prefix is a binary search. Titles are many, so
they go through the search engine's unstemmed title words (``facial rec``: the words
typed in a row, the last one a prefix), hottest first; a common word start's hottest
titles are kept ready (:mod:`.title_prefixes`). Best first: names that begin
with the text before names that merely contain a word beginning with it; topics and
providers (by article count) before article titles (by heat).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable

from .facets import FacetTable
from .search import SearchIndex
from .title_prefixes import TitlePrefixes

_WORDS = re.compile(r"[^\W_]+")
_KIND_ORDER = {"topic": 0, "provider": 1, "article": 2}


def fold(text: str) -> str:
    """Lower case, without accents: how suggestions compare text."""
    if text.isascii():  # nothing to decompose (most titles: a fifth of a suggestion's time)
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class Suggester:
    def __init__(
        self,
        facets: FacetTable,
        search: SearchIndex,
        prefixes: TitlePrefixes,
        ids: list[str],
        title: Callable[[int], str],
    ) -> None:
        """Cheap: reads only the (few) topic and provider names."""
        keys = []
        for kind in ("topic", "provider"):
            for entry_id, name, count in facets.entries(kind):
                folded = fold(name)
                for match in _WORDS.finditer(folded):
                    keys.append((folded[match.start() :], kind, entry_id, name, count, folded))
        keys.sort()
        self._keys = keys
        self._key_text = [k[0] for k in keys]
        self._search = search
        self._prefixes = prefixes
        self._ids = ids  # by position
        self._title = title  # position -> title

    def suggest(self, text: str, limit: int) -> list[dict]:
        """At most ``limit`` completions of ``text``: ``{"type", "id", "text"}``."""
        typed = " ".join(_WORDS.findall(fold(text)))
        if not typed:
            return []
        found: dict[tuple[str, str], tuple] = {}
        i = bisect.bisect_left(self._key_text, typed)
        while i < len(self._keys) and self._key_text[i].startswith(typed):
            _, kind, entry_id, name, count, folded = self._keys[i]
            rank = (not folded.startswith(typed), _KIND_ORDER[kind], -count, folded)
            found[kind, entry_id] = min(found.get((kind, entry_id), (rank, name)), (rank, name))
            i += 1
        hottest = self._prefixes.hottest(typed, limit)
        if hottest is None:  # not a common word start: the engine finds them
            hottest = self._search.title_matches(typed, limit)
        for heat_rank, p in enumerate(hottest):
            title = self._title(p)
            rank = (not fold(title).startswith(typed), 2, heat_rank)
            found["article", self._ids[p]] = (rank, title)
        ordered = sorted(found.items(), key=lambda item: item[1][0])[:limit]
        return [
            {"type": kind, "id": entry_id, "text": text} for (kind, entry_id), (_, text) in ordered
        ]
