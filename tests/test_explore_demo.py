"""/explore over a generated demo corpus, in headless Chromium against the real server:
facet counts that filter and update, an article view with its related and similar
articles, suggestions while typing (mouse and keyboard only), every view restored from
its address, a feed link for the list, and an accessibility check (axe-core) of the
list, search and article views."""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser import requires_browser
from helpers import access_lines
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from api.content.generate import generate

pytestmark = requires_browser

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
# CI installs axe-core (.ci/run: npm ci in tests/a11y), so there a missing one fails.
requires_axe = pytest.mark.skipif(
    not AXE.exists() and not os.environ.get("CI"),
    reason="needs axe-core: cd tests/a11y && npm ci",
)
PAGE_SIZE = 10  # the page's own (api/static/explore/explore.js)
FACETS = "topic,provider,category,year"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """300 articles from the demo generator (what `make demo` serves, only fewer)."""
    folder = tmp_path / "demo"
    generate(folder, 300, seed=1, jobs=1)
    return folder


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def articles(server, **params) -> dict:
    """The API's own answer for what the list should show."""
    query = urllib.parse.urlencode(
        {**params, "facets": FACETS, "facetSize": 8, "pageSize": PAGE_SIZE}
    )
    return get_json(f"{server.base}/articles?{query}")


def view(browser) -> dict:
    """What the page shows: list ids, facet buttons, the article, the address."""
    return browser.js(
        """const $ = (id) => document.getElementById(id);
           const list = $('articles');
           const facets = {};
           for (const b of document.querySelectorAll('#facets [data-facet]')) {
             (facets[b.dataset.facet] ||= []).push(
               [b.dataset.value, b.querySelector('.count').textContent,
                b.getAttribute('aria-pressed')]);
           }
           return {busy: list.getAttribute('aria-busy'),
                   listShown: !$('list-view').hidden,
                   ids: [...list.children].map(card => card.dataset.id),
                   facets,
                   article: $('article').hidden ? null : $('article-title').textContent,
                   related: [...$('related').children].map(li => li.dataset.id),
                   similar: [...$('similar').children].map(li => li.dataset.id),
                   status: $('status').textContent,
                   page: $('page').textContent,
                   error: $('error').hidden ? null : $('error').textContent,
                   feed: $('feed').href,
                   search: location.search}"""
    )


def expected_facets(page: dict) -> dict:
    return {
        name: [[v["id"], f"{v['count']:,}", "false"] for v in values]
        for name, values in page["facets"].items()
    }


def wait_for_list(browser, expected: dict, what: str) -> dict:
    """Wait until the list shows the API's ``expected`` page, with its facet counts."""
    ids = [item["id"] for item in expected["items"]]

    def showing():
        state = view(browser)
        ready = state["busy"] == "false" and state["listShown"] and state["ids"] == ids
        return state if ready else None

    state = browser.wait_for(showing, f"{what}: {ids}")
    assert state["error"] is None
    assert state["status"].startswith(f"{expected['total']} article")
    assert state["page"] == f"Page {expected['page']} of {expected['totalPages']}"
    shown = {name: sorted([v, c] for v, c, _ in values) for name, values in state["facets"].items()}
    assert shown == {
        name: sorted([v, c] for v, c, _ in values)
        for name, values in expected_facets(expected).items()
    }
    return state


def wait_for_article(browser, server, article_id: str, what: str) -> dict:
    """Wait until the article view shows the API's article ``article_id``, whole."""
    article = get_json(f"{server.base}/articles/{article_id}")
    similar = get_json(f"{server.base}/articles/{article_id}/similar?pageSize=5")["items"]

    def showing():
        state = view(browser)
        return state if state["article"] == article["title"] and not state["listShown"] else None

    state = browser.wait_for(showing, f"{what}: {article_id}")
    address = urllib.parse.parse_qs(state["search"][1:])
    assert address["article"] == [article_id] and state["error"] is None
    body = browser.js("return document.querySelector('#article .body').innerHTML")
    assert body == article["bodyHtml"]
    assert state["related"] == [item["id"] or "" for item in article["related"]] or (
        not article["related"] and state["related"] == [""]
    )
    assert state["similar"] == [item["id"] for item in similar] or (
        not similar and state["similar"] == [""]
    )
    images = browser.js(
        "return [...document.querySelectorAll('#article .images img')].map(i => i.src)"
    )
    assert images == [image["url"] for image in article["images"]]
    return article


def is_image(url: str) -> bool:
    """The generated articles' images: on the publishers' CDNs, which the browser cannot reach."""
    parts = urlsplit(url)
    return (parts.hostname or "").startswith("cdn.") and parts.path.startswith("/media/")


def assert_clean(browser, server) -> None:
    """No console error and no request elsewhere, but the articles' images."""
    errors = [
        entry["message"]
        for entry in browser.console
        if entry["level"] == "SEVERE"
        and not (entry["source"] == "network" and is_image(entry["message"].split(" ")[0]))
    ]
    assert errors == []
    assert [url for url in browser.foreign_requests(server.base) if not is_image(url)] == []


def facet_button(browser, facet: str, value: str):
    return browser.driver.find_element(
        By.CSS_SELECTOR, f'#facets [data-facet="{facet}"][data-value="{value}"]'
    )


def test_filter_facet_article_related_and_back(server, browser):
    browser.open(f"{server.base}/explore")
    first = articles(server)
    assert first["total"] == 300
    state = wait_for_list(browser, first, "the first page")
    assert {name for name in state["facets"]} == {"topic", "provider", "category", "year"}
    assert len(state["facets"]["year"]) >= 5  # several years of dates

    # A facet value filters the list; every facet's counts follow.
    topic = first["facets"]["topic"][0]
    facet_button(browser, "topic", topic["id"]).click()
    by_topic = articles(server, topic=topic["id"])
    assert by_topic["total"] == topic["count"]
    state = wait_for_list(browser, by_topic, "the topic's articles")
    assert state["search"] == f"?topic={topic['id']}"
    assert [v for v, _, pressed in state["facets"]["topic"] if pressed == "true"] == [topic["id"]]

    # A second facet narrows it further: a year is a from/to range of the API.
    year = by_topic["facets"]["year"][0]
    facet_button(browser, "year", year["id"]).click()
    both = articles(
        server, topic=topic["id"], **{"from": f"{year['id']}-01-01", "to": f"{year['id']}-12-31"}
    )
    assert both["total"] == year["count"] < by_topic["total"]
    state = wait_for_list(browser, both, "the topic's articles of one year")
    assert state["search"] == f"?topic={topic['id']}&year={year['id']}"
    feed = urlsplit(state["feed"])
    assert feed.path == "/articles/feed.atom"
    assert urllib.parse.parse_qs(feed.query) == {
        "topic": [topic["id"]],
        "from": [f"{year['id']}-01-01"],
        "to": [f"{year['id']}-12-31"],
    }
    with urllib.request.urlopen(state["feed"], timeout=10) as atom:
        assert atom.headers["Content-Type"].startswith("application/atom+xml")

    # Clicking the pressed value again lifts that filter.
    facet_button(browser, "year", year["id"]).click()
    wait_for_list(browser, by_topic, "the topic's articles again")

    # An article of the list that has a related item which is another article of the corpus.
    fulls = [get_json(f"{server.base}/articles/{item['id']}") for item in by_topic["items"]]
    opened = next((full for full in fulls if any(r["id"] for r in full["related"])), None)
    assert opened is not None, "the generator should link related items to articles"
    browser.driver.find_element(By.CSS_SELECTOR, f'[data-id="{opened["id"]}"] .title a').click()
    wait_for_article(browser, server, opened["id"], "the article")
    related = next(r for r in opened["related"] if r["id"])
    link = browser.driver.find_element(By.CSS_SELECTOR, f'#related [data-id="{related["id"]}"] a')
    assert link.text == related["title"]
    link.click()
    wait_for_article(browser, server, related["id"], "the related article")

    # Back, back: the first article, then the filtered list, as they were.
    browser.driver.back()
    wait_for_article(browser, server, opened["id"], "the first article, by history")
    browser.driver.back()
    state = wait_for_list(browser, by_topic, "the list, by history")
    assert state["search"] == f"?topic={topic['id']}"
    browser.driver.forward()
    wait_for_article(browser, server, opened["id"], "the article, by history forward")

    # A similar article opens too.
    similar = get_json(f"{server.base}/articles/{opened['id']}/similar?pageSize=5")["items"]
    browser.driver.find_element(
        By.CSS_SELECTOR, f'#similar [data-id="{similar[0]["id"]}"] a'
    ).click()
    wait_for_article(browser, server, similar[0]["id"], "a similar article")
    assert_clean(browser, server)


def test_a_shared_address_restores_the_view(server, browser):
    first = articles(server)
    category = first["facets"]["category"][0]["id"]
    year = first["facets"]["year"][0]["id"]
    dates = {"from": f"{year}-01-01", "to": f"{year}-12-31"}
    expected = articles(server, category=category, **dates)
    assert expected["totalPages"] >= 2
    expected = articles(server, category=category, page=2, **dates)
    browser.open(f"{server.base}/explore?category={category}&year={year}&page=2")
    state = wait_for_list(browser, expected, "page 2 of a category and a year")
    pressed = {
        name: [v for v, _, p in values if p == "true"] for name, values in state["facets"].items()
    }
    assert pressed["category"] == [category] and pressed["year"] == [year]

    # Next and previous follow the API's Link header.
    browser.driver.find_element(By.ID, "prev").click()
    state = wait_for_list(
        browser, articles(server, category=category, **dates), "page 1 by the Link header"
    )
    assert state["search"] == f"?category={category}&year={year}"

    # A shared article link opens the article; a missing one shows the API's problem.
    article_id = first["items"][3]["id"]
    browser.open(f"{server.base}/explore?article={article_id}")
    wait_for_article(browser, server, article_id, "a shared article link")
    assert_clean(browser, server)
    browser.open(f"{server.base}/explore?article=nope")
    error = browser.wait_for(lambda: view(browser)["error"], "the problem's detail")
    assert error.startswith("Could not load the article: 404 No article has the id 'nope'.")
    assert "(request " in error


def suggestions(browser) -> dict:
    return browser.js(
        """const box = document.getElementById('q');
           const list = document.getElementById('suggestions');
           return {expanded: box.getAttribute('aria-expanded'),
                   active: box.getAttribute('aria-activedescendant'),
                   hidden: list.hidden,
                   texts: [...list.children].map(li => li.firstChild.textContent),
                   selected: [...list.children].map(li => li.getAttribute('aria-selected'))}"""
    )


def wait_for_suggestions(browser, server, text: str) -> list[dict]:
    expected = get_json(f"{server.base}/suggest?{urllib.parse.urlencode({'q': text, 'limit': 8})}")
    texts = [item["text"] for item in expected["items"]]
    assert texts, f"the corpus should have suggestions for {text!r}"
    browser.wait_for(
        lambda: (s := suggestions(browser))["texts"] == texts and s["expanded"] == "true",
        f"the suggestions for {text!r}: {texts}",
    )
    return expected["items"]


def test_suggestions_while_typing(server, browser):
    browser.open(f"{server.base}/explore")
    wait_for_list(browser, articles(server), "the first page")
    box = browser.driver.find_element(By.ID, "q")
    box.send_keys("clim")
    items = wait_for_suggestions(browser, server, "clim")
    assert items[0] == {**items[0], "type": "topic", "id": "climate-change"}

    # Arrows move through them (wrapping), Escape closes them.
    box.send_keys(Keys.ARROW_DOWN, Keys.ARROW_DOWN)
    state = suggestions(browser)
    assert state["active"] == "suggestion-1" and state["selected"][:2] == ["false", "true"]
    box.send_keys(Keys.ARROW_UP, Keys.ARROW_UP)
    assert suggestions(browser)["active"] == f"suggestion-{len(items) - 1}"
    box.send_keys(Keys.ESCAPE)
    state = suggestions(browser)
    assert state["hidden"] and state["expanded"] == "false" and state["active"] is None
    assert box.get_attribute("value") == "clim"

    # Enter on a topic filters the list by it.
    box.send_keys("a")
    wait_for_suggestions(browser, server, "clima")
    box.send_keys(Keys.ARROW_DOWN, Keys.ENTER)
    state = wait_for_list(browser, articles(server, topic="climate-change"), "the topic picked")
    assert state["search"] == "?topic=climate-change" and suggestions(browser)["hidden"]

    # A click on an article suggestion opens it.
    box = browser.driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys("clim")
    items = wait_for_suggestions(browser, server, "clim")
    k = next(i for i, item in enumerate(items) if item["type"] == "article")
    browser.driver.find_element(By.ID, f"suggestion-{k}").click()
    wait_for_article(browser, server, items[k]["id"], "the article picked")
    assert_clean(browser, server)


def test_keyboard_only_tab_type_arrow_enter(server, browser):
    browser.open(f"{server.base}/explore")
    wait_for_list(browser, articles(server), "the first page")
    body = browser.driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    for _ in range(10):  # the masthead's links come first
        if browser.js("return document.activeElement.id") == "q":
            break
        browser.driver.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.js("return document.activeElement.id") == "q"
    focused = browser.driver.switch_to.active_element
    focused.send_keys("clim")
    items = wait_for_suggestions(browser, server, "clim")
    k = next(i for i, item in enumerate(items) if item["type"] == "article")
    focused.send_keys(*[Keys.ARROW_DOWN] * (k + 1))
    assert suggestions(browser)["active"] == f"suggestion-{k}"
    focused.send_keys(Keys.ENTER)
    wait_for_article(browser, server, items[k]["id"], "the article chosen by keyboard")
    # Focus moved to the article's title, so a screen reader starts there.
    assert browser.js("return document.activeElement.id") == "article-title"

    # Enter with no suggestion chosen searches, with highlights.
    box = browser.driver.find_element(By.ID, "q")
    box.send_keys(Keys.CONTROL, "a", Keys.DELETE)
    box.send_keys("climate", Keys.ENTER)
    expected = articles(server, q="climate", highlight="true")
    state = wait_for_list(browser, expected, "the search results")
    assert state["search"] == "?q=climate" and "climate" in state["status"]
    marks = browser.js("return document.querySelectorAll('#articles mark').length")
    assert marks > 0
    assert_clean(browser, server)


def axe_violations(browser) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: cd tests/a11y && npm ci")
    browser.js(AXE.read_text(encoding="utf-8") + "\nreturn true;")
    found = browser.driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
           axe.run(document, {resultTypes: ['violations']})
             .then((result) => done({passes: result.passes.length,
               violations: result.violations.map((v) => ({
                 id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5)}))}))
             .catch((error) => done({passes: 0, violations: [String(error)]}));"""
    )
    assert found["passes"] > 20, found  # axe ran its rules on this page
    return [v for v in found["violations"] if v["impact"] in ("serious", "critical")]


@requires_axe
def test_accessibility_of_list_search_and_article(server, browser):
    browser.open(f"{server.base}/explore")
    wait_for_list(browser, articles(server), "the first page")
    assert axe_violations(browser) == []

    # The search view, with its suggestions open.
    browser.open(f"{server.base}/explore?q=climate")
    wait_for_list(browser, articles(server, q="climate", highlight="true"), "the search")
    browser.driver.find_element(By.ID, "q").send_keys(Keys.BACKSPACE)
    wait_for_suggestions(browser, server, "climat")
    assert axe_violations(browser) == []

    article_id = articles(server)["items"][0]["id"]
    browser.open(f"{server.base}/explore?article={article_id}")
    wait_for_article(browser, server, article_id, "the article")
    assert axe_violations(browser) == []


@pytest.fixture
def always_revalidate(monkeypatch):
    """Responses the browser must revalidate before every use (instead of max-age=60)."""
    monkeypatch.setenv("NEWS_API_CACHE_CONTROL", "no-cache")


def test_the_page_revalidates_with_the_etag(always_revalidate, server, browser):
    """The page has no caching code: fetch() and the browser's HTTP cache send
    If-None-Match, and a list seen again is a 304 (its JSON comes from the cache)."""
    browser.open(f"{server.base}/explore")
    first = articles(server)
    wait_for_list(browser, first, "the first page")
    browser.driver.find_element(By.ID, "next").click()
    wait_for_list(browser, articles(server, page=2), "the second page")
    browser.driver.back()
    wait_for_list(browser, first, "the first page again, from the browser's cache")

    def revalidated():
        return [
            line
            for line in access_lines(server.access_log)
            if line["path"] == "/articles"
            and line["status"] == 304
            and "page=" not in line["query"]
        ]

    browser.wait_for(revalidated, "a 304 for the first page in the access log")
    assert_clean(browser, server)
