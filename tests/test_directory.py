"""/providers and /topics: lists, sorts, one entry, its articles."""

from __future__ import annotations

import pytest
from helpers import assert_problem


def test_providers_sorted_by_name_with_counts(client):
    body = client.get("/providers").get_json()
    assert [p["id"] for p in body["items"]] == ["lemonde.fr", "techdaily.com", "voanews.com"]
    voa = body["items"][2]
    assert voa == {
        "id": "voanews.com",
        "name": "Voice of America",
        "domain": "voanews.com",
        "articleCount": 10,
        "latestPublishedDateTime": "2021-01-28T00:00:00Z",
    }
    assert body["total"] == 3


def test_topics_sorted_by_count_then_id(client):
    body = client.get("/topics?sort=-articleCount").get_json()
    assert [(t["id"], t["articleCount"]) for t in body["items"]] == [
        ("computer-vision", 16),
        ("ai", 15),
        ("climate-change", 15),
        ("elections", 14),
    ]
    names = [t["name"] for t in client.get("/topics?sort=-name").get_json()["items"]]
    assert names == ["Élections", "Computer Vision", "Climate Change", "AI"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/providers/voanews.com", "Voice of America"),
        ("/providers/VOANEWS.com", "Voice of America"),
        ("/topics/computer-vision", "Computer Vision"),
        ("/topics/elections", "Élections"),
    ],
)
def test_get_one(client, path, expected):
    assert client.get(path).get_json()["name"] == expected


def test_entry_articles_take_the_article_filters(client):
    body = client.get("/topics/ai/articles?provider=voanews.com&sort=publishedDateTime").get_json()
    assert [a["id"] for a in body["items"]] == [
        f"a{i:02d}" for i in range(30) if i % 4 in (0, 3) and i % 3 == 0
    ]
    assert body["links"]["self"].split("?")[0].endswith("/topics/ai/articles")
    voa = client.get("/providers/voanews.com/articles?pageSize=100").get_json()
    assert voa["total"] == 10
    assert all(a["provider"]["id"] == "voanews.com" for a in voa["items"])


@pytest.mark.parametrize(
    "path",
    ["/providers/nope.example", "/topics/nope", "/topics/nope/articles", "/providers/x/articles"],
)
def test_unknown_entry_is_404(client, path):
    assert_problem(client.get(path), 404)


def test_directory_pages(client):
    body = client.get("/topics?pageSize=3&page=2").get_json()
    assert [t["id"] for t in body["items"]] == ["elections"]
    assert body["totalPages"] == 2
