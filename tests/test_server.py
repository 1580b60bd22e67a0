"""The real server, started as `make serve` starts it (the launcher, granian and its workers)."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request

import pytest


def get(url: str) -> tuple[int, dict, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, json.load(error)


def test_real_server_serves_lists_items_and_problems(server):
    server = server.base
    status, headers, body = get(f"{server}/articles?topic=ai&pageSize=5")
    assert status == 200 and body["total"] == 15 and len(body["items"]) == 5
    assert headers["X-Total-Count"] == "15"
    version = headers["X-Content-Version"]
    assert body["links"]["next"] == (
        f"{server}/articles?topic=ai&pageSize=5&contentVersion={version}&page=2"
    )
    status, _, article = get(f"{server}/articles/a00")
    assert status == 200 and article["related"][0]["id"] == "a01"
    status, headers, problem = get(f"{server}/articles?pageSize=100000")
    assert status == 400 and headers["Content-Type"] == "application/problem+json"
    assert problem["errors"][0]["name"] == "pageSize"
    status, _, _ = get(f"{server}/openapi.json")
    assert status == 200


def test_real_server_revalidates_and_compresses(server):
    server = server.base
    url = f"{server}/articles?pageSize=30"
    with urllib.request.urlopen(url, timeout=5) as response:
        plain, etag = response.read(), response.headers["ETag"]
    request = urllib.request.Request(url, headers={"If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as not_modified:
        urllib.request.urlopen(request, timeout=5)
    not_modified.value.close()
    assert not_modified.value.code == 304
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.read()) == plain
