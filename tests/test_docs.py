"""The README documents every route and every setting (a test, so it stays true)."""

from __future__ import annotations

import re
from pathlib import Path

from api.config import Config

README = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")


def test_every_route_is_in_the_readme(client):
    spec = client.get("/openapi.json").get_json()
    documented = set(re.findall(r"^\| `GET (/[^`]*)` \|", README, re.M))
    normalized = {re.sub(r"\{[^}]+\}", "{id}", path) for path in spec["paths"]}
    assert normalized | {"/openapi.json", "/docs", "/explore", "/metrics"} == documented


def test_every_setting_is_in_the_readme():
    settings = {
        name
        for name in vars(Config)
        if name.isupper()
        and not name.startswith(("API_", "OPENAPI_", "COMPRESS_ALGORITHM", "COMPRESS_MIMETYPES"))
    }
    documented = set(re.findall(r"^\| `NEWS_API_([A-Z_]+)` \|", README, re.M))
    assert settings <= documented, settings - documented
