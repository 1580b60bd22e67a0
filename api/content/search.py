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
import time
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from schemas.search_syntax import SearchQuery, SearchSyntaxError

TOKENIZER = "porter unicode61 remove_diacritics 2"
TITLE_TOKENIZER = "unicode61 remove_diacritics 2"
# bm25 column weights: title, excerpt, body, topic names, provider name.
WEIGHTS = (10.0, 4.0, 1.0, 3.0, 2.0)
_RANK = f"bm25(articles, {', '.join(map(str, WEIGHTS))})"
# Highlight markers: private-use characters, removed from the stored text, swapped for
# <mark> tags after HTML-escaping.
_OPEN, _CLOSE = "\ue000", "\ue001"
_MARKERS = str.maketrans("", "", _OPEN + _CLOSE)
SNIPPET_TOKENS = 24
KEEP_SECONDS = 3600  # an old search database is kept this long after a newer one
MATCH_CACHE_SIZE = 32  # per process: the last searches' matches

# SQLite's allocator takes a global mutex: a process forked while another thread is
# inside SQLite (a reload building a database in the gunicorn master) would inherit it
# held and hang on its first query. So no fork happens while a database is written.
_WRITING = threading.Lock()
os.register_at_fork(
    before=_WRITING.acquire,
    after_in_parent=_WRITING.release,
    after_in_child=_WRITING.release,
)


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

    @classmethod
    def open(cls, path: Path) -> SearchIndex:
        """The database written by :meth:`build` at ``path`` (opened on first use)."""
        if not path.is_file():
            raise FileNotFoundError(f"no search index at {path}")
        return cls(path)

    # -- building -----------------------------------------------------------

    @classmethod
    def build(cls, rows: Iterable[tuple], path: Path) -> SearchIndex:
        """Write the database of ``rows`` (title, excerpt, body, topic names, provider
        name, heat; row *i* is the article at position *i*) to ``path``, atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".search-", suffix=".tmp")
        os.close(fd)
        rows = list(rows)  # read the index's records before taking the lock
        try:
            with _WRITING:
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

    def match(self, query: SearchQuery, ranked: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Every matching article: positions (int32) and, if ``ranked``, bm25 scores
        (lower is better), best first, ties by position; unranked, in position order
        (no scores: about five times cheaper). The last few searches are kept per
        process, so paging and changing filters do not search again."""
        db = self._db()
        key = (query.fts(), ranked)
        cache: OrderedDict = self._local.matches
        found = cache.get(key)
        if found is not None:
            cache.move_to_end(key)
            return found
        if ranked:
            sql = f"SELECT rowid, {_RANK} FROM articles WHERE articles MATCH ?"
            table = np.array(_run(db, sql, key[0]), np.float64).reshape(-1, 2)
            positions, scores = table[:, 0].astype(np.int32), table[:, 1]
            order = np.lexsort((positions, scores))
            found = (positions[order], scores[order])
        else:
            rows = _run(db, "SELECT rowid FROM articles WHERE articles MATCH ?", key[0])
            found = (np.sort(np.array(rows, np.int32).reshape(-1)), _NO_SCORES)
        cache[key] = found
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
        """Positions of the ``limit`` hottest articles whose title matches the FTS5
        ``query`` (for suggestions): ``titles`` row ids are heat ranks, so FTS5's
        row-id order is heat order and the first rows are the answer."""
        rows = _run(
            self._db(),
            "SELECT position FROM title_positions WHERE id IN "
            "(SELECT rowid FROM titles WHERE titles MATCH ? ORDER BY rowid LIMIT ?) ORDER BY id",
            query,
            limit,
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
            "SELECT p.position, m.score FROM (SELECT rowid, bm25(titles) AS score FROM titles "
            "WHERE titles MATCH ? ORDER BY rank LIMIT ?) AS m "
            "JOIN title_positions AS p ON p.id = m.rowid",
            query,
            limit,
        )
        table = np.array(rows, np.float64).reshape(-1, 2)
        return table[:, 0].astype(np.int64), table[:, 1]


_NO_SCORES = np.zeros(0)


def _run(db: sqlite3.Connection, sql: str, *params) -> list[tuple]:
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        # parse_search only builds valid queries; anything else is a real fault (500).
        if "fts5: syntax error" in str(exc):
            raise SearchSyntaxError(f"Cannot be searched ({exc}).") from None
        raise


def _marked(text: str | None) -> str:
    escaped = html.escape(text or "", quote=False)
    return escaped.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def _create(db: sqlite3.Connection, rows: list[tuple]) -> None:
    """``rows``: (title, excerpt, body, topic names, provider name, heat) by position."""
    db.executescript(
        f"""
        PRAGMA journal_mode = OFF;
        PRAGMA synchronous = OFF;
        CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, excerpt TEXT,
                           body TEXT, topics TEXT, provider TEXT);
        CREATE VIRTUAL TABLE articles USING fts5(
            title, excerpt, body, topics, provider,
            content='docs', content_rowid='id', tokenize='{TOKENIZER}');
        -- Titles for suggestions and similar articles: not stemmed, so a half-typed word
        -- ("recognitio") is a prefix of the stored one; row id = rank by heat.
        CREATE VIRTUAL TABLE titles USING fts5(
            title, content='', tokenize='{TITLE_TOKENIZER}', prefix='1 2 3');
        CREATE TABLE title_positions (id INTEGER PRIMARY KEY, position INTEGER);
        """
    )
    articles = [
        (position, title.translate(_MARKERS), excerpt.translate(_MARKERS), body, topics, provider)
        for position, (title, excerpt, body, topics, provider, _) in enumerate(rows)
    ]
    by_heat = sorted(range(len(rows)), key=lambda p: (-(rows[p][5] or 0.0), p))
    with db:
        # docs keeps what highlight() and snippet() read back: title and excerpt.
        db.executemany(
            "INSERT INTO docs (id, title, excerpt) VALUES (?, ?, ?)", (r[:3] for r in articles)
        )
        db.executemany(
            "INSERT INTO articles (rowid, title, excerpt, body, topics, provider) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            articles,
        )
        db.executemany(
            "INSERT INTO titles (rowid, title) VALUES (?, ?)",
            ((rank, articles[p][1]) for rank, p in enumerate(by_heat)),
        )
        db.executemany("INSERT INTO title_positions VALUES (?, ?)", enumerate(by_heat))
    db.execute("INSERT INTO articles (articles) VALUES ('optimize')")
    db.execute("INSERT INTO titles (titles) VALUES ('optimize')")
    db.commit()


_TEMPORARY: dict[int, Path] = {}


def temporary_folder() -> Path:
    """This process's folder for search databases when there is no build cache (one per
    process, so reloads do not pile up folders); removed at exit by that process."""
    pid = os.getpid()
    if pid not in _TEMPORARY:
        folder = _TEMPORARY[pid] = Path(tempfile.mkdtemp(prefix="news-search-"))
        atexit.register(lambda: os.getpid() == pid and shutil.rmtree(folder, ignore_errors=True))
    return _TEMPORARY[pid]


def prune(folder: Path, pattern: str, keep: Path) -> None:
    """Remove search databases matching ``pattern`` in ``folder`` but ``keep`` and any
    made in the last hour: a worker forked with an older index (one not yet retired
    after a reload) opens its database on its first search, so it must still be there."""
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob(pattern):
        try:
            if old != keep and old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
