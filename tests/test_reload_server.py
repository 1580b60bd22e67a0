"""Live reload under the real server (granian, 2 workers, as `make serve` runs it): the
content folder changes while requests keep coming; none fails, the new content appears,
and afterwards every worker serves the same new version."""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
from urllib.parse import urlsplit

import pytest
from helpers import article_fields, write_seed
from helpers import settled_version as settle

WAIT = 10  # seconds: the most any step here waits for a reload
LOAD_URLS = ("/articles?pageSize=5", "/topics", "/", "/articles/a00")


@pytest.fixture
def fast_reload(monkeypatch):
    """Reload 0.2 s after the last change (set before ``server`` starts)."""
    monkeypatch.setenv("NEWS_API_RELOAD_DELAY", "0.2")


@pytest.fixture
def watcher_off(monkeypatch):
    """Only SIGHUP reloads (set before ``server`` starts)."""
    monkeypatch.setenv("NEWS_API_RELOAD", "off")


@pytest.fixture
def reload_server(fast_reload, server):
    """The server, watching its folder."""
    return server


@pytest.fixture
def hup_server(watcher_off, fast_reload, server):
    """The server, not watching its folder."""
    return server


class Load:
    """Threads sending requests one after another until stopped; every answer recorded."""

    def __init__(self, base: str, threads: int = 2) -> None:
        self.address = urlsplit(base).netloc
        self.results: list[tuple[str, int, str | None]] = []  # url, status, version
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, offset: int) -> None:
        i = offset
        while not self._stop.is_set():
            url = LOAD_URLS[i % len(LOAD_URLS)]
            i += 1
            try:
                status, headers, _ = fetch(self.address, url)
            except Exception as exc:  # any failure to get an answer is a failed request
                self.failures.append(f"{url}: {exc!r}")
                continue
            self.results.append((url, status, headers.get("X-Content-Version")))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)


def fetch(address: str, url: str) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection(address, timeout=10)
    try:
        connection.request("GET", url)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def settled_version(address: str, old: str | None) -> str:
    return settle(lambda: fetch(address, "/")[1].get("X-Content-Version"), old, WAIT)


def test_the_folder_changes_under_load_and_no_request_fails(reload_server, corpus):
    address = urlsplit(reload_server.base).netloc
    _, headers, _ = fetch(address, "/")
    versions = [headers["X-Content-Version"]]

    with Load(reload_server.base) as load:
        write_seed(corpus, "added.md", **article_fields(30, title="Added under load"))
        versions.append(settled_version(address, versions[-1]))
        status, _, body = fetch(address, "/articles/added")
        assert status == 200 and json.loads(body)["title"] == "Added under load"

        write_seed(corpus, "a01.md", **article_fields(1, title="Changed under load"))
        versions.append(settled_version(address, versions[-1]))
        assert json.loads(fetch(address, "/articles/a01")[2])["title"] == "Changed under load"

        (corpus / "a02.md").unlink()
        versions.append(settled_version(address, versions[-1]))
        assert fetch(address, "/articles/a02")[0] == 404
        time.sleep(0.3)  # some load on the settled version too

    assert not load.failures, load.failures[:5]
    assert len(load.results) > 50
    assert {status for _, status, _ in load.results} == {200}
    assert len(set(versions)) == 4
    seen = {version for _, _, version in load.results}
    assert seen <= set(versions) and versions[-1] in seen
    body = json.loads(fetch(address, "/")[2])
    assert body["articleCount"] == 30 and body["contentVersion"] == versions[-1]


def test_sighup_reloads_when_the_watcher_is_off(hup_server, corpus, tmp_path):
    server = hup_server
    address = urlsplit(server.base).netloc
    _, headers, _ = fetch(address, "/readyz")
    old = headers["X-Content-Version"]
    write_seed(corpus, "added.md", **article_fields(30, title="Added, then HUP"))
    time.sleep(0.5)  # with RELOAD=off nothing notices the change by itself
    assert fetch(address, "/")[1]["X-Content-Version"] == old
    assert fetch(address, "/articles/added")[0] == 404

    with Load(server.base) as load:
        os.kill(server.pid, signal.SIGHUP)
        new = settled_version(address, old)
    assert not load.failures, load.failures[:5]
    assert {status for _, status, _ in load.results} == {200}
    assert fetch(address, "/articles/added")[0] == 200
    status, headers, body = fetch(address, "/readyz")
    assert status == 200 and json.loads(body)["contentVersion"] == new
    assert "reloading" not in (tmp_path / "server.log").read_text()  # no failed reload
