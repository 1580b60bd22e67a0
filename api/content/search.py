"""Full-text search over the articles, with tantivy (see docs/decisions/0015).

tantivy (the Rust engine, through its official Python bindings) keeps an inverted index
on disk and answers from memory-mapped files. Only the page shown is ranked (BM25 with
per-field boosts, top-k); totals and facet counts are the engine's count and terms
aggregations over every match, computed without scoring. Filters and field sorts run
inside the engine too (fast fields), so a search never hands every match to Python.

Linguistics: tantivy's simple tokenizer (letters and digits; ``_`` separates), lower
case, ASCII folding (``é`` → ``e``), the English Snowball stemmer (``robots`` →
``robot``). Queries come from :mod:`schemas.search_syntax` and are built as query
objects, never parsed from text, so a user's characters are never engine syntax.

Storage: :meth:`SearchIndex.build` writes a folder (tantivy segment files and
``meta.json``, which names them by relative name only, so the folder can be renamed);
:meth:`SearchIndex.open` maps it read-only in milliseconds. Each process opens its own
reader (a reader never crosses a fork), and the pages are shared between processes
through the page cache. Documents carry the article's place in id order as a fast
field (``key``); a full build writes them in that order into an index sorted by it.

A new content version need not rebuild the index (:meth:`SearchIndex.update`): the
previous version's segment files are linked into the new folder (segments never change
once written), the documents of removed and changed articles are deleted and those of
added and changed ones added, as a small segment of their own. That is why places are
:mod:`.order_keys` (spaced integers an arrival slots between), not dense ranks: an
added article moves no other document. Statistics (BM25's document frequencies) count
a deleted document until its segment is merged, so scores after an update can differ a
little from a fresh build's; which articles match, their totals, facet counts and field
sorts are the same.

Fields (none stored: titles and excerpts for highlights come from the content index):

- ``title``, ``excerpt``, ``body``, ``topics``, ``provider``: the analysed text;
- ``words``: title words folded but not stemmed (suggestions: a half-typed word is a
  prefix of the stored one); ``pairs``: each two of them in a row as one term
  (``facial_recognition``: suggestions of several words);
- ``stem_pairs``: each two words in a row of the title, the excerpt and the body, as
  the text fields hold them (stemmed), as one term (``climat_chang``). A phrase in those
  fields matches only documents that have all its pairs, so the engine reads word
  positions in those few documents, not in every one that has all its words (as
  Elasticsearch's ``index_phrases``; decision 0015, "Update (session 19)");
- ``f_topic``, ``f_provider``, ``f_category``, ``f_type``, ``f_year``: filter values
  (raw), facet values too (fast) but for topics; ``published``, ``ts``, ``quality``,
  ``heat``: filter columns;
- ``f_topic_0`` to ``f_topic_3``: an article's first four topics, one per field, ``""``
  where it has fewer, and ``f_topic_more`` the rest: the topic facet counts these. A
  column with one value for every document is read about four times faster than one
  with several (``f_topic``'s), so the four are counted apart and added up
  (decision 0015, "Update (session 19)");
- ``key`` and one ``rank_*`` per sort: each article's order key (:mod:`.order_keys`)
  in id order and in that sort's order.
"""

from __future__ import annotations

import atexit
import html
import itertools
import json
import math
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import tantivy
from tantivy import Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from schemas.query import ARTICLE_SORTS, FACETS
from schemas.search_syntax import SearchQuery, Term

# Field weights: title above excerpt above topic names; provider name above body.
WEIGHTS = {"title": 10.0, "excerpt": 4.0, "topics": 3.0, "provider": 2.0, "body": 1.0}
STEMMED = "news_en"
FOLDED = "news_fold"
SPLIT = "news_split"  # terms made in Python (analysed words, pairs): split at spaces
PAIR = "_"  # joins two words into one ``pairs`` term (a word never holds one)
PAIRED_TEXT = ("title", "excerpt", "body")  # the fields whose pairs ``stem_pairs`` holds
FACET_FIELDS = {facet: f"f_{facet}" for facet in FACETS}
TOPIC_SLOTS = tuple(f"f_topic_{i}" for i in range(4))  # an article's first topics
MORE_TOPICS = "f_topic_more"  # its topics past those
COUNTED_IN_FULL = frozenset({"topic"})  # facets whose every value facet_counts returns
SNIPPET_TOKENS = 24
KEEP_SECONDS = 3600  # an old search folder is kept this long after a newer one
# The indexing thread's memory budget. Reaching it writes out a segment, and every
# search then runs once per segment: 256 MB made five at 1,000,000 articles, and one
# segment answers searches 6-22% faster there (bench/RESULTS.md, session 18). Memory is
# taken as documents come, not up front: the same peak at 100,000 articles, 0.65 GB more
# at 1,000,000 (the segment is held until the end). tantivy allows up to 4 GB a thread:
# one segment up to about 2,500,000 articles.
WRITER_HEAP = 3_000_000_000
# Bounded work: what a search may read, in postings (one document of one term in one
# field); each costs a few nanoseconds to intersect, unite and count. A search over it
# is a 400 that says why. Set on 1,000,000 articles so that what is answered stays
# under 50 ms in-process (decision 0015, "Update (session 9)"; bench/search_profile.py).
MAX_POSTINGS = 2_000_000
MAX_TERMS_UNITED = 32  # filter values searched as a union of terms; more: a term set
# A phrase reads the word positions of the documents where its words (and pairs) all
# occur: at most as many as its shortest list has, each costing this many postings
# (_Budget.charge_phrase; 12-16 ns a charged posting for common pairs at 1,000,000).
PHRASE_COST = 4
PREFIX_COST = 2  # one of a prefix's words counts this many (each expanded into a bitset)
MAX_EXPANSIONS = 1_000  # distinct words one prefix (word*) may stand for, per field
PHRASE_PREFIX_WORDS = 50  # the words the engine's phrase prefix query expands to, at most
# Relevance ranks the first `stop` matches for a page; deeper than this, a page is a 400
# (an export streams on, in growing windows).
MAX_RANKED_WINDOW = 10_000
# Facet counts read each match's values: at most this many (matches x facets) a request.
# About 5 ns each at 1,000,000 articles since topics are counted from their slots (777,389
# matches with five facets: 21.5 ms, search included), so five facets of every article of
# 1,000,000 are counted (decision 0015, "Update (session 21)").
MAX_FACET_WORK = 5_000_000
COMMON_TITLE_WORD = 1_000  # similar articles ignore title words in more titles (and 10%)
_WORD = re.compile(r"[^\W_]+")


class SearchTooBroad(ValueError):
    """The search would read more of the index than a request may; the message says why
    (a 400 on ``parameter``)."""

    def __init__(self, message: str, parameter: str = "q") -> None:
        super().__init__(message)
        self.parameter = parameter


def _analyzer(stem: bool) -> tantivy.TextAnalyzer:
    builder = TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.lowercase())
    builder = builder.filter(Filter.ascii_fold())
    if stem:
        builder = builder.filter(Filter.stemmer("english"))
    return builder.build()


_STEM = _analyzer(True)
_FOLD = _analyzer(False)


def title_words(text: str) -> list[str]:
    """The words the ``words`` field (suggestions) holds of ``text``: split, folded."""
    return _FOLD.analyze(text)


def rank_field(sort: str) -> str:
    """The fast field holding each article's place in ``sort`` order."""
    return f"rank_desc_{sort[1:]}" if sort.startswith("-") else f"rank_asc_{sort}"


SORTS = tuple(f"{sign}{key}" for key in ARTICLE_SORTS for sign in ("", "-"))


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("key", indexed=True, fast=True)
    for name in WEIGHTS:
        # (The paired fields' words come analysed: their pairs need them anyway.)
        tokenizer = SPLIT if name in PAIRED_TEXT else STEMMED
        builder.add_text_field(name, tokenizer_name=tokenizer, index_option="position")
    builder.add_text_field("words", tokenizer_name=FOLDED, index_option="position")
    builder.add_text_field("pairs", tokenizer_name=SPLIT, index_option="position")
    builder.add_text_field("stem_pairs", tokenizer_name=SPLIT, index_option="basic")
    for name in FACET_FIELDS.values():
        # (Topics are counted from their slots: f_topic is only searched.)
        fast = name != FACET_FIELDS["topic"]
        builder.add_text_field(name, tokenizer_name="raw", fast=fast, index_option="basic")
    for name in (*TOPIC_SLOTS, MORE_TOPICS):
        builder.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    builder.add_integer_field("published", fast=True)
    for name in ("ts", "quality", "heat"):
        builder.add_float_field(name, fast=True)
    for sort in SORTS:
        builder.add_unsigned_field(rank_field(sort), fast=True)
    return builder.build()


SCHEMA = _schema()


class SearchRow(NamedTuple):
    """What the search index knows of one article (the one whose order key in id order
    is ``key``)."""

    key: int
    title: str
    excerpt: str
    body: str
    topic_names: Sequence[str]
    provider_name: str | None
    topic_ids: Sequence[str]
    provider_id: str | None
    category: str | None  # lower-cased, as filters compare it
    type: str | None  # lower-cased
    year: str | None
    published: bool | None
    published_ts: float | None
    quality: float | None
    heat: float | None
    ranks: dict[str, int]  # sort -> order key in that order


# -- building -----------------------------------------------------------------

# A process forked while another thread writes the index would inherit the writer's
# locks held; no fork happens while an index is written (as with the database before).
_WRITING = threading.Lock()
os.register_at_fork(
    before=_WRITING.acquire,
    after_in_parent=_WRITING.release,
    after_in_child=_WRITING.release,
)


def _document(row: SearchRow) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_unsigned("key", row.key)
    doc.add_text("words", row.title)
    doc.add_text("pairs", " ".join(_pairs(title_words(row.title))))
    # Analysed here once, for the field and its pairs (each field's own: no pair spans
    # two fields); the same terms and positions as the engine's own analysis.
    pairs = []
    for name in PAIRED_TEXT:
        words = _STEM.analyze(getattr(row, name))
        doc.add_text(name, " ".join(words))
        pairs += _pairs(words)
    doc.add_text("stem_pairs", " ".join(pairs))
    for name in row.topic_names:
        doc.add_text("topics", name)
    if row.provider_name:
        doc.add_text("provider", row.provider_name)
    topics = row.topic_ids  # (distinct: the seed schema keeps one of each id)
    for topic in topics:
        doc.add_text("f_topic", topic)
    for i, slot in enumerate(TOPIC_SLOTS):
        doc.add_text(slot, topics[i] if i < len(topics) else "")  # a value for every one
    for topic in topics[len(TOPIC_SLOTS) :]:
        doc.add_text(MORE_TOPICS, topic)
    for name, value in (
        ("f_provider", row.provider_id),
        ("f_category", row.category),
        ("f_type", row.type),
        ("f_year", row.year),
    ):
        if value:
            doc.add_text(name, value)
    doc.add_integer("published", -1 if row.published is None else int(row.published))
    for name, value in (("ts", row.published_ts), ("quality", row.quality), ("heat", row.heat)):
        if value is not None and not math.isnan(value):
            doc.add_float(name, float(value))
    for sort, rank in row.ranks.items():
        doc.add_unsigned(rank_field(sort), int(rank))
    return doc


def _create(folder: Path, rows: Iterable[SearchRow]) -> None:
    """Write the index of ``rows`` (in id order) into the empty ``folder``."""
    index = tantivy.Index(SCHEMA, path=str(folder), reuse=False, sort_by_field="key")
    _register(index)
    _write(index, folder, (), rows)


def _update(
    previous: Path, folder: Path, removed: Sequence[int], rows: Iterable[SearchRow]
) -> None:
    """Write into the empty ``folder`` the index in ``previous`` without the documents
    whose keys are ``removed``, with ``rows`` added. The previous segments are hard
    links (tantivy never writes a segment file twice; its metadata is copied), so the
    previous index stays as it was."""
    for entry in os.scandir(previous):
        if entry.name.startswith(".tantivy-"):
            continue  # lock files
        if entry.name.endswith(".json"):  # meta.json, .managed.json: rewritten here
            shutil.copy2(entry.path, folder / entry.name)
        else:
            try:
                os.link(entry.path, folder / entry.name)
            except OSError:  # a file system without hard links: a copy does as well
                shutil.copy2(entry.path, folder / entry.name)
    index = tantivy.Index.open(str(folder))
    _register(index)
    _write(index, folder, removed, rows)


def _write(
    index: tantivy.Index, folder: Path, removed: Sequence[int], rows: Iterable[SearchRow]
) -> None:
    # One indexing thread: documents stay in id order and in few segments.
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
    if len(removed):
        keys = [int(k) for k in removed]
        writer.delete_documents_by_query(Query.term_set_query(SCHEMA, "key", keys))
    for row in rows:
        writer.add_document(_document(row))
    writer.commit()
    writer.wait_merging_threads()
    for lock in folder.glob(".tantivy-*.lock"):
        lock.unlink(missing_ok=True)


def deleted_share(folder: Path) -> float:
    """The share of the documents in the index in ``folder`` that are deleted but still
    in their segments (what an update adds to; a fresh build has none)."""
    segments = json.loads((folder / "meta.json").read_bytes())["segments"]
    total = sum(s["max_doc"] for s in segments)
    deleted = sum((s.get("deletes") or {}).get("num_deleted_docs", 0) for s in segments)
    return deleted / total if total else 0.0


def _register(index: tantivy.Index) -> None:
    index.register_tokenizer(STEMMED, _analyzer(True))
    index.register_tokenizer(FOLDED, _analyzer(False))
    index.register_tokenizer(SPLIT, TextAnalyzerBuilder(Tokenizer.whitespace()).build())


def _pairs(words: Sequence[str]) -> list[str]:
    """Each two words in a row as one term: a suggestion of several words is then a
    phrase of pairs, whose last term's start is specific (``facial_rec``), not a
    one-word start every title has (``rec``); a phrase's documents have all its pairs."""
    return list(map(PAIR.join, itertools.pairwise(words)))


# -- reading ----------------------------------------------------------------


@dataclass
class Compiled:
    """A user's search as an engine query, with what highlighting needs."""

    query: tantivy.Query
    words: frozenset[str] = frozenset()  # stemmed words to mark
    prefixes: tuple[str, ...] = ()  # folded prefixes to mark


@dataclass
class Hits:
    """One window of ranked matches."""

    positions: np.ndarray
    scores: list[float] = field(default_factory=list)
    total: int = 0


class SearchIndex:
    """The tantivy index of one content version, in ``folder``. Pickles as its folder;
    each process opens its own reader on first use. ``keys``: each article's order key
    in id order, by position (ascending), which turns the engine's documents into
    positions; the content index sets it."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.keys: np.ndarray = _NONE
        self._pid = -1
        self._searcher: tantivy.Searcher | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {"folder": self.folder}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["folder"])

    def exists(self) -> bool:
        return (self.folder / "meta.json").is_file()

    @classmethod
    def build(cls, rows: Iterable[SearchRow], folder: Path) -> SearchIndex:
        """Write the search index of ``rows`` (in id order) into ``folder``, which
        must not exist yet or is replaced: written beside it, then renamed into place."""
        return cls._written(folder, lambda tmp: _create(tmp, rows))

    @classmethod
    def update(
        cls,
        previous: SearchIndex,
        removed: Sequence[int],
        rows: Iterable[SearchRow],
        folder: Path,
    ) -> SearchIndex:
        """Write into ``folder`` the index of ``previous`` without the articles whose
        keys are ``removed`` and with ``rows`` (added or changed articles); ``previous``
        is not changed."""
        return cls._written(folder, lambda tmp: _update(previous.folder, tmp, removed, rows))

    @classmethod
    def _written(cls, folder: Path, write) -> SearchIndex:
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
        try:
            with _WRITING:
                write(tmp)
            if folder.exists():  # the same version written before: replace it
                old = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-old-"))
                os.replace(folder, old / "search")
                os.replace(tmp, folder)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return cls(folder)

    @classmethod
    def open(cls, folder: Path) -> SearchIndex:
        """Open the index in ``folder`` read-only (memory-mapped: nothing is read whole)."""
        index = cls(folder)
        index.searcher()
        return index

    def searcher(self) -> tantivy.Searcher:
        """This process's searcher (one snapshot: the folder never changes)."""
        if self._pid != os.getpid() or self._searcher is None:
            with self._lock:
                if self._pid != os.getpid() or self._searcher is None:
                    index = tantivy.Index.open(str(self.folder))
                    _register(index)
                    index.config_reader(reload_policy="Manual")
                    self._searcher = index.searcher()
                    self._pid = os.getpid()
        return self._searcher

    # -- queries --------------------------------------------------------------

    def compile(self, search: SearchQuery | None, flt: Any = None) -> Compiled:
        """The engine query for ``search`` (None: every article) within the filter
        ``flt`` (an :class:`~api.content.index.ArticleFilter`); raises
        :class:`SearchTooBroad` when it would read too much."""
        budget = _Budget(self.searcher())
        words: set[str] = set()
        prefixes: list[str] = []
        clauses: list[tuple[Occur, tantivy.Query]] = []
        if search is not None:
            for group in search.groups:
                alternatives = []
                for term in group:
                    budget.part = _shown(term)
                    alternatives.append(self._term(term, budget, words, prefixes))
                clauses.append((Occur.Must, _any(alternatives)))
            for term in search.excluded:  # read too: to be skipped
                budget.part = "-" + _shown(term)
                clauses.append((Occur.MustNot, self._term(term, budget, set(), [])))
        else:
            clauses.append((Occur.Must, Query.all_query()))
        if flt is not None:
            clauses += [(Occur.Must, Query.const_score_query(f, 0.0)) for f in _filters(flt)]
        return Compiled(Query.boolean_query(clauses), frozenset(words), tuple(prefixes))

    def _term(
        self, term: Term, budget: _Budget | None, words: set[str], prefixes: list[str]
    ) -> tantivy.Query:
        """One word or phrase (maybe a prefix) in every text field, boosted per field."""
        tokens = _STEM.analyze(term.text)
        if not tokens:
            return Query.empty_query()
        per_field = []
        if not term.prefix:
            words.update(tokens)
            pairs = _pairs(tokens)  # (none for one word)
            in_pairs = _all_pairs(pairs) if pairs else None
            paired = budget.pair_counts(pairs) if budget is not None and pairs else None
            for name, weight in WEIGHTS.items():
                if budget is not None:
                    budget.charge_phrase(name, tokens, paired if name in PAIRED_TEXT else None)
                if len(tokens) == 1:
                    q = Query.term_query(SCHEMA, name, tokens[0])
                else:
                    q = Query.phrase_query(SCHEMA, name, tokens)
                    if name in PAIRED_TEXT:  # (scored as the phrase alone)
                        q = both(q, in_pairs)
                per_field.append(Query.boost_query(q, weight))
            return _any(per_field)
        # A prefix: the last word as typed (folded) and as stemmed, both as prefixes
        # of the stemmed words in the index.
        folded = _FOLD.analyze(term.text)
        starts = list(dict.fromkeys([folded[-1], tokens[-1]])) if folded else [tokens[-1]]
        words.update(tokens[:-1])
        prefixes.extend(starts)
        for name, weight in WEIGHTS.items():
            for start in starts:
                every = None  # the start's words, once listed
                if budget is not None:
                    budget.charge(name, tokens[:-1], PHRASE_COST)
                    every = budget.expand(
                        name, start, term.text, PREFIX_COST if len(tokens) == 1 else PHRASE_COST
                    )
                if len(tokens) == 1:
                    q = self._phrase_start(name, [], start, every)
                else:
                    q = Query.regex_phrase_query(
                        SCHEMA,
                        name,
                        [re.escape(t) for t in tokens[:-1]] + [re.escape(start) + ".*"],
                    )
                per_field.append(Query.boost_query(q, weight))
        return _any(per_field)

    def hits(
        self, query: tantivy.Query, start: int, stop: int, order_by: str | None = None
    ) -> Hits:
        """Matches ``start`` to ``stop`` of ``query``, by score (ties by id within the
        window) or by the rank field ``order_by``, and how many match in all."""
        searcher = self.searcher()
        stop = min(stop, searcher.num_docs)  # tantivy allocates offset + limit up front
        if stop <= start:
            return Hits(_NONE, [], self.count(query))
        if order_by is None:
            found = searcher.search(query, stop - start, count=True, offset=start)
        else:
            found = searcher.search(
                query,
                stop - start,
                count=True,
                offset=start,
                order_by_field=order_by,
                order=tantivy.Order.Asc,
            )
        addresses = [hit[1] for hit in found.hits]
        keys = np.array(searcher.fast_field_values("key", addresses), np.int64)
        positions = np.searchsorted(self.keys, keys)
        scores = [hit[0] for hit in found.hits]
        if order_by is None and searcher.num_segments > 1:
            # One segment keeps id order among equal scores; after an update, a segment
            # of its own holds the new documents: ties go by id again.
            order = np.lexsort((positions, -np.array(scores)))
            positions, scores = positions[order], [scores[i] for i in order]
        return Hits(positions, scores, found.count)

    def count(self, query: tantivy.Query) -> int:
        return self.searcher().search(query, 1, count=True).count

    def facet_counts(
        self,
        query: tantivy.Query,
        sizes: dict[str, int],
        top: int | None = None,
        most_topics: int = len(TOPIC_SLOTS) + 1,
    ) -> dict[str, dict]:
        """Per facet (``sizes``: how many values each has), the counts among the matches
        of ``query`` of its ``top`` + 1 most common values (None: of every value). Each
        count is exact; only which values are cut off is the engine's choice, ties in
        any order. Topics come back with every value (:data:`COUNTED_IN_FULL`): the
        counts of their slots added up (``most_topics``: the most topics an article of
        the index has; slots past it are not read)."""
        if not sizes:
            return {}
        searcher = self.searcher()
        # A segment reports its `segment_size` most common values: one segment's are the
        # index's; with more, each reports every value so that each sum is exact.
        one_segment = searcher.num_segments == 1
        spec = {}
        slots = [*TOPIC_SLOTS[:most_topics]] if "topic" in sizes else []
        if slots and most_topics > len(TOPIC_SLOTS):
            slots.append(MORE_TOPICS)
        for facet, size in sizes.items():
            if facet == "topic":
                every = size + 1  # and "": no topic in that slot
                spec.update({slot: _terms(slot, every, every) for slot in slots})
                continue
            shown = max(size if top is None else min(size, top + 1), 1)
            spec[facet] = _terms(FACET_FIELDS[facet], shown, shown if one_segment else size)
        found = searcher.aggregate(query, spec) if spec else {}
        counts = {}
        for facet in sizes:
            if facet != "topic":
                counts[facet] = {b["key"]: b["doc_count"] for b in found[facet]["buckets"]}
                continue
            topics: dict[str, int] = {}
            for slot in slots:
                for bucket in found[slot]["buckets"]:
                    key = bucket["key"]
                    topics[key] = topics.get(key, 0) + bucket["doc_count"]
            topics.pop("", None)
            counts[facet] = topics
        return counts

    def doc_freq(self, field_name: str, value: str) -> int:
        return self.searcher().doc_freq(field_name, value)

    # -- similar articles and suggestions ---------------------------------------

    def similar_query(
        self,
        key: int,
        n: int,
        topic_ids: Sequence[str],
        title: str,
        provider_id: str | None,
    ) -> tantivy.Query:
        """Articles like the one whose key is ``key``: shared topics (each weighted by its
        rarity, idf, as a share of this article's own: 0 to 1), title similarity (BM25
        of this title's words in other titles, relative to the best other match: 0 to
        1), and 0.25 for the same provider; candidates share a topic or a title word
        (a word in more than a tenth of all titles, and over a thousand, does not)."""
        searcher = self.searcher()
        itself = Query.term_query(SCHEMA, "key", key)
        weights = {t: math.log(1 + n / max(searcher.doc_freq("f_topic", t), 1)) for t in topic_ids}
        total = sum(weights.values())
        reasons = [
            Query.const_score_query(Query.term_query(SCHEMA, "f_topic", t), w / total)
            for t, w in weights.items()
        ]
        raw = list(dict.fromkeys(w.casefold() for w in _WORD.findall(title) if len(w) >= 3))
        stems = list(dict.fromkeys(s for w in raw[:12] for s in _STEM.analyze(w)))
        # A word in more than a tenth of the titles (and a thousand) says little and
        # costs the most.
        common = max(n // 10, COMMON_TITLE_WORD)
        stems = [s for s in stems if searcher.doc_freq("title", s) <= common]
        if stems:
            titles = _any([Query.term_query(SCHEMA, "title", s) for s in stems])
            best = searcher.search(
                Query.boolean_query([(Occur.Must, titles), (Occur.MustNot, itself)]), 1
            ).hits
            if best and best[0][0] > 0:
                reasons.append(Query.boost_query(titles, 1.0 / best[0][0]))
        if not reasons:
            return Query.empty_query()
        clauses = [(Occur.Must, _any(reasons)), (Occur.MustNot, itself)]
        if provider_id is not None:
            same = Query.term_query(SCHEMA, "f_provider", provider_id)
            clauses.append((Occur.Should, Query.const_score_query(same, 0.25)))
        return Query.boolean_query(clauses)

    def title_matches(self, typed: str, limit: int) -> list[int]:
        """Positions of the ``limit`` hottest articles whose title has the words of
        ``typed`` in a row, the last one as a prefix (a half-typed word)."""
        words = title_words(typed)
        if not words or limit < 1:
            return []
        if len(words) == 1:
            query = self._phrase_start("words", [], words[0])
        else:  # w1 w2 rec: "w1_w2" then a term beginning "w2_rec" in ``pairs``
            pairs = _pairs(words)
            query = self._phrase_start("pairs", pairs[:-1], pairs[-1])
        return self.hits(query, 0, limit, order_by=rank_field("-heat")).positions.tolist()

    def _phrase_start(
        self, field: str, terms: list[str], start: str, every: list[str] | None = None
    ) -> tantivy.Query:
        """Documents with ``terms`` in a row in ``field``, then a term beginning with
        ``start`` (``every``: all the start's terms, when already listed). A phrase
        prefix when the start has at most ``PHRASE_PREFIX_WORDS`` terms (it expands to
        that many only), else every one of them: a term set (scored as the phrase
        prefix of one term is: a constant), or a regex phrase (slower: a common word
        start of a suggestion comes from :mod:`.title_prefixes`)."""
        searcher = self.searcher()
        some = every or searcher.terms_with_prefix(field, start, limit=PHRASE_PREFIX_WORDS + 1)
        if len(some) <= PHRASE_PREFIX_WORDS:
            return Query.phrase_prefix_query(SCHEMA, field, [*terms, start])
        if not terms:
            if every is None:
                every = [term for term, _ in searcher.terms_with_prefix(field, start)]
            return Query.term_set_query(SCHEMA, field, every)
        patterns = [re.escape(t) for t in terms] + [re.escape(start) + ".*"]
        return Query.regex_phrase_query(SCHEMA, field, patterns)

    # -- highlights -------------------------------------------------------------

    @staticmethod
    def highlight(compiled: Compiled, title: str, excerpt: str) -> dict[str, str]:
        """The title and an excerpt fragment (at most ``SNIPPET_TOKENS`` words) with the
        matched words in ``<mark>``, HTML-escaped."""
        return {
            "title": _marked(compiled, title, None),
            "excerpt": _marked(compiled, excerpt, SNIPPET_TOKENS),
        }


_NONE = np.zeros(0, np.int64)


def both(first: tantivy.Query, second: tantivy.Query) -> tantivy.Query:
    """Matches of ``first`` that ``second`` also matches (scored by ``first`` only)."""
    return Query.boolean_query(
        [(Occur.Must, first), (Occur.Must, Query.const_score_query(second, 0.0))]
    )


def rank_at_least(rank_name: str, key: int | None) -> tantivy.Query:
    """Articles whose order key in ``rank_name`` is ``key`` or more (None: past the end)."""
    if key is None:
        return Query.empty_query()
    return Query.range_query(SCHEMA, rank_name, tantivy.FieldType.Unsigned, key, None)


def rank_below(rank_name: str, key: int | None) -> tantivy.Query:
    """Articles whose order key in ``rank_name`` is below ``key`` (None: every one)."""
    if key is None:
        return Query.all_query()
    if key <= 0:
        return Query.empty_query()
    return Query.range_query(SCHEMA, rank_name, tantivy.FieldType.Unsigned, 0, key - 1)


def _terms(field_name: str, size: int, segment_size: int) -> dict:
    """A terms aggregation: the ``size`` most common values of ``field_name``."""
    return {"terms": {"field": field_name, "size": size, "segment_size": max(segment_size, 1)}}


def _all_pairs(pairs: Sequence[str]) -> tantivy.Query:
    """Documents with every one of ``pairs`` (:func:`_pairs` of a phrase's words)
    somewhere in ``PAIRED_TEXT``."""
    terms = [Query.term_query(SCHEMA, "stem_pairs", pair) for pair in pairs]
    return terms[0] if len(terms) == 1 else Query.boolean_query([(Occur.Must, t) for t in terms])


def _any(queries: list[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Should, q) for q in queries])


class _Budget:
    """Adds up the postings a search will read; over the limit, it is refused, naming
    the part of the search (``part``: a word, phrase or prefix as typed) that costs the
    most."""

    def __init__(self, searcher: tantivy.Searcher) -> None:
        self.searcher = searcher
        self.postings = 0
        self.part = ""  # the part of the search being charged
        self.parts: dict[str, int] = {}  # what each part was charged

    def _add(self, postings: int) -> None:
        self.postings += postings
        self.parts[self.part] = self.parts.get(self.part, 0) + postings

    def charge(self, field_name: str, tokens: Sequence[str], cost: int = 1) -> None:
        for token in tokens:
            self._add(cost * self.searcher.doc_freq(field_name, token))
        self._check()

    def pair_counts(self, pairs: Sequence[str]) -> list[int]:
        """How many documents have each of ``pairs`` (``stem_pairs``)."""
        return [self.searcher.doc_freq("stem_pairs", pair) for pair in pairs]

    def charge_phrase(
        self, field_name: str, tokens: Sequence[str], pair_counts: Sequence[int] | None = None
    ) -> None:
        """A word (one token): its postings. A phrase in a field whose pairs are indexed
        (``pair_counts``: :meth:`pair_counts`): the engine intersects the pairs' and the
        words' postings, led by the shortest list (the others are skipped to its
        documents), and reads positions in at most that many documents, so each list
        costs what the shortest has, and positions ``PHRASE_COST`` times that. Any other
        phrase: each word's postings once, and positions in at most as many documents
        as its rarest word is in."""
        counts = [self.searcher.doc_freq(field_name, token) for token in tokens]
        if len(counts) == 1:
            self._add(counts[0])
        elif pair_counts:
            lists = [*counts, *pair_counts]
            self._add((len(lists) + PHRASE_COST) * min(lists))
        else:
            self._add(sum(counts) + PHRASE_COST * min(counts))
        self._check()

    def expand(self, field_name: str, start: str, typed: str, cost: int) -> list[str]:
        """Charge the words ``start`` stands for in ``field_name``, and return them."""
        terms = self.searcher.terms_with_prefix(field_name, start, limit=MAX_EXPANSIONS + 1)
        if len(terms) > MAX_EXPANSIONS:
            raise SearchTooBroad(
                f"'{typed}*' stands for more than {MAX_EXPANSIONS:,} different words; "
                "type more letters before the *."
            )
        self._add(cost * sum(count for _, count in terms))
        self._check()
        return [term for term, _ in terms]

    def _check(self) -> None:
        if self.postings > MAX_POSTINGS:
            costliest = max(self.parts, key=self.parts.__getitem__)
            raise SearchTooBroad(
                "This search would read too much of the index (too many common words, "
                f"alternatives or prefixes; {costliest} costs the most); use fewer or "
                "rarer words."
            )


def _shown(term: Term) -> str:
    """A part of a search as the user would type it: ``word``, ``"a phrase"``,
    ``pre*``."""
    text = " ".join(term.text.split())
    shown = f'"{text}"' if " " in text else text
    return shown + "*" if term.prefix else shown


def _filters(flt: Any) -> list[tantivy.Query]:
    """An :class:`~api.content.index.ArticleFilter` as engine queries, AND-ed."""
    out = []
    for name, values in (
        ("f_topic", flt.topics),
        ("f_provider", flt.providers),
        ("f_category", flt.categories),
        ("f_type", flt.types),
        ("f_topic", (flt.in_topic,) if flt.in_topic else ()),
        ("f_provider", (flt.in_provider,) if flt.in_provider else ()),
    ):
        if values:
            out.append(_one_of(name, values))
    if flt.published is not None:
        value = int(flt.published)
        out.append(Query.range_query(SCHEMA, "published", tantivy.FieldType.Integer, value, value))
    if flt.after is not None or flt.before is not None:
        out.append(
            Query.range_query(
                SCHEMA,
                "ts",
                tantivy.FieldType.Float,
                flt.after,
                flt.before,
                include_upper=flt.before is None,
            )
        )
    for name, value in (("quality", flt.min_quality), ("heat", flt.min_heat)):
        if value is not None:
            out.append(Query.range_query(SCHEMA, name, tantivy.FieldType.Float, value, None))
    return out


def _one_of(field_name: str, values: Iterable[str]) -> tantivy.Query:
    """Documents with any of ``values`` in ``field_name``. A term query per value, not
    tantivy's term-set query, up to ``MAX_TERMS_UNITED`` values: a term set marks its
    documents in a bitset the size of the whole index before the search reads one, which
    made a one-word search within a topic four times slower at 100,000 articles
    (decision 0015, "Update (session 10)")."""
    values = list(dict.fromkeys(values))
    if len(values) > MAX_TERMS_UNITED:
        return Query.term_set_query(SCHEMA, field_name, values)
    return _any([Query.term_query(SCHEMA, field_name, v) for v in values])


def _hits(compiled: Compiled, text: str, words: list[str]) -> list[int]:
    """Which of the ``words`` of ``text`` (their indexes) a search matched."""
    stems = _STEM.analyze(text)
    if len(stems) != len(words):  # the engine split a word differently: one by one
        stems = [(_STEM.analyze(w) or [""])[0] for w in words]
    wanted = compiled.words
    found = [i for i, stem in enumerate(stems) if stem in wanted]
    if compiled.prefixes:
        folded = _FOLD.analyze(text)
        if len(folded) != len(words):
            folded = [(_FOLD.analyze(w) or [""])[0] for w in words]
        starts = compiled.prefixes
        found = sorted(
            {
                *found,
                *(i for i, w in enumerate(folded) if w.startswith(starts)),
                *(i for i, w in enumerate(stems) if w.startswith(starts)),
            }
        )
    return found


def _marked(compiled: Compiled, text: str, limit: int | None) -> str:
    """``text`` escaped, matched words in ``<mark>``; with ``limit``, the window of at
    most that many words with the most matches, ``…`` where it was cut."""
    words = _WORD.findall(text)
    hits = _hits(compiled, text, words) if words else []
    first, last = 0, len(words)
    if limit is not None and len(words) > limit:
        # The window of `limit` words holding the most matches (the first such).
        best, start, j = 0, 0, 0
        for i, hit in enumerate(hits):
            while hits[j] <= hit - limit:
                j += 1
            if i - j + 1 > best:
                best, start = i - j + 1, hits[j]
        first = min(start, len(words) - limit)
        last = first + limit
    if not hits and first == 0 and last == len(words):
        return html.escape(text, quote=False)
    wanted = {h for h in hits if first <= h < last}
    spans = {}
    for i, match in enumerate(_WORD.finditer(text)):
        if i >= last:
            break
        if i == first or i == last - 1 or i in wanted:
            spans[i] = match.span()
    begin = 0 if first == 0 else spans[first][0]
    end = len(text) if last == len(words) else spans[last - 1][1]
    parts = ["…"] if begin else []
    at = begin
    for i in sorted(wanted):
        a, b = spans[i]
        parts += [html.escape(text[at:a], quote=False), "<mark>"]
        parts += [html.escape(text[a:b], quote=False), "</mark>"]
        at = b
    parts.append(html.escape(text[at:end], quote=False))
    if end < len(text):
        parts.append("…")
    return "".join(parts)


# -- folders ------------------------------------------------------------------

_TEMPORARY: dict[int, Path] = {}


def temporary_folder() -> Path:
    """This process's folder for search indexes when there is no build cache (one per
    process, so reloads do not pile up folders); removed at exit by that process."""
    pid = os.getpid()
    if pid not in _TEMPORARY:
        folder = _TEMPORARY[pid] = Path(tempfile.mkdtemp(prefix="news-search-"))
        atexit.register(lambda: os.getpid() == pid and shutil.rmtree(folder, ignore_errors=True))
    return _TEMPORARY[pid]


def prune(folder: Path, pattern: str, keep: Path) -> None:
    """Remove search folders matching ``pattern`` in ``folder`` but ``keep`` and any
    made in the last hour: a worker forked with an older index (one not yet retired
    after a reload) opens its search index on its first search, so it must still be
    there."""
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob(pattern):
        try:
            if old != keep and old.stat().st_mtime < cutoff:
                if old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)
                else:
                    old.unlink()
        except OSError:
            pass
