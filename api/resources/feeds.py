"""``…/feed.json``, ``…/feed.atom``, ``…/feed.rss``: any article query as a feed.

Under ``/articles/``, ``/topics/{id}/`` and ``/providers/{id}/``, with the article
list's parameters (filters, sort, ``page`` and ``pageSize``): a feed is a page of the
list in another format, answered through the list's own ``select_articles``. The
formats themselves are in :mod:`api.formats.syndication`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from flask import Response, current_app, request
from flask.views import MethodView

from schemas.json_feed import JSON_FEED_SCHEMA
from schemas.query import FeedQueryArgsSchema

from ..formats.syndication import (
    ATOM_MIMETYPE,
    JSON_FEED_MIMETYPE,
    RSS_MIMETYPE,
    FeedInfo,
    atom_feed,
    json_feed,
    rss_feed,
)
from ..smorest import Blueprint
from ..store import current_index
from .articles import page_of, select_articles
from .listing import LIST_HEADERS, page_bounds, page_links, url_prefix
from .scopes import SCOPES, Scope

blp = Blueprint(
    "feeds",
    __name__,
    description="Any article query as a feed: JSON Feed 1.1, Atom 1.0 or RSS 2.0, for news "
    "readers and aggregators. The same parameters as the article list; each feed is one "
    "page, with links to the next.",
)
FEED_QUERY = FeedQueryArgsSchema()


@dataclass(frozen=True, slots=True)
class FeedFormat:
    extension: str
    name: str
    mimetype: str
    render: Callable[[FeedInfo, list[dict[str, Any]]], bytes]
    schema: dict
    paging: str  # how a reader finds the next page


FORMATS = (
    FeedFormat(
        "json",
        "JSON Feed 1.1",
        JSON_FEED_MIMETYPE,
        json_feed,
        JSON_FEED_SCHEMA,
        "`next_url` names the next page",
    ),
    FeedFormat(
        "atom",
        "Atom 1.0",
        ATOM_MIMETYPE,
        atom_feed,
        {"type": "string", "description": "An Atom 1.0 document (RFC 4287)."},
        'RFC 5005 `<link rel="next">` (and `first`, `previous`, `last`) name the other pages',
    ),
    FeedFormat(
        "rss",
        "RSS 2.0",
        RSS_MIMETYPE,
        rss_feed,
        {"type": "string", "description": "An RSS 2.0 document."},
        'RFC 5005 `<atom:link rel="next">` (and `first`, `previous`, `last`) name the other pages',
    ),
)


def feed_response(scope: Scope, fmt: FeedFormat, query: dict, path: dict[str, str]) -> Response:
    """A page of ``scope``'s articles matching ``query``, as ``fmt``."""
    index = current_index()
    scoped = scope.resolve(index, path)
    selection = select_articles(index, query, **scoped.filter)
    positions = page_of(selection, *page_bounds(query)).tolist()
    articles = [orjson.loads(index.article_json(index.article_id(p))) for p in positions]
    page = query["page"]
    total_pages = -(-selection.total // query["pageSize"])
    pages = page_links(url_prefix(), page, total_pages, index.version)
    title = _title(scoped.name, scope)
    home_url = f"{url_prefix(scoped.list_url)}page={page}"
    info = FeedInfo(
        title=title,
        description=f"{title}: page {page} of {max(total_pages, 1)} of {home_url}",
        generator=f"{current_app.config['API_TITLE']} {current_app.config['API_VERSION']}",
        feed_id=pages["first"],
        self_url=pages["self"],
        home_url=home_url,
        pages=pages,
        updated=index.built_at,
        article_url=f"{request.root_url}articles/",
        topic_scheme=f"{request.root_url}topics/",
    )
    response = Response(fmt.render(info, articles), mimetype=fmt.mimetype)
    response.headers["Link"] = ", ".join(
        f'<{url}>; rel="{rel}"' for rel, url in pages.items() if url and rel != "self"
    )
    response.headers["X-Total-Count"] = str(selection.total)
    return response


def _title(name: str | None, scope: Scope) -> str:
    api_title = current_app.config["API_TITLE"]
    if scope.kind is None:
        return f"{api_title}: articles"
    return f"{api_title}: articles {'on' if scope.kind == 'topic' else 'from'} {name}"


def _register(scope: Scope, fmt: FeedFormat) -> None:
    class Feed(MethodView):
        @blp.doc(
            summary=f"{scope.described('A feed of')} ({fmt.name})",
            description=f"One page of the article list (`page`, `pageSize`: 20 items unless "
            f"given) as {fmt.name}, with the list's filters and sort; {fmt.paging}. Items "
            "carry the title, link, excerpt, rendered body, publication date, provider, "
            "topics (as categories) and first image. URLs are absolute.",
        )
        @blp.arguments(FEED_QUERY, location="query")
        @blp.response(
            200,
            fmt.schema,
            content_type=fmt.mimetype,
            headers=LIST_HEADERS,
        )
        def get(self, query, **path):
            return feed_response(scope, fmt, query, path)

    noun = f"Feed{fmt.extension.title()}"
    scope.register(blp, Feed, f"feed.{fmt.extension}", noun, "get", noun)


for _scope in SCOPES:
    for _fmt in FORMATS:
        _register(_scope, _fmt)
