"""Where the time goes, in-process: a request path or the per-file build.

Usage::

    python bench/profiling.py requests CORPUS_DIR [URL ...] [--paths FILE] [--top 25]
    python bench/profiling.py build CORPUS_DIR [--files 1000]

``requests`` serves each URL through the app's WSGI callable (no server, no network),
the response cache off, and prints the best mean µs per request (CPU time of this
process, best of ``--rounds``), then how much of it went to argument parsing, the
index's selection and the per-request hooks, and a cProfile of the slowest functions.
Without URLs it makes 5,000 distinct article-list queries from the corpus's own topics
and providers, as ``bench/run.py``'s mixed row does (``--paths FILE``: one URL a line).
``build`` times each stage of reading a file (front matter, validation, serialization)
against plain ``yaml.CSafeLoader``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class _InProcess:
    """What ``run.mixed_paths`` asks of a server, answered by the app itself."""

    def __init__(self, app) -> None:
        self.client = app.test_client()

    def get_json(self, path: str):
        return self.client.get(path).get_json()


class _Timers:
    """Time spent in a few functions, summed (installed only for one extra pass)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self._undo: list = []

    def wrap(self, label: str, owner, name: str) -> None:
        original = getattr(owner, name)
        totals = self.totals
        totals.setdefault(label, 0.0)

        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                totals[label] += time.process_time() - started

        setattr(owner, name, timed)
        self._undo.append((owner, name, original))

    def wrap_hooks(self, app) -> None:
        """Every before/after request hook, together."""
        for hooks in (app.before_request_funcs[None], app.after_request_funcs[None]):
            for i, hook in enumerate(hooks):
                hooks[i] = self._timed_hook(hook)
                self._undo.append((hooks, i, hook))

    def _timed_hook(self, hook):
        totals = self.totals
        totals.setdefault("hooks", 0.0)

        def timed(*args):
            started = time.process_time()
            try:
                return hook(*args)
            finally:
                totals["hooks"] += time.process_time() - started

        return timed

    def undo(self) -> None:
        for owner, name, original in reversed(self._undo):
            if isinstance(owner, list):
                owner[name] = original
            else:
                setattr(owner, name, original)


def profile_requests(corpus: Path, urls: list[str], rounds: int, top: int) -> None:
    os.environ["NEWS_API_CONTENT_DIR"] = str(corpus)
    os.environ.setdefault(
        "NEWS_API_CACHE_DIR", str(ROOT / "bench" / "out" / f"cache-{corpus.name}")
    )
    os.environ["NEWS_API_RESPONSE_CACHE_SIZE"] = "0"  # the real query path
    os.environ.setdefault("NEWS_API_ACCESS_LOG", os.devnull)  # made, not shown
    from werkzeug.test import EnvironBuilder

    from api import create_app
    from api.content.index import ContentIndex
    from api.smorest import QueryParser

    app = create_app()
    if not urls:
        sys.path.insert(0, str(ROOT / "bench"))
        from run import OUT, mixed_paths

        OUT.mkdir(parents=True, exist_ok=True)
        urls = mixed_paths(_InProcess(app)).read_text().split()
    environs = []
    for url in urls:
        path, _, query = url.partition("?")
        environs.append(EnvironBuilder(path=path, query_string=query).get_environ())
    statuses: dict[str, int] = {}

    def start_response(status, headers, exc_info=None):
        statuses[status] = statuses.get(status, 0) + 1

    def run() -> float:
        started = time.process_time()
        for environ in environs:
            b"".join(app.wsgi_app(dict(environ), start_response))
        return (time.process_time() - started) / len(environs) * 1e6

    run()  # warm up
    statuses.clear()
    best = min(run() for _ in range(rounds))
    print(f"{len(environs)} URLs, statuses {statuses}")
    print(f"{best:.0f} µs per request (CPU time, best of {rounds} rounds)")
    timers = _Timers()
    timers.wrap("argument parsing", QueryParser, "parse")
    timers.wrap("index selection (ContentIndex.select)", ContentIndex, "select")
    timers.wrap_hooks(app)
    timed_mean = run()
    timers.undo()
    for label, total in timers.totals.items():
        print(f"  {label:<40} {total / len(environs) * 1e6:6.1f} µs")
    print(f"  {'(all, with the timers)':<40} {timed_mean:6.1f} µs")
    if top:
        profiler = cProfile.Profile()
        profiler.runcall(run)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def profile_build(corpus: Path, files: int) -> None:
    import yaml

    from api.content.seeds import _ARTICLE_SCHEMA, _SEED_SCHEMA, _front_matter, scan_content_files

    paths = [corpus / rel for rel in scan_content_files(corpus)]
    texts = [p.read_text("utf-8") for p in random.Random(1).sample(paths, min(files, len(paths)))]

    def timed(label: str, fn, inputs: list) -> list:
        started = time.perf_counter()
        out = [fn(x) for x in inputs]
        print(f"{label:<40} {(time.perf_counter() - started) / len(inputs) * 1e6:7.0f} µs per file")
        return out

    front_matters = [t.split("---\n", 2)[1] for t in texts]
    timed(
        "yaml.CSafeLoader on the front matter",
        lambda fm: yaml.load(fm, yaml.CSafeLoader),
        front_matters,
    )
    parsed = timed("python-frontmatter (CSafeLoader inside)", _front_matter, texts)
    seeds = [{**meta, "body": body} for meta, body in parsed]
    articles = timed("SeedSchema().load (validate)", _SEED_SCHEMA.load, seeds)
    timed("ArticleSchema().dump (serialize)", _ARTICLE_SCHEMA.dump, articles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["requests", "build"])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("urls", nargs="*")
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--paths", type=Path, help="a file of URLs, one a line")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--top", type=int, default=25, help="cProfile rows (0: none)")
    args = parser.parse_args()
    if args.what == "build":
        profile_build(args.corpus, args.files)
        return
    urls = args.urls or (args.paths.read_text().split() if args.paths else [])
    profile_requests(args.corpus, urls, args.rounds, args.top)


if __name__ == "__main__":
    main()
