"""Where the app keeps its current :class:`~api.content.index.ContentIndex`."""

from __future__ import annotations

from flask import current_app

from .content.index import ContentIndex


class ContentStore:
    """Holds the index in use; a reload swaps in a new one with a single assignment."""

    def __init__(self, index: ContentIndex) -> None:
        self.index = index


def current_index() -> ContentIndex:
    """The index this request reads. Take it once per request and keep it."""
    return current_app.extensions["content"].index
