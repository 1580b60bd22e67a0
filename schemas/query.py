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
from .fields import DateOrTimestamp
from .selection import FieldSelection

MAX_PAGE = 1_000_000_000
MAX_REPORTED = 10  # bad parameters named in one problem document
ARTICLE_SORTS = ("publishedDateTime", "quality", "heat", "title")
DIRECTORY_SORTS = ("name", "articleCount")


def _sorts(keys: tuple[str, ...]) -> list[str]:
    return [f"{sign}{key}" for key in keys for sign in ("", "-")]


class QueryArgsSchema(ma.Schema):
    """Base of every query schema: rejects unknown and repeated parameters."""

    class Meta:
        unknown = ma.RAISE

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Parameter name -> does it take several values? Worked out once per instance.
        self.parameters = {
            f.data_key or name: isinstance(f, ma.fields.List)
            for name, f in self.load_fields.items()
        }

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
    """Filters, sort and page of an article list. Filters combine with AND."""

    fields_ = FieldSelection(ArticleSummarySchema, data_key="fields")
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
        load_default="-publishedDateTime",
        validate=ma.validate.OneOf(_sorts(ARTICLE_SORTS)),
        metadata={
            "description": "Sort key; `-` for descending. Ties go by id, so pages never overlap. "
            "Articles without the key come last either way."
        },
    )

    cursor = ma.fields.String(
        validate=ma.validate.Length(max=2000),
        metadata={
            "description": "Walk the whole list with cursors instead of page numbers: `cursor=` "
            "(empty) gives the first page, and each page's `links.next` carries the cursor "
            "of the next one. A walk sees every matching article once, even if the content "
            "changes between requests. Not with `page`; a cursor only works with the filters "
            "and sort it was made for.",
            "example": "",
        },
    )

    @ma.pre_load
    def page_or_cursor(self, data: Any, **kwargs) -> Any:
        if "cursor" in data and "page" in data:
            raise ma.ValidationError("Give either page or cursor, not both.", "cursor")
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
