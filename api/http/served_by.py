"""``X-Served-By``: which replica answered (``SERVED_BY``; empty: no header).

Behind a load balancer (README "Cluster") each replica is given its own name, so a
response, a log line at the proxy or a bug report says which one answered. The value is
fixed at start-up: one header appended per response, nothing worked out per request.
"""

from __future__ import annotations

from flask import Flask, Response

HEADER = "X-Served-By"


def init_app(app: Flask) -> None:
    name = str(app.config["SERVED_BY"] or "")
    if not name:
        return

    @app.after_request
    def add_served_by(response: Response) -> Response:
        response.headers.add(HEADER, name)
        return response
