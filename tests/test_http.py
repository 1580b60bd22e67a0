"""HTTP for browsers and caches: ETags and 304s, cache headers, CORS, compression."""

from __future__ import annotations

import gzip

import brotli
import pytest

try:  # flask-compress brings zstd: the standard library's from 3.14, a backport before
    from compression import zstd
except ImportError:
    from backports import zstd
from helpers import article_fields, assert_problem, replay_of, write_seed

LIST = "/articles?topic=ai&pageSize=5"


def test_etag_round_trip_is_a_304_without_a_body(client):
    first = client.get(LIST)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and not etag.startswith("W/")
    again = client.get(LIST, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    other = client.get(LIST, headers={"If-None-Match": '"something-else", ' + '"x"'})
    assert other.status_code == 200


def test_etag_follows_the_normalized_request(client):
    etag = client.get("/articles?topic=ai&pageSize=5").headers["ETag"]
    assert client.get("/articles?pageSize=5&topic=ai").headers["ETag"] == etag
    assert client.get("/articles?pageSize=5&topic=ai&page=2").headers["ETag"] != etag
    assert client.head("/articles?topic=ai&pageSize=5").headers["ETag"] == etag


def test_if_modified_since(client):
    last_modified = client.get(LIST).headers["Last-Modified"]
    assert client.get(LIST, headers={"If-Modified-Since": last_modified}).status_code == 304
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get(LIST, headers={"If-Modified-Since": old}).status_code == 200


def test_a_content_change_changes_the_etags_of_what_changed(make_app, corpus):
    before = make_app(corpus).test_client()
    tags = {
        path: before.get(path).headers["ETag"]
        for path in ("/articles", "/articles/a05", "/articles/a07")
    }
    write_seed(corpus, "a07.md", **article_fields(7, title="A new title"))
    after = make_app(corpus).test_client()
    assert after.get("/articles").headers["ETag"] != tags["/articles"]
    assert after.get("/articles/a07").headers["ETag"] != tags["/articles/a07"]
    assert after.get("/articles/a05").headers["ETag"] == tags["/articles/a05"]  # unchanged
    assert (
        after.get("/articles/a05", headers={"If-None-Match": tags["/articles/a05"]}).status_code
        == 304
    )


def test_cache_headers_on_every_response(make_app, corpus):
    client = make_app(corpus, CACHE_CONTROL="public, max-age=5").test_client()
    ok = client.get("/topics")
    assert ok.headers["Cache-Control"] == "public, max-age=5"
    assert {"Accept-Encoding", "Origin"} <= set(ok.headers["Vary"].split(", "))
    error = client.get("/articles/nope")
    assert_problem(error, 404)
    assert error.headers["Cache-Control"] == "no-store" and "ETag" not in error.headers


def test_cors_for_another_origin(client):
    response = client.get(LIST, headers={"Origin": "https://front.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exposed = set(response.headers["Access-Control-Expose-Headers"].split(", "))
    assert {"Link", "X-Total-Count", "ETag", "Last-Modified"} <= exposed


def test_cors_preflight(client):
    response = client.options(
        "/articles",
        headers={
            "Origin": "https://front.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "if-none-match" in response.headers["Access-Control-Allow-Headers"].lower()


def test_cors_origins_can_be_restricted(make_app, corpus):
    client = make_app(corpus, CORS_ORIGINS=["https://front.example"]).test_client()
    allowed = client.get("/topics", headers={"Origin": "https://front.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://front.example"
    denied = client.get("/topics", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in denied.headers


@pytest.mark.parametrize(
    ("coding", "decode"),
    [("gzip", gzip.decompress), ("br", brotli.decompress), ("zstd", zstd.decompress)],
)
def test_compressed_bodies_decode_to_the_same_json(client, coding, decode):
    plain = client.get("/articles?pageSize=30")
    packed = client.get("/articles?pageSize=30", headers={"Accept-Encoding": coding})
    assert packed.headers["Content-Encoding"] == coding
    assert len(packed.data) < len(plain.data)
    assert decode(packed.data) == plain.data
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + f':{coding}"'
    revalidated = client.get(
        "/articles?pageSize=30",
        headers={"Accept-Encoding": coding, "If-None-Match": packed.headers["ETag"]},
    )
    assert revalidated.status_code == 304


def test_small_bodies_are_not_compressed(client):
    response = client.get("/topics/ai", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers


def test_rendered_responses_are_reused_for_the_same_url(app, client):
    first = client.get("/articles?topic=ai&pageSize=3")
    assert len(app.extensions["responses"]) == 0  # asked once: not worth keeping
    second = client.get("/articles?topic=ai&pageSize=3")
    assert len(app.extensions["responses"]) == 1  # asked again: kept
    again = client.get("/articles?topic=ai&pageSize=3")
    for answer in (second, again):
        assert answer.data == first.data and answer.headers["ETag"] == first.headers["ETag"]
        assert answer.headers["Link"] == first.headers["Link"]
        assert answer.headers["X-Total-Count"] == "15"
    for _ in range(2):
        reordered = client.get("/articles?pageSize=3&topic=ai")  # same ETag, other links
        assert reordered.get_json()["links"]["self"].endswith("?pageSize=3&topic=ai&page=1")
    for _ in range(3):
        assert_problem(client.get("/articles?pageSize=0"), 400, "pageSize")
    assert len(app.extensions["responses"]) == 2


def test_a_kept_response_is_never_sent_for_newer_content(app, corpus):
    """The rendered-response cache is keyed by the URL; what it keeps goes out only while
    its ETag is the request's. (A header of each request's own gets past the replay,
    which would otherwise answer before Flask.)"""
    client = app.test_client()
    kept = [client.get("/articles/a01", headers={"X-Try": str(i)}) for i in range(2)]
    assert len(app.extensions["responses"]) == 1  # asked twice: kept
    assert client.get("/articles/a01", headers={"X-Try": "2"}).data == kept[0].data
    write_seed(corpus, "a01.md", **article_fields(1, title="Replaced"))
    app.extensions["reloader"].reload_now()
    after = client.get("/articles/a01", headers={"X-Try": "3"})
    assert after.get_json()["title"] == "Replaced"
    assert after.headers["ETag"] != kept[0].headers["ETag"]
    again = client.get("/articles/a01", headers={"X-Try": "4"})
    assert again.get_json()["title"] == "Replaced"


def test_a_cache_control_setting_with_a_line_break_stops_start_up(make_app, corpus):
    with pytest.raises(ValueError, match="CACHE_CONTROL"):
        make_app(corpus, CACHE_CONTROL="public\r\nSet-Cookie: a=b")


def test_the_response_cache_is_bounded_and_can_be_off(make_app, corpus):
    app = make_app(corpus, RESPONSE_CACHE_SIZE=3)
    client = app.test_client()
    for page in range(1, 8):
        for _ in range(2):  # (kept once asked twice)
            assert client.get(f"/articles?page={page}&pageSize=2").get_json()["page"] == page
    assert len(app.extensions["responses"]) == 3
    off = make_app(corpus, RESPONSE_CACHE_SIZE=0)
    for _ in range(3):
        off.test_client().get("/articles")
    assert off.extensions["responses"] == {}


def test_only_answers_to_requests_that_come_again_are_kept(make_app, corpus):
    """RESPONSE_CACHE_MIN_USES: a query string asked once (most distinct queries) costs no
    memory; one asked again is kept by both caches (the replay's and the rendered
    responses'), and what is remembered of the others stays bounded."""
    from api.http.recent import SEEN_PER_ENTRY

    app = make_app(corpus, RESPONSE_CACHE_SIZE=4)
    client = app.test_client()
    layer = replay_of(app)
    responses = app.extensions["responses"]
    for page in range(1, 61):
        assert client.get(f"/articles?page={page}&pageSize=1").status_code == 200
    replay = layer.entries  # (a new one for each content version)
    assert len(responses) == len(replay) == 0
    assert len(responses.seen) == len(replay.seen) == SEEN_PER_ENTRY * 4  # the newest
    assert client.get("/articles?page=60&pageSize=1").status_code == 200  # again: kept
    assert list(responses) and [key[5] for key in replay] == ["page=60&pageSize=1"]
    assert client.get("/articles?page=1&pageSize=1").status_code == 200  # forgotten
    assert len(replay) == 1
    every = make_app(corpus, RESPONSE_CACHE_MIN_USES=1)  # keep every answer
    every.test_client().get("/articles?page=2&pageSize=1")
    assert len(every.extensions["responses"]) == 1


def test_if_modified_since_never_hides_an_error(client):
    future = "Fri, 01 Jan 2100 00:00:00 GMT"
    assert_problem(client.get("/articles/nope", headers={"If-Modified-Since": future}), 404)
    assert_problem(client.get("/articles?page=0", headers={"If-Modified-Since": future}), 400)
    assert client.get("/articles/a01", headers={"If-Modified-Since": future}).status_code == 304
