"""The real server, started as `make serve` starts it (the launcher, granian and its workers)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def get(url: str) -> tuple[int, dict, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, json.load(error)


def test_real_server_serves_lists_items_and_problems(server):
    server = server.base
    status, headers, body = get(f"{server}/articles?topic=ai&pageSize=5")
    assert status == 200 and body["total"] == 15 and len(body["items"]) == 5
    assert headers["X-Total-Count"] == "15"
    version = headers["X-Content-Version"]
    assert body["links"]["next"] == (
        f"{server}/articles?topic=ai&pageSize=5&contentVersion={version}&page=2"
    )
    status, _, article = get(f"{server}/articles/a00")
    assert status == 200 and article["related"][0]["id"] == "a01"
    status, headers, problem = get(f"{server}/articles?pageSize=100000")
    assert status == 400 and headers["Content-Type"] == "application/problem+json"
    assert problem["errors"][0]["name"] == "pageSize"
    status, _, _ = get(f"{server}/openapi.json")
    assert status == 200


def test_real_server_revalidates_and_compresses(server):
    server = server.base
    url = f"{server}/articles?pageSize=30"
    with urllib.request.urlopen(url, timeout=5) as response:
        plain, etag = response.read(), response.headers["ETag"]
    request = urllib.request.Request(url, headers={"If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as not_modified:
        urllib.request.urlopen(request, timeout=5)
    not_modified.value.close()
    assert not_modified.value.code == 304
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.read()) == plain


def test_the_workers_app_is_kept_out_of_full_garbage_collections(tmp_path):
    """wsgi (what granian's workers load) freezes what start-up made (gc.freeze): a full
    collection then has almost nothing to walk."""
    code = (
        "import gc, time, wsgi; "
        "assert gc.get_freeze_count() > 10000, gc.get_freeze_count(); "
        "t = time.perf_counter(); gc.collect(); print(time.perf_counter() - t)"
    )
    env = {**os.environ, "NEWS_API_CACHE_DIR": str(tmp_path / "cache"), "NEWS_API_RELOAD": "off"}
    assert float(_python(code, env)) < 0.005  # seconds (15 ms or more without the freeze)


def test_granians_main_process_loads_the_app_modules_and_no_thread(tmp_path):
    """granian forks its workers from a process (api/operations/granian_main.py) that
    has imported what every worker imports: a worker only creates the app. It must hold
    no thread then (a fork copies only the thread that forks): numpy's BLAS pool is off."""
    code = (
        "import os, sys; import api.operations.granian_main; "
        "print(len(os.listdir('/proc/self/task')), "
        "all(m in sys.modules for m in ('flask', 'numpy', 'marshmallow', 'tantivy', 'api.app')), "
        "'wsgi' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    # One thread, the modules loaded, and no app made (wsgi creates it, in each worker).
    assert _python(code, env).split() == ["1", "True", "False"]


def _python(code: str, env: dict[str, str]) -> str:
    """What ``python -c code`` prints, run from the project's root."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
