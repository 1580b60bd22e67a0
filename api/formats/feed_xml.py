"""Atom 1.0 and RSS 2.0 documents of a feed page, with feedgen (lxml): what
:func:`.syndication.atom_feed` and :func:`.syndication.rss_feed` write (how an article maps
onto each format: :mod:`.syndication`). Imported when the first XML feed is asked for.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import re
from dataclasses import fields
from typing import Any
from urllib.parse import urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from .syndication import ATOM_NS, PAGING_RELATIONS, RSS_MIMETYPE, FeedInfo, home_url


def feed_generator(info: FeedInfo, articles: list[dict[str, Any]], mimetype: str) -> FeedGenerator:
    info = _xml_safe(info)
    fg = FeedGenerator()
    # Before any entry: feedgen extends each entry as it is added.
    fg.load_extension("media")
    fg.register_extension("links", _FeedLinks, _EntryLinks)
    fg.id(info.feed_id)
    fg.title(info.title)
    fg.subtitle(info.description)  # RSS: the channel's description
    fg.updated(info.updated)
    fg.lastBuildDate(info.updated)
    fg.author(name=info.generator)  # Atom: a feed needs an author when entries may not
    fg.generator(info.generator)
    fg.link(href=info.self_url, rel="self", type=mimetype)
    paging = [(PAGING_RELATIONS[k], info.pages[k]) for k in PAGING_RELATIONS if info.pages.get(k)]
    for rel, href in paging:
        fg.link(href=href, rel=rel, type=mimetype)
    fg.links.rss_paging = paging
    fg.link(href=info.home_url, rel="alternate", type="application/json")  # last: RSS <link>
    for article in articles:
        _entry(fg, info, _xml_safe(article))
    return fg


def _entry(fg: FeedGenerator, info: FeedInfo, a: dict[str, Any]) -> None:
    fe = fg.add_entry(order="append")
    fe.id(info.article_url + a["id"])  # also the RSS guid (isPermaLink="false")
    fe.title(a["title"])
    published = _datetime(a["publishedDateTime"])
    fe.updated(published or info.updated)
    if published:
        fe.published(published)  # RSS pubDate
    fe.link(href=a["webUrl"], rel="alternate")
    if a["originalUrl"] and a["originalUrl"] != a["webUrl"]:
        fe.links.via = a["originalUrl"]
    if a["excerpt"]:
        fe.summary(a["excerpt"])
    if a["bodyHtml"]:
        fe.content(a["bodyHtml"], type="html")
    elif not a["excerpt"]:
        fe.summary(a["title"])  # RSS: an item needs a description or a title; say both
    if a["provider"]:
        fe.author(name=a["provider"]["name"], uri=home_url(a["provider"]))
    for topic in a["topics"]:
        fe.category(term=topic["id"], label=topic["name"], scheme=info.topic_scheme)
    if image := a["image"]:
        media = {"url": image["url"], "medium": "image"}
        for key in ("width", "height"):
            if image.get(key):
                media[key] = str(image[key])
        fe.media.content(**media)
        mimetype = mimetypes.guess_type(urlsplit(image["url"]).path)[0]
        if mimetype and mimetype.startswith("image/"):
            fe.links.enclosure = (image["url"], mimetype)


class _FeedLinks(BaseExtension):
    """RFC 5005 paging links in an RSS channel: feedgen writes only ``rel="self"`` there
    (Atom gets them from ``FeedGenerator.link``)."""

    def __init__(self) -> None:
        self.rss_paging: list[tuple[str, str]] = []

    def extend_rss(self, feed):
        channel = feed[0]
        for rel, href in self.rss_paging:
            xml_elem(f"{{{ATOM_NS}}}link", channel, rel=rel, href=href, type=RSS_MIMETYPE)
        return feed


class _EntryLinks(BaseEntryExtension):
    """An entry's ``via`` link and image enclosure. feedgen 1.0 drops ``rel`` and
    ``type`` from every entry link in Atom (so they would all read as ``alternate``);
    these are written here instead: Atom links, and the RSS ``enclosure`` (whose length,
    required by RSS, is unknown: "0", as the RSS Advisory Board recommends)."""

    def __init__(self) -> None:
        self.via: str | None = None
        self.enclosure: tuple[str, str] | None = None  # (url, type)

    def extend_atom(self, entry):
        if self.via:
            xml_elem("link", entry, rel="via", href=self.via)
        if self.enclosure:
            url, mimetype = self.enclosure
            xml_elem("link", entry, rel="enclosure", href=url, type=mimetype)
        return entry

    def extend_rss(self, item):
        if self.enclosure:
            url, mimetype = self.enclosure
            xml_elem("enclosure", item, url=url, length="0", type=mimetype)
        return item


def _datetime(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


# Characters XML 1.0 cannot carry (lxml refuses them): controls but tab, LF and CR,
# lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(value: Any) -> Any:
    """``value`` (parsed JSON, or a FeedInfo) with every string fit for XML."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, dict):
        return {k: _xml_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_xml_safe(v) for v in value]
    if isinstance(value, FeedInfo):
        return FeedInfo(**{f.name: _xml_safe(getattr(value, f.name)) for f in fields(value)})
    return value
