"""Headless Chromium for the browser tests, driven through Debian's chromedriver.

Why Selenium and chromedriver: docs/decisions/0011-browser-tests-selenium-chromedriver.md.
The browser resolves no host but 127.0.0.1 (``--host-resolver-rules``), so a page under
test can never reach the internet; what it tried to fetch elsewhere still shows in
:meth:`Browser.requested_urls`. Console messages, uncaught exceptions and failed loads
come from chromedriver's browser log, requests from its performance (DevTools) log.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
# CI installs both (.ci/run), so there a missing browser fails instead of skipping.
requires_browser = pytest.mark.skipif(
    (CHROMIUM is None or CHROMEDRIVER is None) and not os.environ.get("CI"),
    reason="needs chromium and chromedriver (.ci/run installs them)",
)

ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",  # CI runs as root
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--window-size=1280,900",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--lang=en-US",
)
TIMEOUT = 15  # seconds, for any one page load, script or wait


class Browser:
    """One headless Chromium; keeps every console entry and request it has seen."""

    def __init__(self, driver: webdriver.Chrome) -> None:
        self.driver = driver
        self._console: list[dict[str, Any]] = []
        self._requests: list[str] = []

    def open(self, url: str) -> None:
        self.driver.get(url)

    def js(self, script: str, *args: Any) -> Any:
        """Run ``script`` in the page (a function body: ``return`` what you want back)."""
        return self.driver.execute_script(script, *args)

    def wait_for(self, condition: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
        """Poll ``condition`` until it is truthy; fail saying ``what`` was awaited."""
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(
                lambda _driver: condition()
            )
        except TimeoutException:
            pytest.fail(f"timed out after {timeout}s waiting for {what}; console: {self.console}")

    @property
    def console(self) -> list[dict[str, Any]]:
        """Console messages, uncaught exceptions and failed loads, oldest first."""
        self._console.extend(self.driver.get_log("browser"))
        return self._console

    def errors(self, allowed_urls: frozenset[str] = frozenset()) -> list[str]:
        """The console's errors, less failed loads of ``allowed_urls``."""
        return [
            entry["message"]
            for entry in self.console
            if entry["level"] == "SEVERE"
            and not (
                entry["source"] == "network" and entry["message"].split(" ")[0] in allowed_urls
            )
        ]

    def requested_urls(self) -> list[str]:
        """Every http(s) and ws(s) URL the browser asked for (not data:, blob:, chrome:)."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                url = message["params"]["request"]["url"]
                if urlsplit(url).scheme in ("http", "https", "ws", "wss"):
                    self._requests.append(url)
        return self._requests

    def foreign_requests(self, origin: str, allowed: frozenset[str] = frozenset()) -> list[str]:
        """Requested URLs outside ``origin`` (e.g. ``http://127.0.0.1:8000``), less ``allowed``."""
        return [
            url
            for url in self.requested_urls()
            if not (url == origin or url.startswith(origin + "/")) and url not in allowed
        ]

    def screenshot(self, path: Path) -> None:
        self.driver.save_screenshot(str(path))


@contextlib.contextmanager
def launch(profile: Path) -> Iterator[Browser]:
    """Start headless Chromium with a fresh profile in ``profile``; quit it afterwards."""
    options = webdriver.ChromeOptions()
    if CHROMIUM:
        options.binary_location = CHROMIUM
    for argument in (*ARGUMENTS, f"--user-data-dir={profile}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # An explicit driver path: Selenium Manager (which would download one) never runs.
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER or "chromedriver"), options=options)
    try:
        driver.set_page_load_timeout(TIMEOUT)
        driver.set_script_timeout(TIMEOUT)
        yield Browser(driver)
    finally:
        driver.quit()
