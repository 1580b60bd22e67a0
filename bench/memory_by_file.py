"""Where the whole server's memory is: PSS by process and by mapped file (issue 13).

Usage::

    python bench/memory_by_file.py CORPUS_DIR --store DIR [--workers 2] [--search]

Starts the server as ``bench/run.py`` does (``make serve``'s launcher, granian, workers)
on CORPUS_DIR with its store in ``--store``, waits for the builder's first look, then
runs ``run.py``'s distinct list queries (and with ``--search`` its five distinct search
rows), each for ``--duration`` seconds, and after the start and after each load prints
every process's PSS and the PSS of the whole tree by mapping (``/proc/PID/smaps``): the
artifact's files (``articles.json.bin``, ``arrays.bin``, the search index), anonymous
memory, shared libraries. PSS splits a page shared by N processes N ways, so the total
counts each mapped page once.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # bench/run.py: the server, wrk and the query lists


def mapping_name(fields: list[str]) -> str:
    """A readable name for one ``smaps`` mapping header's path field."""
    name = fields[5] if len(fields) > 5 else "[anonymous]"
    if "/search/" in name:
        return "the search index (search/*)"
    if ".so" in os.path.basename(name):
        return "[shared libraries]"
    return os.path.basename(name) if name.startswith("/") else name


def report(pid: int, label: str) -> None:
    by_file: collections.Counter[str] = collections.Counter()
    print(f"== {label}")
    for each in run.process_tree(pid):
        command = Path(f"/proc/{each}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        total, name = 0, "?"
        for line in Path(f"/proc/{each}/smaps").read_text().splitlines():
            fields = line.split()
            if fields and "-" in fields[0] and not fields[0].endswith(":"):
                name = mapping_name(fields)  # a mapping's header line
            elif fields and fields[0] == "Pss:":
                by_file[name] += int(fields[1])
                total += int(fields[1])
        print(f"  {each:>8} {total / 1024:9.1f} MiB  {command[:60]}")
    for name, kib in by_file.most_common(8):
        print(f"  {kib / 1024:9.1f} MiB  {name}")
    print(f"  {sum(by_file.values()) / 1024:9.1f} MiB  in all", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--store", required=True, help="the store (NEWS_API_CACHE_DIR)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--search", action="store_true", help="the search rows too")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    env = {"NEWS_API_CONTENT_DIR": str(args.corpus), "NEWS_API_CACHE_DIR": args.store}
    server = run.Server("api", env, "/topics", workers=args.workers)
    try:
        print(f"the builder's first look ended {server.builder_settled():.1f} s after start")
        report(server.proc.pid, "after the start")
        run.OUT.mkdir(parents=True, exist_ok=True)
        script = run.ROOT / "bench" / "mixed.lua"
        result = run.wrk(server.base, args, script, str(run.mixed_paths(server)))
        print(f"distinct lists: {result['rps']:,.0f} req/s")
        report(server.proc.pid, "after the distinct lists")
        if args.search:
            topics = [t["id"] for t in server.get_json("/topics?pageSize=100")["items"]]
            article = server.get_json("/articles?pageSize=1")["items"][0]["id"]
            for name, file in run.search_paths(server, topics, article).items():
                result = run.wrk(server.base, args, script, str(file))
                print(f"{name}: {result['rps']:,.0f} req/s")
            report(server.proc.pid, "after the search rows")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
