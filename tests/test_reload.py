"""Live reload in the in-process app: a change to the content folder becomes a new index,
swapped in whole; a burst of changes is one rebuild; a failed rebuild keeps the old
index; every response names its content version."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
from helpers import article_fields, write_corpus, write_seed

import api.app
import api.operations.reload
from api.operations.reload import Reloader
from api.store import ContentStore, LoadResult

WAIT = 10  # seconds: the most any test here waits for a reload


@pytest.fixture
def reloading(make_app):
    """Like ``make_app``, and stops each app's reloader afterwards."""
    apps = []

    def make(content: Path, **config):
        app = make_app(content, **config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["reloader"].stop()


def wait_for(condition, what: str):
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def test_reload_now_swaps_in_a_new_index_and_records_the_load(app, corpus):
    store = app.extensions["content"]
    reloader = app.extensions["reloader"]
    old = store.index
    assert store.last_load.ok and store.last_load.version == old.version
    assert reloader.reload_now() is None  # nothing changed: nothing built
    assert store.index is old

    write_seed(corpus, "new.md", **article_fields(30, title="Freshly added"))
    result = reloader.reload_now()
    assert isinstance(result, LoadResult)
    assert result.ok and result.error is None and result.seconds >= 0
    assert store.index is not old and result.version == store.index.version != old.version
    assert store.last_load is result
    assert len(old) == 30 and len(store.index) == 31  # the old index is untouched

    response = app.test_client().get("/articles/new")
    assert response.status_code == 200
    assert response.get_json()["title"] == "Freshly added"
    assert response.headers["X-Content-Version"] == result.version


def test_a_failed_rebuild_keeps_the_old_index_serving(app, corpus, caplog):
    store = app.extensions["content"]
    old = store.index
    corpus.rename(corpus.with_name("gone"))
    result = app.extensions["reloader"].reload_now()
    assert not result.ok and result.version is None
    assert "does not exist" in result.error
    assert store.index is old and store.last_load is result
    assert "still serving version " + old.version in caplog.text

    response = app.test_client().get("/articles?pageSize=1")
    assert response.status_code == 200 and response.get_json()["total"] == 30
    assert response.headers["X-Content-Version"] == old.version


def test_a_build_that_raises_keeps_the_old_index(app, corpus, monkeypatch):
    def broken(_app):
        raise MemoryError("no room for a new index")

    monkeypatch.setattr(api.app, "load_index", broken)
    write_seed(corpus, "new.md", **article_fields(30))
    store = app.extensions["content"]
    old = store.index
    result = app.extensions["reloader"].reload_now()
    assert result.error == "MemoryError: no room for a new index"
    assert store.index is old


def counting_reloader(corpus: Path, built: list, **options) -> Reloader:
    """A reloader of ``corpus`` (no watcher, 0.2 s delay unless ``options`` say
    otherwise) that records when each build starts."""
    from api.content.build import build_index

    def build():
        built.append(time.monotonic())
        return build_index(corpus)[0]

    return Reloader(ContentStore(), build, corpus, **{"mode": "off", "delay": 0.2, **options})


def test_a_burst_of_requests_is_one_rebuild(corpus):
    built = []
    reloader = counting_reloader(corpus, built)
    store = reloader.store
    reloader.reload_now()
    reloader.start()
    try:
        first = time.monotonic()
        for i in range(10):  # ten writes, 20 ms apart: each one pushes the rebuild back
            write_seed(corpus, f"burst{i}.md", **article_fields(40 + i))
            reloader.request()
            time.sleep(0.02)
        wait_for(lambda: len(store.index) == 40, "the rebuild")
        assert len(built) == 2  # the first build, then one for the whole burst
        assert built[1] - first >= 0.2 + 9 * 0.02  # not before the folder was quiet
        time.sleep(0.4)
        assert len(built) == 2
    finally:
        reloader.stop()


def idle_reloader(corpus: Path, built: list, idle: list, **options) -> Reloader:
    """:func:`counting_reloader` (0.05 s delay) that also records each idle call."""

    def when_idle() -> None:
        idle.append(time.monotonic())

    return counting_reloader(corpus, built, delay=0.05, when_idle=when_idle, **options)


def test_idle_work_waits_until_no_build_is_asked_for(corpus):
    """The builder's build cache file is written once builds stop coming (pickling every
    record holds the GIL for seconds: a change right after another must not wait)."""
    built, idle = [], []
    reloader = idle_reloader(corpus, built, idle, idle_delay=0.6)
    reloader.start()  # the first build at once
    try:
        wait_for(lambda: len(built) == 1, "the first build")
        time.sleep(0.3)
        write_seed(corpus, "idle1.md", **article_fields(41))
        reloader.request()  # within the idle delay: the idle work waits for this build too
        wait_for(lambda: len(built) == 2, "the second build")
        wait_for(lambda: idle, "the idle work")
        assert len(idle) == 1 and idle[0] - built[1] >= 0.6
        time.sleep(0.8)
        assert len(idle) == 1  # once per quiet spell, not every interval
    finally:
        reloader.stop()


def test_idle_work_is_not_put_off_for_ever_by_changes_that_keep_coming(corpus):
    """A folder that changes every few seconds, for hours, still gets its build cache
    file written (at the latest ``idle_max`` after the first build it waited for)."""
    built, idle = [], []
    reloader = idle_reloader(corpus, built, idle, idle_delay=5.0, idle_max=1.0)
    reloader.start()
    try:
        wait_for(lambda: built, "the first build")
        deadline = time.monotonic() + 15
        i = 0
        while not idle:  # a change every 0.15 s: never 5 s without one
            assert time.monotonic() < deadline, "put off while changes kept coming"
            write_seed(corpus, f"stream{i}.md", **article_fields(41 + i))
            reloader.request()
            i += 1
            time.sleep(0.15)
        assert idle[0] - built[0] >= 1.0 and len(built) >= 2
    finally:
        reloader.stop()


@pytest.mark.parametrize("mode", ["watch", "poll"])
def test_the_watcher_reloads_on_add_change_and_remove(reloading, corpus, mode):
    app = reloading(corpus, RELOAD=mode, RELOAD_DELAY=0.1)
    client = app.test_client()
    store = app.extensions["content"]

    write_seed(corpus, "added.md", **article_fields(30, title="Added"))
    wait_for(lambda: len(store.index) == 31, "the added file")
    assert client.get("/articles/added").get_json()["title"] == "Added"

    write_seed(corpus, "a01.md", **article_fields(1, title="Changed"))
    wait_for(lambda: b'"title":"Changed"' in (store.index.article_json("a01") or b""), "a01")
    assert client.get("/articles/a01").get_json()["title"] == "Changed"

    (corpus / "a02.md").unlink()
    wait_for(lambda: len(store.index) == 30, "the removal")
    assert client.get("/articles/a02").status_code == 404
    response = client.get("/")
    assert response.headers["X-Content-Version"] == response.get_json()["contentVersion"]
    assert response.get_json()["contentVersion"] == store.last_load.version


def test_reading_files_does_not_wake_the_watcher(reloading, corpus):
    """The build reads the files it watches; only changes may trigger a build."""
    app = reloading(corpus, RELOAD="watch", RELOAD_DELAY=0.05)
    store = app.extensions["content"]
    first = store.last_load
    for path in corpus.iterdir():
        path.read_bytes()
    time.sleep(0.5)
    assert store.last_load is first


def test_the_first_build_can_run_in_the_background(make_app, corpus, monkeypatch):
    release = threading.Event()
    real_load_index = api.app.load_index

    def gated(app):
        assert release.wait(WAIT)
        return real_load_index(app)

    monkeypatch.setattr(api.app, "load_index", gated)
    app = make_app(corpus, BUILD_IN_BACKGROUND=True)
    try:
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        for url in ("/readyz", "/articles", "/articles/a01", "/topics", "/"):
            response = client.get(url)
            assert response.status_code == 503, url
            assert response.mimetype == "application/problem+json"
            assert response.headers["Retry-After"] == "5"
            assert response.headers["Cache-Control"] == "no-store"
            assert "X-Content-Version" not in response.headers
        assert client.get("/openapi.json").status_code == 200
        assert app.extensions["content"].last_load is None

        release.set()
        wait_for(lambda: client.get("/readyz").status_code == 200, "the first build")
        body = client.get("/readyz").get_json()
        assert body["status"] == "ready" and body["articleCount"] == 30
        assert client.get("/articles/a01").status_code == 200
    finally:
        release.set()
        app.extensions["reloader"].stop()


def test_a_missing_folder_still_stops_a_background_start(make_app, tmp_path):
    from api.content.records import ContentFolderError

    with pytest.raises(ContentFolderError):
        make_app(tmp_path / "nowhere", BUILD_IN_BACKGROUND=True)


def test_an_unknown_reload_mode_is_refused(make_app, corpus):
    with pytest.raises(ValueError, match="RELOAD must be one of"):
        make_app(corpus, RELOAD="sometimes")


def test_sighup_reloads_the_in_process_app_at_once(reloading, corpus):
    """Watching, with a delay far longer than the wait: only SIGHUP can be this quick."""
    app = reloading(corpus, RELOAD="watch", RELOAD_DELAY=60)
    store = app.extensions["content"]
    write_seed(corpus, "new.md", **article_fields(30))
    os.kill(os.getpid(), signal.SIGHUP)
    wait_for(lambda: len(store.index) == 31, "the reload")


@pytest.mark.parametrize("how", ["recreated", "symlink switched"])
def test_a_replaced_folder_is_watched_again(reloading, tmp_path, monkeypatch, how):
    """A watcher follows the folder it started on; the reloader notices another one."""
    monkeypatch.setattr(api.operations.reload, "ROOT_CHECK_INTERVAL", 0.1)
    content = tmp_path / "content"
    if how == "recreated":
        write_corpus(content, 5)
    else:
        content.symlink_to(write_corpus(tmp_path / "v1", 5))
    app = reloading(content, RELOAD="watch", RELOAD_DELAY=0.05)
    store = app.extensions["content"]

    if how == "recreated":
        shutil.rmtree(content)
        write_corpus(content, 7)
    else:
        (tmp_path / "next").symlink_to(write_corpus(tmp_path / "v2", 7))
        (tmp_path / "next").replace(content)
    wait_for(lambda: len(store.index) == 7, "the new folder")
    write_seed(content, "later.md", **article_fields(50))
    wait_for(lambda: len(store.index) == 8, "a change in the new folder")


@pytest.fixture
def scans(monkeypatch) -> list[Path]:
    """Every full scan of a content folder from now on."""
    import api.content.build

    made = []
    original = api.content.build.scan_content_files
    monkeypatch.setattr(
        api.content.build, "scan_content_files", lambda root: made.append(root) or original(root)
    )
    return made


@pytest.mark.parametrize("mode", ["watch", "poll"])
def test_a_changed_file_is_looked_at_alone_and_a_new_folder_means_a_scan(
    reloading, corpus, scans, mode
):
    """The watcher names the files that changed: the reload looks at those only (issue
    13: a scan of 1,000,000 files takes 8 s). A folder's event is not one file's."""
    app = reloading(corpus, RELOAD=mode, RELOAD_DELAY=0.1)
    store = app.extensions["content"]
    scans.clear()
    write_seed(corpus, "added.md", **article_fields(30))
    wait_for(lambda: len(store.index) == 31, "the added file")
    write_seed(corpus, "a01.md", **article_fields(1, title="Changed"))
    wait_for(lambda: b'"title":"Changed"' in (store.index.article_json("a01") or b""), "a01")
    (corpus / "a02.md").unlink()
    wait_for(lambda: len(store.index) == 30, "the removal")
    assert scans == []
    write_seed(corpus / "new", "inner.md", **article_fields(40))
    wait_for(lambda: len(store.index) == 31, "the file in a new folder")
    assert scans


def test_events_name_the_paths_they_changed(corpus):
    from watchdog.events import (
        DirCreatedEvent,
        FileClosedEvent,
        FileDeletedEvent,
        FileMovedEvent,
    )

    from api.operations.reload import _ChangeHandler

    handler = _ChangeHandler(Reloader(ContentStore(), lambda: None, corpus, mode="off"))
    inside = f"{corpus}/sub/x.md"
    assert handler.changed_paths(FileClosedEvent(inside)) == ["sub/x.md"]
    assert handler.changed_paths(FileDeletedEvent(f"{corpus}/a.md")) == ["a.md"]
    moved = FileMovedEvent(f"{corpus}/a.md", f"{corpus}/b/a.md")
    assert handler.changed_paths(moved) == ["a.md", "b/a.md"]
    assert handler.changed_paths(FileMovedEvent(inside, f"{corpus}-elsewhere/x.md")) is None
    assert handler.changed_paths(FileClosedEvent(f"{corpus}x/a.md")) is None
    assert handler.changed_paths(DirCreatedEvent(f"{corpus}/sub")) is None


def test_what_no_file_names_means_a_full_scan(corpus, scans):
    """Between two reloads the paths add up; one request without paths (SIGHUP, a
    folder's event, an inotify overflow) makes the next reload scan the folder."""
    built = []
    reloader = counting_reloader(corpus, built, mode="watch", delay=60)
    reloader.reload_now()
    reloader.start()
    try:
        assert reloader._changed == set()  # the first build's scan saw everything
        reloader.request(paths=["a.md"])
        reloader.request(paths=["b.md", "a.md"])
        assert reloader._changed == {"a.md", "b.md"}
        # watchdog tells no handler of a queue overflow, only its log
        logging.getLogger(api.operations.reload.OVERFLOW_LOGGER).warning(
            "Inotify queue overflowed; filesystem events were lost"
        )
        assert reloader._changed is None
        reloader.request(paths=["c.md"])
        assert reloader._changed is None
    finally:
        reloader.stop()
    assert not logging.getLogger(api.operations.reload.OVERFLOW_LOGGER).filters


def test_a_full_scan_follows_an_incremental_reload_once_quiet(corpus, scans, monkeypatch):
    """An event may be missed (a lost inotify event, a filesystem that reports none):
    ``RESCAN_AFTER`` seconds after a reload that looked at changed paths only, the
    whole folder is scanned; nothing is built if nothing was missed."""
    monkeypatch.setattr(api.operations.reload, "RESCAN_AFTER", 0.3)
    built = []
    reloader = counting_reloader(corpus, built, delay=0.05)
    store = reloader.store
    reloader.reload_now()
    reloader.start()
    try:
        scans.clear()
        write_seed(corpus, "told.md", **article_fields(30))
        write_seed(corpus, "untold.md", **article_fields(31))  # its event was lost
        reloader.request(paths=["told.md"])
        wait_for(lambda: len(store.index) == 31, "the reload of the reported file")
        assert scans == [] and len(built) == 2
        wait_for(lambda: len(store.index) == 32, "the full scan")
        assert scans == [corpus] and len(built) == 3
        write_seed(corpus, "told2.md", **article_fields(32))
        reloader.request(paths=["told2.md"])
        wait_for(lambda: len(store.index) == 33, "the second reported file")
        wait_for(lambda: len(scans) == 2, "the second full scan")
        time.sleep(0.5)
        assert len(built) == 4 and len(scans) == 2  # found nothing missed: no build, once
    finally:
        reloader.stop()
