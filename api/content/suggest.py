"""Completions for a search box: topics, providers and article titles that match what
has been typed so far.

Topic and provider names are few, so each word start of each (case- and accent-folded)
name is kept in one sorted list, and a prefix is a binary search. Titles are many, so
they go through the FTS5 ``titles`` table and its prefix index (``"facial rec"*``: the
words typed, the last one a prefix). Best first: names that begin with the text before
names that merely contain a word beginning with it; topics and providers (by article
count) before article titles (by heat).
"""

from __future__ import annotations

import bisect
import re
import unicodedata

from .facets import FacetTable
from .search import SearchIndex

_WORDS = re.compile(r"[^\W_]+")
_KIND_ORDER = {"topic": 0, "provider": 1, "article": 2}


def fold(text: str) -> str:
    """Lower case, without accents: how suggestions compare text."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class Suggester:
    def __init__(
        self,
        facets: FacetTable,
        search: SearchIndex,
        ids: list[str],
    ) -> None:
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
        self._ids = ids  # by position

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
        # Hottest first (the titles table's row ids are heat ranks).
        hottest = self._search.title_matches(f'"{typed}"*', limit)
        titles = self._search.titles(hottest)
        for heat_rank, p in enumerate(hottest):
            rank = (not fold(titles[p]).startswith(typed), 2, heat_rank)
            found["article", self._ids[p]] = (rank, titles[p])
        ordered = sorted(found.items(), key=lambda item: item[1][0])[:limit]
        return [
            {"type": kind, "id": entry_id, "text": text} for (kind, entry_id), (_, text) in ordered
        ]
