"""What every request leaves behind: its id, its metrics and one access-log line.

The request id is the client's ``X-Request-Id`` when it is a sane token (1 to 128
characters of letters, digits and ``-._:+=/@``), otherwise a new uuid4 (hex); it is
echoed in the response's ``X-Request-Id``, put in problem documents (``requestId``) and
in every log line written while the request is answered.

The access line (:class:`api.operations.logs.AccessLog`) has, besides the keys of every log line,
``method``, ``route`` (the URL rule, as in the metrics), ``path``, ``query``,
``status``, ``duration_ms``, ``version`` (of the content served; null before the first
build), ``remote_addr``, ``user_agent`` and ``bytes`` (null when not known).

:func:`init_app` must run before every other extension: its ``before_request`` then
runs first (so a request refused by the rate limiter has an id too) and its
``after_request`` last, after compression, so the status and the time are final.
"""

from __future__ import annotations

import random
import re
from time import perf_counter

from flask import Flask, Response, current_app, g, request

from ..operations.logs import AccessLog
from ..operations.metrics import UNMATCHED, RequestMetrics

REQUEST_ID_HEADER = "X-Request-Id"
ROUTE_KEY = "news_api.route"  # in the WSGI environ: (route, path, bytes) of the answer
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+=/@-]{1,128}")


def init_app(app: Flask, metrics: RequestMetrics, access_log: AccessLog) -> None:
    app.extensions["access_log"] = access_log
    app.before_request(start)

    @app.after_request
    def finish(response: Response) -> Response:
        return record(response, metrics, access_log)


def start() -> None:
    # Straight from the WSGI environ, and ``g`` resolved once: this runs on every request.
    ctx_g = g._get_current_object()
    ctx_g.started = perf_counter()
    ctx_g.request_id = request_id_of(request.environ)


def request_id_of(environ: dict) -> str:
    """The client's ``X-Request-Id`` if it is sane, else a new one."""
    sent = environ.get("HTTP_X_REQUEST_ID")
    sane = sent is not None and SANE_REQUEST_ID.fullmatch(sent)
    return sent if sane else new_request_id()


# Version 4 (bits 76-79) and the RFC 9562 variant (bits 62-63) of a 128-bit UUID.
_UUID4_CLEAR = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_UUID4_SET = (0x4 << 76) | (0x2 << 62)
_random_bits = random.getrandbits


def new_request_id() -> str:
    """A random (version 4) UUID in hex, as ``uuid.uuid4().hex`` but without a system
    call: a request id has to be unique, not secret, so Python's Mersenne Twister does
    (122 random bits; the ``random`` module reseeds it in every forked worker)."""
    return f"{_random_bits(128) & _UUID4_CLEAR | _UUID4_SET:032x}"


def record(response: Response, metrics: RequestMetrics, access_log: AccessLog) -> Response:
    ctx_g = g._get_current_object()
    seconds = perf_counter() - ctx_g.started
    req = request._get_current_object()
    environ = req.environ  # what the request's properties would read, without their work
    request_id = ctx_g.request_id
    response.headers.add(REQUEST_ID_HEADER, request_id)  # no view sets it; add skips a scan
    rule = req.url_rule
    route = rule.rule if rule is not None else UNMATCHED
    path = req.path
    size = response.content_length
    environ[ROUTE_KEY] = (route, path, size)  # for a replay of this answer (.replay)
    index = ctx_g.get("content_index")  # an empty index is falsy: compare with None
    if index is None:
        index = current_app.extensions["content"].index
    version = index.version if index is not None else None
    status = response.status_code
    metrics.observe(route, req.method, status, seconds)
    if access_log.enabled:
        write_access_line(
            access_log, environ, request_id, route, path, status, seconds, version, size
        )
    return response


def write_access_line(
    access_log: AccessLog,
    environ: dict,
    request_id: str,
    route: str,
    path: str,
    status: int,
    seconds: float,
    version: str | None,
    size: int | None,
) -> None:
    """The access line of one request (fields in the module's doc)."""
    method = environ.get("REQUEST_METHOD", "GET").upper()  # as werkzeug reads it
    query = environ.get("QUERY_STRING", "")
    message = f"{method} {path}{'?' if query else ''}{query} {status} {seconds * 1000:.2f}ms"
    access_log.write(
        message,
        request_id,
        {
            "method": method,
            "route": route,
            "path": path,
            "query": query,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            "version": version,
            "remote_addr": environ.get("REMOTE_ADDR"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "bytes": size,
        },
    )
