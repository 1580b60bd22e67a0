"""The fast path of query arguments (schemas.fast_load) loads exactly what schema.load
does, takes every query that passes, and leaves every other to schema.load (so the
400s stay the schema's own)."""

from __future__ import annotations

import gc
import random
import zlib

import marshmallow as ma
from werkzeug.datastructures import MultiDict

from api.smorest import QueryArgs
from schemas import fast_load
from schemas.query import QueryArgsSchema

# Values for every parameter of every query schema, good ones and bad ones.
VALUES = {
    "page": ["1", "2", "7", "0", "-1", "abc", "1000000001", "", " 3", "2.5"],
    "pageSize": ["1", "5", "20", "100", "101", "0", "x", ""],
    "sort": [
        "-publishedDateTime",
        "title",
        "-quality",
        "heat",
        "name",
        "-articleCount",
        "relevance",
        "bogus",
        "",
    ],
    "topic": ["ai", "AI,Climate-Change", "", " , ", "x" * 301, "élections"],
    "provider": ["voanews.com", "voanews.com,lemonde.fr", "nobody.example"],
    "category": ["news", "News,analysis", ""],
    "type": ["video", "article,video"],
    "published": ["true", "false", "1", "0", "yes", "maybe", ""],
    "from": ["2021-01-01", "2021-01-05T12:00:00Z", "2021-13-01", "0999-01-01", "x", ""],
    "to": ["2021-01-10", "2021-01-10T00:00:00+02:00", "2021-02-30", "tomorrow"],
    "minQuality": ["10", "50.5", "-3", "1e13", "nan", "inf", "x", ""],
    "minHeat": ["1", "0", "1e12", "x"],
    "q": ["robots", "story OR robots", '"story 01"', "-robots story", '"open', "", "a" * 501],
    "highlight": ["true", "false", "x"],
    "facets": ["topic", "topic,provider", "year,,type", "bogus", ""],
    "facetSize": ["1", "5", "100", "0", "101", "x"],
    "cursor": ["", "garbage", "eyJ"],
    "fields": ["id", "id,title", "provider.name", " id , ", "bogus", "", "tittle"],
    "limit": ["1", "10", "50", "0", "51", "x"],
    "Page": ["1"],  # unknown: close to a known name
    "bogus": ["1"],
}


def query_schemas() -> list[QueryArgsSchema]:
    """Every query schema instance the app's routes use."""
    import api.resources  # noqa: F401 (the route modules make their schemas)

    found = {id(o): o for o in gc.get_objects() if isinstance(o, QueryArgsSchema)}
    return sorted(found.values(), key=lambda s: type(s).__name__)


def random_queries(seed: int, count: int, names: list[str]) -> list[MultiDict]:
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        pairs = []
        for name in rng.sample(names, rng.randint(0, min(4, len(names)))):
            pairs.append((name, rng.choice(VALUES[name])))
            if rng.random() < 0.05:  # repeated
                pairs.append((name, rng.choice(VALUES[name])))
        if rng.random() < 0.03:
            pairs.append((rng.choice(["Page", "bogus"]), "1"))
        queries.append(MultiDict(pairs))
    return queries


def slow(schema: QueryArgsSchema, args: MultiDict):
    try:
        return schema.load(QueryArgs(args, schema.parameters))
    except ma.ValidationError:
        return None


def test_every_route_schema_takes_the_fast_path():
    schemas = query_schemas()
    assert len(schemas) >= 10
    for schema in schemas:
        assert schema.fast_load.enabled, type(schema).__name__


def test_fast_load_equals_load(app):
    """Both paths agree on thousands of queries, passing and failing, each seen twice
    (the second time from the memo); every query that passes is answered fast."""
    with app.test_request_context():
        for schema in query_schemas():
            name = type(schema).__name__
            names = [n for n in VALUES if n in schema.parameters]
            queries = random_queries(zlib.crc32(name.encode()), 400, names)
            passed = 0
            for args in queries + queries:
                expected = slow(schema, args)
                got = schema.fast_load(QueryArgs(args, schema.parameters))
                assert repr(got) == repr(expected), (name, args)
                assert got == expected, (name, args)
                passed += got is not None
            assert passed > (len(queries) // 10 if names else 0), name


def test_passing_query_skips_schema_load(client, monkeypatch):
    """Without the fast path every request would run ``schema.load``."""
    calls = []
    original = ma.Schema.load
    monkeypatch.setattr(ma.Schema, "load", lambda *a, **k: calls.append(1) or original(*a, **k))
    assert client.get("/articles?topic=ai&sort=title&page=2").status_code == 200
    assert client.get("/articles?topic=ai&sort=title&page=3&pageSize=5").status_code == 200
    assert calls == []
    response = client.get("/articles?topic=ai&sort=titel")
    assert response.status_code == 400
    assert calls  # the schema itself says what is wrong
    assert response.get_json()["errors"][0]["name"] == "sort"


def test_errors_are_the_same_with_a_warm_memo(client):
    """A value the memo knows to be bad still gets the schema's full problem document."""
    first = client.get("/articles?page=0&pageSize=500&sort=bogus").get_json()
    second = client.get("/articles?pageSize=500&sort=bogus&page=0").get_json()
    for body in (first, second):
        body.pop("requestId")
    assert first == second
    assert {e["name"] for e in first["errors"]} == {"page", "sort"}


def test_each_request_gets_its_own_lists(app):
    """Memoized values are shared: lists are handed out as fresh copies."""
    schema = next(s for s in query_schemas() if type(s).__name__ == "ArticleQueryArgsSchema")
    with app.test_request_context():
        args = QueryArgs(MultiDict([("facets", "topic"), ("q", "robots")]), schema.parameters)
        a, b = schema.fast_load(args), schema.fast_load(args)
    assert a == b and a is not b
    assert a["filter"]["topics"] == ()


def test_memo_is_bounded(app, monkeypatch):
    schema = next(s for s in query_schemas() if type(s).__name__ == "ArticleQueryArgsSchema")
    schema.fast_load.value.cache_clear()
    with app.test_request_context():
        for page in range(1, fast_load.MEMO_SIZE + 500):
            assert schema.fast_load(QueryArgs(MultiDict([("page", str(page))]), {})) is not None
        assert schema.fast_load.value.cache_info().currsize == fast_load.MEMO_SIZE
        # A long value is parsed every time, never kept.
        looked_up = schema.fast_load.value.cache_info().misses
        long_topic = "t" * (fast_load.MEMO_MAX_CHARS + 1)
        args = QueryArgs(MultiDict([("topic", long_topic)]), schema.parameters)
        assert schema.fast_load(args)["filter"]["topics"] == (long_topic,)
        assert schema.fast_load.value.cache_info().misses == looked_up
