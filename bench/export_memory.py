"""Export memory: does a whole-corpus export stream with flat memory?

Serves a corpus with gunicorn (one worker, so there is one process to watch), downloads
every export of all articles with curl to /dev/null while sampling the worker's memory
every 0.2 s, and prints a markdown table: the worker's VmRSS before, its peak during
the download and after, and its private memory (Private_Clean + Private_Dirty from
/proc/PID/smaps_rollup, what the worker does not share with the master) before and at
the end, next to the size of what was sent. Stops the server and exits by itself; every
step has a time limit.

Usage::

    python bench/generate.py /tmp/feeds100k --count 100000   # once, takes a while
    .venv/bin/python bench/export_memory.py /tmp/feeds100k [--port PORT]

The first start builds the index (about a minute for 100,000 articles; the build cache
under --cache-dir makes later starts take a second or two).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def exports(topic: str) -> list[tuple[str, str, dict[str, str]]]:
    """What to download, in order. Each export of the same format first for one topic
    (about a tenth of the articles), then for all: if memory grew with the number of
    articles, the whole export would add about ten times what the topic's did."""
    return [
        (f"NDJSON, topic {topic}", f"/topics/{topic}/export.ndjson", {}),
        ("NDJSON, all", "/articles/export.ndjson", {}),
        (f"CSV, topic {topic}", f"/topics/{topic}/export.csv", {}),
        ("CSV, all", "/articles/export.csv", {}),
        ("NDJSON, all, gzip", "/articles/export.ndjson", {"Accept-Encoding": "gzip"}),
        ("NDJSON, all, fields=id,title", "/articles/export.ndjson?fields=id,title", {}),
        ("NDJSON, search q=climate", "/articles/export.ndjson?q=climate", {}),
        ("CSV, search q=climate", "/articles/export.csv?q=climate", {}),
    ]


def tenth_topic(base: str, total: int) -> tuple[str, int]:
    """The topic whose article count is closest to a tenth of all articles."""
    with urllib.request.urlopen(f"{base}/topics?pageSize=100", timeout=30) as response:
        topics = json.load(response)["items"]
    best = min(topics, key=lambda t: abs(t["articleCount"] - total / 10))
    return best["id"], best["articleCount"]


def memory(pid: int) -> dict[str, int]:
    """VmRSS and private memory of ``pid``, in kB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            out["rss"] = int(line.split()[1])
    private = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            private += int(line.split()[1])
    out["private"] = private
    return out


def worker_of(master: int) -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                return int(entry.name)
    raise RuntimeError("no gunicorn worker found")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, proc: subprocess.Popen, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            urllib.request.urlopen(f"{base}/articles?pageSize=1", timeout=5).read()
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise RuntimeError("the server did not start in time")


def download(url: str, headers: dict[str, str], pid: int) -> dict[str, float]:
    """curl the URL to /dev/null while sampling ``pid``'s memory every 0.2 s."""
    samples: list[dict[str, int]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(memory(pid))
            done.wait(0.2)

    before = memory(pid)
    sampler = threading.Thread(target=sample)
    sampler.start()
    cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total}"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    try:
        status, size, seconds = subprocess.run(
            [*cmd, url], capture_output=True, text=True, timeout=600, check=True
        ).stdout.split()
    finally:
        done.set()
        sampler.join()
    after = memory(pid)
    assert status == "200", status
    return {
        "bytes": int(size),
        "seconds": float(seconds),
        "rss_before": before["rss"],
        "rss_peak": max(s["rss"] for s in [before, *samples, after]),
        "rss_after": after["rss"],
        "private_before": before["private"],
        "private_peak": max(s["private"] for s in [before, *samples, after]),
        "samples": len(samples),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--cache-dir", default="/tmp/news-api-export-memory-cache")
    parser.add_argument("--start-timeout", type=float, default=600)
    args = parser.parse_args()
    if not shutil.which("curl"):
        sys.exit("curl is needed")
    args.port = args.port or free_port()
    with socket.socket() as s:  # another server there would answer in our place
        s.bind(("127.0.0.1", args.port))
    base = f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "NEWS_API_CONTENT_DIR": str(args.corpus),
        "NEWS_API_CACHE_DIR": args.cache_dir,
        "NEWS_API_PORT": str(args.port),
        "NEWS_API_WORKERS": "1",
        "NEWS_API_TIMEOUT": "300",  # a slow, busy machine must not kill a long export
        "NEWS_API_LOG_LEVEL": "warning",
    }
    server = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    proc = subprocess.Popen(server, cwd=ROOT, env=env)
    try:
        started = time.monotonic()
        wait_ready(base, proc, args.start_timeout)
        print(f"server ready in {time.monotonic() - started:.1f} s", file=sys.stderr)
        pid = worker_of(proc.pid)
        with urllib.request.urlopen(f"{base}/articles?pageSize=1", timeout=30) as response:
            total = int(response.headers["X-Total-Count"])
        topic, count = tenth_topic(base, total)
        print(
            f"\n{total:,} articles (topic {topic}: {count:,}); one worker, pid {pid}; "
            "memory in MB (1 MB = 1024 kB)\n"
        )
        print(
            "| export | sent MB | seconds | VmRSS before | VmRSS peak | VmRSS after "
            "| peak - before | private before | private peak |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for label, path, headers in exports(topic):
            r = download(base + path, headers, pid)
            mb = lambda kb: f"{kb / 1024:,.1f}"  # noqa: E731
            print(
                f"| {label} | {r['bytes'] / 2**20:,.1f} | {r['seconds']:.1f} "
                f"| {mb(r['rss_before'])} | {mb(r['rss_peak'])} | {mb(r['rss_after'])} "
                f"| {mb(r['rss_peak'] - r['rss_before'])} | {mb(r['private_before'])} "
                f"| {mb(r['private_peak'])} |",
                flush=True,
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
