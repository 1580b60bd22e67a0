"""``/explore``: a small example front-end over the API, served from ``static/explore/``.

Plain HTML, JavaScript and CSS with no build step: one page that lists, pages, filters
and searches articles through the public API, from the same origin. It shows a reader
what the API gives, and client authors a working example. The page holds no inline
script or event handler, so it runs under a strict Content-Security-Policy.
"""

from pathlib import Path

from flask import Blueprint, Response, redirect, url_for

explore_bp = Blueprint(
    "explore",
    __name__,
    static_folder=str(Path(__file__).parent.parent / "static" / "explore"),
    static_url_path="/explore",
)


@explore_bp.get("/explore")
def explore_page() -> Response:
    """The page; its assets are relative to it (``explore/explore.js``)."""
    return explore_bp.send_static_file("index.html")


@explore_bp.get("/explore/")
def explore_slash() -> Response:
    """``/explore/`` would break the page's relative links: send the browser to ``/explore``."""
    return redirect(url_for("explore.explore_page"), code=308)
