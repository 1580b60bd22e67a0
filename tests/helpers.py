"""Helpers the tests share: writing seed files, and the one check of an error's shape."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

TOPICS = ["AI", "Computer Vision", "Climate Change", "Élections"]
PROVIDERS = [
    ("Voice of America", "voanews.com"),
    ("Tech Daily", "techdaily.com"),
    ("Le Monde", "lemonde.fr"),
]


def write_seed(folder: Path, name: str, body: str = "", **fields: Any) -> Path:
    """Write one content file: ``fields`` as YAML front matter, then ``body``."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    front = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True)
    path.write_text(f"---\n{front}---\n{body}", encoding="utf-8")
    return path


def article_fields(i: int, **overrides: Any) -> dict[str, Any]:
    """A valid article whose values follow ``i`` so tests can predict any query."""
    name, domain = PROVIDERS[i % len(PROVIDERS)]
    fields = {
        "category": "news" if i % 2 else "analysis",
        "title": f"Story {i:02d} about robots",
        "excerpt": f"Excerpt of story {i}.",
        "publishedDateTime": dt.datetime(2021, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=i),
        "originalUrl": f"https://{domain}/orig/{i}",
        "webUrl": f"https://{domain}/story/{i}",
        "type": "video" if i % 5 == 0 else "article",
        "quality": (i * 37) % 100,
        "heat": i % 7,
        "published": i % 4 != 0,
        "provider": {"name": name, "domain": domain},
        "topics": [TOPICS[i % len(TOPICS)], TOPICS[(i + 1) % len(TOPICS)]],
        "images": [
            {"url": f"https://img.example/{i}.jpg", "width": 640, "height": 480, "isCached": True}
        ],
        "related": [],
        "secured": "c2VjcmV0",
    }
    fields.update(overrides)
    return fields


def write_corpus(folder: Path, count: int) -> Path:
    """``count`` valid articles ``a00.md``…, the first linking to the second by URL."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        related = []
        if i == 0 and count > 1:
            related = [
                {
                    "title": "Story 01 about robots",
                    "webUrl": article_fields(1)["webUrl"],
                    "quality": 5,
                },
                {"title": "Elsewhere", "webUrl": "https://elsewhere.example/x", "excerpt": "Away."},
            ]
        write_seed(
            folder,
            f"a{i:02d}.md",
            body=f"Body of *story* {i}.\n",
            **article_fields(i, related=related),
        )
    return folder


def assert_problem(response, status: int, parameter: str | None = None) -> dict:
    """The response is an RFC 9457 problem document; ``parameter`` is named if given."""
    assert response.status_code == status, response.data
    assert response.mimetype == "application/problem+json"
    doc = response.get_json(force=True)
    assert doc["status"] == status
    assert doc["type"] == "about:blank"
    assert doc["title"] and doc["detail"]
    assert "Traceback" not in doc["detail"]
    if parameter is not None:
        assert parameter in [e["name"] for e in doc["errors"]], doc
        assert parameter in doc["detail"]
    return doc


def access_lines(path: Path) -> list[dict[str, Any]]:
    """The server's JSON access lines (``NEWS_API_ACCESS_LOG``), oldest first."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def was_served(path: Path, url_path: str, status: int, query: str = "") -> bool:
    """Whether the access log at ``path`` has a request of ``url_path?query`` answered
    with ``status``."""
    wanted = (url_path, query, status)
    return any((a["path"], a["query"], a["status"]) == wanted for a in access_lines(path))


def settled_version(read: Callable[[], str | None], old: str | None, wait: float) -> str:
    """Under a real server: wait until ``read()`` (the version one request was answered
    from) is no longer ``old``, then until 20 answers in a row (from both workers,
    whichever takes each: one follows ``CURRENT`` a moment after the other) agree;
    return that version."""
    deadline = time.monotonic() + wait
    streak, version = 0, None
    while streak < 20:
        assert time.monotonic() < deadline, f"no settled version after {old}"
        seen = read()
        if seen == old:
            streak, version = 0, None
            time.sleep(0.05)
            continue
        streak = streak + 1 if seen == version else 1
        version = seen
    return version


def replay_of(app):
    """The replay (api.http.replay.Replay) among the app's WSGI layers (ProxyFix,
    api.http.access, ...), or None."""
    from api.http.replay import Replay

    layer = app.wsgi_app
    while layer is not None and not isinstance(layer, Replay):
        layer = getattr(layer, "wsgi_app", None) or getattr(layer, "app", None)
    return layer
