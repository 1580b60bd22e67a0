"""``/sync``: its query parameters and its pages (``api.resources.sync``)."""

from __future__ import annotations

import marshmallow as ma

from .article import ArticleSchema
from .query import PaginationArgsSchema, QueryArgsSchema
from .sync_examples import SYNC_TOKEN_EXAMPLE

KINDS = ("created", "updated", "deleted")


class SyncQueryArgsSchema(QueryArgsSchema):
    """Where a sync is (``token``) and how many items a page holds."""

    token = ma.fields.String(
        metadata={
            "description": "Opaque: from a `nextPageUrl` or a `nextSyncUrl`. Without it, an "
            "initial sync begins: every current article.",
            "example": SYNC_TOKEN_EXAMPLE,
        },
    )
    pageSize = PaginationArgsSchema._declared_fields["pageSize"]
    page_size_from_settings = PaginationArgsSchema.page_size_from_settings


class SyncItemSchema(ma.Schema):
    """One article that is new, changed or gone."""

    kind = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(KINDS),
        metadata={
            "description": "`created` (new since the token; every item of an initial sync), "
            "`updated` (its JSON changed) or `deleted` (gone: no `article`)."
        },
    )
    id = ma.fields.String(required=True, metadata={"description": "The article's id."})
    article = ma.fields.Nested(
        ArticleSchema,
        metadata={"description": "The article as `/articles/{id}` sends it; not when deleted."},
    )


class SyncPageSchema(ma.Schema):
    """A page of a sync: follow `nextPageUrl` until it is null; then keep `nextSyncUrl` and
    ask it later for what changed since."""

    items = ma.fields.List(ma.fields.Nested(SyncItemSchema), required=True)
    nextPageUrl = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The next page of this sync; null on the last page."},
    )
    nextSyncUrl = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "On the last page: where to ask, later, for what changed since. "
            "Null on the other pages."
        },
    )
    version = ma.fields.String(
        required=True, metadata={"description": "The content version this page was read from."}
    )
