"""The spec's examples are what the server answers (api/resources/examples.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from api.resources.examples import (
    EXAMPLE_BASE,
    EXAMPLE_BUILT_AT,
    EXAMPLE_SEEDS,
    EXAMPLE_VERSION,
    FIXED_EXAMPLES,
)


@pytest.fixture
def example_app(tmp_path: Path, make_app):
    """An app serving a folder of the example seeds, its index dated and versioned as
    the example index is."""
    folder = tmp_path / "examples"
    folder.mkdir()
    for name, text in EXAMPLE_SEEDS.items():
        (folder / name).write_text(text, "utf-8")
    app = make_app(folder)
    index = app.extensions["content"].index
    index.built_at, index.version = EXAMPLE_BUILT_AT, EXAMPLE_VERSION
    return app


def _spec(app) -> dict:
    with app.app_context():
        api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
        return json.loads(json.dumps(api.spec.to_dict()))


def _url(path: str, item: dict) -> str:
    parameters = [*item.get("parameters", ()), *item["get"].get("parameters", ())]
    examples = {p["name"]: p.get("example", p["schema"].get("example")) for p in parameters}
    url = re.sub(r"\{(\w+)\}", lambda m: examples[m.group(1)], path)
    required = {p["name"]: examples[p["name"]] for p in parameters if p.get("required")}
    required.pop(next(iter(re.findall(r"\{(\w+)\}", path)), ""), None)
    return f"{url}?{urlencode(required)}" if required else url


def test_every_example_is_what_the_server_answers(example_app):
    """Lists, items, feeds and exports: each example is the live answer to the example
    request, byte for byte (JSON compared parsed), so none can drift from the code."""
    client = example_app.test_client()
    checked = 0
    for path, item in _spec(example_app)["paths"].items():
        if set(item["get"]["tags"]) & FIXED_EXAMPLES:
            continue
        ((mimetype, ok),) = item["get"]["responses"]["200"]["content"].items()
        response = client.get(_url(path, item), base_url=EXAMPLE_BASE)
        assert response.status_code == 200 and response.mimetype == mimetype, path
        if isinstance(ok["example"], str):
            assert ok["example"] == response.get_data(as_text=True), path
        else:
            assert ok["example"] == response.get_json(), path
        checked += 1
    assert checked == 27


def test_feed_examples_link_their_pages_as_the_live_feeds_do(example_app):
    """The RSS example once had `feed.rss?page=page=1` as its first and last links."""
    spec = _spec(example_app)
    for scope in ("/articles", "/topics/{topic_id}", "/providers/{provider_id}"):
        for fmt, mimetype in (("rss", "application/rss+xml"), ("atom", "application/atom+xml")):
            example = spec["paths"][f"{scope}/feed.{fmt}"]["get"]["responses"]["200"]["content"]
            text = example[mimetype]["example"]
            assert "page=page" not in text
            assert re.search(rf'href="{EXAMPLE_BASE}/[\w/.-]*feed\.{fmt}\?page=1"', text)
    feed = spec["paths"]["/articles/feed.json"]["get"]["responses"]["200"]["content"]
    assert feed["application/feed+json"]["example"]["feed_url"] == (
        f"{EXAMPLE_BASE}/articles/feed.json?page=1"
    )


def test_examples_use_a_host_validators_accept(example_app):
    """https://api.example.com (RFC 2606), not localhost; plain http only for the XML
    namespaces and the RSS spec the feeds name."""
    text = json.dumps(_spec(example_app))
    assert "localhost" not in text and f"{EXAMPLE_BASE}/articles?page=1" in text
    assert {
        re.sub(r"^http://([^/]+)/.*", r"\1", u) for u in re.findall(r'http://[^"\\ <]+', text)
    } == {
        "purl.org",
        "search.yahoo.com",
        "www.w3.org",
        "www.rssboard.org",
    }
