"""Field selection: `fields=` on every list and item, nested paths, clear errors."""

from __future__ import annotations

import pytest
from helpers import assert_problem


def test_top_level_and_nested_fields_on_a_list(client):
    response = client.get(
        "/articles?pageSize=2&sort=publishedDateTime&fields=id,provider.name,image.url"
    )
    body = response.get_json()
    assert body["items"] == [
        {
            "id": "a00",
            "provider": {"name": "Voice of America"},
            "image": {"url": "https://img.example/0.jpg"},
        },
        {
            "id": "a01",
            "provider": {"name": "Tech Daily"},
            "image": {"url": "https://img.example/1.jpg"},
        },
    ]
    assert body["total"] == 30 and body["links"]["next"].endswith(
        "fields=id,provider.name,image.url&contentVersion="
        f"{response.headers['X-Content-Version']}&page=2"
    )


def test_fields_inside_lists_and_on_one_article(client):
    article = client.get(
        "/articles/a00?fields=title,topics.id,related.id,related.provider.name"
    ).get_json()
    assert article == {
        "title": "Story 00 about robots",
        "topics": [{"id": "ai"}, {"id": "computer-vision"}],
        "related": [
            {"id": "a01", "provider": {"name": "techdaily.com"}},
            {"id": None, "provider": {"name": "elsewhere.example"}},
        ],
    }


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/providers?fields=id,articleCount", {"id": "lemonde.fr", "articleCount": 10}),
        ("/topics?fields=name&pageSize=1", {"name": "AI"}),
        ("/articles/a00/related?fields=title&pageSize=1", {"title": "Story 01 about robots"}),
    ],
)
def test_fields_on_other_lists(client, path, expected):
    assert client.get(path).get_json()["items"][0] == expected


def test_fields_on_single_entries(client):
    assert client.get("/providers/voanews.com?fields=name").get_json() == {
        "name": "Voice of America"
    }
    assert client.get("/topics/ai?fields=id,name").get_json() == {"id": "ai", "name": "AI"}


def test_a_whole_field_wins_over_its_parts_and_order_follows_the_schema(client):
    item = client.get("/articles/a00?fields=provider.name,provider,id").get_json()
    assert list(item) == ["id", "provider"] and item["provider"]["domain"] == "voanews.com"


def test_null_objects_stay_null(make_app, tmp_path):
    from helpers import write_seed

    write_seed(tmp_path / "c", "x.md", title="T", webUrl="https://x.example/1")
    client = make_app(tmp_path / "c").test_client()
    assert client.get("/articles/x?fields=image.url,images.url").get_json() == {
        "image": None,
        "images": [],
    }


@pytest.mark.parametrize(
    ("path", "suggestion"),
    [
        ("/articles?fields=id,titel", "Did you mean 'title'?"),
        ("/articles?fields=provider.nam", "Did you mean 'provider.name'?"),
        ("/articles?fields=body", None),  # only the whole article has a body
        ("/articles/a00?fields=secured", None),
        ("/topics?fields=,", None),
        ("/providers/voanews.com?fields=domian", "Did you mean 'domain'?"),
    ],
)
def test_unknown_fields_are_400_naming_them(client, path, suggestion):
    doc = assert_problem(client.get(path), 400, "fields")
    if suggestion:
        assert suggestion in doc["detail"]


def test_the_spec_lists_the_allowed_names(client):
    spec = client.get("/openapi.json").get_json()
    params = {p["name"]: p for p in spec["paths"]["/articles/{article_id}"]["get"]["parameters"]}
    assert "`related.provider.name`" in params["fields"]["description"]
