"""``/providers`` and ``/topics``: the same three operations over two directories.

``kind`` is ``"provider"`` or ``"topic"``: it picks the index's directory and names the
blueprint, its paths and its messages.
"""

from __future__ import annotations

from typing import Literal

import marshmallow as ma
from flask import Response
from flask.views import MethodView
from flask_smorest import abort

from schemas.pages import ArticlePageSchema

from ..content.index import ContentIndex, Directory
from ..smorest import Blueprint
from ..store import current_index
from .articles import ARTICLE_QUERY, article_list
from .listing import LIST_HEADERS, item_response, page_bounds, page_response

Kind = Literal["provider", "topic"]


def _directory(index: ContentIndex, kind: Kind) -> Directory:
    return index.providers if kind == "provider" else index.topics


def directory_blueprint(
    kind: Kind,
    *,
    description: str,
    example_id: str,
    entry_schema: type[ma.Schema],
    page_schema: type[ma.Schema],
    list_args: ma.Schema,
    entry_args: ma.Schema,
) -> Blueprint:
    """The blueprint of ``/{kind}s``: list, get one, list its articles."""
    blp = Blueprint(f"{kind}s", __name__, url_prefix=f"/{kind}s", description=description)
    id_param = {
        "in": "path",
        "name": f"{kind}_id",
        "description": f"The {kind}'s id.",
        "example": example_id,
    }

    @blp.route("")
    class Entries(MethodView):
        @blp.doc(
            operationId=f"list{kind.title()}s",
            summary=f"List {kind}s",
            description="Sorted by name unless `sort` says otherwise "
            "(`-articleCount`: the biggest first).",
        )
        @blp.arguments(list_args, location="query")
        @blp.response(200, page_schema, headers=LIST_HEADERS)
        def get(self, query):
            entries = _directory(current_index(), kind)
            start, stop = page_bounds(query)
            return page_response(entries.page_json(query["sort"], start, stop), len(entries), query)

    @blp.route(f"/<{kind}_id>", parameters=[id_param])
    class Entry(MethodView):
        @blp.doc(
            operationId=f"get{kind.title()}",
            summary=f"Get one {kind}",
            description=f"The {kind} with its article count and newest article's date.",
        )
        @blp.arguments(entry_args, location="query")
        @blp.response(200, entry_schema)
        @blp.alt_response(404, response="NOT_FOUND")
        def get(self, query, **path):
            entry_id = path[f"{kind}_id"]
            body = _directory(current_index(), kind).get_json(entry_id.lower())
            if body is None:
                _not_found(kind, entry_id)
            return item_response(body, query)

    @blp.route(f"/<{kind}_id>/articles", parameters=[id_param])
    class EntryArticles(MethodView):
        @blp.doc(
            operationId=f"list{kind.title()}Articles",
            summary=f"List a {kind}'s articles",
            description="The same filters, sorts and pages as `GET /articles`, "
            f"within this {kind}.",
        )
        @blp.arguments(ARTICLE_QUERY, location="query")
        @blp.response(200, ArticlePageSchema, headers=LIST_HEADERS)
        @blp.alt_response(404, response="NOT_FOUND")
        def get(self, query, **path) -> Response:
            entry_id = path[f"{kind}_id"]
            index = current_index()
            if entry_id.lower() not in _directory(index, kind):
                _not_found(kind, entry_id)
            return article_list(index, query, **{f"in_{kind}": entry_id.lower()})

    return blp


def _not_found(kind: Kind, entry_id: str) -> None:
    abort(404, message=f"No {kind} has the id '{entry_id}'.")
