"""The list envelope of each kind of item."""

import marshmallow as ma

from .article import ArticleSummarySchema, RelatedItemSchema
from .common import PageSchema
from .directory import ProviderSchema, TopicSchema


class ArticlePageSchema(PageSchema):
    """A page of article summaries."""

    items = ma.fields.List(ma.fields.Nested(ArticleSummarySchema), required=True)


class RelatedItemPageSchema(PageSchema):
    """A page of an article's related items."""

    items = ma.fields.List(ma.fields.Nested(RelatedItemSchema), required=True)


class ProviderPageSchema(PageSchema):
    """A page of providers."""

    items = ma.fields.List(ma.fields.Nested(ProviderSchema), required=True)


class TopicPageSchema(PageSchema):
    """A page of topics."""

    items = ma.fields.List(ma.fields.Nested(TopicSchema), required=True)
