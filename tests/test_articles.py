"""/articles: list, filters, sorts, pagination, one article, related items."""

from __future__ import annotations

import pytest
from helpers import article_fields, assert_problem, write_corpus

N = 30


def ids(response) -> list[str]:
    return [item["id"] for item in response.get_json()["items"]]


def expected(predicate=lambda i: True, key=None, reverse=False) -> list[str]:
    chosen = [i for i in range(N) if predicate(i)]
    if key is not None:
        chosen.sort(key=lambda i: (key(i), f"a{i:02d}"))
        if reverse:  # descending: key descending, ties by id ascending
            chosen.sort(key=lambda i: key(i), reverse=True)
    return [f"a{i:02d}" for i in chosen]


def test_list_is_newest_first_with_envelope(client):
    response = client.get("/articles")
    assert response.status_code == 200
    body = response.get_json()
    assert ids(response) == [f"a{i:02d}" for i in range(29, 9, -1)]
    assert (body["total"], body["page"], body["pageSize"], body["totalPages"]) == (30, 1, 20, 2)
    version = response.headers["X-Content-Version"]
    assert body["links"]["next"].endswith(f"/articles?contentVersion={version}&page=2")
    assert body["links"]["prev"] is None
    assert response.headers["X-Total-Count"] == "30"
    assert 'rel="next"' in response.headers["Link"]


def test_list_items_are_summaries_without_secrets(client):
    item = client.get("/articles?pageSize=1&sort=publishedDateTime").get_json()["items"][0]
    assert item["id"] == "a00"
    assert item["provider"] == {
        "id": "voanews.com",
        "name": "Voice of America",
        "domain": "voanews.com",
    }
    assert item["topics"] == [
        {"id": "ai", "name": "AI"},
        {"id": "computer-vision", "name": "Computer Vision"},
    ]
    assert item["image"]["url"] == "https://img.example/0.jpg"
    assert item["publishedDateTime"] == "2021-01-01T00:00:00Z"
    assert item["relatedCount"] == 2
    assert "body" not in item and "related" not in item and "secured" not in item


@pytest.mark.parametrize(
    ("query", "predicate"),
    [
        ("topic=ai", lambda i: i % 4 in (0, 3)),
        ("topic=AI", lambda i: i % 4 in (0, 3)),
        ("topic=elections", lambda i: i % 4 in (2, 3)),
        ("topic=ai&topic=computer-vision", lambda i: i % 4 in (0, 1, 3)),
        ("topic=ai,computer-vision", lambda i: i % 4 in (0, 1, 3)),
        ("provider=voanews.com", lambda i: i % 3 == 0),
        ("provider=voanews.com&provider=lemonde.fr", lambda i: i % 3 != 1),
        ("topic=ai&provider=voanews.com", lambda i: i % 4 in (0, 3) and i % 3 == 0),
        ("category=news", lambda i: i % 2 == 1),
        ("type=video", lambda i: i % 5 == 0),
        ("type=VIDEO&category=analysis", lambda i: i % 5 == 0 and i % 2 == 0),
        ("published=false", lambda i: i % 4 == 0),
        ("published=true", lambda i: i % 4 != 0),
        ("minQuality=50", lambda i: (i * 37) % 100 >= 50),
        ("minHeat=5", lambda i: i % 7 >= 5),
        ("from=2021-01-10", lambda i: i >= 9),
        ("to=2021-01-10", lambda i: i <= 9),
        ("from=2021-01-05&to=2021-01-07", lambda i: 4 <= i <= 6),
        ("from=2021-01-05T00:00:01Z", lambda i: i >= 5),
        ("to=2021-01-05T00:00:00Z", lambda i: i <= 4),
        ("to=2021-01-05T01:00:00%2B01:00", lambda i: i <= 4),
        ("topic=no-such-topic", lambda i: False),
    ],
)
def test_filters(client, query, predicate):
    response = client.get(f"/articles?{query}&pageSize=100&sort=publishedDateTime")
    assert response.status_code == 200, response.data
    assert ids(response) == expected(predicate)
    assert response.get_json()["total"] == len(expected(predicate))


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [
        ("publishedDateTime", lambda i: i, False),
        ("-publishedDateTime", lambda i: i, True),
        ("quality", lambda i: (i * 37) % 100, False),
        ("-quality", lambda i: (i * 37) % 100, True),
        ("heat", lambda i: i % 7, False),
        ("-heat", lambda i: i % 7, True),
        ("title", lambda i: f"Story {i:02d}", False),
        ("-title", lambda i: f"Story {i:02d}", True),
    ],
)
def test_sorts_break_ties_by_id(client, sort, key, reverse):
    response = client.get(f"/articles?sort={sort}&pageSize=100")
    assert ids(response) == expected(key=key, reverse=reverse)


def test_articles_without_a_sort_key_come_last(make_app, tmp_path):
    folder = write_corpus(tmp_path / "c", 3)
    fields = article_fields(9)
    del fields["quality"]
    from helpers import write_seed

    write_seed(folder, "zz.md", **fields)
    client = make_app(folder).test_client()
    assert ids(client.get("/articles?sort=quality"))[-1] == "zz"
    assert ids(client.get("/articles?sort=-quality"))[-1] == "zz"
    assert client.get("/articles/zz").get_json()["quality"] is None


def test_pages_walk_sees_every_item_once(client):
    seen, url, pages = [], "/articles?pageSize=7&sort=heat&topic=ai,elections", 0
    while url:
        pages += 1
        assert pages < 20, "pagination loops"
        response = client.get(url)
        body = response.get_json()
        seen += [item["id"] for item in body["items"]]
        url = body["links"]["next"]
    assert pages == body["totalPages"] and body["page"] == body["totalPages"]
    assert len(seen) == len(set(seen)) == body["total"]
    assert body["links"]["next"] is None
    assert body["links"]["self"].endswith(
        f"/articles?pageSize=7&sort=heat&topic=ai,elections&page={body['totalPages']}"
    )


def test_last_page_and_past_the_end(client):
    last = client.get("/articles?page=2").get_json()
    assert len(last["items"]) == 10 and last["links"]["next"] is None
    assert last["links"]["prev"].endswith("&page=1")
    past = client.get("/articles?page=9")
    assert past.status_code == 200
    body = past.get_json()
    assert body["items"] == [] and body["total"] == 30
    assert body["links"]["prev"].endswith("&page=2") and body["links"]["last"].endswith("&page=2")


def test_get_one_article_has_everything(client):
    response = client.get("/articles/a00")
    assert response.status_code == 200
    article = response.get_json()
    assert article["body"] == "Body of *story* 0."
    assert article["images"] == [
        {"url": "https://img.example/0.jpg", "width": 640, "height": 480, "isCached": True}
    ]
    assert [r["id"] for r in article["related"]] == ["a01", None]
    assert article["related"][0]["provider"]["id"] == "techdaily.com"
    assert "secured" not in response.get_data(as_text=True)


def test_related_items_paginated(client):
    response = client.get("/articles/a00/related?pageSize=1&page=2")
    body = response.get_json()
    assert body["total"] == 2 and body["totalPages"] == 2
    assert [r["title"] for r in body["items"]] == ["Elsewhere"]
    assert body["items"][0]["excerpt"] == "Away."
    empty = client.get("/articles/a05/related").get_json()
    assert empty["items"] == [] and empty["total"] == 0 and empty["totalPages"] == 0


@pytest.mark.parametrize(
    "path", ["/articles/nope", "/articles/nope/related", "/articles/..%2F..%2Fetc"]
)
def test_unknown_article_is_404(client, path):
    doc = assert_problem(client.get(path), 404)
    assert "/work" not in doc["detail"]


def test_links_keep_the_request_but_its_page(client):
    response = client.get("/articles?pag%65=2&pageSize=5&topic=ai%2Ccomputer-vision")
    body, version = response.get_json(), response.headers["X-Content-Version"]
    assert body["page"] == 2
    assert body["links"]["next"] == (
        "http://localhost/articles?pageSize=5&topic=ai%2Ccomputer-vision"
        f"&contentVersion={version}&page=3"
    )


def test_filter_combinations_match_a_brute_force_reading(client):
    """Every combination of two or three filters, against a direct reading of the corpus."""
    import itertools

    clauses = {
        "topic=ai": lambda i: i % 4 in (0, 3),
        "topic=elections,climate-change": lambda i: i % 4 in (1, 2, 3),
        "provider=voanews.com": lambda i: i % 3 == 0,
        "provider=techdaily.com,lemonde.fr": lambda i: i % 3 != 0,
        "category=news": lambda i: i % 2 == 1,
        "type=article": lambda i: i % 5 != 0,
        "published=true": lambda i: i % 4 != 0,
        "from=2021-01-08": lambda i: i >= 7,
        "to=2021-01-20": lambda i: i <= 19,
        "minQuality=40": lambda i: (i * 37) % 100 >= 40,
    }
    for size in (2, 3):
        for combo in itertools.combinations(clauses, size):
            if len({c.split("=")[0] for c in combo}) < size:
                continue  # the same parameter twice is an OR, not an AND
            query = "&".join(combo)
            want = expected(
                lambda i, combo=combo: all(clauses[c](i) for c in combo), key=lambda i: i % 7
            )
            response = client.get(f"/articles?{query}&sort=heat&pageSize=100")
            assert ids(response) == want, query


SORT_KEYS = {
    "publishedDateTime": lambda i: i,
    "quality": lambda i: (i * 37) % 100,
    "heat": lambda i: i % 7,
    "title": lambda i: f"Story {i:02d}",
}


@pytest.mark.parametrize("sort", [f"{sign}{key}" for key in SORT_KEYS for sign in ("", "-")])
def test_range_filters_in_every_sort_match_a_brute_force_reading(client, sort):
    """Ranges on the sort's own column are spans of the order, ranges on the others a scan
    read a page at a time: both, alone, together and with a topic, page by page."""
    import itertools

    clauses = {
        "from=2021-01-08": lambda i: i >= 7,
        "to=2021-01-20": lambda i: i <= 19,
        "minQuality=40": lambda i: (i * 37) % 100 >= 40,
        "minHeat=3": lambda i: i % 7 >= 3,
        "minQuality=101": lambda i: False,
        "topic=ai": lambda i: i % 4 in (0, 3),
    }
    key = SORT_KEYS[sort.lstrip("-")]
    for size in (1, 2, 3):
        for combo in itertools.combinations(clauses, size):
            if len({c.split("=")[0] for c in combo}) < size:
                continue  # a parameter given twice is refused
            query = "&".join(combo)
            want = expected(
                lambda i, combo=combo: all(clauses[c](i) for c in combo),
                key=key,
                reverse=sort.startswith("-"),
            )
            body = client.get(f"/articles?{query}&sort={sort}&pageSize=100").get_json()
            assert [item["id"] for item in body["items"]] == want, query
            assert body["total"] == len(want), query
            second = client.get(f"/articles?{query}&sort={sort}&pageSize=4&page=2")
            assert ids(second) == want[4:8], query
            walked, url = [], f"/articles?{query}&sort={sort}&pageSize=3&cursor="
            while url:
                page = client.get(url).get_json()
                walked += [item["id"] for item in page["items"]]
                url = page["links"]["next"]
            assert walked == want, query


def test_articles_without_a_value_never_match_its_range(make_app, tmp_path):
    from helpers import write_seed

    folder = write_corpus(tmp_path / "c", 3)
    fields = article_fields(9)
    del fields["quality"], fields["heat"]
    write_seed(folder, "zz.md", **fields)
    client = make_app(folder).test_client()
    for sort in ("quality", "-quality", "heat", "-heat", "title"):
        assert "zz" not in ids(client.get(f"/articles?minQuality=0&sort={sort}")), sort
        assert "zz" not in ids(client.get(f"/articles?minHeat=0&sort={sort}")), sort
        assert "zz" in ids(client.get(f"/articles?sort={sort}")), sort
