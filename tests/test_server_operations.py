"""The real server as `make serve` starts it: metrics add up across workers, every line
it logs is JSON, and SIGTERM lets the request in flight finish."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import ROOT, free_port
from helpers import access_lines, article_fields, settled_version, write_corpus, write_seed
from prometheus_client.parser import text_string_to_metric_families

from api.operations.metrics import FLUSH_SECONDS


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    with urllib.request.urlopen(
        urllib.request.Request(url, headers=headers or {}), timeout=10
    ) as r:
        return r.status, r.headers, r.read()


def topics_served(base: str) -> float:
    _, _, body = get(f"{base}/metrics")
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == "news_api_requests_total" and sample.labels == {
                "route": "/topics",
                "method": "GET",
                "status": "200",
            }:
                return sample.value
    return 0.0


def test_metrics_add_up_across_workers(server):
    # Concurrent requests until both workers have answered some (granian's workers share
    # one listening socket: which one accepts is up to the kernel).
    for round_ in range(20):
        ids = [f"r{round_}-{i}" for i in range(16)]
        with ThreadPoolExecutor(8) as pool:
            for status, _headers, _ in pool.map(
                lambda i: get(f"{server.base}/topics", {"X-Request-Id": i}), ids
            ):
                assert status == 200
        lines = access_lines(server.access_log)
        if len({line["pid"] for line in lines if line["path"] == "/topics"}) == 2:
            break
    else:
        raise AssertionError("one worker answered every request")
    # Any worker answers a scrape, and every scrape sees the sum of all workers (each
    # worker hands its counts to the files at least every FLUSH_SECONDS).
    answered = [line for line in lines if (line["path"], line["status"]) == ("/topics", 200)]
    time.sleep(FLUSH_SECONDS + 0.5)
    for _ in range(4):
        assert topics_served(server.base) == len(answered)


def content_figures(base: str) -> dict[str, float | str]:
    _, _, body = get(f"{base}/metrics")
    figures: dict[str, float | str] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == "news_api_content_info":
                figures["version"] = sample.labels["version"]
            elif family.name.startswith(("news_api_index", "news_api_last_load")):
                figures[sample.name] = sample.value
    return figures


def test_content_metrics_follow_a_reload(monkeypatch, corpus, request, tmp_path):
    monkeypatch.setenv("NEWS_API_RELOAD_DELAY", "0.2")
    metrics_dir = tmp_path / "metrics"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    server = request.getfixturevalue("server")  # started after these settings
    before = content_figures(server.base)
    assert before["news_api_index_articles"] == 30 and before["news_api_last_load_success"] == 1
    write_seed(corpus, "new.md", **article_fields(99))
    deadline = time.monotonic() + 15
    while (after := content_figures(server.base))["version"] == before["version"]:
        assert time.monotonic() < deadline, "no reload"
        time.sleep(0.2)
    assert after["news_api_index_articles"] == 31 and after["news_api_last_load_success"] == 1
    assert (
        after["news_api_last_load_timestamp_seconds"]
        > before["news_api_last_load_timestamp_seconds"]
    )
    # The other worker follows CURRENT a moment later (FOLLOW_INTERVAL): then both agree.
    topics_version = settled_version(
        lambda: get(f"{server.base}/topics")[1]["X-Content-Version"], before["version"], 15
    )
    assert topics_version == after["version"]
    lines = [json.loads(line) for line in server.log.read_text().splitlines()]
    reports = [line for line in lines if line["message"].startswith("indexed")]
    assert [line["articles"] for line in reports][-1] == 31
    # A reload replaces no worker (they map the new artifact): the workers' files stay.
    assert len(list(metrics_dir.glob("counter_*.db"))) <= 2


def test_every_line_the_server_logs_is_json(server):
    status, _, _ = get(f"{server.base}/articles?pageSize=1")
    assert status == 200
    lines = [json.loads(line) for line in server.log.read_text().splitlines()]
    assert {line["logger"] for line in lines} >= {"api", "_granian"}
    assert any(line["message"].startswith("indexed 30 articles") for line in lines)
    assert all({"time", "level", "logger", "message", "pid"} <= line.keys() for line in lines)
    access = access_lines(server.access_log)
    assert access[-1]["route"] == "/articles" and access[-1]["query"] == "pageSize=1"


def test_sigterm_finishes_the_request_in_flight(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        # Half a request: a worker accepts the connection and waits for the rest.
        sock.sendall(b"GET /articles?pageSize=30 HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(1)
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(1)
        assert server.proc.poll() is None, "the server quit with a request in flight"
        sock.sendall(b"X-Request-Id: last-one\r\n\r\n")
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), head
    assert b"x-request-id: last-one" in head.lower()
    assert len(json.loads(body)["items"]) == 30
    assert server.proc.wait(timeout=30) == 0
    # Refused after shutdown: nothing listens any more.
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0


def test_sigterm_during_a_build_abandons_it_and_exits(tmp_path):
    """A server stopped while it builds exits at once and leaves no reader process behind
    (a cold build of a million files would otherwise hold the exit for most of an hour)."""
    corpus = write_corpus(tmp_path / "content", 12000)
    port = free_port()
    env = {
        **os.environ,
        "NEWS_API_PORT": str(port),
        "NEWS_API_CONTENT_DIR": str(corpus),
        "NEWS_API_CACHE_DIR": str(tmp_path / "cache"),
        "NEWS_API_ACCESS_LOG": os.devnull,
    }
    with (tmp_path / "server.log").open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.operations.server"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            readers: list[int] = []
            # Both workers started (granian can miss a SIGTERM that comes earlier), and
            # the build's readers at work.
            while not readers or (tmp_path / "server.log").read_text().count("Started worker") < 2:
                assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                readers = _build_readers(proc.pid)
                time.sleep(0.1)
            assert _answers(f"http://127.0.0.1:{port}/readyz") is False  # still building
            readers = _build_readers(proc.pid)
            if not readers:  # a fast machine read every file before both workers started
                pytest.skip("the build's reading ended before the server was up")
            proc.send_signal(signal.SIGTERM)
            started = time.monotonic()
            assert proc.wait(timeout=60) == 0
            assert time.monotonic() - started < 15
        finally:
            if proc.poll() is None:
                proc.kill()
    time.sleep(0.5)
    assert not [pid for pid in readers if Path(f"/proc/{pid}").exists()]
    store = next((tmp_path / "cache").iterdir())
    assert not (store / "CURRENT").exists()  # the build was abandoned, not finished
    logged = (tmp_path / "server.log").read_text()
    assert "abandoned: stopping" in logged and "failed" not in logged


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False
    except OSError:
        return False


def _build_readers(pid: int) -> list[int]:
    """The launcher's child processes that are copies of itself: the build's readers."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += (task / "children").read_text().split()
    readers = []
    for child in children:
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"api.operations.server" in cmdline:
            readers.append(int(child))
    return readers


def test_the_builder_yields_the_cpu_to_the_workers(server):
    """The launcher's builder (its threads, and the reader processes a build forks) runs
    at nice 10, the workers at the priority they were started with."""

    def nice_of(stat_file: Path) -> int:
        fields = stat_file.read_text().rsplit(")", 1)[1].split()
        return int(fields[16])  # field 19 of proc(5), counted after "pid (comm)"

    ours = os.nice(0)  # the tests may themselves run niced
    launcher = Path(f"/proc/{server.pid}")
    threads = [nice_of(t / "stat") for t in (launcher / "task").iterdir()]
    assert nice_of(launcher / "stat") == min(ours + 10, 19)  # threads start from here
    assert max(threads) == min(ours + 10, 19)
    children = (launcher / "task" / str(server.pid) / "children").read_text().split()
    assert children  # granian, started before the builder
    assert all(nice_of(Path(f"/proc/{c}/stat")) == ours for c in children)
