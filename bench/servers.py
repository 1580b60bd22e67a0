"""Compare WSGI servers on this machine, all in one run: a bare Flask hello app and the
project (workers mapping a prebuilt index artifact, as under ``make serve``), each
under gunicorn sync, gunicorn gthread and granian, 2 workers each.

Usage::

    python bench/servers.py CORPUS [--duration 10] [--connections 16]

The project's rows: one repeated list URL ("hot") and thousands of distinct list query
strings (bench/run.py's mixed paths). Traffic goes to 127.0.0.1 only; every wrk run is
bounded by ``--duration``. Decision 0019 records the results.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import OUT, PY, ROOT, free_port, mixed_paths, wrk


def start(server: str, app: str, env: dict, workers: int = 2):
    port = free_port()
    chdir = "bench" if app == "hello:app" else "."
    cmds = {
        "gunicorn sync": [PY, "-m", "gunicorn", "--worker-class", "sync"],
        "gunicorn gthread": [PY, "-m", "gunicorn", "--worker-class", "gthread", "--threads", "4"],
    }
    if server in cmds:
        cmd = [*cmds[server], "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
        cmd += ["--chdir", chdir, "--log-level", "warning", app]
    else:
        cmd = [PY, "-m", "granian", "--interface", "wsgi", "--http", "1", "--no-ws"]
        cmd += ["--workers", str(workers), "--blocking-threads", "1", "--port", str(port)]
        cmd += ["--working-dir", chdir, "--log-level", "warning", app]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    probe = "/hello" if app == "hello:app" else "/readyz"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(base + probe, timeout=2).close()
            return proc, base
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit(f"{server} {app} did not start") from None
            time.sleep(0.05)


class _Server:
    def __init__(self, base: str) -> None:
        self.base = base

    def get_json(self, path: str):
        import json

        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return json.load(response)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="servers-bench-"))
    env = {
        "NEWS_API_CONTENT_DIR": str(args.corpus.resolve()),
        "NEWS_API_CACHE_DIR": str(cache),
        "NEWS_API_FOLLOW": "true",
        "NEWS_API_LOG_LEVEL": "warning",
        "NEWS_API_ACCESS_LOG": os.devnull,
        "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="servers-bench-metrics-"),
    }
    build_env = {**os.environ, **env, "NEWS_API_FOLLOW": "false"}
    subprocess.run([PY, "-m", "flask", "--app", "wsgi", "seeds", "build"], cwd=ROOT,
                   env=build_env, check=True, capture_output=True)  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    paths = None
    for server in ("gunicorn sync", "gunicorn gthread", "granian"):
        proc, base = start(server, "hello:app", {})
        try:
            rows.append((server, "hello", wrk(base + "/hello", args)))
        finally:
            proc.terminate()
            proc.wait(30)
        proc, base = start(server, "wsgi:app", env)
        try:
            if paths is None:
                paths = mixed_paths(_Server(base))
            rows.append((server, "project, hot: one topic list", wrk(base + "/topics", args)))
            script = ROOT / "bench" / "mixed.lua"
            rows.append(
                (server, "project, 20,000 distinct lists", wrk(base, args, script, str(paths)))
            )
        finally:
            proc.terminate()
            proc.wait(30)
    base_rps = rows[0][2]["rps"]
    print(f"wrk -t1 -c{args.connections} -d{args.duration}s, 2 workers each, {args.corpus}")
    print()
    print("| server | what | req/s | p50 ms | p99 ms | / hello under gunicorn sync |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for server, what, r in rows:
        print(
            f"| {server} | {what} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['rps'] / base_rps:.2f} |"
        )


if __name__ == "__main__":
    main()
