"""The index: its prepared JSON equals the schema dump; the build cache and parallel reads."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import orjson
import pytest
from helpers import article_fields, write_corpus, write_seed

from api.content import build
from api.content import index as index_module
from api.content.artifact import MANIFEST, ArtifactStore
from api.content.build import build_index, read_folder
from api.content.cache import BuildCache
from api.content.index import ArticleFilter, ContentIndex, _find
from api.content.render import body_html
from api.content.seeds import _front_matter
from schemas.article import ArticleSchema, ArticleSummarySchema
from schemas.seed import SeedSchema

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def schema_dump(path: Path, schema, article_id: str, links: dict[str, str]) -> bytes:
    """The slow path: load the file with the seed schema and dump it with ``schema``."""
    meta, body = _front_matter(path.read_text("utf-8"))
    article = SeedSchema().load({**meta, "body": body})
    article["bodyHtml"] = body_html(article["body"])
    article["id"] = article_id
    for item in article["related"]:
        item["id"] = links.get(item["webUrl"])
    return orjson.dumps(schema.dump(article))


@pytest.mark.parametrize("folder", ["corpus", "bundled"])
def test_prepared_json_equals_the_schema_dump(folder, corpus):
    root = corpus if folder == "corpus" else SEEDS
    index = ContentIndex(read_folder(root))
    links = {"https://techdaily.com/story/1": "a01"} if folder == "corpus" else {}
    for path in sorted(root.glob("*.*")):
        article_id = path.stem
        full = schema_dump(path, ArticleSchema(), article_id, links)
        assert index.article_json(article_id) == full
        everything = index.select(ArticleFilter(), "title").positions(0, len(index))
        summaries = json.loads(index.summaries_json(everything))
        summary = next(s for s in summaries if s["id"] == article_id)
        assert orjson.dumps(summary) == schema_dump(path, ArticleSummarySchema(), article_id, links)
        related, total = index.related_json(article_id, 0, 100)
        assert json.loads(related) == json.loads(full)["related"] and total == len(
            json.loads(related)
        )


def test_restart_with_unchanged_content_loads_the_last_index(tmp_path, corpus):
    cache = tmp_path / "cache"
    first, report = build_index(corpus, cache_dir=cache)
    assert (report.parsed, report.from_cache) == (30, False)
    again, report = build_index(corpus, cache_dir=cache)
    assert (report.parsed, report.from_cache) == (0, True)
    assert again.version == first.version and again.article_json("a00") == first.article_json("a00")


def test_a_change_rereads_only_changed_files(tmp_path, corpus):
    cache = tmp_path / "cache"
    first, _ = build_index(corpus, cache_dir=cache)
    write_seed(corpus, "a03.md", **article_fields(3, title="Changed title"))
    os.utime(corpus / "a03.md", ns=(1, 1))  # a different mtime even on coarse clocks
    (corpus / "a04.md").unlink()
    write_seed(corpus, "new.md", **article_fields(99))
    changed, report = build_index(corpus, cache_dir=cache)
    assert (report.parsed, report.from_cache) == (2, False)
    assert changed.version != first.version
    assert json.loads(changed.article_json("a03"))["title"] == "Changed title"
    assert "a04" not in changed and "new" in changed and "a04" in first


@pytest.mark.parametrize("damage", [b"", b"not a pickle", pickle.dumps(("other", {"a00.md": 1}))])
@pytest.mark.parametrize("part", [MANIFEST, "state.pickle", "arrays.bin"])
def test_a_damaged_cache_is_ignored(tmp_path, corpus, damage, part):
    """The per-file cache and any part of the artifact (adapted: the cache used to be one
    pickle of the whole index)."""
    cache_dir = tmp_path / "cache"
    expected, _ = build_index(corpus, cache_dir=cache_dir)
    store = ArtifactStore.for_folder(cache_dir, corpus)
    BuildCache(store.dir).path.write_bytes(damage)
    BuildCache._memory.clear()  # as a new process: only the damaged files
    (store.versions / expected.version / part).write_bytes(damage)
    del expected
    expected, _ = build_index(corpus)  # the same content, without a cache
    rebuilt, report = build_index(corpus, cache_dir=cache_dir)
    assert (report.parsed, report.from_cache) == (30, False)
    assert [rebuilt.article_json(f"a{i:02d}") for i in range(30)] == [
        expected.article_json(f"a{i:02d}") for i in range(30)
    ]


def test_parallel_read_equals_sequential(tmp_path, monkeypatch):
    folder = write_corpus(tmp_path / "c", 12)
    (folder / "bad.md").write_text("no front matter")
    sequential = read_folder(folder, workers=1)
    monkeypatch.setattr(build, "PARALLEL_MIN_FILES", 0)
    monkeypatch.setattr(build, "CHUNK_FILES", 5)
    parallel = read_folder(folder, workers=2)
    assert parallel.records == sequential.records and parallel.skipped == sequential.skipped


def test_a_stopped_read_gives_up_after_the_files_its_readers_hold(tmp_path, monkeypatch):
    """A server stopping during a cold build: the readers finish their chunks and end
    (killing one mid-answer could leave the pool waiting for the rest of it for ever)."""
    folder = write_corpus(tmp_path / "c", 60)
    monkeypatch.setattr(build, "PARALLEL_MIN_FILES", 0)
    monkeypatch.setattr(build, "CHUNK_FILES", 5)
    rels = sorted(build.scan_folder(folder))
    stop = threading.Event()
    read = []
    with pytest.raises(build.BuildAbandoned):
        for rel, _ in build._read_all(folder, rels, 2, stop):
            read.append(rel)
            stop.set()
    assert read == rels[:5]  # the first chunk, in order; no other was handed out after
    assert multiprocessing.active_children() == []  # the readers ended with the pool
    with pytest.raises(build.BuildAbandoned):  # and a build with few files, in-process
        read_folder(folder, workers=1, stop=stop)
    assert len(read_folder(folder, workers=2, stop=threading.Event()).records) == 60


def test_what_a_stopped_build_read_is_kept_for_the_next(tmp_path, monkeypatch):
    """A server stopped during a cold build keeps the files read so far: the next start
    reads only the others."""
    folder = write_corpus(tmp_path / "c", 60)
    monkeypatch.setattr(build, "PARALLEL_MIN_FILES", 0)
    monkeypatch.setattr(build, "CHUNK_FILES", 5)

    class StopAfterTwoChunks:
        calls = 0

        def is_set(self) -> bool:
            self.calls += 1
            return self.calls > 2

    cache = tmp_path / "cache"
    with pytest.raises(build.BuildAbandoned):
        build_index(folder, cache_dir=cache, workers=2, stop=StopAfterTwoChunks())
    BuildCache.flush_unwritten()  # what a stopping server does (builder.shut_down)
    assert BuildCache.wait_for_writes(30)
    index, report = build_index(folder, cache_dir=cache, workers=2)
    assert (report.parsed, len(index)) == (50, 60)


def test_an_empty_index_answers_every_query(tmp_path):
    index = ContentIndex(read_folder(tmp_path))
    assert len(index) == 0 and len(index.providers) == 0
    for sort in ("title", "-heat", "publishedDateTime"):
        selection = index.select(ArticleFilter(topics=("ai",), after=0.0), sort)
        assert selection.total == 0 and len(selection.positions(0, 20)) == 0
    assert index.summaries_json(index.select(ArticleFilter(), "title").positions(0, 9)) == b"[]"


def test_new_index_code_reuses_the_parsed_files(tmp_path, corpus, monkeypatch):
    cache = tmp_path / "cache"
    first, _ = build_index(corpus, cache_dir=cache)
    monkeypatch.setattr(build, "index_fingerprint", lambda: "other index code")
    rebuilt, report = build_index(corpus, cache_dir=cache)
    assert (report.parsed, report.from_cache) == (0, False)
    assert rebuilt.version != first.version
    assert rebuilt.article_json("a00") == first.article_json("a00")


def test_the_generator_and_the_sync_history_are_not_index_code(tmp_path, monkeypatch):
    """Changing code that makes no part of an artifact keeps every artifact (at
    1,000,000 articles a rebuild costs most of an hour)."""
    from api.content import cache

    taken = cache.index_fingerprint()  # this process's, taken once
    fingerprint = cache.index_fingerprint.__wrapped__  # as a new process would take it
    before = fingerprint()
    assert before == taken
    real_read = Path.read_bytes

    def edited(path):
        data = real_read(path)
        return data + b"\n# edited" if path.name in ("generate.py", "history.py") else data

    monkeypatch.setattr(Path, "read_bytes", edited)
    assert fingerprint() == before
    monkeypatch.setattr(
        Path, "read_bytes", lambda p: real_read(p) + (b"#" if p.name == "index.py" else b"")
    )
    assert fingerprint() != before
    # This process runs the code it imported: an edit on disk does not change its own
    # (what it builds is not labelled as the new code's).
    assert cache.index_fingerprint() == taken


def test_a_build_reader_stops_on_sigterm_whatever_its_parent_handles(tmp_path):
    """Readers are forked from a server's launcher, whose SIGTERM handler they would
    otherwise run instead of stopping (a stop during a build then never ends them)."""
    import subprocess
    import sys

    script = """
import os, signal, sys, time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from api.content.build import _plain_signals
signal.signal(signal.SIGTERM, lambda *a: None)  # as the launcher's stop() does
with ProcessPoolExecutor(1, initializer=_plain_signals) as pool:
    future = pool.submit(time.sleep, 30)
    time.sleep(0.5)
    for pid in list(pool._processes):
        os.kill(pid, signal.SIGTERM)
    try:
        future.result(timeout=10)
    except BrokenProcessPool:
        print("stopped")
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.stdout.strip() == "stopped", done.stderr


def test_the_build_cache_can_be_written_once_the_version_is_served(tmp_path, corpus):
    """The server's builder writes files.pickle after publishing a version (seconds of
    the GIL at 100,000 articles), and a stopping server writes what it never published."""
    cache = tmp_path / "cache"
    build_index(corpus, cache_dir=cache, cache_write="later")
    store = ArtifactStore.for_folder(cache, corpus)
    pickle_file = store.dir / "files.pickle"
    assert not pickle_file.exists()
    BuildCache.flush_unwritten()
    assert BuildCache.wait_for_writes(30) and pickle_file.exists()
    written = pickle_file.stat().st_mtime_ns
    BuildCache(store.dir).flush()  # nothing new: not written again
    assert pickle_file.stat().st_mtime_ns == written
    BuildCache._memory.clear()  # as in a new process: only the file is left
    os.utime(corpus / "a01.md", ns=(1, 1))
    _, report = build_index(corpus, cache_dir=cache)
    assert (report.parsed, report.from_cache) == (1, False)


def test_a_reload_scans_the_folder_once_for_its_check_and_its_build(corpus, tmp_path, monkeypatch):
    """The scan a reload's "anything changed?" took is the one its build uses (in the
    same thread, once): 100,000 files take over a second to scan."""
    scans = []
    original = build.scan_content_files
    monkeypatch.setattr(
        build, "scan_content_files", lambda root: scans.append(root) or original(root)
    )
    version = build.folder_version(corpus)
    index, _ = build_index(corpus, cache_dir=tmp_path / "cache")
    assert len(scans) == 1 and index.version == version
    build_index(corpus, cache_dir=tmp_path / "cache")  # used once: this one scans
    assert len(scans) == 2
    # Another thread's check is not this thread's: its build scans for itself.
    checker = threading.Thread(target=build.folder_version, args=(corpus,))
    checker.start()
    checker.join()
    build_index(corpus, cache_dir=tmp_path / "cache")
    assert len(scans) == 4


def test_a_selection_read_from_a_mask_equals_one_from_its_ranks():
    """A scan's matches are found a page at a time (api.content.index.Selection): every
    reading of them equals the reading of the same matches listed in full."""
    import numpy as np

    from api.content.index import PAGE_SCAN_MAX, Selection

    rng = np.random.default_rng(3)
    n = 3 * PAGE_SCAN_MAX
    order = rng.permutation(n).astype(np.int32)
    for lo, hi, density in [(0, n, 0.5), (100, n - 7, 0.02), (5, 5, 0.5), (0, n, 0.0)]:
        mask = rng.random(hi - lo) < density
        lazy = Selection(order, None, lo=lo, hi=hi, mask=mask)
        full = Selection(order, np.flatnonzero(mask) + lo)
        assert lazy.total == full.total
        for start, stop in [(0, 20), (40, 60), (0, PAGE_SCAN_MAX), (0, n), (n - 10, n + 10)]:
            assert lazy.positions(start, stop).tolist() == full.positions(start, stop).tolist()
        for rank in (0, lo, lo + 1, (lo + hi) // 2, hi, n):
            assert lazy.offset_of(rank) == full.offset_of(rank)
        assert lazy.all_positions().tolist() == full.all_positions().tolist()
    span = Selection(order, None, lo=10, hi=50)
    assert span.total == 40
    assert span.positions(30, 60).tolist() == order[40:50].tolist()
    assert [span.offset_of(r) for r in (0, 10, 30, 50, 99)] == [0, 0, 20, 40, 40]
    assert span.all_positions().tolist() == order[10:50].tolist()
    assert Selection(order, None).all_positions() is None


def test_a_title_read_alone_is_the_one_in_the_json(tmp_path):
    """ContentIndex.title decodes only the title's JSON string of a summary: whatever
    the title holds, it is what the article's JSON says."""
    titles = [
        'Quotes "inside", a \\ backslash and \\"both\\"',
        'A title with "title":"in it" twice: "title":"',
        "Ünïcödé, emoji 🗞️, CJK 新闻, RTL خبر",
        "Tab\there, bell \x07 and DEL \x7f",
        "x" * 1000,  # the longest a title may be
    ]
    folder = tmp_path / "content"
    for i, title in enumerate(titles):
        write_seed(folder, f"t{i}.md", **article_fields(i, title=title))
    index, _ = build_index(folder, cache_dir=tmp_path / "cache")
    assert not index.skipped, index.skipped
    for position, article_id in enumerate(index.ids):
        assert index.title(position) == orjson.loads(index.article_json(article_id))["title"]
    assert sorted(index.title(p) for p in range(len(index))) == sorted(titles)


def test_a_tested_selection_reads_as_its_candidates_filtered_in_full():
    """TestedSelection finds a page by testing candidates a chunk at a time: every
    reading of it equals the reading of the candidates filtered all at once."""
    import numpy as np

    from api.content.index import PAGE_SCAN_MAX, Selection, TestedSelection

    rng = np.random.default_rng(5)
    n = 3 * PAGE_SCAN_MAX
    order = rng.permutation(n).astype(np.int32)
    dates = rng.random(n) * 100
    dates[rng.random(n) < 0.05] = np.nan  # no value: never matches
    tested = [lambda ranks: dates[ranks] >= 30.0, lambda ranks: dates[ranks] < 45.0]
    for candidates in (None, np.sort(rng.choice(n, n // 3, replace=False)), np.zeros(0, int)):
        pool = np.arange(n) if candidates is None else candidates
        keep = (dates[pool] >= 30.0) & (dates[pool] < 45.0)
        full = Selection(order, pool[keep])
        lazy = TestedSelection(order, candidates, tested, int(keep.sum()))
        assert lazy.total == full.total
        for start, stop in [(0, 20), (100, 150), (0, PAGE_SCAN_MAX), (0, n), (n - 5, n + 5)]:
            assert lazy.positions(start, stop).tolist() == full.positions(start, stop).tolist()
        for rank in (0, 1, n // 2, n - 1, n):
            assert lazy.offset_of(rank) == full.offset_of(rank)
        assert lazy.all_positions().tolist() == full.all_positions().tolist()
        assert lazy.ranks.tolist() == full.ranks.tolist()


def test_a_rank_is_found_in_a_posting_list_without_copying_it():
    # numpy converts the whole int32 array to int64 for a Python int: 8 MB here.
    ranks = np.arange(0, 2_000_000, 2, dtype=np.int32)
    tracemalloc.start()
    try:
        found = [_find(ranks, r) for r in (-1, 0, 1001, 1002, 1_999_998, 2_000_000)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found == [0, 0, 501, 501, 999_999, 1_000_000]
    assert peak < 100_000


def test_every_way_of_selecting_matches_a_reading_of_each_article(tmp_path, monkeypatch):
    """On a generated corpus (common values with a membership mask, rare ones without),
    a list's selection equals the articles whose JSON passes the filter, in the view's
    order, whichever way the index found them: two masks and-ed, a short posting list
    looked up in a long one, a range counted in another view's span with the other
    conditions tested there, a scan."""
    import datetime as dt
    import itertools
    import random

    from api.content.generate import generate
    from api.content.index import TestedSelection

    generate(tmp_path / "c", 1900, seed=7, jobs=1)
    index, _ = build_index(tmp_path / "c", cache_dir=tmp_path / "cache")
    articles = [orjson.loads(index.article_json(i)) for i in index.ids]

    def epoch(text):
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

    for a in articles:
        a["ts"] = epoch(a["publishedDateTime"]) if a["publishedDateTime"] else None
        a["topic_ids"] = {t["id"] for t in a["topics"]}
        a["provider_id"] = a["provider"]["id"] if a["provider"] else None

    def count(key):
        counts = {}
        for a in articles:
            for value in key(a):
                counts[value] = counts.get(value, 0) + 1
        ranked = sorted(counts, key=counts.get)
        return [ranked[-1], ranked[-3], ranked[len(ranked) // 2], ranked[0]]  # common to rare

    topics = count(lambda a: [t["id"] for t in a["topics"]])
    providers = count(lambda a: [a["provider_id"]] if a["provider_id"] else [])
    categories = count(lambda a: [a["category"]] if a["category"] else [])
    dates = sorted(a["ts"] for a in articles if a["ts"] is not None)
    after, before = dates[len(dates) // 3], dates[len(dates) * 3 // 4]
    clauses = {  # name: (the filter's fields, what an article's JSON must say)
        "after": ({"after": after}, lambda a: a["ts"] is not None and a["ts"] >= after),
        "before": ({"before": before}, lambda a: a["ts"] is not None and a["ts"] < before),
        "quality": ({"min_quality": 40.0}, lambda a: (a["quality"] or -1) >= 40),
        "heat": ({"min_heat": 30.0}, lambda a: (a["heat"] or -1) >= 30),
        "published": ({"published": True}, lambda a: a["published"]),
    }
    for v in topics:
        clauses[f"topic {v}"] = ({"topics": (v,)}, lambda a, v=v: v in a["topic_ids"])
    for v in providers:
        clauses[f"provider {v}"] = ({"providers": (v,)}, lambda a, v=v: a["provider_id"] == v)
    for v in categories:
        clauses[f"category {v}"] = ({"categories": (v,)}, lambda a, v=v: a["category"] == v)
    rng = random.Random(11)
    combos = [c for size in (1, 2, 3) for c in itertools.combinations(clauses, size)]
    combos = [c for c in combos if len({name.split()[0] for name in c}) == len(c)]
    ways = {name: 0 for name in ("_held", "_member_test")}
    for name in ways:  # each way is taken at least once below
        original = getattr(index_module, name)
        monkeypatch.setattr(
            index_module,
            name,
            lambda *args, name=name, original=original: (
                ways.__setitem__(name, ways[name] + 1) or original(*args)
            ),
        )
    # Ranges on two columns, with and without a topic: counted in another view's span.
    two_ranges = [("after", "quality", "title"), ("before", "heat", "-quality")]
    two_ranges += [(f"topic {topics[0]}", "after", "quality", "-heat")]
    picked = [(*c, rng.choice(list(index._views))) for c in rng.sample(combos, 400)]
    for *combo, sort in two_ranges + picked:
        flt = ArticleFilter(**{k: v for name in combo for k, v in clauses[name][0].items()})
        order = index._views[sort].order.tolist()
        rank_of = {p: r for r, p in enumerate(order)}
        want = [p for p in order if all(clauses[name][1](articles[p]) for name in combo)]
        selection = index.select(flt, sort)
        label = f"{combo} sorted by {sort}"
        if (*combo, sort) in two_ranges:
            assert isinstance(selection, TestedSelection), label
        assert selection.total == len(want), label
        for start, stop in [(0, 20), (20, 45), (max(len(want) - 3, 0), len(want) + 5)]:
            assert selection.positions(start, stop).tolist() == want[start:stop], label
        for rank in [rank_of[p] + 1 for p in want[:3]] + [len(order) // 2, len(order)]:
            assert selection.offset_of(rank) == sum(rank_of[p] < rank for p in want), label
        everything = selection.all_positions()
        assert (order if everything is None else everything.tolist()) == want, label
    assert all(ways.values()), ways
