"""URLs the app cannot read faithfully are refused before routing, as problem documents.

Werkzeug reads what it can of a bad URL: invalid UTF-8 becomes U+FFFD and a stray ``%``
stays as it is, so ``?topic=%ff`` would quietly match nothing and ``/articles/%ff``
would look for an article called "\N{REPLACEMENT CHARACTER}". Those are client errors,
and the client is told so (400). A URL longer than ``MAX_URL_BYTES`` is a 414, whatever
the server (granian refuses a request whose head exceeds its buffer, 64 KiB as the
launcher sets it, with an empty 431 of its own); an unusable ``Host`` header (links are
made from it) is a 400.

The checks cost almost nothing on an ordinary request: an ASCII URL without ``%`` has
nothing to decode.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from flask import Flask, request
from flask_smorest import abort

MAX_URL_BYTES = 8190
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def init_app(app: Flask) -> None:
    app.before_request(check_url)


def check_url() -> None:
    req = request._get_current_object()  # one proxy look-up, not one per attribute
    environ = req.environ
    # The URL as the client sent it (granian and werkzeug's test client both give it),
    # before the server decoded the path; PATH_INFO otherwise.
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")
    path = raw.partition("?")[0]
    query: str = environ.get("QUERY_STRING", "")
    if len(path) + len(query) > MAX_URL_BYTES:
        abort(414, message=f"The URL is longer than {MAX_URL_BYTES} bytes.")
    _check_encoding(path, "path")
    _check_encoding(query, "query string")
    if not req.host:  # werkzeug leaves it empty when the Host header is not a host
        abort(400, message="The Host header is not a valid host name.")


def _check_encoding(part: str, what: str) -> None:
    """``part`` (raw bytes as latin-1, as WSGI gives them) is valid percent-encoded UTF-8."""
    if "%" not in part and part.isascii():
        return
    if _BAD_PERCENT.search(part):
        abort(400, message=f"The {what} has a '%' that is not followed by two hex digits.")
    try:
        unquote_to_bytes(part.encode("latin-1")).decode("utf-8")
    except UnicodeError:
        abort(400, message=f"The {what} is not valid UTF-8 once percent-decoded.")
