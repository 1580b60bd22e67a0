"""The per-request layer: every request passes these, in this order.

Two WSGI layers in front of Flask (inside ``ProxyFix`` only):

1. :mod:`.access`: the request id, then, once the answer's head is ready, its metrics
   and its access line (and ``X-Request-Id``, the last header), for every answer;
2. :mod:`.replay`: a request identical to one answered before gets the bytes of that
   answer without reaching Flask;

then Flask's hooks, in the order :func:`init_app` registers them (Flask runs
``before_request`` hooks in that order and ``after_request`` hooks in reverse):

3. :mod:`.url_checks`: URLs refused before anything reads them (bad UTF-8, too long);
4. :mod:`.security_headers`: set on every response, errors included, and
   :mod:`.served_by` (``X-Served-By``: which replica answered);
5. :mod:`.rate_limits`: optional limits per client (before caching, so hits count too);
6. the content version header (:mod:`api.store`), :mod:`.cors`, :mod:`.compression`;
7. :mod:`.caching`: conditional requests (304) and the response cache, then ETag and
   ``Cache-Control`` on the way out (before compression);

and :mod:`.errors` turns every error into a problem document.
"""

from __future__ import annotations

from flask import Flask

from .. import store
from ..operations import metrics
from ..operations.logs import AccessLog
from . import (
    access,
    caching,
    compression,
    cors,
    rate_limits,
    replay,
    security_headers,
    served_by,
    url_checks,
)


def init_app(app: Flask, access_log: AccessLog) -> None:
    """Register the per-request hooks and wrap the app in its WSGI layers, in the order
    a request meets them."""
    request_metrics = metrics.init_app(app)
    url_checks.init_app(app)  # before any other hook reads the URL
    security_headers.init_app(app)  # runs after every other hook, on every response
    served_by.init_app(app)
    rate_limits.init_app(app)  # before caching, so cached answers are counted too
    store.init_app(app)
    cors.init_app(app)
    compression.Compression(app)
    caching.init_app(app)  # registered last, so its headers are set before compression
    replay.init_app(app)  # wraps the WSGI app: before Flask
    access.init_app(app, request_metrics, access_log)  # wraps it all: every answer counted
