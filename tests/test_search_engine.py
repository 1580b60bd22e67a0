"""The search engine behind `q` (issue 11): an index folder built once and opened
anywhere, bounded work per request, engine-side filters, sorts and walks."""

from __future__ import annotations

import time

import pytest
from helpers import article_fields, assert_problem, write_corpus, write_seed

from api.content import search
from api.content.index import ArticleFilter
from schemas.search_syntax import parse_search


@pytest.fixture
def corpus(tmp_path):
    """40 articles titled "Story NN about robots", values following their number."""
    return write_corpus(tmp_path / "content", 40)


@pytest.fixture
def client(make_app, corpus):
    return make_app(corpus).test_client()


def walk(client, url: str) -> list[str]:
    seen = []
    while url and len(seen) < 200:
        body = client.get(url).get_json()
        seen += [item["id"] for item in body["items"]]
        url = body["links"]["next"]
    return seen


def test_the_index_folder_opens_anywhere_after_a_rename(tmp_path, make_app, corpus):
    app = make_app(corpus)
    with app.app_context():
        from api.store import current_index

        folder = current_index().search.folder
        keys = current_index().search.keys  # documents to positions: the content index's
    moved = tmp_path / "artifact" / "search"
    moved.parent.mkdir()
    folder.rename(moved)  # nothing absolute inside: the lead renames artifact folders
    started = time.perf_counter()
    engine = search.SearchIndex.open(moved)
    assert time.perf_counter() - started < 0.5
    engine.keys = keys
    hits = engine.hits(engine.compile(parse_search("robots")).query, 0, 100)
    assert hits.total == 40 and sorted(hits.positions.tolist()) == list(range(40))


def assert_search_matches_the_list(client, narrow: str) -> None:
    """A search every article matches, within ``narrow``, finds what the list shows."""
    plain = client.get(f"/articles?{narrow}&pageSize=100").get_json()
    searched = client.get(f"/articles?q=robot&{narrow}&pageSize=100").get_json()
    assert searched["total"] == plain["total"] > 0, narrow
    assert {i["id"] for i in searched["items"]} == {i["id"] for i in plain["items"]}


def test_engine_filters_equal_the_list_filters(client):
    for narrow in (
        "topic=ai",
        "provider=techdaily.com&type=video",
        "category=news&published=true",
        "from=2021-01-05&to=2021-01-20",
        "minQuality=50",
        "minHeat=3",
    ):
        assert_search_matches_the_list(client, narrow)


@pytest.mark.parametrize("united", [search.MAX_TERMS_UNITED, 1])
def test_several_values_of_a_filter_match_as_in_the_list_united_or_as_a_set(
    client, monkeypatch, united
):
    # Up to MAX_TERMS_UNITED values are a union of term queries, more a term set: the
    # same matches either way (1 sends these two and three values to the term set).
    monkeypatch.setattr(search, "MAX_TERMS_UNITED", united)
    for narrow in (
        "topic=ai,climate-change",
        "topic=ai&topic=ai&topic=elections",  # a repeated value counts once
        "provider=techdaily.com,lemonde.fr&category=news",
        "type=video,article&topic=computer-vision",
        "topic=ai,no-such-topic",
    ):
        assert_search_matches_the_list(client, narrow)


@pytest.mark.parametrize("sort", ["title", "-title", "quality", "-heat", "publishedDateTime"])
def test_field_sorted_searches_page_and_walk_like_the_list(client, sort):
    plain = [i["id"] for i in client.get(f"/articles?sort={sort}&pageSize=100").json["items"]]
    searched = client.get(f"/articles?q=robot&sort={sort}&pageSize=100").get_json()
    assert [i["id"] for i in searched["items"]] == plain
    paged = [
        i["id"]
        for page in range(1, 6)
        for i in client.get(f"/articles?q=robot&sort={sort}&pageSize=9&page={page}").json["items"]
    ]
    assert paged == plain
    assert walk(client, f"/articles?q=robot&sort={sort}&pageSize=7&cursor=") == plain


def test_a_relevance_walk_sees_every_match_once(client):
    everything = [i["id"] for i in client.get("/articles?q=robot&pageSize=100").json["items"]]
    assert len(everything) == 40
    assert walk(client, "/articles?q=robot&pageSize=6&cursor=") == everything


def test_a_search_that_would_read_too_much_is_a_400_naming_q(client, monkeypatch):
    monkeypatch.setattr(search, "MAX_POSTINGS", 50)
    doc = assert_problem(client.get("/articles?q=robot OR story"), 400, "q")
    assert "too much" in doc["detail"]
    assert client.get("/articles?q=07").status_code == 200  # a rare word still works
    assert_problem(client.get("/articles/feed.json?q=robot OR story"), 400, "q")


def test_a_search_refused_for_its_cost_names_its_costliest_part(client, monkeypatch):
    """Every title has "story" and "robots" (and every excerpt and body "story"), one has
    "07": the 400 says which part of the search to drop or narrow, as it was typed."""
    monkeypatch.setattr(search, "MAX_POSTINGS", 40)  # "robots": 40 titles; "07": 1
    doc = assert_problem(client.get("/articles?q=07 robots"), 400, "q")
    assert "too much" in doc["detail"] and "robots costs the most" in doc["detail"]
    monkeypatch.setattr(search, "MAX_POSTINGS", 100)
    doc = assert_problem(client.get("/articles?q=07 -story"), 400, "q")  # 120
    assert "-story costs the most" in doc["detail"]
    doc = assert_problem(client.get('/articles?q=07 OR "about robots"'), 400, "q")
    assert '"about robots" costs the most' in doc["detail"]
    monkeypatch.setattr(search, "MAX_POSTINGS", 60)
    doc = assert_problem(client.get("/articles?q=07 robo*"), 400, "q")  # 2 x 40
    assert "robo* costs the most" in doc["detail"]


def test_a_phrase_is_charged_by_its_rarest_word_pair_not_by_its_words(
    make_app, tmp_path, monkeypatch
):
    """Both words of "stories robots" are in 21 titles, side by side in one: the engine
    reads the pair's single posting and skips the words' lists to it, so the phrase is
    answered under a bound that refuses the two words read in full (21 + 21 postings)."""
    folder = tmp_path / "pairs"
    for i in range(20):
        fields = article_fields(i, title=f"Robots and stories {i}", excerpt=f"Excerpt {i}.")
        write_seed(folder, f"a{i:02d}.md", **fields)
    write_seed(folder, "b.md", **article_fields(20, title="Stories robots", excerpt="Other."))
    client = make_app(folder).test_client()
    monkeypatch.setattr(search, "MAX_POSTINGS", 41)
    assert client.get('/articles?q="stories robots"').get_json()["total"] == 1
    doc = assert_problem(client.get("/articles?q=stories robots"), 400, "q")
    assert "too much" in doc["detail"]
    # A common pair costs what its own postings do: "robots and" is in 20 titles.
    assert_problem(client.get('/articles?q="robots and"'), 400, "q")
    monkeypatch.setattr(search, "MAX_POSTINGS", 10**6)
    assert client.get('/articles?q="robots and"').get_json()["total"] == 20


def test_a_prefix_standing_for_too_many_words_is_a_400(client, monkeypatch):
    assert client.get("/articles?q=sto*").get_json()["total"] == 40
    monkeypatch.setattr(search, "MAX_EXPANSIONS", 0)
    doc = assert_problem(client.get("/articles?q=stor*"), 400, "q")  # (not cached)
    assert "more letters" in doc["detail"]


def test_ranked_pages_stop_at_the_window_but_exports_stream_on(client, monkeypatch):
    monkeypatch.setattr(search, "MAX_RANKED_WINDOW", 10)
    import api.content.index as index_module

    monkeypatch.setattr(index_module, "MAX_RANKED_WINDOW", 10)
    assert client.get("/articles?q=robot&pageSize=5&page=2").status_code == 200
    assert_problem(client.get("/articles?q=robot&pageSize=5&page=3"), 400, "page")
    assert_problem(client.get("/articles?q=robot&sort=title&pageSize=5&page=3"), 400, "page")
    walked = walk(client, "/articles?q=robot&sort=title&pageSize=5&cursor=")
    assert len(walked) == 40  # a field-sorted walk resumes at a rank: no depth limit
    lines = client.get("/articles/export.ndjson?q=robot").data.splitlines()
    assert len(lines) == 40


def test_highlights_cut_long_excerpts_around_the_matches(make_app, tmp_path):
    folder = tmp_path / "long"
    words = " ".join(f"filler{i}" for i in range(60))
    excerpt = f"{words} the robots arrived {words}"
    write_seed(folder, "a.md", **article_fields(1, excerpt=excerpt, title="A <b> day"))
    client = make_app(folder).test_client()
    item = client.get("/articles?q=robot&highlight=true").get_json()["items"][0]
    fragment = item["highlight"]["excerpt"]
    assert fragment.startswith("…") and fragment.endswith("…")
    assert "<mark>robots</mark>" in fragment
    assert len(fragment.split()) <= search.SNIPPET_TOKENS + 2
    assert item["highlight"]["title"] == "A &lt;b&gt; day"


def test_similar_is_a_ranked_page_with_an_exact_total(client, make_app, corpus):
    body = client.get("/articles/a00/similar?pageSize=5").get_json()
    ids = [i["id"] for i in body["items"]]
    assert "a00" not in ids and len(ids) == 5
    everything = client.get("/articles/a00/similar?pageSize=100").get_json()
    assert everything["total"] == len(everything["items"]) == 39  # all share "robots"
    assert [i["id"] for i in everything["items"]][:5] == ids


def test_facets_of_a_search_count_every_match(client):
    body = client.get("/articles?q=robot&facets=topic,year&facetSize=100").get_json()
    plain = client.get("/articles?facets=topic,year&facetSize=100").get_json()
    assert body["facets"] == plain["facets"]


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_the_few_facet_values_shown_are_the_lists_ties_by_id(client, size):
    # Every topic and category is on 20 of the 40 articles: each cut is across a tie.
    facets = "topic,provider,category,type,year"
    body = client.get(f"/articles?q=robot&facets={facets}&facetSize={size}").get_json()
    plain = client.get(f"/articles?facets={facets}&facetSize={size}").get_json()
    assert body["facets"] == plain["facets"]
    assert [v["count"] for v in body["facets"]["topic"]] == [20] * min(size, 4)


@pytest.mark.parametrize("size", [1, 3, 100])
def test_topic_counts_of_a_search_cover_articles_with_none_and_with_many(make_app, tmp_path, size):
    # The engine counts topics in slots of one topic each (four, then the rest): articles
    # with none, with fewer than four and with more (up to seven) are all counted.
    folder = tmp_path / "many-topics"
    names = [f"Topic {chr(65 + k)}" for k in range(9)]
    for i in range(24):
        topics = [names[(i + k) % len(names)] for k in range(i % 8)]
        write_seed(folder, f"m{i:02d}.md", **article_fields(i, topics=topics))
    client = make_app(folder).test_client()
    for narrow in ["", "&topic=topic-c", "&category=news"]:
        url = f"/articles?facets=topic,provider&facetSize={size}{narrow}"
        searched = client.get(url + "&q=robot").get_json()
        listed = client.get(url).get_json()
        assert searched["total"] == listed["total"] > 0
        assert searched["facets"] == listed["facets"]
    every = client.get("/articles?q=robot&facets=topic&facetSize=100").get_json()["facets"]
    assert sum(v["count"] for v in every["topic"]) == sum(i % 8 for i in range(24))


def test_the_engine_cut_decides_the_values_shown_unless_a_tie_crosses_it(make_app, corpus):
    app = make_app(corpus)
    with app.app_context():
        from api.store import current_index

        table = current_index().facets
        assert table.decided("topic", {"ai": 5, "climate-change": 4, "elections": 3}, 2)
        assert not table.decided("topic", {"ai": 5, "climate-change": 4, "elections": 4}, 2)
        assert table.decided("topic", {"ai": 5, "elections": 4}, 2)  # every value came back
        assert not table.decided("topic", {"ai": 5, "no-such-topic": 1}, 2)  # unknown value


def test_select_with_a_search_ranks_only_the_page(make_app, corpus):
    app = make_app(corpus)
    with app.app_context():
        from api.store import current_index

        index = current_index()
        selection = index.select(ArticleFilter(), "relevance", parse_search("robot"))
        assert len(selection.positions(0, 3)) == 3
        assert selection.total == 40


def test_facets_over_too_many_matches_are_a_400_naming_facets(client, monkeypatch):
    import api.content.index as index_module

    monkeypatch.setattr(index_module, "MAX_FACET_WORK", 79)
    assert client.get("/articles?q=robot&facets=topic").status_code == 200  # 40 values
    doc = assert_problem(client.get("/articles?q=robot&facets=topic,year"), 400, "facets")
    assert "fewer facets" in doc["detail"]
    assert client.get("/articles?facets=topic,year").status_code == 200  # no search: numpy


def test_highlights_mark_prefixes_and_every_form_of_a_word(make_app, tmp_path):
    folder = tmp_path / "forms"
    fields = article_fields(1, title="Robotic robots: a ROBOT's robe", excerpt="Recognition.")
    write_seed(folder, "a.md", **fields)
    client = make_app(folder).test_client()
    item = client.get("/articles?q=robots&highlight=true").get_json()["items"][0]
    assert item["highlight"]["title"] == (  # "robotic" stems to "robot" too; "robe" not
        "<mark>Robotic</mark> <mark>robots</mark>: a <mark>ROBOT</mark>'s robe"
    )
    item = client.get("/articles?q=recog*&highlight=true").get_json()["items"][0]
    assert item["highlight"]["excerpt"] == "<mark>Recognition</mark>."


@pytest.mark.parametrize("sort", ["relevance", "title"])
def test_a_page_far_past_the_end_is_empty_not_a_crash(client, sort):
    # tantivy allocates offset + limit up front: a page of 10**9 must never reach it.
    response = client.get(f"/articles?q=robot&sort={sort}&pageSize=100&page=1000000000")
    assert response.status_code == 200 and response.get_json()["items"] == []
    assert response.get_json()["total"] == 40
    feed = client.get(f"/articles/feed.json?q=robot&sort={sort}&page=1000000000")
    assert feed.status_code == 200


PHRASE_DOCS = {
    # id: (title, excerpt, body)
    "p-excerpt": ("Rising seas", "Climate change returns.", "Nothing."),
    "p-forms": ("A report", "Dry.", "We saw climates changing fast, and policy too."),
    "p-across": ("Talks on the climate", "Change was not agreed.", "Nothing."),
    "p-apart": ("Notes", "Dry.", "The climate is a change of mind."),
    "p-three": ("Plans", "Dry.", "The new climate change policy arrives."),
    "p-title": ("Climate change policy in the title", "Dry.", "Nothing."),
}


@pytest.fixture
def phrase_app(make_app, tmp_path):
    folder = tmp_path / "phrases"
    for i, (article_id, (title, excerpt, body)) in enumerate(PHRASE_DOCS.items()):
        fields = article_fields(i, title=title, excerpt=excerpt, topics=["Weather"])
        write_seed(folder, f"{article_id}.md", body=body, id=article_id, **fields)
    return make_app(folder)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"climate change"', {"p-excerpt", "p-forms", "p-three", "p-title"}),
        ('"climate change policy"', {"p-three", "p-title"}),
        ('"policy climate"', set()),
        ('"change policy" -"climate change policy"', set()),
        ('seas "climate change"', {"p-excerpt"}),
    ],
)
def test_a_phrase_is_found_through_its_pairs_within_one_field(phrase_app, q, expected):
    # Pairs of words in a row narrow a phrase's documents: word forms still match, and a
    # pair that spans two fields (a title's last word, the excerpt's first) does not.
    found = phrase_app.test_client().get(f"/articles?q={q}&pageSize=50").get_json()
    assert {item["id"] for item in found["items"]} == expected


def test_the_pairs_of_a_phrase_change_no_score(phrase_app, monkeypatch):
    with phrase_app.app_context():
        from api.store import current_index

        index = current_index()

        def ranked(q: str) -> list[tuple[int, float]]:
            compiled = index.search.compile(parse_search(q))
            hits = index.search.hits(compiled.query, 0, 20)
            return list(zip(hits.positions.tolist(), hits.scores, strict=True))

        queries = ['"climate change"', '"climate change policy"', 'climate "change policy"']
        with_pairs = [ranked(q) for q in queries]
        monkeypatch.setattr(search, "PAIRED_TEXT", ())  # phrases read positions only
        assert [ranked(q) for q in queries] == with_pairs
        assert all(with_pairs)
