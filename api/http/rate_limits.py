"""Optional rate limits per client (flask-limiter), off unless ``RATE_LIMIT`` is set.

``RATE_LIMIT`` is one or more limits, e.g. ``100/minute;1000/hour``, shared by all the
API's routes for one client (the remote address: the client's own when ``PROXY_FIX``
trusts the proxy's ``X-Forwarded-For``). Counts live in ``RATE_LIMIT_STORAGE``:
``memory://`` (the default) counts per worker, so with N workers a client may
get up to N times the limit; ``redis://host:6379`` (or any storage the ``limits``
package knows) shares the counts.

When on, every limited response has ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``,
``X-RateLimit-Reset`` (Unix time) and ``Retry-After``; a request over the limit is a
``429`` problem document. A limit that does not parse stops start-up; a storage that
cannot be reached lets requests through (flask-limiter logs it). Health checks
(blueprint ``health``) and ``/metrics`` are never limited, so monitoring keeps working
while a client is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, request

if TYPE_CHECKING:
    from flask_limiter import Limiter

EXEMPT_BLUEPRINTS = frozenset({"health", "metrics"})


def init_app(app: Flask) -> Limiter | None:
    limits = app.config["RATE_LIMIT"]
    if not limits:
        return None
    limits = str(limits)
    # Imported only when limits are on: a quarter of a second of every worker's start.
    from flask_limiter import ApplicationLimit, Limiter
    from flask_limiter.util import get_remote_address
    from limits import parse_many

    try:
        parse_many(limits)  # flask-limiter would log a bad one and limit nothing
    except ValueError as exc:
        raise ValueError(f"NEWS_API_RATE_LIMIT: {exc} (example: 100/minute;1000/hour)") from None
    limiter = Limiter(
        get_remote_address,
        app=app,
        application_limits=[
            ApplicationLimit(
                limit_provider=limits,
                error_message=f"This client sent too many requests (limits: {limits}); "
                "retry after the number of seconds in Retry-After.",
            )
        ],
        storage_uri=app.config["RATE_LIMIT_STORAGE"],
        headers_enabled=True,
        # A storage that cannot be reached lets requests through (and logs why) rather
        # than failing every one of them.
        swallow_errors=True,
        key_prefix="news-api",
    )
    limiter.request_filter(_exempt)
    return limiter


def _exempt() -> bool:
    return request.blueprint in EXEMPT_BLUEPRINTS
