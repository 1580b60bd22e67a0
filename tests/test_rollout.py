"""Content roll-out across replicas (decision 0020): links that continue a walk carry
the content version they were made from, and a server behind that version catches up
before answering; ``X-Served-By`` names the replica."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import article_fields, assert_problem, write_seed

from api.content.build import build_index


def version_of(url: str) -> str | None:
    return parse_qs(urlsplit(url).query).get("contentVersion", [None])[0]


def test_links_that_continue_a_walk_carry_the_version(client):
    response = client.get("/articles?pageSize=5&page=2")
    version = response.headers["X-Content-Version"]
    links = response.get_json()["links"]
    assert [version_of(links[rel]) for rel in ("prev", "next", "last")] == [version] * 3
    # self and first name the list itself: whatever version is newest when asked
    assert version_of(links["self"]) is None and version_of(links["first"]) is None
    assert f"contentVersion={version}&page=3" in response.headers["Link"]
    walk = client.get("/articles?pageSize=5&sort=title&cursor=").get_json()["links"]
    assert version_of(walk["next"]) == version and version_of(walk["first"]) is None
    following = client.get(walk["next"].removeprefix("http://localhost"))
    assert following.status_code == 200
    # the version does not travel twice, and a cursor's filters ignore it
    assert following.get_json()["links"]["next"].count("contentVersion=") == 1
    feed = client.get("/topics/ai/feed.json?pageSize=2").get_json(force=True)
    assert version_of(feed["next_url"]) == version and version_of(feed["feed_url"]) is None


@pytest.mark.parametrize("value", ["", "zz", "0123456789abcdef0", "0123456789ABCDEF"])
def test_a_malformed_content_version_is_a_400(client, value):
    assert_problem(client.get(f"/articles?contentVersion={value}"), 400, "contentVersion")


def test_an_old_or_unknown_version_is_answered_from_the_current_one(client):
    current = client.get("/articles").headers["X-Content-Version"]
    response = client.get("/articles?contentVersion=0123456789abcdef&page=2")
    assert response.status_code == 200
    assert response.headers["X-Content-Version"] == current


def test_exports_take_no_content_version(client):
    assert_problem(
        client.get("/articles/export.ndjson?contentVersion=0123456789abcdef"), 400, "contentVersion"
    )


def test_a_replica_behind_catches_up_before_answering_a_newer_link(make_app, tmp_path, corpus):
    """A link made by a replica on the new version, answered by one that has not looked
    at CURRENT yet (its follower sleeps for an hour here): it maps the new version first
    instead of answering from the old one."""
    cache = tmp_path / "cache"
    first, _ = build_index(corpus, cache_dir=cache)
    behind = make_app(corpus, FOLLOW=True, FOLLOW_INTERVAL=3600)
    store = behind.extensions["content"]
    try:
        write_seed(corpus, "zz-added.md", **article_fields(90, title="Added later"))
        second, _ = build_index(corpus, cache_dir=cache)  # CURRENT now names it
        assert second.version != first.version
        with behind.test_client() as client:
            # a plain request: still the old version (the follower has not looked)
            assert client.get("/articles").headers["X-Content-Version"] == first.version
            response = client.get(f"/articles?pageSize=5&contentVersion={second.version}&page=2")
            assert response.status_code == 200
            assert response.headers["X-Content-Version"] == second.version
            assert response.get_json()["total"] == 31
            assert store.index.version == second.version  # and stays there
            assert client.get("/articles").headers["X-Content-Version"] == second.version
    finally:
        store.stop_following()


def test_served_by_names_the_replica(make_app, corpus):
    named = make_app(corpus, SERVED_BY="replica-2").test_client()
    for url in ("/articles", "/articles/nope", "/healthz"):
        assert named.get(url).headers.getlist("X-Served-By") == ["replica-2"]
    assert "X-Served-By" not in make_app(corpus).test_client().get("/articles").headers
