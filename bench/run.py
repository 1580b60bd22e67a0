"""Benchmark the API against a bare Flask app, with wrk, on generated corpora.

Usage::

    python bench/run.py [--sizes 10000,100000] [--duration 10] [--connections 16]

For each corpus size: generate the corpus (once; kept under ``bench/out/``), time a cold
index build and a restart with unchanged content, start the server as ``make serve``
does (gunicorn with ``gunicorn.conf.py``: 2 sync workers, preloaded index), and load
each query with wrk, next to the bare "hello" Flask app under the same settings in the
same run. Prints a markdown table (and writes it to ``bench/out/results-<size>.md``).
Traffic goes to 127.0.0.1 only; every wrk run is bounded by ``--duration``.
"""

from __future__ import annotations

import argparse
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
    """gunicorn -c gunicorn.conf.py APP, on a free port; the time until it answers."""

    def __init__(self, app: str, env: dict[str, str], probe: str = "/") -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            **env,
            "NEWS_API_PORT": str(self.port),
            "NEWS_API_LOG_LEVEL": "warning",
            # Access lines are written (JSON, as in production) but not to the terminal.
            "NEWS_API_ACCESS_LOG": os.devnull,
        }
        cmd = [PY, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--pythonpath", "bench", app]
        started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
        while True:
            try:
                urllib.request.urlopen(self.base + probe, timeout=2).close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit(f"{app} did not start") from None
                time.sleep(0.05)
        self.startup = time.perf_counter() - started

    def get_json(self, path: str):
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return json.load(response)

    def etag(self, path: str) -> str:
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return response.headers["ETag"]

    def memory(self) -> tuple[float, float, float]:
        """(RSS, PSS, peak RSS) in MB of the master and all its workers, summed."""
        pids = [self.proc.pid] + [
            int(p)
            for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
            .read_text()
            .split()
        ]
        rss = pss = peak = 0
        for pid in pids:
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


def wrk(
    url: str,
    duration: int,
    connections: int,
    script: Path | None = None,
    arg: str = "",
    header: str | None = None,
) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
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
        "p50": _ms(lat["50"]),
        "p99": _ms(lat["99"]),
        "errors": (int(errors.group(1)) if errors else 0),
        "socket": socket_errors.group(1) if socket_errors else "",
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def corpus(size: int) -> Path:
    folder = OUT / f"corpus-{size}"
    done = folder / ".complete"
    if not done.exists():
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


def corpus_json_mb(folder: Path, cache: Path) -> float:
    """Size of every article's full JSON (the index's blob), read through the warm cache."""
    code = (
        "from pathlib import Path; from api.content.build import build_index; "
        f"i, _ = build_index(Path({str(folder)!r}), cache_dir=Path({str(cache)!r})); "
        "print(sum(len(i.article_json(r)) for r in i._position))"
    )
    out = subprocess.run([PY, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return int(out.stdout) / 1e6


def mixed_paths(server: Server, count: int = 5000) -> Path:
    """Thousands of distinct article queries, drawn at random (seeded)."""
    rng = random.Random(7)
    topics = [t["id"] for t in server.get_json("/topics?pageSize=100")["items"]]
    providers = [
        p["id"] for p in server.get_json("/providers?pageSize=100&sort=-articleCount")["items"]
    ]
    sorts = ["-publishedDateTime", "publishedDateTime", "-quality", "quality", "-heat", "title"]
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
        params.append(f"sort={rng.choice(sorts)}")
        params.append(f"page={rng.randint(1, 50)}")
        paths.add("/articles?" + "&".join(params))
    return paths_file("mixed", paths)


def paths_file(name: str, paths) -> Path:
    file = OUT / f"{name}-paths.txt"
    file.write_text("\n".join(sorted(paths)) + "\n")
    return file


def search_paths(server: Server, topics: list[str]) -> dict[str, Path]:
    """Distinct searches (words from real titles), facet queries and suggestion prefixes."""
    rng = random.Random(11)
    words = sorted(
        {
            w.lower()
            for item in server.get_json("/articles?pageSize=100&fields=title")["items"]
            for w in re.findall(r"[A-Za-z]{4,}", item["title"])
        }
    )
    searches = {f"/articles?q={w}&topic={rng.choice(topics)}" for w in words for _ in range(4)}
    facets = {f"/articles?q={w}&facets=topic,provider,category,type,year" for w in words} | {
        f"/articles?topic={t}&facets=topic,provider,category,type,year" for t in topics
    }
    prefixes = {f"/suggest?q={w[:n]}" for w in words for n in (2, 3, 4, 5)}
    return {
        "search": paths_file("search", searches),
        "facets": paths_file("facets", facets),
        "suggest": paths_file("suggest", prefixes),
    }


def bench_size(size: int, args) -> str:
    folder = corpus(size)
    cache = OUT / f"cache-{size}"
    shutil.rmtree(cache, ignore_errors=True)
    env = {"NEWS_API_CONTENT_DIR": str(folder), "NEWS_API_CACHE_DIR": str(cache)}
    ours_us, plain_us = parse_times(folder)

    cold = Server("wsgi:app", env, "/topics")
    cold.stop()
    warm = Server("wsgi:app", env, "/topics")
    server = warm
    try:
        hello = Server("hello:app", {}, "/hello")
    except BaseException:
        server.stop()  # never leave a server behind
        raise
    try:
        top_topic = server.get_json("/topics?sort=-articleCount&pageSize=1")["items"][0]["id"]
        top_provider = server.get_json("/providers?sort=-articleCount&pageSize=1")["items"][0]["id"]
        article = server.get_json("/articles?sort=-heat&pageSize=1")["items"][0]["id"]
        queries = {
            "newest first, page 1": "/articles",
            "one topic": f"/articles?topic={top_topic}",
            "one provider": f"/articles?provider={top_provider}",
            "topic AND provider, date range": f"/articles?topic={top_topic}&provider={top_provider}"
            "&from=2020-01-01&to=2024-12-31",
            "sort by quality": "/articles?sort=-quality",
            "page 200": "/articles?page=200",
            "one article": f"/articles/{article}",
            "its related items": f"/articles/{article}/related",
            "providers list": "/providers",
            "topics list": "/topics",
            "fields=id,title,publishedDateTime": "/articles?fields=id,title,publishedDateTime",
            "cursor walk, page after one": "/articles?sort=title&cursor="
            + server.get_json("/articles?sort=title&cursor=")["links"]["next"].split("cursor=")[1],
            "search: one word + topic, page 1": f"/articles?q={SEARCH_WORD}&topic={top_topic}",
            "search: one word, all five facets": f"/articles?q={SEARCH_WORD}"
            "&facets=topic,provider,category,type,year",
            "suggest: 3 letters": f"/suggest?q={SEARCH_WORD[:3]}",
            "similar articles": f"/articles/{article}/similar",
        }
        etag = server.etag(f"/articles?topic={top_topic}")
        rows = [("hello (ceiling)", wrk(hello.base + "/hello", args.duration, args.connections))]
        for name, path in queries.items():
            rows.append((name, wrk(server.base + path, args.duration, args.connections)))
        rows.append(
            (
                "304: one topic, If-None-Match",
                wrk(
                    f"{server.base}/articles?topic={top_topic}",
                    args.duration,
                    args.connections,
                    header=f"If-None-Match: {etag}",
                ),
            )
        )
        paths = mixed_paths(server)
        rows.append(
            (
                "mixed: 5,000 distinct queries",
                wrk(
                    server.base,
                    args.duration,
                    args.connections,
                    ROOT / "bench" / "mixed.lua",
                    str(paths),
                ),
            )
        )
        topics = [t["id"] for t in server.get_json("/topics?pageSize=100")["items"]]
        distinct = search_paths(server, topics)
        for name, file in distinct.items():
            count = len(file.read_text().splitlines())
            rows.append(
                (
                    f"{name}: {count:,} distinct",
                    wrk(
                        server.base,
                        args.duration,
                        args.connections,
                        ROOT / "bench" / "mixed.lua",
                        str(file),
                    ),
                )
            )
        rows.append(
            ("hello (ceiling, again)", wrk(hello.base + "/hello", args.duration, args.connections))
        )
        rss, pss, peak = server.memory()
    finally:
        server.stop()
        hello.stop()
    json_mb = corpus_json_mb(folder, cache)
    ceiling = (rows[0][1]["rps"] + rows[-1][1]["rps"]) / 2
    ceiling_p99 = max(rows[0][1]["p99"], rows[-1][1]["p99"])
    lines = [
        f"### {size:,} articles",
        "",
        f"wrk -t2 -c{args.connections} -d{args.duration}s; ceiling = mean of the two hello runs "
        f"= {ceiling:,.0f} req/s, p99 {ceiling_p99:.2f} ms",
        "",
        "| query | req/s | p50 ms | p99 ms | ratio to hello | p99 / hello p99 | non-2xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['rps'] / ceiling:.2f} | {r['p99'] / ceiling_p99:.2f} | {r['errors']} |"
        )
    lines += [
        "",
        f"- cold start (parse every file, {os.cpu_count()} processes, build index, serve): "
        f"{cold.startup:.1f} s",
        f"- restart with unchanged content (build cache): {warm.startup:.2f} s",
        f"- per-file parse, one core: ours {ours_us:.0f} µs (read, validate, serialize) vs "
        f"plain CSafeLoader {plain_us:.0f} µs on the front matter ({ours_us / plain_us:.2f}x)",
        f"- server memory after the load (master + 2 workers, summed): RSS {rss:,.0f} MB "
        f"(peak {peak:,.0f} MB), "
        f"PSS {pss:,.0f} MB; the corpus as JSON (every article in full): {json_mb:,.0f} MB "
        f"(PSS / JSON = {pss / json_mb:.2f})",
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
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    OUT.mkdir(parents=True, exist_ok=True)
    for size in map(int, args.sizes.split(",")):
        print(bench_size(size, args), flush=True)


if __name__ == "__main__":
    main()
