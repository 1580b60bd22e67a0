"""Shapes every operation shares: the list envelope and the problem document."""

import marshmallow as ma


class PageLinksSchema(ma.Schema):
    """Absolute URLs of neighbouring pages; ``null`` where there is no such page."""

    self = ma.fields.Url(required=True, metadata={"description": "This page."})
    first = ma.fields.Url(required=True, metadata={"description": "Page 1."})
    prev = ma.fields.Url(allow_none=True, metadata={"description": "The page before."})
    next = ma.fields.Url(allow_none=True, metadata={"description": "The page after."})
    last = ma.fields.Url(required=True, metadata={"description": "The last page."})


class PageSchema(ma.Schema):
    """The envelope of every list: a subclass adds ``items`` (sent first)."""

    total = ma.fields.Integer(
        required=True, metadata={"description": "How many items match, on all pages."}
    )
    page = ma.fields.Integer(required=True, metadata={"description": "This page's number, from 1."})
    pageSize = ma.fields.Integer(required=True, metadata={"description": "Items per page."})
    totalPages = ma.fields.Integer(
        required=True, metadata={"description": "Number of pages (0 when nothing matches)."}
    )
    links = ma.fields.Nested(PageLinksSchema, required=True)


class ParameterErrorSchema(ma.Schema):
    """One bad parameter."""

    name = ma.fields.String(required=True, metadata={"description": "The parameter's name."})
    location = ma.fields.String(required=True, metadata={"description": "Where it was: `query`."})
    messages = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "What is wrong with it."}
    )


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document (`application/problem+json`)."""

    type = ma.fields.String(
        required=True, metadata={"description": "A URI for the kind of problem; `about:blank`."}
    )
    title = ma.fields.String(required=True, metadata={"description": "The HTTP status phrase."})
    status = ma.fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    detail = ma.fields.String(
        required=True, metadata={"description": "What went wrong, for people."}
    )
    errors = ma.fields.List(
        ma.fields.Nested(ParameterErrorSchema),
        metadata={"description": "For bad parameters: each one, and why."},
    )
    requestId = ma.fields.String(
        metadata={"description": "The request's id, as in `X-Request-Id` and the server's logs."}
    )
