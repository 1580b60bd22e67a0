"""What a request costs the server in CPU time, under load: the part of a request's cost
that an in-process profile (``bench/profiling.py``, caches off) does not see.

Usage::

    python bench/server_cpu.py CORPUS --store STORE [--paths FILE] [--duration 10]
                               [--rounds 2] [--env NAME=VALUE ...]
    python bench/server_cpu.py --kind hello-granian      # or hello-gunicorn

Starts the server as ``make serve`` does (``bench/run.py``'s ``Server``: the launcher,
granian and 2 workers; or a bare hello app), waits for the builder's first look at the
folder, warms it up with wrk for 3 s, then loads it with ``wrk -t1 -c16`` for
``--duration`` seconds, cycling through ``--paths`` (one URL a line; default
``bench/out/mixed-paths.txt``, the 20,000 distinct list queries ``run.py`` writes) with
``bench/mixed.lua``. Prints req/s, the p99, and the CPU time each process of the server
spent during the load divided by the requests (from ``/proc/PID/stat``), and their sum.

Each ``--env`` is a variant: the runs alternate between the server as configured and
the server with that setting (``--env NEWS_API_RESPONSE_CACHE_MIN_USES=1``, say),
``--rounds`` times, so that a slow minute of the machine falls on both. Traffic goes to
127.0.0.1 only; every wrk run is bounded by ``--duration``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from run import OUT, ROOT, Server, process_tree, wrk

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of ``pid`` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def process_name(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").strip()[:60]


def measure(
    kind: str, env: dict[str, str], label: str, paths: Path, args: argparse.Namespace
) -> None:
    probe = "/topics" if kind == "api" else "/hello"
    server = Server(kind, env, probe)
    try:
        if kind == "api":
            server.builder_settled()
            script, url, arg = ROOT / "bench" / "mixed.lua", server.base, str(paths)
        else:
            script, url, arg = None, server.base + probe, ""
        warm = argparse.Namespace(connections=args.connections, duration=3)
        wrk(url, warm, script, arg)
        pids = process_tree(server.proc.pid)
        names = {pid: process_name(pid) for pid in pids}
        before = {pid: cpu_seconds(pid) for pid in pids}
        result = wrk(url, args, script, arg)
        spent = {pid: cpu_seconds(pid) - before[pid] for pid in pids}
    finally:
        server.stop()
    n = result["requests"]
    print(
        f"{label}: {result['rps']:,.0f} req/s, p99 {result['p99']:.2f} ms, "
        f"{sum(spent.values()) / n * 1e6:.1f} µs of CPU a request"
    )
    for pid, seconds in spent.items():
        if seconds:
            print(f"    {seconds / n * 1e6:7.1f} µs  {names[pid]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, nargs="?")
    parser.add_argument("--store", type=Path, help="the corpus's store (built before)")
    parser.add_argument("--kind", default="api", choices=["api", "hello-granian", "hello-gunicorn"])
    parser.add_argument("--paths", type=Path, default=OUT / "mixed-paths.txt")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load a run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE: a variant")
    args = parser.parse_args()
    base: dict[str, str] = {}
    if args.kind == "api":
        if args.corpus is None or args.store is None:
            parser.error("the API needs CORPUS and --store")
        if not args.paths.is_file():
            parser.error(f"{args.paths}: no such file (bench/run.py writes it)")
        base = {
            "NEWS_API_CONTENT_DIR": str(args.corpus.resolve()),
            "NEWS_API_CACHE_DIR": str(args.store.resolve()),
        }
    variants = [(base, f"{args.kind}, as configured")]
    variants += [({**base, **dict([item.split("=", 1)])}, item) for item in args.env]
    for _ in range(args.rounds):
        for env, label in variants:
            measure(args.kind, env, label, args.paths.resolve(), args)


if __name__ == "__main__":
    main()
