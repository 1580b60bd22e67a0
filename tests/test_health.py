"""``/healthz`` and ``/readyz``: never cached, never conditional, always current."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("url", "body"),
    [("/healthz", {"status": "alive"}), ("/readyz", {"status": "ready", "articleCount": 30})],
)
def test_health_checks_answer_and_are_never_cached(client, app, url, body):
    response = client.get(url)
    assert response.status_code == 200
    assert response.get_json().items() >= body.items()
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers and "Last-Modified" not in response.headers
    version = app.extensions["content"].index.version
    assert response.headers["X-Content-Version"] == version
    again = client.get(
        url, headers={"If-None-Match": "*", "If-Modified-Since": "Fri, 1 Jan 2100 00:00:00 GMT"}
    )
    assert again.status_code == 200


def test_readyz_names_the_version_being_served(client, app):
    body = client.get("/readyz").get_json()
    assert body["contentVersion"] == app.extensions["content"].index.version


def test_every_response_names_its_content_version(client, app):
    version = app.extensions["content"].index.version
    for url in ("/", "/articles", "/articles/a01", "/articles/nope", "/topics?sortt=x"):
        assert client.get(url).headers["X-Content-Version"] == version, url
    etag = client.get("/topics").headers["ETag"]
    not_modified = client.get("/topics", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.headers["X-Content-Version"] == version


def test_health_checks_take_no_parameters(client):
    from helpers import assert_problem

    assert_problem(client.get("/readyz?verbose=1"), 400, "verbose")
