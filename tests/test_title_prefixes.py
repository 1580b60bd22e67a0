"""One-word suggestions come from a table of each common word start's hottest titles
(api/content/title_prefixes.py): built or patched, it answers what the search engine
answers, and what it does not hold still goes to the engine."""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from api.content import index as index_module
from api.content import search, title_prefixes
from api.content.build import build_index
from api.content.generate import generate
from api.content.search import title_words
from api.content.title_prefixes import HOTTEST, TitlePrefixes, word_starts

# Non-ASCII titles go through the engine's own analyzer (folding, ß, ligatures...).
ACCENTED = ("Café Öffentlich Straße", "Ǆemal's ﬁnancial Łódź", "CAFÉ crème à l'Élysée")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("prefixes") / "corpus"
    generate(folder, 300, seed=11, jobs=1)
    for path, title in zip(sorted(folder.rglob("*.md"))[:3], ACCENTED, strict=True):
        text = path.read_text()
        path.write_text(text.replace("title: ", f'title: "{title}" # ', 1))
    return folder


@pytest.fixture
def every_start(monkeypatch):
    """A table row for every word start (the corpus is small)."""
    monkeypatch.setattr(title_prefixes, "MIN_TITLES", 1)


def _titles(index) -> list[str]:
    return [index.title(p) for p in range(len(index))]


def _assert_as_the_engine(index) -> int:
    """Every word start of every title: the table's answer (where it has one) and the
    engine's are the hottest titles with a word of that start, counted here from the
    titles. Returns how many answers the table gave."""
    heat_rank = np.empty(len(index), np.int64)
    heat_rank[index._views["-heat"].order] = np.arange(len(index))
    having: dict[str, set[int]] = defaultdict(set)
    for position, title in enumerate(_titles(index)):
        for start in word_starts([title]):
            having[start].add(position)
    table = index._title_prefixes
    answered = 0
    for start, positions in sorted(having.items()):
        hottest_first = sorted(positions, key=heat_rank.__getitem__)
        for limit in (1, 3, HOTTEST):
            assert index.search.title_matches(start, limit) == hottest_first[:limit], start
            found = table.hottest(start, limit)
            if found is not None:
                assert found == hottest_first[:limit], (start, limit)
                answered += 1
    return answered


def test_the_table_answers_every_start_as_the_engine_does(corpus, tmp_path, every_start):
    index, _ = build_index(corpus, cache_dir=tmp_path / "cache")
    titles = _titles(index)
    assert any(not t.isascii() for t in titles)
    starts = word_starts(titles)
    assert len(index._title_prefixes) == len(starts)  # every start has a row
    assert _assert_as_the_engine(index) == 3 * len(starts)
    # The suggestions themselves: the same with the table as with the engine alone.
    with_table = {s: index.suggest(s, HOTTEST) for s in ("ca", "café", "strass", "łó", "fi")}
    index.suggester._prefixes = TitlePrefixes.build([], index._views["-heat"].order[:0])
    assert {s: index.suggest(s, HOTTEST) for s in with_table} == with_table
    cafes = {i["text"] for i in with_table["café"] if i["type"] == "article"}
    assert {ACCENTED[0], ACCENTED[2]} <= cafes


def test_the_engine_answers_what_the_table_does_not_hold(corpus, tmp_path):
    index, _ = build_index(corpus, cache_dir=tmp_path / "cache")
    table = index._title_prefixes
    titles = _titles(index)
    common = [s for s in word_starts(titles) if table.hottest(s, HOTTEST) is not None]
    assert common and all(len(s) <= 3 for s in common)  # 300 titles: only short starts
    # A start fewer than MIN_TITLES title words share, several words, a larger limit:
    # not in the table, yet suggested (by the engine).
    rare = next(w for w in title_words(titles[200]) if len(w) > 6)
    assert table.hottest(rare, HOTTEST) is None
    assert table.hottest(common[0], HOTTEST + 1) is None
    assert table.hottest(f"{common[0]} {common[0]}", HOTTEST) is None
    assert table.hottest("x" * 1000, HOTTEST) is None  # longer than any start it holds
    assert index.ids[200] in {i["id"] for i in index.suggest(rare, 50)}
    assert _assert_as_the_engine(index) == 3 * len(common)


@pytest.mark.parametrize("asked_again", [1_000, 0], ids=["rows asked again", "built anew"])
def test_a_patched_table_answers_as_the_engine_does(
    corpus, tmp_path, every_start, monkeypatch, asked_again
):
    monkeypatch.setattr(index_module, "INCREMENTAL_MIN_ARTICLES", 0)
    monkeypatch.setattr(title_prefixes, "MAX_ASKED_AGAIN", asked_again)
    folder = tmp_path / "corpus"
    shutil.copytree(corpus, folder)
    cache = tmp_path / "cache"
    first, _ = build_index(folder, cache_dir=cache)
    by_id = {first.id_of_file(str(p.relative_to(folder))): p for p in folder.rglob("*.md")}
    files = sorted(by_id.values())
    # The hottest title with a word starting "a" goes (its rows are asked again of
    # the engine), another title gets a word of its own and the most heat, one is new.
    by_id[first.ids[first._title_prefixes.hottest("a", 1)[0]]].unlink()
    text = files[20].read_text()
    files[20].write_text(
        text.replace("title: ", "title: Zyzzyva ", 1).replace("heat: ", "heat: 10 #", 1)
    )
    new = files[30].read_text().replace("webUrl: ", "webUrl: https://x.test/new#", 1)
    (folder / "zz-new.md").write_text(new)
    patched, _ = build_index(folder, cache_dir=cache)
    assert patched.patched
    table = patched._title_prefixes
    if asked_again:  # the previous rows, some asked again; a start it never had: the engine's
        assert table.starts.tobytes() == first._title_prefixes.starts.tobytes()
        assert table.hottest("zyzz", 1) is None
    else:  # every start of the patched index's titles
        assert len(table) == len(word_starts(_titles(patched)))
    assert table.hottest("z", 1) is not None
    assert _assert_as_the_engine(patched) > 0
    assert patched.suggest("zyzz", 1)[0]["text"].startswith("Zyzzyva")
    assert patched.ids[table.hottest("z", 1)[0]] == patched.id_of_file(
        str(files[20].relative_to(folder))
    )


@pytest.mark.parametrize("expands_to", [50, 0], ids=["phrase prefix", "every term"])
def test_several_words_are_found_in_a_row_hottest_first(corpus, tmp_path, monkeypatch, expands_to):
    """``facial rec``: the words in a row, the last one a start (the engine's ``pairs``
    field), as counted from the titles themselves; whether the engine's phrase prefix
    (its first 50 terms) or every term of the start is asked."""
    monkeypatch.setattr(search, "PHRASE_PREFIX_WORDS", expands_to)
    index, _ = build_index(corpus, cache_dir=tmp_path / "cache")
    heat_rank = np.empty(len(index), np.int64)
    heat_rank[index._views["-heat"].order] = np.arange(len(index))
    titles = [title_words(t) for t in _titles(index)]

    def holds(words: list[str], typed: list[str]) -> bool:
        *whole, start = typed
        return any(
            words[i : i + len(whole)] == whole and words[i + len(whole)].startswith(start)
            for i in range(len(words) - len(whole))
        )

    texts = set()
    for words in titles[::7]:
        for i in range(len(words) - 1):
            for size in (2, 3):
                for cut in (1, 2, 5):
                    part = words[i : i + size]
                    if len(part) == size:
                        texts.add(" ".join([*part[:-1], part[-1][:cut]]))
    texts |= {"the a", "a b c", "of the s", "café ö"}
    assert len(texts) > 500
    for text in sorted(texts):
        expected = sorted(
            (p for p, words in enumerate(titles) if holds(words, title_words(text))),
            key=heat_rank.__getitem__,
        )
        assert index.search.title_matches(text, HOTTEST) == expected[:HOTTEST], text
