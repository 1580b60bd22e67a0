"""GET /sync in-process: the initial walk, deltas (kinds, order, coalescing, paging),
tokens (malformed, foreign, stale, across app restarts), and the history's recording."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import article_fields, assert_problem, write_corpus, write_seed

from api.content import history
from api.resources.sync_tokens import SyncToken, decode, encode


def walk(client, url: str = "/sync?pageSize=7") -> tuple[list[dict], str]:
    """Follow nextPageUrl to the end: every item, and the last page's nextSyncUrl."""
    items, seen = [], set()
    while True:
        assert url not in seen, "a page loop"
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, response.data
        page = response.get_json()
        items += page["items"]
        if page["nextPageUrl"] is None:
            assert page["nextSyncUrl"]
            return items, page["nextSyncUrl"]
        assert page["nextSyncUrl"] is None
        url = page["nextPageUrl"]


def reload(app) -> None:
    result = app.extensions["reloader"].reload_now(raise_errors=True)
    assert result is not None and result.ok


def changes(client, url: str) -> tuple[list[tuple[str, str]], str]:
    items, next_sync = walk(client, url)
    return [(i["kind"], i["id"]) for i in items], next_sync


def touch_later(path: Path, seconds: int) -> None:
    """Give ``path`` an mtime ``seconds`` from now (orders changes within a version)."""
    stamp = time.time() + seconds
    os.utime(path, (stamp, stamp))


def test_initial_sync_pages_through_every_article_once(client):
    items, next_sync = walk(client)
    ids = [i["id"] for i in items]
    assert ids == sorted(ids) and len(ids) == 30 and len(set(ids)) == 30
    assert {i["kind"] for i in items} == {"created"}
    for item in items[:3]:
        assert item["article"] == client.get(f"/articles/{item['id']}").get_json()
    # Nothing changed: no items, the same position.
    response = client.get(next_sync)
    assert response.get_json()["items"] == []
    assert response.get_json()["nextSyncUrl"] == next_sync
    assert response.headers["ETag"]
    assert (
        client.get(next_sync, headers={"If-None-Match": response.headers["ETag"]}).status_code
        == 304
    )


def test_delta_lists_created_updated_deleted_in_order(app, client, corpus):
    _, start = walk(client)
    write_seed(corpus, "new.md", body="New.", **article_fields(50))
    reload(app)
    write_seed(corpus, "a03.md", body="Changed.", **article_fields(3))
    reload(app)
    (corpus / "a05.md").unlink()
    reload(app)
    items, next_sync = walk(client, start)
    assert [(i["kind"], i["id"]) for i in items] == [
        ("created", "new"),
        ("updated", "a03"),
        ("deleted", "a05"),
    ]
    assert items[0]["article"] == client.get("/articles/new").get_json()
    assert items[1]["article"]["body"] == "Changed."
    assert "article" not in items[2]
    assert changes(client, next_sync) == ([], next_sync)


def test_changes_within_one_version_follow_file_mtimes(app, client, corpus):
    _, start = walk(client)
    write_seed(corpus, "a07.md", body="Second.", **article_fields(7))
    write_seed(corpus, "a02.md", body="First.", **article_fields(2))
    write_seed(corpus, "zz.md", body="Third.", **article_fields(60))
    touch_later(corpus / "a02.md", 10)
    touch_later(corpus / "a07.md", 20)
    touch_later(corpus / "zz.md", 30)
    (corpus / "a09.md").unlink()
    (corpus / "a04.md").unlink()
    reload(app)
    assert changes(client, start)[0] == [
        ("updated", "a02"),
        ("updated", "a07"),
        ("created", "zz"),
        ("deleted", "a04"),  # deletions last, by id
        ("deleted", "a09"),
    ]


def test_changes_coalesce_per_article_across_versions(app, client, corpus):
    _, start = walk(client)
    original = (corpus / "a06.md").read_bytes()
    write_seed(corpus, "born.md", body="v1", **article_fields(70))  # created, then updated
    write_seed(corpus, "brief.md", body="v1", **article_fields(71))  # created, then deleted
    write_seed(corpus, "a08.md", body="Edited.", **article_fields(8))  # updated, then deleted
    write_seed(corpus, "a06.md", body="Edited.", **article_fields(6))  # changed and back
    (corpus / "a10.md").unlink()  # deleted, then made again with other content
    reload(app)
    write_seed(corpus, "born.md", body="v2", **article_fields(70))
    (corpus / "brief.md").unlink()
    (corpus / "a08.md").unlink()
    (corpus / "a06.md").write_bytes(original)
    write_seed(corpus, "a10.md", body="Back.", **article_fields(10))
    reload(app)
    items, _ = walk(client, start)
    kinds = {i["id"]: i["kind"] for i in items}
    assert kinds == {"born": "created", "a08": "deleted", "a10": "updated"}
    assert len(items) == 3
    born = next(i for i in items if i["id"] == "born")
    assert born["article"]["body"] == "v2"


def test_delta_pages_hold_their_span(app, client, corpus):
    _, start = walk(client)
    for i in range(5):
        write_seed(corpus, f"n{i}.md", body="New.", **article_fields(80 + i))
        touch_later(corpus / f"n{i}.md", i + 1)
    reload(app)
    first = client.get(start.replace("pageSize=7", "pageSize=2")).get_json()
    assert [i["id"] for i in first["items"]] == ["n0", "n1"]
    assert first["nextSyncUrl"] is None and "pageSize=2" in first["nextPageUrl"]
    # A change after the first page: not in this delta's pages, but in the next one.
    write_seed(corpus, "later.md", body="Later.", **article_fields(90))
    reload(app)
    rest, next_sync = walk(client, first["nextPageUrl"])
    assert [i["id"] for i in rest] == ["n2", "n3", "n4"]
    assert changes(client, next_sync)[0] == [("created", "later")]


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "!!!",
        "AVNcHw56mz0sQQAAAAAAAAAHOm60hBC0rro"[:-3],  # cut off
        "AVNcHw56mz0sQQAAAAAAAAAHOm60hBC0rrp",  # one character changed
        "x" * 5000,
    ],
)
def test_a_malformed_token_is_a_400_naming_it(client, token):
    assert_problem(client.get("/sync", query_string={"token": token}), 400, "token")


def test_other_parameters_are_checked(client):
    assert_problem(client.get("/sync?page=2"), 400, "page")
    assert_problem(client.get("/sync?pageSize=0"), 400, "pageSize")
    assert_problem(client.get("/sync?pageSize=101"), 400, "pageSize")


def test_a_token_of_another_folder_is_a_410(make_app, client, tmp_path):
    other = make_app(write_corpus(tmp_path / "other", 3))  # the same cache folder
    _, foreign = walk(other.test_client())
    response = client.get(foreign)
    doc = assert_problem(response, 410)
    assert "initial sync" in doc["detail"]
    assert b"Story" not in response.data


def test_a_token_beyond_the_retention_is_a_410(make_app, corpus):
    app = make_app(corpus, SYNC_RETENTION_VERSIONS=2)
    client = app.test_client()
    _, start = walk(client)
    for i in range(2):
        write_seed(corpus, f"r{i}.md", **article_fields(100 + i))
        reload(app)
    assert len(changes(client, start)[0]) == 2  # two versions back: kept
    write_seed(corpus, "r2.md", **article_fields(102))
    reload(app)
    doc = assert_problem(client.get(start), 410)
    assert "GET /sync" in doc["detail"]


def test_a_token_older_than_the_retention_days_is_a_410(make_app, corpus):
    app = make_app(corpus, SYNC_RETENTION_DAYS=0.5 / history.DAY)  # half a second
    client = app.test_client()
    _, start = walk(client)
    time.sleep(0.6)
    assert changes(client, start) == ([], start)  # the current position never expires
    write_seed(corpus, "r.md", **article_fields(100))
    reload(app)
    assert changes(client, start)[0] == [("created", "r")]
    time.sleep(0.6)
    assert_problem(client.get(start), 410)


def test_a_token_works_after_a_restart(make_app, corpus):
    client = make_app(corpus).test_client()
    _, start = walk(client)
    write_seed(corpus, "while-down.md", **article_fields(100))
    # A new app over the same cache: the same store; the change made while it was down
    # is a version of its own.
    again = make_app(corpus).test_client()
    assert changes(again, start)[0] == [("created", "while-down")]


def test_without_a_cache_the_history_is_the_process(make_app, corpus):
    app = make_app(corpus, CACHE_DIR="")
    client = app.test_client()
    _, start = walk(client)
    assert not str(app.extensions["sync"].store_dir).startswith(str(corpus))
    write_seed(corpus, "new.md", **article_fields(100))
    reload(app)
    assert changes(client, start)[0] == [("created", "new")]


def test_a_future_position_is_a_400(client):
    _, start = walk(client)
    token = decode(start.split("token=")[1].split("&")[0])
    future = encode(SyncToken(token.store, token.seq + 5))
    assert_problem(client.get(f"/sync?token={future}"), 400, "token")


def test_sync_is_in_the_spec(client):
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"]["/sync"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"token", "pageSize"}
    assert "410" in operation["responses"]
    assert operation["responses"]["200"]["content"]["application/json"]["example"]["items"]


# -- the history itself -----------------------------------------------------------------


class FakeIndex:
    """What history.record reads from an index."""

    def __init__(self, version: str, articles: dict[str, int]) -> None:
        self.version = version
        self._ids = sorted(articles)
        self._digests = np.array([articles[i] for i in self._ids], np.uint64)

    def ids_and_digests(self):
        return self._ids, self._digests

    def mtimes(self):
        return np.zeros(len(self._ids), np.int64)


def test_record_diffs_against_the_last_state(tmp_path):
    store = tmp_path / "store"
    first = history.record(store, FakeIndex("v1", {"a": 1, "b": 2, "c": 3}))
    assert first.seq == 1 and first.previous is None
    assert history.record(store, FakeIndex("v1", {"a": 1, "b": 2, "c": 3})) is None
    big = 2**64 - 1  # digests are unsigned 64-bit
    second = history.record(store, FakeIndex("v2", {"a": 1, "b": big, "d": 4}))
    assert (second.seq, second.previous, second.previous_seq) == (2, "v1", 1)
    assert (second.created, second.updated, second.deleted) == (["d"], ["b"], ["c"])
    third = history.record(store, FakeIndex("v3", {"a": 1, "b": big, "d": 5}))
    assert (third.created, third.updated, third.deleted) == ([], ["d"], [])
    reader = history.History(store)
    assert [(c.kind, c.id) for c in reader.changes(1, 3)] == [
        ("updated", "b"),
        ("deleted", "c"),
        ("created", "d"),
    ]


def test_recording_one_change_among_many_is_fast(tmp_path):
    n = 100_000
    articles = {f"{i:06d}": i + 1 for i in range(n)}
    store = tmp_path / "store"
    history.record(store, FakeIndex("v1", articles))
    articles["050000"] = 7
    started = time.process_time()  # CPU time: the machine may be busy with other work
    recorded = history.record(store, FakeIndex("v2", articles))
    assert time.process_time() - started < 1.0
    assert recorded.updated == ["050000"]


def test_the_recording_process_diffs_against_the_state_it_remembers(tmp_path, monkeypatch):
    """The builder records every version: it diffs against the state it recorded last
    instead of reading it back (a second at 100,000 articles); another process's record
    in between makes it read the database again."""
    store = tmp_path / "store"
    history.record(store, FakeIndex("v1", {"a": 1, "b": 2, "c": 3}))
    reads = []
    real_connect = history.sqlite3.connect

    def counting(*args, **kwargs):
        db = real_connect(*args, **kwargs)
        db.set_trace_callback(
            lambda sql: reads.append(sql) if "SELECT id, digest FROM state" in sql else None
        )
        return db

    monkeypatch.setattr(history.sqlite3, "connect", counting)
    second = history.record(store, FakeIndex("v2", {"a": 1, "b": 5, "d": 4}))
    assert (second.created, second.updated, second.deleted) == (["d"], ["b"], ["c"])
    assert reads == []
    history._LAST.clear()  # as in a process that did not record the last version
    third = history.record(store, FakeIndex("v3", {"b": 5, "d": 4, "e": 9}))
    assert (third.created, third.updated, third.deleted) == (["e"], [], ["a"])
    assert any("SELECT id, digest FROM state" in sql for sql in reads)
