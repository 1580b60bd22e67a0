"""What every request leaves behind: its id, its metrics and one access-log line.

:class:`Access` is the outermost layer of the app (inside ``ProxyFix`` only, so that it
sees the client's address): a WSGI middleware around :mod:`.replay` and Flask, so that
an answer replayed without Flask and one Flask made are counted and logged by the same
code, once, without a Flask hook on either side of every request.

The request id is the client's ``X-Request-Id`` when it is a sane token (1 to 128
characters of letters, digits and ``-._:+=/@``), otherwise a new uuid4 (hex); it is
echoed in the response's ``X-Request-Id`` (the last header), put in problem documents
(``requestId``) and in every log line written while the request is answered
(the WSGI environ's ``news_api.request_id``: :func:`api.operations.logs.current_request_id`).

The access line (:class:`api.operations.logs.AccessLog`) has, besides the keys of every log line,
``method``, ``route`` (the URL rule, as in the metrics), ``path``, ``query``,
``status``, ``duration_ms`` (until the answer's head is ready: a stream's body is sent
after), ``version`` (of the content served, as the answer's ``X-Content-Version`` says;
null before the first build), ``remote_addr``, ``user_agent`` and ``bytes`` (the answer's
``Content-Length``; null when not known).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from time import perf_counter

from flask import Flask, Request

from ..operations.logs import REQUEST_ID_KEY, AccessLog
from ..operations.metrics import UNMATCHED, RequestMetrics
from ..store import VERSION_HEADER

REQUEST_ID_HEADER = "X-Request-Id"
ROUTE_KEY = "news_api.route"  # in the WSGI environ: (route, path) of the answer
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+=/@-]{1,128}")
# Headers the access line reads, as the app spells them (ApiResponse, api.store).
_LENGTH = "Content-Length"


def init_app(app: Flask, metrics: RequestMetrics, access_log: AccessLog) -> None:
    """Wrap the app (after every other WSGI layer but ``ProxyFix`` is in place)."""
    app.extensions["access_log"] = access_log
    app.wsgi_app = Access(app.wsgi_app, metrics, access_log)


class Access:
    """The middleware: a request id for the request, then, once the app has started its
    answer, the metrics and the access line."""

    def __init__(self, wsgi_app: Callable, metrics: RequestMetrics, access_log: AccessLog):
        self.wsgi_app = wsgi_app
        self.metrics = metrics
        self.access_log = access_log

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = perf_counter()
        request_id = environ[REQUEST_ID_KEY] = request_id_of(environ)
        sent: list = []

        def start(status: str, headers: list, exc_info=None):
            # (Flask's request is still there: an answer starts before its context ends.)
            if ROUTE_KEY not in environ:  # a replay names the route it kept
                environ[ROUTE_KEY] = route_and_path(environ.get("werkzeug.request"), environ)
            headers.append((REQUEST_ID_HEADER, request_id))  # (a list made for this answer)
            sent[:] = (status, headers)
            return start_response(status, headers, exc_info)

        answer = self.wsgi_app(environ, start)
        seconds = perf_counter() - started
        if sent:
            self._record(environ, request_id, sent[0], sent[1], seconds)
        return answer

    def _record(
        self, environ: dict, request_id: str, status_line: str, headers: list, seconds: float
    ) -> None:
        status = int(status_line[:3])
        route, path = environ[ROUTE_KEY]
        method = environ.get("REQUEST_METHOD", "GET").upper()  # as werkzeug reads it
        self.metrics.observe(route, method, status, seconds)
        if not self.access_log.enabled:
            return
        size = version = None
        for name, value in headers:
            if name == _LENGTH:
                size = int(value)
            elif name == VERSION_HEADER:
                version = value
        write_access_line(
            self.access_log, environ, request_id, route, path, status, seconds, version, size
        )


def route_and_path(req: Request | None, environ: dict) -> tuple[str, str]:
    """The URL rule that answered (as the metrics name it) and the decoded path."""
    if req is None:  # (nothing but Flask or a replay answers)
        return UNMATCHED, environ.get("PATH_INFO", "")
    rule = req.url_rule
    return (rule.rule if rule is not None else UNMATCHED), req.path


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
