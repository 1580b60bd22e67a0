"""Per-request cost of the operations hooks (request id, metrics, JSON access line),
in-process: N test-client requests of one cached page, with and without them.

    .venv/bin/python bench/overhead.py [--requests 20000] [--rounds 5] [--multiprocess]

Rows: ``bare`` (the hooks of api.access removed), ``metrics`` (request id and metrics;
access lines off), ``metrics+log`` (and the JSON access line, written
to /dev/null). Each row is the best of ``--rounds`` runs (the least disturbed by other
work on the machine; CPU time of this process); the last column is the difference
from ``bare``. ``--multiprocess`` counts in files, as under gunicorn.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

URL = "/articles?topic=ai&pageSize=5"


def timed(client, n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        client.get(URL)
    return (time.process_time() - started) / n * 1e6


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
        from api.http import access

        corpus = write_corpus(Path(tmp) / "content", 30)
        config = {"CONTENT_DIR": str(corpus), "CACHE_DIR": "", "ACCESS_LOG": os.devnull}
        app = create_app(config)
        client = app.test_client()
        assert client.get(URL).status_code == 200
        before, after = app.before_request_funcs[None], app.after_request_funcs[None]
        hooks = (before[0], after[0])
        assert hooks[0] is access.start
        access_log = app.extensions["access_log"]

        def bare() -> None:
            before.remove(hooks[0])
            after.remove(hooks[1])

        def restore() -> None:
            before.insert(0, hooks[0])
            after.insert(0, hooks[1])

        results: dict[str, list[float]] = {"bare": [], "metrics": [], "metrics+log": []}
        for _ in range(args.rounds):
            bare()
            results["bare"].append(timed(client, args.requests))
            restore()
            access_log.enabled = False
            results["metrics"].append(timed(client, args.requests))
            access_log.enabled = True
            results["metrics+log"].append(timed(client, args.requests))
        base = min(results["bare"])
        mode = "multiprocess" if args.multiprocess else "single-process"
        print(f"{args.requests} requests of {URL}, best of {args.rounds} rounds, {mode} metrics")
        print(f"{'':12} {'µs/request':>10} {'+µs':>6}")
        for name, times in results.items():
            print(f"{name:12} {min(times):10.1f} {min(times) - base:6.1f}")


if __name__ == "__main__":
    main()
