"""In-process costs of search, facets, suggestions and similar articles on a corpus.

Usage::

    python bench/search_profile.py bench/out/corpus-100000 [--cache bench/out/cache-100000]

Loads the index through the build cache (building it if needed), then times, per call:
a first search (FTS5 ranks every match) and the same search again (the per-process match
cache), facet counts over half the corpus, suggestions for 2-5 letter prefixes of title
words, and similar articles. One process, no HTTP: what the request path adds on top.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.content.build import build_index
from api.content.facets import FACETS
from schemas.search_syntax import parse_search


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    index, _ = build_index(args.corpus, cache_dir=args.cache)
    n = len(index)
    print(f"{n:,} articles; search database {index.search.path.stat().st_size / 1e6:.0f} MB")
    titles = [index.sort_key("title", p)[0] for p in range(0, n, max(1, n // 200))]
    words = sorted({w.lower() for t in titles for w in re.findall(r"[A-Za-z]{4,}", t)})
    print("| search | matches | first ms | again µs |\n| --- | ---: | ---: | ---: |")
    for text in [
        "climate",
        "climate change",
        '"climate change"',
        "clim*",
        "refugee -climate",
        "zyxwv",
    ]:
        query = parse_search(text)
        first = timed(lambda q=query: index.search.match(q))
        again = timed(lambda q=query: index.search.match(q)) * 1000
        print(f"| `{text}` | {len(index.search.match(query)[0]):,} | {first:.1f} | {again:.0f} |")
    firsts = [timed(lambda w=w: index.search.match(parse_search(w))) for w in words]
    print(f"\nfirst search of {len(words)} title words: median {statistics.median(firsts):.1f} ms")
    half = np.arange(0, n, 2, dtype=np.int32)
    facets = [timed(lambda: index.facets.counts_json(FACETS, half, 10)) for _ in range(20)]
    print(f"all five facets over {len(half):,} matches: median {statistics.median(facets):.2f} ms")
    prefixes = [w[:k] for w in words for k in (2, 3, 4, 5)]
    suggest = [timed(lambda p=p: index.suggest(p, 10)) for p in prefixes]
    print(
        f"suggestions for {len(prefixes)} prefixes: mean {statistics.mean(suggest):.2f} ms, "
        f"max {max(suggest):.1f} ms"
    )
    similar = [timed(lambda p=p: index.similar(index.article_id(p))) for p in range(0, n, n // 50)]
    print(f"similar articles, 50 articles: median {statistics.median(similar):.1f} ms")


if __name__ == "__main__":
    main()
