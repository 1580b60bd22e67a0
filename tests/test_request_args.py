"""The app's ``request.args`` (query pairs decoded once each, api.app.NewsApiRequest) is
werkzeug's, pair for pair, whatever the query string."""

from __future__ import annotations

import random

import pytest
from flask import Request
from werkzeug.test import EnvironBuilder

from api import app as app_module
from api.app import NewsApiRequest

ODD = [
    "",
    "&",
    "&&a=1&&",
    "a",
    "a=",
    "=b",
    "a=b=c",
    "+=+",
    "a+b=c+d",
    "q=caf%C3%A9+au+lait",
    "q=%ff%fe",
    "%zz=1&b=%",
    "a=1;b=2",
    "topic=ai&topic=AI&topic=",
    "q=" + "x" * (app_module.PAIR_MEMO_MAX_CHARS + 1),
    "q=\u00c3\u00a9",  # UTF-8 bytes of "é", as WSGI gives them (latin-1)
    "q=\u00e9",  # a lone latin-1 byte: not UTF-8
]


def random_queries(count: int) -> list[str]:
    rng = random.Random(3)
    parts = ["topic=ai", "sort=-quality", "page=2", "q=a+b", "x=%20", "=", "a", "%41=%42"]
    return ["&".join(rng.choices(parts, k=rng.randint(0, 6))) for _ in range(count)]


def decoded(cls: type[Request], query: str):
    environ = EnvironBuilder(path="/articles").get_environ()
    environ["QUERY_STRING"] = query
    try:
        args = cls(environ).args
    except Exception as exc:  # the same error, if any
        return type(exc), str(exc)
    return type(args), list(args.items(multi=True))


@pytest.mark.parametrize("query", ODD + random_queries(300))
def test_args_are_werkzeugs(query):
    assert decoded(NewsApiRequest, query) == decoded(Request, query)
    assert decoded(NewsApiRequest, query) == decoded(Request, query)  # from the memo


def test_the_app_uses_it(app):
    assert app.request_class is NewsApiRequest


@pytest.mark.parametrize(
    ("base", "path"),
    [
        ("http://localhost/", "/x"),
        ("https://example.org:8443/app/", "/app/x"),
        ("http://xn--bcher-kva.example/", "/"),
        ("http://h/%C3%BC/", "/%C3%BC/x"),
    ],
)
def test_the_root_url_is_werkzeugs(base, path):
    """NewsApiRequest keeps the root URL of each scheme, host and root path: the same
    text werkzeug works out for every request."""
    environ = EnvironBuilder(path=path, base_url=base).get_environ()
    ours, theirs = NewsApiRequest(environ), Request(environ)
    assert ours.url_root == ours.root_url == theirs.url_root == theirs.root_url
