"""The sync history of a content store: which articles each content version created,
updated or deleted, so ``GET /sync?token=`` can answer "what changed since" from any
process and after any restart (decision 0017).

One SQLite database, ``history.sqlite``, in the store's folder
(:func:`api.content.artifact.store_dir`), in WAL mode: one writer (the process that builds
indexes calls :func:`record` after each build) and any number of readers (every worker,
every replica serving the same store), each with its own read-only connection.

Tables:

- ``meta``: the store's random id (a token from another store is refused) and made-at;
- ``versions``: one row per content version recorded: ``seq`` (1, 2, …: a token's
  position), the version string, the previous one, when, the counts, and ``last_change``
  (the highest change ``seq`` so far: a version's changes are a ``seq`` range);
- ``changes``: one row per article per version: ``seq`` (the order changes happened),
  ``vseq``, ``kind`` (created, updated, deleted), ``id``, the digests before and after
  (the article's JSON as served, ``ContentIndex.ids_and_digests``);
- ``state``: the last recorded id → digest, which the next version is diffed against.

Within one version, created and updated articles go in the order of their files'
mtimes (then id); deletions come after them, by id (when a file was removed is not
known, only that it was gone when the folder was scanned, after every mtime seen).

Between two positions each article appears once, at its last change (as in CouchDB's
``_changes``), its kind coalesced over the span: created then updated is created;
created then deleted is nothing; updated then deleted is deleted; deleted then created
again is updated; changed and changed back is nothing.
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .index import ContentIndex, match_ids
from .search import _WRITING  # no fork while SQLite writes (see api.content.search)

log = logging.getLogger(__name__)

FILENAME = "history.sqlite"
CREATED, UPDATED, DELETED = 1, 2, 3
KINDS = {CREATED: "created", UPDATED: "updated", DELETED: "deleted"}
DAY = 86400.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    seq INTEGER PRIMARY KEY, version TEXT NOT NULL, previous TEXT,
    recorded_at REAL NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL,
    deleted INTEGER NOT NULL, last_change INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_by_version ON versions (version, seq);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY, vseq INTEGER NOT NULL, kind INTEGER NOT NULL,
    id TEXT NOT NULL, old INTEGER, new INTEGER
);
CREATE INDEX IF NOT EXISTS changes_by_id ON changes (id, seq);
CREATE TABLE IF NOT EXISTS state (id TEXT PRIMARY KEY, digest INTEGER NOT NULL) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class Retention:
    """How long a position (a token) stays usable: the last ``versions`` versions and
    only while replaced less than ``days`` ago (0: no limit of that kind). The
    current version's position never expires."""

    versions: int = 1000
    days: float = 30.0


@dataclass(frozen=True)
class Recorded:
    """A new version recorded by :func:`record`: its position and what changed."""

    store_id: bytes
    seq: int
    version: str
    previous: str | None  # None: the first version of the store (nothing changed)
    previous_seq: int | None
    created: list[str]
    updated: list[str]
    deleted: list[str]


@dataclass(frozen=True)
class Change:
    """One article in a delta: its last change's ``seq``, the coalesced kind, its id."""

    seq: int
    kind: str
    id: str


class StaleToken(Exception):
    """The position is older than the history kept, or the history was started anew."""


def database(store_dir: Path) -> Path:
    return store_dir / FILENAME


# -- recording (the building process) --------------------------------------------------


def record(
    store_dir: Path, index: ContentIndex, retention: Retention | None = None
) -> Recorded | None:
    """Record ``index`` as the store's newest version, unless it already is. Returns
    what changed (a new version), or None (the same version as the last recorded).

    Cost: writes for the changes only, and a diff against the last state: kept in this
    process's memory after each record (the builder records every version), else read
    from the database (a second at 100,000 articles).
    """
    retention = retention or Retention()
    store_dir.mkdir(parents=True, exist_ok=True)
    table, digests = index.ids_and_digests()
    ids = _id_array(table)
    signed = np.asarray(digests).view(np.int64)
    with _WRITING:
        db = sqlite3.connect(database(store_dir), timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.executescript(_SCHEMA)
            db.execute("BEGIN IMMEDIATE")
            try:
                result = _record(db, index, ids, signed, retention, _LAST.get(store_dir))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        finally:
            db.close()
        # Copies: views would keep the index's mapped files (gigabytes) alive.
        _LAST[store_dir] = (index.version, ids.copy(), signed.copy())
    return result


# The last state each store recorded from this process: (version, ids, signed digests).
_LAST: dict[Path, tuple[str, np.ndarray, np.ndarray]] = {}


def _id_array(ids) -> np.ndarray:
    """Ids (sorted) as a fixed-width bytes array (an IdTable already is one)."""
    keys = getattr(ids, "keys", None)
    if isinstance(keys, np.ndarray):
        return keys
    return np.array([i.encode() for i in ids], dtype="S") if len(ids) else np.zeros(0, "S1")


def _record(
    db: sqlite3.Connection,
    index: ContentIndex,
    ids: np.ndarray,
    signed: np.ndarray,
    retention: Retention,
    remembered: tuple[str, np.ndarray, np.ndarray] | None,
) -> Recorded | None:
    now = time.time()
    db.execute(
        "INSERT OR IGNORE INTO meta VALUES ('store_id', ?), ('created_at', ?)",
        (secrets.token_bytes(8), repr(now).encode()),
    )
    store_id = bytes(db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0])
    last = db.execute(
        "SELECT seq, version, last_change FROM versions ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    if last is None:  # a new store: this version is the baseline, nothing changed
        db.executemany(
            "INSERT INTO state VALUES (?, ?)",
            zip((i.decode() for i in ids.tolist()), signed.tolist(), strict=True),
        )
        db.execute("INSERT INTO versions VALUES (1, ?, NULL, ?, 0, 0, 0, 0)", (index.version, now))
        return Recorded(store_id, 1, index.version, None, None, [], [], [])
    last_seq, last_version, last_change = last
    if last_version == index.version:
        return None
    if remembered is not None and remembered[0] == last_version:
        _, old_ids, old = remembered
    else:
        rows = db.execute("SELECT id, digest FROM state ORDER BY id").fetchall()
        old_ids = _id_array([r[0] for r in rows])
        old = np.fromiter((r[1] for r in rows), np.int64, len(rows))
    created, updated, deleted, old_of = _diff(old_ids, old, ids, signed)
    # Created and updated in the order of their files' mtimes, then id; deletions last.
    mtimes = index.mtimes()
    named = {i: ids[i].decode() for i in [*created, *updated]}
    changed = sorted(
        [(CREATED, i) for i in created] + [(UPDATED, i) for i in updated],
        key=lambda c: (int(mtimes[c[1]]), named[c[1]]),
    )
    seq = last_seq + 1
    rows_out = [
        (seq, kind, named[i], old_of.get(named[i]), int(signed[i])) for kind, i in changed
    ] + [(seq, DELETED, article_id, old_of[article_id], None) for article_id in deleted]
    db.executemany(
        "INSERT INTO changes (vseq, kind, id, old, new) VALUES (?, ?, ?, ?, ?)", rows_out
    )
    db.executemany(
        "INSERT OR REPLACE INTO state VALUES (?, ?)",
        [(named[i], int(signed[i])) for _, i in changed],
    )
    db.executemany("DELETE FROM state WHERE id = ?", [(d,) for d in deleted])
    new_last_change = last_change + len(rows_out)
    db.execute(
        "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            seq,
            index.version,
            last_version,
            now,
            len(created),
            len(updated),
            len(deleted),
            new_last_change,
        ),
    )
    _prune(db, seq, now, retention)
    return Recorded(
        store_id,
        seq,
        index.version,
        last_version,
        last_seq,
        [named[i] for kind, i in changed if kind == CREATED],
        [named[i] for kind, i in changed if kind == UPDATED],
        deleted,
    )


def _diff(
    old_ids: np.ndarray, old: np.ndarray, ids: np.ndarray, new: np.ndarray
) -> tuple[list[int], list[int], list[str], dict[str, int]]:
    """Positions created and updated (in ``ids``), ids deleted, and the old digest of
    each updated or deleted id. Both id arrays are sorted (bytes order, as SQLite's)."""
    if len(old_ids) == len(ids) and np.array_equal(old_ids, ids):  # the same articles
        changed = np.flatnonzero(old != new).tolist()
        return [], changed, [], {ids[i].decode(): int(old[i]) for i in changed}
    at, found = match_ids(old_ids, ids)
    created = np.flatnonzero(~found).tolist()
    updated = np.flatnonzero(found & (old[at] != new)).tolist()
    kept = np.zeros(len(old_ids), np.bool_)
    kept[at[found]] = True
    gone = np.flatnonzero(~kept)
    deleted = [old_ids[j].decode() for j in gone]  # sorted, as old_ids
    old_of = {ids[i].decode(): int(old[at[i]]) for i in updated}
    old_of.update((old_ids[j].decode(), int(old[j])) for j in gone)
    return created, updated, deleted, old_of


def _floor(db: sqlite3.Connection, latest: int, now: float, retention: Retention) -> int:
    """The oldest position still usable (see :class:`Retention`)."""
    floor = 1
    if retention.versions > 0:
        floor = max(floor, latest - retention.versions)
    if retention.days > 0:
        # A position v is usable while version v+1 (which replaced it) is recent enough.
        row = db.execute(
            "SELECT min(seq) - 1 FROM versions WHERE recorded_at >= ?",
            (now - retention.days * DAY,),
        ).fetchone()
        floor = max(floor, latest if row[0] is None else row[0])
    return min(floor, latest)


def _prune(db: sqlite3.Connection, latest: int, now: float, retention: Retention) -> None:
    """Drop the changes no usable position needs (versions rows stay: a few bytes each)."""
    floor = _floor(db, latest, now, retention)
    db.execute("DELETE FROM changes WHERE vseq <= ?", (floor,))


# -- reading (any process) ------------------------------------------------------------


class History:
    """Read access to the history in ``store_dir``: one read-only connection per process
    and thread (SQLite connections must not cross a fork)."""

    def __init__(self, store_dir: Path, retention: Retention | None = None) -> None:
        self.store_dir = store_dir
        self.path = database(store_dir)
        self.retention = retention or Retention()
        self._local: threading.local | None = None
        self._pid = -1
        self._positions: weakref.WeakKeyDictionary[ContentIndex, int] = weakref.WeakKeyDictionary()
        self._store_id: bytes | None = None

    def _db(self) -> sqlite3.Connection | None:
        if self._pid != os.getpid() or self._local is None:
            self._local = threading.local()
            self._pid = os.getpid()
            self._store_id = None
        db = getattr(self._local, "db", None)
        if db is None:
            if not self.path.exists():
                return None
            db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=30)
            self._local.db = db
        return db

    def store_id(self) -> bytes | None:
        """The store's id, or None while nothing was recorded."""
        if self._store_id is None or self._pid != os.getpid():
            db = self._db()
            if db is None:
                return None
            row = db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
            self._store_id = None if row is None else bytes(row[0])
        return self._store_id

    def position_of(self, index: ContentIndex) -> int | None:
        """The position of the version ``index`` serves (its latest recording), or None
        if it was not recorded (yet)."""
        seq = self._positions.get(index)
        if seq is None:
            db = self._db()
            if db is None:
                return None
            row = db.execute(
                "SELECT max(seq) FROM versions WHERE version = ?", (index.version,)
            ).fetchone()
            if row[0] is None:
                return None
            seq = self._positions[index] = row[0]
        return seq

    def tag(self, index: ContentIndex) -> str:
        """Stands for what ``/sync`` answers from ``index`` (in its ETag): the version
        and its position (content that changed and changed back has a new position)."""
        return f"{index.version}@{self.position_of(index)}"

    def check(self, position: int, current: int) -> None:
        """:class:`StaleToken` unless changes after ``position`` are all still kept."""
        if position >= current:
            return
        db = self._db()
        latest = db.execute("SELECT max(seq) FROM versions").fetchone()[0] or 0
        if position < _floor(db, latest, time.time(), self.retention):
            raise StaleToken(position)

    def latest(self) -> int:
        db = self._db()
        return 0 if db is None else db.execute("SELECT max(seq) FROM versions").fetchone()[0] or 0

    def changes(self, start: int, stop: int, after: int | None = None) -> Iterator[Change]:
        """The articles changed after position ``start`` up to ``stop`` (coalesced, in
        the order of their last change), continuing after change ``after`` if given."""
        db = self._db()
        bounds = dict(
            db.execute(
                "SELECT seq, last_change FROM versions WHERE seq IN (?, ?)", (start, stop)
            ).fetchall()
        )
        lo, hi = bounds.get(start, 0), bounds.get(stop, 0)
        first = (
            "(SELECT {col} FROM changes f WHERE f.id = c.id AND f.seq > :lo ORDER BY f.seq LIMIT 1)"
        )
        sql = (
            "SELECT c.seq, c.id, c.kind, c.new, "
            f"{first.format(col='f.kind')}, {first.format(col='f.old')} "
            "FROM changes c WHERE c.seq > :after AND c.seq <= :hi AND NOT EXISTS "
            "(SELECT 1 FROM changes l WHERE l.id = c.id AND l.seq > c.seq AND l.seq <= :hi) "
            "ORDER BY c.seq"
        )
        params = {"lo": lo, "hi": hi, "after": lo if after is None else max(after, lo)}
        for seq, article_id, kind, new, first_kind, first_old in db.execute(sql, params):
            existed = first_kind != CREATED
            exists = kind != DELETED
            if existed and exists:
                if first_old == new:
                    continue  # changed and changed back
                yield Change(seq, "updated", article_id)
            elif exists:
                yield Change(seq, "created", article_id)
            elif existed:
                yield Change(seq, "deleted", article_id)
