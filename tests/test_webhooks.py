"""Webhooks in-process: signed events, retries with the same id, giving up, metrics, and
a dead receiver that delays nobody."""

from __future__ import annotations

import time

import orjson
import pytest
from helpers import article_fields, write_seed
from standardwebhooks import Webhook
from webhook_receiver import SECRET, BlackHole, Receiver, signature_checks

from api.operations.webhooks import Notifier


@pytest.fixture
def receiver():
    """A loopback receiver answering 200."""
    r = Receiver()
    yield r
    r.close()


def webhook_app(make_app, corpus, *urls, **config):
    return make_app(
        corpus,
        WEBHOOKS=list(urls),
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_BACKOFF=0.05,
        PUBLIC_URL="https://news.example/",
        **config,
    )


def test_one_signed_event_per_version(make_app, corpus, receiver):
    app = webhook_app(make_app, corpus, receiver.url)
    client = app.test_client()
    reloader = app.extensions["reloader"]
    write_seed(corpus, "new.md", body="New.", **article_fields(50))
    reloader.reload_now()
    (corpus / "a05.md").unlink()
    reloader.reload_now()
    reloader.reload_now()  # nothing changed: no version, no event
    received = receiver.wait_for(2)
    time.sleep(0.3)
    assert len(receiver.received) == 2
    events = []
    for headers, body in received:
        assert signature_checks(headers, body)
        events.append(Webhook(SECRET).verify(body, headers))  # the package's own check
        assert headers["content-type"] == "application/json"
    assert [e["type"] for e in events] == ["content.version"] * 2
    first, second = (e["data"] for e in events)
    assert first["created"] == ["new"] and first["counts"] == {
        "created": 1,
        "updated": 0,
        "deleted": 0,
    }
    assert second["deleted"] == ["a05"] and second["previousVersion"] == first["version"]
    assert second["version"] == client.get("/readyz").get_json()["contentVersion"]
    # The event's link answers that version's changes.
    assert first["syncUrl"].startswith("https://news.example/sync?token=")
    path = first["syncUrl"].removeprefix("https://news.example")
    items = client.get(path).get_json()["items"]
    assert [(i["kind"], i["id"]) for i in items] == [("created", "new"), ("deleted", "a05")]


def test_a_tampered_event_does_not_verify(make_app, corpus, receiver):
    app = webhook_app(make_app, corpus, receiver.url)
    write_seed(corpus, "new.md", **article_fields(50))
    app.extensions["reloader"].reload_now()
    headers, body = receiver.wait_for(1)[0]
    assert not signature_checks(headers, body.replace(b"new", b"old"))
    assert not signature_checks(headers, body, secret="whsec_" + "QUJD" * 8)


def test_retries_keep_the_delivery_id():
    receiver = Receiver([500, 500, 200])
    try:
        notifier = Notifier([receiver.url], SECRET, backoff=0.05, retry_seconds=10)
        (delivery,) = notifier.send({"type": "test"})
        assert delivery.done.wait(10)
        received = receiver.wait_for(3)
        ids = {headers["webhook-id"] for headers, _ in received}
        assert ids == {delivery.message_id} and len(received) == 3
        assert all(signature_checks(h, b) for h, b in received)
        assert notifier.metrics.attempts.labels("5xx")._value.get() == 2
        assert notifier.metrics.deliveries.labels("delivered")._value.get() == 1
    finally:
        receiver.close()


def test_a_failing_receiver_is_given_up_and_counted():
    receiver = Receiver([503] * 100)
    try:
        notifier = Notifier([receiver.url], SECRET, backoff=0.05, retry_seconds=0.3)
        (delivery,) = notifier.send({"type": "test"})
        assert delivery.done.wait(10)
        assert 2 <= delivery.attempts <= 4  # 0.05 + 0.1 + 0.2 fit in 0.3 s; 0.4 more does not
        assert notifier.metrics.deliveries.labels("given_up")._value.get() == 1
    finally:
        receiver.close()


def test_a_4xx_is_final():
    receiver = Receiver([410])
    try:
        notifier = Notifier([receiver.url], SECRET, backoff=0.05)
        (delivery,) = notifier.send({"type": "test"})
        assert delivery.done.wait(10)
        assert delivery.attempts == 1
        assert notifier.metrics.deliveries.labels("rejected")._value.get() == 1
    finally:
        receiver.close()


def test_a_dead_receiver_delays_no_one(receiver):
    hole = BlackHole()
    try:
        notifier = Notifier([hole.url, receiver.url], SECRET, timeout=30, retry_seconds=1)
        started = time.monotonic()
        dead, alive = notifier.send({"type": "test"})
        assert time.monotonic() - started < 0.1  # sending only queues
        assert alive.done.wait(5)  # the other receiver is not behind the dead one
        assert not dead.done.is_set()
    finally:
        hole.close()


def test_webhooks_are_counted_in_metrics(make_app, corpus, receiver):
    app = webhook_app(make_app, corpus, receiver.url)
    write_seed(corpus, "new.md", **article_fields(50))
    app.extensions["reloader"].reload_now()
    receiver.wait_for(1)
    deadline = time.monotonic() + 5
    text = ""
    while time.monotonic() < deadline:
        text = app.test_client().get("/metrics").get_data(as_text=True)
        if 'news_api_webhook_deliveries_total{outcome="delivered"} 1.0' in text:
            break
        time.sleep(0.05)
    assert 'news_api_webhook_deliveries_total{outcome="delivered"} 1.0' in text
    assert 'news_api_webhook_attempts_total{result="2xx"} 1.0' in text


def test_webhooks_need_a_secret(make_app, corpus):
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        make_app(corpus, WEBHOOKS="http://127.0.0.1:9/hook")


def test_event_ids_are_listed_up_to_a_bound():
    from api.content.history import Recorded
    from api.operations.webhooks import MAX_IDS, version_event

    many = [f"{i:05d}" for i in range(MAX_IDS + 5)]
    event = version_event(Recorded(b"s" * 8, 2, "v2", "v1", 1, [], many, []), "/sync?token=x")
    assert event["data"]["counts"]["updated"] == MAX_IDS + 5
    assert len(event["data"]["updated"]) == MAX_IDS and event["data"]["idsTruncated"]
    assert orjson.loads(orjson.dumps(event)) == event
