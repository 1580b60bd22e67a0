"""Building the index: one build attempt (:func:`build`), and the builder that keeps a
content folder's artifact in step with the folder (:func:`start_builder`).

The builder runs in one process per store (the launcher, :mod:`.server`; or the app
itself when it serves in-process): it watches the folder (:mod:`.reload`), writes each
new version's artifact, points the store's ``CURRENT`` at it and records the outcome in
``status.json``. Serving processes only follow ``CURRENT`` (:meth:`api.store.ContentStore.follow`).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..content.artifact import ArtifactStore, cache_dir_of
from ..content.build import build_index
from ..content.cache import BuildCache
from ..content.index import ContentIndex
from ..content.memory import release_free_memory
from ..store import ContentStore, LoadResult
from . import publishing
from .reload import Reloader

log = logging.getLogger("api")


def build(
    config: Mapping[str, Any],
    *,
    make_current: bool = True,
    cache_write: str = "background",
    stop: threading.Event | None = None,
) -> ContentIndex:
    """Build (or reuse) the artifact of ``CONTENT_DIR`` and map it (``make_current``: and
    point the store's ``CURRENT`` at it); log what was skipped and how it went.
    ``cache_write``: when the per-file build cache is written; ``stop``: set, the build
    gives up (both: :func:`build_index`)."""
    root = Path(config["CONTENT_DIR"])
    index, report = build_index(
        root,
        cache_dir=cache_dir_of(config),
        workers=config["BUILD_WORKERS"] or None,
        make_current=make_current,
        cache_write=cache_write,
        stop=stop,
    )
    release_free_memory()
    for skipped in index.skipped:
        fields = {"file": skipped.path, "reason": skipped.reason}
        log.warning("skipped %s", skipped, extra={"fields": fields})
    for warning in index.warnings:
        fields = {"file": warning.path, "warning": warning.message}
        log.warning("warning %s", warning, extra={"fields": fields})
    fields = {
        "articles": len(index),
        "files": report.files,
        "parsed": report.parsed,
        "skipped": len(index.skipped),
        "warnings": len(index.warnings),
        "from_cache": report.from_cache,
        "seconds": round(report.seconds, 3),
        "version": index.version,
    }
    log.info(
        "indexed %d articles from %s (%d files, %d parsed, %d skipped%s) in %.2fs; version %s",
        len(index),
        root,
        report.files,
        report.parsed,
        len(index.skipped),
        ", index from cache" if report.from_cache else "",
        report.seconds,
        index.version,
        extra={"fields": fields},
    )
    return index


class PublishingStore(ContentStore):
    """The builder's own store: each build attempt's result is also written to the
    artifact store's ``status.json``, and each new index becomes its ``CURRENT``, which
    serving processes follow (the status first: see :meth:`Reloader._reload`)."""

    def __init__(self, artifacts: ArtifactStore) -> None:
        self.artifacts = artifacts
        super().__init__()

    @property
    def index(self) -> ContentIndex | None:
        return self._index

    @index.setter
    def index(self, index: ContentIndex | None) -> None:
        self._index = index
        if index is not None:
            self.artifacts.set_current(index.version)

    @property
    def last_load(self) -> LoadResult | None:
        return self._last_load

    @last_load.setter
    def last_load(self, result: LoadResult | None) -> None:
        self._last_load = result
        if result is not None:
            try:
                self.artifacts.write_status(dataclasses.asdict(result))
            except OSError as exc:
                log.warning("cannot write the build status: %s", exc)


# Seconds without a build asked for, after one, before the build cache file is written;
# and the longest it waits while changes keep coming (a server killed before the file is
# written reads again every file changed since the last one: all of them after a cold build).
CACHE_WRITE_IDLE = 10.0
CACHE_WRITE_MAX_WAIT = 300.0


def start_builder(config: Mapping[str, Any]) -> Reloader:
    """Build the configured folder in the background now, then again whenever it
    changes (unless ``RELOAD`` is off); each version becomes current when built, and is
    recorded in the sync history (and announced to webhooks) first."""
    artifacts = ArtifactStore.configured(config)
    sync = publishing.sync_setup(config)

    def build_and_publish() -> ContentIndex:
        # PublishingStore makes it current once recorded; the build cache file is
        # written once the builder is idle (when_idle below).
        index = build(config, make_current=False, cache_write="later", stop=reloader.stopped)
        publishing.record_version(sync, index)
        # The history's first diff in a process reads every article's digest from its
        # database (1,000,000 rows at 1,000,000 articles): heap freed but kept by the
        # process until given back (~20 MiB of the launcher's PSS there, measured).
        release_free_memory()
        return index

    reloader = Reloader(
        PublishingStore(artifacts),
        build_and_publish,
        Path(config["CONTENT_DIR"]),
        mode=config["RELOAD"],
        delay=float(config["RELOAD_DELAY"]),
        # Pickling every record holds the GIL for seconds (about 4 at 100,000 articles):
        # while changes keep coming, the next build would wait for it. The file only
        # spares the next start re-reading files; a stopping server writes it too.
        when_idle=lambda: BuildCache(artifacts.dir).flush(background=True),
        idle_delay=CACHE_WRITE_IDLE,
        idle_max=CACHE_WRITE_MAX_WAIT,
    )
    reloader.start()
    return reloader


CACHE_WRITE_TIMEOUT = 120.0  # seconds a stopping server waits for the build cache's file


def abandon(reloader: Reloader) -> None:
    """The server is stopping: no new build, and the one in progress is abandoned once
    its reader processes finish the files they hold (a cold build of 1,000,000 files
    would hold the exit for most of an hour; the next start reads again only what its
    build cache lacks). Does not wait: safe in a signal handler."""
    reloader.stop(wait=False)  # sets reloader.stopped, which the build checks


def shut_down(reloader: Reloader, cache_timeout: float = CACHE_WRITE_TIMEOUT) -> None:
    """Stop building, for a server that is stopping (:func:`abandon`), then let the build
    cache file being written in the background finish, so the next start has it (a
    writer killed at exit leaves nothing usable)."""
    abandon(reloader)
    reloader.stop()
    BuildCache.flush_unwritten()  # a version built but not yet published
    if not BuildCache.wait_for_writes(cache_timeout):
        log.warning("stopping before the build cache was written (%.0f s)", cache_timeout)
    if not ArtifactStore.wait_for_writes(cache_timeout):
        log.warning("stopping before the artifact's list of files was written")
