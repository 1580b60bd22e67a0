"""Repeated requests replayed before Flask (api.http.replay): the same bytes, each with its
own request id, metrics and access line; nothing replayed that could differ."""

from __future__ import annotations

import gzip
import json

import pytest
from helpers import article_fields, replay_of, write_seed
from prometheus_client.parser import text_string_to_metric_families

from api.http.recent import Recent

URL = "/articles?topic=ai&pageSize=3"


@pytest.fixture
def counted(make_app, corpus, tmp_path):
    """An app logging its access lines to a file, and a count of the requests that
    reached Flask's hooks (a replay reaches none)."""
    log = tmp_path / "access.log"
    app = make_app(corpus, ACCESS_LOG=str(log))
    reached = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: reached.append(1))
    return app, reached, log


def lines(log) -> list[dict]:
    return [json.loads(line) for line in log.read_text("utf-8").splitlines()]


def without_request_id(response) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in response.headers if k != "X-Request-Id")


def test_a_repeated_request_is_replayed_with_its_own_request_id(counted):
    app, reached, log = counted
    client = app.test_client()
    answers = [client.get(URL) for _ in range(3)]
    answers.append(client.get(URL, headers={"X-Request-Id": "mine-1"}))
    # Kept once asked twice (RESPONSE_CACHE_MIN_USES): the third and fourth never
    # reached Flask.
    assert len(reached) == 2
    assert replay_of(app) is not None
    first = answers[0]
    assert {r.status_code for r in answers} == {200}
    assert all(r.data == first.data for r in answers)
    assert all(without_request_id(r) == without_request_id(first) for r in answers)
    ids = [r.headers["X-Request-Id"] for r in answers]
    assert len(set(ids)) == 4 and ids[3] == "mine-1"
    # One access line each, alike but for the id and the time.
    logged = lines(log)
    assert [line["request_id"] for line in logged] == ids
    varying = ("time", "request_id", "duration_ms", "message")
    same = [{k: v for k, v in line.items() if k not in varying} for line in logged]
    assert all(line == same[0] for line in same)
    assert same[0]["route"] == "/articles" and same[0]["bytes"] == len(first.data)
    assert all(line["message"].startswith(f"GET {URL} 200 ") for line in logged)


def test_replays_are_counted_in_the_metrics(client):
    for _ in range(4):
        client.get(URL)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(client.get("/metrics").get_data(True))
        for s in family.samples
    }
    labels = (("method", "GET"), ("route", "/articles"), ("status", "200"))
    assert samples[("news_api_requests_total", labels)] == 4
    assert samples[("news_api_request_duration_seconds_count", (("route", "/articles"),))] == 4


def test_headers_that_change_the_answer_get_answers_of_their_own(make_app, corpus):
    app = make_app(corpus, CORS_ORIGINS=["https://front.example"])
    client = app.test_client()
    plain = client.get(URL)
    zipped = client.get(URL, headers={"Accept-Encoding": "gzip"})
    zipped_again = client.get(URL, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert zipped_again.headers["Content-Encoding"] == "gzip"
    assert zipped.data == zipped_again.data and gzip.decompress(zipped.data) == plain.data
    assert client.get(URL).data == plain.data

    front = {"Origin": "https://front.example"}
    allowed = [client.get(URL, headers=front) for _ in range(2)]
    other = [client.get(URL, headers={"Origin": "https://other.example"}) for _ in range(2)]
    assert [r.headers.get("Access-Control-Allow-Origin") for r in allowed + other] == [
        "https://front.example",
        "https://front.example",
        None,
        None,
    ]

    etag = plain.headers["ETag"]
    for _ in range(2):
        revalidated = client.get(URL, headers={"If-None-Match": etag})
        assert revalidated.status_code == 304 and revalidated.headers["ETag"] == etag
    assert client.get(URL, headers={"If-None-Match": '"other"'}).status_code == 200
    head = client.head(URL)
    assert head.status_code == 200 and head.data == b""
    assert client.head(URL).headers["Content-Length"] == str(len(plain.data))


def test_a_new_content_version_is_never_answered_from_the_old_one(app, corpus):
    client = app.test_client()
    before = client.get("/articles/a01")
    client.get("/articles/a01")
    write_seed(corpus, "a01.md", **article_fields(1, title="Replaced"))
    app.extensions["reloader"].reload_now()
    after = client.get("/articles/a01")
    assert before.get_json()["title"] != "Replaced" and after.get_json()["title"] == "Replaced"
    assert after.headers["X-Content-Version"] != before.headers["X-Content-Version"]


def test_errors_streams_and_other_methods_always_reach_flask(counted):
    app, reached, _ = counted
    client = app.test_client()
    for url in ("/articles/nope", "/articles?pageSize=0", "/articles/export.ndjson"):
        for _ in range(2):
            client.get(url)
    assert len(reached) == 6
    for _ in range(2):
        client.options(URL)
    assert len(reached) == 8
    for _ in range(2):
        client.get("/readyz")
        client.get("/metrics")
    assert len(reached) == 12


def test_rate_limits_or_no_cache_turn_it_off(make_app, corpus):
    limited = make_app(corpus, RATE_LIMIT="100/minute")
    assert replay_of(limited) is None
    client = limited.test_client()
    remaining = [int(client.get(URL).headers["X-RateLimit-Remaining"]) for _ in range(3)]
    assert remaining == [99, 98, 97]
    assert replay_of(make_app(corpus, RESPONSE_CACHE_SIZE=0)) is None


def test_the_least_recently_used_answer_goes_first(make_app, corpus):
    app = make_app(corpus, RESPONSE_CACHE_SIZE=2)
    client = app.test_client()
    for url in ("/articles/a01", "/articles/a02", "/articles/a01", "/articles/a03"):
        client.get(url)
        client.get(url)  # (kept once asked twice)
    kept = [key[4] for key in replay_of(app).entries]
    assert kept == ["/articles/a01", "/articles/a03"]


def test_what_a_worker_keeps_is_bounded_in_bytes_too(make_app, corpus):
    """Both caches of answers (the replay's, and the rendered responses behind it) hold at
    most RESPONSE_CACHE_BYTES of bodies, whatever the traffic; the newest are kept."""
    one = len(make_app(corpus).test_client().get("/articles?page=1&pageSize=5").get_data())
    app = make_app(corpus, RESPONSE_CACHE_BYTES=int(one * 2.5))
    client = app.test_client()
    urls = [f"/articles?page={page}&pageSize=5" for page in range(1, 7)]
    for url in urls:
        for _ in range(2):  # (kept once asked twice)
            assert client.get(url).status_code == 200
    for kept in (replay_of(app).entries, app.extensions["responses"]):
        assert 0 < kept.size <= int(one * 2.5)
        assert kept.size == sum(kept.size_of(entry) for entry in kept.values())
    assert [key[5] for key in replay_of(app).entries] == ["page=5&pageSize=5", "page=6&pageSize=5"]
    again = client.get(urls[-1])  # still replayed
    assert again.get_data() == client.get(urls[-1]).get_data()


def test_keeping_an_answer_again_counts_its_bytes_once():
    kept = Recent(limit=10, max_bytes=100, size_of=len)
    kept.keep("a", b"x" * 40)
    kept.keep("a", b"y" * 30)
    kept.keep("b", b"z" * 60)
    assert kept.size == 90 and list(kept) == ["a", "b"]
    kept.keep("c", b"w" * 20)  # no room: the least recently used ("a") goes
    assert list(kept) == ["b", "c"] and kept.size == 80
    assert kept.take("b") == b"z" * 60 and list(kept) == ["c", "b"]
    kept.keep("big", b"v" * 101)  # larger than the whole budget: not kept
    assert "big" not in kept and kept.size == 80
    capped = Recent(limit=10, max_bytes=100, size_of=len, max_entry_bytes=50)
    capped.keep("large", b"l" * 51)  # over RESPONSE_CACHE_MAX_BYTES: not kept
    capped.keep("small", b"s" * 50)
    assert list(capped) == ["small"] and capped.size == 50


def test_behind_a_proxy_the_replay_logs_the_client(make_app, corpus, tmp_path):
    log = tmp_path / "proxied.log"
    app = make_app(corpus, PROXY_FIX=1, ACCESS_LOG=str(log))
    client = app.test_client()
    for address in ("198.51.100.1", "198.51.100.2"):
        response = client.get(
            URL,
            headers={"X-Forwarded-For": address, "X-Forwarded-Proto": "https"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        assert response.get_json()["links"]["self"].startswith("https://localhost/articles?")
    assert [line["remote_addr"] for line in lines(log)] == ["198.51.100.1", "198.51.100.2"]
    assert type(app.wsgi_app).__name__ == "ProxyFix"  # outermost: every layer sees the client
    assert replay_of(app) is not None
