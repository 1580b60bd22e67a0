"""Soak test: sustained load on the real server while its content folder keeps changing.

Usage::

    python bench/soak.py [--count 10000] [--duration 240] [--change-every 15] [--threads 4]

Copies (or generates) a corpus of ``--count`` articles into ``bench/out/soak-<count>/``,
starts the server as ``make serve`` does (the launcher, granian: 2
workers, live reload on, first index built in the background, an empty build cache),
waits for ``/readyz``, then for ``--duration`` seconds sends requests from ``--threads``
threads (http.client, one request after another) while every ``--change-every`` seconds
the folder changes: articles added, articles rewritten, the added ones removed, files
touched, and now and then a ``SIGHUP`` with nothing changed. Every response must be a
200; the load only asks for articles that are never removed.

Reports requests served, errors (must be zero), the content versions seen (reloads),
latency, and the memory of the master and its workers (RSS and PSS, from
``/proc/PID/smaps_rollup``) at the start of the load, at each change and at the end.
Exit status 1 if any request failed. Traffic goes to 127.0.0.1 only, and it stops by
itself after ``--duration`` seconds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def corpus(count: int) -> Path:
    """A fresh copy of the benchmark corpus of ``count`` articles (generated if needed)."""
    source = OUT / f"corpus-{count}"
    if not (source / ".complete").exists():
        shutil.rmtree(source, ignore_errors=True)
        subprocess.run(
            [PY, "bench/generate.py", str(source), "--count", str(count)], cwd=ROOT, check=True
        )
        (source / ".complete").write_text("ok")
    folder = OUT / f"soak-{count}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns(".complete"))
    return folder


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            for task in Path(f"/proc/{parent}/task").iterdir():
                children = [int(c) for c in (task / "children").read_text().split()]
                found += children
                todo += children
        except OSError:  # exited meanwhile
            continue
    return found


def memory(master: int) -> dict[str, float]:
    """RSS and PSS in MB: the launcher's (with the builder), and the server's (granian and
    its workers) summed."""
    children = descendants(master)
    result = {"master_rss": 0.0, "workers_rss": 0.0, "pss": 0.0, "workers": len(children)}
    for pid in [master, *children]:
        try:
            lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        except OSError:  # a worker that just exited
            continue
        for line in lines:
            name, *rest = line.split()
            if name == "Rss:":
                result["master_rss" if pid == master else "workers_rss"] += int(rest[0]) / 1024
            elif name == "Pss:":
                result["pss"] += int(rest[0]) / 1024
    return result


def fmt_memory(m: dict[str, float]) -> str:
    return (
        f"launcher RSS {m['master_rss']:,.0f} MB + {m['workers']} server processes RSS "
        f"{m['workers_rss']:,.0f} MB = {m['master_rss'] + m['workers_rss']:,.0f} MB "
        f"(PSS {m['pss']:,.0f} MB)"
    )


class Load:
    """Threads sending GETs one after another over http.client until stopped."""

    def __init__(self, port: int, urls: list[str], threads: int) -> None:
        self.port = port
        self.urls = urls
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.requests = 0
        self.errors: Counter[str] = Counter()
        self.versions: dict[str, int] = {}  # version -> first request number that saw it
        self.latencies: list[float] = []
        self.threads = [
            threading.Thread(target=self.run, args=(random.Random(i),)) for i in range(threads)
        ]

    def run(self, rng: random.Random) -> None:
        connection = None
        latencies, errors, versions, count = [], Counter(), {}, 0
        while not self.stop.is_set():
            url = rng.choice(self.urls)
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            started = time.perf_counter()
            try:
                connection.request("GET", url)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    errors[f"HTTP {response.status} {url}"] += 1
                versions.setdefault(response.getheader("X-Content-Version"), count)
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as exc:
                errors[f"{type(exc).__name__} {url}"] += 1
                connection.close()
                connection = None
            latencies.append(time.perf_counter() - started)
            count += 1
            if count % 200 == 0:
                self._merge(latencies, errors, versions, count)
                latencies, errors, versions, count = [], Counter(), {}, 0
        self._merge(latencies, errors, versions, count)

    def _merge(self, latencies, errors, versions, count) -> None:
        with self.lock:
            for version in versions:
                self.versions.setdefault(version, self.requests)
            self.requests += count
            self.errors.update(errors)
            self.latencies.extend(latencies)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def load_urls(port: int, folder: Path) -> list[str]:
    """Lists with various filters, sorts and pages, single articles that stay put, and
    searches."""
    ids = sorted(p.stem for p in folder.rglob("a*.md"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/topics?sort=-articleCount&pageSize=10")
    topics = [t["id"] for t in json.loads(connection.getresponse().read())["items"]]
    connection.close()
    rng = random.Random(7)
    urls = ["/", "/articles", "/topics", "/providers?sort=-articleCount", "/readyz"]
    for _ in range(300):
        urls.append(f"/articles/{rng.choice(ids)}")
        urls.append(f"/articles?page={rng.randint(1, 50)}&sort={rng.choice(['title', '-quality'])}")
    urls += [f"/articles?topic={topic}&pageSize=50" for topic in topics]
    urls += [f"/topics/{topic}/articles?sort=-heat" for topic in topics]
    # Search, facets, suggestions and similar articles: each worker opens the search
    # database of its index, which a reload replaces.
    words = ["climate", "election", "market", "energy", "policy", "report", "study"]
    for word in words:
        urls.append(f"/articles?q={word}&highlight=true&facets=topic,provider,year")
        urls.append(f"/articles?q={word}&topic={rng.choice(topics)}&sort=title")
        urls.append(f"/suggest?q={word[:3]}")
    urls += [f"/articles/{rng.choice(ids)}/similar" for _ in range(20)]
    return urls


class Changes:
    """Changes the folder in a cycle; each step is one reload (or a plain HUP)."""

    def __init__(self, folder: Path, master: int) -> None:
        self.folder = folder
        self.master = master
        self.files = sorted(folder.rglob("a*.md"))
        self.step = 0
        self.added: list[Path] = []

    def next(self) -> str:
        kind = ("add", "rewrite", "remove", "touch", "hup")[self.step % 5]
        self.step += 1
        if kind == "add":
            for i in range(5):
                source = self.files[(self.step * 7 + i) % len(self.files)]
                target = self.folder / "soak" / f"s{self.step:04d}_{i}.md"
                target.parent.mkdir(exist_ok=True)
                text = source.read_text("utf-8").replace('title: "', 'title: "Soak: ', 1)
                target.write_text(text, "utf-8")
                self.added.append(target)
        elif kind == "rewrite":
            for i in range(3):
                path = self.files[(self.step * 13 + i) % len(self.files)]
                path.write_text(path.read_text("utf-8") + f"\nRewritten at step {self.step}.\n")
        elif kind == "remove":
            for path in self.added:
                path.unlink()
            self.added = []
        elif kind == "touch":
            for path in self.files[self.step : self.step + 20]:
                os.utime(path)
        else:
            os.kill(self.master, signal.SIGHUP)  # nothing changed: a reload that finds so
        return kind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=240, help="seconds of load")
    parser.add_argument("--change-every", type=float, default=15, help="seconds")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))  # stop the server

    folder = corpus(args.count)
    cache = OUT / "soak-cache"
    shutil.rmtree(cache, ignore_errors=True)
    port = free_port()
    env = {
        **os.environ,
        "NEWS_API_PORT": str(port),
        "NEWS_API_CONTENT_DIR": str(folder),
        "NEWS_API_CACHE_DIR": str(cache),
    }
    log_path = OUT / "soak-server.log"
    log = log_path.open("w")
    cmd = [PY, "-m", "api.operations.server"]
    started = time.perf_counter()
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        not_ready, alive_at = 0, None
        while True:
            if server.poll() is not None or time.perf_counter() - started > 300:
                raise SystemExit(f"the server did not become ready; see {log_path}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/readyz")
                status = connection.getresponse().status
                connection.close()
            except OSError:
                time.sleep(0.05)
                continue
            alive_at = alive_at or time.perf_counter() - started
            if status == 200:
                break
            not_ready += 1
            time.sleep(0.1)
        ready_at = time.perf_counter() - started
        print(
            f"serving {args.count:,} articles: answering after {alive_at:.1f} s, ready after "
            f"{ready_at:.1f} s (cold build, {not_ready} /readyz 503s before)",
            flush=True,
        )

        load = Load(port, load_urls(port, folder), args.threads)
        changes = Changes(folder, server.pid)
        load.start()
        load_started = time.perf_counter()
        time.sleep(min(10, args.duration / 4))  # warm up: every worker has served a while
        first_memory = memory(server.pid)
        print(f"start: {fmt_memory(first_memory)}", flush=True)
        memories = [first_memory]
        next_change = time.perf_counter()
        kinds: Counter[str] = Counter()
        while (now := time.perf_counter()) - load_started < args.duration:
            if server.poll() is not None:
                load.finish()
                raise SystemExit(f"the server exited (status {server.returncode}); see {log_path}")
            if now >= next_change:
                kind = changes.next()
                kinds[kind] += 1
                next_change += args.change_every
                time.sleep(min(3, args.change_every / 2))
                memories.append(memory(server.pid))
                print(
                    f"{now - load_started:6.0f} s  {kind:7s}  {load.requests:9,} requests "
                    f"{sum(load.errors.values())} errors  {len(load.versions)} versions  "
                    f"{fmt_memory(memories[-1])}",
                    flush=True,
                )
            time.sleep(0.2)
        load.finish()
        elapsed = time.perf_counter() - load_started
        last_memory = memory(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()

    server_log = log_path.read_text()
    latencies = sorted(load.latencies)
    totals = [m["master_rss"] + m["workers_rss"] for m in [*memories, last_memory]]
    changes_done = sum(kinds.values())
    print()
    print(
        f"duration: {elapsed:.0f} s of load, {args.threads} threads, changes every "
        f"{args.change_every:.0f} s: {dict(kinds)}"
    )
    print(
        f"requests: {load.requests:,} ({load.requests / elapsed:,.0f}/s); "
        f"errors: {sum(load.errors.values())}"
    )
    for error, n in load.errors.most_common(10):
        print(f"  {n:6,}  {error}")
    print(
        f"latency: p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms"
    )
    print(
        f"content versions seen by the load: {len(load.versions)} "
        f"(reloads logged: {server_log.count('reloaded: version')}, "
        f"failed: {server_log.count('failed')}; changes made: {changes_done})"
    )
    print(f"memory at start: {fmt_memory(first_memory)}")
    print(f"memory at end:   {fmt_memory(last_memory)}")
    print(f"total RSS over the run: min {min(totals):,.0f} MB, max {max(totals):,.0f} MB")
    if load.errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
