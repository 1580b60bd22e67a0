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
compression) to requests that came ``RESPONSE_CACHE_MIN_USES`` times (:mod:`.recent`),
keyed by the exact URL and its ETag, so a hot page is answered without
parsing or querying again. The index version is part of the ETag, so a new index never
serves an old response. Errors are never cached.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Request, current_app, g, request

from ..store import current_index
from .recent import Recent
from .replay import STORABLE
from .response import ApiResponse

CODINGS = ("", ":zstd", ":br", ":gzip")  # COMPRESS_ALGORITHM
VARY = "Accept-Encoding, Origin"
CACHED_BLUEPRINTS = frozenset({"home", "articles", "providers", "topics", "suggest", "feeds"})
CACHED_HEADERS = ("Content-Type", "Link", "X-Total-Count")
_CACHED_LOWER = frozenset(name.lower() for name in CACHED_HEADERS)
_SET_HERE = frozenset({"vary", "cache-control", "last-modified", "etag"})
UNCACHED_BLUEPRINTS = frozenset({"metrics", "health"})  # always fresh: no validators, no-store


def init_app(app: Flask) -> None:
    # Keyed by the code's digest: a new release never reuses old ETags. Each request
    # hashes with a copy (cheaper than keying a new hash).
    app.extensions["etag_hash"] = hashlib.blake2b(digest_size=12, key=_code_digest())
    app.extensions["responses"] = Recent.configured(app.config, _body_size)
    app.before_request(answer_early)
    app.after_request(add_cache_headers)


def _code_digest() -> bytes:
    """Changes with any file of the app (code and the docs page's assets), so a new
    release never reuses old ETags."""
    digest = hashlib.blake2b(digest_size=8)
    root = Path(__file__).resolve().parent.parent.parent
    files = [*root.joinpath("api").rglob("*"), *root.joinpath("schemas").glob("*.py")]
    for path in sorted(p for p in files if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.read_bytes())
    return digest.digest()


class _Validators:
    """What this request's caching needs, worked out once (kept on ``g``)."""

    __slots__ = ("cache_key", "etag", "last_modified")

    def __init__(self, req: Request, blueprint: str | None) -> None:
        index = current_index()
        # An article's own digest stands for the content, so its ETag survives changes
        # to other articles; anything else depends on the whole index's version.
        content = None
        if req.endpoint == "articles.Article" and req.view_args:
            content = index.article_digest(req.view_args["article_id"])
        elif req.blueprint == "sync":  # also depends on the history (api.resources.sync)
            content = current_app.extensions["sync"].history.tag(index).encode()
        environ = req.environ
        query = environ.get("QUERY_STRING", "")
        # The request, normalized: parameters in any order are the same request. The
        # raw pairs are sorted (not decoded): a differently escaped URL gets an ETag of
        # its own, which costs a revalidation, never a wrong answer.
        key = "\0".join(
            (
                environ.get("wsgi.url_scheme", ""),
                environ.get("HTTP_HOST", ""),
                req.path,
                *sorted(query.split("&")),
            )
        )
        digest = current_app.extensions["etag_hash"].copy()
        digest.update(content if content is not None else index.version.encode())
        digest.update(key.encode("utf-8", "surrogateescape"))
        self.etag = digest.hexdigest()
        self.last_modified = index.last_modified
        # The rendered-response cache: API routes only, and the exact URL (its links
        # are absolute and keep the client's parameter order).
        self.cache_key = (
            (self.etag, req.script_root, query) if blueprint in CACHED_BLUEPRINTS else None
        )


def _validators(req: Request) -> _Validators | None:
    """This request's validators; None for what is never cached (other methods, 404s,
    the health checks and metrics, anything before the first index is built)."""
    ctx_g = g._get_current_object()
    validators = ctx_g.get("validators")
    if validators is not None:
        return validators
    if req.method not in ("GET", "HEAD") or req.endpoint is None:
        return None
    blueprint = req.blueprint
    if blueprint in UNCACHED_BLUEPRINTS or current_app.extensions["content"].index_now() is None:
        return None
    validators = ctx_g.validators = _Validators(req, blueprint)
    return validators


def answer_early() -> ApiResponse | None:
    """``304`` when ``If-None-Match`` names the current ETag, or the rendered response
    if this worker has it; otherwise the view answers.

    A matching ETag can only come from an earlier 200 to the same request, so the view
    need not run. ``If-Modified-Since`` names no resource; it is checked on the view's
    answer (in :func:`add_cache_headers`), so a bad request stays a 4xx.
    """
    req = request._get_current_object()
    validators = _validators(req)
    if validators is None:
        return None
    if "HTTP_IF_NONE_MATCH" in req.environ:
        current = {validators.etag + coding for coding in CODINGS}
        for tag in req.if_none_match.as_set(include_weak=True):
            if tag in current:
                response = ApiResponse(status=304)
                response.headers["ETag"] = f'"{tag}"'
                return response
    responses = current_app.extensions["responses"]
    hit = responses.take(validators.cache_key)
    if hit is not None:
        g.cached = True
        return ApiResponse(hit[0], headers=hit[1])
    return None


def add_cache_headers(response: ApiResponse) -> ApiResponse:
    req = request._get_current_object()
    headers = response.headers
    # Static files come with validators of their own, which are replaced (set); most
    # responses have none of these headers, which are then added (one look, not a
    # search of the headers for each).
    fresh = _SET_HERE.isdisjoint([name.lower() for name, _ in headers])
    put = headers.add if fresh else headers.set
    vary = None if fresh else headers.get("Vary")
    if vary is None:
        headers.add("Vary", VARY)
    else:
        headers["Vary"] = f"{vary}, {VARY}"
    # Status first: an error (a 503 before the first index, say) needs no validators.
    status = response.status_code
    validators = _validators(req) if status == 200 or status == 304 else None
    if validators is None:
        put("Cache-Control", "no-store")
        return response
    app = current_app._get_current_object()
    put("Cache-Control", app.config["CACHE_CONTROL"])
    put("Last-Modified", validators.last_modified)
    if validators.cache_key is not None and not (
        response.direct_passthrough or response.is_streamed
    ):
        req.environ[STORABLE] = True  # .replay may send these bytes again
    if status == 200:
        if validators.cache_key is not None and not g._get_current_object().get("cached"):
            _remember(app, validators.cache_key, response)
        put("ETag", f'"{validators.etag}"')
        if "HTTP_IF_MODIFIED_SINCE" in req.environ:
            response.make_conditional(req)
    return response


def _remember(app: Flask, key: tuple, response: ApiResponse) -> None:
    responses = app.extensions["responses"]
    if response.direct_passthrough or response.is_streamed:
        return  # a stream (an export) is never read into memory
    if not responses.admits(key):
        return  # (the first time this request comes: see .recent)
    body = response.get_data()
    headers = [(name, value) for name, value in response.headers if name.lower() in _CACHED_LOWER]
    responses.keep(key, (body, headers))


def _body_size(entry: tuple) -> int:
    return len(entry[0])


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
