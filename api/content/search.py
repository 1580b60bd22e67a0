"""Full-text search over the articles, with SQLite FTS5 (see docs/decisions/0012).

FTS5 does the linguistics and the ranking: the ``porter unicode61 remove_diacritics 2``
tokenizer folds case and accents and stems English word forms (``robot`` finds
``robots``), ``bm25()`` ranks with per-column weights (title above excerpt above body),
``highlight()`` and ``snippet()`` mark the matched words. Queries come from
:mod:`api.content.search_syntax`.

The database is built with the index and is part of it: a read-only file next to the
build cache (or in a temporary folder without one), named by the index version, so a
cached index finds its database again. Each process opens its own read-only connection
on first use (SQLite connections must not cross a fork), and the file's pages are
shared between gunicorn's workers through the page cache instead of being copied into
each. An FTS5 row id is the article's position in the index.

Tables:

- ``docs``: title and excerpt (what highlighting reads back);
- ``articles``: FTS5 over title, excerpt, body, topic names and provider name, whose
  content is ``docs`` (the body and the names are indexed, not stored);
- ``titles``: FTS5 over titles only, contentless, with prefix indexes, for suggestions
  and similar articles.
"""

from __future__ import annotations

import atexit
import html
import os
import shutil
import sqlite3
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from schemas.search_syntax import SearchQuery, SearchSyntaxError

TOKENIZER = "porter unicode61 remove_diacritics 2"
# bm25 column weights: title, excerpt, body, topic names, provider name.
WEIGHTS = (10.0, 4.0, 1.0, 3.0, 2.0)
_RANK = f"bm25(articles, {', '.join(map(str, WEIGHTS))})"
# Highlight markers: private-use characters, removed from the stored text, swapped for
# <mark> tags after HTML-escaping.
_OPEN, _CLOSE = "\ue000", "\ue001"
_MARKERS = str.maketrans("", "", _OPEN + _CLOSE)
SNIPPET_TOKENS = 24
MATCH_CACHE_SIZE = 32  # per process: the last searches' ranked matches


class SearchIndex:
    """The FTS5 database of one index version. Pickles as its path."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local: threading.local | None = None
        self._pid = -1

    def __getstate__(self) -> dict:
        return {"path": self.path}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"])

    def exists(self) -> bool:
        return self.path.is_file()

    # -- building -----------------------------------------------------------

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str, str, str]], path: Path) -> SearchIndex:
        """Write the database of ``rows`` (title, excerpt, body, topic names, provider
        name; row *i* is the article at position *i*) to ``path``, atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".search-", suffix=".tmp")
        os.close(fd)
        try:
            db = sqlite3.connect(tmp)
            try:
                _create(db, rows)
            finally:
                db.close()
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return cls(path)

    # -- reading --------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        """This process's (and thread's) read-only connection."""
        if self._pid != os.getpid() or self._local is None:
            self._local = threading.local()
            self._pid = os.getpid()
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro&immutable=1", uri=True)
            db.execute("PRAGMA mmap_size = 1073741824")
            self._local.db = db
            self._local.matches = OrderedDict()
        return db

    def match(self, query: SearchQuery) -> tuple[np.ndarray, np.ndarray]:
        """Every matching article: positions (int32) and bm25 scores (lower is better),
        best first, ties by position. The last few searches are kept per process."""
        db = self._db()
        expression = query.fts()
        cache: OrderedDict = self._local.matches
        found = cache.get(expression)
        if found is not None:
            cache.move_to_end(expression)
            return found
        rows = _run(db, f"SELECT rowid, {_RANK} FROM articles WHERE articles MATCH ?", expression)
        table = np.array(rows, np.float64).reshape(-1, 2)
        positions = table[:, 0].astype(np.int32)
        scores = table[:, 1]
        order = np.lexsort((positions, scores))
        found = (positions[order], scores[order])
        cache[expression] = found
        if len(cache) > MATCH_CACHE_SIZE:
            cache.popitem(last=False)
        return found

    def highlights(self, query: SearchQuery, positions: list[int]) -> dict[int, dict[str, str]]:
        """The title and an excerpt fragment of each article at ``positions`` with the
        matched words in ``<mark>``, HTML-escaped."""
        if not positions:
            return {}
        db = self._db()
        marks = f"'{_OPEN}', '{_CLOSE}'"
        sql = (
            f"SELECT rowid, highlight(articles, 0, {marks}), "
            f"snippet(articles, 1, {marks}, '…', {SNIPPET_TOKENS}) "
            f"FROM articles WHERE articles MATCH ? AND rowid IN ({','.join('?' * len(positions))})"
        )
        rows = _run(db, sql, query.fts(), *positions)
        return {rowid: {"title": _marked(t), "excerpt": _marked(e)} for rowid, t, e in rows}

    def title_matches(self, query: str, limit: int) -> list[int]:
        """Positions of articles whose title matches the FTS5 ``query`` (at most
        ``limit``, in no particular order): for suggestions."""
        rows = _run(
            self._db(), "SELECT rowid FROM titles WHERE titles MATCH ? LIMIT ?", query, limit
        )
        return [r[0] for r in rows]

    def titles(self, positions: list[int]) -> dict[int, str]:
        """The titles of the articles at ``positions``."""
        marks = ",".join("?" * len(positions))
        rows = _run(self._db(), f"SELECT id, title FROM docs WHERE id IN ({marks})", *positions)
        return dict(rows)

    def similar_titles(self, query: str, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``limit`` best title matches of ``query``: positions and bm25 scores."""
        rows = _run(
            self._db(),
            "SELECT rowid, bm25(titles) FROM titles WHERE titles MATCH ? ORDER BY rank LIMIT ?",
            query,
            limit,
        )
        table = np.array(rows, np.float64).reshape(-1, 2)
        return table[:, 0].astype(np.int64), table[:, 1]


def _run(db: sqlite3.Connection, sql: str, *params) -> list[tuple]:
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:  # parse_search only builds valid queries
        raise SearchSyntaxError(f"Cannot be searched ({exc}).") from None


def _marked(text: str | None) -> str:
    escaped = html.escape(text or "", quote=False)
    return escaped.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def _create(db: sqlite3.Connection, rows: Iterable[tuple[str, str, str, str, str]]) -> None:
    db.executescript(
        f"""
        PRAGMA journal_mode = OFF;
        PRAGMA synchronous = OFF;
        CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, excerpt TEXT,
                           body TEXT, topics TEXT, provider TEXT);
        CREATE VIRTUAL TABLE articles USING fts5(
            title, excerpt, body, topics, provider,
            content='docs', content_rowid='id', tokenize='{TOKENIZER}');
        CREATE VIRTUAL TABLE titles USING fts5(
            title, content='', tokenize='{TOKENIZER}', prefix='1 2 3');
        """
    )
    rows = [
        (position, title.translate(_MARKERS), excerpt.translate(_MARKERS), body, topics, provider)
        for position, (title, excerpt, body, topics, provider) in enumerate(rows)
    ]
    with db:
        # docs keeps what highlight() and snippet() read back: title and excerpt.
        db.executemany(
            "INSERT INTO docs (id, title, excerpt) VALUES (?, ?, ?)", (r[:3] for r in rows)
        )
        db.executemany(
            "INSERT INTO articles (rowid, title, excerpt, body, topics, provider) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.executemany("INSERT INTO titles (rowid, title) VALUES (?, ?)", (r[:2] for r in rows))
    db.execute("INSERT INTO articles (articles) VALUES ('optimize')")
    db.execute("INSERT INTO titles (titles) VALUES ('optimize')")
    db.commit()
    db.execute("VACUUM")


def temporary_folder() -> Path:
    """A folder for search databases when there is no build cache; removed at exit by
    the process that made it."""
    folder = Path(tempfile.mkdtemp(prefix="news-search-"))
    pid = os.getpid()
    atexit.register(lambda: os.getpid() == pid and shutil.rmtree(folder, ignore_errors=True))
    return folder
