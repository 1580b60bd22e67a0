"""How well the search work bounds separate slow searches from fast ones, on a corpus.

Usage::

    python bench/search_bounds.py CORPUS_DIR [--cache DIR] [--calls 200] [--limit-ms 50]

With the bounds of ``api/content/search.py`` lifted, runs distinct searches of the two
kinds the bounds refuse most (a word and a two-word phrase, highlighted; one word with
all five facets; made from the corpus's titles as ``bench/search_profile.py`` makes them),
timing each one as the request does it (select, the page and its JSON, the total, the
facets), and records what the budget charged it. Then, per kind: how many took longer
than ``--limit-ms``, how many the current constants (``MAX_POSTINGS``,
``MAX_FACET_WORK``) refuse and how many of those were fast, the slowest answered one
(what the bound lets through), and the tightest constant that refuses every slow one in
the sample. For phrases it compares the current charge (``_Budget.charge_phrase``: in
a field whose word pairs are indexed, each list of words and pairs at the shortest one's
length, plus ``PHRASE_COST`` times that) with the charge of sessions 9 to 20 (each word's
postings once, plus ``PHRASE_COST`` times the rarest word's, per field). One process, no
HTTP; the first queries may find the index's pages cold, as a server that just started
does.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.content import index as index_module
from api.content import search
from api.content.build import build_index
from api.content.index import ArticleFilter
from schemas.query import FACETS, RELEVANCE
from schemas.search_syntax import parse_search

# The bounds of sessions 9 to 20, for the last column (their phrase charge: _Recorder.before).
BEFORE_POSTINGS, BEFORE_FACET_WORK = 2_000_000, 800_000


class _Recorder:
    """Wraps the budget's phrase charge: records each one (today's, and the words'
    document counts for the charge of sessions 9 to 20) and never refuses."""

    def __init__(self) -> None:
        self.charges: list[tuple[int, list[int]]] = []
        real = search._Budget.charge_phrase
        recorder = self

        def charge_phrase(budget, field_name, tokens, pair_counts=None):
            charged = budget.postings
            real(budget, field_name, tokens, pair_counts)
            counts = [budget.searcher.doc_freq(field_name, t) for t in tokens]
            recorder.charges.append((budget.postings - charged, counts))

        search._Budget._check = lambda budget: None
        search._Budget.charge_phrase = charge_phrase
        index_module.MAX_FACET_WORK = 10**15

    def current(self) -> int:
        """The charge of ``_Budget.charge_phrase`` today."""
        return sum(charged for charged, _ in self.charges)

    def before(self) -> int:
        """The charge of sessions 9 to 20: each word once, the rarest ``PHRASE_COST``
        more times."""
        return sum(
            sum(c) + (search.PHRASE_COST * min(c) if len(c) > 1 else 0) for _, c in self.charges
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--calls", type=int, default=200, help="distinct searches per kind")
    parser.add_argument("--limit-ms", type=float, default=50.0)
    args = parser.parse_args()
    max_postings, max_facet_work = search.MAX_POSTINGS, index_module.MAX_FACET_WORK
    index, _ = build_index(args.corpus, cache_dir=args.cache)
    n = len(index)
    recorder = _Recorder()
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
    rng.shuffle(words)
    rng.shuffle(pairs)
    calls = args.calls
    kinds = {
        "a word and a phrase": [
            f'{w} "{p}"' for w, p in zip(words[calls : 2 * calls], pairs, strict=False)
        ],
        "one word + all five facets": words[:calls],
    }
    print(f"{n:,} articles; bounds lifted; limit {args.limit_ms:.0f} ms\n")
    print(
        "| searches | calls | slower than the limit | refused today (of them fast) "
        "| slowest answered today, ms | answered p99 ms | tightest bound refusing every slow one "
        "| refused by the bounds of sessions 9-20 |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    for kind, texts in kinds.items():
        facets = FACETS if "facets" in kind else ()
        rows = []  # (ms, charge today, charge before, facet work)
        for text in texts:
            recorder.charges.clear()
            started = time.perf_counter()
            selection = index.select(ArticleFilter(), RELEVANCE, parse_search(text))
            positions = selection.positions(0, 20)
            index.summaries_json(positions)
            total = selection.total
            if facets:
                index.facet_counts_json(facets, selection, 10)
            else:
                index.highlights(selection.compiled, positions.tolist())
            ms = (time.perf_counter() - started) * 1000
            rows.append((ms, recorder.current(), recorder.before(), total * len(facets)))
        slow = [r for r in rows if r[0] > args.limit_ms]
        if facets:
            refused = [r for r in rows if r[1] > max_postings or r[3] > max_facet_work]
            before = [r for r in rows if r[2] > BEFORE_POSTINGS or r[3] > BEFORE_FACET_WORK]
            tight = f"MAX_FACET_WORK < {min(r[3] for r in slow):,}" if slow else "-"
        else:
            refused = [r for r in rows if r[1] > max_postings]
            before = [r for r in rows if r[2] > BEFORE_POSTINGS]
            tight = f"MAX_POSTINGS < {min(r[1] for r in slow):,}" if slow else "-"
        answered = sorted(r[0] for r in rows if r not in refused) or [0.0]
        p99 = answered[min(len(answered) - 1, int(len(answered) * 0.99))]
        fast_refused = sum(1 for r in refused if r[0] <= args.limit_ms)
        print(
            f"| {kind} | {len(rows)} | {len(slow)} | {len(refused)} ({fast_refused}) "
            f"| {answered[-1]:.1f} | {p99:.1f} | {tight} | {len(before)} |"
        )
    print(
        f"\nbounds today: MAX_POSTINGS {max_postings:,}, PHRASE_COST {search.PHRASE_COST}, "
        f"MAX_FACET_WORK {max_facet_work:,}; sessions 9-20: {BEFORE_POSTINGS:,} with the "
        f"words' charge, {BEFORE_FACET_WORK:,}"
    )


if __name__ == "__main__":
    main()
