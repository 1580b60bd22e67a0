"""Screenshots of /explore for the README: the list, a search with suggestions, an article.

    make screenshots        # = .venv/bin/python tests/screenshots.py .demo/3000-1 docs/screenshots

Serves CORPUS with `make serve` (so exactly as the demo is served) on a free loopback
port, opens the three views in the tests' headless Chromium (tests/browser.py: nothing
leaves 127.0.0.1, so the articles' images do not load and the page hides them) and
writes list.png, search.png and article.png into OUT_DIR. The demo corpus is
deterministic, so the pictures change only when the page or the generator does.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import launch  # noqa: E402  (tests/ is not a package)

WINDOW = (1200, 860)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str, timeout: float = 120):
    """The JSON at ``url``, waiting out 503s (each worker maps the index when it is ready)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code != 503 or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the server stopped; see its output above")
        try:
            urllib.request.urlopen(f"{base}/readyz", timeout=2).close()
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    raise SystemExit(f"the server was not ready after {timeout}s")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to make (which passes it on to the server); after a minute, SIGKILL to all."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        print("the server did not stop within 60 s of SIGTERM: killed", file=sys.stderr)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def showing_article(browser, title: str) -> bool:
    return browser.js("return document.getElementById('article-title').textContent") == title


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "NEWS_API_PORT": str(port),
        "NEWS_API_CONTENT_DIR": str(args.corpus.resolve()),
        "NEWS_API_ACCESS_LOG": os.devnull,
        "NEWS_API_LOG_LEVEL": "warning",
    }
    serve = ["make", "--no-print-directory", "-o", ".venv/bin/.installed", "serve"]
    proc = subprocess.Popen(serve, cwd=ROOT, env=env, start_new_session=True)
    try:
        wait_ready(base, proc)
        # An article that shows everything: a short body, related articles, similar ones.
        first = get_json(f"{base}/articles?pageSize=50")["items"]
        article = next(
            full
            for item in first
            if (full := get_json(f"{base}/articles/{item['id']}"))["bodyHtml"]
            and len(full["bodyHtml"]) < 900
            and sum(1 for r in full["related"] if r["id"]) >= 1
        )
        with tempfile.TemporaryDirectory() as profile, launch(Path(profile)) as browser:
            browser.driver.set_window_size(*WINDOW)
            idle = "return document.getElementById('articles').getAttribute('aria-busy')"

            browser.open(f"{base}/explore")
            browser.wait_for(lambda: browser.js(idle) == "false", "the list")
            browser.screenshot(args.out_dir / "list.png")

            browser.open(f"{base}/explore?q=climate")
            browser.wait_for(lambda: browser.js(idle) == "false", "the search")
            box = browser.driver.find_element("id", "q")
            box.send_keys("\ue003", "\ue015")  # Backspace, then ArrowDown once they show
            browser.wait_for(
                lambda: browser.js("return !document.getElementById('suggestions').hidden"),
                "the suggestions",
            )
            box.send_keys("\ue015")
            time.sleep(0.3)
            browser.screenshot(args.out_dir / "search.png")

            browser.open(f"{base}/explore?article={article['id']}")
            browser.wait_for(lambda: showing_article(browser, article["title"]), "the article")
            browser.wait_for(
                lambda: browser.js("return document.getElementById('similar').children.length"),
                "the similar articles",
            )
            browser.screenshot(args.out_dir / "article.png")
    finally:
        stop(proc)
    for name in ("list", "search", "article"):
        path = args.out_dir / f"{name}.png"
        print(f"{path}: {path.stat().st_size // 1024} KB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
