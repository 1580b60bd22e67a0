"""What a content file's front matter may hold.

Liberal in what it reads: unknown fields are ignored (and reported as warnings, with
a did-you-mean, by :func:`unknown_keys`), a single topic may be a string, a missing
provider domain is taken from the article's URL. Strict about types: a
``quality: high`` or ``publishedDateTime: yesterday`` is an error, and the file is
skipped with that message. ``secured`` is never read, so it can never be sent.

These schemas are the one definition of the keys a file may hold: the warnings and the
README's table of keys (a test compares them) both come from here.

``SeedSchema().load(front_matter)`` returns the article as a plain dict with the
API's field names, ready for :class:`schemas.article.ArticleSchema` to dump.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import marshmallow as ma

from .fields import Score, Timestamp

# Longest topics, images and related lists read; with YAML aliases a small file could
# otherwise expand to millions of items.
MAX_ITEMS = 100
# Most warnings reported for one file (a file of thousands of unknown keys says so once).
MAX_WARNINGS = 10
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
    # Keys a file may hold that are dropped on purpose, without a warning.
    IGNORED_KEYS: frozenset[str] = frozenset()

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

    IGNORED_KEYS = frozenset({"secured"})  # never read, so never sent

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


def front_matter_keys(schema: ma.Schema | None = None, prefix: str = "") -> list[str]:
    """Every key a front matter may hold, nested ones with dots (``provider.name``,
    ``images[].url``), in the schemas' order: what the README's table lists."""
    schema = schema or _SEED
    keys = []
    for name, field in schema.load_fields.items():
        if schema is _SEED and name == "body":
            continue
        keys.append(prefix + name)
        nested, items = _nested(field)
        if nested is not None:
            keys += front_matter_keys(nested, f"{prefix}{name}{'[]' if items else ''}.")
    return keys


def unknown_keys(front_matter: dict[str, Any]) -> list[str]:
    """Warnings for the keys of ``front_matter`` that no schema reads: a typo such as
    ``publshed`` would otherwise be dropped without a word. Each names the key's place
    (``related.0.titel``) and, when one is close, the key it may have meant."""
    warnings: list[str] = []
    _check_keys(front_matter, _SEED_KEYS, "", warnings)
    if len(warnings) > MAX_WARNINGS:
        more = len(warnings) - MAX_WARNINGS
        warnings[MAX_WARNINGS:] = [f"and {more} more unknown key{'s' if more > 1 else ''}"]
    return warnings


@dataclass(frozen=True, slots=True)
class _Keys:
    """A schema's keys, worked out once: each key's nested keys (or None) and whether it
    holds a list of them; the keys ignored without a warning."""

    fields: dict[str, tuple[_Keys | None, bool]]
    ignored: frozenset[str]

    @classmethod
    def of(cls, schema: ma.Schema, ignored: frozenset[str] = frozenset()) -> _Keys:
        fields: dict[str, tuple[_Keys | None, bool]] = {}
        for name, field in schema.load_fields.items():
            nested, items = _nested(field)
            fields[name] = (cls.of(nested, nested.IGNORED_KEYS) if nested else None, items)
        return cls(fields, schema.IGNORED_KEYS | ignored)


def _check_keys(data: Any, keys: _Keys, prefix: str, warnings: list[str]) -> None:
    if not isinstance(data, dict):
        return  # the schema reports a value of the wrong type
    for key, value in data.items():
        known = keys.fields.get(key) if isinstance(key, str) else None
        if known is not None:
            nested, items = known
            if nested is None:
                continue
            if not items:
                _check_keys(value, nested, f"{prefix}{key}.", warnings)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    _check_keys(item, nested, f"{prefix}{key}.{i}.", warnings)
        elif keys is _SEED_KEYS and key == "body":
            warnings.append("key 'body' is ignored: the body is the text after the front matter")
        elif key not in keys.ignored:
            warnings.append(f"unknown key '{prefix}{key}' is ignored{_did_you_mean(key, keys)}")


def _did_you_mean(key: object, keys: _Keys) -> str:
    """`` (did you mean 'published'?)`` for the closest known key, if any is close."""
    names = {name.lower(): name for name in keys.fields}
    match = difflib.get_close_matches(str(key).lower(), names, n=1, cutoff=0.6)
    return f" (did you mean '{names[match[0]]}'?)" if match else ""


def _nested(field: ma.fields.Field) -> tuple[ma.Schema | None, bool]:
    """The schema a field holds (``Nested``, or a ``List`` of ``Nested``), and whether it
    holds a list of them."""
    if isinstance(field, ma.fields.List):
        inner = field.inner
        return (inner.schema, True) if isinstance(inner, ma.fields.Nested) else (None, True)
    if isinstance(field, ma.fields.Nested):
        return field.schema, False
    return None, False


_SEED = SeedSchema()
# "body" is the text after the front matter: in the front matter, it is ignored (a warning).
_SEED_KEYS = _Keys.of(_SEED)
del _SEED_KEYS.fields["body"]
