"""Prometheus metrics at ``GET /metrics`` (prometheus-client).

Two kinds:

- per request (recorded by :mod:`api.http.access`): ``news_api_requests_total`` by route,
  method and status, and ``news_api_request_duration_seconds`` by route. The route is
  the URL rule (``/articles/<article_id>``), never the raw path, so the number of series
  stays bounded whatever clients send.
- about the content, read from the store when scraped (so they are right after a
  reload): articles indexed, files skipped, the content version, and when the last build
  of the index finished, whether it succeeded and how long it took.

Under the real server every worker counts in its own files under ``PROMETHEUS_MULTIPROC_DIR``
(the launcher, :mod:`.server`, sets it up) and a scrape, answered by any one worker, adds them up
with a ``MultiProcessCollector``. When a worker exits (live reload replaces them all),
:func:`merge_dead_worker` folds its files into one per type, so the folder and the work
of a scrape stay the same size however many workers have come and gone. Without that
variable (tests, ``flask run``) each app has a registry of its own.

A request does not write to those files: it adds to plain counts in the worker's
memory, which :meth:`RequestMetrics.flush` adds to prometheus-client's metrics (one
write per series, not three per request) every ``FLUSH_SECONDS`` (a thread per
worker), before the worker answers a scrape, and at exit. So a scrape is exact for the
worker that answers it and at most ``FLUSH_SECONDS`` behind for the others: totals
never lose or double a request, they may arrive a second late (scrapes come every 15
seconds or more). A worker killed outright (``SIGKILL``) loses its last second of
counts. Why: docs/decisions/0016-query-parsing-fast-path-and-hook-costs.md.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import threading
import time
import weakref
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

# Seconds; the API answers most requests in well under a millisecond (cached pages).
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
UNMATCHED = "(unmatched)"  # the route label of a request no URL rule matched (404, 405)
MERGED = "merged"  # in place of a pid: the files holding the counts of exited workers
LOCK_FILE = "merge.lock"  # taken by merges (exclusive) and scrapes (shared)
FLUSH_SECONDS = 1.0  # how far behind a scrape may see another worker's requests

metrics_bp = Blueprint("metrics", __name__)


class RequestMetrics:
    """Counts and times requests in this process's memory (two dictionary updates under
    a lock); :meth:`flush` hands them to prometheus-client (see the module's doc)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "news_api_requests",
            "HTTP requests answered, by route (URL rule), method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "news_api_request_duration_seconds",
            "Time from the request's arrival in the app to its response, by route.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, int], int] = {}
        # route -> [sum of seconds, then one count per bucket, +Inf last]
        self._times: dict[str, list[float]] = {}
        _flushed.add(self)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        with self._lock:
            counts = self._counts
            counts[key] = counts.get(key, 0) + 1
            times = self._times.get(route)
            if times is None:
                times = self._times[route] = [0.0] * (len(LATENCY_BUCKETS) + 2)
            times[0] += seconds
            times[1 + bisect_left(LATENCY_BUCKETS, seconds)] += 1  # as Histogram.observe
        if not _flusher.running:
            _flusher.start()

    def flush(self) -> None:
        """Add the counts since the last flush to the Prometheus metrics (under the real
        server: this worker's files)."""
        with self._lock:
            counts, self._counts = self._counts, {}
            times, self._times = self._times, {}
        for (route, method, status), count in counts.items():
            label = method if method in METHODS else "other"
            self.requests.labels(route, label, str(status)).inc(count)
        for route, (total, *buckets) in times.items():
            # A histogram child's sum and buckets (prometheus-client's own attributes):
            # Histogram.observe takes one observation at a time.
            child = self.duration.labels(route)
            child._sum.inc(total)
            for bucket, count in zip(child._buckets, buckets, strict=True):
                if count:
                    bucket.inc(count)


_flushed: weakref.WeakSet[RequestMetrics] = weakref.WeakSet()


class _Flusher:
    """One thread per process that flushes every app's request metrics each
    ``FLUSH_SECONDS``, so an idle worker's counts reach the files too. Started by the
    first request a process answers (a forked worker starts its own)."""

    def __init__(self) -> None:
        self.running = False
        self._start_lock = threading.Lock()

    def start(self) -> None:
        with self._start_lock:
            if not self.running:
                self.running = True
                threading.Thread(target=self._run, name="metrics-flush", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            try:
                flush_all()
            except Exception:  # never let the thread die
                logging.getLogger(__name__).exception("flushing request metrics")

    def forget(self) -> None:
        """In a forked child: the parent's thread did not come along, and no lock may
        stay held by it."""
        self.running = False
        self._start_lock = threading.Lock()
        for metrics in list(_flushed):
            metrics._lock = threading.Lock()


def flush_all() -> None:
    for metrics in list(_flushed):
        metrics.flush()


_flusher = _Flusher()
os.register_at_fork(after_in_child=_flusher.forget)
atexit.register(flush_all)


class ContentCollector(Collector):
    """The served content's figures, read from the app's store at each scrape.

    Under the real server these are the answering worker's (every worker serves the same
    version once a reload has reached it).
    """

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        store = self.app.extensions["content"]
        index, load = store.index_now(), getattr(store, "last_load", None)
        yield GaugeMetricFamily(
            "news_api_index_articles",
            "Articles in the index being served (0 before the first build).",
            value=len(index) if index is not None else 0,
        )
        yield GaugeMetricFamily(
            "news_api_skipped_files",
            "Content files the index being served skipped (see the log for why).",
            value=len(index.skipped) if index is not None else 0,
        )
        if index is not None:
            yield InfoMetricFamily(
                "news_api_content",
                "The version of the content being served (as on GET /).",
                value={"version": index.version},
            )
        if load is not None:
            yield GaugeMetricFamily(
                "news_api_last_load_timestamp_seconds",
                "When the last build of the index finished (Unix time), successful or not.",
                value=load.finished_at,
            )
            yield GaugeMetricFamily(
                "news_api_last_load_success",
                "1 if the last build of the index succeeded; 0 if it failed (the previous "
                "index kept serving).",
                value=1 if load.ok else 0,
            )
            yield GaugeMetricFamily(
                "news_api_last_load_duration_seconds",
                "How long the last build of the index took.",
                value=load.seconds,
            )


def init_app(app: Flask) -> RequestMetrics:
    """Create the app's metrics and register ``GET /metrics``."""
    registry = CollectorRegistry(auto_describe=False)
    content = ContentCollector(app)
    registry.register(content)
    metrics = RequestMetrics(registry)
    app.extensions["metrics"] = metrics
    app.extensions["metrics_registry"] = registry
    app.extensions["metrics_content"] = content
    app.register_blueprint(metrics_bp)
    return metrics


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


@contextmanager
def _folder_lock(path: str, *, exclusive: bool) -> Iterator[None]:
    with open(os.path.join(path, LOCK_FILE), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield  # released when the file is closed


def merge_dead_worker(pid: int, path: str | None = None) -> None:
    """Add an exited worker's counters and histograms to the ``*_merged.db`` files and
    remove its own (for a supervisor that replaces workers; granian's replace only failed ones).

    A scrape adds up every file, so the totals are the same before and after; the
    folder's lock keeps a scrape from reading the counts twice or not at all meanwhile.
    Uses prometheus-client's file format (``MmapedDict``), which it does not document.
    """
    path = path or multiprocess_dir()
    if not path:
        return
    with _folder_lock(path, exclusive=True):
        for kind in ("counter", "histogram"):
            source = os.path.join(path, f"{kind}_{pid}.db")
            if not os.path.exists(source):
                continue
            merged = MmapedDict(os.path.join(path, f"{kind}_{MERGED}.db"))
            try:
                for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(source):
                    total, _ = merged.read_value(key)
                    merged.write_value(key, total + value, timestamp)
            finally:
                merged.close()
            os.remove(source)


@metrics_bp.get("/metrics")
def scrape() -> Response:
    """The metrics in Prometheus' text format (OpenMetrics when the scraper asks for it)."""
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    current_app.extensions["metrics"].flush()  # this worker's counts are exact
    if path := multiprocess_dir():
        registry = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(registry, path)
        registry.register(current_app.extensions["metrics_content"])
        with _folder_lock(path, exclusive=False):
            body = encoder(registry)
    else:
        body = encoder(current_app.extensions["metrics_registry"])
    return Response(body, content_type=content_type)
