"""``/articles``: the article list, one article, its related items."""

from __future__ import annotations

import numpy as np
import orjson
from flask import Response
from flask.views import MethodView
from flask_smorest import abort

from schemas.article import ArticleSchema
from schemas.pages import ArticlePageSchema, RelatedItemPageSchema
from schemas.query import (
    RELEVANCE,
    ArticleArgsSchema,
    ArticleQueryArgsSchema,
    RelatedQueryArgsSchema,
    SimilarQueryArgsSchema,
)

from ..content.index import ArticleFilter, ContentIndex, SearchSelection, Selection
from ..content.search import SearchTooBroad
from ..smorest import Blueprint
from ..store import current_index
from .cursors import make_cursor, read_cursor
from .listing import LIST_HEADERS, item_response, page_bounds, page_response

blp = Blueprint(
    "articles",
    __name__,
    url_prefix="/articles",
    description="News articles: list, filter, sort and page them; fetch one and its related items.",
)
ARTICLE_ID = {"description": "The article's id.", "example": "000_31537b93d5a29298"}

# One schema instance per operation: webargs would build a new one per request from a class.
ARTICLE_QUERY = ArticleQueryArgsSchema()
ARTICLE_ARGS = ArticleArgsSchema()
RELATED_QUERY = RelatedQueryArgsSchema()
SIMILAR_QUERY = SimilarQueryArgsSchema()


def select_articles(index: ContentIndex, query: dict, **scope: str) -> Selection | SearchSelection:
    """Every article an article-list query matches, in its order. ``scope``
    (``in_topic`` or ``in_provider``) comes from the path. Lists, feeds and exports all
    answer a query through this one function. A search that would read too much of the
    index is a 400 naming ``q``."""
    flt = ArticleFilter(**query["filter"], **scope)
    try:
        return index.select(flt, query["sort"], query["search"])
    except SearchTooBroad as exc:
        too_broad(exc)


def too_broad(exc: SearchTooBroad) -> None:
    abort(400, messages={"query": {exc.parameter: [str(exc)]}})


def page_of(selection: Selection | SearchSelection, start: int, stop: int) -> np.ndarray:
    """The positions of matches ``start`` to ``stop``; a ranked page too deep is a 400."""
    try:
        return selection.positions(start, stop)
    except SearchTooBroad as exc:
        too_broad(exc)


def article_list(index: ContentIndex, query: dict, **scope: str) -> Response:
    """A page of articles, with highlights and facets if asked; ``scope`` (``in_topic``
    or ``in_provider``) comes from the path."""
    sort = query["sort"]
    selection = select_articles(index, query, **scope)
    token = query.get("cursor")
    if token is None:
        start, stop = page_bounds(query)
    else:
        # Relevance scores change with the content: those walks are bound to a version.
        version = index.version if sort == RELEVANCE else None
        start = (
            0
            if token == ""
            else selection.offset_after(index, sort, read_cursor(token, sort, version))
        )
        stop = start + query["pageSize"]
    page = page_of(selection, start, stop)
    extras = None
    if query["highlight"]:
        found = index.highlights(selection.compiled, page.tolist())
        extras = [b',"highlight":' + orjson.dumps(h) for h in found]
    facets = None
    if query["facets"]:
        try:
            facets = index.facet_counts_json(query["facets"], selection, query["facetSize"])
        except SearchTooBroad as exc:
            too_broad(exc)
    next_cursor = None
    if token is not None and len(page) and start + len(page) < selection.total:
        key = selection.key_at(index, sort, start + len(page) - 1)
        next_cursor = make_cursor(sort, key, index.version if sort == RELEVANCE else None)
    return page_response(
        index.summaries_json(page, extras),
        selection.total,
        query,
        start=start,
        next_cursor=next_cursor,
        facets=facets,
    )


def no_such_article(article_id: str) -> None:
    abort(404, message=f"No article has the id '{article_id}'.")


@blp.route("")
class Articles(MethodView):
    @blp.doc(operationId="listArticles")
    @blp.arguments(ARTICLE_QUERY, location="query")
    @blp.response(200, ArticlePageSchema, headers=LIST_HEADERS)
    def get(self, query):
        """List articles

        Newest first unless `sort` says otherwise. Filters combine with AND; a filter
        given several values (repeated, or separated by commas) matches any of them.
        Each item is an article summary: everything a news card needs. Paginated with
        `page` and `pageSize`; the envelope, the `Link` header and `X-Total-Count` say
        where the other pages are.
        """
        return article_list(current_index(), query)


@blp.route("/<article_id>", parameters=[{"in": "path", "name": "article_id", **ARTICLE_ID}])
class Article(MethodView):
    @blp.doc(operationId="getArticle")
    @blp.arguments(ARTICLE_ARGS, location="query")
    @blp.response(200, ArticleSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, query, article_id):
        """Get one article

        The whole article: the summary's fields, all images, the markdown body and
        its related items.
        """
        body = current_index().article_json(article_id)
        if body is None:
            no_such_article(article_id)
        return item_response(body, query)


@blp.route("/<article_id>/related", parameters=[{"in": "path", "name": "article_id", **ARTICLE_ID}])
class RelatedItems(MethodView):
    @blp.doc(operationId="listArticleRelated")
    @blp.arguments(RELATED_QUERY, location="query")
    @blp.response(200, RelatedItemPageSchema, headers=LIST_HEADERS)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, query, article_id):
        """List an article's related items

        In the order the article gives them. A related item that is itself an indexed
        article (same `webUrl`) carries that article's `id`; otherwise `id` is null.
        """
        start, stop = page_bounds(query)
        found = current_index().related_json(article_id, start, stop)
        if found is None:
            no_such_article(article_id)
        items, total = found
        return page_response(items, total, query)


@blp.route("/<article_id>/similar", parameters=[{"in": "path", "name": "article_id", **ARTICLE_ID}])
class SimilarArticles(MethodView):
    @blp.doc(operationId="listSimilarArticles")
    @blp.arguments(SIMILAR_QUERY, location="query")
    @blp.response(200, ArticlePageSchema, headers=LIST_HEADERS)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, query, article_id):
        """List articles like this one

        Best first, never the article itself. The score adds up: shared topics (each
        weighted by how rare it is, as a share of this article's topics: 0 to 1), title
        similarity (full-text BM25 of this title's words in other titles, relative to
        the best other match: 0 to 1), and 0.25 for the same provider. Candidates share
        a topic or a title word (not one in more than a tenth of all titles).
        """
        index = current_index()
        selection = index.similar(article_id)
        if selection is None:
            no_such_article(article_id)
        page = page_of(selection, *page_bounds(query))
        return page_response(index.summaries_json(page), selection.total, query)
