"""A small change among many articles patches the previous version's index (columns,
blob, search) instead of assembling it from every record (api/content/index.py
``_patch``, api/content/columns.py): everything it answers is what a fresh build of
the same folder answers, byte for byte."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from test_search_update import _answers

from api.content import build as build_module
from api.content import index as index_module
from api.content import title_prefixes
from api.content.artifact import MANIFEST, ArtifactStore
from api.content.build import build_index
from api.content.cache import BuildCache
from api.content.columns import Field, gather
from api.content.generate import generate
from api.content.index import BLOB_FILE, ArticleFilter
from api.content.title_prefixes import word_starts
from schemas.query import ARTICLE_SORTS, DIRECTORY_SORTS, FACETS

SORTS = [f"{sign}{key}" for key in ARTICLE_SORTS for sign in ("", "-")]
DIRECTORY = [f"{sign}{key}" for key in DIRECTORY_SORTS for sign in ("", "-")]


@pytest.fixture(scope="module")
def base_corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("patch") / "corpus"
    generate(folder, 300, seed=5, jobs=1)
    return folder


@pytest.fixture
def folder(base_corpus, tmp_path, monkeypatch) -> Path:
    """A copy of the corpus to change, patched even though it is small."""
    monkeypatch.setattr(index_module, "INCREMENTAL_MIN_ARTICLES", 0)
    monkeypatch.setattr(title_prefixes, "MIN_TITLES", 2)
    copy = tmp_path / "corpus"
    shutil.copytree(base_corpus, copy)
    return copy


def _state(index) -> dict:
    """Everything the index answers, by id (positions are the index's own business)."""
    ids = list(index.ids)
    out: dict = {"ids": ids}
    out["articles"] = [index.article_json(i) for i in ids]
    out["digests"] = [index.article_digest(i) for i in ids]
    out["related"] = [index.related_json(i, 0, 1000) for i in ids]
    out["titles"] = [index.title(p) for p in range(len(ids))]
    for sort in SORTS:
        view = index._views[sort]
        out[sort] = [ids[p] for p in view.order.tolist()]
        out[sort, "columns"] = {k: v.tobytes() for k, v in view.columns.items()}
        out[sort, "postings"] = {
            group: {value: ranks.tolist() for value, ranks in lists.items()}
            for group, lists in view.postings.items()
        }
        for flt in (
            ArticleFilter(topics=(_first_id(index.topics),)),
            ArticleFilter(providers=(_first_id(index.providers),), min_heat=0.3),
            ArticleFilter(categories=("news",), after=1.6e9),
        ):
            selection = index.select(flt, sort)
            out[sort, flt] = [ids[p] for p in selection.positions(0, selection.total).tolist()]
        out[sort, "cursor"] = index.sort_key(sort, int(view.order[len(ids) // 2]))
    view = index._views["title"]
    out["members"] = {
        group: {value: np.flatnonzero(mask).tolist() for value, mask in masks.items()}
        for group, masks in view.members.items()
    }
    for name, directory in (("providers", index.providers), ("topics", index.topics)):
        for sort in DIRECTORY:
            out[name, sort] = directory.page_json(sort, 0, 1000)
    out["facets"] = index.facets.counts_json(FACETS, None, 1000)
    picked = index.select(ArticleFilter(min_quality=0.5), "title").all_positions()
    out["facets quality"] = index.facets.counts_json(FACETS, picked, 10)
    # Every start of up to 3 letters (most of them rows of the title table, patched).
    starts = [s for s in sorted(word_starts(out["titles"])) if len(s) <= 3]
    out["suggest"] = [index.suggest(text, 10) for text in [*starts, "cli", "new y", "tech"]]
    out["search"] = _answers(index)
    out["skipped"] = sorted(map(str, index.skipped))
    out["warnings"] = sorted(map(str, index.warnings))
    # (Not compared: similar articles and relevance order, whose BM25 statistics count
    # deleted documents until their segment merges: see tests/test_search_update.py.)
    return out


def _built_as_fresh(folder: Path, cache: Path, tmp_path: Path, *, patched: bool):
    """Build ``folder`` into ``cache``; check that it was ``patched`` (or assembled) and
    that it answers as a fresh build of the folder does."""
    index, _ = build_index(folder, cache_dir=cache)
    store = ArtifactStore.for_folder(cache, folder)
    assert _manifest(store, index.version)["patched"] is patched
    fresh, _ = build_index(folder, cache_dir=tmp_path / f"fresh-{index.version}")
    assert _state(index) == _state(fresh)
    return index


def _first_id(directory) -> str:
    return json.loads(directory.page_json("-articleCount", 0, 1))[0]["id"]


def _manifest(store: ArtifactStore, version: str) -> dict:
    return json.loads((store.versions / version / MANIFEST).read_text())


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def _linked_from(folder: Path) -> tuple[Path, Path]:
    """A file whose article other articles' related items link to, and one of those."""
    files = sorted(folder.rglob("*.md"))
    urls = {}
    for path in files:
        match = re.search(r"^webUrl: (\S+)$", path.read_text(), re.M)
        urls[match.group(1).strip("'\"")] = path
    for path in files:
        for url in re.findall(r"webUrl: (\S+)", path.read_text())[1:]:
            target = urls.get(url.strip("'\""))
            if target is not None and target != path:
                return target, path
    raise AssertionError("the generated corpus links no article to another")


def _change(folder: Path, round_: int) -> None:
    files = sorted(folder.rglob("*.md"))
    step = 7 + round_
    _edit(files[step], "title: ", "title: Aardvark ")  # moves in the title order
    _edit(files[2 * step], "heat: ", "heat: 9")
    _edit(files[3 * step], "title: ", "title: " + files[4 * step].stem + " ")
    target, _ = _linked_from(folder)
    if round_ == 0:  # the article others link to goes: their items lose their id
        target.unlink()
    elif round_ == 1:  # it comes back under a smaller id: their items link to it
        files[5 * step].with_name("0000-first.md").write_text(files[5 * step].read_text())
    else:  # a file that is no article any more, and a new topic
        files[6 * step].write_text("---\ntitle: [unclosed\n---\n")
        text = files[8 * step].read_text()
        files[8 * step].with_name("zz-new.md").write_text(
            text.replace("topics:", "topics:\n- Brand New Topic", 1)
        )
    (files[9 * step]).unlink()


def test_a_patched_index_answers_as_a_fresh_build(folder, tmp_path):
    cache = tmp_path / "cache"
    first, _ = build_index(folder, cache_dir=cache)
    store = ArtifactStore.for_folder(cache, folder)
    assert _manifest(store, first.version)["patched"] is False
    before = _state(first)
    for round_ in range(3):  # patches of patches
        _change(folder, round_)
        patched = _built_as_fresh(folder, cache, tmp_path, patched=True)
        # The blob is the previous file, extended: one inode for every patched version.
        blob = store.versions / patched.version / BLOB_FILE
        assert os.stat(blob).st_nlink >= 2
    assert _state(first) == before  # earlier versions answer as they did


def test_many_changes_are_assembled_not_patched(folder, tmp_path):
    cache = tmp_path / "cache"
    build_index(folder, cache_dir=cache)
    for path in sorted(folder.rglob("*.md"))[:100]:  # more than a fifth
        _edit(path, "title: ", "title: Changed ")
    rebuilt, _ = build_index(folder, cache_dir=cache)
    store = ArtifactStore.for_folder(cache, folder)
    assert _manifest(store, rebuilt.version)["patched"] is False


def test_a_patch_starts_from_the_current_version_whatever_was_built_since(folder, tmp_path):
    """A patch applies the changes between the current artifact's files and the
    folder's: after a build that was never made current (here: the current version
    pointed back), the next one patches the current one with both changes."""
    cache = tmp_path / "cache"
    first, _ = build_index(folder, cache_dir=cache)
    one, two = sorted(folder.rglob("*.md"))[10:12]
    _edit(one, "title: ", "title: One ")
    build_index(folder, cache_dir=cache)
    store = ArtifactStore.for_folder(cache, folder)
    store.set_current(first.version)  # (as if the second had never been published)
    _edit(two, "title: ", "title: Two ")
    _built_as_fresh(folder, cache, tmp_path, patched=True)


def _store_of(cache: Path, folder: Path) -> ArtifactStore:
    return ArtifactStore.for_folder(cache, folder)


def _as_a_new_process() -> None:
    """Forget what this process remembers of folders and records: a new process knows
    only what the store holds."""
    build_module._built.clear()
    build_module._remembered.clear()
    BuildCache._memory.clear()


def test_a_new_process_patches_from_the_keys_the_current_artifact_lists(folder, tmp_path):
    """A server started on a folder changed since its last build patches that version:
    the artifact lists the files it was built from, whatever built it."""
    cache = tmp_path / "cache"
    build_index(folder, cache_dir=cache)
    _as_a_new_process()
    _change(folder, 0)
    _built_as_fresh(folder, cache, tmp_path, patched=True)


def test_a_restart_after_patches_patches_the_last_one(folder, tmp_path, monkeypatch):
    """The per-file cache is not rewritten by a patch (it is the last assembled
    version's): a new process still patches the last patched version, from its keys,
    without reading that cache (1,000,000 files: gigabytes) or any unchanged file."""
    cache = tmp_path / "cache"
    build_index(folder, cache_dir=cache)
    _change(folder, 0)
    _built_as_fresh(folder, cache, tmp_path, patched=True)
    _as_a_new_process()
    _change(folder, 1)
    read = []
    real_read = build_module.read_article
    monkeypatch.setattr(BuildCache, "load", lambda self: pytest.fail("cache loaded"))
    monkeypatch.setattr(
        build_module, "read_article", lambda path, root: read.append(path) or real_read(path, root)
    )
    index, _ = build_index(folder, cache_dir=cache)
    monkeypatch.undo()
    store = ArtifactStore.for_folder(cache, folder)
    assert _manifest(store, index.version)["patched"] is True
    assert len(read) == 4  # (three changed files, one added: _change)
    fresh, _ = build_index(folder, cache_dir=tmp_path / "fresh")
    assert _state(index) == _state(fresh)


def test_a_builder_keeps_no_keys_between_builds(folder, tmp_path):
    """After a build, the folder's last scan is the artifact's list, not loaded; a look
    at the folder that finds it unchanged lets the keys it loaded go again."""
    cache = tmp_path / "cache"
    first, _ = build_index(folder, cache_dir=cache)
    scan = build_module._remembered[folder]
    assert scan.held is None and scan.source[1] == first.version
    path = sorted(folder.rglob("*.md"))[3]
    assert build_module.folder_version(folder, {path.relative_to(folder).as_posix()}) == (
        first.version
    )
    assert build_module._remembered[folder].held is None
    rel = path.relative_to(folder).as_posix()
    build_module.prepare_scan(folder)  # (a reloader, while the folder gets quiet)
    assert build_module._remembered[folder].held[rel] is not None
    old_key = build_module._artifact_scan(folder, _store_of(cache, folder), first.version).keys[rel]
    _edit(path, "title: ", "title: Changed ")
    changed = build_module.folder_version(folder, {rel})
    assert changed != first.version
    # The scan knows what changed since the artifact it was updated from.
    assert build_module._remembered[folder].since == (
        (_store_of(cache, folder).dir, first.version),
        {rel: old_key},
    )
    # Written in the background (as a server's builder does), the keys are kept until
    # the artifact lists them.
    second, _ = build_index(folder, cache_dir=cache, cache_write="later")
    assert second.version == changed
    assert _manifest(_store_of(cache, folder), changed)["patched"] is True
    assert ArtifactStore.wait_for_writes(10)
    assert _store_of(cache, folder).file_keys(changed)[1][rel] != old_key
    for _ in range(100):
        if build_module._remembered[folder].held is None:
            break
        time.sleep(0.05)
    assert build_module._remembered[folder].held is None
    assert build_module._built[folder].held is None


def test_field_patches_keep_names_and_drop_unused_values():
    field = Field.of([[("a", "A")], [("b", "B"), ("a", "a")], [], [("a", "a")]])
    assert field.values == ["a", "b"] and field.names == ["a", "B"]  # 2 "a" over 1 "A"
    # Drop the last article, add one naming "a" as "A" and a new value "c": a tie
    # between "A" and "a" goes to the name that sorts first.
    patched = field.patched([[("a", "A"), ("c", "C")]], np.array([0, 1, 2, 4]))
    assert patched.values == ["a", "b", "c"] and patched.names == ["A", "B", "C"]
    assert patched.counts().tolist() == [3, 1, 1]
    assert {k: v.tolist() for k, v in patched.grouped().items()} == {
        "a": [0, 1, 3],
        "b": [1],
        "c": [3],
    }
    gone = patched.patched([], np.array([0, 2]))  # "b" and "c" no longer named
    assert gone.values == ["a"] and gone.counts().tolist() == [1]


def test_gather_takes_rows_of_a_csr_table():
    ptr = np.array([0, 2, 2, 5])
    values = np.arange(10).reshape(5, 2)
    new_ptr, new_values = gather(ptr, values, np.array([2, 0, 1]))
    assert new_ptr.tolist() == [0, 3, 5, 5]
    assert new_values.tolist() == [[4, 5], [6, 7], [8, 9], [0, 1], [2, 3]]


def test_title_ranks_between_two_titles_never_run_out():
    """Arrivals between the same two titles halve the room between their ranks: when a
    float has no room left, the previous ranks are made dense again first."""

    class Previous:  # what _title_ranks reads of an index
        def __init__(self, titles: list[str], ranks: np.ndarray) -> None:
            self.titles = titles
            self._columns = {"title": ranks}
            self._views = {"title": SimpleNamespace(order=np.argsort(ranks, kind="stable"))}

        def title(self, position: int) -> str:
            return self.titles[position]

    titles = ["a", "b"]
    ranks = np.array([0.0, 1.0])
    for k in range(80):  # each new title sorts just before the last one added
        new = "a" + "z" * (80 - k)
        record = SimpleNamespace(title=new)
        kept, rank = index_module._title_ranks(Previous(titles, ranks), [record])
        ranks = np.concatenate([kept, rank])
        titles.append(new)
        order = np.argsort(ranks, kind="stable")
        assert [titles[i] for i in order] == sorted(titles, key=lambda t: (t.casefold(), t))
    kept, same = index_module._title_ranks(Previous(titles, ranks), [SimpleNamespace(title="b")])
    assert same[0] == kept[1]  # an equal title, an equal rank


def test_a_patched_index_knows_which_file_each_article_came_from(folder, tmp_path):
    cache = tmp_path / "cache"
    build_index(folder, cache_dir=cache)
    _change(folder, 2)
    patched, _ = build_index(folder, cache_dir=cache)
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*.md")}
    skipped = {s.path for s in patched.skipped}
    for rel in files - skipped:  # (a generated article's id is its file's name)
        assert patched.id_of_file(rel) == Path(rel).stem
    assert patched.id_of_file("no/such/file.md") is None
    assert all(patched.id_of_file(rel) is None for rel in skipped)
    assert len({patched.id_of_file(rel) for rel in files - skipped}) == len(patched)
