"""Hostile requests: whatever is sent, the answer is a clear 4xx problem document, never a
500, a stack trace or a path of the server's disk. Only GET, HEAD and OPTIONS exist.

The test client covers what werkzeug can send; raw sockets against the real server
(granian) cover the rest: raw bytes in the request line, over-long lines and headers.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
from helpers import assert_problem, write_corpus

from api import create_app
from api.config import PROJECT_ROOT

ROUTES = [
    "/",
    "/articles",
    "/articles/a00",
    "/articles/a00/related",
    "/providers",
    "/providers/voanews.com",
    "/providers/voanews.com/articles",
    "/topics",
    "/topics/ai",
    "/topics/ai/articles",
    "/openapi.json",
    "/docs",
    "/docs/static/swagger-ui.css",
]
LIST_ROUTES = [r for r in ROUTES if r.endswith(("articles", "related", "providers", "topics"))]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """One app for the module's many cases (nothing here changes it): the usual corpus."""
    folder = write_corpus(tmp_path_factory.mktemp("content"), 30)
    return create_app({"TESTING": True, "CONTENT_DIR": str(folder), "CACHE_DIR": ""}).test_client()


def assert_clean_problem(response, status: int, parameter: str | None = None) -> dict:
    """A problem document that gives nothing of the server away."""
    doc = assert_problem(response, status, parameter)
    text = response.get_data(as_text=True)
    assert str(PROJECT_ROOT) not in text and "Traceback" not in text and 'File "' not in text
    return doc


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/articles?topic=" + "x" * 5000, 400, "topic"),
        ("/articles?cursor=" + "x" * 5000, 400, "cursor"),
        ("/articles?fields=" + "id," * 2000, 200, None),  # long, but a valid selection
        ("/articles?q=" + "x" * 9000, 414, None),
        ("/articles?" + "&".join(f"p{i}=1" for i in range(900)), 400, "p0"),
        ("/articles?page=1&page=1", 400, "page"),
        ("/articles?sort=title&sort=title", 400, "sort"),
        ("/articles?published=true&published=false", 400, "published"),
        ("/articles?topic=%ff", 400, None),
        ("/articles?topic=%c0%af", 400, None),  # an overlong encoding of "/"
        ("/articles?topic=%zz", 400, None),
        ("/articles?topic=100%", 400, None),
        ("/articles?%ff=1", 400, None),
        ("/articles?topic=%00", 200, None),  # valid UTF-8: simply matches nothing
        ("/articles/%ff", 400, None),
        ("/articles/%e2%82", 400, None),
        ("/articles/a%zz", 400, None),
        ("/articles/..%2F..%2Fetc%2Fpasswd", 404, None),
        ("/articles/%2e%2e%2f%2e%2e%2fapi%2fconfig.py", 404, None),
        ("/articles/..", 404, None),
        ("/docs/static/..%2F..%2F__init__.py", 404, None),
        ("/docs/static/../../config.py", 404, None),
        ("/static/../__init__.py", 404, None),
        ("/articles?page=1000000000&pageSize=100", 200, None),
        ("/articles?page=1000000001", 400, "page"),
        ("/articles?page=99999999999999999999999999999999", 400, "page"),
        ("/articles?page=-9223372036854775809", 400, "page"),
        ("/articles?pageSize=18446744073709551617", 400, "pageSize"),
        ("/articles?page=1e9", 400, "page"),
        ("/articles?page=0x10", 400, "page"),
        ("/articles?minQuality=1e309", 400, "minQuality"),
        ("/articles?minQuality=-inf", 400, "minQuality"),
        ("/articles?minHeat=NaN", 400, "minHeat"),
        ("/articles?from=99999-01-01", 400, "from"),
        ("/articles?to=0000-01-01", 400, "to"),
        ("/articles?from=2021-06-01T00:00:00%2B99:00", 400, "from"),
    ],
)
def test_hostile_urls_get_a_clear_answer(client, url, status, parameter):
    response = client.get(url)
    if status == 200:
        assert response.status_code == 200, response.data
        return
    doc = assert_clean_problem(response, status, parameter)
    if "%" in url and status == 400 and parameter is None:
        assert "UTF-8" in doc["detail"] or "hex digits" in doc["detail"]


def test_a_problem_names_at_most_ten_bad_parameters(client):
    response = client.get("/articles?" + "&".join(f"p{i}=1" for i in range(900)))
    doc = assert_clean_problem(response, 400)
    assert len(doc["errors"]) == 10 and len(response.data) < 5000


@pytest.mark.parametrize("host", ["a b", "<script>", "[::1", "x" * 300 + ":-1"])
def test_an_unusable_host_header_is_a_400(client, host):
    assert_clean_problem(client.get("/", headers={"Host": host}), 400)


@pytest.mark.parametrize(
    "headers",
    [
        {"If-None-Match": ",".join(['"x"'] * 3000)},
        {"If-None-Match": "\x00\x01garbage"},
        {"If-Modified-Since": "Mon, 99 Foo 99999 99:99:99 GMT"},
        {"Accept-Encoding": "gzip;q=nan, br;q=1e400, *;q=-1"},
        {"Origin": "null"},
        {"Access-Control-Request-Headers": "x" * 4000},
    ],
)
def test_odd_headers_never_break_a_request(client, headers):
    response = client.get("/articles?pageSize=2", headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "method", ["POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT", "PROPFIND", "FOO"]
)
def test_only_get_head_and_options_exist(client, route, method):
    response = client.open(route, method=method, data=b"x" * 100)
    assert_clean_problem(response, 405)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("route", ROUTES)
def test_get_head_and_options_work_everywhere(client, route):
    with client.get(route) as get, client.head(route) as head, client.options(route) as options:
        assert get.status_code == head.status_code == options.status_code == 200
        assert head.data == b""


# The real server: what the test client cannot send.


def raw_request(base: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; the status, headers and body of the answer."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data and (chunk := sock.recv(65536)):
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
        # The body: as long as the server says (the connection may be kept alive).
        while len(body) < int(headers.get("content-length", 0)) and (chunk := sock.recv(65536)):
            body += chunk
    return int(status_line.split()[1]), headers, body


def get_raw(base: str, target: bytes, method: bytes = b"GET", extra: bytes = b"") -> tuple:
    request = method + b" " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    return raw_request(base, request + extra + b"\r\n")


RAW_URLS = [
    (b"/articles?topic=%ff", 400),
    (b"/articles/%ff", 400),
    (b"/articles/..%2f..%2fetc%2fpasswd", 404),
    (b"/articles/../../etc/passwd", 404),
    (b"/articles?page=99999999999999999999999", 400),
]


def test_real_server_answers_raw_hostile_urls_with_problems(server):
    """One server for all the cases (starting it is the slow part)."""
    for target, status in RAW_URLS:
        code, headers, body = get_raw(server.base, target)
        assert code == status, (target, body)
        assert headers["content-type"] == "application/problem+json", target
        assert headers["x-content-type-options"] == "nosniff", target
        assert b"Traceback" not in body and str(PROJECT_ROOT).encode() not in body


def test_real_server_refuses_unknown_methods_with_a_problem(server):
    code, headers, _ = get_raw(server.base, b"/articles", method=b"DELETE")
    assert code == 405 and headers["content-type"] == "application/problem+json"
    assert set(headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


MALFORMED = [
    (b"GET /articles?topic=" + b"x" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /articles HTTP/9.9\r\nHost: x\r\n\r\n", 400),
    (b"GET /art\x00icles HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /articles/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n", 400),  # raw bytes
    (b"GET /articles?topic=\xe9 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /articles HTTP/1.1\r\nHost: x\r\nX-Big: " + b"y" * 70_000 + b"\r\n\r\n", 431),
    (
        b"GET /articles HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-%d: 1\r\n" % i for i in range(200))
        + b"\r\n",
        431,
    ),
]


def test_the_server_refuses_malformed_requests(server):
    """Refused by granian before the app runs (an empty body, no trace): malformed
    requests, a head over 64 KiB, too many fields; or by the app (a problem document): a
    URL over 8190 bytes."""
    for request_bytes, status in MALFORMED:
        code, _, body = raw_request(server.base, request_bytes)
        assert code == status, (request_bytes[:60], body)
        assert b"Traceback" not in body and str(PROJECT_ROOT).encode() not in body
