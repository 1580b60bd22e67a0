"""The docs page (/docs) in a real browser against the real server: Swagger UI loads from
the server alone (no request leaves it), without a console error, shows every operation
of the spec, and its "Try it out" fetches the seed article."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest
from browser import requires_browser
from conftest import ROOT
from helpers import was_served, write_corpus
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

SEED_ID = "000_31537b93d5a29298"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The bundled seed article beside a few generated ones."""
    folder = write_corpus(tmp_path / "content", 5)
    shutil.copy(ROOT / "seeds" / f"{SEED_ID}.txt", folder)
    return folder


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def shown_operations(browser) -> list[dict]:
    return browser.js(
        """return [...document.querySelectorAll('.opblock')].map(block => ({
             id: block.id,
             method: block.querySelector('.opblock-summary-method').textContent,
             path: block.querySelector('.opblock-summary-path').dataset.path}))"""
    )


def test_the_site_has_a_favicon(client):
    """Browsers ask every site for one; a 404 would be an error in the console."""
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200 and response.mimetype == "image/png"


@requires_browser
def test_docs_page_shows_every_operation_and_tries_one(server, browser):
    spec = get_json(f"{server.base}/openapi.json")
    operations = {
        (method.upper(), path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }
    article = get_json(f"{server.base}/articles/{SEED_ID}")

    browser.open(f"{server.base}/docs")
    browser.wait_for(lambda: len(shown_operations(browser)) >= len(operations), "the operations")
    shown = shown_operations(browser)
    assert {(op["method"], op["path"]) for op in shown} == set(operations)
    for operation in operations.values():
        if "operationId" in operation:
            assert any(op["id"].endswith(f"-{operation['operationId']}") for op in shown)

    # Open the article's operation: its documented example is there before any call.
    path = "/articles/{article_id}"
    block = browser.driver.find_element(
        By.CSS_SELECTOR, f'.opblock:has(.opblock-summary-path[data-path="{path}"])'
    )
    block.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    example = operations["GET", path]["responses"]["200"]["content"]["application/json"]["example"]
    browser.wait_for(
        lambda: example["title"] in block.find_element(By.CSS_SELECTOR, ".responses-table").text,
        "the response example",
    )

    # Try it out: a plain request (the inputs Swagger UI fills from the examples
    # emptied), for the seed article.
    for button in block.find_elements(By.CSS_SELECTOR, "button.try-out__btn"):
        if button.text == "Try it out":
            button.click()
    inputs = block.find_elements(By.CSS_SELECTOR, ".parameters tr[data-param-name] input")
    assert inputs
    for field in inputs:
        field.send_keys(Keys.CONTROL, "a", Keys.DELETE)
    article_id = block.find_element(
        By.CSS_SELECTOR, '.parameters tr[data-param-name="article_id"] input'
    )
    article_id.send_keys(SEED_ID)
    block.find_element(By.CSS_SELECTOR, "button.execute").click()

    def response_body():
        for body in block.find_elements(By.CSS_SELECTOR, ".live-responses-table .microlight"):
            try:
                return json.loads(body.text)
            except ValueError:
                continue
        return None

    shown_article = browser.wait_for(response_body, "the response of Try it out")
    assert shown_article["id"] == SEED_ID
    assert shown_article["title"] == article["title"]
    assert shown_article["body"] == article["body"]
    status = block.find_element(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status")
    assert status.text.strip() == "200"
    request_url = block.find_element(By.CSS_SELECTOR, ".request-url pre").text
    assert request_url == f"{server.base}/articles/{SEED_ID}"
    assert was_served(server.access_log, f"/articles/{SEED_ID}", 200)

    assert browser.errors() == []
    assert browser.foreign_requests(server.base) == []
