"""What the API sends for articles and their related items."""

import marshmallow as ma

from .fields import Score, Timestamp
from .selection import SelectableSchema


class ProviderRefSchema(SelectableSchema):
    """The provider of an article, as it appears inside the article."""

    id = ma.fields.String(required=True, metadata={"description": "Its domain, lower-cased."})
    name = ma.fields.String(required=True)
    domain = ma.fields.String(required=True)


class TopicRefSchema(SelectableSchema):
    """A topic of an article."""

    id = ma.fields.String(
        required=True, metadata={"description": "A slug of the name: `computer-vision`."}
    )
    name = ma.fields.String(required=True, metadata={"description": "Display name."})


class ImageSchema(SelectableSchema):
    url = ma.fields.String(required=True)
    width = ma.fields.Integer(allow_none=True)
    height = ma.fields.Integer(allow_none=True)
    isCached = ma.fields.Boolean(allow_none=True)


class RelatedItemSchema(SelectableSchema):
    """An item related to an article (often on another site)."""

    id = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The id of the indexed article with the same `webUrl`, "
            "so a client can follow it; `null` when there is none."
        },
    )
    title = ma.fields.String(required=True)
    excerpt = ma.fields.String(required=True)
    publishedDateTime = Timestamp(required=True, allow_none=True)
    webUrl = ma.fields.String(required=True)
    type = ma.fields.String(required=True, allow_none=True)
    provider = ma.fields.Nested(ProviderRefSchema, required=True, allow_none=True)
    quality = Score(required=True, allow_none=True)
    image = ma.fields.Nested(
        ImageSchema, required=True, allow_none=True, metadata={"description": "The first image."}
    )
    images = ma.fields.List(ma.fields.Nested(ImageSchema), required=True)


class ArticleSummarySchema(SelectableSchema):
    """An article as lists show it: everything a news card needs."""

    id = ma.fields.String(required=True, metadata={"description": "URL-safe, stable."})
    title = ma.fields.String(required=True)
    excerpt = ma.fields.String(required=True)
    category = ma.fields.String(required=True, allow_none=True)
    type = ma.fields.String(required=True, allow_none=True)
    publishedDateTime = Timestamp(required=True, allow_none=True)
    webUrl = ma.fields.String(required=True)
    originalUrl = ma.fields.String(required=True, allow_none=True)
    quality = Score(required=True, allow_none=True)
    heat = Score(required=True, allow_none=True)
    published = ma.fields.Boolean(required=True, allow_none=True)
    provider = ma.fields.Nested(ProviderRefSchema, required=True, allow_none=True)
    topics = ma.fields.List(ma.fields.Nested(TopicRefSchema), required=True)
    image = ma.fields.Nested(
        ImageSchema, required=True, allow_none=True, metadata={"description": "The first image."}
    )
    relatedCount = ma.fields.Integer(required=True)


class ArticleSchema(ArticleSummarySchema):
    """The whole article: the summary's fields, then all images, the body and related items.

    ``related`` is last on purpose: the index stores each article's JSON once and
    slices the related items out of it for ``/articles/{id}/related``.
    """

    images = ma.fields.List(ma.fields.Nested(ImageSchema), required=True)
    body = ma.fields.String(required=True, metadata={"description": "Markdown."})
    bodyHtml = ma.fields.String(
        required=True,
        metadata={
            "description": "The body rendered to HTML (CommonMark) and sanitized: no scripts, "
            "styles, event handlers, iframes or forms; links and images only over http(s) "
            '(links also mailto), each link with `rel="nofollow noopener noreferrer"`. '
            "An HTML fragment; empty when the body is."
        },
    )
    related = ma.fields.List(ma.fields.Nested(RelatedItemSchema), required=True)
