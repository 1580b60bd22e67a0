"""A new content version updates the previous version's search index instead of building
it anew (api/content/search.py, api/content/order_keys.py): the answers are those of a
fresh build of the same folder."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from api.content import index as index_module
from api.content import order_keys
from api.content import search as search_module
from api.content.artifact import MANIFEST, ArtifactStore
from api.content.build import build_index
from api.content.generate import generate
from api.content.index import ArticleFilter
from schemas.query import ARTICLE_SORTS
from schemas.search_syntax import parse_search

SORTS = [f"{sign}{key}" for key in ARTICLE_SORTS for sign in ("", "-")]


# -- order keys ------------------------------------------------------------------


def test_order_keys_keep_the_kept_and_slot_arrivals_in_between():
    rng = random.Random(7)
    keys = order_keys.initial(50)
    assert np.all(np.diff(keys) > 0) and keys.min() > 0
    for _ in range(200):  # arrivals and departures anywhere, many times over
        stays = np.array([rng.random() > 0.1 for _ in keys])
        kept = keys[stays]
        arrivals = rng.randint(0, 8)
        slots = sorted(rng.randint(0, len(kept)) for _ in range(arrivals))
        new_kept, fresh = list(kept), [False] * len(kept)
        for offset, slot in enumerate(slots):
            new_kept.insert(slot + offset, 0)
            fresh.insert(slot + offset, True)
        extended = order_keys.extend(np.array(new_kept, np.int64), np.array(fresh))
        assert extended is not None
        assert np.all(np.diff(extended) > 0)  # still an order
        assert np.array_equal(extended[~np.array(fresh)], kept)  # nobody else moved
        keys = extended


def test_order_keys_say_when_a_gap_is_used_up():
    keys = order_keys.initial(2)
    for _ in range(64):  # always between the same two: each arrival halves the gap
        fresh = np.array([False, True, False])
        extended = order_keys.extend(np.array([keys[0], 0, keys[-1]]), fresh)
        if extended is None:
            break
        keys = extended[[0, 1]]
    else:
        pytest.fail("a gap never ran out")
    # At either end there is always room.
    ends = order_keys.extend(np.array([0, keys[0], keys[1], 0]), np.array([1, 0, 0, 1], bool))
    assert ends is not None and np.all(np.diff(ends) > 0)
    # Kept keys out of order are never trusted.
    assert order_keys.extend(np.array([keys[1], keys[0]]), np.zeros(2, bool)) is None


# -- the search index of a changed folder --------------------------------------------

QUERIES = ["market", "climate OR energy", '"the market"', "-market data", "gover*", "new"]


@pytest.fixture(scope="module")
def base_corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("update") / "corpus"
    generate(folder, 400, seed=3, jobs=1)
    return folder


def _change(folder: Path, seed: int) -> None:
    """Edit some files (title and heat), delete some, add copies of others."""
    rng = random.Random(seed)
    files = sorted(folder.rglob("*.md"))
    for path in rng.sample(files, 6):
        text = path.read_text()
        text = text.replace("heat: ", "heat: 9", 1).replace("title: ", "title: Breaking ", 1)
        path.write_text(text)
    for path in rng.sample(files, 5):
        if path.exists():
            path.unlink()
    for n, path in enumerate(rng.sample([f for f in files if f.exists()], 4)):
        # An id is its file's name: a copy is a new article (its title edited too).
        text = path.read_text().replace("title: ", "title: Copied ", 1)
        path.with_name(f"added-{seed}-{n}.md").write_text(text)


def _answers(index) -> dict:
    out = {}
    for q in QUERIES:
        search = parse_search(q)
        for sort in [*SORTS, "relevance"]:
            selection = index.select(ArticleFilter(), sort, search)
            ids = [index.article_id(int(p)) for p in selection.positions(0, selection.total)]
            # Relevance: bm25 statistics count deleted documents until a merge, so the
            # order can differ a little from a fresh build's; which articles match may not.
            out[q, sort] = sorted(ids) if sort == "relevance" else ids
        selection = index.select(ArticleFilter(), "relevance", search)
        out[q, "facets"] = index.facet_counts_json(
            ["topic", "provider", "category", "type", "year"], selection, 100
        )
        narrowed = index.select(ArticleFilter(categories=("news",)), "-heat", search)
        out[q, "news"] = narrowed.total
    return out


def _cursor_walk(index, q: str, sort: str, page: int = 7) -> list[str]:
    """A field-sorted search walked with cursor keys, as the API's ``cursor=`` does."""
    selection = index.select(ArticleFilter(), sort, parse_search(q))
    seen, offset = [], 0
    while offset < selection.total:
        positions = selection.positions(offset, offset + page)
        seen += [index.article_id(int(p)) for p in positions]
        key = selection.key_at(index, sort, offset + len(positions) - 1)
        selection = index.select(ArticleFilter(), sort, parse_search(q))
        offset = selection.offset_after(index, sort, key)
    return seen


def test_an_update_answers_as_a_fresh_build(base_corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(index_module, "INCREMENTAL_MIN_ARTICLES", 0)
    folder = tmp_path / "corpus"
    shutil.copytree(base_corpus, folder)
    cache = tmp_path / "cache"
    first, _ = build_index(folder, cache_dir=cache)
    store = ArtifactStore.for_folder(cache, folder)
    assert _manifest(store, first.version)["search"] == {"built": True}
    before = _answers(first)
    for round_ in range(3):  # updates of updates
        _change(folder, round_)
        updated, _ = build_index(folder, cache_dir=cache)
        origin = _manifest(store, updated.version)["search"]
        # (Articles whose related items link anew keep their search documents.)
        assert origin["built"] is False and origin["added"] >= 9 and origin["removed"] >= 11
        fresh, _ = build_index(folder, cache_dir=tmp_path / f"fresh-{round_}")
        assert _manifest(
            ArtifactStore.for_folder(tmp_path / f"fresh-{round_}", folder), fresh.version
        )["search"] == {"built": True}
        assert _answers(updated) == _answers(fresh)
        # Digests (ETags, the sync history's diffs) kept from the previous version where
        # the JSON is the same bytes, hashed anew elsewhere: as a fresh build's.
        assert np.array_equal(updated.ids_and_digests()[1], fresh.ids_and_digests()[1])
        for sort in ("-heat", "title", "publishedDateTime"):
            walked = _cursor_walk(updated, "market", sort)
            assert walked == _cursor_walk(fresh, "market", sort)
            assert len(walked) == len(set(walked))
        some = updated.article_id(5)
        similar = updated.similar(some)
        assert {updated.article_id(int(p)) for p in similar.positions(0, 10)} - {some}
        assert some not in {updated.article_id(int(p)) for p in similar.positions(0, 50)}
    # The previous versions' artifacts were never touched: the first still answers alike.
    assert _answers(first) == before


def test_many_changes_build_the_search_index_anew(base_corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(index_module, "INCREMENTAL_MIN_ARTICLES", 0)
    folder = tmp_path / "corpus"
    shutil.copytree(base_corpus, folder)
    cache = tmp_path / "cache"
    build_index(folder, cache_dir=cache)
    for path in sorted(folder.rglob("*.md"))[:150]:  # more than a fifth of the articles
        path.write_text(path.read_text().replace("title: ", "title: Changed ", 1))
    rebuilt, _ = build_index(folder, cache_dir=cache)
    assert _manifest(ArtifactStore.for_folder(cache, folder), rebuilt.version)["search"] == {
        "built": True
    }


def _manifest(store: ArtifactStore, version: str) -> dict:
    return json.loads((store.versions / version / MANIFEST).read_text())


def test_an_update_copies_the_segments_where_it_cannot_link_them(
    base_corpus, tmp_path, monkeypatch
):
    monkeypatch.setattr(index_module, "INCREMENTAL_MIN_ARTICLES", 0)
    folder = tmp_path / "corpus"
    shutil.copytree(base_corpus, folder)
    cache = tmp_path / "cache"
    build_index(folder, cache_dir=cache)

    def no_links(*args, **kwargs):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(search_module.os, "link", no_links)
    _change(folder, 9)
    updated, _ = build_index(folder, cache_dir=cache)
    store = ArtifactStore.for_folder(cache, folder)
    assert _manifest(store, updated.version)["search"]["built"] is False
    fresh, _ = build_index(folder, cache_dir=tmp_path / "fresh")
    assert _answers(updated) == _answers(fresh)


def test_a_version_after_an_empty_one_is_built(tmp_path):
    """An empty folder's version has nothing to keep: the next one is built whole."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    cache = tmp_path / "cache"
    empty, _ = build_index(folder, cache_dir=cache)
    assert len(empty) == 0
    generate(folder, 20, seed=4, jobs=1)
    full, _ = build_index(folder, cache_dir=cache)
    assert len(full) == 20
    fresh, _ = build_index(folder, cache_dir=tmp_path / "fresh")
    assert np.array_equal(full.ids_and_digests()[1], fresh.ids_and_digests()[1])
