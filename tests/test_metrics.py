"""Prometheus metrics at /metrics: requests by route and status, latency, the content."""

from __future__ import annotations

import dataclasses
import time

import pytest
from helpers import write_seed
from prometheus_client import CollectorRegistry
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from api.operations.metrics import merge_dead_worker
from api.store import LoadResult


def scrape(client) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape: (name, sorted labels) -> value."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def requests(samples, route: str, status: str, method: str = "GET") -> float:
    key = ("news_api_requests_total", (("method", method), ("route", route), ("status", status)))
    return samples.get(key, 0.0)


def test_metrics_are_text_never_cached(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers and "Last-Modified" not in response.headers
    again = client.get("/metrics", headers={"If-None-Match": "*"})
    assert again.status_code == 200
    openmetrics = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert openmetrics.content_type.startswith("application/openmetrics-text")
    assert openmetrics.get_data(as_text=True).endswith("# EOF\n")


def test_requests_are_counted_by_route_and_status(client):
    for _ in range(3):
        assert client.get("/articles/a01").status_code == 200
    for _ in range(2):
        assert client.get("/articles/nope").status_code == 404
    assert client.get("/no/such/route").status_code == 404
    assert client.post("/articles").status_code == 405
    assert client.head("/topics").status_code == 200
    samples = scrape(client)
    # The route is the URL rule, never the path: ids do not make new series.
    assert requests(samples, "/articles/<article_id>", "200") == 3
    assert requests(samples, "/articles/<article_id>", "404") == 2
    assert requests(samples, "(unmatched)", "404") == 1
    assert requests(samples, "(unmatched)", "405", method="POST") == 1
    assert requests(samples, "/topics", "200", method="HEAD") == 1
    assert not any("nope" in str(labels) for _, labels in samples)
    count = ("news_api_request_duration_seconds_count", (("route", "/articles/<article_id>"),))
    assert samples[count] == 5
    buckets = [
        value
        for (name, labels), value in samples.items()
        if name == "news_api_request_duration_seconds_bucket"
        and ("route", "/articles/<article_id>") in labels
    ]
    assert max(buckets) == 5 and len(buckets) == 13  # twelve bounds and +Inf
    # The scrape itself is counted by the next one.
    assert requests(scrape(client), "/metrics", "200") == 1


def test_content_metrics(make_app, corpus):
    write_seed(corpus, "broken.md", title="No URL")  # skipped: webUrl is required
    app = make_app(corpus)
    client = app.test_client()
    samples = scrape(client)
    version = client.get("/").get_json()["contentVersion"]
    assert samples[("news_api_index_articles", ())] == 30
    assert samples[("news_api_skipped_files", ())] == 1
    assert samples[("news_api_content_info", (("version", version),))] == 1
    assert samples[("news_api_last_load_success", ())] == 1
    assert time.time() - 60 < samples[("news_api_last_load_timestamp_seconds", ())] <= time.time()
    assert samples[("news_api_last_load_duration_seconds", ())] >= 0


def test_content_metrics_are_read_at_scrape_time(app, client):
    """After a reload (here: the store changed by hand) the next scrape tells."""
    store = app.extensions["content"]
    failed = LoadResult(
        finished_at=1_800_000_000.0, ok=False, error="boom", seconds=0.5, version=None
    )
    store.last_load = failed
    samples = scrape(client)
    assert samples[("news_api_last_load_success", ())] == 0
    assert samples[("news_api_last_load_timestamp_seconds", ())] == 1_800_000_000.0
    store.last_load = dataclasses.replace(failed, ok=True)
    store.index = None  # before the first build
    samples = scrape(client)
    assert samples[("news_api_last_load_success", ())] == 1
    assert samples[("news_api_index_articles", ())] == 0
    assert not [key for key in samples if key[0] == "news_api_content_info"]


def test_an_exited_workers_counts_are_merged_not_lost(tmp_path):
    """Under gunicorn: counts in per-process files; a dead worker's are folded into one
    file per type, with the same totals, whatever the number of workers that came and
    went."""

    def write(kind: str, pid: str, key: str, value: float) -> None:
        values = MmapedDict(str(tmp_path / f"{kind}_{pid}.db"))
        values.write_value(key, value, 0.0)
        values.close()

    def totals() -> dict:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, str(tmp_path))
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in registry.collect()
            for s in family.samples
        }

    labels = (["route", "method", "status"], ["/topics", "GET", "200"])
    counter = mmap_key("news_api_requests", "news_api_requests_total", *labels, "Requests.")
    bucket = mmap_key(
        "news_api_request_duration_seconds",
        "news_api_request_duration_seconds_bucket",
        ["route", "le"],
        ["/topics", "0.001"],
        "Time.",
    )
    for pid, count in (("101", 3.0), ("102", 4.0), ("103", 5.0)):
        write("counter", pid, counter, count)
        write("histogram", pid, bucket, count)
    before = totals()
    assert before[("news_api_requests_total", tuple(sorted(zip(*labels, strict=True))))] == 12
    merge_dead_worker(101, str(tmp_path))
    merge_dead_worker(102, str(tmp_path))
    merge_dead_worker(999, str(tmp_path))  # no files: nothing to do
    assert totals() == before
    assert sorted(p.name for p in tmp_path.glob("*.db")) == [
        "counter_103.db",
        "counter_merged.db",
        "histogram_103.db",
        "histogram_merged.db",
    ]


def test_requests_are_counted_in_memory_and_flushed_exactly():
    """A request adds to the worker's memory; a flush hands the counts to
    prometheus-client, with the same totals and buckets as observing each request."""
    from prometheus_client import Histogram

    from api.operations.metrics import LATENCY_BUCKETS, RequestMetrics

    registry = CollectorRegistry()
    metrics = RequestMetrics(registry)
    reference = Histogram("reference", "", buckets=LATENCY_BUCKETS, registry=CollectorRegistry())
    durations = [0.0001, 0.0005, 0.0007, 0.002, 0.0025, 0.3, 2.5, 7.0, 0.0001]
    for seconds in durations:
        metrics.observe("/topics", "GET", 200, seconds)
        reference.observe(seconds)
    metrics.observe("/topics", "BREW", 418, 0.001)

    def samples() -> dict:
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in registry.collect()
            for s in family.samples
        }

    labels = (("method", "GET"), ("route", "/topics"), ("status", "200"))
    assert ("news_api_requests_total", labels) not in samples()  # not yet flushed
    metrics.flush()
    metrics.flush()  # nothing new: nothing added twice
    got = samples()
    assert got[("news_api_requests_total", labels)] == len(durations)
    other = (("method", "other"), ("route", "/topics"), ("status", "418"))
    assert got[("news_api_requests_total", other)] == 1
    for s in next(iter(reference.collect())).samples:
        if s.name == "reference_created":
            continue
        name = s.name.replace("reference", "news_api_request_duration_seconds")
        key = (name, tuple(sorted({**s.labels, "route": "/topics"}.items())))
        # The reference saw the 9 requests; the flushed one also the 418 (in 0.001 s).
        if name.endswith("_sum"):
            expected = s.value + 0.001
        elif name.endswith("_count") or float(s.labels["le"]) >= 0.001:
            expected = s.value + 1
        else:
            expected = s.value
        assert got[key] == pytest.approx(expected), key


def test_a_scrape_sees_this_workers_latest_requests(client):
    """The answering worker flushes before it scrapes: nothing waits for the timer."""
    before = requests(scrape(client), "/topics", "200")
    for _ in range(3):
        client.get("/topics")
    assert requests(scrape(client), "/topics", "200") == before + 3
