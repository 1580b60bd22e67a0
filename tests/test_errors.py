"""Every bad request is a 4xx problem document that says what is wrong; never a 500."""

from __future__ import annotations

import pytest
from helpers import assert_problem


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=99999999999999999999999", "page"),
        ("pageSize=0", "pageSize"),
        ("pageSize=1000", "pageSize"),
        ("pageSize=100000", "pageSize"),
        ("pageSize=2.5", "pageSize"),
        ("from=yesterday", "from"),
        ("to=2021-13-01", "to"),
        ("from=2021-06-17T25:00:00Z", "from"),
        ("sort=colour", "sort"),
        ("sort=-colour", "sort"),
        ("minQuality=high", "minQuality"),
        ("minQuality=nan", "minQuality"),
        ("minHeat=1e400", "minHeat"),
        ("published=maybe", "published"),
        ("sortt=title", "sortt"),
        ("page=1&page=2", "page"),
        ("topic=" + "x" * 301, "topic"),
    ],
)
def test_bad_query_parameters_are_400(client, query, parameter):
    assert_problem(client.get(f"/articles?{query}"), 400, parameter)


def test_unknown_parameter_suggests_the_closest(client):
    doc = assert_problem(client.get("/articles?pagesize=5"), 400, "pagesize")
    assert "Did you mean 'pageSize'?" in doc["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/providers?sort=-quality",
        "/topics?q=ai",
        "/articles/a00/related?sort=title",
        "/topics/ai/articles?pageSize=101",
        "/providers/voanews.com/articles?from=x",
    ],
)
def test_every_list_checks_its_parameters(client, path):
    assert_problem(client.get(path), 400)


def test_page_size_limit_is_configurable(make_app, corpus):
    client = make_app(corpus, MAX_PAGE_SIZE=5, DEFAULT_PAGE_SIZE=3).test_client()
    assert client.get("/articles").get_json()["pageSize"] == 3
    doc = assert_problem(client.get("/articles?pageSize=6"), 400, "pageSize")
    assert "at most 5" in doc["detail"]


def test_empty_filter_values_are_ignored(client):
    assert client.get("/articles?topic=&provider=,").get_json()["total"] == 30


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_are_405_with_allow(client, method):
    response = getattr(client, method)("/articles")
    assert_problem(response, 405)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_head_and_options(client):
    assert client.head("/articles").status_code == 200
    assert client.options("/articles/a00").status_code == 200


def test_unknown_route_is_404(client):
    assert_problem(client.get("/nothing/here"), 404)


def test_unexpected_errors_are_a_bare_500(app):
    app.testing = False  # let the app handle the exception as in production

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret /srv/path details")

    doc = assert_problem(app.test_client().get("/boom"), 500)
    assert "secret" not in doc["detail"]
