"""Conditional requests, cache headers and a cache of rendered responses.

Every successful GET or HEAD carries a strong ``ETag``, ``Last-Modified`` and the
configured ``Cache-Control``; a request whose ``If-None-Match`` (or, without one,
``If-Modified-Since``) still matches is answered ``304 Not Modified`` before any view
runs, so revalidating costs almost nothing. Errors are ``no-store``.

The ETag is not a hash of the body. It is derived from the code, the index version and
the normalized request (path and sorted query parameters); for one article, from that
article's JSON as the index prepared it, so it changes only when that article does.
flask-compress appends the content coding to it (``"…:gzip"``), which keeps ETags
strong per encoding; a tag with any of those suffixes matches here too.

Each worker also keeps the last ``RESPONSE_CACHE_SIZE`` rendered API responses (before
compression), keyed by the exact URL and its ETag, so a hot page is answered without
parsing or querying again. The index version is part of the ETag, so a new index never
serves an old response. Errors are never cached.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, current_app, g, request
from werkzeug.http import http_date

from .store import current_index

CODINGS = ("", ":zstd", ":br", ":gzip", ":deflate")
VARY = ("Accept-Encoding", "Origin")


CACHED_BLUEPRINTS = frozenset({"home", "articles", "providers", "topics"})
CACHED_HEADERS = ("Content-Type", "Link", "X-Total-Count")


def init_app(app: Flask) -> None:
    app.extensions["etag_salt"] = _code_digest()
    app.extensions["responses"] = {}
    app.before_request(answer_not_modified)
    app.before_request(answer_from_cache)
    app.after_request(add_cache_headers)


def _code_digest() -> bytes:
    """Changes with any source file of the app, so new code never reuses old ETags."""
    digest = hashlib.blake2b(digest_size=8)
    root = Path(__file__).resolve().parent.parent
    for source in sorted(
        [*root.joinpath("api").rglob("*.py"), *root.joinpath("schemas").glob("*.py")]
    ):
        digest.update(source.read_bytes())
    return digest.digest()


def request_etag() -> str:
    """The ETag (unquoted) of what this request gets; computed once per request."""
    etag = g.get("etag")
    if etag is None:
        index = current_index()
        key = None
        if request.endpoint == "articles.Article" and request.view_args:
            key = index.article_digest(request.view_args["article_id"])
        if key is None:
            query = "&".join(sorted(f"{k}={v}" for k, v in request.args.items(multi=True)))
            key = f"{index.version}\n{request.path}\n{query}".encode()
        salt = current_app.extensions["etag_salt"]
        etag = g.etag = hashlib.blake2b(key, digest_size=12, key=salt).hexdigest()
    return etag


def answer_not_modified() -> Response | None:
    """``304`` when ``If-None-Match`` names the current ETag; otherwise the view answers.

    A matching ETag can only come from an earlier 200 to the same request, so the view
    need not run. ``If-Modified-Since`` names no resource; it is checked on the view's
    answer (in :func:`add_cache_headers`), so a bad request stays a 4xx.
    """
    if request.method not in ("GET", "HEAD") or request.endpoint is None:
        return None
    if request.if_none_match:
        current = {request_etag() + coding for coding in CODINGS}
        for tag in request.if_none_match.as_set():
            if tag in current:
                return _not_modified(tag)
    return None


def _cache_key() -> tuple | None:
    if request.method not in ("GET", "HEAD") or request.blueprint not in CACHED_BLUEPRINTS:
        return None
    return (request_etag(), request.host, request.script_root, request.path, request.query_string)


def answer_from_cache() -> Response | None:
    """The rendered response to this exact request, if this worker has it."""
    key = _cache_key()
    hit = current_app.extensions["responses"].get(key) if key else None
    if hit is None:
        return None
    g.cached = True
    body, headers = hit
    return Response(body, headers=headers)


def _remember(response: Response) -> None:
    key = _cache_key()
    limit = current_app.config["RESPONSE_CACHE_SIZE"]
    if key is None or limit <= 0 or g.get("cached") or response.direct_passthrough:
        return
    body = response.get_data()
    if len(body) > current_app.config["RESPONSE_CACHE_MAX_BYTES"]:
        return
    responses = current_app.extensions["responses"]
    while len(responses) >= limit:
        responses.pop(next(iter(responses)), None)  # the oldest
    headers = [
        (name, response.headers[name]) for name in CACHED_HEADERS if name in response.headers
    ]
    responses[key] = (body, headers)


def _not_modified(tag: str) -> Response:
    response = Response(status=304)
    response.set_etag(tag)
    return response


def add_cache_headers(response: Response) -> Response:
    response.vary.update(VARY)
    if request.method not in ("GET", "HEAD") or response.status_code not in (200, 304):
        response.headers["Cache-Control"] = "no-store"
        return response
    response.headers["Cache-Control"] = current_app.config["CACHE_CONTROL"]
    response.headers["Last-Modified"] = http_date(current_index().built_at)
    if response.status_code == 200 and request.endpoint is not None:
        _remember(response)
        response.set_etag(request_etag())
        response.make_conditional(request)  # If-Modified-Since
    return response


# How the spec documents all this: every GET takes these headers and may answer 304.
CONDITIONAL_PARAMETERS = [
    {
        "in": "header",
        "name": "If-None-Match",
        "description": "ETags of copies the client holds; a match is answered 304.",
        "schema": {"type": "string"},
        "example": '"68e8ab50cbfcdbdc76caa2b8"',
    },
    {
        "in": "header",
        "name": "If-Modified-Since",
        "description": "Used when If-None-Match is absent: 304 if the content has not "
        "changed since this date.",
        "schema": {"type": "string"},
        "example": "Thu, 26 Nov 2026 06:00:00 GMT",
    },
]
CACHE_HEADERS = {
    "ETag": {
        "description": "Strong validator of this representation (a `:gzip`, `:br` or "
        "`:zstd` suffix when compressed).",
        "schema": {"type": "string"},
    },
    "Last-Modified": {
        "description": "When the content was last indexed.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "`public, max-age=60, stale-while-revalidate=300` unless configured.",
        "schema": {"type": "string"},
    },
    "Vary": {"description": "`Accept-Encoding, Origin`.", "schema": {"type": "string"}},
}
