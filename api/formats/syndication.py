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

Text bound for XML loses the control characters XML 1.0 cannot carry. Atom and RSS are
written with feedgen (lxml), in :mod:`.feed_xml`, imported by the first XML feed a
process answers: a worker that never serves one never loads them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson

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
        item["authors"] = [{"name": a["provider"]["name"], "url": home_url(a["provider"])}]
    if a["topics"]:
        item["tags"] = [t["name"] for t in a["topics"]]
    return item


def atom_feed(info: FeedInfo, articles: list[dict[str, Any]]) -> bytes:
    """An Atom 1.0 document (RFC 4287), with RFC 5005 paging links."""
    from .feed_xml import feed_generator

    return feed_generator(info, articles, ATOM_MIMETYPE).atom_str()


def rss_feed(info: FeedInfo, articles: list[dict[str, Any]]) -> bytes:
    """An RSS 2.0 document, with RFC 5005 paging links as ``atom:link``."""
    from .feed_xml import feed_generator

    return feed_generator(info, articles, RSS_MIMETYPE).rss_str()


def home_url(provider: dict[str, Any]) -> str:
    """A provider's home page, from its domain."""
    return f"https://{provider['domain']}/"
