"""The spec's response examples, answered by the views themselves.

Once the resources are registered, each operation's success example is what its own
view answers over a two-article example index at :data:`EXAMPLE_BASE`: the same code
path as a real request (query parsing, the index, pages and links, feeds, exports), so
an example cannot drift from what the server sends. The articles are seed files
(:data:`EXAMPLE_SEEDS`) read by :func:`~api.content.seeds.parse_article`, as a content
folder's would be. Path parameters and required query parameters take the spec's own
examples. The health checks keep their fixed examples: they describe the process, not
the content.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Flask, g

from ..content.index import ContentIndex
from ..content.records import ArticleRecord, FolderContent
from ..content.search import temporary_folder
from ..smorest import Api

# A host validators accept and that is nobody's server (RFC 2606).
EXAMPLE_BASE = "https://api.example.com"
EXAMPLE_VERSION = "3f1c2a9be04d7d21"
EXAMPLE_BUILT_AT = dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.UTC)
# Operations whose examples are fixed in their decorators.
FIXED_EXAMPLES = frozenset({"health", "sync"})
# A deleted article's id in the /sync example.
DELETED_EXAMPLE_ID = "001_8d1e0c7f2b6a4e13"
# The settings the views read: examples are rendered once per process for each set.
SETTINGS = ("API_TITLE", "API_VERSION", "DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE")

EXAMPLE_SEEDS = {
    "000_31537b93d5a29298.md": """---
category: news
title: "Facial Recognition Technology Solves Crimes, but at What Cost?"
excerpt: "Even as big tech companies such as Amazon limit their sale of facial recognition \
software to law enforcement, one company has not: Clearview AI."
publishedDateTime: 2021-06-17T17:16:00Z
originalUrl: "https://www.voanews.com/silicon-valley-technology/facial-recognition"
webUrl: "https://www.voanews.com/silicon-valley-technology/facial-recognition"
type: article
quality: 39
heat: 39
published: false
provider:
  name: Voice of America
  domain: voanews.com
topics: [Computer Vision, AI]
images:
  - url: "https://im-media.voltron.voanews.com/1_1ug7wck0.jpg"
    width: 1920
    height: 1080
    isCached: true
related:
  - title: "Facetech Holdings Limited Receives Further Funding"
    excerpt: "Facetech Holdings Limited has received funding to continue its research on \
facial recognition technology."
    publishedDateTime: 2021-06-16T05:33:00Z
    webUrl: "https://www.tmcnet.com/usubmit/2021/06/16/9391262.htm"
    type: article
    provider:
      name: TMCnet
      domain: tmcnet.com
    quality: 10
---
Even as big tech companies limit their sale of *facial recognition* software to law
enforcement, one company has not: [Clearview AI](https://www.clearview.ai/).
""",
    "001_9391262.md": """---
category: news
title: "Facetech Holdings Limited Receives Further Funding"
excerpt: "Facetech Holdings Limited has received funding to continue its research on \
facial recognition technology."
publishedDateTime: 2021-06-16T05:33:00Z
webUrl: "https://www.tmcnet.com/usubmit/2021/06/16/9391262.htm"
type: article
quality: 10
heat: 4
published: true
provider:
  name: TMCnet
  domain: tmcnet.com
topics: [Computer Vision]
---
The Hong Kong start-up will spend the funds on its next **facial recognition** engine.
""",
}


@functools.cache
def example_index() -> ContentIndex:
    """The index of :data:`EXAMPLE_SEEDS`, with a fixed version and build time (the
    spec must not change from one start to the next). Its search database has a folder
    of its own, out of reach of the pruning of the content's databases."""
    from ..content.seeds import parse_article  # the reading code: loaded for the spec only

    records = [parse_article(text, name) for name, text in EXAMPLE_SEEDS.items()]
    assert all(isinstance(r, ArticleRecord) for r in records), records
    content = FolderContent(
        root=Path("examples"),
        records=records,
        skipped=[],
        version=EXAMPLE_VERSION,
        files=len(records),
        parsed=len(records),
    )
    folder = temporary_folder() / "examples"
    folder.mkdir(exist_ok=True)
    index = ContentIndex(content, folder / f"search-{EXAMPLE_VERSION}.sqlite")
    index.built_at = EXAMPLE_BUILT_AT
    return index


def add_examples(app: Flask, api: Api) -> None:
    """Set every operation's success example (but :data:`FIXED_EXAMPLES`) to what its
    view answers over :func:`example_index`: the first time the spec is read
    (``/openapi.json``, ``flask openapi write``), not when the app starts, so a worker
    starts without rendering them."""
    to_dict = api.spec.to_dict
    filled = threading.Lock()

    def to_dict_with_examples() -> dict:
        with filled:
            if api.spec.to_dict is to_dict_with_examples:
                _fill(app, api)
                api.spec.to_dict = to_dict
        return to_dict()

    api.spec.to_dict = to_dict_with_examples


def _fill(app: Flask, api: Api) -> None:
    paths = api.spec_paths()
    key = (tuple(paths), tuple(app.config[name] for name in SETTINGS))
    if key not in _CACHE:
        _CACHE[key] = dict(_render_all(app, paths))
    for path, example in _CACHE[key].items():
        ((content,),) = [paths[path]["get"]["responses"]["200"]["content"].values()]
        content["example"] = example
    if "/sync" in paths:
        ((content,),) = [paths["/sync"]["get"]["responses"]["200"]["content"].values()]
        content["example"] = _sync_example(example_index())


def _sync_example(index: ContentIndex) -> dict[str, Any]:
    """A delta page: an article created (its JSON as /articles/{id} answers), one deleted."""
    from schemas.sync_examples import SYNC_TOKEN_EXAMPLE

    first = index.article_id(0)
    return {
        "items": [
            {"kind": "created", "id": first, "article": orjson.loads(index.article_json(first))},
            {"kind": "deleted", "id": DELETED_EXAMPLE_ID},
        ],
        "nextPageUrl": None,
        "nextSyncUrl": f"{EXAMPLE_BASE}/sync?token={SYNC_TOKEN_EXAMPLE}",
        "version": EXAMPLE_VERSION,
    }


# Rendered examples by paths and settings: apps made alike (the tests make hundreds)
# render them once. Examples are plain JSON values or strings, never changed once set.
_CACHE: dict[tuple, dict[str, Any]] = {}


def _render_all(app: Flask, paths: dict[str, dict]) -> Iterator[tuple[str, Any]]:
    adapter = app.url_map.bind("api.example.com", url_scheme="https")
    for path, item in paths.items():
        operation = item.get("get")
        if operation is None or set(operation.get("tags", ())) & FIXED_EXAMPLES:
            continue
        url = _example_url(path, item, operation)
        endpoint, values = adapter.match(url.partition("?")[0])
        with app.test_request_context(url, base_url=EXAMPLE_BASE):
            g.content_index = example_index()
            response = app.make_response(app.view_functions[endpoint](**values))
            if response.status_code != 200:
                raise RuntimeError(f"the example of {path} is a {response.status_code}")
            body = response.get_data()
        if response.mimetype.endswith("json") and "ndjson" not in response.mimetype:
            example: Any = orjson.loads(body)
        else:
            example = body.decode()
        yield path, example


def _example_url(path: str, item: dict, operation: dict) -> str:
    """``path`` with the spec's example for each path parameter, and for each required
    query parameter."""
    parameters = [*item.get("parameters", ()), *operation.get("parameters", ())]
    examples = {p["name"]: p.get("example", p.get("schema", {}).get("example")) for p in parameters}
    url = re.sub(r"\{(\w+)\}", lambda m: str(examples[m.group(1)]), path)
    required = [p["name"] for p in parameters if p["in"] == "query" and p.get("required")]
    query = urlencode({name: examples[name] for name in required})
    return f"{url}?{query}" if query else url
