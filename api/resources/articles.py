"""``/articles``: the article list, one article, its related items."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import abort

from schemas.article import ArticleSchema
from schemas.examples import ARTICLE_EXAMPLE, ARTICLE_PAGE_EXAMPLE, RELATED_PAGE_EXAMPLE
from schemas.pages import ArticlePageSchema, RelatedItemPageSchema
from schemas.query import ArticleArgsSchema, ArticleQueryArgsSchema, RelatedQueryArgsSchema

from ..content.index import ArticleFilter, ContentIndex, Selection
from ..cursors import make_cursor, read_cursor
from ..listing import LIST_HEADERS, item_response, page_bounds, page_response
from ..smorest import Blueprint
from ..store import current_index

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


def select_articles(index: ContentIndex, query: dict, **scope: str) -> Selection:
    """Every article an article-list query matches, in its order. ``scope``
    (``in_topic`` or ``in_provider``) comes from the path. Lists, feeds and exports all
    answer a query through this one function."""
    return index.select(ArticleFilter(**query["filter"], **scope), query["sort"])


def article_list(index: ContentIndex, query: dict, **scope: str) -> Response:
    """A page of articles; ``scope`` (``in_topic`` or ``in_provider``) comes from the path."""
    sort = query["sort"]
    selection = select_articles(index, query, **scope)
    token = query.get("cursor")
    if token is None:
        page = selection.positions(*page_bounds(query))
        return page_response(index.summaries_json(page), selection.total, query)
    start = (
        0 if token == "" else selection.offset_of(index.rank_after(sort, read_cursor(token, sort)))
    )
    page = selection.positions(start, start + query["pageSize"])
    more = len(page) and start + len(page) < selection.total
    next_cursor = make_cursor(sort, index.sort_key(sort, int(page[-1]))) if more else None
    return page_response(
        index.summaries_json(page), selection.total, query, start=start, next_cursor=next_cursor
    )


@blp.route("")
class Articles(MethodView):
    @blp.arguments(ARTICLE_QUERY, location="query")
    @blp.response(200, ArticlePageSchema, headers=LIST_HEADERS, example=ARTICLE_PAGE_EXAMPLE)
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
    @blp.arguments(ARTICLE_ARGS, location="query")
    @blp.response(200, ArticleSchema, example=ARTICLE_EXAMPLE)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, query, article_id):
        """Get one article

        The whole article: the summary's fields, all images, the markdown body and
        its related items.
        """
        body = current_index().article_json(article_id)
        if body is None:
            abort(404, message=f"No article has the id '{article_id}'.")
        return item_response(body, query)


@blp.route("/<article_id>/related", parameters=[{"in": "path", "name": "article_id", **ARTICLE_ID}])
class RelatedItems(MethodView):
    @blp.arguments(RELATED_QUERY, location="query")
    @blp.response(200, RelatedItemPageSchema, headers=LIST_HEADERS, example=RELATED_PAGE_EXAMPLE)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, query, article_id):
        """List an article's related items

        In the order the article gives them. A related item that is itself an indexed
        article (same `webUrl`) carries that article's `id`; otherwise `id` is null.
        """
        start, stop = page_bounds(query)
        found = current_index().related_json(article_id, start, stop)
        if found is None:
            abort(404, message=f"No article has the id '{article_id}'.")
        items, total = found
        return page_response(items, total, query)
