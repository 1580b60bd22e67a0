"""Order keys: integers that keep an order while articles come and go.

The search index stores, for each article, where it stands in id order and in each sort
order. Dense places (0, 1, 2, ...) would move for every article after an added or removed
one, so one changed file among 1,000,000 would rewrite every document. Instead each
article gets an *order key*: places spaced ``GAP`` apart, centred on ``ORIGIN``. An
article that stays keeps its key; one that comes (or whose place changed) gets a key
between its neighbours' (evenly spread when several land in one gap); past either end,
keys go on ``GAP`` apart. Only when a gap is used up (about 24 arrivals halving the same
gap) is there no room: :func:`extend` says so and the index is built afresh, with new
spacing.

Keys fit in 63 bits (tantivy stores them as unsigned fast fields).
"""

from __future__ import annotations

import numpy as np

GAP = 1 << 24
ORIGIN = 1 << 62
LIMIT = 1 << 63  # keys stay below this


def initial(n: int) -> np.ndarray:
    """Keys for ``n`` articles in order, ``GAP`` apart around ``ORIGIN`` (int64)."""
    return (np.arange(n, dtype=np.int64) - n // 2) * GAP + ORIGIN


def extend(kept: np.ndarray, fresh: np.ndarray) -> np.ndarray | None:
    """Keys for articles in their new order: ``kept[i]`` where ``fresh[i]`` is False
    (their old key), new keys between those where it is True. None when a gap has no
    room for the new keys, or when the kept keys do not increase along the order (they
    always should: the caller then builds afresh rather than trust them)."""
    n = len(fresh)
    if n == 0:
        return np.zeros(0, np.int64)
    stays = ~fresh
    if not stays.any():
        return initial(n)
    old = kept[stays].astype(np.int64)
    if np.any(np.diff(old) <= 0):
        return None
    keys = np.where(stays, kept, 0).astype(np.int64)
    if stays.all():
        return keys
    index = np.arange(n)
    # For each article, the nearest one before and after it that stays (-1, n: none).
    before = np.maximum.accumulate(np.where(stays, index, -1))
    after = np.minimum.accumulate(np.where(stays, index, n)[::-1])[::-1]
    new = np.flatnonzero(fresh)
    lo_at, hi_at = before[new], after[new]
    j = new - lo_at  # 1-based place within its run of new articles
    k = hi_at - lo_at - 1  # the run's length
    has_lo, has_hi = lo_at >= 0, hi_at < n
    lo = np.where(has_lo, keys[np.clip(lo_at, 0, n - 1)], 0)
    hi = np.where(has_hi, keys[np.clip(hi_at, 0, n - 1)], 0)
    between = has_lo & has_hi
    step = np.where(between, (hi - lo) // (k + 1), GAP)
    if np.any(step < 1):
        return None
    placed = np.where(
        between,
        lo + step * j,
        np.where(has_lo, lo + j * GAP, hi - (k - j + 1) * GAP),
    )
    if np.any(placed <= 0) or np.any(placed >= LIMIT - GAP):
        return None
    keys[new] = placed
    return keys
