from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from browser import Browser, launch
from helpers import write_corpus

from api import create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A content folder of 30 generated articles with predictable values."""
    return write_corpus(tmp_path / "content", 30)


@pytest.fixture
def make_app(tmp_path: Path):
    """Create an app over a content folder, with a build cache of its own."""

    def make(content: Path, **config):
        return create_app(
            {
                "TESTING": True,
                "CONTENT_DIR": str(content),
                "CACHE_DIR": str(tmp_path / "cache"),
                **config,
            }
        )

    return make


@pytest.fixture
def app(make_app, corpus):
    """The app over ``corpus``."""
    return make_app(corpus)


@pytest.fixture
def client(app):
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner of ``app``."""
    return app.test_cli_runner()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    """Headless Chromium with a fresh profile (tests/browser.py), quit after the test."""
    with launch(tmp_path / "chromium") as chromium:
        yield chromium


def start_server(corpus: Path, tmp_path: Path, port: int | None = None) -> SimpleNamespace:
    """Start the server as `make serve` does over ``corpus`` (cache, logs under
    ``tmp_path``) and wait until it answers; see :func:`server`. ``stop()`` stops it."""
    port = port or free_port()
    env = {
        **os.environ,
        "NEWS_API_PORT": str(port),
        "NEWS_API_CONTENT_DIR": str(corpus),
        "NEWS_API_CACHE_DIR": str(tmp_path / "cache"),
        "NEWS_API_ACCESS_LOG": str(tmp_path / "access.log"),
    }
    log = (tmp_path / "server.log").open("a")
    cmd = [sys.executable, "-m", "api.operations.server"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    # Serving, and every worker started: granian can miss a SIGTERM that comes while a
    # worker is still starting (then stop() waits for its 20 s kill timeout).
    workers = int(env.get("NEWS_API_WORKERS", "2"))
    if env.get("NEWS_API_LOG_LEVEL", "info").lower() not in ("debug", "info"):
        workers = 0  # granian's "Started worker" lines are not logged: only serving counts
    while True:
        try:
            urllib.request.urlopen(f"{base}/topics", timeout=1).close()
            if (tmp_path / "server.log").read_text().count("Started worker-") >= workers:
                break
        except (urllib.error.URLError, ConnectionError):
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail(f"server did not start: {(tmp_path / 'server.log').read_text()}")
        time.sleep(0.1)

    def stop() -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        log.close()

    return SimpleNamespace(
        base=base,
        port=port,
        access_log=tmp_path / "access.log",
        log=tmp_path / "server.log",
        proc=proc,
        pid=proc.pid,
        stop=stop,
    )


@pytest.fixture
def server(corpus, tmp_path):
    """The server started as `make serve` starts it (the launcher, granian and its
    workers), serving ``corpus`` on a free loopback port; yields its ``base`` URL,
    ``port``, ``access_log`` path (JSON lines), ``log`` path (everything else it wrote),
    its process ``proc`` and the launcher's ``pid``.
    ``NEWS_API_*`` variables set before it starts (monkeypatch.setenv) reach it."""
    running = start_server(corpus, tmp_path)
    yield running
    running.stop()
