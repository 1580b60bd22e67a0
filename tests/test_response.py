"""The app's response class (api.http.response): headers checked once, sent as werkzeug would."""

from __future__ import annotations

import pytest
from flask import Response
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder

from api.http.response import ApiResponse, CheckedHeaders


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "\r\n", "x\n"])
def test_a_value_with_a_newline_is_refused_on_every_way_in(value):
    headers = CheckedHeaders()
    with pytest.raises(ValueError, match="newline"):
        headers.add("X-Test", value)
    with pytest.raises(ValueError, match="newline"):
        headers.extend([("X-Test", value)])
    with pytest.raises(ValueError, match="newline"):
        CheckedHeaders([("X-Test", value)])
    with pytest.raises(ValueError, match="newline"):
        headers.set("X-Test", value)
    with pytest.raises(ValueError, match="newline"):
        ApiResponse(b"{}", headers=[("X-Test", value)])
    assert list(headers) == []


def test_values_that_are_not_str_are_converted_as_werkzeug_does():
    checked, plain = CheckedHeaders(), Headers()
    for headers in (checked, plain):
        headers.add("X-Count", 3)
        headers.add("Content-Disposition", "attachment", filename="a b.csv")
        headers.add("X-Text", "plain")
    assert list(checked) == list(plain)
    assert type(checked.copy()) is CheckedHeaders
    assert list(checked.copy()) == list(plain)


def _responses() -> list[ApiResponse]:
    with_location = ApiResponse(b"moved", status=201)
    with_location.headers.add("Location", "/articles/ü")
    streamed = ApiResponse(iter([b"a", b"bc"]), mimetype="text/csv")
    no_length = ApiResponse([b"ab", b"c"])
    del no_length.headers["Content-Length"]
    return [
        ApiResponse(b'{"items":[]}', mimetype="application/json"),
        ApiResponse(b"", status=204),
        ApiResponse(status=304, headers=[("ETag", '"x"'), ("Content-Type", "text/plain")]),
        ApiResponse(b"{}", status=404, mimetype="application/problem+json"),
        ApiResponse(b"{}", headers={"Link": '</a>; rel="next"', "X-Total-Count": "7"}),
        with_location,
        streamed,
        no_length,
    ]


@pytest.mark.parametrize("response", _responses(), ids=lambda r: f"{r.status_code}")
def test_the_headers_sent_are_werkzeugs(response):
    environ = EnvironBuilder(path="/articles", base_url="http://example.org/").get_environ()
    ours = response.get_wsgi_headers(environ)
    theirs = Response.get_wsgi_headers(response, environ)  # werkzeug's own
    assert list(ours) == list(theirs)
    assert ours is not response.headers  # a copy: sending never changes the response


def test_the_app_answers_with_checked_headers(app, client):
    assert app.response_class is ApiResponse
    seen = []

    @app.after_request
    def look(response):
        seen.append(type(response.headers))
        return response

    for url in ("/articles?pageSize=2", "/articles/nope", "/articles?page=0", "/topics"):
        client.get(url)
    assert seen == [CheckedHeaders] * 4


@pytest.mark.parametrize("status", [200, 404])
def test_a_response_of_bytes_is_the_one_werkzeug_makes(status):
    body = b'{"items":[]}'
    ours = ApiResponse.of_bytes(body, "application/json", status)
    theirs = Response(body, status, mimetype="application/json")
    assert ours.get_data() == theirs.get_data() and ours.status == theirs.status
    assert list(ours.headers) == list(theirs.headers)
    environ = EnvironBuilder(path="/").get_environ()
    assert list(ours.get_wsgi_headers(environ)) == list(theirs.get_wsgi_headers(environ))
