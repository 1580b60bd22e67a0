"""Live reload: notice changes to the content folder, build a new index in the background
and swap it into the :class:`~api.store.ContentStore`.

Changes are noticed by a watchdog observer (inotify, or polling where inotify is not
available or not wanted) and by ``SIGHUP``. A burst of changes is one rebuild: the
rebuild starts once the folder has been quiet for ``RELOAD_DELAY`` seconds (and at the
latest ``MAX_WAIT_FACTOR`` delays after the first change). The build goes through the
build cache, so only changed files are read again; a folder whose version has not
changed is not rebuilt at all. A failed build leaves the old index serving.

Which files changed is collected from the watcher's file events between two reloads:
the version check then looks at those paths only, on top of the folder's last scan
(:func:`~api.content.build.folder_version`), in milliseconds where a scan of 1,000,000
files takes 8 s. Whatever cannot be pinned on single files (a folder's event, an event
outside the folder, an inotify queue overflow, ``SIGHUP``, a replaced folder, the start)
makes the next reload scan the whole folder; and ``RESCAN_AFTER`` seconds after an
incremental reload, once quiet, a full scan checks that no event was missed (nothing is
built if none was).

Under the real server this runs in the launcher only (:mod:`.builder`): its store
publishes each new version as the artifact store's ``CURRENT``, which every worker
follows (decisions 0006, 0018).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from ..content.build import folder_version, prepare_scan
from ..content.index import ContentIndex
from ..store import ContentStore, LoadResult

log = logging.getLogger(__name__)

MODES = ("watch", "poll", "off")
# A folder that never stays quiet is still reloaded this many delays after its first change.
MAX_WAIT_FACTOR = 10
POLL_INTERVAL = 1.0  # seconds between two scans of the polling observer
ROOT_CHECK_INTERVAL = 2.0  # seconds between two checks that the folder was not replaced
# Seconds of quiet after a reload that looked at changed paths only, before a full scan
# checks that no change went unreported (a missed event, a filesystem that reports none).
RESCAN_AFTER = 30.0
# watchdog reports an inotify queue overflow (events lost) in its log only.
OVERFLOW_LOGGER = "watchdog.observers.inotify_c"
OVERFLOW_MESSAGE = "Inotify queue overflowed"
# Events that can change what the folder holds. Not "opened" or "closed without
# writing": the build itself reads every changed file, and must not wake the watcher.
CHANGE_EVENTS = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileAttribEvent,  # touch: a new mtime is a new version
    FileClosedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]


class Reloader:
    """Keeps ``store`` in step with the content folder ``root``.

    ``build`` makes a new index (through the build cache). :meth:`reload_now` builds and
    swaps synchronously; :meth:`request` asks the background thread to, debounced.
    ``when_idle`` (if given) is called by that thread once no build has been asked for
    during ``idle_delay`` seconds after one (work that would slow the next build, put off
    while changes keep coming: the server's builder writes its build cache file then),
    and at the latest ``idle_max`` seconds after the first build it waits for (changes
    that never stop must not put it off for ever).
    """

    def __init__(
        self,
        store: ContentStore,
        build: Callable[[], ContentIndex],
        root: Path,
        *,
        mode: str = "watch",
        delay: float = 1.0,
        when_idle: Callable[[], None] | None = None,
        idle_delay: float = 10.0,
        idle_max: float = 300.0,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"RELOAD must be one of {', '.join(MODES)}, not {mode!r}")
        self.store = store
        self.root = root
        self.mode = mode
        self.delay = delay
        self._build = build
        self._when_idle = when_idle
        self.idle_delay = idle_delay
        self.idle_max = idle_max
        self._idle_due: float | None = None  # monotonic: when to call when_idle
        self._idle_first: float | None = None  # the first build it waits for
        self._build_lock = threading.Lock()  # one build at a time
        self._wake = threading.Condition()
        self._first_request: float | None = None  # monotonic; None: nothing pending
        self._last_request = 0.0
        self._immediate = False
        # The relative paths file events named since the last reload took them; None:
        # something no file names changed, the next reload scans the whole folder.
        self._changed: set[str] | None = None
        self._rescan_due: float | None = None  # monotonic: the full scan after an incremental one
        self.stopped = threading.Event()  # set by stop(); a build may watch it and give up
        self._thread: threading.Thread | None = None
        self._observer: BaseObserver | None = None
        self._observer_lock = threading.Lock()
        self._overflow_alarm: _OverflowAlarm | None = None
        self._watched: tuple[int, int] | None = None  # the watched folder's identity
        self._previous_sighup = None

    # -- building ---------------------------------------------------------------------

    def reload_now(
        self, *, raise_errors: bool = False, changed: set[str] | None = None
    ) -> LoadResult | None:
        """Build a new index if the folder changed, and swap it in.

        Returns the build's result, or None when the folder's version is the one being
        served (nothing was built). A failed build keeps the old index, is logged, and
        is raised only if ``raise_errors``. ``changed``: every path that changed since
        the last reload, if known (only those are looked at: :func:`folder_version`).
        """
        with self._build_lock:
            return self._reload(raise_errors, changed)

    def _reload(self, raise_errors: bool, changed: set[str] | None) -> LoadResult | None:
        started = time.perf_counter()
        current = self.store.index
        if changed is None:  # the scan sees every change made so far: collect anew
            with self._wake:
                if self._changed is None:
                    self._changed = set()
        try:
            # Also before a first build: the scan it takes is the one later reloads
            # update (the build uses it, see folder_version).
            version = folder_version(self.root, changed)
            if current is not None and version == current.version:
                log.info("content of %s unchanged (version %s)", self.root, current.version)
                return None
            index = self._build()
        except Exception as exc:
            if self.stopped.is_set():  # it gave up (builder.abandon): no failure
                log.info("build of %s abandoned: stopping", self.root)
                return None
            result = LoadResult(
                finished_at=time.time(),
                ok=False,
                error=f"{type(exc).__name__}: {exc}",
                seconds=time.perf_counter() - started,
                version=None,
            )
            self.store.last_load = result
            if current is None:
                log.error("building the index of %s failed: %s", self.root, result.error)
            else:
                log.error(
                    "reloading %s failed; still serving version %s: %s",
                    self.root,
                    current.version,
                    result.error,
                )
            if raise_errors:
                raise
            return result
        result = LoadResult(
            finished_at=time.time(),
            ok=True,
            error=None,
            seconds=time.perf_counter() - started,
            version=index.version,
        )
        # The result first: whoever sees the new index also sees how it was built.
        self.store.last_load = result
        self.store.index = index  # the swap: one assignment
        if current is not None:
            log.info("reloaded: version %s replaces %s", index.version, current.version)
        return result

    # -- the background thread ---------------------------------------------------------

    def request(self, *, immediate: bool = False, paths: Iterable[str] | None = None) -> None:
        """Something changed: rebuild once the folder has been quiet for ``delay`` seconds
        (``immediate``: as soon as the thread is free). ``paths``: the relative paths
        that changed, when known; otherwise the reload scans the whole folder."""
        now = time.monotonic()
        with self._wake:
            if self._first_request is None:
                self._first_request = now
            self._last_request = now
            self._immediate = self._immediate or immediate
            if paths is None:
                self._changed = None
            elif self._changed is not None:
                self._changed.update(paths)
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                if not self.stopped.is_set() and self._first_request is None:
                    # Idle: look again every few seconds whether the folder was replaced.
                    self._wake.wait(self._idle_wait())
                if self.stopped.is_set():
                    return
                idle = self._first_request is None
                incremental = self._changed is not None
            if not idle and incremental:  # (while the folder gets quiet)
                prepare_scan(self.root)
            if idle:
                if self.mode != "off":  # (nothing watched: nothing to follow)
                    self._check_root()
                self._check_rescan()
                self._call_when_idle()
                continue
            with self._wake:
                while not self.stopped.is_set():
                    now = time.monotonic()
                    due = min(
                        self._last_request + self.delay,
                        self._first_request + self.delay * MAX_WAIT_FACTOR,
                    )
                    if self._immediate or now >= due:
                        break
                    self._wake.wait(due - now)
                if self.stopped.is_set():
                    return
                self._first_request = None
                self._immediate = False
                changed, self._changed = self._changed, set()  # later events: the next one's
            try:
                built = self.reload_now(changed=changed) is not None
            except Exception:  # never let the thread die; reload_now logs build errors
                log.exception("content reloader")
                built = True
            incremental = changed is not None
            self._rescan_due = time.monotonic() + RESCAN_AFTER if incremental else None
            if built and self._when_idle is not None:
                now = time.monotonic()
                if self._idle_first is None:
                    self._idle_first = now
                self._idle_due = min(now + self.idle_delay, self._idle_first + self.idle_max)
                self._call_when_idle()  # if changes kept coming past idle_max

    def _idle_wait(self) -> float | None:
        """How long the idle thread may sleep before its next look (None: until woken)."""
        wait = ROOT_CHECK_INTERVAL if self.mode != "off" else None
        for when in (self._idle_due, self._rescan_due):
            if when is not None:
                due = max(when - time.monotonic(), 0.0)
                wait = due if wait is None else min(wait, due)
        return wait

    def _check_rescan(self) -> None:
        """The last reload looked at the changed paths only, and the folder has been
        quiet since for ``RESCAN_AFTER`` seconds: scan it all (an event may have been
        missed; if none was, the version is the one served and nothing is built)."""
        if self._rescan_due is None or time.monotonic() < self._rescan_due:
            return
        self._rescan_due = None
        self.request(immediate=True)

    def _call_when_idle(self) -> None:
        if self._idle_due is None or time.monotonic() < self._idle_due:
            return
        self._idle_due = self._idle_first = None
        try:
            self._when_idle()
        except Exception:  # never let the thread die
            log.exception("content reloader: when idle")

    def start(self) -> None:
        """Start the background thread, the ``SIGHUP`` handler (main thread only) and,
        unless ``mode`` is ``off``, the watcher.
        Without an index yet, the first build starts at once."""
        self._thread = threading.Thread(target=self._run, name="content-reloader", daemon=True)
        self._thread.start()
        if self.store.index is None:
            self.request(immediate=True)
        if threading.current_thread() is threading.main_thread():
            self._previous_sighup = signal.signal(signal.SIGHUP, self._on_sighup)
        if self.mode == "off":
            return
        with self._observer_lock:
            self._observer = self._start_observer()

    def _on_sighup(self, signum, frame) -> None:
        # A signal handler may interrupt a thread holding the condition's lock: hand over.
        threading.Thread(target=self.request, kwargs={"immediate": True}, daemon=True).start()

    def _check_root(self) -> None:
        """A watcher follows the folder it started on. If ``root`` now names another one
        (deleted and made again, renamed over, a symlink switched), watch that one and
        reload; while it is missing, wait."""
        identity = _identity(self.root)
        if identity is None:
            return
        observer = self._observer
        # (A folder deleted and made again may get the same inode; its watch has ended.)
        ended = observer is not None and not all(e.is_alive() for e in observer.emitters)
        if identity == self._watched and not ended:
            return
        with self._observer_lock:
            if self.stopped.is_set():
                return
            log.info("content folder %s was replaced: watching the new one", self.root)
            self._stop_observer()
            self._observer = self._start_observer()
        self.request(immediate=True)

    def _start_observer(self) -> BaseObserver | None:
        self._watched = _identity(self.root)
        handler = _ChangeHandler(self)
        kinds: list[type[BaseObserver]] = [PollingObserver]
        if self.mode == "watch":
            kinds.insert(0, Observer)
        for kind in kinds:
            observer = kind(timeout=POLL_INTERVAL) if kind is PollingObserver else kind()
            try:
                observer.schedule(
                    handler, str(self.root), recursive=True, event_filter=CHANGE_EVENTS
                )
                observer.start()
            except OSError as exc:  # e.g. inotify's watch limit: poll instead
                log.warning("cannot watch %s with %s: %s", self.root, kind.__name__, exc)
                continue
            log.info("watching %s for changes (%s)", self.root, type(observer).__name__)
            if kind is Observer:
                self._overflow_alarm = _OverflowAlarm(self)
                logging.getLogger(OVERFLOW_LOGGER).addFilter(self._overflow_alarm)
            return observer
        log.error("not watching %s; send SIGHUP to reload", self.root)
        return None

    def _stop_observer(self) -> None:
        if self._overflow_alarm is not None:
            logging.getLogger(OVERFLOW_LOGGER).removeFilter(self._overflow_alarm)
            self._overflow_alarm = None
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None

    def stop(self, *, wait: bool = True) -> None:
        """Stop watching and the background thread (``wait``: until it has ended, for
        up to 30 s; a build in progress runs to its end unless it watches
        :attr:`stopped`, see :func:`api.operations.builder.abandon`)."""
        self.stopped.set()
        with self._observer_lock:  # (_check_root starts no observer once stopped)
            self._stop_observer()
        if self._previous_sighup is not None:
            signal.signal(signal.SIGHUP, self._previous_sighup)
            self._previous_sighup = None
        with self._wake:
            self._wake.notify()
        if self._thread is not None and wait:
            self._thread.join(timeout=30)
            self._thread = None


def _identity(path: Path) -> tuple[int, int] | None:
    """Which folder ``path`` names now (device and inode, through symlinks), if any."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


class _ChangeHandler(FileSystemEventHandler):
    """Asks ``reloader`` for a reload at each event, naming the file(s) it changed. The
    polling observer's events are per file too (the difference of two snapshots of the
    whole folder), so they are named the same way."""

    def __init__(self, reloader: Reloader) -> None:
        self.reloader = reloader
        self.prefix = os.path.join(str(reloader.root), "")

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.reloader.request(paths=self.changed_paths(event))

    def changed_paths(self, event: FileSystemEvent) -> list[str] | None:
        """The content folder's relative paths the event changed; None when it is not
        one file's change (a folder's event, a path outside the folder)."""
        if event.is_directory:
            return None
        paths = [event.src_path]
        if event.event_type == "moved":
            paths.append(event.dest_path)
        relative = []
        for path in map(os.fsdecode, paths):
            if not path.startswith(self.prefix):
                return None
            relative.append(path[len(self.prefix) :].replace(os.sep, "/"))
        return relative


class _OverflowAlarm(logging.Filter):
    """Sees watchdog's inotify log: events were lost when the kernel's queue overflowed
    (which watchdog tells no handler), so the next reload scans the whole folder."""

    def __init__(self, reloader: Reloader) -> None:
        super().__init__()
        self.reloader = reloader

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith(OVERFLOW_MESSAGE):
            self.reloader.request()
        return True
