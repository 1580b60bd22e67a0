"""Optional rate limits per client (flask-limiter): off by default; when on, RateLimit
headers and a 429 problem with Retry-After; health checks and /metrics exempt."""

from __future__ import annotations

import pytest
from helpers import assert_problem


@pytest.fixture
def limited(make_app, corpus):
    """An app allowing each client 3 requests a minute."""
    return make_app(corpus, RATE_LIMIT="3/minute;100/hour")


def test_off_by_default(client, app):
    assert "limiter" not in app.extensions
    for _ in range(20):
        response = client.get("/topics")
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response.headers
        assert "Retry-After" not in response.headers


def test_limit_headers_then_429_problem_with_retry_after(limited):
    client = limited.test_client()
    paths = ["/topics", "/articles?pageSize=1", "/articles/a01"]  # one budget for all routes
    for remaining, path in zip((2, 1, 0), paths, strict=True):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
        assert response.headers["X-RateLimit-Remaining"] == str(remaining)
        assert int(response.headers["X-RateLimit-Reset"]) > 0
    refused = client.get("/topics", headers={"X-Request-Id": "slow-down"})
    doc = assert_problem(refused, 429)
    assert "3/minute" in doc["detail"] and doc["requestId"] == "slow-down"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["Cache-Control"] == "no-store"
    # A cached answer or a revalidation is counted too.
    assert client.get("/topics", headers={"If-None-Match": "*"}).status_code == 429


def test_limits_are_per_client(limited):
    client = limited.test_client()
    for _ in range(3):
        client.get("/topics", environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert client.get("/topics", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 429
    assert client.get("/topics", environ_base={"REMOTE_ADDR": "192.0.2.2"}).status_code == 200


def test_health_and_metrics_are_never_limited(limited):
    client = limited.test_client()
    for _ in range(4):
        client.get("/topics")
    assert client.get("/topics").status_code == 429
    for _ in range(5):
        for path in ("/metrics", "/healthz", "/readyz"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert "X-RateLimit-Limit" not in response.headers
            assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/no/such/route").status_code == 404  # unrouted: not counted either


def test_forwarded_for_is_ignored_unless_behind_a_proxy(make_app, corpus):
    direct = make_app(corpus, RATE_LIMIT="2/minute").test_client()
    for i in range(3):
        last = direct.get("/topics", headers={"X-Forwarded-For": f"198.51.100.{i}"})
    assert last.status_code == 429  # a made-up X-Forwarded-For does not escape the limit

    proxied = make_app(corpus, RATE_LIMIT="2/minute", PROXY_FIX=1).test_client()
    for _ in range(3):
        last = proxied.get("/topics", headers={"X-Forwarded-For": "198.51.100.1"})
    assert last.status_code == 429
    other = proxied.get("/topics", headers={"X-Forwarded-For": "198.51.100.2"})
    assert other.status_code == 200  # the proxy says it is another client


@pytest.mark.parametrize("bad", ["lots", "100", "100/fortnight"])
def test_a_bad_limit_stops_start_up(make_app, corpus, bad):
    with pytest.raises(ValueError, match="NEWS_API_RATE_LIMIT"):
        make_app(corpus, RATE_LIMIT=bad)


def test_an_unreachable_storage_lets_requests_through(make_app, corpus, monkeypatch):
    app = make_app(corpus, RATE_LIMIT="1/minute")
    (limiter,) = app.extensions["limiter"]

    def unreachable(*args, **kwargs):
        raise ConnectionError("storage down")

    for method in ("incr", "get", "get_expiry"):
        monkeypatch.setattr(limiter._storage, method, unreachable)
    client = app.test_client()
    assert [client.get("/topics").status_code for _ in range(3)] == [200, 200, 200]
