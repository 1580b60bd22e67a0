"""Where the app keeps its current :class:`~api.content.index.ContentIndex`, and what the
last build attempt did.

Live reload (:mod:`api.operations.reload`) swaps in a new index with one assignment; a request
takes the index once (:func:`current_index`) and keeps it, so it never mixes two
versions and never sees one half-built.

A serving process of the real server builds nothing: it *follows* the artifact store
(:meth:`ContentStore.follow`), mapping whichever version ``CURRENT`` names as soon as
it changes (the builder, :mod:`api.operations.builder`, writes it).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, has_request_context, request
from werkzeug.exceptions import ServiceUnavailable

from .content.artifact import ArtifactStore
from .content.index import ContentIndex

log = logging.getLogger(__name__)

VERSION_HEADER = "X-Content-Version"
# The query parameter of links that continue a walk (next, prev, last): the version the
# page was made from (api.resources.listing).
VERSION_PARAMETER = "contentVersion"
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
        self._following: threading.Event | None = None
        self._artifacts: ArtifactStore | None = None

    def follow(self, artifacts: ArtifactStore, interval: float) -> None:
        """Serve whichever version ``artifacts``' ``CURRENT`` names: map it now if there
        is one, then look every ``interval`` seconds (one ``stat``) in a thread and swap
        in the next one when it changes. The old index goes when its last request ends."""
        self._artifacts = artifacts
        self._stamp = None
        self._status_stamp: tuple | None = None
        self._follow_lock = threading.Lock()
        self.catch_up()
        self._follow_status()
        self._following = stop = threading.Event()

        def run() -> None:
            while not stop.wait(interval):
                try:
                    self.catch_up()
                    self._follow_status()
                except Exception:  # never let the thread die
                    log.exception("following %s", artifacts.dir)

        threading.Thread(target=run, name="content-follower", daemon=True).start()

    def index_now(self) -> ContentIndex | None:
        """The index to serve; when none is mapped yet, after a look at ``CURRENT`` (a
        follower whose next look is still to come while another worker already serves
        must not answer as if there were no content: 503s, no 304s, "0 articles")."""
        if self.index is None:
            self.catch_up()
        return self.index

    def catch_up(self) -> None:
        """Swap in the version ``CURRENT`` names now if it changed since the last look
        (one ``stat`` when it did not). The follower calls this every interval; a request
        that names a version this process does not serve calls it at once, so a replica
        that is a little behind never answers a link made by one that is ahead."""
        artifacts = self._artifacts
        if artifacts is None:
            return  # not following: this process builds its own index, always the newest
        with self._follow_lock:
            stamp = artifacts.current_stamp()
            if stamp is None or stamp == self._stamp:
                return
            version = artifacts.current_version()
            if version is None or (self.index is not None and self.index.version == version):
                self._stamp = stamp
                return
            try:
                index = artifacts.open(version)
            except Exception as exc:  # e.g. pruned meanwhile, or another format: next time
                log.warning("cannot map version %s of %s: %s", version, artifacts.dir, exc)
                return
            current, self.index = self.index, index  # the swap: one assignment
            self._stamp = stamp
        # The builder writes its status before CURRENT: what /metrics says of the last
        # build is never older than the version this process serves.
        self._follow_status()
        if current is not None:
            log.info("reloaded: version %s replaces %s", index.version, current.version)

    def _follow_status(self) -> None:
        """The builder's last attempt (for /metrics), when its status file changes."""
        artifacts = self._artifacts
        stamp = artifacts.status_stamp()
        if stamp is not None and stamp != self._status_stamp:
            if status := artifacts.read_status():
                self.last_load = LoadResult(**status)
            self._status_stamp = stamp

    def stop_following(self) -> None:
        if self._following is not None:
            self._following.set()


class ContentNotReady(ServiceUnavailable):
    """The first index is still being built: a 503 with ``Retry-After``."""

    description = "The content is still being indexed; try again shortly."

    def __init__(self) -> None:
        super().__init__(retry_after=NOT_READY_RETRY_AFTER)


def current_index() -> ContentIndex:
    """The index this request reads: taken from the store on first use, then kept for the
    rest of the request (or app context). Before the first build finishes:
    :class:`ContentNotReady`."""
    ctx_g = g._get_current_object()  # one context look-up: this runs several times a request
    index = ctx_g.get("content_index")
    if index is None:
        store = current_app.extensions["content"]
        index = store.index
        # A link from another replica (or the cache) names the version it was made from:
        # answer from that version or a newer one, never an older one (README "Cluster").
        req = request._get_current_object() if has_request_context() else None
        # (`in` first: a missing key makes werkzeug's MultiDict.get build an exception.)
        args = req.args if req is not None else None
        named = args[VERSION_PARAMETER] if args and VERSION_PARAMETER in args else None
        # /sync reads the newest version (one stat): its history is recorded before
        # CURRENT moves, so a delta never lags what another worker already answered.
        # Nor does a worker that has not mapped its first version yet answer 503 while
        # another one already serves: it looks at CURRENT now, not at its next interval.
        newest = req is not None and req.blueprint == "sync"
        if newest or index is None or (named is not None and named != index.version):
            store.catch_up()
            index = store.index
        if index is None:
            raise ContentNotReady()
        ctx_g.content_index = index
    return index


def init_app(app: Flask) -> None:
    """Every response names the content version it came from (once there is one)."""

    @app.after_request
    def add_content_version(response: Response) -> Response:
        index = g._get_current_object().get("content_index")  # (empty is falsy: `is None`)
        if index is None:
            index = current_app.extensions["content"].index
        if index is not None:
            response.headers.add(VERSION_HEADER, index.version)  # no view sets it
        return response


# How the spec documents the header (api.smorest adds it to every success response).
VERSION_HEADERS = {
    VERSION_HEADER: {
        "description": "The version of the content this response came from; it changes "
        "when the content folder changes and a new index is swapped in.",
        "schema": {"type": "string"},
    },
}
