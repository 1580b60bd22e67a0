"""Where the app keeps its current :class:`~api.content.index.ContentIndex`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from .content.index import ContentIndex


@dataclass(frozen=True)
class LoadResult:
    """How the last build of the index went (for /metrics and the logs)."""

    finished_at: float  # time.time()
    ok: bool
    error: str | None
    seconds: float
    version: str | None


class ContentStore:
    """Holds the index in use. Live reload (issue 6) will swap in a new index with one
    assignment; requests take the index once and keep it."""

    def __init__(self, index: ContentIndex | None, last_load: LoadResult | None = None) -> None:
        self.index = index
        self.last_load = last_load


def current_index() -> ContentIndex:
    """The index this request reads. Take it once per request and keep it."""
    return current_app.extensions["content"].index
