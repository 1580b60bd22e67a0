"""Feeds: JSON Feed 1.1 checked against the specification's schema, Atom and RSS read back
with feedparser; paging, filters, scopes, and the 4xx of bad requests."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlsplit

import feedparser
import pytest
from helpers import article_fields, assert_problem, write_corpus, write_seed
from jsonschema import Draft202012Validator

from api import create_app
from api.content.seeds import RESERVED_IDS
from schemas.json_feed import JSON_FEED_SCHEMA

BASE = "http://localhost"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """One app over the usual 30 articles for this module's read-only tests (building an
    app per test would be most of their time)."""
    root = tmp_path_factory.mktemp("feeds")
    app = create_app(
        {
            "TESTING": True,
            "CONTENT_DIR": str(write_corpus(root / "content", 30)),
            "CACHE_DIR": str(root / "cache"),
        }
    )
    return app.test_client()


def list_ids(client, query: str = "", path: str = "/articles") -> list[str]:
    """The ids the JSON list gives for a query, all pages."""
    body = client.get(f"{path}?pageSize=100&{query}").get_json()
    assert body["totalPages"] <= 1
    return [item["id"] for item in body["items"]]


def api_url(article_id: str) -> str:
    return f"{BASE}/articles/{article_id}"


def is_absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def parse(response) -> feedparser.FeedParserDict:
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


# -- JSON Feed ------------------------------------------------------------------------


def test_json_feed_follows_the_specification(client):
    response = client.get("/articles/feed.json?pageSize=5")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/feed+json"
    feed = response.get_json(force=True)
    Draft202012Validator(JSON_FEED_SCHEMA).validate(feed)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "News Content API: articles"
    assert feed["feed_url"] == f"{BASE}/articles/feed.json?pageSize=5&page=1"
    assert feed["home_page_url"] == f"{BASE}/articles?pageSize=5&page=1"
    version = response.headers["X-Content-Version"]
    assert (
        feed["next_url"] == f"{BASE}/articles/feed.json?pageSize=5&contentVersion={version}&page=2"
    )
    for item in feed["items"]:
        for key in ("id", "url", "external_url", "image", "authors"):
            values = [item[key]] if isinstance(item[key], str) else [a["url"] for a in item[key]]
            assert all(is_absolute(v) for v in values), (key, item[key])
        dt.datetime.fromisoformat(item["date_published"])  # RFC 3339
        assert "content_html" in item or "content_text" in item


@pytest.mark.parametrize(
    "broken",
    [
        {"title": "t", "items": []},  # no version
        {"version": "https://jsonfeed.org/version/1", "title": "t", "items": []},  # 1.0
        {"version": "https://jsonfeed.org/version/1.1", "items": []},  # no title
        {"version": "https://jsonfeed.org/version/1.1", "title": "t"},  # no items
        {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [{"id": "1"}]},
        {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [{"url": "u"}]},
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "t",
            "items": [{"id": 1, "content_text": "no: the id is a number"}],
        },
    ],
)
def test_the_json_feed_schema_rejects_what_the_specification_does(broken):
    assert not Draft202012Validator(JSON_FEED_SCHEMA).is_valid(broken)


def test_json_feed_items_carry_the_article(client):
    (item,) = client.get("/articles/feed.json?pageSize=1&sort=publishedDateTime").get_json(
        force=True
    )["items"]
    fields = article_fields(0)
    assert item == {
        "id": api_url("a00"),
        "url": fields["webUrl"],
        "external_url": fields["originalUrl"],
        "title": fields["title"],
        "content_html": "<p>Body of <em>story</em> 0.</p>\n",
        "summary": fields["excerpt"],
        "image": "https://img.example/0.jpg",
        "date_published": "2021-01-01T00:00:00Z",
        "authors": [{"name": "Voice of America", "url": "https://voanews.com/"}],
        "tags": ["AI", "Computer Vision"],
    }


def test_json_feed_walks_every_page_with_next_url(client):
    url, seen, pages = "/articles/feed.json?topic=ai&sort=title&pageSize=4", [], 0
    while url:
        feed = client.get(url).get_json(force=True)
        Draft202012Validator(JSON_FEED_SCHEMA).validate(feed)
        seen += [item["id"] for item in feed["items"]]
        url = feed.get("next_url")
        pages += 1
        assert pages < 10
    assert seen == [api_url(i) for i in list_ids(client, "topic=ai&sort=title")]
    assert pages == 4  # 15 articles on AI, 4 a page


def test_an_item_without_body_has_its_excerpt_as_text(make_app, tmp_path):
    write_seed(tmp_path / "c", "bare.md", **article_fields(1, images=[]))
    client = make_app(tmp_path / "c").test_client()
    feed = client.get("/articles/feed.json").get_json(force=True)
    Draft202012Validator(JSON_FEED_SCHEMA).validate(feed)
    (item,) = feed["items"]
    assert item["content_text"] == item["summary"] == "Excerpt of story 1."
    assert "content_html" not in item and "image" not in item


# -- Atom and RSS ---------------------------------------------------------------------


def test_atom_feed_reads_back_with_feedparser(client):
    response = client.get("/articles/feed.atom?pageSize=3&sort=publishedDateTime")
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = parse(response)
    assert feed.version == "atom10"
    assert feed.feed.title == "News Content API: articles"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == f"{BASE}/articles/feed.atom?pageSize=3&sort=publishedDateTime&page=1"
    assert links["next"].endswith(
        "/articles/feed.atom?pageSize=3&sort=publishedDateTime"
        f"&contentVersion={response.headers['X-Content-Version']}&page=2"
    )
    assert links["last"].endswith("&page=10")
    assert links["alternate"] == f"{BASE}/articles?pageSize=3&sort=publishedDateTime&page=1"
    assert "previous" not in links
    assert [e.id for e in feed.entries] == [api_url("a00"), api_url("a01"), api_url("a02")]
    entry = feed.entries[0]
    assert entry.title == "Story 00 about robots"
    assert entry.link == "https://voanews.com/story/0"
    assert {link.rel: link.href for link in entry.links}["via"] == "https://voanews.com/orig/0"
    assert entry.published_parsed == time.struct_time((2021, 1, 1, 0, 0, 0, 4, 1, 0))
    assert entry.updated_parsed == entry.published_parsed
    assert entry.summary == "Excerpt of story 0."
    assert entry.content[0].value == "<p>Body of <em>story</em> 0.</p>"
    assert entry.author == "Voice of America"
    assert [(t.term, t.label, t.scheme) for t in entry.tags] == [
        ("ai", "AI", f"{BASE}/topics/"),
        ("computer-vision", "Computer Vision", f"{BASE}/topics/"),
    ]
    assert [(e.href, e.type) for e in entry.enclosures] == [
        ("https://img.example/0.jpg", "image/jpeg")
    ]
    assert entry.media_content == [
        {"url": "https://img.example/0.jpg", "medium": "image", "width": "640", "height": "480"}
    ]


def test_rss_feed_reads_back_with_feedparser(client):
    response = client.get("/articles/feed.rss?pageSize=3&page=2&sort=publishedDateTime")
    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    feed = parse(response)
    assert feed.version == "rss20"
    assert feed.feed.title == "News Content API: articles"
    assert feed.feed.link == f"{BASE}/articles?pageSize=3&sort=publishedDateTime&page=2"
    links = {link.rel: link.href for link in feed.feed.links if link.rel != "alternate"}
    url = f"{BASE}/articles/feed.rss?pageSize=3&sort=publishedDateTime&page="
    pinned = url.replace("page=", f"contentVersion={response.headers['X-Content-Version']}&page=")
    assert links == {
        "self": f"{url}2",
        "first": f"{url}1",
        "previous": f"{pinned}1",
        "next": f"{pinned}3",
        "last": f"{pinned}10",
    }
    assert [e.id for e in feed.entries] == [api_url("a03"), api_url("a04"), api_url("a05")]
    entry = feed.entries[0]
    assert entry.guidislink is False
    assert entry.title == "Story 03 about robots"
    assert entry.link == "https://voanews.com/story/3"
    assert entry.published == "Mon, 04 Jan 2021 00:00:00 +0000"  # RFC 822
    assert entry.published_parsed[:3] == (2021, 1, 4)
    assert entry.summary == "Excerpt of story 3."
    assert entry.content[0].value == "<p>Body of <em>story</em> 3.</p>"
    assert [(t.term, t.scheme) for t in entry.tags] == [
        ("Élections", f"{BASE}/topics/"),
        ("AI", f"{BASE}/topics/"),
    ]
    (enclosure,) = entry.enclosures
    assert (enclosure.href, enclosure.type, enclosure.length) == (
        "https://img.example/3.jpg",
        "image/jpeg",
        "0",
    )
    assert entry.media_content[0]["url"] == "https://img.example/3.jpg"


@pytest.mark.parametrize("extension", ["atom", "rss"])
@pytest.mark.parametrize(
    "query",
    [
        "provider=voanews.com&minQuality=20&sort=-quality",
        "q=story&topic=ai",  # full-text search, best match first
        "q=robots&sort=title",
    ],
)
def test_xml_feeds_follow_the_list(client, extension, query):
    feed = parse(client.get(f"/articles/feed.{extension}?pageSize=100&{query}"))
    ids = list_ids(client, query)
    assert ids and [e.id for e in feed.entries] == [api_url(i) for i in ids]


def test_a_search_feed_is_the_search(client):
    feed = client.get("/articles/feed.json?q=%22story%2007%22").get_json(force=True)
    assert [item["id"] for item in feed["items"]] == [api_url("a07")]


def test_text_that_xml_cannot_carry_is_dropped(make_app, tmp_path):
    write_seed(
        tmp_path / "c",
        "ctl.md",
        body="Bell \x07 and *form feed* \x0c here.\n",
        **article_fields(2, title="Bell \x07 title", excerpt="Null-ish \x1b excerpt"),
    )
    client = make_app(tmp_path / "c").test_client()
    for extension in ("atom", "rss"):
        entry = parse(client.get(f"/articles/feed.{extension}")).entries[0]
        assert entry.title == "Bell  title"
        assert entry.summary == "Null-ish  excerpt"
        assert "form feed" in entry.content[0].value


# -- scopes, routes, errors -----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "list_path", "title"),
    [
        ("/topics/ai", "/topics/ai/articles", "News Content API: articles on AI"),
        (
            "/providers/voanews.com",
            "/providers/voanews.com/articles",
            "News Content API: articles from Voice of America",
        ),
        ("/topics/AI", "/topics/AI/articles", "News Content API: articles on AI"),
    ],
)
def test_feeds_of_a_topic_or_provider(client, path, list_path, title):
    ids = [api_url(i) for i in list_ids(client, "", list_path)]
    feed = client.get(f"{path}/feed.json?pageSize=100").get_json(force=True)
    assert feed["title"] == title
    assert feed["home_page_url"] == f"{BASE}{list_path}?pageSize=100&page=1"
    assert [item["id"] for item in feed["items"]] == ids
    assert [e.id for e in parse(client.get(f"{path}/feed.atom?pageSize=100")).entries] == ids
    rss = parse(client.get(f"{path}/feed.rss?pageSize=100"))
    assert rss.feed.title == title
    assert [e.id for e in rss.entries] == ids


@pytest.mark.parametrize(
    "url", ["/topics/nope/feed.json", "/providers/nope.example/feed.atom", "/topics/x/feed.rss"]
)
def test_unknown_topic_or_provider_is_a_404(client, url):
    assert_problem(client.get(url), 404)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("cursor=", "cursor"),
        ("fields=id", "fields"),
        ("pageSize=101", "pageSize"),
        ("sort=nope", "sort"),
        ("topics=ai", "topics"),
        ("from=yesterday", "from"),
        ("highlight=true&q=story", "highlight"),
        ("facets=topic", "facets"),
        ("facetSize=3", "facetSize"),
        ("sort=relevance", "sort"),
    ],
)
@pytest.mark.parametrize("extension", ["json", "atom", "rss"])
def test_bad_parameters_are_400s(client, extension, query, parameter):
    assert_problem(client.get(f"/articles/feed.{extension}?{query}"), 400, parameter)


def test_a_page_past_the_end_is_an_empty_feed(client):
    feed = client.get("/articles/feed.json?page=9").get_json(force=True)
    assert feed["items"] == [] and "next_url" not in feed
    assert parse(client.get("/articles/feed.atom?page=9")).entries == []


def test_feeds_are_not_articles_and_articles_cannot_take_their_names(client, make_app, tmp_path):
    """Flask matches the static route before ``/articles/<article_id>``, and an article
    whose id is a feed's or an export's name is skipped, so none is ever hidden."""
    static = {
        rule.rule.removeprefix("/articles/")
        for rule in client.application.url_map.iter_rules()
        if rule.rule.startswith("/articles/") and "<" not in rule.rule
    }
    assert static == RESERVED_IDS
    write_corpus(tmp_path / "c", 2)
    write_seed(tmp_path / "c", "x.md", **article_fields(5, id="feed.json"))
    write_seed(tmp_path / "c", "export.csv.md", **article_fields(6))
    index_app = make_app(tmp_path / "c")
    skipped = {s.path: s.reason for s in index_app.extensions["content"].index.skipped}
    assert set(skipped) == {"x.md", "export.csv.md"}
    assert "reserved" in skipped["x.md"]
    response = index_app.test_client().get("/articles/feed.json")
    assert response.mimetype == "application/feed+json"


def test_feeds_revalidate_with_their_etag(client):
    first = client.get("/topics/ai/feed.atom")
    again = client.get("/topics/ai/feed.atom", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert first.headers["ETag"] != client.get("/topics/ai/feed.rss").headers["ETag"]
