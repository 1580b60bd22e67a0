"""How long a one-file change takes to be served, under the real server (issue 13).

Usage::

    python bench/change_latency.py CORPUS_DIR [--cache DIR] [--rounds 3] [--timeout 300]

Starts the server as ``make serve`` does (2 workers, live reload on) over CORPUS_DIR
with its store in ``--cache`` (an existing artifact is mapped; otherwise the first build
is waited for, and timed), then, ``--rounds`` times each: changes one article's title,
adds an article, deletes one, and measures from the write to the first answer that
shows it (``/articles/{id}``, polled every 20 ms). Then it stops the server, changes
one more title while it is down, starts it again, and measures the restart (to
``/readyz``) and how long until the change is served. Everything it wrote is undone at the
end (the corpus is a generated one: never point this at ``seeds/``), and the server is
stopped. Prints one line per change and the median of each kind.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, dict | None]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except OSError:
        return 0, None


def builder_finished(base: str) -> float:
    """When the builder last finished a look at the folder (epoch seconds; 0: not yet)."""
    try:
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
            for line in response.read().decode().splitlines():
                if line.startswith("news_api_last_load_timestamp_seconds "):
                    return float(line.split()[1])
    except OSError:
        pass
    return 0.0


def wait_until(check, timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if check():
            return time.perf_counter() - started
        time.sleep(0.02)
    raise SystemExit(f"not served within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / "out" / "change-cache")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    if corpus == (ROOT / "seeds").resolve():
        raise SystemExit("this writes into the folder: use a generated corpus, not seeds/")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "NEWS_API_CONTENT_DIR": str(corpus),
        "NEWS_API_CACHE_DIR": str(args.cache),
        "NEWS_API_PORT": str(port),
        "NEWS_API_WORKERS": "2",
        "NEWS_API_LOG_LEVEL": "warning",
        "NEWS_API_ACCESS_LOG": os.devnull,
    }
    started = time.perf_counter()
    server = subprocess.Popen([PY, "-m", "api.operations.server"], cwd=ROOT, env=env)
    written: list[tuple[Path, bytes | None]] = []  # (path, original bytes or None if new)

    def new_title(path: Path) -> str:
        """Give the article of ``path`` a new title (undone at the end); returns it."""
        original = path.read_bytes()
        written.append((path, original))
        title = f"Changed by change_latency {time.time()}"
        text = original.decode()
        start = text.index("\ntitle:")
        end = text.index("\n", start + 1)
        path.write_text(text[:start] + f"\ntitle: '{title}'" + text[end:])
        return title

    def title_served(article_id: str, title: str) -> bool:
        return (get(f"{base}/articles/{article_id}")[1] or {}).get("title") == title

    try:
        started_at = time.time()
        ready = wait_until(lambda: get(f"{base}/readyz")[0] == 200, 7200)
        print(f"ready {ready:.1f} s after the start", flush=True)
        # A restart serves at once while the builder still looks at every file (a scan:
        # seconds at 1,000,000) holding the build lock: changes start after that look.
        settled = wait_until(lambda: builder_finished(base) >= started_at, 7200)
        print(f"the builder's first look at the folder ended {ready + settled:.1f} s after start")
        newest = get(f"{base}/articles?pageSize=3&fields=id")[1]["items"]
        times: dict[str, list[float]] = {"changed": [], "added": [], "deleted": []}
        files = sorted(p for p in corpus.rglob("*.md"))
        for round_ in range(args.rounds):
            # Changed: a new title for an article in the middle of the folder.
            path = files[len(files) // 2 + round_]
            original = path.read_bytes()
            title = new_title(path)
            t = wait_until(lambda p=path, want=title: title_served(p.stem, want), args.timeout)
            times["changed"].append(t)
            # Added: a copy of that file under a new name (a new id).
            new = path.with_name(f"zz-change-latency-{round_}.md")
            written.append((new, None))
            new.write_bytes(original)
            t = wait_until(
                lambda nid=new.stem: get(f"{base}/articles/{nid}")[0] == 200, args.timeout
            )
            times["added"].append(t)
            # Deleted: one of the newest articles.
            gone = next(corpus.rglob(f"{newest[round_]['id']}.md"))
            written.append((gone, gone.read_bytes()))
            gone.unlink()
            t = wait_until(
                lambda gid=gone.stem: get(f"{base}/articles/{gid}")[0] == 404, args.timeout
            )
            times["deleted"].append(t)
            print(
                f"round {round_ + 1}: changed {times['changed'][-1]:.2f} s, added "
                f"{times['added'][-1]:.2f} s, deleted {times['deleted'][-1]:.2f} s",
                flush=True,
            )
        print(
            "median: "
            + ", ".join(f"{kind} {statistics.median(v):.2f} s" for kind, v in times.items()),
            flush=True,
        )
        # Changed while the server is down: the restart serves the last version at once,
        # and its builder patches that version with the change.
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=300)
        path = files[len(files) // 3]
        title = new_title(path)
        server = subprocess.Popen([PY, "-m", "api.operations.server"], cwd=ROOT, env=env)
        ready = wait_until(lambda: get(f"{base}/readyz")[0] == 200, 7200)
        served = ready + wait_until(lambda: title_served(path.stem, title), args.timeout)
        print(
            f"changed while down: ready {ready:.2f} s after the start, the change served "
            f"after {served:.2f} s",
            flush=True,
        )
    finally:
        for path, original in reversed(written):
            if original is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(original)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
        print(f"(ran {time.perf_counter() - started:.0f} s; the corpus is restored)")


if __name__ == "__main__":
    main()
