"""What ``GET /`` sends: where everything is."""

import marshmallow as ma


class HomeLinksSchema(ma.Schema):
    articles = ma.fields.Url(required=True)
    providers = ma.fields.Url(required=True)
    topics = ma.fields.Url(required=True)
    openapi = ma.fields.Url(required=True, metadata={"description": "The OpenAPI 3.1 spec."})
    docs = ma.fields.Url(required=True, metadata={"description": "The docs page."})


class HomeSchema(ma.Schema):
    """The API's entry point."""

    title = ma.fields.String(required=True)
    version = ma.fields.String(required=True, metadata={"description": "The API's version."})
    articleCount = ma.fields.Integer(required=True)
    contentVersion = ma.fields.String(
        required=True, metadata={"description": "Changes whenever the content changes."}
    )
    links = ma.fields.Nested(HomeLinksSchema, required=True)
