"""The example front-end (/explore) in a real browser against the real server: it lists
the first page, pages with the API's links, filters by topic and provider (select boxes
filled from /topics and /providers), keeps its state in its address, shows text as text,
and asks nothing of any other origin but the articles' images."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from html import unescape
from pathlib import Path

import pytest
from browser import requires_browser
from helpers import article_fields, assert_problem, write_corpus, write_seed
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

PAGE_SIZE = 10  # the page's own (api/static/explore/explore.js)
UNSAFE_TITLE = '<img src=x id=injected> Bold <b>claims</b> & "quotes"'


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """30 generated articles and one whose title and excerpt look like markup."""
    folder = write_corpus(tmp_path / "content", 30)
    write_seed(
        folder,
        "markup.md",
        **article_fields(30, title=UNSAFE_TITLE, excerpt="<script>document.title='owned'</script>"),
    )
    return folder


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def articles(server, **params) -> dict:
    """The API's own answer for what the page should show."""
    query = urllib.parse.urlencode({**params, "pageSize": PAGE_SIZE})
    return get_json(f"{server.base}/articles?{query}")


def image_urls(server) -> frozenset[str]:
    """Images are on the publishers' origins; the test browser resolves none of them."""
    everything = get_json(f"{server.base}/articles?pageSize=100")["items"]
    return frozenset(item["image"]["url"] for item in everything if item.get("image"))


def shown(browser) -> dict:
    return browser.js(
        """const list = document.getElementById('articles');
           return {busy: list.getAttribute('aria-busy'),
                   ids: [...list.children].map(card => card.dataset.id),
                   status: document.getElementById('status').textContent,
                   page: document.getElementById('page').textContent,
                   error: document.getElementById('error').hidden ? null
                          : document.getElementById('error').textContent,
                   prev: !document.getElementById('prev').disabled,
                   next: !document.getElementById('next').disabled,
                   search: location.search}"""
    )


def wait_for_page(browser, expected: dict, what: str) -> dict:
    """Wait until the page shows exactly the API's ``expected`` page."""
    ids = [item["id"] for item in expected["items"]]

    def showing():
        state = shown(browser)
        return state if state["busy"] == "false" and state["ids"] == ids else None

    state = browser.wait_for(showing, f"{what}: {ids}")
    assert state["error"] is None
    count = f"{expected['total']} article" if expected["total"] else "No article"
    assert state["status"].startswith(count)
    pages = expected["totalPages"]
    assert state["page"] == (f"Page {expected['page']} of {pages}" if pages else "")
    assert state["prev"] == bool(expected["links"]["prev"])
    assert state["next"] == bool(expected["links"]["next"])
    return state


def click(browser, element_id: str) -> None:
    browser.driver.find_element(By.ID, element_id).click()


def assert_clean(browser, server) -> None:
    """No console error, and no request elsewhere, but the articles' images."""
    images = image_urls(server)
    assert browser.errors(allowed_urls=images) == []
    assert browser.foreign_requests(server.base, allowed=images) == []


def test_explore_is_served_with_its_assets_and_no_inline_code(client):
    with client.get("/explore") as page:
        assert page.status_code == 200 and page.mimetype == "text/html"
        html = page.get_data(as_text=True)
    # Nothing a strict Content-Security-Policy (script-src 'self') would block.
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts == [(' src="explore/explore.js" defer', "")]
    assert not re.search(r"\son[a-z]+\s*=", html) and "<style" not in html
    assert "javascript:" not in html
    for asset, mimetype in [("explore.js", "text/javascript"), ("explore.css", "text/css")]:
        with client.get(f"/explore/{asset}") as response:
            assert response.status_code == 200 and response.mimetype == mimetype
            assert response.headers["ETag"]
    # Its links are relative to /explore, so /explore/ sends the browser there.
    slash = client.get("/explore/")
    assert slash.status_code == 308 and slash.headers["Location"] == "/explore"
    assert_problem(client.get("/explore/missing.js"), 404)


@requires_browser
def test_explore_lists_and_pages_with_the_api_links(server, browser):
    browser.open(f"{server.base}/explore")
    first = articles(server)
    wait_for_page(browser, first, "the first page")

    # A card says what the API says, as text.
    item = first["items"][0]
    card = browser.driver.find_element(By.CSS_SELECTOR, f'[data-id="{item["id"]}"]')
    link = card.find_element(By.CSS_SELECTOR, ".title a")
    # The title opens the article on this page; the provider's name links to the original.
    assert link.text == item["title"]
    assert link.get_attribute("href") == f"{server.base}/explore?article={item['id']}"
    provider = card.find_element(By.CSS_SELECTOR, ".provider")
    assert provider.text == item["provider"]["name"]
    assert provider.get_attribute("href") == item["webUrl"]
    chips = [chip.text for chip in card.find_elements(By.CSS_SELECTOR, ".chip")]
    assert chips == [topic["name"] for topic in item["topics"]]
    published = card.find_element(By.CSS_SELECTOR, "time").get_attribute("datetime")
    assert published == item["publishedDateTime"]
    assert card.find_element(By.CSS_SELECTOR, "img").get_attribute("src") == item["image"]["url"]

    # Markup in the content is shown as text, never run or parsed.
    unsafe = browser.driver.find_element(By.CSS_SELECTOR, '[data-id="markup"]')
    assert unsafe.find_element(By.CSS_SELECTOR, ".title a").text == UNSAFE_TITLE.strip()
    assert "<script>" in unsafe.find_element(By.CSS_SELECTOR, ".excerpt").text
    assert not browser.js("return document.querySelector('#articles #injected, #articles b')")
    assert browser.js("return document.title") != "owned"

    # Next to the last page, then previous: each page is the API's, by its links.
    pages = [first]
    while pages[-1]["links"]["next"]:
        pages.append(get_json(pages[-1]["links"]["next"]))
        click(browser, "next")
        state = wait_for_page(browser, pages[-1], f"page {len(pages)}")
        assert state["search"] == f"?page={len(pages)}"
    assert len(pages) == 4 and not state["next"]
    click(browser, "prev")
    wait_for_page(browser, pages[-2], "the page before the last")
    browser.driver.back()  # the browser's history has each page
    wait_for_page(browser, pages[-1], "the last page again, by history")
    assert_clean(browser, server)

    # A bad address shows the API's problem detail, not an empty list.
    browser.open(f"{server.base}/explore?page=0")
    error = browser.wait_for(lambda: shown(browser)["error"], "the error message")
    assert error.startswith("Could not load the articles: 400 page:")
    assert shown(browser)["ids"] == []


@requires_browser
def test_explore_filters_by_topic_and_provider(server, browser):
    browser.open(f"{server.base}/explore")
    wait_for_page(browser, articles(server), "the first page")

    # The select boxes hold every topic and provider.
    topic = Select(browser.driver.find_element(By.ID, "topic"))
    provider = Select(browser.driver.find_element(By.ID, "provider"))
    topics = get_json(f"{server.base}/topics?pageSize=100")["items"]
    providers = get_json(f"{server.base}/providers?pageSize=100")["items"]
    assert {o.get_attribute("value") for o in topic.options} == {"", *(t["id"] for t in topics)}
    assert {o.get_attribute("value") for o in provider.options} == {
        "",
        *(p["id"] for p in providers),
    }

    topic.select_by_value("computer-vision")
    expected = articles(server, topic="computer-vision")
    state = wait_for_page(browser, expected, "the topic's articles")
    assert state["search"] == "?topic=computer-vision"
    assert all("computer-vision" in [t["id"] for t in item["topics"]] for item in expected["items"])

    provider.select_by_value("techdaily.com")
    both = articles(server, topic="computer-vision", provider="techdaily.com")
    wait_for_page(browser, both, "the topic's articles from one provider")
    assert 0 < both["total"] < expected["total"]

    topic.select_by_value("")
    only_provider = articles(server, provider="techdaily.com")
    state = wait_for_page(browser, only_provider, "the provider's articles")
    assert {item["provider"]["id"] for item in only_provider["items"]} == {"techdaily.com"}
    assert state["search"] == "?provider=techdaily.com"

    # The address keeps the view: a reload shows the same filter and list.
    browser.driver.refresh()
    wait_for_page(browser, only_provider, "the provider's articles after a reload")
    provider = Select(browser.driver.find_element(By.ID, "provider"))
    assert provider.first_selected_option.get_attribute("value") == "techdaily.com"

    # A topic on a card filters by it (with the provider still chosen).
    chip = browser.driver.find_element(By.CSS_SELECTOR, "#articles .chip")
    chosen = chip.get_attribute("data-topic")
    chip.click()
    wait_for_page(
        browser, articles(server, topic=chosen, provider="techdaily.com"), "the chip's topic"
    )

    assert_clean(browser, server)


@requires_browser
def test_explore_search(server, browser):
    browser.open(f"{server.base}/explore")
    wait_for_page(browser, articles(server), "the first page")

    box = browser.driver.find_element(By.ID, "q")
    box.send_keys("robots", Keys.ENTER)
    expected = articles(server, q="robots", highlight="true")
    state = wait_for_page(browser, expected, "the search results")
    assert state["search"] == "?q=robots"
    assert "robots" in state["status"]

    # Highlights are the API's: the title's text is the title, with <mark>s and no other
    # element; the marked words are the API's.
    for item in expected["items"]:
        title = browser.driver.find_element(By.CSS_SELECTOR, f'[data-id="{item["id"]}"] .title a')
        assert title.text == item["title"]
        marks = browser.js(
            "return [...arguments[0].querySelectorAll('*')].map(e => [e.tagName, e.textContent])",
            title,
        )
        assert marks and {tag for tag, _ in marks} == {"MARK"}
        api_marks = re.findall(r"<mark>(.*?)</mark>", item["highlight"]["title"])
        assert [text for _, text in marks] == [unescape(text) for text in api_marks]

    # The markup title, found by a word in it, is still text (its highlight is escaped).
    box.send_keys(Keys.CONTROL, "a", Keys.DELETE)
    box.send_keys("claims", Keys.ENTER)
    found = articles(server, q="claims", highlight="true")
    wait_for_page(browser, found, "the markup article")
    title = browser.driver.find_element(By.CSS_SELECTOR, '[data-id="markup"] .title a')
    assert title.text == UNSAFE_TITLE.strip()
    assert not browser.js("return document.querySelector('#articles #injected, #articles b')")

    # Search combines with a filter, and finding nothing says so.
    Select(browser.driver.find_element(By.ID, "provider")).select_by_value("voanews.com")
    within = articles(server, q="claims", highlight="true", provider="voanews.com")
    assert within["total"] == 1
    wait_for_page(browser, within, "the search within the article's provider")
    Select(browser.driver.find_element(By.ID, "provider")).select_by_value("techdaily.com")
    none = articles(server, q="claims", highlight="true", provider="techdaily.com")
    state = wait_for_page(browser, none, "the search within another provider")
    assert state["status"] == "No article matches “claims”."

    assert_clean(browser, server)
