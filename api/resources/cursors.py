"""Cursors: opaque, URL-safe tokens for walking a whole article list.

A cursor holds the sort, a digest of the request's filters and the last item's sort key
and id (keyset pagination), not a position: the next page starts right after that key
in whatever index is current, so a walk sees every matching item once even if the
content changes (and the server restarts) between requests. A cursor used with other
filters or another sort is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

import orjson
from flask import request
from flask_smorest import abort

from ..store import VERSION_PARAMETER

# Parameters that do not change which items a walk visits.
NOT_FILTERS = frozenset({"page", "pageSize", "cursor", VERSION_PARAMETER})


def _filters_digest() -> str:
    filters = sorted((k, v) for k, v in request.args.items(multi=True) if k not in NOT_FILTERS)
    return hashlib.blake2b(repr((request.path, filters)).encode(), digest_size=6).hexdigest()


def make_cursor(sort: str, key: tuple[float | str | None, str], version: str | None = None) -> str:
    """The cursor of the page after the item whose sort key is ``key``; with
    ``version``, it only works on that content version (relevance scores are not
    comparable across versions)."""
    payload = orjson.dumps({"s": sort, "f": _filters_digest(), "k": key, "v": version})
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode()


def read_cursor(
    token: str, sort: str, version: str | None = None
) -> tuple[float | str | None, str]:
    """The sort key a cursor continues after; a bad or foreign cursor is a 400, and so
    is a cursor made for another content ``version`` (if it was made for one)."""
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        value, article_id = payload["k"]
        wanted = str if sort.lstrip("-") == "title" else (int, float)
        if not isinstance(article_id, str) or isinstance(value, bool):
            raise ValueError
        if value is not None and not isinstance(value, wanted):
            raise ValueError
        made_for = (payload["s"], payload["f"])
        made_on = payload.get("v")
    except (ValueError, TypeError, KeyError, binascii.Error, orjson.JSONDecodeError):
        _bad_cursor("Not a cursor this API made.")
    if made_for != (sort, _filters_digest()):
        _bad_cursor("This cursor belongs to a list with other filters or another sort.")
    if made_on is not None and made_on != version:
        _bad_cursor(
            "The content changed since this walk began, and relevance scores with it: "
            "start again with cursor= (or sort by a field, whose walks survive changes)."
        )
    return value, article_id


def _bad_cursor(message: str) -> None:
    abort(400, messages={"query": {"cursor": [message]}})
