"""Sync at scale, in-process: recording a version, ``/sync?token=`` after a one-file
change, and the memory of a whole initial sync (issue 16).

Usage::

    python bench/sync_bench.py [--count 100000] [--dir /tmp/sync-bench] [--requests 300]

Generates ``--count`` articles under ``DIR/content`` (bench/generate.py, once), builds the
app over them with its cache in ``DIR/cache`` (a new history each run), walks an initial
sync of every article (``pageSize=100``) sampling this process's RSS after each page,
changes one file, reloads, then times ``--requests`` requests for the delta.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import create_app  # noqa: E402
from api.content import history  # noqa: E402


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/sync-bench"))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--skip-walk", action="store_true", help="no initial sync")
    args = parser.parse_args()
    content = args.dir / f"content-{args.count}"
    if not content.exists():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench/generate.py"),
                str(content),
                "--count",
                str(args.count),
                "--jobs",
                "2",
            ],
            check=True,
        )
    cache = args.dir / "cache"
    shutil.rmtree(cache / "history-only", ignore_errors=True)
    timings: dict[str, list[tuple[float, float]]] = {}
    record = history.record

    def timed_record(*a, **kw):
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return record(*a, **kw)
        finally:
            spent = (time.perf_counter() - started, time.thread_time() - cpu)
            timings.setdefault("record", []).append(spent)

    history.record = timed_record
    started = time.perf_counter()
    app = create_app({"CONTENT_DIR": str(content), "CACHE_DIR": str(cache), "LOG_LEVEL": "warning"})
    articles = len(app.extensions["content"].index)
    print(f"app ready in {time.perf_counter() - started:.1f}s ({articles} articles)")
    shutil.rmtree(
        app.extensions["sync"].store_dir
    )  # a new history: the first record is the baseline
    history.record(app.extensions["sync"].store_dir, app.extensions["content"].index)
    client = app.test_client()

    # The initial sync: RSS sampled after every page.
    before = rss_mib()
    samples, pages, items = [], 0, 0
    url = "/sync?pageSize=100"
    started = time.perf_counter()
    if args.skip_walk:  # only the last page, for its nextSyncUrl
        count = len(app.extensions["content"].index)
        last_id = app.extensions["content"].index.article_id(count - 2)
        from api.resources.sync_tokens import InitialPage, encode

        store = app.extensions["sync"].history.store_id()
        url = f"/sync?pageSize=100&token={encode(InitialPage(store, 1, last_id))}"
    while url:
        page = client.get(url).get_json()
        items += len(page["items"])
        pages += 1
        samples.append(rss_mib())
        url = page["nextPageUrl"]
        next_sync = page["nextSyncUrl"]
    walk = time.perf_counter() - started
    print(
        f"initial sync: {items} articles in {pages} pages, {walk:.1f}s; RSS before "
        f"{before:.0f} MiB, after the first page {samples[0]:.0f}, at the end "
        f"{samples[-1]:.0f}, peak {max(samples):.0f} MiB"
    )

    # One file changes; the reload records the new version.
    victim = next(content.rglob("*.md"))
    text = victim.read_text()
    victim.write_text(text + "\nOne more line.\n")
    try:
        started = time.perf_counter()
        app.extensions["reloader"].reload_now(raise_errors=True)
        (base_wall, base_cpu), (wall, cpu) = timings["record"][0], timings["record"][-1]
        print(
            f"reload after one change: {time.perf_counter() - started:.1f}s, of which recording "
            f"the version {wall * 1000:.1f} ms wall, {cpu * 1000:.1f} ms CPU (the baseline, "
            f"every article: {base_wall * 1000:.0f} ms wall, {base_cpu * 1000:.0f} ms CPU)"
        )
        path = next_sync.removeprefix("http://localhost")
        first = client.get(path).get_json()
        assert [(i["kind"], i["id"]) for i in first["items"]] == [("updated", victim.stem)], first
        durations, cpus = [], []
        for _ in range(args.requests):
            started, cpu = time.perf_counter(), time.thread_time()
            response = client.get(path)
            durations.append(time.perf_counter() - started)
            cpus.append(time.thread_time() - cpu)
            assert response.status_code == 200
        for name, values in (("wall", durations), ("CPU", cpus)):
            values.sort()
            print(
                f"/sync?token= after one change ({args.requests} requests, in-process test "
                f"client), {name}: median {statistics.median(values) * 1000:.2f} ms, "
                f"p95 {values[int(len(values) * 0.95)] * 1000:.2f} ms, "
                f"max {values[-1] * 1000:.2f} ms"
            )
    finally:
        victim.write_text(text)


if __name__ == "__main__":
    main()
