"""What the API sends for providers and topics."""

import marshmallow as ma

from .article import ProviderRefSchema, TopicRefSchema
from .fields import Timestamp


class DirectoryEntryMixin:
    articleCount = ma.fields.Integer(required=True, metadata={"description": "Articles indexed."})
    latestPublishedDateTime = Timestamp(
        required=True, allow_none=True, metadata={"description": "Date of the newest article."}
    )


class ProviderSchema(DirectoryEntryMixin, ProviderRefSchema):
    """A provider (publisher) of articles."""


class TopicSchema(DirectoryEntryMixin, TopicRefSchema):
    """A topic articles are tagged with."""
