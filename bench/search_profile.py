"""In-process costs of search, facets, suggestions and similar articles on a corpus.

Usage::

    python bench/search_profile.py bench/out/corpus-100000 [--cache bench/out/cache-100000]

Loads the index through the build cache (building it if needed), then times, per call,
with distinct query strings (as a search box sends them; nothing is cached between
calls), p50 and p99 of: one word + one filter, two words with a phrase, one word with
all five facets, suggestions for 2-6 letter prefixes of title words, similar articles on
distinct ids; then a list of hostile queries, each of which must take under 50 ms or be
refused (a 400 in the API). Each call does what the request does in the index: select,
count, the page's positions and its JSON (facets, highlights where asked). One process,
no HTTP.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.content import index as index_module
from api.content.build import build_index
from api.content.index import ArticleFilter
from api.content.search import _STEM, SearchTooBroad
from schemas.query import FACETS, RELEVANCE
from schemas.search_syntax import SearchSyntaxError, parse_search

HOSTILE_MS = 50.0


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def percentiles(label: str, times: list[float]) -> None:
    times = sorted(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    p50 = statistics.median(times)
    print(f"| {label} | {len(times)} | {p50:.2f} | {p99:.2f} | {max(times):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--calls", type=int, default=300, help="distinct queries per row")
    args = parser.parse_args()
    search_seconds = []
    real_build = index_module.SearchIndex.build

    def timed_build(rows, folder):
        started = time.perf_counter()
        built = real_build(rows, folder)
        search_seconds.append(time.perf_counter() - started)
        return built

    index_module.SearchIndex.build = timed_build
    started = time.perf_counter()
    index, report = build_index(args.corpus, cache_dir=args.cache)
    n = len(index)
    print(
        f"{n:,} articles; index {'loaded' if report.from_cache else 'built'} in "
        f"{time.perf_counter() - started:.1f} s; "
        f"search index {folder_mb(index.search.folder):.0f} MB, "
        f"{index.search.searcher().num_segments} segment(s)"
    )
    if search_seconds:
        print(f"of which writing the search index: {search_seconds[0]:.1f} s")
    started = time.perf_counter()
    type(index.search).open(index.search.folder)
    print(f"opening it (another process would): {(time.perf_counter() - started) * 1000:.1f} ms")
    index.search.searcher()  # this process's reader, opened once
    rng = random.Random(1)
    titles = [index.title(p) for p in rng.sample(range(n), min(n, 3000))]
    words = sorted({w.lower() for t in titles for w in re.findall(r"[A-Za-z]{4,}", t)})
    pairs = sorted(
        {
            f"{a.lower()} {b.lower()}"
            for t in titles
            for a, b in zip(t.split(), t.split()[1:], strict=False)
            if a.isalpha() and b.isalpha()
        }
    )
    topics = [e[0] for e in index.facets.entries("topic")]
    providers = [e[0] for e in index.facets.entries("provider")]
    rng.shuffle(words)
    rng.shuffle(pairs)
    calls = args.calls

    def page(text: str, flt: ArticleFilter, facets=(), highlight=False, sort=RELEVANCE):
        selection = index.select(flt, sort, parse_search(text))
        positions = selection.positions(0, 20)
        index.summaries_json(positions)
        total = selection.total
        if facets:
            index.facet_counts_json(facets, selection, 10)
        if highlight:
            index.highlights(selection.compiled, positions.tolist())
        return total

    print("\n| search (as decision 12 measured FTS5) | matches | first page + total ms |")
    print("| --- | ---: | ---: |")
    for text in ["climate", "climate change", '"climate change"', "clim*", "refugee -climate"]:
        total = []
        try:
            ms = timed(lambda t=text, out=total: out.append(page(t, ArticleFilter())))
        except SearchTooBroad:  # a 400 in the API: the bound of decision 0015
            print(f"| `{text}` | refused (too broad) | - |")
            continue
        print(f"| `{text}` | {total[0]:,} | {ms:.2f} |")

    print("\n| in-process, distinct queries | calls | p50 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    rows = {
        "one word + topic filter": [
            (lambda w=w, i=i: page(w, ArticleFilter(topics=(topics[i % len(topics)],))))
            for i, w in enumerate(words[:calls])
        ],
        "one word + provider filter, by date": [
            (
                lambda w=w, i=i: page(
                    w,
                    ArticleFilter(providers=(providers[i % len(providers)],)),
                    sort="-publishedDateTime",
                )
            )
            for i, w in enumerate(words[:calls])
        ],
        "two words with a phrase (highlighted)": [
            (lambda q=f'{w} "{p}"': page(q, ArticleFilter(), highlight=True))
            for w, p in zip(words[calls : 2 * calls], pairs, strict=False)
        ],
        "one word + all five facets": [
            (lambda w=w: page(w, ArticleFilter(), facets=FACETS)) for w in words[:calls]
        ],
        "/suggest, 2-6 letters": [
            (lambda p=w[:k]: index.suggest(p, 10))
            for i, w in enumerate(words[:calls])
            for k in [2 + i % 5]
        ],
        "similar, distinct ids": [
            (lambda p=p: index.summaries_json(index.similar(index.article_id(p)).positions(0, 20)))
            for p in rng.sample(range(n), min(n, calls))
        ],
    }
    for label, jobs in rows.items():
        times, refused = [], 0
        for job in jobs:
            started = time.perf_counter()
            try:
                job()
            except SearchTooBroad:
                refused += 1  # a 400 that says why (bounded work)
            times.append((time.perf_counter() - started) * 1000)
        percentiles(label + (f" ({refused} refused)" if refused else ""), times)

    common = [w for w, _ in sorted(_df(index, words[:400]), key=lambda x: -x[1])[:40]]
    hostile = {
        "32 common words OR-ed": " OR ".join(common[:32]),
        "32 common words AND-ed": " ".join(common[:32]),
        "4 three-letter prefixes": " OR ".join(w[:3] + "*" for w in common[:4]),
        "4 three-letter prefixes AND-ed": " ".join(w[:3] + "*" for w in common[:4]),
        "prefix 'the*'": "the*",
        "prefix 'con*'": "con*",
        "prefix 'pre*' + 31 words": "pre* " + " OR ".join(common[:31]),
        "long phrase of common words": '"' + " ".join(common[:30]) + '"',
        "phrase ending in a prefix": '"' + " ".join(common[:6]) + '"* ',
        "common word minus common words": common[0] + " " + " ".join("-" + w for w in common[1:31]),
        "common word, all five facets": common[0],
        "common word, all facets, page 1000": common[0],
    }
    print(f"\n| hostile query (< {HOSTILE_MS:.0f} ms or refused) | matches | ms | outcome |")
    print("| --- | ---: | ---: | --- |")
    failures = 0
    for label, text in hostile.items():
        outcome, total = "200", "-"
        started = time.perf_counter()
        try:
            if label.endswith("page 1000"):
                selection = index.select(ArticleFilter(), RELEVANCE, parse_search(text))
                index.summaries_json(selection.positions(19_980, 20_000))
                index.facet_counts_json(FACETS, selection, 100)
            else:
                total = page(text, ArticleFilter(), facets=FACETS, highlight=True)
        except (SearchTooBroad, SearchSyntaxError) as exc:
            outcome = f"400: {exc}"
        ms = (time.perf_counter() - started) * 1000
        if ms > HOSTILE_MS:
            failures += 1
            outcome += " **over the bound**"
        shown = text if len(text) < 40 else text[:37] + "..."
        print(f"| {label} (`{shown}`) | {total} | {ms:.1f} | {outcome} |")
    if failures:
        print(f"\n{failures} hostile queries over {HOSTILE_MS:.0f} ms")
        sys.exit(1)


def _df(index, words: list[str]) -> list[tuple[str, int]]:
    searcher = index.search.searcher()
    return [(w, searcher.doc_freq("body", _STEM.analyze(w)[0])) for w in words]


if __name__ == "__main__":
    main()
