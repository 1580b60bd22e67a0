"""The query parameters each operation accepts.

Every parameter is checked: an unknown one (a typo) or a single-valued one given twice
is a 400 that names it, so nothing is silently ignored.
"""

from __future__ import annotations

import difflib
from typing import Any

import marshmallow as ma
from flask import current_app

from api.config import Config

from .article import ArticleSchema, ArticleSummarySchema, RelatedItemSchema
from .directory import ProviderSchema, TopicSchema
from .fast_load import FastLoad
from .fields import DateOrTimestamp
from .search import ArticleListItemSchema
from .search_syntax import MAX_QUERY_LENGTH, SearchSyntaxError, parse_search
from .selection import FieldSelection

MAX_PAGE = 1_000_000_000
MAX_REPORTED = 10  # bad parameters named in one problem document
ARTICLE_SORTS = ("publishedDateTime", "quality", "heat", "title")
RELEVANCE = "relevance"
FACETS = ("topic", "provider", "category", "type", "year")
MAX_FACET_SIZE = 100
_FACET = f"(?:{'|'.join(FACETS)})"
_FACETS_PATTERN = f"^{_FACET}?(?:,{_FACET}?)*$"
MAX_SUGGEST_LENGTH = 100
DIRECTORY_SORTS = ("name", "articleCount")


def _sorts(keys: tuple[str, ...]) -> list[str]:
    return [f"{sign}{key}" for key in keys for sign in ("", "-")]


class QueryArgsSchema(ma.Schema):
    """Base of every query schema: rejects unknown and repeated parameters.

    ``fast_load`` loads a query that passes from memoized parameter values
    (:mod:`schemas.fast_load`; ``api.smorest`` uses it, then ``load`` for the rest).
    """

    class Meta:
        unknown = ma.RAISE

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Parameter name -> does it take several values? Worked out once per instance.
        self.parameters = {
            f.data_key or name: isinstance(f, ma.fields.List)
            for name, f in self.load_fields.items()
        }
        self.fast_load = FastLoad(self)

    @ma.pre_load
    def check_names(self, data: Any, **kwargs) -> Any:
        raw = getattr(data, "multi", data)  # every value of each parameter (api.smorest)
        known = self.parameters
        errors: dict[str, list[str]] = {}
        for name in raw:
            if len(errors) == MAX_REPORTED:  # the problem stays small, whatever was sent
                break
            takes_list = known.get(name)
            if takes_list is None:
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                errors[name] = [f"Unknown parameter.{hint} Known: {', '.join(sorted(known))}."]
            elif not takes_list and len(raw.getlist(name)) > 1:
                errors[name] = ["Given more than once; it takes one value."]
        if errors:
            raise ma.ValidationError(errors)
        return data


class PaginationArgsSchema(QueryArgsSchema):
    page = ma.fields.Integer(
        load_default=1,
        validate=ma.validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": "Page number, from 1. A page past the end is empty."},
    )
    pageSize = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=1),
        metadata={
            "description": "Items per page: 20 unless given, at most 100 "
            "(server settings `NEWS_API_DEFAULT_PAGE_SIZE`, `NEWS_API_MAX_PAGE_SIZE`).",
            "example": 20,
            "maximum": Config.MAX_PAGE_SIZE,  # the default; the limit itself is checked below
        },
    )

    contentVersion = ma.fields.String(
        validate=ma.validate.Regexp(
            r"^[0-9a-f]{16}$", error="Must be a content version (16 hexadecimal digits)."
        ),
        metadata={
            "description": "Set by the `prev`, `next` and `last` links: the content version "
            "(`X-Content-Version`) of the page they came from. The answer comes from that "
            "version or a newer one, never an older one, whichever server or cache answers "
            "it. A client need not set it.",
            "example": "9f2c1e0a7b3d4c5e",
        },
    )

    @ma.post_load
    def page_size_from_settings(self, data: dict[str, Any], **kwargs) -> dict[str, Any]:
        """The default and the limit are server settings, so they are applied here."""
        config = current_app.config
        size = data.get("pageSize")
        if size is None:
            data["pageSize"] = config["DEFAULT_PAGE_SIZE"]
        elif size > config["MAX_PAGE_SIZE"]:
            raise ma.ValidationError(f"Must be at most {config['MAX_PAGE_SIZE']}.", "pageSize")
        return data


def _id_list(what: str, example: str) -> ma.fields.List:
    return ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=300)),
        load_default=list,
        metadata={
            "description": f"Only articles with this {what}. Repeat the parameter or separate "
            "values with commas to match any of them; empty values are ignored.",
            "example": [example],
        },
    )


class ArticleQueryArgsSchema(PaginationArgsSchema):
    """Search, filters, sort and page of an article list. Filters combine with AND."""

    fields_ = FieldSelection(ArticleListItemSchema, data_key="fields")
    q = ma.fields.String(
        validate=ma.validate.Length(max=MAX_QUERY_LENGTH),
        metadata={
            "description": "Full-text search in titles, excerpts, bodies, topic names and "
            "provider names; case, accents and English word endings do not matter. All "
            'words must match; `"a phrase"`, `this OR that`, `-word` or `NOT word` to '
            f"exclude, `word*` for a prefix. At most {MAX_QUERY_LENGTH} characters. Results "
            "are ranked by relevance (bm25; a title match counts most, then the excerpt, "
            "then the body) unless `sort` says otherwise.",
            "example": "facial recognition",
        },
    )
    highlight = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "With `q`: add to each item `highlight`, its title and an excerpt "
            "fragment as HTML with the matched words in `<mark>` (the rest escaped)."
        },
    )
    facets = ma.fields.List(
        ma.fields.String(
            validate=ma.validate.Regexp(
                _FACETS_PATTERN, error=f"Facets are comma-separated, from: {', '.join(FACETS)}."
            )
        ),
        load_default=list,
        metadata={
            "description": "Count the result set's values of these facets (comma-separated "
            f"or repeated): {', '.join(f'`{f}`' for f in FACETS)}. The counts cover every "
            "page, with every filter and `q` applied.",
            "example": ["topic,provider"],
        },
    )
    facetSize = ma.fields.Integer(
        load_default=10,
        validate=ma.validate.Range(min=1, max=MAX_FACET_SIZE),
        metadata={"description": "How many values each facet lists, most common first."},
    )
    topic = _id_list("topic id", "computer-vision")
    provider = _id_list("provider id (its domain)", "voanews.com")
    category = _id_list("category", "news")
    type = _id_list("type", "article")
    published = ma.fields.Boolean(
        metadata={
            "description": "Only articles whose `published` flag is this value.",
            "example": True,
        }
    )
    from_ = DateOrTimestamp(
        data_key="from",
        metadata={
            "description": "Published at or after this date (`2021-06-01`, from midnight UTC) "
            "or date-time (RFC 3339).",
            "example": "2021-06-01",
        },
    )
    to = DateOrTimestamp(
        metadata={
            "description": "Published at or before this date (the whole day, UTC) or date-time.",
            "example": "2021-06-30",
        }
    )
    minQuality = ma.fields.Float(
        validate=ma.validate.Range(min=-1e12, max=1e12),
        metadata={"description": "Only articles with at least this quality.", "example": 30},
    )
    minHeat = ma.fields.Float(
        validate=ma.validate.Range(min=-1e12, max=1e12),
        metadata={"description": "Only articles with at least this heat.", "example": 10},
    )
    sort = ma.fields.String(
        validate=ma.validate.OneOf([*_sorts(ARTICLE_SORTS), RELEVANCE]),
        metadata={
            "description": "Sort key; `-` for descending. Ties go by id, so pages never overlap. "
            "Articles without the key come last either way. Default: `relevance` (best match "
            "first) with `q`, else `-publishedDateTime` (newest first).",
            "example": "-quality",
        },
    )

    cursor = ma.fields.String(
        validate=ma.validate.Length(max=2000),
        metadata={
            "description": "Walk the whole list with cursors instead of page numbers: `cursor=` "
            "(empty) gives the first page, and each page's `links.next` carries the cursor "
            "of the next one. A walk sees every matching article once, even if the content "
            "changes between requests (with `sort=relevance`, only on the content version "
            "it was made on: scores change with the content). Not with `page`; a cursor only "
            "works with the filters and sort it was made for.",
            "example": "",
        },
    )

    @ma.pre_load
    def page_or_cursor(self, data: Any, **kwargs) -> Any:
        if "cursor" in data and "page" in data:
            raise ma.ValidationError("Give either page or cursor, not both.", "cursor")
        return data

    @ma.post_load
    def as_search(self, data: dict[str, Any], **kwargs) -> dict[str, Any]:
        """Parse ``q``; choose the default sort; check what only works with ``q``."""
        text = data.pop("q", "").strip()
        try:
            data["search"] = parse_search(text) if text else None
        except SearchSyntaxError as exc:
            raise ma.ValidationError(str(exc), "q") from None
        searching = data["search"] is not None
        data.setdefault("sort", RELEVANCE if searching else "-publishedDateTime")
        if data["sort"] == RELEVANCE and not searching:
            raise ma.ValidationError("Sorting by relevance needs a search (q).", "sort")
        if data["highlight"] and not searching:
            raise ma.ValidationError("Highlighting needs a search (q).", "highlight")
        names = (name for value in data["facets"] for name in value.split(","))
        data["facets"] = tuple(dict.fromkeys(name for name in names if name))
        return data

    @ma.post_load
    def as_filter(self, data: dict[str, Any], **kwargs) -> dict[str, Any]:
        """Split comma lists, fold case, and turn dates into timestamp bounds."""
        after = before = None
        if "from_" in data:
            after = data.pop("from_")[0].timestamp()
        if "to" in data:
            to, date_only = data.pop("to")
            before = to.timestamp() + (86400 if date_only else 1e-6)
        data["filter"] = {
            "topics": _split(data.pop("topic")),
            "providers": _split(data.pop("provider")),
            "categories": _split(data.pop("category")),
            "types": _split(data.pop("type")),
            "published": data.pop("published", None),
            "after": after,
            "before": before,
            "min_quality": data.pop("minQuality", None),
            "min_heat": data.pop("minHeat", None),
        }
        return data


def _split(values: list[str]) -> tuple[str, ...]:
    """``["a,B", "c"]`` → ``("a", "b", "c")``: values are compared lower-cased."""
    if not values:  # most filters are not given
        return ()
    out = (v.strip().lower() for value in values for v in value.split(","))
    return tuple(dict.fromkeys(v for v in out if v))


class DirectoryQueryArgsSchema(PaginationArgsSchema):
    """Sort and page of the providers or topics list."""

    sort = ma.fields.String(
        load_default="name",
        validate=ma.validate.OneOf(_sorts(DIRECTORY_SORTS)),
        metadata={"description": "`name` (A-Z) or `articleCount`; `-` for descending."},
    )


class ProviderQueryArgsSchema(DirectoryQueryArgsSchema):
    """Sort, page and fields of the providers list."""

    fields_ = FieldSelection(ProviderSchema, data_key="fields")


class TopicQueryArgsSchema(DirectoryQueryArgsSchema):
    """Sort, page and fields of the topics list."""

    fields_ = FieldSelection(TopicSchema, data_key="fields")


class RelatedQueryArgsSchema(PaginationArgsSchema):
    """Page and fields of an article's related items."""

    fields_ = FieldSelection(RelatedItemSchema, data_key="fields")


class SimilarQueryArgsSchema(PaginationArgsSchema):
    """Page and fields of an article's similar articles."""

    fields_ = FieldSelection(ArticleSummarySchema, data_key="fields")


class SuggestQueryArgsSchema(QueryArgsSchema):
    """What has been typed in a search box."""

    q = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_SUGGEST_LENGTH),
        metadata={
            "description": "The text typed so far; its last word may be incomplete.",
            "example": "facial rec",
        },
    )
    limit = ma.fields.Integer(
        load_default=10,
        validate=ma.validate.Range(min=1, max=50),
        metadata={"description": "How many suggestions, at most."},
    )


class NoArgsSchema(QueryArgsSchema):
    """No parameters: any given is an error."""


class ArticleArgsSchema(QueryArgsSchema):
    """Fields of one article."""

    fields_ = FieldSelection(ArticleSchema, data_key="fields")


class ProviderArgsSchema(QueryArgsSchema):
    """Fields of one provider."""

    fields_ = FieldSelection(ProviderSchema, data_key="fields")


class TopicArgsSchema(QueryArgsSchema):
    """Fields of one topic."""

    fields_ = FieldSelection(TopicSchema, data_key="fields")


class _NotAListPageArgsSchema(ArticleQueryArgsSchema):
    """An article query answered in another shape than a JSON list page (feeds,
    exports): the same search, filters and sort. ``cursor``, ``highlight``, ``facets``
    and ``facetSize`` belong to the list page and its envelope, so they are unknown
    parameters here (400s), not silently ignored."""

    class Meta(ArticleQueryArgsSchema.Meta):
        exclude = ("cursor", "highlight", "facets", "facetSize")

    @ma.post_load
    def as_search(self, data: dict[str, Any], **kwargs) -> dict[str, Any]:
        """The list's own reading of ``q`` and ``sort``, with highlights and facets off."""
        return super().as_search({**data, "highlight": False, "facets": []}, **kwargs)


class FeedQueryArgsSchema(_NotAListPageArgsSchema):
    """An article query as a feed: search, filters, sort and pages as in the list; no
    ``fields`` (a feed item's shape is its format's) and no ``cursor`` (a reader follows
    the feed's own links)."""

    class Meta(_NotAListPageArgsSchema.Meta):
        exclude = (*_NotAListPageArgsSchema.Meta.exclude, "fields_")


class ExportQueryArgsSchema(_NotAListPageArgsSchema):
    """An article query exported whole: search, filters, sort and ``fields`` (of the
    summary) as in the list, and no pages: ``page`` and ``pageSize`` are unknown
    parameters, so asking for a page of an export is a 400 rather than ignored."""

    fields_ = FieldSelection(ArticleSummarySchema, data_key="fields")

    class Meta(_NotAListPageArgsSchema.Meta):
        exclude = (*_NotAListPageArgsSchema.Meta.exclude, "page", "pageSize", "contentVersion")
