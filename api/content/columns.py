"""The index's per-article data as columns in position (id) order, and what is made
from them.

Everything the index derives (sorted views, posting lists, membership masks, facet
codes, directory counts) is computed here from columns with vectorised numpy, never
from a pass over the records in Python. A fresh build makes the columns from records
(:meth:`Field.of`); a small change among many articles makes them from the previous
version's columns and the few changed records (:func:`gather` through a *source*
array: for each new position, where its values come from), and the same code derives
the rest: a patched index is the index a fresh build would make, at the cost of numpy
passes, not of Python ones.

A :class:`Field` is one multi-valued field (topics; and providers, categories, types,
which hold at most one value each) as a CSR table of *pair codes*: each article's
``(value id, name)`` pairs, coded in order of first appearance, with how many articles
name each pair. Counting pairs rather than values lets a patch keep the names: a value's
name is its most common one, ties to the name that sorts first, whatever order the
files came in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

Pair = tuple[str, str]  # (value id, name)


def gather(ptr: np.ndarray, values: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``rows`` (in that order) of the CSR table ``ptr``/``values``: the new ``ptr``
    and values (``values`` may have more than one dimension)."""
    starts = ptr[:-1][rows]
    counts = ptr[1:][rows] - starts
    new_ptr = np.zeros(len(rows) + 1, np.int64)
    np.cumsum(counts, out=new_ptr[1:])
    index = np.repeat(starts - new_ptr[:-1], counts) + np.arange(new_ptr[-1])
    return new_ptr, values[index]


def csr_of(
    rows: Sequence[Sequence], dtype, width: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A CSR table of ``rows`` (lists of values, or of ``width``-tuples)."""
    ptr = np.zeros(len(rows) + 1, np.int64)
    np.cumsum([len(r) for r in rows], out=ptr[1:])
    flat = [v for r in rows for v in r]
    values = np.array(flat, dtype)
    if width is not None:
        values = values.reshape(-1, width)
    return ptr, values


def owners(ptr: np.ndarray) -> np.ndarray:
    """For each entry of a CSR table, the row it belongs to (int32, ascending)."""
    return np.repeat(np.arange(len(ptr) - 1, dtype=np.int32), np.diff(ptr))


class Field:
    """One field's values per article: pair codes in CSR form (see the module)."""

    def __init__(self, ptr: np.ndarray, codes: np.ndarray, pairs: list[Pair]) -> None:
        self.ptr = ptr  # int64, one more than articles
        self.codes = codes  # int32 pair codes, article after article
        self.pairs = pairs
        counts = np.bincount(codes, minlength=len(pairs))
        if len(pairs) and not counts.all():  # pairs no article names any more
            kept = counts > 0
            remap = (np.cumsum(kept) - 1).astype(np.int32)
            self.codes = remap[codes]
            self.pairs = [p for p, k in zip(pairs, kept.tolist(), strict=True) if k]
            counts = counts[kept]
        # Values in id order; each pair's value code; each value's name.
        self.values: list[str] = sorted({value for value, _ in self.pairs})
        code_of = {value: i for i, value in enumerate(self.values)}
        pair_value = np.array([code_of[v] for v, _ in self.pairs], np.int32)
        best: dict[str, tuple[int, str]] = {}
        for (value, name), count in zip(self.pairs, counts.tolist(), strict=True):
            if value not in best or (-count, name) < (-best[value][0], best[value][1]):
                best[value] = (count, name)
        self.names: list[str] = [best[v][1] for v in self.values]
        self.value_codes = pair_value[self.codes] if len(self.codes) else np.zeros(0, np.int32)

    @classmethod
    def of(cls, rows: Iterable[Sequence[Pair]]) -> Field:
        """The field of articles whose pairs are ``rows`` (in position order)."""
        code: dict[Pair, int] = {}
        sizes: list[int] = []
        flat: list[int] = []
        for pairs in rows:
            sizes.append(len(pairs))
            for pair in pairs:
                c = code.get(pair)
                if c is None:
                    c = code[pair] = len(code)
                flat.append(c)
        ptr = np.zeros(len(sizes) + 1, np.int64)
        np.cumsum(sizes, out=ptr[1:])
        return cls(ptr, np.array(flat, np.int32), list(code))

    def patched(self, added: Sequence[Sequence[Pair]], source: np.ndarray) -> Field:
        """This field's rows, then the rows ``added``, taken in the order of ``source``
        (for each new article, the row it is: an old position, or ``len(self)`` + the
        index of an added row)."""
        code = {pair: i for i, pair in enumerate(self.pairs)}
        pairs = list(self.pairs)
        flat = []
        for row in added:
            for pair in row:
                c = code.get(pair)
                if c is None:
                    c = code[pair] = len(pairs)
                    pairs.append(pair)
                flat.append(c)
        added_ptr = np.zeros(len(added) + 1, np.int64)
        np.cumsum([len(r) for r in added], out=added_ptr[1:])
        ptr = np.concatenate([self.ptr, self.ptr[-1] + added_ptr[1:]])
        codes = np.concatenate([self.codes, np.array(flat, np.int32)])
        ptr, codes = gather(ptr, codes, source)
        return Field(ptr, codes, pairs)

    def __len__(self) -> int:
        return len(self.ptr) - 1

    def per_article(self) -> np.ndarray:
        """The value code of each article (-1: none), for a field of one value at most."""
        codes = np.full(len(self), -1, np.int32)
        codes[owners(self.ptr)] = self.value_codes
        return codes

    def counts(self) -> np.ndarray:
        """How many articles have each value."""
        return np.bincount(self.value_codes, minlength=len(self.values))

    def grouped(self, order: np.ndarray | None = None) -> Postings:
        """Per value, the rank in ``order`` (rank -> position) of each article having it,
        ascending (None: the positions themselves)."""
        n = len(self)
        if order is None:
            entry_rank = owners(self.ptr)
            codes = self.value_codes
        else:  # the entries in rank order, so that each value's ranks come sorted
            ptr, codes = gather(self.ptr, self.value_codes, order)
            entry_rank = owners(ptr)
        # A stable sort by value keeps ranks ascending within each (radix for few values).
        small = codes.astype(np.int16) if len(self.values) < (1 << 15) else codes
        by_value = np.argsort(small, kind="stable")
        ranks = entry_rank[by_value].astype(np.int32 if n < (1 << 31) else np.int64)
        ptr = np.zeros(len(self.values) + 1, np.int64)
        np.cumsum(np.bincount(codes, minlength=len(self.values)), out=ptr[1:])
        return Postings(self.values, ptr, ranks)

    def value_map(self, previous: Field) -> np.ndarray:
        """For each value code of ``previous``, the code of that value here (-1: gone)."""
        code_of = {value: i for i, value in enumerate(self.values)}
        return np.array([code_of.get(v, -1) for v in previous.values], np.int64)

    def values_of(self, position: int) -> np.ndarray:
        """The value codes of the article at ``position``."""
        return self.value_codes[self.ptr[position] : self.ptr[position + 1]]

    def members(
        self, min_count: int, previous: tuple[dict[str, np.ndarray], np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        """Membership masks over positions for the values at least ``min_count``
        articles have. ``previous``: after a patch, the previous masks and each previous
        position's new one (-1: gone): a mask kept is shifted, not made again."""
        counts = self.counts()
        out = {}
        article = owners(self.ptr)
        if previous is not None:
            old_masks, moved = previous
            stays = moved >= 0
            kept = np.zeros(len(self), np.bool_)
            kept[moved[stays]] = True
            added = np.flatnonzero(~kept)
        for code in np.flatnonzero(counts >= max(min_count, 1)).tolist():
            value = self.values[code]
            mask = np.zeros(len(self), np.bool_)
            if previous is not None and value in old_masks:
                mask[kept] = old_masks[value][stays]
                for p in added.tolist():
                    mask[p] = code in self.values_of(p).tolist()
            else:
                mask[article[self.value_codes == code]] = True
            out[value] = mask
        return out

    def latest(self, published_ts: np.ndarray) -> np.ndarray:
        """Each value's newest date among its articles (-inf: none known)."""
        latest = np.full(len(self.values), -np.inf)
        np.fmax.at(latest, self.value_codes, published_ts[owners(self.ptr)])
        return latest


class Postings:
    """Per value of a field, the ranks (places in one sort order, or positions) of the
    articles having it, ascending: one array for all values (CSR), so that a version
    holds a few arrays per view rather than one per value, and a small change shifts
    them in a few passes. Read like a mapping: value -> ranks."""

    def __init__(self, values: list[str], ptr: np.ndarray, ranks: np.ndarray) -> None:
        self.values = values
        self.ptr = ptr  # value code -> its slice of ranks
        self.ranks = ranks
        # Each value's slice as plain ints, made once: a request looks one up and slices.
        bounds = ptr.tolist()
        self._slices = {value: slice(bounds[i], bounds[i + 1]) for i, value in enumerate(values)}

    def __getstate__(self) -> tuple:
        return self.values, self.ptr, self.ranks

    def __setstate__(self, state: tuple) -> None:
        self.__init__(*state)

    def get(self, value: str, default: np.ndarray | None = None) -> np.ndarray | None:
        found = self._slices.get(value)
        return default if found is None else self.ranks[found]

    def __getitem__(self, value: str) -> np.ndarray:
        found = self.get(value)
        if found is None:
            raise KeyError(value)
        return found

    def __contains__(self, value: object) -> bool:
        return value in self._slices

    def __len__(self) -> int:
        return len(self.values)

    def items(self) -> Iterator[tuple[str, np.ndarray]]:
        return ((value, self[value]) for value in self.values)

    def patched(
        self,
        values: list[str],
        value_map: np.ndarray,
        rank_map: np.ndarray,
        added: tuple[np.ndarray, np.ndarray],
    ) -> Postings:
        """These postings after a patch: ``values`` the field's values now,
        ``value_map`` each old value code's new one (-1: gone; the values keep their
        order), ``rank_map`` each old rank's new one (-1: the article is gone; kept
        articles keep their order), ``added``: the (value code, rank) of each entry of
        the added articles. A few passes over the ranks, whatever the change."""
        ranks = rank_map[self.ranks].astype(self.ranks.dtype)
        counts = np.diff(self.ptr)
        gone = np.flatnonzero(ranks < 0)
        if len(gone):  # entries of removed articles, each counted off its value
            counts = counts - np.bincount(
                np.searchsorted(self.ptr, gone, "right") - 1, minlength=len(counts)
            )
            ranks = np.delete(ranks, gone)
        new_counts = np.zeros(len(values), np.int64)
        kept_values = value_map >= 0
        new_counts[value_map[kept_values]] = counts[kept_values]
        ptr = np.zeros(len(values) + 1, np.int64)
        np.cumsum(new_counts, out=ptr[1:])
        codes, new_ranks = added
        if len(codes):  # each where its value's ranks put it
            by = np.lexsort((new_ranks, codes))
            codes, new_ranks = codes[by], new_ranks[by].astype(ranks.dtype)
            at = [
                int(ptr[c]) + int(np.searchsorted(ranks[ptr[c] : ptr[c + 1]], r))
                for c, r in zip(codes.tolist(), new_ranks.tolist(), strict=True)
            ]
            ranks = np.insert(ranks, at, new_ranks)
            ptr[1:] += np.cumsum(np.bincount(codes, minlength=len(values)))
        return Postings(values, ptr, ranks)
