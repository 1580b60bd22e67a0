"""Repeated requests answered before Flask: the bytes of the last identical answer, replayed.

A WSGI middleware around the app (inside ``ProxyFix``, so it sees the client's address
and host). A ``GET`` or ``HEAD`` whose answer :mod:`.caching` marked as storable (a
``200`` or ``304`` of the cached API routes, not streamed, at most
``RESPONSE_CACHE_MAX_BYTES``) is kept as it went out: status, every header the hooks
set (security headers, CORS, ``Vary``, ``ETag``, content version, compression...) and
the body. The next request that is the same in everything an answer can depend on is
sent those bytes without Flask, routing or any hook running; what every request must
still leave behind (its own ``X-Request-Id``, its metrics and its access line) is done
by :mod:`.access`, the layer around this one, for replayed and other answers alike.

"The same" means: the content version being served, the method, scheme, script root,
path, raw query string, and every request header except those that only go to the
logs or the transport (``X-Request-Id``, ``User-Agent``, ``Referer``,
``X-Forwarded-For``, ``Connection``, ``Keep-Alive``). So ``Accept-Encoding``,
``Origin``, ``If-None-Match``, ``If-Modified-Since`` and ``Host`` are all part of it: a
conditional request replays its ``304``, a browser gets its compressed body, another
origin its own CORS headers. A new content version starts an empty cache, and an
answer is kept only if it came from the version it is keyed by (a request that named a
newer ``contentVersion`` may have moved the worker on while it was answered).

A hook added to the app later runs only for requests that reach Flask: one that must
run for every request (a count, a per-request header) belongs in :mod:`.access`, or in
the conditions of :func:`init_app` that turn replays off.

Each worker keeps the last ``RESPONSE_CACHE_SIZE`` answers to requests it has seen
``RESPONSE_CACHE_MIN_USES`` times (2), and at most ``RESPONSE_CACHE_BYTES`` of their
bodies (least recently used go first: :mod:`.recent`); ``0`` turns this off. With rate
limits on (``RATE_LIMIT``) nothing is replayed: every request has to be counted and
carry its own limit headers. Why a replay in
front of Flask: docs/decisions/0021-replaying-repeated-answers.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask

from .access import REQUEST_ID_HEADER, ROUTE_KEY
from .recent import Recent

STORABLE = "news_api.replay"  # in the WSGI environ: set by .caching when an answer may be kept
METHODS = frozenset({"GET", "HEAD"})
# Request headers that never change an answer: they only reach the logs or the transport.
IGNORED_HEADERS = frozenset(
    {
        "HTTP_X_REQUEST_ID",
        "HTTP_USER_AGENT",
        "HTTP_REFERER",
        "HTTP_X_FORWARDED_FOR",
        "HTTP_CONNECTION",
        "HTTP_KEEP_ALIVE",
    }
)
_VERSION_HEADER = "x-content-version"
_REQUEST_ID_LOWER = REQUEST_ID_HEADER.lower()


class Replay:
    """The middleware; ``app.wsgi_app`` is wrapped by :func:`init_app`."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.wsgi_app = wsgi_app
        self.store = app.extensions["content"]
        self.config = app.config
        self.version: str | None = None
        self.entries = self._empty()

    def _empty(self) -> Recent:
        return Recent.configured(self.config, _body_size)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        index = self.store.index
        if method not in METHODS or index is None:
            return self.wsgi_app(environ, start_response)
        version = index.version
        entries = self.entries
        if version != self.version:  # a new index: nothing kept can be sent again
            entries = self.entries = self._empty()
            self.version = version
        key = (
            version,
            method,
            environ.get("wsgi.url_scheme"),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            *[
                item
                for item in environ.items()
                if item[0][:5] == "HTTP_" and item[0] not in IGNORED_HEADERS
            ],
        )
        entry = entries.take(key)
        if entry is None:
            return self._answer_and_keep(environ, start_response, key)
        status_line, headers, body, route_and_path = entry
        environ[ROUTE_KEY] = route_and_path  # for the access line (.access)
        start_response(status_line, list(headers))
        return [body]

    def _answer_and_keep(
        self, environ: dict, start_response: Callable, key: tuple
    ) -> Iterable[bytes]:
        sent: list = []

        def capture(status: str, headers: list, exc_info=None):
            sent[:] = (status, headers)
            return start_response(status, headers, exc_info)

        answer = self.wsgi_app(environ, capture)
        if not environ.get(STORABLE) or not sent:
            return answer  # streams (exports) go on streaming
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        if not self.entries.admits(key):
            return [body]  # (a list: the server sends it in one piece, as a replay)
        status_line, headers = sent
        status = int(status_line[:3])
        kept = [(name, value) for name, value in headers if name.lower() != _REQUEST_ID_LOWER]
        served = next((v for n, v in headers if n.lower() == _VERSION_HEADER), None)
        if status in (200, 304) and served == key[0]:
            self.entries.keep(key, (status_line, kept, body, environ[ROUTE_KEY]))
        return [body]


def _body_size(entry: tuple) -> int:
    return len(entry[2])


def init_app(app: Flask) -> None:
    """Wrap the app, unless there is nothing to keep or rate limits count every request."""
    if int(app.config["RESPONSE_CACHE_SIZE"]) <= 0 or app.config["RATE_LIMIT"]:
        return
    app.wsgi_app = Replay(app, app.wsgi_app)
