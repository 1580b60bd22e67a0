"""What each per-request hook costs, in-process: request id, URL checks, security headers,
content version, CORS, compression, conditional requests and ETag, metrics, access line.

    .venv/bin/python bench/overhead.py [--requests 20000] [--rounds 5] [--multiprocess]

Two workloads through the test client, on a 30-article corpus: ``repeated`` (one URL
again and again, answered from the response cache) and ``distinct`` (a new query string
every request, so the view runs). For each:

- one row for the access layer (``api/http/access.py``, the WSGI layer around the app
  that gives the request its id and writes its metrics and access line: the time around
  the app it wraps less the app's own; its metrics and access line also timed apart), and
  one row per hook (each ``before_request``/``after_request`` function the app
  registered, in the order a request meets them): the median of its per-call time,
  measured with ``perf_counter`` minus the same measurement around a function that does
  nothing. The median is the cost of a call the machine did not interrupt; ``sum`` adds
  them up.
- ``bare`` and ``hooks``: CPU time per request (best of ``--rounds``) without the access
  layer and any hook, and with all of them; ``+µs`` is their difference (what they cost
  end to end, noisier than the rows above on a busy machine).
- ``hello``: a bare Flask app answering ``{"hello": "world"}`` through its test client,
  the machine's yardstick (compare runs on different days by this row).

Access lines go to ``/dev/null``; ``--multiprocess`` counts metrics in files, as under
the production server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

REPEATED = "/articles?topic=ai&pageSize=5"
DISTINCT = "/articles?topic=ai&pageSize=5&page={}"  # pages past the end are empty lists


def _noop(*args):
    return args[0] if args else None


class HookTimer:
    """Per-call durations of wrapped functions (µs), for medians."""

    def __init__(self) -> None:
        self.calls: dict[str, list[float]] = {}

    def wrap(self, label: str, fn: Callable) -> Callable:
        calls = self.calls.setdefault(label, [])
        clock = time.perf_counter

        def timed(*args):
            started = clock()
            result = fn(*args)
            calls.append((clock() - started) * 1e6)
            return result

        return timed

    def median(self, label: str) -> float:
        return statistics.median(self.calls[label])

    def clear(self) -> None:
        for calls in self.calls.values():
            calls.clear()


def _label(fn: Callable) -> str:
    module = fn.__module__.rsplit(".", 1)[-1]
    name = getattr(fn, "__name__", type(fn).__name__)
    return f"{module}.{name}"


def measure(app, urls: Callable[[int], str], args, vary: bool = False) -> None:
    """``vary``: each request carries a header of its own, so that the replay of repeated
    answers (``api/http/replay.py``, before every hook) lets it through to the hooks and
    the response cache answers it (its key is the URL, not the headers)."""
    from api.http.access import Access

    client = app.test_client()
    before, after = app.before_request_funcs[None], app.after_request_funcs[None]
    original = (list(before), list(after))
    metrics = app.extensions["metrics"]
    access_log = app.extensions["access_log"]
    layer = app.wsgi_app  # the access layer: outermost here (no ProxyFix)
    assert isinstance(layer, Access)

    def get(i: int):
        return client.get(urls(i), headers={"X-Overhead-Request": str(i)} if vary else None)

    def cpu(n: int) -> float:
        started = time.process_time()
        for i in range(n):
            get(i)
        return (time.process_time() - started) / n * 1e6

    cpu(200)  # warm up
    bare, hooked = [], []
    for _ in range(args.rounds):
        before[:], after[:], app.wsgi_app = [], [], layer.wsgi_app
        bare.append(cpu(args.requests))
        before[:], after[:], app.wsgi_app = *original, layer
        hooked.append(cpu(args.requests))

    # Per hook: each registered function wrapped; the access layer timed as the time
    # around the app it wraps less the app's own; metrics and the access line inside it
    # wrapped too (their time is also part of its row).
    timer = HookTimer()
    order = [*original[0], *reversed(original[1])]  # the order a request meets them
    labels = ["access (WSGI layer)", *(_label(fn) for fn in order)]
    before[:] = [timer.wrap(_label(fn), fn) for fn in original[0]]
    after[:] = [timer.wrap(_label(fn), fn) for fn in original[1]]
    inner = {"metrics (in access)": None, "access line (in access)": None}
    observe, write = metrics.observe, access_log.write
    metrics.observe = timer.wrap("metrics (in access)", observe)
    access_log.write = timer.wrap("access line (in access)", write)
    app_inside, spans = layer.wsgi_app, []
    clock = time.perf_counter

    def timed_inside(environ, start_response):
        started = clock()
        answer = app_inside(environ, start_response)
        spans.append(clock() - started)
        return answer

    layer.wsgi_app = timed_inside
    app.wsgi_app = timer.wrap("(around access)", layer)
    empty = timer.wrap("(empty)", _noop)
    try:
        for i in range(args.requests):
            get(i)
            empty()
    finally:
        before[:], after[:] = original
        del metrics.observe, access_log.write
        layer.wsgi_app, app.wsgi_app = app_inside, layer
    around = timer.calls["(around access)"]
    timer.calls["access (WSGI layer)"] = [a - s * 1e6 for a, s in zip(around, spans, strict=True)]
    calibration = timer.median("(empty)")
    total = 0.0
    for label in labels:
        cost = max(timer.median(label) - calibration, 0.0)
        total += cost
        print(f"  {label:34} {cost:7.2f}")
    for label in inner:
        print(f"    {label:32} {max(timer.median(label) - calibration, 0.0):7.2f}")
    print(f"  {'sum':34} {total:7.2f}")
    print(f"  {'bare (CPU µs/request)':34} {min(bare):7.1f}")
    print(f"  {'hooks (CPU µs/request)':34} {min(hooked):7.1f}   +{min(hooked) - min(bare):.1f}")


def hello_cost(n: int, rounds: int) -> float:
    from flask import Flask

    hello = Flask("hello")
    hello.get("/")(lambda: {"hello": "world"})
    client = hello.test_client()
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(n):
            client.get("/")
        best = min(best, (time.process_time() - started) / n * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--multiprocess", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.multiprocess:  # before prometheus_client is imported
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tmp
        from helpers import write_corpus

        from api import create_app

        corpus = write_corpus(Path(tmp) / "content", 30)
        config = {"CONTENT_DIR": str(corpus), "CACHE_DIR": "", "ACCESS_LOG": os.devnull}
        app = create_app(config)
        assert app.test_client().get(REPEATED).status_code == 200
        mode = "multiprocess" if args.multiprocess else "single-process"
        print(f"{args.requests} requests a row, best of {args.rounds} rounds, {mode} metrics")
        print(f"median µs per call, less {'a timed empty call':>18}")
        print(f"repeated: {REPEATED} (response cache)")
        measure(app, lambda i: REPEATED, args, vary=True)
        print(f"distinct: {DISTINCT.format('N')} (a new query string each time)")
        measure(app, lambda i: DISTINCT.format(i + 2), args)
        print(f"hello (CPU µs/request): {hello_cost(args.requests, args.rounds):.1f}")


if __name__ == "__main__":
    main()
