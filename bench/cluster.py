"""One server against replicas behind nginx (``make cluster``), in one run, on the same cores.

Usage::

    python bench/cluster.py [--count 10000] [--duration 10] [--connections 16] [--replicas 3]

Generates (once) a corpus of ``--count`` articles under ``bench/out/``, builds its index
artifact into a store both setups map (so neither builds while measured), then, one
after the other:

1. one server as ``make serve`` starts it (granian, 2 workers);
2. ``--replicas`` replicas (1 worker each) and nginx in front, as ``make cluster``
   starts them (the cache of ``deploy/nginx.conf.template``, fresh);

and loads each with ``wrk -t1 -c16``, after a warm-up (3 s of 5,000 distinct URLs that
are not measured, and 3 s of the hot URL): the same URL again and again (through nginx:
a cache HIT after the first request), and 15,000 other distinct list URLs
(``bench/mixed.lua``; through nginx each is a MISS, proxied to a replica and stored).
Also the memory of each setup (PSS of every process, summed) and the machine's load
(``uptime``) before and after. Prints a markdown table. Traffic goes to 127.0.0.1 only;
every wrk run stops after ``--duration`` seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import OUT, PY, ROOT, corpus, free_port, mixed_paths, wrk

HOT = "/articles?pageSize=20"


class Setup:
    """A process tree serving on ``port`` (the server, or the cluster's launcher)."""

    def __init__(self, module: str, env: dict[str, str], port: int, probe_ports: list[int]):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([PY, "-m", module], cwd=ROOT, env={**os.environ, **env})
        deadline = time.monotonic() + 180
        for probe in probe_ports:  # every replica ready, then the front door
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{probe}/readyz", timeout=2).close()
                    break
                except OSError:
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        self.stop()
                        raise SystemExit(f"{module} did not start") from None
                    time.sleep(0.1)

    def get_json(self, path: str):
        import json

        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return json.load(response)

    def pss_mb(self) -> float:
        total, todo = 0, [self.proc.pid]
        while todo:
            pid = todo.pop()
            try:
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=90)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def build_store(folder: Path, cache: Path) -> float:
    """Build the corpus's artifact (or find it built): seconds taken."""
    env = {**os.environ, "NEWS_API_CONTENT_DIR": str(folder), "NEWS_API_CACHE_DIR": str(cache)}
    started = time.perf_counter()
    cmd = [PY, "-m", "flask", "--app", "wsgi", "seeds", "build"]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def measure(setup: Setup, args, warm_up: Path, distinct: Path) -> dict:
    """Both setups are warmed alike (every worker has answered distinct queries) with
    URLs that are not measured, so each measured distinct URL is still a MISS in nginx."""
    short = argparse.Namespace(duration=3, connections=args.connections)
    wrk(setup.base, short, ROOT / "bench" / "mixed.lua", str(warm_up))
    wrk(setup.base + HOT, short)
    hot = wrk(setup.base + HOT, args)
    many = wrk(setup.base, args, ROOT / "bench" / "mixed.lua", str(distinct))
    return {"hot": hot, "distinct": many, "pss": setup.pss_mb()}


def split(paths_file: Path, warm_up_count: int = 5000) -> tuple[Path, Path]:
    """Distinct URLs for warming up, and the others, to measure."""
    lines = paths_file.read_text().splitlines()
    warm_up, measured = OUT / "cluster-warm-up-paths.txt", OUT / "cluster-measured-paths.txt"
    warm_up.write_text("\n".join(lines[:warm_up_count]) + "\n")
    measured.write_text("\n".join(lines[warm_up_count:]) + "\n")
    return warm_up, measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10000, help="articles in the corpus")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--replicas", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    OUT.mkdir(parents=True, exist_ok=True)
    folder = corpus(args.count, OUT)
    cache = OUT / f"cluster-store-{args.count}"
    build_seconds = build_store(folder, cache)
    load_before = uptime()
    common = {
        "NEWS_API_CONTENT_DIR": str(folder),
        "NEWS_API_CACHE_DIR": str(cache),
        "NEWS_API_LOG_LEVEL": "warning",
        "NEWS_API_ACCESS_LOG": os.devnull,
        "NEWS_API_RELOAD": "off",
    }

    port = free_port()
    server = Setup(
        "api.operations.server",
        {**common, "NEWS_API_PORT": str(port), "NEWS_API_WORKERS": "2"},
        port,
        [port],
    )
    try:
        warm_up, distinct = split(mixed_paths(server))
        one = measure(server, args, warm_up, distinct)
    finally:
        server.stop()

    port = free_port()
    first = port + 1 if port < 60000 else port - 10
    replica_ports = [first + i for i in range(args.replicas)]
    cluster = Setup(
        "api.operations.cluster",
        {
            **common,
            "NEWS_API_PORT": str(port),
            "NEWS_API_REPLICAS": str(args.replicas),
            "NEWS_API_REPLICA_PORT": str(first),
        },
        port,
        [*replica_ports, port],
    )
    try:
        proxied = measure(cluster, args, warm_up, distinct)
    finally:
        cluster.stop()
    load_after = uptime()

    def row(label: str, r: dict, base: dict | None) -> str:
        ratio = f"{r['rps'] / base['rps']:.2f}x" if base else "1"
        return (
            f"| {label} | {r['rps']:,.0f} | {ratio} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['errors']} |"
        )

    lines = [
        f"{args.count:,} articles; `wrk -t1 -c{args.connections} -d{args.duration}s` on the "
        f"same {os.cpu_count()} cores as everything else; artifact built in "
        f"{build_seconds:.1f} s (0 if it existed).",
        f"Load before: `{load_before}`; after: `{load_after}`.",
        "",
        "| row | req/s | vs one server | p50 ms | p99 ms | non-2xx |",
        "|---|---:|---:|---:|---:|---:|",
        row(f"one server (2 workers): same URL `{HOT}`", one["hot"], None),
        row(f"nginx + {args.replicas} replicas: same URL (cache HIT)", proxied["hot"], one["hot"]),
        row("one server: distinct list URLs (mixed.lua)", one["distinct"], None),
        row(
            f"nginx + {args.replicas} replicas (1 worker each): distinct URLs (MISS, stored)",
            proxied["distinct"],
            one["distinct"],
        ),
        "",
        f"Memory (PSS, every process summed, after the load): one server "
        f"{one['pss']:,.0f} MB; nginx + {args.replicas} replicas {proxied['pss']:,.0f} MB.",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
