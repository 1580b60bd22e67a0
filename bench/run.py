"""Benchmark the API against a bare Flask app, with wrk, on generated corpora.

Usage::

    python bench/run.py [--sizes 10000,100000] [--duration 10] [--connections 16]
                        [--corpus-root DIR] [--store DIR]

For each corpus size: generate the corpus (once; kept under ``bench/out/``, or
``--corpus-root``), time a cold build and a restart with unchanged content (process start
to the first 200), start the server as ``make serve`` does (the launcher: granian, 2
workers mapping the index artifact), and load each query with wrk, next to two
references in the same run: a bare "hello" Flask app under gunicorn (2 sync workers, as
the project served before) and under granian (2 workers). Rows that claim a query path
use thousands of distinct URLs (no cache carries them); repeated URLs are labelled
"hot". Then the whole server's memory (PSS) with 2 and with 4 workers. Prints a
markdown table (and writes it to ``bench/out/results-<size>.md``). Traffic goes to
127.0.0.1 only; every wrk run is bounded by ``--duration``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PY = sys.executable
SEARCH_WORD = "climate"  # a common word of the generated corpus (bench/generate.py)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server on a free port, and the time from its start until it answers ``probe``.

    ``kind``: ``api`` (the project as ``make serve`` starts it), ``hello-gunicorn`` or
    ``hello-granian`` (the bare app of bench/hello.py)."""

    def __init__(self, kind: str, env: dict[str, str], probe: str = "/", workers: int = 2):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            **env,
            "NEWS_API_PORT": str(self.port),
            "NEWS_API_WORKERS": str(workers),
            "NEWS_API_LOG_LEVEL": "warning",
            # Access lines are written (JSON, as in production) but not to the terminal.
            "NEWS_API_ACCESS_LOG": os.devnull,
        }
        address = f"127.0.0.1:{self.port}"
        cmd = {
            "api": [PY, "-m", "api.operations.server"],
            "hello-gunicorn": [
                PY, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync",
                "--bind", address, "--chdir", "bench", "--log-level", "warning", "hello:app",
            ],
            "hello-granian": [
                PY, "-m", "granian", "--interface", "wsgi", "--http", "1", "--no-ws",
                "--workers", str(workers), "--blocking-threads", "1", "--host", "127.0.0.1",
                "--port", str(self.port), "--working-dir", "bench", "--log-level", "warning",
                "hello:app",
            ],
        }[kind]  # fmt: skip
        started = time.perf_counter()
        self.started_at = time.time()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
        while True:
            try:
                urllib.request.urlopen(self.base + probe, timeout=2).close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit(f"{kind} did not start") from None
                time.sleep(0.02)
        self.startup = time.perf_counter() - started

    def builder_settled(self, timeout: float = 600) -> float:
        """Seconds from the start until the builder (in the launcher, at a lower priority)
        finished its first look at the folder: a restart serves at once, while the
        builder still scans every file (a minute at 1,000,000); rows measured meanwhile
        share the cores with it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with urllib.request.urlopen(self.base + "/metrics", timeout=10) as response:
                for line in response.read().decode().splitlines():
                    if line.startswith("news_api_last_load_timestamp_seconds "):
                        finished = float(line.split()[1])
                        if finished >= self.started_at:
                            return finished - self.started_at
            time.sleep(0.5)
        raise SystemExit("the builder did not finish its first look at the folder")

    def get_json(self, path: str):
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return json.load(response)

    def etag(self, path: str) -> str:
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return response.headers["ETag"]

    def memory(self) -> tuple[float, float, float]:
        """(RSS, PSS, peak RSS) in MiB of the whole process tree, summed."""
        rss = pss = peak = 0
        for pid in process_tree(self.proc.pid):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                name, *rest = line.split()
                if name == "Rss:":
                    rss += int(rest[0])
                elif name == "Pss:":
                    pss += int(rest[0])
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak += int(line.split()[1])
        return rss / 1024, pss / 1024, peak / 1024

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it (children of any of their threads)."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        for task in Path(f"/proc/{pid}/task").iterdir():
            todo += [int(c) for c in (task / "children").read_text().split()]
    return pids


def wrk(
    url: str,
    args: argparse.Namespace,
    script: Path | None = None,
    arg: str = "",
    header: str | None = None,
) -> dict:
    cmd = [
        "wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
        "--timeout", "5s",
    ]  # fmt: skip
    if header:
        cmd += ["-H", header]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(url)
    if arg:
        cmd += ["--", arg]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": _ms(lat["50"]),
        "p99": _ms(lat["99"]),
        "errors": (int(errors.group(1)) if errors else 0),
        "socket": socket_errors.group(1) if socket_errors else "",
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def corpus(size: int, root: Path) -> Path:
    folder = root / f"corpus-{size}"
    done = folder / ".complete"
    if not done.exists():
        if folder.exists() and any(folder.iterdir()):
            # Never deleted here: it may be a corpus generated by hand (bench/generate.py),
            # whose store took minutes to build; re-generating it changes every mtime.
            raise SystemExit(
                f"{folder} exists but was not generated by run.py (no {done.name}): "
                f"remove it, or `touch {done}` if it is a complete {size:,}-article corpus"
            )
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(
            [PY, "bench/generate.py", str(folder), "--count", str(size)], cwd=ROOT, check=True
        )
        done.write_text("ok")
    return folder


def parse_times(folder: Path, sample: int = 2000) -> tuple[float, float]:
    """Per-file µs on one core: our reader vs plain yaml.CSafeLoader on the front matter."""
    code = f"""
import random, time, yaml
from pathlib import Path
from api.content.seeds import scan_content_files, read_article
root = Path({str(folder)!r})
files = [root / rel for rel in scan_content_files(root)]
files = random.Random(1).sample(files, min({sample}, len(files)))
texts = [f.read_text("utf-8") for f in files]
t = time.perf_counter()
for f in files: read_article(f, root)
ours = time.perf_counter() - t
t = time.perf_counter()
for f in files: yaml.load(f.read_text("utf-8").split("---\\n", 2)[1], Loader=yaml.CSafeLoader)
plain = time.perf_counter() - t
print(ours / len(files) * 1e6, plain / len(files) * 1e6)
"""
    out = subprocess.run(
        [PY, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    ours, plain = map(float, out.split())
    return ours, plain


def corpus_json_mib(folder: Path, cache: Path) -> float:
    """Size of every article's full JSON, read through the warm cache, in MiB: the unit
    of the PSS figures (``smaps_rollup``'s kB are KiB). (Until session 14 this divided
    by 10^6, which made every PSS / JSON ratio 4.9% lower than it was.)"""
    code = (
        "from pathlib import Path; from api.content.build import build_index; "
        f"i, _ = build_index(Path({str(folder)!r}), cache_dir=Path({str(cache)!r})); "
        "print(sum(len(i.article_json(r)) for r in i.ids))"
    )
    out = subprocess.run([PY, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return int(out.stdout) / 2**20


def mixed_paths(server: Server, count: int = 20000) -> Path:
    """Thousands of distinct article queries, drawn at random (seeded)."""
    rng = random.Random(7)
    topics = [t["id"] for t in server.get_json("/topics?pageSize=100")["items"]]
    providers = [
        p["id"] for p in server.get_json("/providers?pageSize=100&sort=-articleCount")["items"]
    ]
    sorts = ["-publishedDateTime", "publishedDateTime", "-quality", "quality", "-heat", "title"]
    categories = ["news", "analysis", "opinion", "review", "feature"]
    paths: set[str] = set()
    while len(paths) < count:
        params = []
        if rng.random() < 0.6:
            params.append(f"topic={rng.choice(topics)}")
        if rng.random() < 0.4:
            params.append(f"provider={rng.choice(providers)}")
        if rng.random() < 0.3:
            year = rng.randint(2019, 2025)
            params.append(f"from={year}-{rng.randint(1, 12):02d}-01&to={year + 1}-06-30")
        if rng.random() < 0.2:
            params.append(f"minQuality={rng.randint(10, 90)}")
        if rng.random() < 0.1:
            params.append(f"category={rng.choice(categories)}")
        params.append(f"sort={rng.choice(sorts)}")
        params.append(f"page={rng.randint(1, 50)}")
        params.append(f"pageSize={rng.choice([10, 20, 25, 50])}")
        paths.add("/articles?" + "&".join(params))
    return paths_file("mixed", paths)


def paths_file(name: str, paths) -> Path:
    file = OUT / f"{name}-paths.txt"
    file.write_text("\n".join(sorted(paths)) + "\n")
    return file


# Each distinct row cycles through its file: a URL comes back only after every other one
# has been asked, by then evicted from every worker's cache of answers (RESPONSE_CACHE_SIZE,
# 256 a worker) as long as a file holds several times that many URLs per worker.
MIN_DISTINCT = 2_000


def search_paths(server: Server, topics: list[str], article: str) -> dict[str, Path]:
    """Distinct searches (words from real titles), with a phrase, with facets; suggestion
    prefixes; similar articles of distinct ids. At least ``MIN_DISTINCT`` URLs a row, so
    that no cache carries one."""
    rng = random.Random(11)
    titles = [
        item["title"]
        for page in range(1, 11)
        for item in server.get_json(f"/articles?pageSize=100&page={page}&fields=title")["items"]
    ]
    words = sorted({w.lower() for title in titles for w in re.findall(r"[A-Za-z]{4,}", title)})
    searches = {f"/articles?q={w}&topic={rng.choice(topics)}" for w in words for _ in range(4)}
    phrases = set()
    for title in titles:
        found = re.findall(r"[A-Za-z]{4,}", title)
        for a, b in itertools.pairwise(found):
            phrases.add(f"/articles?q={rng.choice(words)}+%22{a.lower()}+{b.lower()}%22")
    # The same words, each with a few page sizes of facet values (5 to 8): distinct URLs,
    # the same work.
    facets = {
        f"/articles?q={w}&facets=topic,provider,category,type,year&facetSize={size}"
        for w in words
        for size in (5, 6, 7, 8)
    }
    prefixes = {f"/suggest?q={w[:n]}" for w in words for n in (2, 3, 4, 5, 6)}
    # A search box after a space: a word of a title, then the start of the next one.
    typed = {
        f"/suggest?q={a.lower()}+{b.lower()[:n]}"
        for title in titles
        for a, b in itertools.pairwise(re.findall(r"[A-Za-z]+", title))
        for n in (1, 2, 3, 4)
    }
    ids = {
        item["id"]
        for page in range(1, 41)
        for item in server.get_json(f"/articles?sort=title&pageSize=100&page={page}&fields=id")[
            "items"
        ]
    }
    similar = {f"/articles/{i}/similar" for i in ids}
    for name, urls in (
        ("searches", searches),
        ("phrases", phrases),
        ("facets", facets),
        ("prefixes", prefixes),
        ("typed", typed),
        ("similar", similar),
    ):
        if len(urls) < MIN_DISTINCT:
            raise SystemExit(f"only {len(urls)} distinct {name} URLs (< {MIN_DISTINCT})")
    return {
        "search, one word + topic": paths_file("search", searches),
        "search, two words with a phrase": paths_file("phrase", phrases),
        "search, one word + all five facets": paths_file("facets", facets),
        "suggest, 2-6 letters": paths_file("suggest", prefixes),
        "suggest, a word and a start": paths_file("suggest-words", typed),
        "similar articles": paths_file("similar", similar),
    }


def bench_size(size: int, args) -> str:
    folder = corpus(size, args.corpus_root)
    cache = args.store or OUT / f"cache-{size}"
    if args.store is None:
        shutil.rmtree(cache, ignore_errors=True)
    env = {"NEWS_API_CONTENT_DIR": str(folder), "NEWS_API_CACHE_DIR": str(cache)}
    ours_us, plain_us = parse_times(folder)

    cold = None
    if args.store is None:
        cold = Server("api", env, "/topics")  # answers once the first artifact is built
        cold.stop()
    warm = Server("api", env, "/topics")  # maps the artifact: process start to first 200
    server = warm
    settled = warm.builder_settled()  # no row shares the cores with the builder's scan
    refs: list[Server] = []
    try:
        refs.append(Server("hello-gunicorn", {}, "/hello"))
        refs.append(Server("hello-granian", {}, "/hello"))
    except BaseException:
        for s in (server, *refs):
            s.stop()  # never leave a server behind
        raise
    gunicorn_hello, granian_hello = refs
    try:
        top_topic = server.get_json("/topics?sort=-articleCount&pageSize=1")["items"][0]["id"]
        top_provider = server.get_json("/providers?sort=-articleCount&pageSize=1")["items"][0]["id"]
        article = server.get_json("/articles?sort=-heat&pageSize=1")["items"][0]["id"]
        hot = {
            "hot: newest first, page 1": "/articles",
            "hot: one topic": f"/articles?topic={top_topic}",
            "hot: one provider": f"/articles?provider={top_provider}",
            "hot: topic AND provider, date range": f"/articles?topic={top_topic}"
            f"&provider={top_provider}&from=2020-01-01&to=2024-12-31",
            "hot: sort by quality": "/articles?sort=-quality",
            "hot: page 200": "/articles?page=200",
            "hot: one article": f"/articles/{article}",
            "hot: its related items": f"/articles/{article}/related",
            "hot: providers list": "/providers",
            "hot: topics list": "/topics",
            "hot: fields=id,title,publishedDateTime": "/articles?fields=id,title,publishedDateTime",
            "hot: cursor walk, page after one": "/articles?sort=title&cursor="
            + server.get_json("/articles?sort=title&cursor=")["links"]["next"].split("cursor=")[1],
        }
        etag = server.etag(f"/articles?topic={top_topic}")

        def reference_rows(label: str) -> list:
            return [
                (f"hello, gunicorn sync ({label})", wrk(gunicorn_hello.base + "/hello", args)),
                (f"hello, granian ({label})", wrk(granian_hello.base + "/hello", args)),
            ]

        rows = reference_rows("before")
        for name, path in hot.items():
            rows.append((name, wrk(server.base + path, args)))
        rows.append(
            (
                "hot: 304, one topic, If-None-Match",
                wrk(
                    f"{server.base}/articles?topic={top_topic}",
                    args,
                    header=f"If-None-Match: {etag}",
                ),
            )
        )
        topics = [t["id"] for t in server.get_json("/topics?pageSize=100")["items"]]
        distinct = {"lists": mixed_paths(server), **search_paths(server, topics, article)}
        for name, file in distinct.items():
            count = len(file.read_text().splitlines())
            script = ROOT / "bench" / "mixed.lua"
            rows.append(
                (f"distinct {name}: {count:,} URLs", wrk(server.base, args, script, str(file)))
            )
        rows += reference_rows("after")
        rss, pss, peak = server.memory()
    finally:
        for s in (server, *refs):
            s.stop()
    four = Server("api", env, "/topics", workers=4)
    try:
        wrk(four.base, args, ROOT / "bench" / "mixed.lua", str(distinct["lists"]))
        _, pss4, _ = four.memory()
    finally:
        four.stop()
    json_mib = corpus_json_mib(folder, cache)
    by_name = dict(rows)

    def mean(label: str) -> tuple[float, float]:
        runs = [r for name, r in rows if name.startswith(label)]
        return sum(r["rps"] for r in runs) / len(runs), max(r["p99"] for r in runs)

    gunicorn_rps, gunicorn_p99 = mean("hello, gunicorn sync")
    granian_rps, granian_p99 = mean("hello, granian")
    lines = [
        f"### {size:,} articles",
        "",
        f"wrk -t1 -c{args.connections} -d{args.duration}s on the same {os.cpu_count()} cores; "
        f"references (mean of the runs before and after): hello under gunicorn sync "
        f"{gunicorn_rps:,.0f} req/s (p99 {gunicorn_p99:.2f} ms), under granian "
        f"{granian_rps:,.0f} req/s (p99 {granian_p99:.2f} ms)",
        "",
        "| query | req/s | p50 ms | p99 ms | / hello gunicorn | / hello granian "
        "| p99 / gunicorn hello p99 | non-2xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['rps'] / gunicorn_rps:.2f} | {r['rps'] / granian_rps:.2f} | "
            f"{r['p99'] / gunicorn_p99:.2f} | {r['errors']} |"
        )
    del by_name
    if cold is None:
        cold_lines = [f"- cold start: not measured (served from the existing store {cache})"]
    else:
        cold_lines = [
            f"- cold start (parse every file, {os.cpu_count()} processes, write the "
            f"artifact, serve): {cold.startup:.1f} s",
            f"- cold build / (CSafeLoader time / cores) = "
            f"{cold.startup / (size * plain_us / 1e6 / (os.cpu_count() or 1)):.2f}",
        ]
    lines += [
        "",
        *cold_lines,
        f"- restart with unchanged content (process start to the first 200): {warm.startup:.2f} s",
        f"- the builder's first look at the folder after that start: {settled:.1f} s "
        "(the rows begin once it is done)",
        f"- per-file parse, one core: ours {ours_us:.0f} µs (read, validate, serialize) vs "
        f"plain CSafeLoader {plain_us:.0f} µs on the front matter ({ours_us / plain_us:.2f}x)",
        f"- server memory after the load (launcher, granian, workers; summed): 2 workers RSS "
        f"{rss:,.0f} MiB (peak {peak:,.0f} MiB), PSS {pss:,.0f} MiB; "
        f"4 workers PSS {pss4:,.0f} MiB; "
        f"the corpus as JSON (every article in full): {json_mib:,.0f} MiB "
        f"(PSS / JSON = {pss / json_mib:.2f} with 2 workers, {pss4 / json_mib:.2f} with 4)",
        "",
    ]
    text = "\n".join(lines)
    (OUT / f"results-{size}.md").write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--store",
        type=Path,
        help="serve an index store built before (NEWS_API_CACHE_DIR of `flask seeds build`"
        " over the size's corpus): kept as it is, and no cold build is timed",
    )
    parser.add_argument(
        "--corpus-root",
        type=Path,
        default=OUT,
        help="where the corpora are (corpus-<size>/, generated when missing)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    OUT.mkdir(parents=True, exist_ok=True)
    for size in map(int, args.sizes.split(",")):
        print(bench_size(size, args), flush=True)


if __name__ == "__main__":
    main()
