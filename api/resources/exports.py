"""``…/export.ndjson``, ``…/export.csv``: every article a query matches, streamed.

Under ``/articles/``, ``/topics/{id}/`` and ``/providers/{id}/``, with the article
list's filters, sort and ``fields`` but no pages: the whole result set, answered
through the list's own ``select_articles`` and produced chunk by chunk
(:mod:`api.formats.tabular`) while it is sent. These responses are never kept in the cache of
rendered responses (they are streams); ETags and 304s work as everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask import Response
from flask.views import MethodView

from schemas.query import ExportQueryArgsSchema

from ..content.index import ContentIndex, Selection
from ..formats.tabular import (
    CSV_MIMETYPE,
    NDJSON_MIMETYPE,
    csv_chunks,
    csv_columns,
    ndjson_chunks,
)
from ..smorest import Blueprint
from ..store import current_index
from .articles import select_articles
from .scopes import SCOPES, Scope

blp = Blueprint(
    "exports",
    __name__,
    description="Every article an article query matches, streamed as NDJSON or CSV: the "
    "list's filters, sort and `fields`, without pages.",
)
EXPORT_QUERY = ExportQueryArgsSchema()
EXPORT_HEADERS = {
    "X-Total-Count": {
        "description": "How many articles the export holds.",
        "schema": {"type": "integer"},
    },
    "Content-Disposition": {
        "description": "`attachment`, with a file name (`articles.csv`, `topic-ai-articles.csv`…).",
        "schema": {"type": "string"},
    },
}


def _ndjson(index: ContentIndex, selection: Selection, fields: dict | None) -> Iterator[bytes]:
    return ndjson_chunks(index, selection, fields)


def _csv(index: ContentIndex, selection: Selection, fields: dict | None) -> Iterator[bytes]:
    return csv_chunks(index, selection, csv_columns(fields))


@dataclass(frozen=True, slots=True)
class ExportFormat:
    extension: str
    mimetype: str
    chunks: Callable[[ContentIndex, Selection, dict | None], Iterator[bytes]]
    description: str


FORMATS = (
    ExportFormat(
        "ndjson",
        NDJSON_MIMETYPE,
        _ndjson,
        "NDJSON: one article summary (an item of the article list) per line, each a JSON "
        "object followed by a newline; with `fields`, only those fields.",
    ),
    ExportFormat(
        "csv",
        CSV_MIMETYPE,  # werkzeug adds "; charset=utf-8" to text types
        _csv,
        "CSV (RFC 4180, UTF-8, CRLF line ends): a header row, then one row per article. "
        "Columns are the article summary's fields, nested ones flattened with dots "
        "(`provider.name`, `image.url`); a list's values are joined with `|` "
        "(`topics.id`: `computer-vision|ai`); `true`/`false`; empty for none. `fields` "
        "chooses the columns (`fields=id,title,topics.name`).",
    ),
)


def export_response(scope: Scope, fmt: ExportFormat, query: dict, path: dict[str, str]) -> Response:
    """Every article of ``scope`` matching ``query``, streamed as ``fmt``."""
    index = current_index()
    scoped = scope.resolve(index, path)
    selection = select_articles(index, query, **scoped.filter)
    response = Response(fmt.chunks(index, selection, query.get("fields_")), mimetype=fmt.mimetype)
    name = "articles" if scope.kind is None else f"{scope.kind}-{scoped.entry_id}-articles"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt.extension}"'
    response.headers["X-Total-Count"] = str(selection.total)
    return response


def _register(scope: Scope, fmt: ExportFormat) -> None:
    class Export(MethodView):
        @blp.doc(
            summary=f"{scope.described('Export')} ({fmt.extension.upper()})",
            description=f"Every matching article, in the list's order, streamed: "
            f"{fmt.description} The article list's filters and sort apply; there are no "
            "pages (`page`, `pageSize` and `cursor` are 400s).",
        )
        @blp.arguments(EXPORT_QUERY, location="query")
        @blp.response(
            200,
            {"type": "string"},
            content_type=fmt.mimetype,
            headers=EXPORT_HEADERS,
        )
        def get(self, query, **path):
            return export_response(scope, fmt, query, path)

    ext = fmt.extension.title()
    scope.register(
        blp, Export, f"export.{fmt.extension}", f"Export{ext}", "export", f"Articles{ext}"
    )


for _scope in SCOPES:
    for _fmt in FORMATS:
        _register(_scope, _fmt)
