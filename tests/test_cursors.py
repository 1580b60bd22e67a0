"""Cursor pagination: walks that see every item once, even across a content reload."""

from __future__ import annotations

import pytest
from helpers import article_fields, assert_problem, write_seed


def walk(client, url: str, limit: int = 50) -> list[str]:
    """Follow ``links.next`` from ``url`` to the end; the ids seen, in order."""
    seen: list[str] = []
    for _ in range(limit):
        body = client.get(url).get_json()
        seen += [item["id"] for item in body["items"]]
        url = body["links"]["next"]
        if url is None:
            return seen
        assert "cursor=" in url and "page=" not in url.split("?")[1].split("&")[-1]
    raise AssertionError("cursor walk does not end")


def everything(client, query: str) -> list[str]:
    return [i["id"] for i in client.get(f"/articles?{query}&pageSize=100").get_json()["items"]]


@pytest.mark.parametrize(
    "query",
    [
        "sort=-publishedDateTime",
        "sort=title",
        "sort=-title",
        "sort=quality",
        "sort=-heat",
        "sort=heat&topic=ai",
        "sort=-quality&provider=voanews.com,lemonde.fr&from=2021-01-05",
    ],
)
def test_a_cursor_walk_sees_every_item_once_in_order(client, query):
    seen = walk(client, f"/articles?{query}&pageSize=4&cursor=")
    assert seen == everything(client, query)


def test_cursor_pages_keep_the_envelope(client):
    body = client.get("/articles?pageSize=4&cursor=").get_json()
    assert body["page"] == 1 and body["total"] == 30 and body["totalPages"] == 8
    assert body["links"]["prev"] is None and body["links"]["first"].endswith("cursor=")
    second = client.get(body["links"]["next"]).get_json()
    assert second["page"] == 2 and len(second["items"]) == 4


def test_missing_sort_values_are_walked_too(make_app, corpus):
    fields = article_fields(40)
    del fields["quality"]
    write_seed(corpus, "no-quality.md", **fields)
    client = make_app(corpus).test_client()
    seen = walk(client, "/articles?sort=-quality&pageSize=7&cursor=")
    assert seen == everything(client, "sort=-quality") and seen[-1] == "no-quality"


def test_a_walk_survives_a_content_reload(make_app, corpus):
    first_client = make_app(corpus).test_client()
    body = first_client.get("/articles?sort=publishedDateTime&pageSize=10&cursor=").get_json()
    seen = [item["id"] for item in body["items"]]
    # The content changes: one article already seen and one not yet seen go away, and
    # new ones appear before and after the cursor.
    (corpus / "a03.md").unlink()
    (corpus / "a20.md").unlink()
    write_seed(corpus, "early.md", **article_fields(-5))
    write_seed(corpus, "late.md", **article_fields(99))
    client = make_app(corpus).test_client()
    seen += walk(client, body["links"]["next"].removeprefix("http://localhost"))
    assert len(seen) == len(set(seen))
    survivors = {f"a{i:02d}" for i in range(30)} - {"a03", "a20"}
    assert survivors <= set(seen) and "late" in seen and "early" not in seen


@pytest.mark.parametrize(
    "query",
    ["cursor=garbage!", "cursor=eyJ4IjoxfQ", "cursor=&page=2", "cursor=" + "A" * 2001],
)
def test_bad_cursors_are_400(client, query):
    assert_problem(client.get(f"/articles?{query}"), 400, "cursor")


def test_a_cursor_only_works_with_its_own_filters(client):
    next_url = client.get("/articles?topic=ai&pageSize=3&cursor=").get_json()["links"]["next"]
    token = next_url.split("cursor=")[1]
    assert client.get(f"/articles?topic=ai&pageSize=5&cursor={token}").status_code == 200
    doc = assert_problem(
        client.get(f"/articles?topic=elections&pageSize=3&cursor={token}"), 400, "cursor"
    )
    assert "other filters" in doc["detail"]
    assert_problem(client.get(f"/articles?topic=ai&sort=title&cursor={token}"), 400, "cursor")
    assert_problem(client.get(f"/topics/ai/articles?cursor={token}"), 400, "cursor")
