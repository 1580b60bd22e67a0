"""The immutable in-memory index every request reads.

Built once from a folder's :class:`~api.content.seeds.ArticleRecord` s, it holds:

- every article's JSON in one ``bytes`` blob (the summary is a prefix of the full
  article; related items are slices of it), so a response is assembled by slicing,
  never by serializing, and forked workers share the blob's pages;
- one :class:`SortedView` per sort (key, then id): the order itself, the filterable
  columns in that order, and posting lists per topic, provider, category and type, so a
  query is a few vectorised operations on already-ordered data, whatever the page;
- providers and topics with their counts, each already serialized;
- full-text search (:mod:`.search`, a tantivy index folder built alongside), facet
  codes (:mod:`.facets`) and suggestions (:mod:`.suggest`).

An article's position is its rank by id. Nothing here changes once built; new content
means a new index (``ContentStore`` holds the one in use).

An index is written once, as a folder (:meth:`ContentIndex.save`, the artifact of
:mod:`.artifact`), and every process that serves it maps that folder
(:meth:`ContentIndex.open`): the blob and every numpy array are views of memory-mapped
files, shared through the page cache by every worker and every server on the machine.
Only small things (providers, topics, facet names) are copied into each process.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import itertools
import math
import mmap
import os
import pickle
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from json.decoder import scanstring
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import orjson
from werkzeug.http import http_date

from schemas.directory import ProviderSchema, TopicSchema
from schemas.query import ARTICLE_SORTS, DIRECTORY_SORTS, RELEVANCE
from schemas.search_syntax import SearchQuery

from . import order_keys
from .columns import Field, Pair, csr_of, gather, owners
from .facets import FacetTable
from .records import ArticleRecord, Changes, SeedWarning, Skipped
from .search import (
    COUNTED_IN_FULL,
    MAX_FACET_WORK,
    MAX_RANKED_WINDOW,
    Compiled,
    SearchIndex,
    SearchRow,
    SearchTooBroad,
    both,
    deleted_share,
    prune,
    rank_at_least,
    rank_below,
    rank_field,
    temporary_folder,
)
from .suggest import Suggester
from .title_prefixes import TitlePrefixes

if TYPE_CHECKING:
    from .records import FolderContent

_RELATED_OPEN = b',"related":['
_RELATED_CLOSE = b"]}"
# A value held by at least 1/MASK_MIN_FRACTION of the articles gets a membership mask.
MASK_MIN_FRACTION = 128
# A new version updates the previous one's search index (rather than building it anew)
# from this many articles, while the documents deleted or added since the last fresh
# build stay under this share of them.
INCREMENTAL_MIN_ARTICLES = 5_000
INCREMENTAL_MAX_SHARE = 0.2
# A patched index's blob is the previous file with the changed articles appended (the
# old copies stay, unused): it is written whole again once they are this share of it.
BLOB_MAX_GARBAGE = 0.25


class NotPatchable(RuntimeError):
    """Content that holds only what changed cannot be applied to the previous version
    (e.g. an id of two files): every file must be read."""


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Which articles a list shows. Values within a field are OR-ed, fields AND-ed.

    Ids, categories and types are compared lower-cased.
    """

    topics: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    published: bool | None = None
    after: float | None = None  # inclusive, epoch seconds
    before: float | None = None  # exclusive, epoch seconds
    min_quality: float | None = None
    min_heat: float | None = None
    in_topic: str | None = None  # from the path: /topics/{id}/articles
    in_provider: str | None = None  # from the path: /providers/{id}/articles


def _json_array(parts: Iterable[bytes]) -> bytes:
    return b"[" + b",".join(parts) + b"]"


class Directory:
    """Providers or topics: each entry serialized once, one order per sort."""

    def __init__(self, entries: Sequence[dict], schema) -> None:
        entries = sorted(entries, key=lambda e: e["id"])
        self._json = [orjson.dumps(schema.dump(e)) for e in entries]
        self._position = {e["id"]: i for i, e in enumerate(entries)}
        names = [e["name"].casefold() for e in entries]
        counts = [e["articleCount"] for e in entries]
        n = len(entries)
        # Ties go by id (entries are in id order) in both directions.
        self._orders = {
            "name": sorted(range(n), key=lambda i: (names[i], i)),
            "-name": sorted(range(n), key=lambda i: (names[i], -i), reverse=True),
            "articleCount": sorted(range(n), key=lambda i: (counts[i], i)),
            "-articleCount": sorted(range(n), key=lambda i: (-counts[i], i)),
        }
        assert set(self._orders) == {f"{s}{k}" for k in DIRECTORY_SORTS for s in ("", "-")}

    def __len__(self) -> int:
        return len(self._json)

    def __contains__(self, entry_id: str) -> bool:
        return entry_id in self._position

    def get_json(self, entry_id: str) -> bytes | None:
        position = self._position.get(entry_id)
        return None if position is None else self._json[position]

    def page_json(self, sort: str, start: int, stop: int) -> bytes:
        return _json_array(self._json[i] for i in self._orders[sort][start:stop])


class ContentIndex:
    """Everything the API serves, prepared for answering any query by slicing."""

    def __init__(
        self,
        content: FolderContent,
        search_path: Path | None = None,
        previous: ContentIndex | None = None,
    ) -> None:
        """``search_path``: the folder to write the search index into (default: one in
        a temporary folder removed at exit). ``previous``: the index of an earlier
        version built by this code. When ``content`` says what changed since it
        (``content.changes``) and that is little, this index is ``previous`` patched
        (:meth:`_patch`: numpy passes over its columns, Python only over the changed
        records); else it is assembled from every record, its search index updated from
        ``previous``'s when few articles changed (:meth:`_build_search`)."""
        self.version = content.version
        self.built_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        if previous is not None and not len(previous):
            previous = None  # nothing to keep from an empty version
        if search_path is None:
            search_path = temporary_folder() / f"search-{content.version}"
            prune(search_path.parent, "search-*", keep=search_path)
        # The blob of a patched index is the previous one's file (hard-linked) with the
        # new articles' JSON appended (see save()): (that file, its size), and what to append.
        self._blob_base: tuple[Path, int] | None = None
        self._appended = b""
        changes = _patchable(content, previous)
        self.patched = changes is not None and self._patch(content, changes, previous, search_path)
        if not self.patched:
            if content.records is None:  # only the changes were read
                raise NotPatchable(f"version {content.version} is no patch of its previous")
            self._assemble(content, previous, search_path)
        self.suggester = Suggester(
            self.facets, self.search, self._title_prefixes, self.ids, self._title_reader()
        )

    # -- building ---------------------------------------------------------

    def _assemble(
        self, content: FolderContent, previous: ContentIndex | None, search_path: Path
    ) -> None:
        """Build every part from every record."""
        records, duplicates = _unique(content.records)
        self.skipped: tuple[Skipped, ...] = tuple(content.skipped) + tuple(duplicates)
        self._has_duplicates = bool(duplicates)
        self.warnings: tuple[SeedWarning, ...] = tuple(
            SeedWarning(r.path, w) for r in records for w in r.warnings
        )
        records.sort(key=lambda r: r.id)
        self.ids = IdTable.of([r.id for r in records])
        self._paths = PathTable.of([r.path for r in records])
        # Each article's file mtime (ns), when the build scanned it: orders the changes
        # of one version in the sync history (api.content.history).
        keys = content.keys or {}
        self._mtimes = np.array([keys.get(r.path, (0, 0))[1] for r in records], np.int64)
        # Where each article was in the previous version (by id), if it was.
        self._previous_at = (
            None if previous is None else match_ids(previous.ids.keys, self.ids.keys)
        )
        self._build_blob(records, previous)
        self._url_hashes = _hashes(r.web_url for r in records)
        self._related_hashes = _hashes(url for r in records for url, _ in r.related)
        self._columns = _columns_of(records)
        titles = _ranks([(r.title.casefold(), r.title) for r in records])
        self._columns["title"] = titles.astype(np.float64)
        self._fields = _fields_of(records)
        self._derive()
        self._build_search(records, self._columns["publishedDateTime"], search_path, previous)
        del self._previous_at
        self._title_prefixes = TitlePrefixes.build(
            (r.title for r in records), self._views["-heat"].order
        )

    def _patch(
        self,
        content: FolderContent,
        changes: Changes,
        previous: ContentIndex,
        search_path: Path,
    ) -> bool:
        """Make this index ``previous`` with ``changes`` applied; False (nothing done
        that matters) when it cannot be, e.g. an id of two files, or no room between
        the order keys: then it is assembled.

        Every column is the previous one's kept rows and the added records' rows, taken
        through one *source* array (for each new position, an old position or
        ``len(previous)`` + the added record's index); the rest is derived as a fresh
        build derives it (:meth:`_derive`). Articles whose related items link to an
        article that came or went are written anew (their JSON changes)."""
        old_n = len(previous)
        added = sorted(changes.added, key=lambda r: r.id)
        gone = [previous.ids.position(i) for i in set(changes.removed)]
        keep = np.ones(old_n, np.bool_)
        keep[[p for p in gone if p is not None]] = False
        kept = np.flatnonzero(keep)
        width = max([previous.ids.keys.dtype.itemsize] + [len(r.id.encode()) for r in added])
        old_keys = previous.ids.keys.astype(f"S{width}")
        added_keys = np.array([r.id.encode() for r in added], f"S{width}")
        kept_keys = old_keys[kept]
        at = np.searchsorted(kept_keys, added_keys)
        inside = at < len(kept_keys)
        kept_too = np.any(kept_keys[at[inside]] == added_keys[inside])
        if kept_too or len(np.unique(added_keys)) < len(added_keys):
            return False  # an id of two files: the first in file order wins (assembled)
        k = len(added)
        n = len(kept) + k
        new_of_added = at + np.arange(k)
        is_added = np.zeros(n, np.bool_)
        is_added[new_of_added] = True
        source = np.empty(n, np.int64)
        source[~is_added] = kept
        source[is_added] = old_n + np.arange(k)

        def column(old: np.ndarray, new: list | np.ndarray) -> np.ndarray:
            return np.concatenate([old, np.asarray(new, old.dtype)])[source]

        self.skipped = tuple(content.skipped)
        self._has_duplicates = False
        gone_paths = {r.path for r in added} | set(changes.removed_paths)
        self.warnings = tuple(
            sorted(
                [w for w in previous.warnings if w.path not in gone_paths]
                + [SeedWarning(r.path, w) for r in added for w in r.warnings],
                key=lambda w: w.path,
            )
        )
        self.ids = IdTable(np.concatenate([old_keys, added_keys])[source])
        keys = content.keys or {}
        self._mtimes = column(previous._mtimes, [keys.get(r.path, (0, 0))[1] for r in added])
        fresh = _columns_of(added)
        self._columns = {
            name: column(values, fresh[name])
            for name, values in previous._columns.items()
            if name != "title"
        }
        self._columns["title"] = column(*_title_ranks(previous, added))
        self._fields = {
            name: field.patched(_field_rows(name, added), source)
            for name, field in previous._fields.items()
        }
        self._url_hashes = column(previous._url_hashes, _hashes(r.web_url for r in added))
        moved = np.full(old_n, -1, np.int64)  # each previous position's new one (-1: gone)
        moved[kept] = np.flatnonzero(~is_added)
        self._paths = previous._paths.patched(moved, [r.path for r in added], new_of_added)
        self._patch_blob(previous, added, source, is_added, np.flatnonzero(~keep))
        self._derive(previous, moved, new_of_added)
        self._previous_at = match_ids(previous.ids.keys, self.ids.keys)
        update = self._update_from(previous, same=~is_added)
        del self._previous_at
        if update is None:
            return False
        changed, removed = update
        records = dict(zip(new_of_added.tolist(), added, strict=True))
        rows = self._search_rows(records, self._columns["publishedDateTime"], changed)
        self.search = SearchIndex.update(previous.search, removed, rows, search_path)
        self.search.keys = self._id_keys
        self.search_update = (len(changed), len(removed))
        prefixes = previous._title_prefixes.patched(
            moved,
            [previous.title(p) for p in np.flatnonzero(~keep).tolist()] + [r.title for r in added],
            self.search.title_matches,
        )
        if prefixes is None:  # too many rows to ask again: built anew
            at = source.tolist()
            titles = (previous.title(s) if s < old_n else added[s - old_n].title for s in at)
            prefixes = TitlePrefixes.build(titles, self._views["-heat"].order)
        self._title_prefixes = prefixes
        return True

    def _patch_blob(
        self,
        previous: ContentIndex,
        added: list[ArticleRecord],
        source: np.ndarray,
        is_added: np.ndarray,
        removed: np.ndarray,
    ) -> None:
        """The blob's offsets, related items and digests of a patched index: kept
        articles where they were in the previous file, added ones (and kept ones whose
        related items now link to another article, or to none) appended to it.
        ``removed``: the previous positions that are gone."""
        base_path = previous._folder / BLOB_FILE
        base = os.stat(base_path).st_size  # (earlier patches' appends are in it too)
        old_blob, old_n = previous._blob, len(previous)
        parts: list[bytes] = []
        size = base
        rows: list[list[tuple[int, int]]] = []
        offsets, digests = [], []

        def web_url(position: int) -> str:  # of the article at ``position`` now
            if is_added[position]:
                return added[int(source[position]) - old_n].web_url
            return previous.web_url(int(source[position]))

        def article_of(url: str, hashes: np.ndarray, url_at) -> int | None:
            """The first position whose web URL is ``url`` (found by hash, then checked)."""
            for p in np.flatnonzero(hashes == _hashes([url])[0]).tolist():
                if url_at(p) == url:
                    return p
            return None

        def target(url: str) -> str | None:
            p = article_of(url, self._url_hashes, web_url)
            return None if p is None else self.ids[p]

        for r in added:
            items = [
                item if (link := target(url)) is None else _with_id(item, link)
                for url, item in r.related
            ]
            article, bounds = _article_json(r.summary + r.details + _RELATED_OPEN, items)
            summary_end = size + len(r.summary)  # (the rest follows its summary)
            offsets.append((size, summary_end, summary_end, size + len(article)))
            rows.append([(size + a, size + b) for a, b in bounds])
            digests.append(hashlib.blake2b(article, digest_size=8).digest())
            parts.append(article)
            size += len(article)
        fresh = np.array(offsets, np.int64).reshape(-1, 4)
        self._start = np.concatenate([previous._start, fresh[:, 0]])[source]
        self._summary_end = np.concatenate([previous._summary_end, fresh[:, 1]])[source]
        self._rest_start = np.concatenate([previous._rest_start, fresh[:, 2]])[source]
        self._end = np.concatenate([previous._end, fresh[:, 3]])[source]
        digest = np.frombuffer(b"".join(digests), np.uint64)
        self._digests = np.concatenate([previous._digests, digest])[source]
        ptr, bounds = csr_of(rows, np.int64, 2)
        pool_ptr = np.concatenate([previous._related_ptr, previous._related_ptr[-1] + ptr[1:]])
        pool_bounds = np.concatenate([previous._related_bounds, bounds])
        self._related_ptr, self._related_bounds = gather(pool_ptr, pool_bounds, source)
        hashes = np.concatenate(
            [previous._related_hashes, _hashes(u for r in added for u, _ in r.related)]
        )
        self._related_hashes = gather(pool_ptr, hashes, source)[1]

        # The web URLs of articles that came or went: kept articles' items that link to
        # one of them are linked anew when the article it names is another one now.
        urls = {r.web_url for r in added} | {previous.web_url(p) for p in removed.tolist()}
        relink: dict[int, dict[int, str | None]] = defaultdict(dict)  # owner: {item: id}
        item_owner = None
        for url in sorted(urls):
            before = article_of(url, previous._url_hashes, previous.web_url)
            now = target(url)
            if (None if before is None else previous.ids[before]) == now:
                continue
            if item_owner is None:
                item_owner = owners(self._related_ptr)
            for item in np.flatnonzero(self._related_hashes == _hashes([url])[0]).tolist():
                owner = int(item_owner[item])
                a, b = self._related_bounds[item].tolist()
                if not is_added[owner] and orjson.loads(old_blob[a:b])["webUrl"] == url:
                    relink[owner][item] = now
        for owner, links in sorted(relink.items()):
            first, last = self._related_ptr[owner : owner + 2].tolist()
            bounds = self._related_bounds[first:last].tolist()
            items = [
                _set_id(old_blob[a:b], links[first + j]) if first + j in links else old_blob[a:b]
                for j, (a, b) in enumerate(bounds)
            ]
            # Only the rest is written anew (the summary stays where it is).
            summary = old_blob[int(self._start[owner]) : int(self._summary_end[owner])]
            head = old_blob[int(self._rest_start[owner]) : bounds[0][0]]
            rest, item_bounds = _article_json(head, items)
            self._rest_start[owner], self._end[owner] = size, size + len(rest)
            self._related_bounds[first:last] = np.array(item_bounds, np.int64) + size
            digest = hashlib.blake2b(summary + rest, digest_size=8).digest()
            self._digests[owner] = np.frombuffer(digest, np.uint64)[0]
            parts.append(rest)
            size += len(rest)
        self._blob_base = (base_path, base)
        self._appended = b"".join(parts)
        used = (self._summary_end - self._start).sum() + (self._end - self._rest_start).sum()
        self._blob_garbage = size - int(used)
        self._blob = b""  # written by save(): the previous file, extended

    def _derive(
        self,
        previous: ContentIndex | None = None,
        moved: np.ndarray | None = None,
        added: np.ndarray | None = None,
    ) -> None:
        """Everything made from the columns and fields: the sorted views (each with its
        posting lists), membership masks, providers and topics, facet codes. A patch
        gives ``previous``, ``moved`` (each previous position's new one, -1: gone) and
        ``added`` (the new positions of the added articles, ascending): the views are
        then the previous ones with the added articles put in place (a binary search
        each), not sorted again."""
        n = len(self.ids)
        columns = self._columns
        published_ts = columns["publishedDateTime"]
        # Membership masks (over positions, shared by every view) for the values that many
        # articles have: testing candidates against one beats scattering a long list.
        members = {
            name: field.members(
                n // MASK_MIN_FRACTION,
                None if previous is None else (previous._views["title"].members[name], moved),
            )
            for name, field in self._fields.items()
        }
        filtered = {name: columns[name] for name in FILTER_COLUMNS}
        self._sort_columns = {k: columns[k] for k in ARTICLE_SORTS if k != "title"}
        self._views: dict[str, SortedView] = {}
        position = np.arange(n)
        for key in ARTICLE_SORTS:
            for sign, values in (("", columns[key]), ("-", -columns[key])):
                if previous is None:
                    # lexsort sorts by its last key first; NaN (no value) sorts last both ways.
                    order = np.lexsort((position, values)).astype(np.int32)
                    view = SortedView(order, filtered, self._fields, members)
                else:
                    view = previous._views[sign + key].patched(
                        values, moved, added, filtered, self._fields, previous._fields, members
                    )
                self._views[sign + key] = view
        self.providers, self.topics = _directories(self._fields, published_ts)
        self.facets = FacetTable(self._fields, published_ts)

    def _build_blob(self, records: list[ArticleRecord], previous: ContentIndex | None) -> None:
        url_to_id: dict[str, str] = {}
        for r in records:
            url_to_id.setdefault(r.web_url, r.id)
        # Every summary first, then the rest of each article (see BLOB_FILE). One
        # pass in plain Python lists (sizes within each part); the offsets are cumulative
        # sums, taken at once.
        summaries: list[bytes] = []
        rests: list[bytes] = []  # the rest of each article: details, related items
        summary_sizes: list[int] = []
        rest_sizes: list[int] = []
        counts: list[int] = []  # related items per article
        bounds: list[int] = []  # each related item's start and end within its rest
        open_size, close_size = len(_RELATED_OPEN), len(_RELATED_CLOSE)
        for r in records:
            summary, details = r.summary, r.details
            summaries.append(summary)
            rests += (details, _RELATED_OPEN)
            size = len(details) + open_size
            for k, (web_url, item_json) in enumerate(r.related):
                if k:
                    rests.append(b",")
                    size += 1
                if (linked := url_to_id.get(web_url)) is not None:
                    item_json = _with_id(item_json, linked)
                rests.append(item_json)
                bounds += (size, size + len(item_json))
                size += len(item_json)
            rests.append(_RELATED_CLOSE)
            rest_sizes.append(size + close_size)
            summary_sizes.append(len(summary))
            counts.append(len(r.related))
        summary_end = np.cumsum(np.array(summary_sizes, np.int64))
        start = summary_end - np.array(summary_sizes, np.int64)
        end = np.cumsum(np.array(rest_sizes, np.int64))
        end += int(summary_end[-1]) if len(summary_end) else 0
        rest_start = end - np.array(rest_sizes, np.int64)
        related_ptr = np.zeros(len(records) + 1, np.int64)
        np.cumsum(counts, out=related_ptr[1:])
        related_bounds = np.array(bounds, np.int64).reshape(-1, 2)
        related_bounds += np.repeat(rest_start, counts)[:, None]
        self._blob = b"".join(itertools.chain(summaries, rests))
        assert len(self._blob) == (int(end[-1]) if len(end) else 0)
        self._start, self._summary_end = start, summary_end
        self._rest_start, self._end = rest_start, end
        # What an article's ETag is made of: a digest of its JSON, as sent.
        self._digests = self._digest_all(previous)
        self._related_ptr = related_ptr
        self._related_bounds = related_bounds
        self._blob_garbage = 0  # bytes of the blob's file no article uses (see _patch)

    def _digest_all(self, previous: ContentIndex | None) -> np.ndarray:
        """Each article's digest (blake2b, 8 bytes); an article whose JSON is the same
        bytes as in ``previous`` keeps its digest there (comparing costs a tenth of
        hashing: a one-file change among 1,000,000 hashes one article, not all)."""
        blob = self._blob
        news = self._bounds()
        if previous is None:
            return np.frombuffer(b"".join(_digest(blob, *b) for b in news), np.uint64)
        at, found = self._previous_at
        old_blob = previous._blob
        olds = previous._bounds(at)
        same = [
            was and old_blob[a:b] == blob[e:f] and old_blob[c:d] == blob[g:h]
            for (e, f, g, h), (a, b, c, d), was in zip(news, olds, found.tolist(), strict=True)
        ]
        digests = previous._digests[at]  # a copy (fancy indexing), for the kept ones
        for i in np.flatnonzero(~np.array(same, np.bool_)).tolist():
            digests[i] = np.frombuffer(_digest(blob, *news[i]), np.uint64)[0]
        return digests

    def _bounds(self, at: np.ndarray | None = None) -> list[tuple[int, int, int, int]]:
        """Each article's summary and rest in the blob, ``(start, summary end, rest
        start, end)`` (of the articles at positions ``at``: all by default)."""
        parts = (self._start, self._summary_end, self._rest_start, self._end)
        if at is not None:
            parts = tuple(part[at] for part in parts)
        return list(zip(*(part.tolist() for part in parts), strict=True))

    def _build_search(
        self,
        records: list[ArticleRecord],
        published_ts: np.ndarray,
        folder: Path,
        previous: ContentIndex | None,
    ) -> None:
        """The search index, and each article's order keys (:mod:`.order_keys`): updated
        from ``previous`` when it can be (few changes, room between the keys), else
        built anew."""
        if previous is not None:
            update = self._update_from(previous)
            if update is not None:
                changed, removed = update
                rows = self._search_rows(records, published_ts, changed)
                self.search = SearchIndex.update(previous.search, removed, rows, folder)
                self.search.keys = self._id_keys
                self.search_update = (len(changed), len(removed))
                return
        n = len(records)
        self._id_keys = order_keys.initial(n)
        self._order_keys = {}
        for sort, view in self._views.items():
            keys = np.empty(n, np.int64)
            keys[view.order] = order_keys.initial(n)
            self._order_keys[sort] = keys
        rows = self._search_rows(records, published_ts, range(n))
        self.search = SearchIndex.build(rows, folder)
        self.search.keys = self._id_keys
        self.search_update = None

    def _update_from(
        self, previous: ContentIndex, same: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Set this index's order keys from ``previous``'s and say what its search index
        must change: the positions of added and changed articles and the keys of the
        documents to remove. None when a fresh build is better (or needed). ``same``:
        which articles are unchanged (default: those whose JSON is the same bytes)."""
        n = len(self)
        if n < INCREMENTAL_MIN_ARTICLES or not len(previous):
            return None  # a fresh build costs little and keeps the statistics exact
        at, found = self._previous_at
        if same is None:
            same = found & (previous._digests[at] == self._digests)
        kept = np.zeros(len(previous), np.bool_)
        kept[at[same]] = True
        changed = np.flatnonzero(~same)
        removed = previous._id_keys[~kept]
        deleted_before = deleted_share(previous.search.folder) * len(previous)
        if deleted_before + len(removed) + len(changed) > INCREMENTAL_MAX_SHARE * n:
            return None
        id_keys = order_keys.extend(np.where(found, previous._id_keys[at], 0), ~found)
        if id_keys is None:
            return None
        keys_by_sort = {}
        for sort, view in self._views.items():
            order = view.order
            kept_keys = np.where(same, previous._order_keys[sort][at], 0)[order]
            in_order = order_keys.extend(kept_keys, ~same[order])
            if in_order is None:
                return None
            keys = np.empty(n, np.int64)
            keys[order] = in_order
            keys_by_sort[sort] = keys
        self._id_keys, self._order_keys = id_keys, keys_by_sort
        return changed, removed

    def _search_rows(
        self,
        records: Sequence[ArticleRecord] | Mapping[int, ArticleRecord],
        published_ts: np.ndarray,
        positions: Sequence[int] | np.ndarray,
    ) -> Iterator[SearchRow]:
        """What the search index needs of the articles at ``positions`` (ascending)."""
        if len(positions) > len(self) // 16:  # most of them: as lists at once
            keys = {sort: keys.tolist() for sort, keys in self._order_keys.items()}
            id_keys, all_ts = self._id_keys.tolist(), published_ts.tolist()
        else:
            keys, id_keys, all_ts = self._order_keys, self._id_keys, published_ts
        for i in positions:
            r, ts = records[i], float(all_ts[i])
            yield SearchRow(
                key=int(id_keys[i]),
                title=r.title,
                excerpt=r.excerpt,
                body=r.body,
                topic_names=[t[1] for t in r.topics],
                provider_name=r.provider[1] if r.provider else None,
                topic_ids=[t[0] for t in r.topics],
                provider_id=r.provider[0] if r.provider else None,
                category=r.category.lower() if r.category else None,
                type=r.type.lower() if r.type else None,
                year=None if math.isnan(ts) else str(dt.datetime.fromtimestamp(ts, dt.UTC).year),
                published=r.published,
                published_ts=None if math.isnan(ts) else ts,
                quality=r.quality,
                heat=r.heat,
                ranks={sort: int(sort_keys[i]) for sort, sort_keys in keys.items()},
            )

    # -- reading ----------------------------------------------------------

    # -- the artifact: writing and mapping --------------------------------------------

    # What is not pickled: the blob (a file of its own, mapped), the search index (a
    # folder of its own, opened) and what is made from them when opened.
    _NOT_PICKLED = ("_blob", "search", "suggester", "_mapped", "_folder", "_blob_base", "_appended")

    def save(self, folder: Path) -> None:
        """Write this index into ``folder`` (its search index is already there: see
        :mod:`.artifact`): the blob as it is, every numpy array into one file of aligned
        buffers, the rest (small) as a pickle that refers to those buffers."""
        if self._blob_base is None:
            (folder / BLOB_FILE).write_bytes(self._blob)
        else:  # patched: the previous version's file (a hard link), extended
            base_path, base = self._blob_base
            try:
                os.link(base_path, folder / BLOB_FILE)
            except OSError:  # a file system without hard links: a copy of what is used
                with base_path.open("rb") as src, (folder / BLOB_FILE).open("wb") as dst:
                    while dst.tell() < base:
                        dst.write(src.read(min(1 << 24, base - dst.tell())))
            with (folder / BLOB_FILE).open("ab") as fh:
                if fh.tell() != base:
                    raise RuntimeError(f"{base_path} changed while the index was patched")
                fh.write(self._appended)
        state = {k: v for k, v in self.__dict__.items() if k not in self._NOT_PICKLED}
        buffers: list[pickle.PickleBuffer] = []
        data = pickle.dumps(state, protocol=5, buffer_callback=buffers.append)
        offsets = []
        with (folder / ARRAYS_FILE).open("wb") as fh:
            for buffer in buffers:
                raw = buffer.raw()
                fh.write(b"\0" * (-fh.tell() % ALIGN))
                offsets.append((fh.tell(), raw.nbytes))
                fh.write(raw)
        (folder / STATE_FILE).write_bytes(pickle.dumps((offsets, data), protocol=5))

    @classmethod
    def open(cls, folder: Path) -> ContentIndex:
        """Map the index saved in ``folder``: no array is copied, the blob is read from
        the page cache as responses need it. Costs milliseconds, whatever the size."""
        self = cls.__new__(cls)
        offsets, data = pickle.loads((folder / STATE_FILE).read_bytes())
        arrays = _map(folder / ARRAYS_FILE)
        view = memoryview(arrays) if arrays is not None else memoryview(b"")
        buffers = [view[start : start + size] for start, size in offsets]
        self.__dict__.update(pickle.loads(data, buffers=buffers))
        blob = _map(folder / BLOB_FILE)
        self._blob = blob if blob is not None else b""
        self._mapped = (arrays, blob)  # kept open while the index lives
        self._folder = folder
        self.search = SearchIndex.open(folder / SEARCH_FOLDER)
        self.search.keys = self._id_keys
        self.suggester = Suggester(
            self.facets, self.search, self._title_prefixes, self.ids, self._title_reader()
        )
        return self

    def hold(self, fd: int) -> None:
        """Keep ``fd`` (a shared lock on this index's artifact) open while it lives."""
        weakref.finalize(self, os.close, fd)

    def __reduce__(self):
        raise TypeError("a ContentIndex is saved with save() and mapped with open()")

    # -- reading ----------------------------------------------------------

    @functools.cached_property
    def last_modified(self) -> str:
        """``built_at`` as the Last-Modified header says it."""
        return http_date(self.built_at)

    def __len__(self) -> int:
        return len(self._start)

    def __contains__(self, article_id: str) -> bool:
        return self.ids.position(article_id) is not None

    def article_json(self, article_id: str) -> bytes | None:
        """The whole article (``ArticleSchema``), or None if there is no such id."""
        i = self.ids.position(article_id)
        if i is None:
            return None
        blob = self._blob
        summary = blob[self._start[i] : self._summary_end[i]]
        return summary + blob[self._rest_start[i] : self._end[i]]

    def article_digest(self, article_id: str) -> bytes | None:
        """A digest of the article's JSON (for its ETag), or None if there is no such id."""
        i = self.ids.position(article_id)
        return None if i is None else self._digests[i].tobytes()

    def ids_and_digests(self) -> tuple[IdTable, np.ndarray]:
        """Every article id, in position (id) order, and the digest of each article's
        JSON as served (uint64, the ETag's): what the sync history diffs versions by."""
        return self.ids, self._digests

    def mtimes(self) -> np.ndarray:
        """Each article's file mtime in ns (int64, position order; 0 where unknown)."""
        return self._mtimes

    def related_json(self, article_id: str, start: int, stop: int) -> tuple[bytes, int] | None:
        """A page of an article's related items as a JSON array, and how many it has."""
        i = self.ids.position(article_id)
        if i is None:
            return None
        first, last = self._related_ptr[i], self._related_ptr[i + 1]
        bounds = self._related_bounds[first:last][start:stop].tolist()
        return _json_array(self._blob[a:b] for a, b in bounds), int(last - first)

    def id_of_file(self, path: str) -> str | None:
        """The id of the article read from the content file ``path`` (relative to the
        folder), None if no article came from it (a skipped file, or none)."""
        position = self._paths.position(path)
        return None if position is None else self.ids[position]

    def web_url(self, position: int) -> str:
        """The web URL of the article at ``position`` (read from its JSON)."""
        summary = self._blob[self._start[position] : self._summary_end[position]]
        return orjson.loads(summary + b"}")["webUrl"]

    def article_id(self, position: int) -> str:
        return self.ids[position]

    def select(
        self, flt: ArticleFilter, sort: str, search: SearchQuery | None = None
    ) -> Selection | SearchSelection:
        """The articles matching ``flt`` (and ``search``), in ``sort`` order; ``sort``
        ``relevance`` (with a search only) is the engine's BM25 order, ties by id.

        With a search, the engine filters, sorts, counts and ranks (only the page asked
        for); raises :class:`~.search.SearchTooBroad` for a search that would read too
        much of the index."""
        if search is None:
            return self._views[sort].select(flt, sort, self._views)
        compiled = self.search.compile(search, flt)
        return SearchSelection(self.search, compiled, sort)

    def similar(self, article_id: str) -> SearchSelection | None:
        """The articles most like this one, best first (None: no such article).

        Score = shared topics (each weighted by its rarity, idf, as a share of this
        article's own, 0 to 1) + title similarity (BM25 of this title's words in the
        other titles, relative to the best other match, 0 to 1) + 0.25 for the same
        provider. Candidates share a topic or a title word (not one in more than a tenth
        of all titles); the article itself is never one. Only the page shown is ranked
        (a top-k query in the search engine).
        """
        i = self.ids.position(article_id)
        if i is None:
            return None
        query = self.search.similar_query(
            int(self._id_keys[i]),
            len(self),
            self.facets.topics_of(i),
            self.sort_key("title", i)[0],
            self.facets.provider_of(i),
        )
        return SearchSelection(self.search, Compiled(query), RELEVANCE)

    def title(self, position: int) -> str:
        """The title of the article at ``position``: its JSON string in the summary
        (``{"id":"…","title":"…"``; an id has no quote), decoded alone rather than with
        the whole summary (a suggestion reads ten of them)."""
        summary = self._blob[self._start[position] : self._summary_end[position]]
        at = summary.find(_TITLE_MEMBER)
        if at < 0:
            return orjson.loads(summary + b"}")["title"]
        return scanstring(summary[at + len(_TITLE_MEMBER) :].decode(), 0)[0]

    def _title_reader(self) -> Callable[[int], str]:
        """:meth:`title` without a reference to this index (none of its parts may hold
        one: no cycle, so an index goes, and releases its artifact, as soon as its last
        request ends)."""
        method = weakref.WeakMethod(self.title)
        return lambda position: method()(position)

    def highlights(self, compiled: Compiled, positions: list[int]) -> list[dict[str, str]]:
        """Title and excerpt of each article at ``positions``, matched words marked."""
        out = []
        for p in positions:
            summary = orjson.loads(self._blob[self._start[p] : self._summary_end[p]] + b"}")
            out.append(self.search.highlight(compiled, summary["title"], summary["excerpt"]))
        return out

    def facet_counts_json(
        self, facets: Sequence[str], selection: Selection | SearchSelection, size: int
    ) -> bytes:
        """The ``size`` most common values of each facet among the selection (exact);
        :class:`~.search.SearchTooBroad` if a search's matches are too many to count."""
        if isinstance(selection, SearchSelection):
            if selection.total * len(facets) > MAX_FACET_WORK:
                raise SearchTooBroad(
                    f"Counting {len(facets)} facet(s) over {selection.total:,} matches is more "
                    f"than a request may do ({MAX_FACET_WORK:,} values); narrow the search "
                    "or ask for fewer facets.",
                    "facets",
                )
            sizes = {facet: self.facets.size(facet) for facet in facets}
            query = selection.compiled.query
            most_topics = self.facets.most_topics
            counts = self.search.facet_counts(query, sizes, size, most_topics)
            # The engine's ``size`` + 1 most common values decide the ``size`` shown
            # unless a tie crosses the cut (ties go by id): then every value is counted.
            unsure = {
                f: sizes[f]
                for f in facets
                if f not in COUNTED_IN_FULL and not self.facets.decided(f, counts[f], size)
            }
            counts.update(self.search.facet_counts(query, unsure, None, most_topics))
            return self.facets.counts_json_from(facets, counts, size)
        return self.facets.counts_json(facets, selection.all_positions(), size)

    def suggest(self, text: str, limit: int) -> list[dict]:
        """Completions of ``text`` for a search box (see :class:`.suggest.Suggester`)."""
        return self.suggester.suggest(text, limit)

    def sort_key(self, sort: str, position: int) -> tuple[float | str | None, str]:
        """The article's place in ``sort`` as plain values, ``(value, id)``, which stay
        meaningful in any later index (for cursors). ``None``: no value."""
        field = sort.lstrip("-")
        if field == "title":
            return self.title(position), self.ids[position]
        value = float(self._sort_columns[field][position])
        return (None if np.isnan(value) else value), self.ids[position]

    def order_key(self, sort: str, rank: int) -> int | None:
        """The search index's order key (:mod:`.order_keys`) of place ``rank`` in
        ``sort`` order (None: past the end)."""
        order = self._views[sort].order
        return int(self._order_keys[sort][order[rank]]) if rank < len(order) else None

    def rank_after(self, sort: str, key: tuple[float | str | None, str]) -> int:
        """The first place in ``sort`` order after ``key`` (which need not be indexed)."""
        order = self._views[sort].order
        return bisect.bisect_right(
            range(len(order)),
            _comparable(sort, key),
            key=lambda rank: _comparable(sort, self.sort_key(sort, int(order[rank]))),
        )

    def summaries_json(self, positions: np.ndarray, extras: list[bytes] | None = None) -> bytes:
        """The articles at ``positions`` as a JSON array of ``ArticleSummarySchema``;
        ``extras`` (one per article) are JSON members to append to each, like
        ``b',"highlight":{...}'``."""
        if not len(positions):
            return b"[]"
        blob = self._blob
        bounds = zip(
            self._start[positions].tolist(), self._summary_end[positions].tolist(), strict=True
        )
        if extras is not None:
            return (
                b"["
                + b",".join(blob[a:b] + x + b"}" for (a, b), x in zip(bounds, extras, strict=True))
                + b"]"
            )
        return b"[" + b"},".join(blob[a:b] for a, b in bounds) + b"}]"

    def summaries_ndjson(self, positions: np.ndarray) -> bytes:
        """The articles at ``positions`` as ``ArticleSummarySchema`` JSON, one per line
        (NDJSON: each line ends with a newline; JSON has none inside)."""
        blob = self._blob
        bounds = zip(
            self._start[positions].tolist(), self._summary_end[positions].tolist(), strict=True
        )
        return b"".join(blob[a:b] + b"}\n" for a, b in bounds)


_TITLE_MEMBER = b'"title":"'  # where the title's JSON string starts, in a summary
# Every article's JSON, as two parts: its summary (``ArticleSummarySchema`` without the
# closing brace) and the rest (body, images, related items...). A built blob holds every
# summary first, in position order, then every rest: a list page, a search or an export
# reads only summaries, which then lie together (a quarter of the file), so the pages a
# server maps, and the page cache it needs, stay that size, however many articles are
# listed. A patch appends each added article whole, and only the rest of one whose
# related items changed.
BLOB_FILE = "articles.json.bin"
ARRAYS_FILE = "arrays.bin"  # every numpy array of the index, aligned
STATE_FILE = "state.pickle"  # the rest, referring to those arrays
SEARCH_FOLDER = "search"
ALIGN = 64


def _map(path: Path) -> mmap.mmap | None:
    """``path`` mapped read-only (None when empty: an empty file cannot be mapped)."""
    with path.open("rb") as fh:
        if not os.fstat(fh.fileno()).st_size:
            return None
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


class IdTable:
    """Article ids in position order (which is id order), as one fixed-width bytes array:
    an id's position is a binary search, and the table maps like any array."""

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = keys

    @classmethod
    def of(cls, ids: list[str]) -> IdTable:
        """``ids`` must be sorted (as ``str``, which is their UTF-8 bytes' order)."""
        encoded = [i.encode() for i in ids]
        width = max(map(len, encoded), default=1)
        return cls(np.array(encoded, dtype=f"S{width}").reshape(len(encoded)))

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, position: int | slice) -> str | list[str]:
        if isinstance(position, slice):
            return [key.decode() for key in self.keys[position].tolist()]
        return self.keys[position].decode()

    def __iter__(self):
        return (key.decode() for key in self.keys.tolist())

    def position(self, article_id: str) -> int | None:
        key = article_id.encode()
        if not key or len(key) > self.keys.dtype.itemsize or b"\0" in key:
            return None
        i = int(np.searchsorted(self.keys, key))
        return i if i < len(self.keys) and self.keys[i] == key else None


class PathTable:
    """Each article's content file (relative path), sorted, with the article's
    position: which article a changed or deleted file was, by binary search."""

    def __init__(self, paths: np.ndarray, positions: np.ndarray) -> None:
        self.paths = paths  # fixed-width UTF-8, ascending
        self.positions = positions  # int64, aligned with paths

    @classmethod
    def of(cls, paths: list[str]) -> PathTable:
        """``paths`` by position."""
        listed = [p.encode() for p in paths]
        encoded = np.array(listed, f"S{max(map(len, listed), default=1)}")
        order = np.argsort(encoded, kind="stable")
        return cls(encoded[order], order.astype(np.int64))

    def position(self, path: str) -> int | None:
        key = path.encode()
        if not key or len(key) > self.paths.dtype.itemsize or key.endswith(b"\0"):
            return None
        i = int(np.searchsorted(self.paths, key))
        if i < len(self.paths) and self.paths[i] == key:
            return int(self.positions[i])
        return None

    def patched(self, moved: np.ndarray, added: list[str], at: np.ndarray) -> PathTable:
        """After a patch: ``moved`` each previous position's new one (-1: gone), the
        ``added`` paths at new positions ``at``."""
        new = moved[self.positions]
        stays = new >= 0
        encoded = [p.encode() for p in added]
        width = max([self.paths.dtype.itemsize] + [len(p) for p in encoded])
        paths = self.paths[stays].astype(f"S{width}")
        fresh = np.array(encoded, f"S{width}")
        by = np.argsort(fresh, kind="stable")
        where = np.searchsorted(paths, fresh[by])
        return PathTable(np.insert(paths, where, fresh[by]), np.insert(new[stays], where, at[by]))


class SortedView:
    """The articles in one sort order, with everything a filter needs in that order.

    Ranks are places in this order. Posting lists hold ranks (ascending) and columns are
    indexed by rank, so matches never need sorting: a query starts from its shortest
    posting list (already in order) and narrows it by the other filters, in time that
    grows mostly with that list (a second, rare value costs one pass to mark it). Only
    a query with no topic, provider, category or type filter scans a whole column.
    """

    def __init__(
        self,
        order: np.ndarray,
        columns: dict[str, np.ndarray],
        fields: dict[str, Field],
        members: dict[str, dict[str, np.ndarray]],
    ) -> None:
        """``columns`` and ``fields`` by position; ``members``: see :meth:`_union`."""
        self.order = order  # rank -> position
        self.members = members
        self.columns = {name: values[order] for name, values in columns.items()}
        self.postings = {group: field.grouped(order) for group, field in fields.items()}

    def patched(
        self,
        keys: np.ndarray,
        moved: np.ndarray,
        added: np.ndarray,
        columns: dict[str, np.ndarray],
        fields: dict[str, Field],
        old_fields: dict[str, Field],
        members: dict[str, dict[str, np.ndarray]],
    ) -> SortedView:
        """This view after a patch (see :meth:`ContentIndex._derive`): the kept articles
        stay in their order (their keys did not change), each added one goes where its
        sort key (``keys``, by new position), then its position, puts it."""
        kept = moved[self.order]
        stays = kept >= 0
        kept_order = kept[stays].astype(self.order.dtype)
        kept_keys = keys[kept_order]
        added = added[np.lexsort((added, keys[added]))]
        added_keys = keys[added]
        lo = np.searchsorted(kept_keys, added_keys, "left").tolist()
        hi = np.searchsorted(kept_keys, added_keys, "right").tolist()
        at = [  # among equal keys, by position
            a + int(np.searchsorted(kept_order[a:b], p))
            for a, b, p in zip(lo, hi, added.tolist(), strict=True)
        ]
        order = np.insert(kept_order, at, added.astype(self.order.dtype))
        placed = np.array(at, np.int64) + np.arange(len(added))  # the added ones' ranks
        fresh = np.zeros(len(order), np.bool_)
        fresh[placed] = True
        rank_map = np.full(len(self.order), -1, np.int32 if len(order) < (1 << 31) else np.int64)
        rank_map[stays] = np.flatnonzero(~fresh)
        view = SortedView.__new__(SortedView)
        view.order = order
        view.members = members
        # (In order already: the kept values as they were, the added ones inserted.)
        view.columns = {
            name: np.insert(self.columns[name][stays], at, values[added])
            for name, values in columns.items()
        }
        view.postings = {}
        for group, field in fields.items():
            entries = [(field.values_of(p), r) for p, r in zip(added, placed, strict=True)]
            codes = np.concatenate([c for c, _ in entries] or [np.zeros(0, np.int32)])
            ranks = np.concatenate(
                [np.full(len(c), r, np.int64) for c, r in entries] or [np.zeros(0, np.int64)]
            )
            view.postings[group] = self.postings[group].patched(
                field.values, field.value_map(old_fields[group]), rank_map, (codes, ranks)
            )
        return view

    def select(
        self, flt: ArticleFilter, sort: str, views: dict[str, SortedView] | None = None
    ) -> Selection:
        """The matches of ``flt`` in this view, whose sort is ``sort``; ``views`` (every
        view, by sort) lets a range on another column be counted where it is a span."""
        groups = [
            ("topics", flt.topics),
            ("providers", flt.providers),
            ("categories", flt.categories),
            ("types", flt.types),
            ("topics", (flt.in_topic,) if flt.in_topic else ()),
            ("providers", (flt.in_provider,) if flt.in_provider else ()),
        ]
        lists = sorted(
            ((*self._union(group, values), (group, values)) for group, values in groups if values),
            key=lambda found: len(found[0]),
        )
        conditions = self._conditions(flt)
        # A range on the sort's own column (dates in a date order, a minimum quality in
        # a quality order) is a span of ranks: two binary searches, no scan.
        lo, hi = 0, len(self.order)
        field = sort.lstrip("-")
        if field in RANGE_SORTS:
            own = [(test, value) for name, _, test, value in conditions if name == field]
            lo, hi = _span(self.columns[field], own, sort.startswith("-"))
            conditions = [condition for condition in conditions if condition[0] != field]
        counted = self._counted(lists, conditions, lo, hi, views)
        if counted is not None:
            return counted
        if lists:
            if len(lists) == 2 and not conditions and lo == 0 and hi == len(self.order):
                both = self._both_common(lists)
                if both is not None:
                    return both
            # Start from the shortest posting list and keep what the others also hold.
            ranks = lists[0][0]
            if lo or hi < len(self.order):
                ranks = ranks[_find(ranks, lo) : _find(ranks, hi)]
            for other, member, _ in lists[1:]:
                # (``take`` and ``compress``: numpy's plain gathers, about twice as fast
                # as indexing with an array for a few thousand ranks)
                if member is not None:  # a mask over positions
                    ranks = ranks.compress(member.take(self.order.take(ranks)))
                elif len(ranks) * LOOKUP_RATIO < len(other):  # a few, in a long list
                    ranks = ranks.compress(_held(other, ranks))
                else:
                    in_other = np.zeros(len(self.order), np.bool_)
                    in_other[other] = True
                    ranks = ranks.compress(in_other.take(ranks))
            for _, column, test, value in conditions:
                ranks = ranks.compress(test(column.take(ranks), value))
            return Selection(self.order, ranks)
        if not conditions:
            return Selection(self.order, None, lo=lo, hi=hi)
        tests = [_column_test(column, test, value) for _, column, test, value in conditions]
        return Selection(self.order, None, lo=lo, hi=hi, mask=_all_pass(tests, slice(lo, hi)))

    def _both_common(
        self, lists: list[tuple[np.ndarray, np.ndarray | None, tuple[str, tuple[str, ...]]]]
    ) -> TestedSelection | None:
        """Two common values (both with a membership mask: a topic and a category, say):
        their matches counted by and-ing the two masks (a pass over one byte an article,
        ~65 µs at 1,000,000, where looking up each of a long list's ranks in the other's
        mask costs ~800 µs), the page found by testing the shorter list's ranks from the
        first, a chunk at a time. None unless both have a mask and the shorter list is
        long enough for that to pay (:data:`BOTH_MASKS_MIN_FRACTION`)."""
        (ranks, mine, _), (_, theirs, _) = lists
        if mine is None or theirs is None or len(ranks) * BOTH_MASKS_MIN_FRACTION < len(mine):
            return None  # (a shorter list is cheaper to look up rank by rank)
        total = int(np.count_nonzero(np.logical_and(mine, theirs)))
        return TestedSelection(self.order, ranks, [_member_test(self.order, theirs)], total)

    def _counted(
        self,
        lists: list[tuple[np.ndarray, np.ndarray | None, tuple[str, tuple[str, ...]]]],
        conditions: list[tuple[str, np.ndarray, np.ufunc, float]],
        lo: int,
        hi: int,
        views: dict[str, SortedView] | None,
    ) -> TestedSelection | None:
        """When the conditions hold a range on another column (``from`` and ``to`` with
        a sort by quality, say), at most one posting list of one value and nothing on
        the sort's own column: the matches counted in the view sorted by the ranged
        column whose span is narrowest, where that range is a span and the posting list
        is sorted (binary searches), and any other condition is tested over the span
        only, on that view's own columns (contiguous); the page found by testing
        candidates in this order, a chunk at a time. Else None: every candidate is
        tested."""
        if views is None or not conditions or lo or hi < len(self.order) or len(lists) > 1:
            return None
        ranged = {name for name, *_ in conditions if name in RANGE_SORTS}
        if not ranged:
            return None
        spans = {
            name: _span(
                views[name].columns[name],
                [(test, value) for field, _, test, value in conditions if field == name],
                False,
            )
            for name in ranged
        }
        field = min(spans, key=lambda name: spans[name][1] - spans[name][0])
        other = views[field]  # ascending by ``field``
        first, last = spans[field]
        # The other conditions, on the counting view's own columns.
        rest = [
            _column_test(other.columns[name], test, value)
            for name, _, test, value in conditions
            if name != field
        ]
        tested = [_column_test(own, test, value) for _, own, test, value in conditions]
        if not lists:
            total = last - first
            if rest:
                total = int(np.count_nonzero(_all_pass(rest, slice(first, last))))
            return TestedSelection(self.order, None, tested, total)
        ranks, _, (group, values) = lists[0]
        if len(values) != 1:  # a union of values is listed in no view
            return None
        theirs = other.postings[group].get(values[0], _NONE)
        theirs = theirs[_find(theirs, first) : _find(theirs, last)]
        total = len(theirs)
        if rest:
            total = int(np.count_nonzero(_all_pass(rest, theirs)))
        return TestedSelection(self.order, ranks, tested, total)

    def _conditions(self, flt: ArticleFilter) -> list[tuple[str, np.ndarray, np.ufunc, float]]:
        """The non-posting filters as ``(field, column, comparison, value)``; NaN never
        matches."""
        c = self.columns
        published = None if flt.published is None else int(flt.published)
        wanted = [
            ("published", c["published"], np.equal, published),
            ("publishedDateTime", c["publishedDateTime"], np.greater_equal, flt.after),
            ("publishedDateTime", c["publishedDateTime"], np.less, flt.before),
            ("quality", c["quality"], np.greater_equal, flt.min_quality),
            ("heat", c["heat"], np.greater_equal, flt.min_heat),
        ]
        return [condition for condition in wanted if condition[3] is not None]

    def _union(self, group: str, values: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray | None]:
        """The sorted ranks of articles having any of ``values``, and their membership
        mask over positions when there is one (a single, common value)."""
        postings = self.postings[group]
        present = [v for v in values if v in postings]
        if len(present) == 1:
            return postings[present[0]], self.members[group].get(present[0])
        if not present:
            return _NONE, None
        return np.unique(np.concatenate([postings[v] for v in present])), None


def _mask(positions: np.ndarray, n: int) -> np.ndarray:
    mask = np.zeros(n, np.bool_)
    mask[positions] = True
    return mask


_NONE = np.zeros(0, np.int32)


def _find(ranks: np.ndarray, rank: int) -> int:
    """How many of the sorted ``ranks`` are below ``rank``: ``np.searchsorted`` with the
    rank in the array's own type. Given a Python int, numpy converts the whole array
    to int64 first (posting lists are int32): a copy per call, about 0.4 ms for the
    330,000 ranks of a common topic at 1,000,000 articles."""
    return int(np.searchsorted(ranks, ranks.dtype.type(rank)))


def _held(longer: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Which of the sorted ``ranks`` the sorted ``longer`` also holds: a binary search
    for each. Cheaper than marking ``longer`` in a mask of every rank when ``ranks`` is
    much shorter (:data:`LOOKUP_RATIO`): 1,250 ranks in a list of 20,000 at 1,000,000
    articles, 17 µs against 40 µs."""
    found = np.searchsorted(longer, ranks)
    return np.take(longer, found, mode="clip") == ranks


# Two masks are and-ed (``SortedView._both_common``) when the shorter list holds this
# share of the articles or more: each rank looked up in a mask costs ~7 ns at 1,000,000
# articles (random reads), and-ing two masks ~65 µs.
BOTH_MASKS_MIN_FRACTION = 64
# Looked up one by one (``_held``) when the other list is this many times longer;
# measured: 5,000 ranks in 30,000 cost 92 µs looked up one by one, 61 µs with a mask.
LOOKUP_RATIO = 8


def _at(array: np.ndarray, places: slice | np.ndarray) -> np.ndarray:
    """``array[places]``: a view for a slice, else ``take`` (about twice as fast as
    indexing with an array)."""
    return array[places] if isinstance(places, slice) else array.take(places)


def _column_test(column: np.ndarray, test: np.ufunc, value: float) -> Callable:
    """Which ranks of a chunk (an array of ranks, or a slice) pass ``test(column[rank],
    value)``."""
    return lambda chunk: test(_at(column, chunk), value)


def _member_test(order: np.ndarray, member: np.ndarray) -> Callable:
    """Which ranks of a chunk hold the value ``member`` marks (a mask over positions)."""
    return lambda chunk: member.take(_at(order, chunk))


def _all_pass(tests: list[Callable], chunk: slice | np.ndarray) -> np.ndarray:
    """Which ranks of ``chunk`` (a slice of ranks, or an array of them) pass every test
    (:func:`_column_test`, :func:`_member_test`), as a mask over the chunk."""
    keep = None
    for test in tests:
        passed = test(chunk)
        keep = passed if keep is None else np.logical_and(keep, passed, out=keep)
    return keep


RANGE_SORTS = frozenset({"publishedDateTime", "quality", "heat"})  # numeric, NaN last
PAGE_SCAN_MAX = 10_000  # a scan's matches past this are all found at once (exports)


def _span(
    column: np.ndarray, ranges: list[tuple[np.ufunc, float]], descending: bool
) -> tuple[int, int]:
    """The ranks ``[first, last)`` whose value in ``column`` passes every ``test(value,
    ...)`` of ``ranges`` (``greater_equal`` or ``less``), the column being its order's
    own: monotonic, NaN (which passes nothing) last. Binary searches in C
    (``searchsorted``, on a reversed view for a descending order); only a column with
    missing values needs one in Python to find where they start."""
    n = len(column)
    if not ranges:
        return 0, n
    if not n or column[n - 1] == column[n - 1]:
        present = n  # the last value is a number: every value is
    else:
        present = bisect.bisect_left(range(n), True, key=lambda i: column[i] != column[i])
    first, last = 0, n
    for test, value in ranges:
        if descending:  # values >= ``value`` come first; the reversed view ascends
            boundary = present - int(np.searchsorted(column[:present][::-1], value, "left"))
            span = (0, boundary) if test is np.greater_equal else (boundary, present)
        else:
            boundary = int(np.searchsorted(column[:present], value, "left"))  # first >= value
            span = (boundary, present) if test is np.greater_equal else (0, boundary)
        first, last = max(first, span[0]), min(last, span[1])
    return first, max(first, last)


def _first_found(count: int, length: int, found_in: Callable[[int, int], np.ndarray]) -> np.ndarray:
    """The first ``count`` matches (fewer if there are fewer) of ``length`` places, where
    ``found_in(start, stop)`` gives those of places ``start`` to ``stop``: read in growing
    chunks, so a first page of a long scan reads little of it."""
    found: list[np.ndarray] = []
    total, start, size = 0, 0, max(4096, 4 * count)
    while start < length and total < count:
        chunk = found_in(start, start + size)
        found.append(chunk)
        total += len(chunk)
        start += size
        size *= 2
    return np.concatenate(found)[:count] if found else _NONE


class Selection:
    """The matches of a query in sort order, as places (ranks) in ``order``: every rank
    from ``lo`` to ``hi``; or the ranks ``ranks`` lists (ascending); or those of ``lo``
    to ``hi`` that ``mask`` marks (``mask[i]`` for rank ``lo + i``: a scan of whole
    columns), found only as far as a page needs until something needs them all."""

    __slots__ = ("_mask", "_ranks", "_total", "hi", "lo", "order")

    def __init__(
        self,
        order: np.ndarray,
        ranks: np.ndarray | None,
        *,
        lo: int = 0,
        hi: int | None = None,
        mask: np.ndarray | None = None,
    ) -> None:
        self.order = order
        self.lo = lo
        self.hi = len(order) if hi is None else hi
        self._ranks = ranks
        self._mask = mask
        self._total: int | None = None

    @property
    def ranks(self) -> np.ndarray | None:
        """Every matching rank, ascending (None: every rank from ``lo`` to ``hi``)."""
        if self._ranks is None and self._mask is not None:
            self._ranks = np.flatnonzero(self._mask) + self.lo
        return self._ranks

    @property
    def total(self) -> int:
        if self._ranks is not None:
            return len(self._ranks)
        if self._mask is None:
            return self.hi - self.lo
        if self._total is None:
            self._total = int(np.count_nonzero(self._mask))
        return self._total

    def offset_of(self, rank: int) -> int:
        """How many matches come before place ``rank`` of the sort order."""
        if self._ranks is not None:
            return _find(self._ranks, rank)
        before = min(max(rank - self.lo, 0), self.hi - self.lo)
        return before if self._mask is None else int(np.count_nonzero(self._mask[:before]))

    def positions(self, start: int, stop: int) -> np.ndarray:
        """Article positions of the matches ``start`` to ``stop`` (a page)."""
        if self._ranks is None and self._mask is None:
            return self.order[self.lo + start : min(self.lo + stop, self.hi)]
        if self._ranks is None and stop <= PAGE_SCAN_MAX:
            mask = self._mask
            marked = _first_found(stop, len(mask), lambda a, b: np.flatnonzero(mask[a:b]) + a)
            return self.order[marked[start:] + self.lo]
        return self.order[self.ranks[start:stop]]

    def all_positions(self) -> np.ndarray | None:
        """Every match's position (None: every article)."""
        ranks = self.ranks
        if ranks is not None:
            return self.order[ranks]
        if self.lo == 0 and self.hi == len(self.order):
            return None
        return self.order[self.lo : self.hi]

    def offset_after(self, index: ContentIndex, sort: str, key: tuple) -> int:
        """How many matches come up to the sort key ``key`` (a cursor's)."""
        return self.offset_of(index.rank_after(sort, key))

    def key_at(self, index: ContentIndex, sort: str, offset: int) -> tuple:
        """The sort key of the match at ``offset``, for a cursor."""
        return index.sort_key(sort, int(self.positions(offset, offset + 1)[0]))


class TestedSelection(Selection):
    """Candidates in sort order (``candidates``: ascending ranks; None: every rank) of
    which those passing every test of ``tested`` (a function of a chunk of ranks: which
    of them pass) match, their number ``total`` known already: a page is found by testing
    candidates from the first on, in growing chunks, until it is full; everything else
    tests them all, once."""

    __slots__ = ("_candidates", "_tested")

    def __init__(
        self,
        order: np.ndarray,
        candidates: np.ndarray | None,
        tested: list[Callable[[np.ndarray], np.ndarray]],
        total: int,
    ) -> None:
        super().__init__(order, None)
        self._candidates = candidates
        self._tested = tested
        self._total = total

    def _passing(self, start: int, stop: int) -> np.ndarray:
        """The candidates from place ``start`` to ``stop`` that pass."""
        # Every rank: a slice, so that columns are read in place, not gathered.
        whole = self._candidates is None
        chunk = slice(start, min(stop, len(self.order))) if whole else self._candidates[start:stop]
        keep = _all_pass(self._tested, chunk)
        return np.flatnonzero(keep) + start if whole else chunk.compress(keep)

    def _count(self) -> int:
        return len(self.order) if self._candidates is None else len(self._candidates)

    @property
    def ranks(self) -> np.ndarray:
        if self._ranks is None:
            self._ranks = self._passing(0, self._count())
        return self._ranks

    @property
    def total(self) -> int:
        return self._total

    def offset_of(self, rank: int) -> int:
        if self._ranks is not None:
            return _find(self._ranks, rank)
        before = rank if self._candidates is None else _find(self._candidates, rank)
        return len(self._passing(0, max(before, 0)))

    def positions(self, start: int, stop: int) -> np.ndarray:
        if self._ranks is not None or stop > PAGE_SCAN_MAX:
            return self.order[self.ranks[start:stop]]
        return self.order[_first_found(stop, self._count(), self._passing)[start:]]

    def all_positions(self) -> np.ndarray:
        return self.order[self.ranks]


class SearchSelection:
    """The matches of a search, ranked or sorted by the engine a page at a time.

    Relevance walks (cursors) are bound to one content version, so their cursor key is
    the offset itself; a field sort's key is the sort value and id, and the engine
    starts the next page at that rank (``rank >= r``), however deep."""

    def __init__(self, engine: SearchIndex, compiled: Compiled, sort: str) -> None:
        self.engine = engine
        self.compiled = compiled
        self.sort = sort
        self._order_by = None if sort == RELEVANCE else rank_field(sort)
        self._total: int | None = None
        self._window: tuple[int, np.ndarray] = (0, _NONE)  # the last positions fetched
        self._floor: tuple[int, int | None] | None = None  # (offset, order key) of a cursor

    @property
    def total(self) -> int:
        if self._total is None:
            self._total = self.engine.count(self.compiled.query)
        return self._total

    def positions(self, start: int, stop: int) -> np.ndarray:
        """Positions of the matches ``start`` to ``stop``: a page, or an export's next
        chunk (a stream reads on from the last window, in doubling steps)."""
        first, found = self._window
        if first <= start and stop <= first + len(found):
            return found[start - first : stop - first]
        query = self.compiled.query
        if self._floor is not None and self._floor[0] == start and self._order_by:
            # A cursor's page: start at the rank, however deep (total counted apart).
            from_rank = both(query, rank_at_least(self._order_by, self._floor[1]))
            hits = self.engine.hits(from_rank, 0, stop - start, self._order_by)
        else:
            streaming = len(found) > 0 and start == first + len(found)
            fetch = max(stop, start + 2 * len(found)) if streaming else stop
            if not streaming and start > 0 and stop > MAX_RANKED_WINDOW:
                if start >= self.total:  # a page past the end is empty, as without q
                    return _NONE
                raise SearchTooBroad(
                    f"Search results go {MAX_RANKED_WINDOW:,} deep by page number; narrow "
                    "the search, or walk further with cursor= and a field sort (sort=...).",
                    "page",
                )
            hits = self.engine.hits(query, start, fetch, self._order_by)
            self._total = hits.total
        self._window = (start, hits.positions)
        return hits.positions[: stop - start]

    def all_positions(self) -> np.ndarray:
        """Every match's position (a whole ranking: for small result sets only)."""
        return self.positions(0, self.total)

    def offset_after(self, index: ContentIndex, sort: str, key: tuple) -> int:
        """How many matches come up to the cursor key ``key``."""
        if self._order_by is None:
            return max(int(key[0]), 0)
        floor = index.order_key(sort, index.rank_after(sort, key))
        offset = self.engine.count(both(self.compiled.query, rank_below(self._order_by, floor)))
        self._floor = (offset, floor)
        return offset

    def key_at(self, index: ContentIndex, sort: str, offset: int) -> tuple:
        """The cursor key of the match at ``offset``."""
        position = int(self.positions(offset, offset + 1)[0])
        if self._order_by is None:
            return offset + 1, index.article_id(position)
        return index.sort_key(sort, position)


def _comparable(sort: str, key: tuple[float | str | None, str]) -> tuple:
    """A sort key that orders like the ``sort`` view: value (missing last), then id."""
    value, article_id = key
    if value is None:
        return (1, 0.0, article_id)
    if isinstance(value, str):
        value = (value.casefold(), value)  # as the title order was built
    if sort.startswith("-"):
        value = _Reversed(value) if isinstance(value, tuple) else -value
    return (0, value, article_id)


@functools.total_ordering
class _Reversed:
    """Orders its value backwards (a descending text sort inside an ascending tuple)."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value

    def __lt__(self, other: _Reversed) -> bool:
        return other.value < self.value


_NULL_ID = b'{"id":null'


def _with_id(item_json: bytes, article_id: str) -> bytes:
    """A related item's JSON with its ``id`` (the first field, null until now) set."""
    assert item_json.startswith(_NULL_ID), "RelatedItemSchema must dump id first"
    return b'{"id":' + orjson.dumps(article_id) + item_json[len(_NULL_ID) :]


def _set_id(item_json: bytes, article_id: str | None) -> bytes:
    """A related item's JSON (linked or not) with its ``id`` set to ``article_id``
    (an id is URL-safe: its JSON string holds no quote)."""
    if item_json.startswith(_NULL_ID):
        rest = item_json[len(_NULL_ID) :]
    else:
        rest = item_json[item_json.index(b'"', len(_ID_OPEN)) + 1 :]
    return _ID_OPEN[:-1] + (b"null" if article_id is None else orjson.dumps(article_id)) + rest


_ID_OPEN = b'{"id":"'


def match_ids(old: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each id of ``new`` (sorted fixed-width bytes, as ``IdTable.keys``), its
    position in ``old`` (the same) and whether it is there at all (where not, the
    position is 0). What a new version keeps of the previous one, and what the sync
    history diffs, start from this."""
    width = max(old.dtype.itemsize, new.dtype.itemsize)
    old_ids, new_ids = old.astype(f"S{width}"), new.astype(f"S{width}")
    at = np.searchsorted(old_ids, new_ids)
    found = at < len(old_ids)
    at = np.where(found, at, 0)
    if len(old_ids):
        found &= old_ids[at] == new_ids
    return at, found


FILTER_COLUMNS = ("publishedDateTime", "quality", "heat", "published")


def _columns_of(records: Sequence[ArticleRecord]) -> dict[str, np.ndarray]:
    """The filter (and sort) columns of ``records``, in their order; NaN or -1: none."""
    nan = float("nan")
    return {
        "publishedDateTime": np.array(
            [nan if r.published_ts is None else r.published_ts for r in records], np.float64
        ),
        "quality": np.array([nan if r.quality is None else r.quality for r in records], np.float64),
        "heat": np.array([nan if r.heat is None else r.heat for r in records], np.float64),
        "published": np.array(
            [-1 if r.published is None else int(r.published) for r in records], np.int8
        ),
    }


def _field_rows(name: str, records: Sequence[ArticleRecord]) -> list[tuple[Pair, ...]]:
    """Each record's (value id, name) pairs of field ``name`` (ids of categories and
    types lower-cased, as filters compare them)."""
    if name == "topics":
        return [r.topics for r in records]
    if name == "providers":
        return [(r.provider,) if r.provider else () for r in records]
    attribute = {"categories": "category", "types": "type"}[name]
    values = (getattr(r, attribute) for r in records)
    return [((v.lower(), v),) if v else () for v in values]


FIELDS = ("topics", "providers", "categories", "types")


def _fields_of(records: Sequence[ArticleRecord]) -> dict[str, Field]:
    return {name: Field.of(_field_rows(name, records)) for name in FIELDS}


def _hashes(texts: Iterable[str]) -> np.ndarray:
    """An 8-byte digest of each text (uint64): web URLs, matched by a vectorised search
    and then checked against the text itself."""
    digests = b"".join(hashlib.blake2b(t.encode(), digest_size=8).digest() for t in texts)
    return np.frombuffer(digests, np.uint64)


def _digest(blob: bytes, start: int, summary_end: int, rest_start: int, end: int) -> bytes:
    """The digest (ETag) of the article whose parts are at these offsets of ``blob``."""
    digest = hashlib.blake2b(blob[start:summary_end], digest_size=8)
    digest.update(blob[rest_start:end])
    return digest.digest()


def _article_json(head: bytes, items: list[bytes]) -> tuple[bytes, list[tuple[int, int]]]:
    """An article's JSON from everything before its related items (ending with
    ``,"related":[``) and those items, with each item's bounds within it."""
    bounds, size = [], len(head)
    for k, item in enumerate(items):
        size += 1 if k else 0
        bounds.append((size, size + len(item)))
        size += len(item)
    return head + b",".join(items) + _RELATED_CLOSE, bounds


def _title_ranks(
    previous: ContentIndex, added: Sequence[ArticleRecord]
) -> tuple[np.ndarray, np.ndarray]:
    """Title ranks for ``added`` consistent with ``previous``'s: equal titles, equal
    ranks; otherwise strictly between their neighbours' (binary searches of the previous
    title order, reading titles from its blob). Returns the previous articles' ranks and
    the added ones'. When two neighbours' ranks are too close for that (many arrivals
    between the same two titles), the previous ranks are made dense again first: a rank
    is only an order."""
    order = previous._views["title"].order
    n = len(order)

    def key_at(i: int) -> tuple[str, str]:
        title = previous.title(int(order[i]))
        return title.casefold(), title

    found = []  # (place in the order, whether its title is the same, key)
    for r in added:
        key = (r.title.casefold(), r.title)
        i = bisect.bisect_left(range(n), key, key=key_at)
        found.append((i, i < n and key_at(i) == key, key))
    gaps: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for i, equal, key in found:
        if not equal:
            gaps[i].append(key)
    spread = {i: sorted(set(keys)) for i, keys in gaps.items()}
    ranks = previous._columns["title"]
    for dense in (False, True):
        if dense:  # (each rank the number of distinct ones below it)
            ranks = np.unique(ranks, return_inverse=True)[1].astype(np.float64)
        out = np.empty(len(added), np.float64)
        for j, (i, equal, key) in enumerate(found):
            if equal:
                out[j] = ranks[order[i]]
                continue
            lo = float(ranks[order[i - 1]]) if i > 0 else float(ranks[order[0]]) - 1.0 if n else 0.0
            hi = float(ranks[order[i]]) if i < n else lo + 1.0
            keys = spread[i]
            out[j] = lo + (hi - lo) * (keys.index(key) + 1) / (len(keys) + 1)
            if not lo < out[j] < hi:
                break
        else:
            return ranks, out
    raise AssertionError("dense ranks always leave room")


def _directories(fields: dict[str, Field], published_ts: np.ndarray) -> tuple[Directory, Directory]:
    """Providers and topics, each with its most common name, count and newest date."""

    def entries(group: str) -> list[dict]:
        field = fields[group]
        counts, latest = field.counts().tolist(), field.latest(published_ts).tolist()
        return [
            {
                "id": entry_id,
                "name": name,
                "articleCount": count,
                "latestPublishedDateTime": dt.datetime.fromtimestamp(newest, dt.UTC)
                if math.isfinite(newest)
                else None,
            }
            for entry_id, name, count, newest in zip(
                field.values, field.names, counts, latest, strict=True
            )
        ]

    providers = [{**entry, "domain": entry["id"]} for entry in entries("providers")]
    return Directory(providers, ProviderSchema()), Directory(entries("topics"), TopicSchema())


def _patchable(content: FolderContent, previous: ContentIndex | None) -> Changes | None:
    """What changed since ``previous``, when the index of ``content`` can be ``previous``
    patched (:meth:`ContentIndex._patch`) rather than assembled."""
    changes = content.changes
    if changes is None or previous is None or changes.base != previous.version:
        return None
    n = len(previous)
    if n < INCREMENTAL_MIN_ARTICLES or previous._has_duplicates:
        return None  # small: assembling costs little; duplicates: file order decides
    if previous._blob_garbage > BLOB_MAX_GARBAGE * len(previous._blob):
        return None  # written whole again, without what no article uses
    return changes


def _unique(records: list[ArticleRecord]) -> tuple[list[ArticleRecord], list[Skipped]]:
    """Keep the first record of each id (in file order); report the others."""
    first: dict[str, str] = {}
    kept, duplicates = [], []
    for r in records:
        if r.id in first:
            duplicates.append(Skipped(r.path, f"duplicate id '{r.id}' (also in {first[r.id]})"))
        else:
            first[r.id] = r.path
            kept.append(r)
    return kept, duplicates


def _ranks(keys: list[tuple]) -> np.ndarray:
    """Each key's rank in sorted order (equal keys share a rank)."""
    distinct = sorted(set(keys))
    rank = {k: i for i, k in enumerate(distinct)}
    return np.array([rank[k] for k in keys], np.int64)
