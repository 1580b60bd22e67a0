"""Where the app keeps its current :class:`~api.content.index.ContentIndex`."""

from __future__ import annotations

from flask import current_app

from .content.index import ContentIndex


class ContentStore:
    """Holds the index in use. Live reload (issue 6) will swap in a new index with one
    assignment; requests take the index once and keep it."""

    def __init__(self, index: ContentIndex) -> None:
        self.index = index


def current_index() -> ContentIndex:
    """The index this request reads. Take it once per request and keep it."""
    return current_app.extensions["content"].index
