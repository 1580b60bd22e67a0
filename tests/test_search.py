"""Full-text search, highlights, facets, similar articles and suggestions, on a corpus
where the right answers are known."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from helpers import article_fields, assert_problem, write_seed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DOCS = {
    # id: (title, excerpt, body, topics, provider index)
    "title-match": ("Robots take over the factory", "A quiet change.", "Nothing.", ["AI"], 0),
    "excerpt-only": ("A quiet morning", "Robots on the line.", "Nothing.", ["AI"], 1),
    "body-only": ("Another day", "Nothing new.", "A robot appeared at noon.", ["Climate"], 1),
    "phrase": ("Climate change is here", "Warming.", "Nothing.", ["Climate"], 2),
    "scattered": ("The change after a climate debate", "Talk.", "Nothing.", ["Climate"], 0),
    "accents": ("Élections à Paris", "Un café crème.", "Rien.", ["Élections"], 2),
    "prefix": ("Facial recognition in shops", "Cameras <b>everywhere</b>.", "x", ["AI"], 0),
    "escape": ("Robots & <script>alert(1)</script>", "Robot x.", "Nothing.", ["AI"], 1),
}


@pytest.fixture
def search_corpus(tmp_path):
    folder = tmp_path / "search"
    for i, (article_id, (title, excerpt, body, topics, provider)) in enumerate(DOCS.items()):
        fields = article_fields(i, title=title, excerpt=excerpt, topics=topics)
        fields["provider"] = article_fields(provider)["provider"]
        fields["id"] = article_id
        fields["publishedDateTime"] = dt.datetime(2020 + i % 3, 5, 1, tzinfo=dt.UTC)
        write_seed(folder, f"{article_id}.md", body=body, **fields)
    return folder


@pytest.fixture
def client(make_app, search_corpus):
    """A test client over the search corpus."""
    return make_app(search_corpus).test_client()


def ids(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.data
    return [item["id"] for item in response.get_json()["items"]]


def test_title_match_ranks_above_excerpt_above_body_and_word_forms_match(client):
    found = ids(client, "/articles?q=robot")
    assert found[:1] == ["title-match"] or found[:1] == ["escape"]
    assert found.index("title-match") < found.index("excerpt-only") < found.index("body-only")
    assert set(found) == {"title-match", "excerpt-only", "body-only", "escape"}


def test_a_phrase_needs_its_words_together(client):
    assert ids(client, '/articles?q="climate change"') == ["phrase"]
    assert set(ids(client, "/articles?q=climate change")) == {"phrase", "scattered"}


@pytest.mark.parametrize("q", ["robot -factory", "robot NOT factory"])
def test_exclusion(client, q):
    assert set(ids(client, f"/articles?q={q}")) == {"excerpt-only", "body-only", "escape"}


def test_prefix_or_and_folding(client):
    assert ids(client, "/articles?q=recog*") == ["prefix"]
    assert ids(client, "/articles?q=recog") == []
    assert set(ids(client, "/articles?q=factory OR recognition")) == {"title-match", "prefix"}
    assert ids(client, "/articles?q=ELECTIONS") == ["accents"]
    assert ids(client, "/articles?q=cafe") == ["accents"]
    assert ids(client, "/articles?q=Électións") == ["accents"]


def test_search_combines_with_filters_sorts_and_nested_lists(client):
    assert set(ids(client, "/articles?q=robot&provider=techdaily.com")) == {
        "excerpt-only",
        "body-only",
        "escape",
    }
    titles = [
        item["title"] for item in client.get("/articles?q=robot&sort=title").get_json()["items"]
    ]
    assert titles == sorted(titles, key=str.casefold)
    assert set(ids(client, "/topics/ai/articles?q=robot")) == {
        "title-match",
        "excerpt-only",
        "escape",
    }
    assert ids(client, "/providers/lemonde.fr/articles?q=cafe") == ["accents"]


def test_search_pages_and_cursor_walks_see_every_match_once(client):
    everything = ids(client, "/articles?q=robot")
    paged = [
        i for page in (1, 2, 3, 4) for i in ids(client, f"/articles?q=robot&pageSize=1&page={page}")
    ]
    assert paged == everything
    seen, url = [], "/articles?q=robot&pageSize=1&cursor="
    while url and len(seen) < 10:
        body = client.get(url).get_json()
        seen += [item["id"] for item in body["items"]]
        url = body["links"]["next"]
    assert seen == everything


def test_highlights_mark_exactly_the_matched_words_and_escape_the_rest(client):
    body = client.get("/articles?q=robot&highlight=true").get_json()
    marked = {item["id"]: item["highlight"] for item in body["items"]}
    assert marked["title-match"]["title"] == "<mark>Robots</mark> take over the factory"
    assert marked["excerpt-only"]["excerpt"] == "<mark>Robots</mark> on the line."
    assert marked["escape"]["title"] == (
        "<mark>Robots</mark> &amp; &lt;script&gt;alert(1)&lt;/script&gt;"
    )
    for highlight in marked.values():
        text = highlight["title"] + highlight["excerpt"]
        assert re.sub(r"</?mark>", "", text).count("<") == 0
    assert "highlight" not in client.get("/articles?q=robot").get_json()["items"][0]
    only = client.get("/articles?q=robot&highlight=true&fields=id,highlight.title").get_json()
    assert set(only["items"][0]) == {"id", "highlight"}


def test_facet_counts_equal_the_filtered_totals(client):
    query = "/articles?q=robot OR climate&facets=topic,provider,category,type,year&facetSize=100"
    body = client.get(query).get_json()
    assert set(body["facets"]) == {"topic", "provider", "category", "type", "year"}
    parameter = {"topic": "topic", "provider": "provider", "category": "category", "type": "type"}
    for facet, values in body["facets"].items():
        assert values, facet
        counts = [v["count"] for v in values]
        assert counts == sorted(counts, reverse=True)
        for value in values:
            if facet == "year":
                narrow = f"from={value['id']}-01-01&to={value['id']}-12-31"
            else:
                narrow = f"{parameter[facet]}={value['id']}"
            total = client.get(f"/articles?q=robot OR climate&{narrow}").get_json()["total"]
            assert value["count"] == total, (facet, value)
    plain = client.get("/articles?facets=topic").get_json()["facets"]["topic"]
    assert sum(v["count"] for v in plain) == sum(len(d[3]) for d in DOCS.values())


def test_similar_articles(client):
    found = ids(client, "/articles/title-match/similar")
    assert "title-match" not in found
    # "escape" shares the topic and the word "robots" in its title: the closest.
    assert found[0] == "escape"
    assert set(found) >= {"excerpt-only", "prefix"}
    assert_problem(client.get("/articles/nope/similar"), 404)
    page = client.get("/articles/title-match/similar?pageSize=1").get_json()
    assert page["total"] == len(found) and len(page["items"]) == 1


def test_suggestions_are_typed_and_best_first(client):
    body = client.get("/suggest?q=rob").get_json()
    assert body["items"] and {item["type"] for item in body["items"]} == {"article"}
    assert all(item["text"].lower().startswith("robot") for item in body["items"])
    assert body["items"][0]["url"].endswith(f"/articles/{body['items'][0]['id']}")
    topics = client.get("/suggest?q=ele").get_json()["items"]
    assert topics[0] == {
        "type": "topic",
        "id": "elections",
        "text": "Élections",
        "url": "http://localhost/topics/elections",
    }
    assert client.get("/suggest?q=facial rec").get_json()["items"][0]["id"] == "prefix"
    assert client.get("/suggest?q=zzzz").get_json()["items"] == []
    assert len(client.get("/suggest?q=a&limit=2").get_json()["items"]) <= 2
    assert_problem(client.get("/suggest"), 400, "q")
    assert_problem(client.get("/suggest?q=" + "a" * 101), 400, "q")


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/articles?sort=relevance", "sort"),
        ("/articles?highlight=true", "highlight"),
        ("/articles?facets=colour", "facets"),
        ("/articles?q=" + "a" * 501, "q"),
        ("/articles?q=-", "q"),
        ("/articles?q=*", "q"),
        ("/articles?q=OR", "q"),
        ("/articles?q=-robot", "q"),
        ("/articles?q=NOT robot", "q"),
        ("/articles?q=:^(){}[]", "q"),
    ],
)
def test_bad_searches_are_400s_naming_the_parameter(client, url, parameter):
    assert_problem(client.get(url), 400, parameter)


def test_a_10000_character_q_is_refused_with_a_problem(client):
    # Longer than any URL the server takes (api.url_checks: 414); shorter ones above 500
    # characters are 400s naming q.
    response = client.get("/articles?q=" + "a" * 10_000)
    assert response.status_code == 414 and response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "q",
    ['"unbalanced', 'robot"', "robot:", "(robot)", "robot^2", "{robot}", "robot\x00x", "NEAR(a b)"],
)
def test_search_syntax_characters_are_read_as_plain_words(client, q):
    assert client.get("/articles", query_string={"q": q}).status_code == 200


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(max_size=80) | st.text(alphabet='"-*():^{}[] ORNTAD robot', max_size=30))
def test_any_q_is_a_200_or_a_400(client, q):
    for url in ("/articles", "/topics/ai/articles"):
        args = {"q": q, "highlight": "true"} if q.strip() else {"q": q}
        response = client.get(url, query_string=args)
        assert response.status_code in (200, 400), (q, response.data)
    assert client.get("/suggest", query_string={"q": q}).status_code in (200, 400)


def test_an_excluded_phrase_is_excluded(client):
    # body-only has the topic "Climate"; phrase has the phrase.
    assert set(ids(client, '/articles?q=climate -"climate change"')) == {"scattered", "body-only"}
    assert set(ids(client, '/articles?q=climate NOT "climate change"')) == {
        "scattered",
        "body-only",
    }


@pytest.mark.parametrize("q", ["r*", "ro*", '"the ro"*', "robo* fac* cli* elec* sho*"])
def test_short_or_many_prefixes_are_refused(client, q):
    # A one- or two-letter prefix expands to much of the vocabulary: a cheap way to
    # make the server rank half the corpus.
    assert_problem(client.get("/articles", query_string={"q": q}), 400, "q")


def test_suggestions_follow_half_typed_words_and_come_hottest_first(make_app, tmp_path):
    folder = tmp_path / "hot"
    for i in range(300):  # more matching titles than the candidates a suggestion reads
        fields = article_fields(i, title=f"Recognition story {i:03d}", heat=i)
        write_seed(folder, f"s{i:03d}.md", **fields)
    client = make_app(folder).test_client()
    for typed in ("recognitio", "recog", "RÉCOGNITION st"):
        items = client.get("/suggest", query_string={"q": typed, "limit": 3}).get_json()["items"]
        assert [item["text"] for item in items] == [
            "Recognition story 299",
            "Recognition story 298",
            "Recognition story 297",
        ], typed


def test_relevance_cursors_are_bound_to_the_content_version(make_app, search_corpus):
    app = make_app(search_corpus, RELOAD="off")
    client = app.test_client()
    first = client.get("/articles?q=robot&pageSize=1&cursor=").get_json()
    next_url = first["links"]["next"]
    write_seed(search_corpus, "late.md", **article_fields(50, id="late", title="Robot late"))
    app.extensions["reloader"].reload_now(raise_errors=True)
    doc = assert_problem(client.get(next_url), 400, "cursor")
    assert "start again" in doc["detail"]
    # A walk sorted by a field survives the change.
    walk = client.get("/articles?q=robot&sort=title&pageSize=1&cursor=").get_json()
    assert client.get(walk["links"]["next"]).status_code == 200


def test_no_fork_while_a_search_index_is_written(tmp_path, monkeypatch):
    """No lock of the index writer's may be inherited held by a forked worker."""
    import os
    import threading
    import time

    from api.content import search

    inside, release = threading.Event(), threading.Event()
    real_create = search._create

    def slow_create(folder, rows):
        inside.set()
        release.wait(5)
        real_create(folder, rows)

    monkeypatch.setattr(search, "_create", slow_create)
    rows = [
        search.SearchRow(
            0,
            "Title",
            "Excerpt",
            "Body",
            ["AI"],
            "Provider",
            ["ai"],
            "p.com",
            None,
            None,
            "2020",
            True,
            0.0,
            0.5,
            1.0,
            {sort: 0 for sort in search.SORTS},
        )
    ]
    builder = threading.Thread(target=search.SearchIndex.build, args=(rows, tmp_path / "s"))
    builder.start()
    assert inside.wait(5)
    forked = threading.Event()

    def fork():
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        forked.set()
        os.waitpid(pid, 0)

    forker = threading.Thread(target=fork)
    forker.start()
    time.sleep(0.3)
    assert not forked.is_set()  # the fork waits for the database to be written
    release.set()
    builder.join(5)
    forker.join(5)
    assert forked.is_set()


def test_a_start_of_more_than_fifty_words_finds_every_one(make_app, tmp_path):
    """The engine's phrase prefix expands a start to its first 50 words only: a start
    with more (here 70, one a title) is asked as the set of all of them, in searches
    (``zeb*``) and suggestions (the table's row, and the engine for a larger limit)."""
    folder = tmp_path / "zeb"
    for i in range(70):
        word = f"zeb{chr(97 + i % 26)}{chr(97 + i // 26)}"
        write_seed(folder, f"z{i:02d}.md", **article_fields(i, title=f"The {word} report"))
    client = make_app(folder).test_client()
    assert client.get("/articles?q=zeb*&pageSize=1").get_json()["total"] == 70
    hottest = [
        a["title"] for a in client.get("/articles?sort=-heat&pageSize=50").get_json()["items"]
    ]
    for limit in (10, 50):  # (the table's row; the engine)
        items = client.get(f"/suggest?q=zeb&limit={limit}").get_json()["items"]
        assert [i["text"] for i in items] == hottest[:limit]
