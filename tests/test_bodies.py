"""bodyHtml: the markdown body rendered (CommonMark) and sanitized, once at index build."""

from __future__ import annotations

import re

import pytest
from helpers import article_fields, write_seed

from api.content import render
from api.content.render import body_html

REL = 'rel="nofollow noopener noreferrer"'


def test_commonmark_renders():
    html = body_html(
        "# Title\n\n## Sub\n\nSome *em*, **strong** and `code`, "
        'a [link](https://example.org/a?b=1&c=2 "T").\n\n'
        "- one\n- two\n\n1. first\n2. second\n\n"
        "```python\nprint('<hi>')\n```\n\n> quoted\n\n![alt](https://img.example/x.png)\n"
    )
    assert "<h1>Title</h1>" in html and "<h2>Sub</h2>" in html
    assert "<em>em</em>" in html and "<strong>strong</strong>" in html
    assert "<code>code</code>" in html
    assert f'<a href="https://example.org/a?b=1&amp;c=2" title="T" {REL}>link</a>' in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<ol>\n<li>first</li>" in html
    assert "<pre><code class=\"language-python\">print('&lt;hi&gt;')\n</code></pre>" in html
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in html
    assert '<img src="https://img.example/x.png" alt="alt">' in html


def test_empty_body_is_empty():
    assert body_html("") == body_html("  \n") == ""


def test_safe_raw_html_is_kept():
    html = body_html('Water is H<sub>2</sub>O, <abbr title="as">a.s.</abbr>\n')
    assert "<sub>2</sub>" in html and '<abbr title="as">a.s.</abbr>' in html


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src="https://i.example/x.png" onerror="alert(1)">',
    '<a href="https://ok.example" onclick="alert(1)" onmouseover="alert(2)">x</a>',
    "<body onload=alert(1)>",
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="jav&#x61;script:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "![x](javascript:alert(1))",
    '<iframe src="https://evil.example/"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="https://evil.example/x.swf"></object><embed src="https://e.example/x">',
    '<form action="https://evil.example/"><input name="q"><button>go</button></form>',
    "<style>body{display:none}</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<base href="https://evil.example/">',
    "<!-- <script>alert(1)</script> -->",
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
]


@pytest.mark.parametrize("markdown", HOSTILE)
def test_hostile_html_is_neutralised(markdown):
    html = body_html(f"Before.\n\n{markdown}\n\nAfter *this*.\n")
    lowered = html.lower()
    for tag in ("<script", "<iframe", "<object", "<embed", "<form", "<input", "<style", "<svg"):
        assert tag not in lowered, html
    for tag in ("<meta", "<link", "<base", "<body", "<math", "<!--"):
        assert tag not in lowered, html
    assert not re.search(r"\son\w+\s*=", lowered), html  # no event handler attributes
    assert "style=" not in lowered, html
    for url in re.findall(r'(?:href|src)="([^"]*)"', html):
        assert url.startswith(("https:", "http:", "mailto:")) or ":" not in url, html
    assert html.startswith("<p>Before.</p>")  # the body around it survives


def test_every_link_gets_rel():
    html = body_html('[a](https://a.example) <a href="https://b.example" rel="opener">b</a>\n')
    assert html.count(REL) == 2 and 'rel="opener"' not in html


def test_control_characters_are_dropped():
    assert body_html("Bell\x07 and\x00 null\n") == "<p>Bell and null</p>\n"


def test_articles_carry_body_html_and_lists_do_not(client):
    article = client.get("/articles/a00").get_json()
    keys = list(article)
    assert keys.index("bodyHtml") == keys.index("body") + 1
    assert article["bodyHtml"] == "<p>Body of <em>story</em> 0.</p>\n"
    assert "bodyHtml" not in client.get("/articles").get_json()["items"][0]
    only = client.get("/articles/a00?fields=bodyHtml").get_json()
    assert only == {"bodyHtml": article["bodyHtml"]}


def test_bodies_are_rendered_once_at_build(make_app, tmp_path, monkeypatch):
    """Requests never render: the HTML is part of the article's prepared JSON."""
    write_seed(tmp_path / "c", "x.md", body="<script>x()</script>\n\n*Hi*\n", **article_fields(1))
    client = make_app(tmp_path / "c", CACHE_DIR="").test_client()

    def fail(markdown):
        raise AssertionError("rendered on a request")

    monkeypatch.setattr(render, "body_html", fail)
    html = client.get("/articles/x").get_json()["bodyHtml"]
    assert "<p><em>Hi</em></p>" in html and "script" not in html
