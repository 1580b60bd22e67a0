"""The index as a versioned, memory-mapped artifact (decision 0018): built once into the
content folder's store, mapped by every process that serves it, followed by workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import article_fields, write_corpus, write_seed

from api.content.artifact import FORMAT, MANIFEST, ArtifactError, ArtifactStore
from api.content.build import build_index
from api.content.index import BLOB_FILE

ROOT = Path(__file__).resolve().parent.parent

URLS = [
    "/",
    "/articles",
    "/articles?topic=ai&sort=-quality&pageSize=7&page=2",
    "/articles?sort=title&cursor=",
    "/articles/a03",
    "/articles/a03/related",
    "/articles/a03/similar",
    "/articles?q=robots&facets=topic,provider,category,type,year&highlight=true",
    "/suggest?q=sto",
    "/providers?sort=-articleCount",
    "/topics/ai",
    "/topics/ai/feed.atom",
    "/articles/export.ndjson?topic=ai",
]


def answers(app) -> dict[str, tuple[int, bytes, str | None, str | None]]:
    with app.test_client() as client:
        out = {}
        for url in URLS:
            response = client.get(url)
            out[url] = (
                response.status_code,
                response.get_data(),
                response.headers.get("ETag"),
                response.headers.get("Last-Modified"),
            )
        return out


def test_answers_are_byte_identical_after_a_restart_from_the_artifact(make_app, corpus):
    first = make_app(corpus)
    before = answers(first)
    assert {status for status, *_ in before.values()} == {200}
    version = first.extensions["content"].index.version
    restarted = make_app(corpus)  # the same cache folder: the artifact is mapped, not built
    assert restarted.extensions["content"].index.version == version
    assert answers(restarted) == before


def test_an_artifact_is_mapped_not_copied(tmp_path, corpus):
    index, report = build_index(corpus, cache_dir=tmp_path / "cache")
    assert not report.from_cache
    again, report = build_index(corpus, cache_dir=tmp_path / "cache")
    assert report.from_cache and report.parsed == 0
    # Arrays are read-only views of the mapped file; nothing of them lives in the heap.
    for array in (again._start, again._digests, again._views["title"].order):
        assert isinstance(array, np.ndarray) and not array.flags.writeable
        assert not array.flags.owndata
    assert again.article_json("a03") == index.article_json("a03")
    folder = ArtifactStore.for_folder(tmp_path / "cache", corpus).versions / again.version
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["version"] == again.version and manifest["articles"] == 30


def test_the_blob_holds_every_summary_before_any_article_body(app, tmp_path, corpus):
    """Lists read summaries only: together at the start of the blob, they are all a list
    load maps (decision 0018, session 14); a whole article is its summary and rest."""
    index, _ = build_index(corpus, cache_dir=tmp_path / "cache")
    folder = ArtifactStore.for_folder(tmp_path / "cache", corpus).versions / index.version
    blob = (folder / BLOB_FILE).read_bytes()
    summaries = int(index._summary_end[-1])
    assert summaries == int(index._rest_start.min()) < len(blob)
    assert blob[:summaries].count(b'"relatedCount":') == len(index) == 30
    assert b'"body"' not in blob[:summaries] and b'"bodyHtml"' in blob[summaries:]
    with app.test_client() as client:
        listed = client.get("/articles?sort=title&pageSize=100").get_json()["items"]
        for summary in listed:
            response = client.get(f"/articles/{summary['id']}")
            article = response.get_json()
            assert {k: article[k] for k in summary} == summary
            assert article["bodyHtml"] and "related" in article
            assert response.get_data() == index.article_json(summary["id"])


def test_a_new_version_is_written_beside_and_old_ones_are_pruned(tmp_path, corpus):
    cache = tmp_path / "cache"
    store = ArtifactStore.for_folder(cache, corpus)
    held, _ = build_index(corpus, cache_dir=cache)  # mapped (held) while it lives
    versions = [held.version]
    for i in range(3):
        write_seed(corpus, f"new{i}.md", **article_fields(40 + i))
        index, report = build_index(corpus, cache_dir=cache)
        assert report.parsed == 1  # only the new file was read
        versions.append(index.version)
        assert store.current_version() == index.version
        del index
    on_disk = {p.name for p in store.versions.iterdir() if not p.name.startswith(".")}
    # The current one, the one before it, and the one still mapped by `held`.
    assert on_disk == {versions[-1], versions[-2], versions[0]}
    del held
    write_seed(corpus, "new9.md", **article_fields(49))
    latest, _ = build_index(corpus, cache_dir=cache)
    on_disk = {p.name for p in store.versions.iterdir() if not p.name.startswith(".")}
    assert on_disk == {latest.version, versions[-1]}


def test_a_following_app_maps_current_and_follows_it(make_app, tmp_path, corpus):
    cache = tmp_path / "cache"
    first, _ = build_index(corpus, cache_dir=cache)
    app = make_app(corpus, FOLLOW=True, FOLLOW_INTERVAL=0.05)
    store = app.extensions["content"]
    assert store.index.version == first.version  # at once, without building
    with app.test_client() as client:
        assert client.get("/articles/added").status_code == 404
        write_seed(corpus, "added.md", **article_fields(77, title="Added later"))
        second, _ = build_index(corpus, cache_dir=cache)
        deadline = time.monotonic() + 10
        while store.index.version != second.version:
            assert time.monotonic() < deadline, "the app did not follow CURRENT"
            time.sleep(0.05)
        response = client.get("/articles/added")
        assert response.status_code == 200 and response.json["title"] == "Added later"
        assert response.headers["X-Content-Version"] == second.version
    store.stop_following()


def test_a_following_app_waits_for_the_first_artifact(make_app, tmp_path, corpus):
    app = make_app(corpus, FOLLOW=True, FOLLOW_INTERVAL=0.05)
    with app.test_client() as client:
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
        build_index(corpus, cache_dir=tmp_path / "cache")
        deadline = time.monotonic() + 10
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert client.get("/articles").json["total"] == 30
    app.extensions["content"].stop_following()


def test_a_worker_not_ready_yet_looks_at_current_when_asked(make_app, tmp_path, corpus):
    """Another worker may already serve the first version: one whose follower has not
    looked yet answers from it too, not 503 until its next interval."""
    first, second, third, fourth = (
        make_app(corpus, FOLLOW=True, FOLLOW_INTERVAL=3600) for _ in range(4)
    )
    assert first.test_client().get("/articles").status_code == 503
    assert second.test_client().get("/readyz").status_code == 503
    index, _ = build_index(corpus, cache_dir=tmp_path / "cache")
    # The builder's status of that build, as the server's builder writes it.
    ArtifactStore.for_folder(tmp_path / "cache", corpus).write_status(
        {
            "finished_at": time.time(),
            "ok": True,
            "error": None,
            "seconds": 0.5,
            "version": index.version,
        }
    )
    answer = first.test_client().get("/articles")
    assert answer.json["total"] == 30
    assert second.test_client().get("/readyz").json["articleCount"] == 30
    # /metrics too: the figures of the version it would answer from, not "0 articles".
    metrics = third.test_client().get("/metrics").get_data(as_text=True)
    assert "news_api_index_articles 30.0" in metrics
    # With the last build's status (written before CURRENT), not yet the follower's to read.
    assert "news_api_last_load_success 1.0" in metrics
    # And a conditional request gets its 304 (the HTTP layer looks before the view).
    etag = answer.headers["ETag"]
    assert fourth.test_client().get("/articles", headers={"If-None-Match": etag}).status_code == 304
    for app in (first, second, third, fourth):
        app.extensions["content"].stop_following()


def flask(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_seeds_build_prints_the_version_a_server_then_maps(tmp_path):
    # Enough articles that writing the per-file cache outlasts the command's own exit.
    corpus = write_corpus(tmp_path / "content", 2000)
    cache = tmp_path / "cache"
    done = flask("seeds", "build", str(corpus), env={"NEWS_API_CACHE_DIR": str(cache)})
    assert done.returncode == 0, done.stderr
    version = done.stdout.strip()
    store = ArtifactStore.for_folder(cache, corpus)
    assert store.current_version() == version
    # The per-file build cache was written before the command exited (not left half
    # written by a thread stopped with the process): a new index code re-reads no file.
    assert (store.dir / "files.pickle").is_file()
    assert not list(store.dir.glob(".cache-*.tmp"))
    index, report = build_index(corpus, cache_dir=cache)
    assert report.from_cache and index.version == version
    missing = flask("seeds", "build", str(tmp_path / "nope"), env={})
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_seeds_check_does_not_build_the_configured_folder(tmp_path, corpus):
    """(Issue 2's note: it used to build CONTENT_DIR first.)"""
    env = {"NEWS_API_CONTENT_DIR": str(tmp_path / "missing"), "NEWS_API_CACHE_DIR": ""}
    done = flask("seeds", "check", str(corpus), env=env)
    assert done.returncode == 0, done.stderr
    assert "30 articles indexed, 0 skipped" in done.stdout
    assert str(tmp_path / "missing") not in done.stdout + done.stderr


def test_an_index_goes_with_its_last_reference_whatever_it_answered(make_app, corpus):
    """A worker freezes what start-up made (wsgi.py, gc.freeze), its first index with
    it: an index must then go, and release its mapped artifact, by reference counting
    alone, with the cyclic collector off. So no part of it may refer back to it, after
    any kind of request (searches, facets, suggestions, similar articles, cursors)."""
    import gc
    import weakref

    app = make_app(corpus, RELOAD="off")
    client = app.test_client()
    article = client.get("/articles?pageSize=1").get_json()["items"][0]["id"]
    for url in (
        "/articles?topic=ai&from=2021-01-05&sort=-quality",
        "/articles?minQuality=50&sort=heat",
        "/articles?q=story&facets=topic,provider,category,type,year&highlight=true",
        "/articles?sort=title&cursor=",
        "/suggest?q=st",
        f"/articles/{article}",
        f"/articles/{article}/similar",
        f"/articles/{article}/related",
        "/topics",
        "/providers",
        "/articles/feed.json?q=story",
        "/articles/export.csv?topic=ai",
        "/sync",
    ):
        assert client.get(url).status_code == 200, url
    store = app.extensions["content"]
    gone = weakref.ref(store.index)
    gc.disable()
    try:
        store.index = None
        assert gone() is None
    finally:
        gc.enable()


# What only a builder needs: reading files (YAML, validation, markdown), parallel parsing,
# watching the folder, sending webhooks; and what only an XML feed needs (feedgen, lxml).
BUILD_ONLY = (
    "api.content.build",
    "api.content.seeds",
    "api.operations.builder",
    "api.operations.reload",
    "api.operations.webhooks",
    "frontmatter",
    "markdown_it",
    "nh3",
    "watchdog",
    "multiprocessing",
    "standardwebhooks",
)
FEED_XML_ONLY = ("api.formats.feed_xml", "feedgen", "lxml")
WORKER = """
import json, sys
import wsgi
client = wsgi.app.test_client()
statuses = [client.get(url).status_code for url in sys.argv[1:]]
print(json.dumps({"statuses": statuses, "modules": sorted(sys.modules)}))
"""


def test_a_serving_worker_loads_no_build_code_and_the_feed_writer_on_first_use(tmp_path, corpus):
    """A worker of the real server (FOLLOW) maps the artifact: it imports none of the
    code that reads files or builds (less memory per worker, a faster start), and the
    Atom/RSS writer only once an XML feed is asked for."""
    cache = tmp_path / "cache"
    build_index(corpus, cache_dir=cache)
    env = {
        **os.environ,
        "NEWS_API_FOLLOW": "true",
        "NEWS_API_CONTENT_DIR": str(corpus),
        "NEWS_API_CACHE_DIR": str(cache),
        "NEWS_API_LOG_LEVEL": "warning",
    }

    def worker(*urls: str) -> tuple[list[int], set[str]]:
        done = subprocess.run(
            [sys.executable, "-c", WORKER, *urls],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout.splitlines()[-1])
        return out["statuses"], set(out["modules"])

    statuses, modules = worker("/articles?topic=ai", "/articles/a03", "/topics/ai/feed.json")
    assert statuses == [200, 200, 200]
    assert modules.isdisjoint(BUILD_ONLY + FEED_XML_ONLY), modules & {*BUILD_ONLY, *FEED_XML_ONLY}
    statuses, modules = worker("/topics/ai/feed.atom", "/articles/feed.rss")
    assert statuses == [200, 200]
    assert set(FEED_XML_ONLY) <= modules and modules.isdisjoint(BUILD_ONLY)


def test_an_artifact_of_another_format_is_built_again_not_mapped(tmp_path, corpus):
    """E.g. one written before the title prefixes (format 5): its state lacks them."""
    cache = tmp_path / "cache"
    store = ArtifactStore.for_folder(cache, corpus)
    first, _ = build_index(corpus, cache_dir=cache)
    version = first.version
    del first
    path = store.versions / version / MANIFEST
    path.write_text(json.dumps({**json.loads(path.read_text()), "format": FORMAT - 1}))
    assert store.manifest(version) is None
    with pytest.raises(ArtifactError, match="another format"):
        store.open(version)
    rebuilt, _ = build_index(corpus, cache_dir=cache)
    assert rebuilt.version == version
    assert store.manifest(version)["format"] == FORMAT
    assert [s["id"] for s in rebuilt.suggest("sto", 10)]
