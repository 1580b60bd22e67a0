"""One server against replicas behind nginx (``make cluster``), in one run, on the same cores.

Usage::

    python bench/cluster.py [--count 10000] [--duration 10] [--connections 16] [--replicas 3]
                            [--rounds 3]

Generates (once) a corpus of ``--count`` articles under ``bench/out/``, builds its index
artifact into a store both setups map (so neither builds while measured), then, in each
of ``--rounds`` rounds, one after the other (the order alternating between rounds):

1. one server as ``make serve`` starts it (granian, 2 workers);
2. ``--replicas`` replicas (1 worker each) and nginx in front, as ``make cluster``
   starts them (the cache of ``deploy/nginx.conf.template``, fresh);

each started afresh and loaded with ``wrk -t1 -c16``, after a warm-up (3 s of 5,000
distinct URLs that are not measured, and 3 s of the hot URL): the same URL again and
again (through nginx: a cache HIT after the first request), and other distinct list
URLs, more than a run can ask for (``--duration`` x 30,000, so none comes twice:
``bench/mixed.lua``; through nginx each is a MISS, proxied to a replica). A
ratio is taken within a round, and the median of the rounds' ratios is reported (this
machine's rate drifts too much between minutes for one pair of runs to decide).
Also the memory of each setup (PSS of every process, summed) and the machine's load
(``uptime``) before and after. Prints a markdown table.

Two readings say how far this machine lets the proxy go, whatever its configuration:

- **nginx alone** (same worker count and keep-alive as the cluster's), serving the hot
  URL's answer as a file it keeps open (``sendfile``, ``open_file_cache``) under the same
  wrk: what nginx does per second with no upstream and no cache lookup, so more than
  any cache HIT can be here;
- **CPU per distinct request** (user + system time of every process of each setup, from
  ``/proc``, and wrk's own, over the measured run, divided by the requests): the app's,
  nginx's and wrk's share. When the cores are the limit, the most the MISS row can
  reach is one server's (app + wrk) over the cluster's (replicas + nginx + wrk).

Traffic goes to 127.0.0.1 only; every wrk run stops after ``--duration`` seconds.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import OUT, PY, ROOT, corpus, free_port, mixed_paths, wrk

from api.operations.cluster import ClusterSettings, nginx_binary

HOT = "/articles?pageSize=20"


def answers(url: str, proc: subprocess.Popen, deadline: float) -> bool:
    """Wait until ``url`` answers; False if ``proc`` exits or ``deadline`` passes first."""
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return True
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.05)


class Setup:
    """A process tree serving on ``port`` (the server, or the cluster's launcher)."""

    def __init__(self, module: str, env: dict[str, str], port: int, probe_ports: list[int]):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([PY, "-m", module], cwd=ROOT, env={**os.environ, **env})
        deadline = time.monotonic() + 180
        for probe in probe_ports:  # every replica ready, then the front door
            if not answers(f"http://127.0.0.1:{probe}/readyz", self.proc, deadline):
                self.stop()
                raise SystemExit(f"{module} did not start")

    def get_json(self, path: str):
        import json

        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return json.load(response)

    def pids(self) -> list[int]:
        """The launcher and every process under it."""
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            try:
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found.append(pid)
        return found

    def pss_mb(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def cpu_seconds(self) -> dict[str, float]:
        """User + system CPU time so far of nginx's processes and of the app's (the
        launchers, granian, its workers), every thread included."""
        ticks = os.sysconf("SC_CLK_TCK")
        totals = {"nginx": 0.0, "app": 0.0}
        for pid in self.pids():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            used = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
            totals["nginx" if name.startswith("nginx") else "app"] += used
        return totals

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=90)


def start_server(common: dict[str, str], port: int) -> Setup:
    """One server as ``make serve`` starts it (2 workers)."""
    env = {**common, "NEWS_API_PORT": str(port), "NEWS_API_WORKERS": "2"}
    return Setup("api.operations.server", env, port, [port])


def start_cluster(common: dict[str, str], replicas: int) -> Setup:
    """``make cluster``: ``replicas`` replicas of 1 worker and nginx, a fresh cache."""
    port, *replica_ports = free_ports(1 + replicas)
    first = replica_ports[0]
    env = {
        **common,
        "NEWS_API_PORT": str(port),
        "NEWS_API_REPLICAS": str(replicas),
        "NEWS_API_REPLICA_PORT": str(first),
    }
    return Setup("api.operations.cluster", env, port, [*replica_ports, port])


def free_ports(count: int) -> list[int]:
    """``count`` consecutive ports that are free now, below Linux's ephemeral range
    (32768 and up), where wrk's and nginx's own connections take their local ports."""
    while True:
        base = random.randrange(20000, 30000 - count)
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return list(range(base, base + count))


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
    before, wrk_before = setup.cpu_seconds(), _children_cpu()
    many = wrk(setup.base, args, ROOT / "bench" / "mixed.lua", str(distinct))
    after, wrk_after = setup.cpu_seconds(), _children_cpu()
    requests = max(many["requests"], 1)
    cpu = {kind: (after[kind] - before[kind]) / requests * 1e6 for kind in after}
    cpu["wrk"] = (wrk_after - wrk_before) / requests * 1e6
    return {"hot": hot, "distinct": many, "pss": setup.pss_mb(), "cpu": cpu}


def _children_cpu() -> float:
    """CPU seconds of this script's finished children (the wrk runs)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def nginx_alone(args, body: bytes) -> dict:
    """nginx with the cluster's worker count and keep-alive, serving ``body`` (the hot
    URL's answer) as a file it keeps open: no upstream, no cache lookup."""
    binary = nginx_binary(os.environ)
    settings = ClusterSettings.from_env(os.environ)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="news-api-nginx-alone-", dir=_memory()) as tmp:
        prefix = Path(tmp)
        (prefix / "hot.json").write_bytes(body)
        user = "user root;" if os.geteuid() == 0 else ""  # files here are root's
        temps = "\n".join(
            f"    {kind}_temp_path {prefix}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (prefix / "nginx.conf").write_text(
            f"""{user}
worker_processes {settings.proxy_workers};
daemon off;
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    server_tokens off;
    tcp_nodelay on;
    sendfile on;
    open_file_cache max=16 inactive=60s;  # the file is opened once, not per request
    open_file_cache_valid 60s;
    keepalive_timeout 65s;
    keepalive_requests 10000;
{temps}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{
            root {prefix};
            default_type application/json;
            try_files /hot.json =404;
        }}
    }}
}}
"""
        )
        proc = subprocess.Popen([binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf")])
        try:
            if not answers(f"http://127.0.0.1:{port}{HOT}", proc, time.monotonic() + 10):
                raise SystemExit("nginx alone did not start")
            short = argparse.Namespace(duration=3, connections=args.connections)
            wrk(f"http://127.0.0.1:{port}{HOT}", short)
            return wrk(f"http://127.0.0.1:{port}{HOT}", args)
        finally:
            proc.send_signal(signal.SIGQUIT)
            proc.wait(timeout=30)


def _memory() -> str | None:
    return "/dev/shm" if Path("/dev/shm").is_dir() else None


WARM_UP_PATHS = 5000
DISTINCT_PER_SECOND = 30_000  # more than any setup answers distinct lists on 2 cores


def split(paths_file: Path, warm_up_count: int = WARM_UP_PATHS) -> tuple[Path, Path]:
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
    parser.add_argument("--rounds", type=int, default=3, help="both setups, alternating")
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

    # The server's distinct URLs come from the corpus, asked of a first server.
    port = free_port()
    server = start_server(common, port)
    try:
        # Enough distinct URLs that none comes twice in a measured run: nginx would
        # answer the second from its cache (15,000 were cycled about five times over on
        # a machine where the replicas answer 7,800 a second).
        warm_up, distinct = split(
            mixed_paths(server, WARM_UP_PATHS + args.duration * DISTINCT_PER_SECOND)
        )
        with urllib.request.urlopen(server.base + HOT, timeout=10) as response:
            hot_body = response.read()
    finally:
        server.stop()

    # Each round starts both setups afresh (no response cache, an empty nginx cache: the
    # same distinct URLs are MISSes again), one after the other, in alternating order: a
    # ratio is taken between two runs a minute apart, and the median of the rounds is
    # what counts (this VM's rate drifts by a third between minutes).
    rounds: list[tuple[dict, dict]] = []
    for r in range(args.rounds):
        results = {}
        for kind in ("server", "cluster") if r % 2 == 0 else ("cluster", "server"):
            setup = (
                start_server(common, free_port())
                if kind == "server"
                else (start_cluster(common, args.replicas))
            )
            try:
                results[kind] = measure(setup, args, warm_up, distinct)
            finally:
                setup.stop()
        results["server"]["alone"] = nginx_alone(args, hot_body)
        rounds.append((results["server"], results["cluster"]))
    load_after = uptime()

    def median_of(kind: int, row: str) -> dict:
        runs = sorted((r[kind][row] for r in rounds), key=lambda run: run["rps"])
        return runs[len(runs) // 2]

    def ratio(row: str) -> float:
        return statistics.median(c[row]["rps"] / s[row]["rps"] for s, c in rounds)

    one = {row: median_of(0, row) for row in ("hot", "distinct")}
    proxied = {row: median_of(1, row) for row in ("hot", "distinct")}
    one["pss"] = statistics.median(s["pss"] for s, _ in rounds)
    proxied["pss"] = statistics.median(c["pss"] for _, c in rounds)
    alone = sorted((s["alone"] for s, _ in rounds), key=lambda run: run["rps"])[len(rounds) // 2]
    alone_ratio = statistics.median(s["alone"]["rps"] / s["hot"]["rps"] for s, _ in rounds)

    def cpu(kind: int, part: str) -> float:
        return statistics.median(r[kind]["cpu"][part] for r in rounds)

    one_cpu = cpu(0, "app") + cpu(0, "wrk")
    cluster_cpu = cpu(1, "app") + cpu(1, "nginx") + cpu(1, "wrk")

    def row(label: str, r: dict, vs_one_server: float | None) -> str:
        shown = "1" if vs_one_server is None else f"{vs_one_server:.2f}x"
        return (
            f"| {label} | {r['rps']:,.0f} | {shown} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['errors']} |"
        )

    def each_round(row: str) -> str:
        return ", ".join(f"{c[row]['rps'] / s[row]['rps']:.2f}x" for s, c in rounds)

    lines = [
        f"{args.count:,} articles; `wrk -t1 -c{args.connections} -d{args.duration}s` on the "
        f"same {os.cpu_count()} cores as everything else; {args.rounds} rounds; artifact built in "
        f"{build_seconds:.1f} s (0 if it existed).",
        f"Load before: `{load_before}`; after: `{load_after}`.",
        "",
        "| row | req/s | vs one server | p50 ms | p99 ms | non-2xx |",
        "|---|---:|---:|---:|---:|---:|",
        row(f"one server (2 workers): same URL `{HOT}`", one["hot"], None),
        row(
            f"nginx + {args.replicas} replicas: same URL (cache HIT)", proxied["hot"], ratio("hot")
        ),
        row("nginx alone: the same answer as a file (no upstream, no cache)", alone, alone_ratio),
        row("one server: distinct list URLs (mixed.lua)", one["distinct"], None),
        row(
            f"nginx + {args.replicas} replicas (1 worker each): distinct URLs (MISS)",
            proxied["distinct"],
            ratio("distinct"),
        ),
        "",
        f"Medians of {args.rounds} rounds (req/s: the median run; ratio: the median of "
        "each round's ratio). Each round's ratio: same URL "
        f"{each_round('hot')}; distinct URLs {each_round('distinct')}.",
        f"Memory (PSS, every process summed, after the load): one server "
        f"{one['pss']:,.0f} MB; nginx + {args.replicas} replicas {proxied['pss']:,.0f} MB.",
        "",
        "CPU per distinct request (µs, user + system, medians of the rounds): one server: "
        f"app {cpu(0, 'app'):.0f}, wrk {cpu(0, 'wrk'):.0f}; nginx + {args.replicas} replicas: "
        f"replicas {cpu(1, 'app'):.0f}, nginx {cpu(1, 'nginx'):.0f}, wrk {cpu(1, 'wrk'):.0f}. "
        f"With the cores as the limit, the MISS row can reach at most {one_cpu:,.0f} / "
        f"{cluster_cpu:,.0f} = **{one_cpu / cluster_cpu:.2f}x**.",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
