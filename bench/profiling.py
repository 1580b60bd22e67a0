"""Where the time goes, in-process: a request path or the per-file build.

Usage::

    python bench/profiling.py requests CORPUS_DIR [URL ...]   # default: bench/out/mixed-paths.txt
    python bench/profiling.py build CORPUS_DIR [--files 1000]

``requests`` serves each URL through the app's WSGI callable (no server, no network),
prints the mean µs per request and a cProfile of the slowest functions; ``build`` times
each stage of reading a file (front matter, validation, serialization) against plain
``yaml.CSafeLoader``.
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


def profile_requests(corpus: Path, urls: list[str]) -> None:
    os.environ["NEWS_API_CONTENT_DIR"] = str(corpus)
    os.environ.setdefault(
        "NEWS_API_CACHE_DIR", str(ROOT / "bench" / "out" / f"cache-{corpus.name}")
    )
    os.environ["NEWS_API_RESPONSE_CACHE_SIZE"] = "0"  # the real query path
    from werkzeug.test import EnvironBuilder

    from api import create_app

    app = create_app()
    environs = []
    for url in urls:
        path, _, query = url.partition("?")
        environs.append(EnvironBuilder(path=path, query_string=query).get_environ())

    def run() -> None:
        for environ in environs:
            b"".join(app.wsgi_app(dict(environ), lambda *args: None))

    run()  # warm up
    started = time.perf_counter()
    run()
    print(f"{(time.perf_counter() - started) / len(environs) * 1e6:.0f} µs per request")
    profiler = cProfile.Profile()
    profiler.runcall(run)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


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
    args = parser.parse_args()
    if args.what == "build":
        profile_build(args.corpus, args.files)
        return
    urls = args.urls or (ROOT / "bench" / "out" / "mixed-paths.txt").read_text().split()
    profile_requests(args.corpus, urls)


if __name__ == "__main__":
    main()
