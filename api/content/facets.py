"""Facet counts: how many of a result set's articles have each topic, provider,
category, type and year.

Every article's values are coded as small integers once, when the index is built, so
counting a result set is one ``numpy.bincount`` per facet over the result's positions
(topics, which an article has several of, are counted through a mask over positions).
Counts are exact. The counts of the whole corpus are computed once. A search's counts
come from the search engine's aggregations instead (its matches never reach Python);
this table names them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import orjson

from schemas.query import FACETS

from .columns import Field, owners


def years(published_ts: np.ndarray) -> Field:
    """Each article's year in UTC as a field (none where the date is NaN): vectorised."""
    known = ~np.isnan(published_ts)
    seconds = np.where(known, published_ts, 0).astype("datetime64[s]")
    year = seconds.astype("datetime64[Y]").astype(np.int64) + 1970
    distinct = np.unique(year[known])
    pairs = [(str(y), str(y)) for y in distinct.tolist()]
    ptr = np.zeros(len(year) + 1, np.int64)
    np.cumsum(known, out=ptr[1:])
    return Field(ptr, np.searchsorted(distinct, year[known]).astype(np.int32), pairs)


# Each facet and the field of the index it counts.
FIELDS = {"topic": "topics", "provider": "providers", "category": "categories", "type": "types"}


class FacetTable:
    """Each article's facet values as integer codes, and each code's id and name."""

    def __init__(self, fields: dict[str, Field], published_ts: np.ndarray) -> None:
        """From the index's fields (:mod:`.columns`, by the names of ``FIELDS``) and
        each article's date (for the year)."""
        by_facet = {facet: fields[name] for facet, name in FIELDS.items()}
        by_facet["year"] = years(published_ts)
        self._n = len(published_ts)
        self._values: dict[str, list[tuple[str, str]]] = {
            facet: list(zip(field.values, field.names, strict=True))
            for facet, field in by_facet.items()
        }
        self._codes: dict[str, np.ndarray] = {
            facet: field.per_article() for facet, field in by_facet.items() if facet != "topic"
        }
        # Topics: one (position, code) pair per article topic.
        self._codes["topic"] = by_facet["topic"].value_codes
        topic_ptr = by_facet["topic"].ptr
        self._topic_owner = owners(topic_ptr)
        # The most topics one article has (search facets read no more topic slots).
        self.most_topics = int(np.diff(topic_ptr).max()) if len(topic_ptr) > 1 else 0
        self._names = {facet: dict(values) for facet, values in self._values.items()}
        self._everything = {facet: self._count(facet, None) for facet in FACETS}

    def _count(self, facet: str, positions: np.ndarray | None) -> np.ndarray:
        size = len(self._values[facet])
        codes = self._codes[facet]
        if positions is None:
            picked = codes
        elif facet == "topic":
            member = np.zeros(self._n, np.bool_)
            member[positions] = True
            picked = codes[member[self._topic_owner]]
        else:
            picked = codes[positions]
        return np.bincount(picked[picked >= 0], minlength=size)

    def counts_json(self, facets: Sequence[str], positions: np.ndarray | None, size: int) -> bytes:
        """``{"topic": [{"id", "name", "count"}, ...], ...}``: per facet its ``size``
        most common values among the articles at ``positions`` (None: all of them),
        by count, then id."""
        out = {}
        for facet in facets:
            counts = self._everything[facet] if positions is None else self._count(facet, positions)
            present = np.flatnonzero(counts)
            # Codes are in id order, so a stable sort by count keeps ties by id.
            best = present[np.argsort(-counts[present], kind="stable")[:size]]
            values = self._values[facet]
            out[facet] = [
                {"id": values[c][0], "name": values[c][1], "count": int(counts[c])}
                for c in best.tolist()
            ]
        return orjson.dumps(out)

    def size(self, facet: str) -> int:
        """How many distinct values ``facet`` has."""
        return len(self._values[facet])

    def decided(self, facet: str, found: dict[str, int], size: int) -> bool:
        """Whether ``found``, the counts of the ``size`` + 1 most common values of
        ``facet`` that the engine returned (ties cut in any order), decides the ``size``
        most common by count, then id: every value came back, or the next value counts
        fewer than the last one shown (so no value left out ties with one shown), and
        each is one this index knows."""
        names = self._names[facet]
        if any(value not in names for value in found):
            return False
        if len(found) <= size:
            return True
        counts = sorted(found.values(), reverse=True)
        return counts[size] < counts[size - 1]

    def counts_json_from(
        self, facets: Sequence[str], counts: dict[str, dict[str, int]], size: int
    ) -> bytes:
        """As :meth:`counts_json`, from counts per value id (the search engine's)."""
        out = {}
        for facet in facets:
            names = self._names[facet]
            found = counts.get(facet, {})
            best = sorted((v for v in found.items() if v[0] in names), key=lambda v: (-v[1], v[0]))
            out[facet] = [
                {"id": value, "name": names[value], "count": int(count)}
                for value, count in best[:size]
            ]
        return orjson.dumps(out)

    def topics_of(self, position: int) -> list[str]:
        """The topic ids of the article at ``position``."""
        # The bounds in the owner array's own type: a list of Python ints would make numpy
        # convert the whole array to int64 first (about 1 ms at 1,000,000 articles).
        bounds = np.array([position, position + 1], self._topic_owner.dtype)
        lo, hi = np.searchsorted(self._topic_owner, bounds).tolist()
        values = self._values["topic"]
        return [values[c][0] for c in self._codes["topic"][lo:hi].tolist()]

    def provider_of(self, position: int) -> str | None:
        """The provider id of the article at ``position``."""
        code = int(self._codes["provider"][position])
        return None if code < 0 else self._values["provider"][code][0]

    def entries(self, facet: str) -> list[tuple[str, str, int]]:
        """Every value of ``facet``: (id, name, article count)."""
        counts = self._everything[facet].tolist()
        return [(v[0], v[1], counts[c]) for c, v in enumerate(self._values[facet])]
