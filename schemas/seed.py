"""What a content file's front matter may hold.

Liberal in what it reads: unknown fields are ignored, a single topic may be a string,
a missing provider domain is taken from the article's URL. Strict about types: a
``quality: high`` or ``publishedDateTime: yesterday`` is an error, and the file is
skipped with that message. ``secured`` is never read, so it can never be sent.

``SeedSchema().load(front_matter)`` returns the article as a plain dict with the
API's field names, ready for :class:`schemas.article.ArticleSchema` to dump.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

import marshmallow as ma

from .fields import Score, Timestamp

# Longest topics, images and related lists read; with YAML aliases a small file could
# otherwise expand to millions of items.
MAX_ITEMS = 100
URL_SAFE_ID = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._~-]{0,199})$")
HTTP_URL = re.compile(r"^https?://[^\s/?#]+\S*$", re.IGNORECASE)


def slugify(text: str) -> str:
    """``Computer Vision`` → ``computer-vision``; accents folded, ``C++`` → ``c-plus-plus``.

    A name with no Latin letters or digits keeps its own letters (``日本`` → ``日本``),
    so no topic is lost.
    """
    text = text.replace("+", " plus ").replace("&", " and ")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or re.sub(r"[\W_]+", "-", text.casefold()).strip("-")


def domain_of(url: str) -> str:
    """The lower-cased host of ``url`` without a leading ``www.`` ("" if it has none)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return ""
    return host.lower().removeprefix("www.")


class SeedSchemaBase(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE


def _url(**kwargs) -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.Regexp(HTTP_URL, error="Not an http(s) URL."), **kwargs
    )


def _text(max_length: int = 100_000, **kwargs) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(max=max_length), **kwargs)


class SeedImageSchema(SeedSchemaBase):
    url = _url(required=True)
    width = ma.fields.Integer(strict=True, allow_none=True, validate=ma.validate.Range(min=0))
    height = ma.fields.Integer(strict=True, allow_none=True, validate=ma.validate.Range(min=0))
    isCached = ma.fields.Boolean(allow_none=True)


class SeedProviderSchema(SeedSchemaBase):
    name = _text(allow_none=True)
    domain = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=253))


def _provider(data: dict[str, Any]) -> dict[str, str] | None:
    """The provider with its id (its domain, lower-cased); the domain defaults to the URL's."""
    provider = data.get("provider") or {}
    domain = (provider.get("domain") or "").strip().lower().removeprefix("www.")
    domain = domain or domain_of(data["webUrl"])
    if not domain:
        return None
    return {"id": domain, "name": (provider.get("name") or "").strip() or domain, "domain": domain}


class SeedRelatedSchema(SeedSchemaBase):
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000))
    excerpt = _text(load_default="")
    publishedDateTime = Timestamp(allow_none=True, load_default=None)
    webUrl = _url(required=True)
    type = ma.fields.String(allow_none=True, load_default=None)
    provider = ma.fields.Nested(SeedProviderSchema, allow_none=True)
    quality = Score(allow_none=True, load_default=None)
    images = ma.fields.List(ma.fields.Nested(SeedImageSchema), load_default=list)

    @ma.post_load
    def normalize(self, data: dict[str, Any], **kwargs) -> dict[str, Any]:
        data["id"] = None  # set when the index links it to an indexed article
        data["provider"] = _provider(data)
        data["image"] = data["images"][0] if data["images"] else None
        return data


class SeedSchema(SeedSchemaBase):
    """An article's front matter. ``body`` is the markdown after the front matter."""

    id = ma.fields.String(validate=ma.validate.Regexp(URL_SAFE_ID, error="Not a URL-safe id."))
    slug = ma.fields.String(validate=ma.validate.Regexp(URL_SAFE_ID, error="Not a URL-safe id."))
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000))
    excerpt = _text(load_default="")
    category = ma.fields.String(allow_none=True, load_default=None)
    type = ma.fields.String(allow_none=True, load_default=None)
    publishedDateTime = Timestamp(allow_none=True, load_default=None)
    webUrl = _url(required=True)
    originalUrl = _url(allow_none=True, load_default=None)
    quality = Score(allow_none=True, load_default=None)
    heat = Score(allow_none=True, load_default=None)
    published = ma.fields.Boolean(allow_none=True, load_default=None)
    provider = ma.fields.Nested(SeedProviderSchema, allow_none=True)
    topics = ma.fields.List(ma.fields.String(allow_none=True), load_default=list)
    images = ma.fields.List(ma.fields.Nested(SeedImageSchema), load_default=list)
    related = ma.fields.List(ma.fields.Nested(SeedRelatedSchema), load_default=list)
    body = ma.fields.String(load_default="")

    @ma.pre_load
    def topics_as_list(self, data: Any, **kwargs) -> Any:
        if isinstance(data, dict) and isinstance(data.get("topics"), str):
            return {**data, "topics": [data["topics"]]}
        return data

    @ma.pre_load
    def limit_lists(self, data: Any, **kwargs) -> Any:
        """Refuse over-long lists before reading them (see :data:`MAX_ITEMS`)."""
        if not isinstance(data, dict):
            return data
        related = data.get("related")
        lists = [
            ("topics", data.get("topics")),
            ("images", data.get("images")),
            ("related", related),
        ]
        if isinstance(related, list):
            lists += [("related", r.get("images")) for r in related if isinstance(r, dict)]
        for name, items in lists:
            if isinstance(items, list) and len(items) > MAX_ITEMS:
                raise ma.ValidationError(f"More than {MAX_ITEMS} items.", name)
        return data

    @ma.post_load
    def normalize(self, data: dict[str, Any], **kwargs) -> dict[str, Any]:
        data["id"] = data.pop("id", None) or data.pop("slug", None)
        data.pop("slug", None)
        data["provider"] = _provider(data)
        topics: dict[str, dict[str, str]] = {}
        for name in data["topics"]:
            name = (name or "").strip()
            if name and (topic_id := slugify(name)) and topic_id not in topics:
                topics[topic_id] = {"id": topic_id, "name": name}
        data["topics"] = list(topics.values())
        data["image"] = data["images"][0] if data["images"] else None
        data["relatedCount"] = len(data["related"])
        return data
