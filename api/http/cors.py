"""CORS for browser front-ends: any origin (or the configured ones) may read the API.

The API is public, read-only and takes no credentials, so CORS here is a fixed set of
headers: ``Access-Control-Allow-Origin`` (``*``, or the request's origin when it is in
``CORS_ORIGINS``), the response headers a script may read, and the answer to a
preflight. Why not flask-cors: docs/decisions/0005-cors-in-house.md.
"""

from __future__ import annotations

from flask import Flask, Response, request

from .response import add_checked

ALLOWED_METHODS = "GET, HEAD, OPTIONS"
# Response headers a browser script may read.
EXPOSED_HEADERS = (
    "Link, X-Total-Count, ETag, Last-Modified, Cache-Control, Content-Encoding, "
    "X-Content-Version, X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, "
    "X-RateLimit-Reset, Retry-After"
)
PREFLIGHT_MAX_AGE = "86400"


def init_app(app: Flask) -> None:
    origins = app.config["CORS_ORIGINS"]
    allowed = (
        None if origins == "*" else frozenset([origins] if isinstance(origins, str) else origins)
    )

    @app.after_request
    def add_cors_headers(response: Response) -> Response:
        # No view sets these: appended (no search through the headers), and read straight
        # from the WSGI environ (no header proxy).
        environ = request.environ
        if allowed is None:
            add_checked(response.headers, _ANY_ORIGIN)
        elif (origin := environ.get("HTTP_ORIGIN")) in allowed:  # (a configured origin)
            add_checked(response.headers, (("Access-Control-Allow-Origin", origin), _EXPOSED))
        else:
            return response  # (Vary: Origin is always sent)
        if environ["REQUEST_METHOD"] == "OPTIONS" and (
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        ):
            add = response.headers.add
            add("Access-Control-Allow-Methods", ALLOWED_METHODS)
            if requested := environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"):
                add("Access-Control-Allow-Headers", requested)  # (checked: the client's)
            add("Access-Control-Max-Age", PREFLIGHT_MAX_AGE)
        return response


_EXPOSED = ("Access-Control-Expose-Headers", EXPOSED_HEADERS)
_ANY_ORIGIN = (("Access-Control-Allow-Origin", "*"), _EXPOSED)
