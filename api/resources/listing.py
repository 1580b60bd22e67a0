"""Responses assembled from JSON the index prepared: the list envelope and single items."""

from __future__ import annotations

import functools
from urllib.parse import quote, unquote_plus

import orjson
from flask import request

from schemas.selection import project

from ..http.response import ApiResponse
from ..store import VERSION_PARAMETER, current_index

JSON_MIMETYPE = "application/json"


def json_response(body: bytes) -> ApiResponse:
    return ApiResponse.of_bytes(body, JSON_MIMETYPE)


def item_response(body: bytes, query: dict) -> ApiResponse:
    """One item, reduced to the selected ``fields`` if any."""
    return json_response(_selected(body, query))


def _selected(json: bytes, query: dict) -> bytes:
    """The JSON (an item or an array of items) with only the fields the request selected."""
    selection = query.get("fields_")
    return json if selection is None else orjson.dumps(project(orjson.loads(json), selection))


def page_bounds(query: dict) -> tuple[int, int]:
    """The ``[start, stop)`` item range of the requested page."""
    start = (query["page"] - 1) * query["pageSize"]
    return start, start + query["pageSize"]


def page_response(
    items_json: bytes,
    total: int,
    query: dict,
    *,
    start: int = 0,
    next_cursor: str | None = None,
    facets: bytes | None = None,
) -> ApiResponse:
    """The list envelope (``schemas.common.PageSchema``) around a JSON array of items.

    Links keep every parameter of the request but ``page``, ``cursor`` and
    ``contentVersion``; they go in the body, in an RFC 8288 ``Link`` header, and the
    total in ``X-Total-Count``. In a cursor walk (``cursor`` given; ``start`` is the
    first item's offset), ``next`` carries ``next_cursor``, ``first`` starts the walk
    again and ``prev`` is null. Links that continue a walk carry the content version
    (see :func:`page_links`). ``facets`` (JSON) goes last.
    """
    size = query["pageSize"]
    cursor = query.get("cursor")
    page = query["page"] if cursor is None else start // size + 1
    total_pages = -(-total // size)
    last = max(total_pages, 1)
    url = url_prefix()
    version = current_index().version
    if cursor is None:
        links = page_links(url, page, total_pages, version)
    else:
        pin = _pin(version)
        links = {
            "self": f"{url}cursor={cursor}",
            "first": f"{url}cursor=",
            "prev": None,
            "next": f"{url}{pin}cursor={next_cursor}" if next_cursor else None,
            "last": f"{url}{pin}page={last}",
        }
    meta = orjson.dumps(
        {"total": total, "page": page, "pageSize": size, "totalPages": total_pages, "links": links}
    )
    if facets is not None:
        meta = meta[:-1] + b',"facets":' + facets + b"}"
    response = json_response(b'{"items":' + _selected(items_json, query) + b"," + meta[1:])
    add = response.headers.add  # a new response: nothing to replace (and no search)
    add(
        "Link",
        ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url and rel != "self"),
    )
    add("X-Total-Count", str(total))
    return response


def page_links(
    url: str, page: int, total_pages: int, version: str | None = None
) -> dict[str, str | None]:
    """Links to pages around ``page``; ``url`` ends ready for ``page=N`` (see
    :func:`url_prefix`). A page past the end links back to the last one.

    ``prev``, ``next`` and ``last`` continue a walk begun on content ``version``: they
    carry it (``contentVersion=``), so a replica that has not yet seen that version
    maps it before answering, and a cache never answers them from an older version
    (decision 0020). ``self`` and ``first`` name the list itself: the newest version."""
    last = max(total_pages, 1)
    pin = _pin(version)
    return {
        "self": f"{url}page={page}",
        "first": f"{url}page=1",
        "prev": f"{url}{pin}page={min(page - 1, last)}" if page > 1 else None,
        "next": f"{url}{pin}page={page + 1}" if page < total_pages else None,
        "last": f"{url}{pin}page={last}",
    }


def _pin(version: str | None) -> str:
    return "" if version is None else f"{VERSION_PARAMETER}={version}&"


def url_prefix(path: str | None = None) -> str:
    """This request's URL without ``page``, ``cursor`` and ``contentVersion``, ready for
    ``page=N`` or ``cursor=C``. The other parameters keep the client's own encoding and
    order.

    ``path`` (URL-quoted, from ``url_for``) replaces the request's own path: a link to
    the same query in another representation (a feed's list, a list's feed)."""
    req = request._get_current_object()
    kept = [
        part
        for part in req.query_string.decode("latin-1").split("&")
        if part and _parameter_name(part) not in _NOT_KEPT
    ]
    if path is None:
        env = req.environ
        path = _quoted_path(env.get("SCRIPT_NAME", "") + env.get("PATH_INFO", ""))
    return f"{req.scheme}://{req.host}{path}?{''.join(p + '&' for p in kept)}"


def _parameter_name(pair: str) -> str:
    name = pair.partition("=")[0]
    return unquote_plus(name) if "%" in name or "+" in name else name


@functools.lru_cache(maxsize=1024)
def _quoted_path(wsgi_path: str) -> str:
    """WSGI gives the path as bytes decoded as Latin-1; quote those bytes, not the text
    (a list's path is one of few: kept)."""
    return quote(wsgi_path.encode("latin-1"), safe=_PATH_SAFE)


_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_NOT_KEPT = frozenset({"page", "cursor", VERSION_PARAMETER})


LIST_HEADERS = {
    "Link": {
        "description": "RFC 8288 links to the first, previous, next and last pages.",
        "schema": {"type": "string"},
    },
    "X-Total-Count": {
        "description": "How many items match, on all pages.",
        "schema": {"type": "integer"},
    },
}
