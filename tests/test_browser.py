"""A page on another origin uses the API from a real browser (headless Chromium):
CORS lets it read the JSON and the headers it needs, it pages with the links, and the
browser's own cache revalidates with the ETag (a 304 in the server's access log)."""

from __future__ import annotations

import functools
import http.server
import json
import threading

import pytest
from browser import requires_browser
from conftest import free_port
from helpers import was_served

pytestmark = requires_browser

PAGE = """<!doctype html>
<html><body><pre id="out">pending</pre>
<script>
const api = "%(api)s";
async function run() {
  const out = {};
  const first = await fetch(api + "/articles?topic=ai&pageSize=2");
  const body = await first.json();
  out.status = first.status;
  out.total = first.headers.get("X-Total-Count");
  out.link = first.headers.get("Link");
  out.etag = first.headers.get("ETag");
  out.firstPage = body.items.map((item) => item.id);
  const second = await (await fetch(body.links.next)).json();
  out.secondPage = second.items.map((item) => item.id);
  const again = await fetch(api + "/articles?topic=ai&pageSize=2", {cache: "no-cache"});
  out.againStatus = again.status;
  out.againPage = (await again.json()).items.map((item) => item.id);
  document.getElementById("out").textContent = JSON.stringify(out);
}
run().catch((error) => { document.getElementById("out").textContent = "ERROR " + error; });
</script></body></html>
"""


@pytest.fixture
def page_origin(tmp_path):
    """A static file server on another port: another origin."""
    root = tmp_path / "site"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_page_on_another_origin_fetches_pages_and_caches(server, page_origin, browser):
    root, origin = page_origin
    (root / "index.html").write_text(PAGE % {"api": server.base})
    browser.open(f"{origin}/index.html")
    text = browser.wait_for(
        lambda: (
            (out := browser.js("return document.getElementById('out').textContent")) != "pending"
            and out
        ),
        "the page's script",
    )
    assert not text.startswith("ERROR"), text
    out = json.loads(text)
    assert out["status"] == 200 and out["total"] == "15"
    assert 'rel="next"' in out["link"] and out["etag"]
    assert len(out["firstPage"]) == 2 and len(out["secondPage"]) == 2
    assert not set(out["firstPage"]) & set(out["secondPage"])
    assert out["againStatus"] == 200 and out["againPage"] == out["firstPage"]
    assert was_served(server.access_log, "/articles", 304, query="topic=ai&pageSize=2")
