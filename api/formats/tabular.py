"""A whole article query as NDJSON or CSV, produced in chunks while it is sent.

Each export walks its :class:`~api.content.index.Selection` ``CHUNK`` articles at a
time and yields that chunk's bytes, so the memory an export takes does not grow with
the number of articles (see bench/RESULTS.md, "Export memory").

Rows are article summaries (``ArticleSummarySchema``), the items of the article list:
NDJSON lines are the summaries' JSON as the index holds it (sliced, not serialized),
unless ``fields`` selects some. CSV columns are the summary's fields, nested ones
flattened with dots (``provider.name``, ``image.url``); the values of a list
(``topics.id``) are joined with ``|``. ``fields`` chooses the columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import orjson

from schemas.article import ArticleSummarySchema
from schemas.selection import field_paths, project

from ..content.index import ContentIndex, Selection

NDJSON_MIMETYPE = "application/x-ndjson"
CSV_MIMETYPE = "text/csv"
CHUNK = 1000  # articles per yielded chunk (about 1 MB of NDJSON)
LIST_SEPARATOR = "|"


def _leaf_paths() -> tuple[tuple[str, ...], ...]:
    """Every summary field that holds a value, as a path: ``("provider", "name")``."""
    paths = field_paths(ArticleSummarySchema())
    return tuple(
        tuple(p.split(".")) for p in paths if not any(q.startswith(p + ".") for q in paths)
    )


COLUMNS = _leaf_paths()


def ndjson_chunks(
    index: ContentIndex, selection: Selection, fields: dict | None
) -> Iterator[bytes]:
    """The selection as NDJSON: one summary per line, ``fields`` only if given."""
    for start in range(0, selection.total, CHUNK):
        positions = selection.positions(start, start + CHUNK)
        if fields is None:
            yield index.summaries_ndjson(positions)
        else:
            items = orjson.loads(index.summaries_json(positions))
            yield b"".join(orjson.dumps(project(item, fields)) + b"\n" for item in items)


def csv_columns(fields: dict | None) -> list[tuple[str, ...]]:
    """The columns to send: all of them, or those under the selected ``fields``."""
    return [path for path in COLUMNS if _selected(path, fields)]


def csv_chunks(
    index: ContentIndex, selection: Selection, columns: list[tuple[str, ...]]
) -> Iterator[bytes]:
    """The selection as CSV (RFC 4180: CRLF line ends, quoted as needed), header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(".".join(path) for path in columns)
    yield buffer.getvalue().encode()
    for start in range(0, selection.total, CHUNK):
        buffer.seek(0)
        buffer.truncate()
        items = orjson.loads(index.summaries_json(selection.positions(start, start + CHUNK)))
        writer.writerows(csv_row(item, columns) for item in items)
        yield buffer.getvalue().encode()


def csv_row(item: dict[str, Any], columns: list[tuple[str, ...]]) -> list[str]:
    return [_cell(item, path) for path in columns]


def _cell(node: Any, path: tuple[str, ...]) -> str:
    """The value at ``path`` as CSV text: "" for none, ``true``/``false``, numbers as
    JSON writes them, the values of a list joined with ``|``."""
    for depth, name in enumerate(path):
        if isinstance(node, list):
            return LIST_SEPARATOR.join(_cell(value, path[depth:]) for value in node)
        if node is None:
            return ""
        node = node.get(name)
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, list):
        return LIST_SEPARATOR.join(map(str, node))
    return str(node)


def _selected(path: tuple[str, ...], fields: dict | None) -> bool:
    node = fields
    for name in path:
        if node is None:  # everything under here is selected
            return True
        if name not in node:
            return False
        node = node[name]
    return True
