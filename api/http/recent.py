"""The answers a worker keeps to send again (:mod:`.replay`, :mod:`.caching`): the most
recently used ones, bounded both in number and in the bytes of their bodies, so what a
worker holds stays small whatever its traffic (``RESPONSE_CACHE_SIZE`` answers,
``RESPONSE_CACHE_BYTES`` of bodies; the least recently used go first).

Only answers to requests that come again are kept: an answer is kept once its request
has been seen ``RESPONSE_CACHE_MIN_USES`` times (2: from the second on; a request seen
once is remembered by its hash only, among the last few thousand). Keeping every answer
to a query string that is never asked again (what most distinct queries are) cost a
server about a tenth of its throughput on distinct lists, in memory traffic and
allocation (docs/decisions/0023, "Update (session 16)")."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

SEEN_PER_ENTRY = 8  # requests remembered as seen, per answer a cache may keep


class Recent(dict):
    """A dict, oldest use first, that :meth:`keep` keeps within its bounds."""

    def __init__(
        self,
        limit: int,
        max_bytes: int,
        size_of: Callable[[Any], int],
        max_entry_bytes: int | None = None,
        min_uses: int = 1,
    ) -> None:
        super().__init__()
        self.min_uses = min_uses
        # Requests seen fewer than ``min_uses`` times: hash -> times, oldest first.
        self.seen: dict[int, int] = {}
        self.seen_limit = SEEN_PER_ENTRY * max(limit, 1)
        self.limit = limit
        self.max_bytes = max_bytes  # of all the bodies kept
        self.size_of = size_of  # the bytes an entry holds (its body)
        # A larger entry is not kept (nor is one larger than the whole budget).
        self.max_entry_bytes = (
            max_bytes if max_entry_bytes is None else min(max_entry_bytes, max_bytes)
        )
        self.size = 0

    @classmethod
    def configured(cls, config: Mapping[str, Any], size_of: Callable[[Any], int]) -> Recent:
        """As the app's settings say: ``RESPONSE_CACHE_SIZE`` entries,
        ``RESPONSE_CACHE_BYTES`` of bodies in all, none over ``RESPONSE_CACHE_MAX_BYTES``."""
        return cls(
            int(config["RESPONSE_CACHE_SIZE"]),
            int(config["RESPONSE_CACHE_BYTES"]),
            size_of,
            int(config["RESPONSE_CACHE_MAX_BYTES"]),
            int(config["RESPONSE_CACHE_MIN_USES"]),
        )

    def admits(self, key: Hashable) -> bool:
        """Whether an answer to ``key`` is to be kept: its request has now been seen
        ``min_uses`` times (or its answer is kept already). Counts this use."""
        if self.limit <= 0:
            return False
        if self.min_uses <= 1 or key in self:
            return True
        seen = self.seen
        digest = hash(key)
        uses = seen.pop(digest, 0) + 1
        if uses >= self.min_uses:
            return True
        while len(seen) >= self.seen_limit:
            try:
                del seen[next(iter(seen))]
            except (KeyError, RuntimeError, StopIteration):  # another thread's doing
                break
        seen[digest] = uses
        return False

    def take(self, key: Hashable) -> Any:
        """The entry of ``key`` (None if none), now the most recently used."""
        entry = self.pop(key, None)
        if entry is not None:
            self[key] = entry
        return entry

    def keep(self, key: Hashable, entry: Any) -> None:
        """Keep ``entry``, dropping the least recently used ones it has no room for."""
        size = self.size_of(entry)
        if size > self.max_entry_bytes or self.limit <= 0:
            return
        old = self.pop(key, None)
        if old is not None:
            self.size -= self.size_of(old)
        while self and (len(self) >= self.limit or self.size + size > self.max_bytes):
            try:
                dropped = self.pop(next(iter(self)))
            except (KeyError, RuntimeError, StopIteration):  # another thread's doing
                break
            self.size -= self.size_of(dropped)
        self[key] = entry
        self.size += size
