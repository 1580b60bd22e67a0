"""The list envelope of each kind of item."""

import marshmallow as ma

from .article import RelatedItemSchema
from .common import PageSchema
from .directory import ProviderSchema, TopicSchema
from .search import ArticleListItemSchema, FacetsSchema


class ArticlePageSchema(PageSchema):
    """A page of article summaries; with `facets`, the result set's facet counts."""

    items = ma.fields.List(ma.fields.Nested(ArticleListItemSchema), required=True)
    facets = ma.fields.Nested(FacetsSchema, metadata={"description": "Only with `facets`."})


class RelatedItemPageSchema(PageSchema):
    """A page of an article's related items."""

    items = ma.fields.List(ma.fields.Nested(RelatedItemSchema), required=True)


class ProviderPageSchema(PageSchema):
    """A page of providers."""

    items = ma.fields.List(ma.fields.Nested(ProviderSchema), required=True)


class TopicPageSchema(PageSchema):
    """A page of topics."""

    items = ma.fields.List(ma.fields.Nested(TopicSchema), required=True)
