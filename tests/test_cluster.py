"""The whole topology of ``make cluster`` (decision 0020): three replicas (servers
without a builder, following one store) and nginx in front, on loopback ports.

Needs Debian's nginx: skipped without it, failed without it in CI (.ci/run installs it).
The replicas say ``max-age=2`` here (60 by default) so a roll-out reaches the cache in
the test's time.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from helpers import access_lines, article_fields, write_corpus, write_seed

from api.operations.cluster import (
    SHARED_MEMORY,
    ClusterSettings,
    nginx_binary,
    proxy_cache_dir,
    render_nginx_conf,
)

ROOT = Path(__file__).resolve().parent.parent
REPLICAS = 3
MAX_AGE = 2

pytestmark = pytest.mark.skipif(
    nginx_binary(os.environ) is None and not os.environ.get("CI"),
    reason="needs nginx (.ci/run installs it)",
)


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = s.getsockname()[1]
        if first + count > 65535:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError("no free ports")


def get(port: int, path: str, host: str | None = None, **headers: str) -> SimpleNamespace:
    """One GET on a fresh connection to 127.0.0.1:``port`` (``host``: the Host header)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        if host is not None:
            headers["Host"] = host
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        return SimpleNamespace(status=response.status, headers=response.headers, body=body)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``python -m api.operations.cluster`` (what `make cluster` runs) over 30 articles."""
    tmp = tmp_path_factory.mktemp("cluster")
    content = write_corpus(tmp / "content", 30)
    first = free_ports(REPLICAS + 1)
    port, replica_ports = first, list(range(first + 1, first + 1 + REPLICAS))
    env = {
        **os.environ,
        "NEWS_API_REPLICAS": str(REPLICAS),
        "NEWS_API_PORT": str(port),
        "NEWS_API_REPLICA_PORT": str(first + 1),
        "NEWS_API_CONTENT_DIR": str(content),
        "NEWS_API_CACHE_DIR": str(tmp / "store"),
        "NEWS_API_ACCESS_LOG": str(tmp / "access-{replica}.log"),
        "NEWS_API_CACHE_CONTROL": f"public, max-age={MAX_AGE}, stale-while-revalidate=10",
        "NEWS_API_RELOAD_DELAY": "0.2",
        "NEWS_API_PROXY_WORKERS": "1",
        "NEWS_API_LOG_LEVEL": "warning",
    }
    log_path = tmp / "cluster.log"
    log = log_path.open("w")
    cmd = [sys.executable, "-m", "api.operations.cluster"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    pending = set(replica_ports)
    while pending:  # every replica serving the first version, and nginx listening
        for rport in list(pending):
            try:
                if get(rport, "/readyz").status == 200:
                    pending.discard(rport)
            except OSError:
                pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"cluster did not start: {log_path.read_text()}")
        time.sleep(0.2)
    while True:
        try:
            get(port, "/healthz")
            break
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"nginx did not start: {log_path.read_text()}")
            time.sleep(0.1)
    yield SimpleNamespace(
        port=port,
        host=f"127.0.0.1:{port}",
        replica_ports=replica_ports,
        content=content,
        access_logs=[tmp / f"access-{i}.log" for i in range(1, REPLICAS + 1)],
        proc=proc,
    )
    children = descendants(proc.pid)
    assert len(children) >= 2 * REPLICAS + 2  # launchers, granians, workers, nginx's
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    log.close()
    time.sleep(0.5)
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()], "orphans"


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_requests_spread_over_the_replicas(cluster):
    served = Counter(
        get(cluster.port, f"/articles?pageSize=1&page={i}").headers["X-Served-By"]
        for i in range(1, 13)
    )
    assert set(served) == {f"replica-{i}" for i in range(1, REPLICAS + 1)}, served


def test_every_replica_gives_the_same_answer_and_etag(cluster):
    """Asked directly, with the Host nginx forwards: same ETag, Last-Modified and body."""
    url = "/articles?topic=ai&sort=-quality&pageSize=4"
    answers = [get(p, url, host=cluster.host) for p in cluster.replica_ports]
    assert {a.status for a in answers} == {200}
    assert len({a.headers["X-Served-By"] for a in answers}) == REPLICAS
    for field in ("ETag", "Last-Modified", "X-Content-Version"):
        assert len({a.headers[field] for a in answers}) == 1, field
    assert len({a.body for a in answers}) == 1
    through = get(cluster.port, url)
    assert through.headers["ETag"] == answers[0].headers["ETag"]
    assert through.body == answers[0].body


def test_a_repeated_url_is_a_cache_hit_and_a_conditional_one_a_304(cluster):
    url = "/articles?provider=voanews.com&pageSize=3"
    first = get(cluster.port, url)
    assert (first.status, first.headers["X-Cache-Status"]) == (200, "MISS")
    again = get(cluster.port, url)
    assert (again.status, again.headers["X-Cache-Status"]) == (200, "HIT")
    assert again.body == first.body and again.headers["ETag"] == first.headers["ETag"]
    conditional = get(cluster.port, url, **{"If-None-Match": first.headers["ETag"]})
    assert conditional.status == 304 and conditional.body == b""
    assert conditional.headers["ETag"] == first.headers["ETag"]


@pytest.mark.skipif(not SHARED_MEMORY.is_dir(), reason="no /dev/shm")
def test_the_cache_is_kept_in_memory(cluster):
    """nginx writes each cached answer to a file: in /dev/shm, not on disk (decision 0020)."""
    url = "/articles?sort=title&pageSize=7&page=2"
    get(cluster.port, url)
    assert get(cluster.port, url).headers["X-Cache-Status"] == "HIT"
    key = f"KEY: http://127.0.0.1:{cluster.port}{url}\n".encode()
    files = [f for f in SHARED_MEMORY.glob("news-api-nginx-cache-*/**/*") if f.is_file()]
    assert any(key in f.read_bytes() for f in files)


def test_the_cache_folder_is_given_or_made_in_memory(tmp_path):
    shm = tmp_path / "shm"
    assert proxy_cache_dir(ClusterSettings(), shm) is None  # no such folder: under nginx's
    shm.mkdir()
    made = proxy_cache_dir(ClusterSettings(), shm)
    assert made is not None and made.parent == shm and made.is_dir()
    given = ClusterSettings(cache_dir=str(tmp_path / "mine"))
    assert proxy_cache_dir(given, shm) is None  # NEWS_API_PROXY_CACHE_DIR wins
    conf = render_nginx_conf(given, tmp_path / "prefix")
    assert f"proxy_cache_path {tmp_path / 'mine'} " in conf
    conf = render_nginx_conf(ClusterSettings(), tmp_path / "prefix")
    assert f"proxy_cache_path {tmp_path / 'prefix' / 'cache'} " in conf


def test_each_encoding_is_a_variant_of_its_own(cluster):
    """Vary: Accept-Encoding: a gzip copy is never given to a client that did not ask."""
    url = "/articles?topic=ai&pageSize=8"
    plain = get(cluster.port, url)
    zipped = get(cluster.port, url, **{"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == plain.body
    again = get(cluster.port, url)
    assert again.headers["X-Cache-Status"] == "HIT" and "Content-Encoding" not in again.headers
    assert again.body == plain.body
    zipped_again = get(cluster.port, url, **{"Accept-Encoding": "gzip"})
    assert zipped_again.headers["X-Cache-Status"] == "HIT"
    assert zipped_again.headers["Content-Encoding"] == "gzip"


def test_errors_are_not_cached(cluster):
    for _ in range(2):
        problem = get(cluster.port, "/articles?pageSize=0")
        assert problem.status == 400 and problem.headers["X-Cache-Status"] == "MISS"
        assert problem.headers["Cache-Control"] == "no-store"


def test_a_burst_for_one_new_url_reaches_the_replicas_once(cluster):
    path, query = "/articles", "topic=ai&sort=title&pageSize=6"
    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda _: get(cluster.port, f"{path}?{query}"), range(50)))
    assert {a.status for a in answers} == {200}
    assert len({a.body for a in answers}) == 1
    time.sleep(0.5)  # access lines are written as each answer ends
    upstream = [
        line
        for log in cluster.access_logs
        if log.exists()
        for line in access_lines(log)
        if (line["path"], line["query"]) == (path, query)
    ]
    assert len(upstream) == 1, upstream


def test_a_content_change_reaches_every_replica_and_the_cache_without_errors(cluster):
    cached = "/articles?pageSize=3"
    before = get(cluster.port, cached)
    old = before.headers["X-Content-Version"]
    assert get(cluster.port, cached).headers["X-Cache-Status"] == "HIT"
    statuses: Counter[int] = Counter()
    walks: list[tuple[str, str]] = []  # (version of a page, version of its next page)
    stop = threading.Event()

    def load() -> None:
        """Walk the first pages by their next links, through nginx, until told to stop."""
        while not stop.is_set():
            page = get(cluster.port, "/articles?pageSize=4&sort=title")
            statuses[page.status] += 1
            if page.status != 200:
                continue
            made_on = page.headers["X-Content-Version"]
            next_url = urlsplit(json.loads(page.body)["links"]["next"])
            following = get(cluster.port, f"{next_url.path}?{next_url.query}")
            statuses[following.status] += 1
            if following.status == 200:
                walks.append((made_on, following.headers["X-Content-Version"]))

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        write_seed(cluster.content, "zz-new.md", **article_fields(99, title="Breaking"))
        changed = time.monotonic()
        deadline = changed + 30
        while True:  # every replica, asked directly, on the new version
            versions = {
                json.loads(get(p, "/readyz").body)["contentVersion"] for p in cluster.replica_ports
            }
            if len(versions) == 1 and old not in versions:
                new = versions.pop()
                break
            assert time.monotonic() < deadline, versions
            time.sleep(0.1)
        everywhere = time.monotonic()
        while True:  # and the cache, within max-age
            through = get(cluster.port, cached)
            if through.headers["X-Content-Version"] == new:
                break
            assert time.monotonic() < everywhere + MAX_AGE + 2, "the cache kept the old version"
            time.sleep(0.1)
        assert json.loads(through.body)["total"] == 31
        # and the load's own first page (stored at another moment), within max-age too
        deadline = time.monotonic() + MAX_AGE + 2
        while (new, new) not in walks:
            assert time.monotonic() < deadline, "the load never saw the new version"
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert statuses and set(statuses) == {200}, statuses
    # a next page is never older than the page it came from
    assert set(walks) <= {(old, old), (old, new), (new, new)}, set(walks)


def test_the_printed_configuration_is_valid_for_other_ports(tmp_path):
    env = {
        **os.environ,
        "NEWS_API_PORT": "9080",
        "NEWS_API_REPLICAS": "2",
        "NEWS_API_REPLICA_PORT": "9101",
    }
    cmd = [sys.executable, "-m", "api.operations.cluster", "--print-nginx-conf", str(tmp_path)]
    conf = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    text = conf.stdout
    assert "listen 127.0.0.1:9080 " in text and "@" not in text
    servers = [
        line.split()[1] for line in text.splitlines() if line.strip().endswith("max_fails=0;")
    ]
    assert servers == ["127.0.0.1:9101", "127.0.0.1:9102"]
    (tmp_path / "nginx.conf").write_text(text)
    for sub in ("cache", "temp"):
        (tmp_path / sub).mkdir()
    check = [nginx_binary(os.environ), "-t", "-p", str(tmp_path), "-e", "stderr"]
    result = subprocess.run([*check, "-c", str(tmp_path / "nginx.conf")], capture_output=True)
    assert result.returncode == 0, result.stderr
