"""The hottest titles for each common word start: a search box's one-word suggestions,
looked up rather than searched.

``/suggest?q=cli`` wants the hottest articles with a title word that starts with
``cli``. The search engine finds them by visiting every match in heat order: at
1,000,000 articles about 60 µs for a start a few hundred titles share and up to 600 µs
for a two-letter one (``bench/RESULTS.md``, session 17), on every keystroke. A
completion suggester keeps those answers ready instead (Elasticsearch's completion
field, a weighted FST, does the same), and so does this table: for every word start
that at least ``MIN_TITLES`` title words share (the starts whose search costs most), the
``HOTTEST`` hottest articles with such a word. Rarer starts, several words and larger
limits still go to the engine; both give the same answers (tests/test_title_prefixes.py).

Its words are the engine's: titles split and folded by the analyzer of the engine's
``words`` field. Built with the index (0.5 s for 100,000 titles, 5 s for 1,000,000,
about 2% of a cold build); a patched index takes the previous table, asks the engine
again for the rows of the changed titles' word starts and renumbers the other rows. It
lives in the artifact's mapped arrays, shared by every worker (0.5 MB at 1,000,000).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable

import numpy as np

from .columns import gather
from .search import title_words

# As many as a suggestion list holds by default (SuggestQueryArgsSchema.limit).
HOTTEST = 10
# A word start shared by fewer title words goes to the engine: a few dozen matches cost
# it about as little as any search does.
MIN_TITLES = 64
# A patch that would ask the engine again for more rows than this builds the table anew.
MAX_ASKED_AGAIN = 1_000
_LAST = "\U0010ffff"  # sorts after any character of a word


def word_starts(titles: Iterable[str]) -> set[str]:
    """Every start of every word of ``titles``."""
    return {w[:k] for t in titles for w in title_words(t) for k in range(1, len(w) + 1)}


class TitlePrefixes:
    """Word start -> the positions of its ``HOTTEST`` hottest titles, hottest first."""

    def __init__(self, starts: np.ndarray, ptr: np.ndarray, positions: np.ndarray) -> None:
        self.starts = starts  # sorted UTF-8 (bytes order is the characters' order)
        self.ptr = ptr  # row i is positions[ptr[i]:ptr[i + 1]]
        self.positions = positions

    def __len__(self) -> int:
        return len(self.starts)

    def hottest(self, typed: str, limit: int) -> list[int] | None:
        """The positions of the ``limit`` hottest articles with a title word starting
        with ``typed`` (one word), or None: not in the table (ask the engine)."""
        words = title_words(typed)
        if len(words) != 1 or limit > HOTTEST:
            return None
        key = words[0].encode()
        if len(key) > self.starts.dtype.itemsize:  # (numpy would cut it to fit)
            return None
        row = int(np.searchsorted(self.starts, key))
        if row == len(self.starts) or self.starts[row] != key:
            return None
        first = int(self.ptr[row])
        return self.positions[first : min(first + limit, int(self.ptr[row + 1]))].tolist()

    @classmethod
    def build(cls, titles: Iterable[str], hottest_first: np.ndarray) -> TitlePrefixes:
        """The table of the articles whose ``titles`` are given by position;
        ``hottest_first``: the positions in heat order (the ``-heat`` view's)."""
        n = len(hottest_first)
        heat_rank = np.empty(n, np.int64)
        heat_rank[hottest_first] = np.arange(n)
        vocabulary: dict[str, int] = {}
        word_ids: list[int] = []
        owners: list[int] = []
        for position, title in enumerate(titles):
            for word in set(title_words(title)):
                word_ids.append(vocabulary.setdefault(word, len(vocabulary)))
                owners.append(position)
        words = sorted(vocabulary)
        alphabetical = np.empty(len(words), np.int64)
        alphabetical[[vocabulary[w] for w in words]] = np.arange(len(words))
        word = alphabetical[np.array(word_ids, np.int64)]
        rank = heat_rank[np.array(owners, np.int64)]
        order = np.lexsort((rank, word))  # by word, hottest first within it
        word, rank = word[order], rank[order]
        titles_with = np.bincount(word, minlength=len(words))  # each word's
        first = np.concatenate([[0], np.cumsum(titles_with)])
        # Each word's HOTTEST hottest titles, word after word (as heat ranks).
        top = rank[np.arange(len(word)) - first[word] < HOTTEST]
        top_first = np.concatenate([[0], np.cumsum(np.minimum(titles_with, HOTTEST))])

        rows: dict[str, np.ndarray] = {}
        for w in words:
            for k in range(1, len(w) + 1):
                start = w[:k]
                if start in rows:
                    continue
                lo = bisect.bisect_left(words, start)
                hi = bisect.bisect_left(words, start + _LAST, lo)
                if first[hi] - first[lo] < MIN_TITLES:
                    break  # (a longer start of the same word has no more)
                ranks = top[top_first[lo] : top_first[hi]]
                if hi - lo > 1:  # a title may have two of these words
                    ranks = np.unique(ranks)[:HOTTEST]
                rows[start] = hottest_first[ranks]
        return cls._of(rows)

    def patched(
        self,
        moved: np.ndarray,
        titles: Iterable[str],
        hottest: Callable[[str, int], list[int]],
    ) -> TitlePrefixes | None:
        """This table for a patched index, or None when building it anew costs less.
        ``moved`` maps each previous position to its new one (-1: gone); ``titles``: the
        titles of the articles that came, went or changed. The rows of their words'
        starts are asked again of ``hottest(start, HOTTEST)`` (the engine's exact answer
        in the new index); every other row keeps its articles, renumbered. (A start
        that becomes common gets no row until the next build: the engine answers it.)"""
        touched = np.array(sorted(s.encode() for s in word_starts(titles)) or [b""], "S")
        rows = np.flatnonzero(np.isin(self.starts, touched))
        if len(rows) > MAX_ASKED_AGAIN:
            return None
        answers = [np.asarray(hottest(self.starts[r].decode(), HOTTEST), np.int32) for r in rows]
        # The rows again, renumbered, then the answers; each row taken from one of them.
        ends = np.cumsum([len(a) for a in answers], dtype=np.int64)
        pool_ptr = np.concatenate([self.ptr, self.ptr[-1] + ends])
        pool = np.concatenate([moved[self.positions], *answers]).astype(np.int32)
        source = np.arange(len(self))
        source[rows] = len(self) + np.arange(len(rows))
        ptr, positions = gather(pool_ptr, pool, source)
        return TitlePrefixes(self.starts, ptr, positions)

    @classmethod
    def _of(cls, rows: dict[str, np.ndarray]) -> TitlePrefixes:
        starts = sorted(rows)
        lengths = [len(rows[s]) for s in starts]
        ptr = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64)
        positions = np.concatenate([rows[s] for s in starts]) if starts else np.zeros(0)
        encoded = np.array([s.encode() for s in starts] or [b""], "S")[: len(starts)]
        return cls(encoded, ptr, positions.astype(np.int32))
