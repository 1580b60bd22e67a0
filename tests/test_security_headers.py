"""Security headers on every response (API, problems, 304s, static files, the docs page),
and the docs page working under its strict Content-Security-Policy in a real browser."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from helpers import assert_problem

from api.http.security_headers import API_POLICY, PAGE_POLICY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def assert_secure(response, policy: str | None = API_POLICY) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers.get("Content-Security-Policy") == policy


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/articles?topic=ai",
        "/articles/a00",
        "/articles/a00/related",
        "/providers",
        "/providers/voanews.com/articles",
        "/topics/ai",
        "/openapi.json",
        "/docs/static/swagger-ui-bundle.js",
        "/docs/static/swagger-ui.css",
        "/static/docs/docs-init.js",
    ],
)
def test_every_api_response_and_static_file(client, url):
    with client.get(url) as response:
        assert response.status_code == 200
        assert_secure(response)


def test_errors_304s_head_options_and_compressed_responses(client):
    for response, status in [
        (client.get("/articles/nope"), 404),
        (client.get("/articles?page=0"), 400),
        (client.get("/articles?topic=%ff"), 400),
        (client.delete("/articles"), 405),
        (client.get("/nothing"), 404),
    ]:
        assert_problem(response, status)
        assert_secure(response)
    for url in ("/articles", "/docs"):
        # A 304 keeps the policy of the cached 200 (a cache copies a 304's headers onto it).
        etag = client.get(url).headers["ETag"]
        not_modified = client.get(url, headers={"If-None-Match": etag})
        assert not_modified.status_code == 304
        assert_secure(not_modified, policy=None)
    assert_secure(client.head("/articles"))
    assert_secure(client.options("/articles", headers={"Access-Control-Request-Method": "GET"}))
    packed = client.get("/articles?pageSize=30", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert_secure(packed)


def test_cached_responses_keep_the_headers(client):
    client.get("/topics")
    again = client.get("/topics")  # from the worker's rendered-response cache
    assert_secure(again)


def test_an_unexpected_error_has_them_too(app):
    app.testing = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert_problem(response, 500)
    assert_secure(response)


def test_the_docs_page_has_the_page_policy_and_no_inline_script(client):
    page = client.get("/docs")
    assert_secure(page, PAGE_POLICY)
    assert_secure(client.head("/docs"), PAGE_POLICY)
    html = page.get_data(as_text=True)
    assert html.count("<script") == html.count("<script src=") == 3
    assert "'unsafe-eval'" not in PAGE_POLICY and "script-src 'self';" in PAGE_POLICY


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="needs chromium (.ci/run installs it)"
)
def test_docs_page_renders_in_chromium_without_csp_violations(server, tmp_path):
    """The console would say "violates the following Content Security Policy directive"
    for any blocked script, style, image or fetch."""
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=15000",
            "--dump-dom",
            f"{server.base}/docs",
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    dom, log = result.stdout, result.stderr
    for path in ("/articles", "/articles/{article_id}", "/providers", "/topics/{topic_id}"):
        assert f'data-path="{path}"' in dom, log[-2000:]
    assert "Content Security Policy" not in log, log
    assert "Refused to" not in log, log
