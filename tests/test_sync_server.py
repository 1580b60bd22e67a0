"""Sync and webhooks under the real server (as `make serve` runs it, live reload on): the
issue's whole story, from an initial sync through three changes, a restart, the end of
the retention span and a foreign token; webhook receivers on loopback, one of them dead."""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request

import pytest
from conftest import start_server
from helpers import article_fields, settled_version, write_corpus, write_seed
from standardwebhooks import Webhook
from webhook_receiver import SECRET, BlackHole, Receiver, signature_checks

WAIT = 10  # seconds: the most a reload may take here (the dead receiver's timeout is 30)


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def walk(url: str) -> tuple[list[tuple[str, str]], list[dict], str]:
    items = []
    for _ in range(100):
        status, page = get(url)
        assert status == 200, page
        items += page["items"]
        if page["nextPageUrl"] is None:
            return [(i["kind"], i["id"]) for i in items], items, page["nextSyncUrl"]
        url = page["nextPageUrl"]
    raise AssertionError("no end")


def version(base: str) -> str:
    return get(f"{base}/readyz")[1]["contentVersion"]


def wait_for_new_version(base: str, old: str) -> str:
    """The next version, once both workers serve it."""
    return settled_version(lambda: version(base), old, WAIT)


@pytest.fixture
def receivers():
    """A receiver answering 200, one answering 500 twice first, and a dead one."""
    ok, flaky, dead = Receiver(), Receiver([500, 500]), BlackHole()
    yield ok, flaky, dead
    ok.close()
    flaky.close()
    dead.close()


@pytest.fixture
def sync_server(monkeypatch, receivers, corpus, tmp_path):
    ok, flaky, dead = receivers
    monkeypatch.setenv("NEWS_API_RELOAD_DELAY", "0.2")
    monkeypatch.setenv("NEWS_API_SYNC_RETENTION_VERSIONS", "3")
    monkeypatch.setenv("NEWS_API_WEBHOOKS", json.dumps([dead.url, ok.url, flaky.url]))
    monkeypatch.setenv("NEWS_API_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("NEWS_API_WEBHOOK_TIMEOUT", "30")
    monkeypatch.setenv("NEWS_API_WEBHOOK_BACKOFF", "0.2")
    monkeypatch.setenv("NEWS_API_WEBHOOK_RETRY_SECONDS", "5")
    running = [start_server(corpus, tmp_path)]
    yield running  # a list: the test restarts it
    running[-1].stop()


def test_sync_and_webhooks_under_the_real_server(sync_server, receivers, corpus, tmp_path):
    ok, flaky, _dead = receivers
    base = sync_server[-1].base
    kinds, items, start = walk(f"{base}/sync?pageSize=7")
    assert len(items) == 30 and {k for k, _ in kinds} == {"created"}

    # Add, change, delete: one version each, none slowed by the dead receiver.
    versions = [version(base)]
    write_seed(corpus, "new.md", body="New.", **article_fields(50))
    versions.append(wait_for_new_version(base, versions[-1]))
    write_seed(corpus, "a03.md", body="Changed.", **article_fields(3))
    versions.append(wait_for_new_version(base, versions[-1]))
    (corpus / "a05.md").unlink()
    versions.append(wait_for_new_version(base, versions[-1]))

    kinds, items, next_sync = walk(start)
    assert kinds == [("created", "new"), ("updated", "a03"), ("deleted", "a05")]
    assert items[0]["article"] == get(f"{base}/articles/new")[1]
    assert items[1]["article"] == get(f"{base}/articles/a03")[1]
    assert walk(next_sync)[0] == []
    assert walk(next_sync)[2] == next_sync

    # One signed event per version, to each live receiver; the flaky one got each event
    # after two 500s, with the same delivery id all three times.
    events = ok.wait_for(3)
    time.sleep(0.5)
    assert len(ok.received) == 3
    for headers, body in events:
        assert signature_checks(headers, body)
        Webhook(SECRET).verify(body, headers)
    data = [json.loads(body)["data"] for _, body in events]
    assert [(d["previousVersion"], d["version"]) for d in data] == list(
        itertools.pairwise(versions)
    )
    assert [(d["created"], d["updated"], d["deleted"]) for d in data] == [
        (["new"], [], []),
        ([], ["a03"], []),
        ([], [], ["a05"]),
    ]
    first_ids = [h["webhook-id"] for h, _ in flaky.wait_for(5)[:3]]
    assert len(set(first_ids)) == 1 and first_ids[0] == events[0][0]["webhook-id"]
    assert [json.loads(b) for _, b in flaky.received[:3]] == [json.loads(events[0][1])] * 3

    # A restart: the tokens still work.
    sync_server[-1].stop()
    sync_server.append(start_server(corpus, tmp_path))
    base = sync_server[-1].base
    assert walk(next_sync.replace(next_sync.split("/sync")[0], base))[0] == []
    assert walk(start.replace(start.split("/sync")[0], base))[0] == kinds

    # Garbage is a 400 naming the token; a token of another folder is a 410 that shows
    # none of that folder's content.
    status, problem = get(f"{base}/sync?token=not-a-token")
    assert status == 400 and problem["errors"][0]["name"] == "token"
    from api import create_app

    other = create_app(
        {
            "CONTENT_DIR": str(write_corpus(tmp_path / "other", 2)),
            "CACHE_DIR": str(tmp_path / "cache"),
        }
    )
    foreign = other.test_client().get("/sync").get_json()["nextSyncUrl"]
    status, problem = get(foreign.replace("http://localhost", base))
    assert status == 410 and "initial sync" in problem["detail"]
    assert "items" not in problem

    # One more version puts the first token beyond the retention (3 versions): 410.
    old = version(base)
    write_seed(corpus, "later.md", **article_fields(60))
    wait_for_new_version(base, old)
    status, problem = get(start.replace(start.split("/sync")[0], base))
    assert status == 410 and "GET /sync" in problem["detail"]
