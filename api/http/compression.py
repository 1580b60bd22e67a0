"""Compressed answers (flask-compress: zstd, br or gzip, as ``Accept-Encoding`` prefers).

flask-compress reads the request's ``Accept-Encoding``, the response's type, status and
size on every response; a request without ``Accept-Encoding`` (curl, wrk, most
services) can have no compressed answer, so it is let through after one look at the
WSGI environ. ``Vary: Accept-Encoding`` is on every response already (:mod:`.caching`).
"""

from __future__ import annotations

from flask import Response, request
from flask_compress import Compress


class Compression(Compress):
    def after_request(self, response: Response) -> Response:
        if "HTTP_ACCEPT_ENCODING" not in request.environ:
            return response
        return super().after_request(response)
