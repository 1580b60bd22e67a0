"""What search adds to article lists (highlights, facets) and the suggestions' shape."""

import marshmallow as ma

from .article import ArticleSummarySchema


class HighlightSchema(ma.Schema):
    """Where the search matched, as HTML: text is escaped, matched words are in `<mark>`."""

    title = ma.fields.String(
        required=True,
        metadata={"description": "The whole title.", "example": "<mark>Facial</mark> Recognition"},
    )
    excerpt = ma.fields.String(
        required=True,
        metadata={"description": "A fragment of the excerpt around the matches (`…` where cut)."},
    )


class ArticleListItemSchema(ArticleSummarySchema):
    """An article summary in a list; with `highlight=true` on a search, its highlights."""

    highlight = ma.fields.Nested(
        HighlightSchema, metadata={"description": "Only with `q` and `highlight=true`."}
    )


class FacetValueSchema(ma.Schema):
    id = ma.fields.String(required=True, metadata={"description": "The value to filter by."})
    name = ma.fields.String(required=True, metadata={"description": "Display name."})
    count = ma.fields.Integer(
        required=True, metadata={"description": "Matching articles with this value (exact)."}
    )


def _facet(what: str) -> ma.fields.List:
    return ma.fields.List(
        ma.fields.Nested(FacetValueSchema),
        metadata={"description": f"The most common {what} in the result set, by count."},
    )


class FacetsSchema(ma.Schema):
    """Counts over the whole result set (every filter and `q` applied), not one page."""

    topic = _facet("topics")
    provider = _facet("providers")
    category = _facet("categories")
    type = _facet("types")
    year = _facet("publication years")


class SuggestionSchema(ma.Schema):
    type = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(["topic", "provider", "article"]),
        metadata={"description": "What the suggestion is: a topic, a provider or an article."},
    )
    id = ma.fields.String(required=True, metadata={"description": "Its id."})
    text = ma.fields.String(
        required=True, metadata={"description": "What to show: the name or the title."}
    )
    url = ma.fields.Url(required=True, metadata={"description": "Its resource in this API."})


class SuggestionListSchema(ma.Schema):
    """Completions, best first."""

    items = ma.fields.List(ma.fields.Nested(SuggestionSchema), required=True)
