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
keyed by the exact URL, each with the ETag it was sent with, so a hot page is answered
without parsing or querying again. A kept response is sent only while its ETag is still
the request's (the index version is part of it), so a new index never serves an old
response. Errors are never cached.

What a request that is not answered early costs here: a look at ``If-None-Match`` and,
when the cache holds anything, one dictionary look-up by its URL; the ETag is worked
out once, after the view, for the answer's headers (what the cache needs to check a
kept response is worked out only for a URL it holds).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Request, current_app, g, request

from ..store import current_index
from .recent import Recent
from .replay import METHODS, STORABLE  # (the methods whose answers are kept)
from .response import ApiResponse, add_checked

CODINGS = ("", ":zstd", ":br", ":gzip")  # COMPRESS_ALGORITHM
VARY = "Accept-Encoding, Origin"
CACHED_BLUEPRINTS = frozenset({"home", "articles", "providers", "topics", "suggest", "feeds"})
CACHED_HEADERS = ("Content-Type", "Link", "X-Total-Count")
_CACHED_LOWER = frozenset(name.lower() for name in CACHED_HEADERS)
_SET_HERE = frozenset({"vary", "cache-control", "last-modified", "etag"})
UNCACHED_BLUEPRINTS = frozenset({"metrics", "health"})  # always fresh: no validators, no-store
_NO_STORE = (("Vary", VARY), ("Cache-Control", "no-store"))


def init_app(app: Flask) -> None:
    # Keyed by the code's digest: a new release never reuses old ETags. Each request
    # hashes with a copy (cheaper than keying a new hash).
    if {"\r", "\n"} & set(str(app.config["CACHE_CONTROL"])):
        raise ValueError("NEWS_API_CACHE_CONTROL: one line, without a line break")
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

    __slots__ = ("etag", "last_modified")

    def __init__(self, req: Request) -> None:
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


def _validators(req: Request) -> _Validators | None:
    """This request's validators; None for what is never cached (other methods, 404s,
    the health checks and metrics, anything before the first index is built)."""
    ctx_g = g._get_current_object()
    validators = ctx_g.get("validators")
    if validators is not None:
        return validators
    if req.method not in METHODS or req.endpoint is None:
        return None
    if (
        req.blueprint in UNCACHED_BLUEPRINTS
        or current_app.extensions["content"].index_now() is None
    ):
        return None
    validators = ctx_g.validators = _Validators(req)
    return validators


def _cache_key(req: Request) -> tuple | None:
    """The rendered-response cache's key: the exact URL (links in a response are
    absolute and keep the client's parameter order) of a GET or HEAD of an API route;
    None for anything else."""
    if req.method not in METHODS or req.blueprint not in CACHED_BLUEPRINTS:
        return None
    environ = req.environ
    return (
        environ.get("wsgi.url_scheme"),
        environ.get("HTTP_HOST"),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
    )


def answer_early() -> ApiResponse | None:
    """``304`` when ``If-None-Match`` names the current ETag, or the rendered response
    if this worker has it (sent with the same ETag); otherwise the view answers.

    A matching ETag can only come from an earlier 200 to the same request, so the view
    need not run. ``If-Modified-Since`` names no resource; it is checked on the view's
    answer (in :func:`add_cache_headers`), so a bad request stays a 4xx.
    """
    req = request._get_current_object()
    if "HTTP_IF_NONE_MATCH" in req.environ and (validators := _validators(req)) is not None:
        current = {validators.etag + coding for coding in CODINGS}
        for tag in req.if_none_match.as_set(include_weak=True):
            if tag in current:
                response = ApiResponse(status=304)
                response.headers["ETag"] = f'"{tag}"'
                return response
    responses = current_app.extensions["responses"]
    if not responses:  # (nothing kept: nothing to look up, as for most distinct queries)
        return None
    key = _cache_key(req)
    hit = responses.take(key) if key is not None else None
    if hit is None:
        return None
    validators = _validators(req)
    if validators is None or hit[0] != validators.etag:  # kept from an older version
        return None
    g.cached = True
    return ApiResponse(hit[1], headers=hit[2])


def add_cache_headers(response: ApiResponse) -> ApiResponse:
    req = request._get_current_object()
    headers = response.headers
    # Status first: an error (a 503 before the first index, say) needs no validators.
    status = response.status_code
    validators = _validators(req) if status == 200 or status == 304 else None
    # Static files come with validators of their own, which are replaced (set); most
    # responses have none of these headers, which are then added all at once (one
    # look, not a search of the headers for each).
    if _SET_HERE.isdisjoint([name.lower() for name, _ in headers]):
        if validators is None:
            add_checked(headers, _NO_STORE)
            return response
        app = current_app._get_current_object()
        fixed = (
            ("Vary", VARY),
            ("Cache-Control", app.config["CACHE_CONTROL"]),  # (checked at start-up)
            ("Last-Modified", validators.last_modified),  # (an HTTP date, made here)
        )
        etag = (("ETag", f'"{validators.etag}"'),) if status == 200 else ()  # (hex digits)
        add_checked(headers, fixed + etag)
    else:
        vary = headers.get("Vary")
        headers["Vary"] = VARY if vary is None else f"{vary}, {VARY}"
        if validators is None:
            headers["Cache-Control"] = "no-store"
            return response
        app = current_app._get_current_object()
        headers["Cache-Control"] = app.config["CACHE_CONTROL"]
        headers["Last-Modified"] = validators.last_modified
        if status == 200:
            headers["ETag"] = f'"{validators.etag}"'
    cache_key = _cache_key(req)
    if cache_key is not None and not (response.direct_passthrough or response.is_streamed):
        req.environ[STORABLE] = True  # .replay may send these bytes again
        if status == 200 and not g._get_current_object().get("cached"):
            _remember(app, cache_key, validators.etag, response)
    if status == 200 and "HTTP_IF_MODIFIED_SINCE" in req.environ:
        response.make_conditional(req)
    return response


def _remember(app: Flask, key: tuple, etag: str, response: ApiResponse) -> None:
    responses = app.extensions["responses"]
    if not responses.admits(key):
        return  # (the first time this request comes: see .recent)
    body = response.get_data()
    headers = [(name, value) for name, value in response.headers if name.lower() in _CACHED_LOWER]
    responses.keep(key, (etag, body, headers))


def _body_size(entry: tuple) -> int:
    return len(entry[1])


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
