"""Where the app keeps its current :class:`~api.content.index.ContentIndex`, and what the
last build attempt did.

Live reload (:mod:`api.operations.reload`) swaps in a new index with one assignment; a request
takes the index once (:func:`current_index`) and keeps it, so it never mixes two
versions and never sees one half-built.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response, current_app, g
from werkzeug.exceptions import ServiceUnavailable

from .content.index import ContentIndex

VERSION_HEADER = "X-Content-Version"
# Seconds a client is told to wait while the first index is being built.
NOT_READY_RETRY_AFTER = 5


@dataclass(frozen=True)
class LoadResult:
    """The outcome of one build attempt (the first or a reload)."""

    finished_at: float  # time.time()
    ok: bool
    error: str | None  # why it failed; None when ok
    seconds: float  # how long the attempt took
    version: str | None  # the version built; None when it failed


class ContentStore:
    """Holds the index in use (None until the first build finishes) and the result of the
    last build attempt (None before any finished)."""

    def __init__(self, index: ContentIndex | None = None) -> None:
        self.index: ContentIndex | None = index
        self.last_load: LoadResult | None = None


class ContentNotReady(ServiceUnavailable):
    """The first index is still being built: a 503 with ``Retry-After``."""

    description = "The content is still being indexed; try again shortly."

    def __init__(self) -> None:
        super().__init__(retry_after=NOT_READY_RETRY_AFTER)


def current_index() -> ContentIndex:
    """The index this request reads: taken from the store on first use, then kept for the
    rest of the request. Before the first build finishes: :class:`ContentNotReady`."""
    index = g.get("content_index")
    if index is None:
        index = current_app.extensions["content"].index
        if index is None:
            raise ContentNotReady()
        g.content_index = index
    return index


def init_app(app: Flask) -> None:
    """Every response names the content version it came from (once there is one)."""

    @app.after_request
    def add_content_version(response: Response) -> Response:
        index = g.get("content_index")  # (an empty index is falsy: compare with None)
        if index is None:
            index = current_app.extensions["content"].index
        if index is not None:
            response.headers[VERSION_HEADER] = index.version
        return response


# How the spec documents the header (api.smorest adds it to every success response).
VERSION_HEADERS = {
    VERSION_HEADER: {
        "description": "The version of the content this response came from; it changes "
        "when the content folder changes and a new index is swapped in.",
        "schema": {"type": "string"},
    },
}
