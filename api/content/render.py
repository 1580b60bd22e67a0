"""An article's markdown body as safe HTML (``bodyHtml``), rendered once at index build.

markdown-it-py renders CommonMark; raw HTML in the markdown is allowed through the
renderer and then everything goes through nh3 (the Rust ammonia sanitizer), which keeps
only an allow-list of tags and attributes. So what reaches a client has no scripts, no
styles, no event handlers, no iframes or forms, and links and images only with
``http``, ``https`` or ``mailto`` URLs (no ``javascript:`` or ``data:``). Every link
gets ``rel="nofollow noopener noreferrer"``: the bodies are third-party content.

The output is a fragment (no ``<html>``/``<body>``), ready to be placed in a page.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

# CommonMark as specified, raw HTML included (nh3 decides what of it survives).
_MARKDOWN = MarkdownIt("commonmark", {"html": True})

# What may appear in a rendered body: text structure, links, images, tables, code.
TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del",
        "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
        "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody",
        "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
    }
)  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},  # language-xxx, from fenced code blocks
    "ol": {"start"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "time": {"datetime"},
    "abbr": {"title"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"

_CLEANER = nh3.Cleaner(
    tags=set(TAGS),
    # Removed together with everything inside them, not just unwrapped.
    clean_content_tags={"script", "style", "iframe", "object", "embed", "template", "noscript"},
    attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)

# Characters HTML (and the XML of feeds) cannot carry: C0 controls but tab, LF, CR.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def body_html(markdown: str) -> str:
    """``markdown`` (CommonMark) rendered and sanitized; "" for an empty body."""
    if not markdown.strip():
        return ""
    return _CLEANER.clean(_MARKDOWN.render(_CONTROL.sub("", markdown)))
