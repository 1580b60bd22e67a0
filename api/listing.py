"""Responses assembled from JSON the index prepared: the list envelope and single items."""

from __future__ import annotations

from urllib.parse import quote, unquote_plus

import orjson
from flask import Response, request

JSON_MIMETYPE = "application/json"


def json_response(body: bytes) -> Response:
    return Response(body, mimetype=JSON_MIMETYPE)


def page_bounds(query: dict) -> tuple[int, int]:
    """The ``[start, stop)`` item range of the requested page."""
    start = (query["page"] - 1) * query["pageSize"]
    return start, start + query["pageSize"]


def page_response(items_json: bytes, total: int, query: dict) -> Response:
    """The list envelope (``schemas.common.PageSchema``) around a JSON array of items.

    Links keep every parameter of the request but ``page``; they go in the body, in an
    RFC 8288 ``Link`` header, and the total in ``X-Total-Count``.
    """
    page, size = query["page"], query["pageSize"]
    total_pages = -(-total // size)
    last = max(total_pages, 1)
    url = _page_url_prefix()
    links = {
        "self": f"{url}{page}",
        "first": f"{url}1",
        "prev": f"{url}{min(page - 1, last)}" if page > 1 else None,
        "next": f"{url}{page + 1}" if page < total_pages else None,
        "last": f"{url}{last}",
    }
    meta = orjson.dumps(
        {"total": total, "page": page, "pageSize": size, "totalPages": total_pages, "links": links}
    )
    response = json_response(b'{"items":' + items_json + b"," + meta[1:])
    response.headers["Link"] = ", ".join(
        f'<{url}>; rel="{rel}"' for rel, url in links.items() if url and rel != "self"
    )
    response.headers["X-Total-Count"] = str(total)
    return response


def _page_url_prefix() -> str:
    """This request's URL without its ``page`` parameter, ready for ``page=N``.

    The other parameters keep the client's own encoding and order.
    """
    kept = [
        part
        for part in request.query_string.decode("latin-1").split("&")
        if part and unquote_plus(part.partition("=")[0]) != "page"
    ]
    env = request.environ
    path = quote(env.get("SCRIPT_NAME", "") + env.get("PATH_INFO", ""), safe=_PATH_SAFE)
    return f"{request.scheme}://{request.host}{path}?{'&'.join([*kept, 'page='])}"


_PATH_SAFE = "/:@!$&'()*+,;=-._~"


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
