"""JSON Feed 1.1 as a JSON Schema, written from the specification
(https://www.jsonfeed.org/version/1.1/). The spec documents ``/…/feed.json`` with it and
the tests validate real feeds against it.

What the specification requires: ``version``, ``title`` and ``items`` at the top; an
``id`` (a string) on every item and at least one of ``content_html`` and
``content_text``; an author has at least one of ``name``, ``url`` and ``avatar``; an
attachment has ``url`` and ``mime_type``. Extensions (keys starting with ``_``) are
allowed anywhere, so objects stay open.
"""

from __future__ import annotations

_STRING = {"type": "string"}
_URL = {"type": "string", "format": "uri"}
_DATE = {"type": "string", "format": "date-time", "description": "RFC 3339."}

_AUTHOR = {
    "type": "object",
    "properties": {"name": _STRING, "url": _URL, "avatar": _URL},
    "anyOf": [{"required": ["name"]}, {"required": ["url"]}, {"required": ["avatar"]}],
}
_ATTACHMENT = {
    "type": "object",
    "required": ["url", "mime_type"],
    "properties": {
        "url": _URL,
        "mime_type": _STRING,
        "title": _STRING,
        "size_in_bytes": {"type": "number"},
        "duration_in_seconds": {"type": "number"},
    },
}
_ITEM = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": _STRING,
        "url": _URL,
        "external_url": _URL,
        "title": _STRING,
        "content_html": _STRING,
        "content_text": _STRING,
        "summary": _STRING,
        "image": _URL,
        "banner_image": _URL,
        "date_published": _DATE,
        "date_modified": _DATE,
        "authors": {"type": "array", "items": _AUTHOR},
        "tags": {"type": "array", "items": _STRING},
        "language": _STRING,
        "attachments": {"type": "array", "items": _ATTACHMENT},
    },
    "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
}

JSON_FEED_SCHEMA = {
    "type": "object",
    "description": "A JSON Feed 1.1 document: https://www.jsonfeed.org/version/1.1/",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": _STRING,
        "home_page_url": _URL,
        "feed_url": _URL,
        "description": _STRING,
        "user_comment": _STRING,
        "next_url": _URL,
        "icon": _URL,
        "favicon": _URL,
        "authors": {"type": "array", "items": _AUTHOR},
        "language": _STRING,
        "expired": {"type": "boolean"},
        "hubs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "url"],
                "properties": {"type": _STRING, "url": _URL},
            },
        },
        "items": {"type": "array", "items": _ITEM},
    },
}
