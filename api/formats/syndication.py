"""A page of articles as a feed: JSON Feed 1.1, Atom 1.0 or RSS 2.0.

The renderers are pure: they take a :class:`FeedInfo` (titles and absolute URLs, worked
out from the request by the view) and the articles as the API sends them
(``ArticleSchema``, parsed), so the spec's examples come from the same code.

How an article maps onto each format:

- id: the article's API URL (``…/articles/{id}``), stable and unique; link: its
  ``webUrl``; ``originalUrl``, when different, as JSON Feed ``external_url`` and Atom
  ``rel="via"``.
- text: ``excerpt`` as the summary (RSS ``description``); ``bodyHtml`` (sanitized at
  index build) as the content (RSS ``content:encoded``); JSON Feed items without a
  body carry the excerpt as ``content_text``, since every item needs content.
- dates: ``publishedDateTime`` (RFC 3339 in JSON Feed and Atom, RFC 822 in RSS). Atom
  requires ``updated``: the publication date, else when the index was built.
- topics: JSON Feed ``tags`` (names); Atom/RSS categories with the topic id as term,
  its name as label and the API's ``/topics/`` URL as scheme (RSS ``domain``).
- provider: the author (JSON Feed ``authors``, Atom ``author``).
- the first image: JSON Feed ``image``; Atom/RSS ``media:content`` (Media RSS, with
  width and height) and an enclosure when its type can be told from the URL.
- paging: JSON Feed ``next_url``; Atom and RSS carry RFC 5005 ``first``, ``previous``,
  ``next`` and ``last`` links (``atom:link`` inside RSS).

Text bound for XML loses the control characters XML 1.0 cannot carry.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import re
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

import orjson
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

JSON_FEED_MIMETYPE = "application/feed+json"
ATOM_MIMETYPE = "application/atom+xml"
RSS_MIMETYPE = "application/rss+xml"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
ATOM_NS = "http://www.w3.org/2005/Atom"
# RFC 5005 paging relations, named after the keys of listing.page_links.
PAGING_RELATIONS = {"first": "first", "prev": "previous", "next": "next", "last": "last"}


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What a feed says about itself; every URL absolute."""

    title: str
    description: str
    generator: str
    feed_id: str  # the feed's first page: stable across pages
    self_url: str  # this page of the feed
    home_url: str  # the same query as the JSON list (this page)
    pages: dict[str, str | None]  # listing.page_links of the feed: first, prev, next, last
    updated: dt.datetime  # when the content was indexed
    article_url: str  # "{article_url}{id}" is an article's API URL
    topic_scheme: str  # "{topic_scheme}{id}" is a topic's API URL


def json_feed(info: FeedInfo, articles: list[dict[str, Any]]) -> bytes:
    """A JSON Feed 1.1 document."""
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": info.title,
        "home_page_url": info.home_url,
        "feed_url": info.self_url,
        "description": info.description,
    }
    if info.pages.get("next"):
        feed["next_url"] = info.pages["next"]
    feed["items"] = [_json_item(info, a) for a in articles]
    return orjson.dumps(feed)


def _json_item(info: FeedInfo, a: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": info.article_url + a["id"], "url": a["webUrl"]}
    if a["originalUrl"] and a["originalUrl"] != a["webUrl"]:
        item["external_url"] = a["originalUrl"]
    item["title"] = a["title"]
    if a["bodyHtml"]:
        item["content_html"] = a["bodyHtml"]
    else:
        item["content_text"] = a["excerpt"] or a["title"]
    if a["excerpt"]:
        item["summary"] = a["excerpt"]
    if a["image"]:
        item["image"] = a["image"]["url"]
    if a["publishedDateTime"]:
        item["date_published"] = a["publishedDateTime"]
    if a["provider"]:
        item["authors"] = [{"name": a["provider"]["name"], "url": _home(a["provider"])}]
    if a["topics"]:
        item["tags"] = [t["name"] for t in a["topics"]]
    return item


def atom_feed(info: FeedInfo, articles: list[dict[str, Any]]) -> bytes:
    """An Atom 1.0 document (RFC 4287), with RFC 5005 paging links."""
    return _generator(info, articles, ATOM_MIMETYPE).atom_str()


def rss_feed(info: FeedInfo, articles: list[dict[str, Any]]) -> bytes:
    """An RSS 2.0 document, with RFC 5005 paging links as ``atom:link``."""
    return _generator(info, articles, RSS_MIMETYPE).rss_str()


def _generator(info: FeedInfo, articles: list[dict[str, Any]], mimetype: str) -> FeedGenerator:
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
        fe.author(name=a["provider"]["name"], uri=_home(a["provider"]))
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


def _home(provider: dict[str, Any]) -> str:
    return f"https://{provider['domain']}/"


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
