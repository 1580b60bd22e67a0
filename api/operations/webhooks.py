"""Webhooks: after each new content version, one signed JSON event to each URL of
``NEWS_API_WEBHOOKS``, from the process that built the version (decision 0017).

Signed as Standard Webhooks says (https://www.standardwebhooks.com/): ``webhook-id``
(the same for every retry of one delivery, so a receiver can drop duplicates),
``webhook-timestamp`` (Unix seconds of this attempt) and ``webhook-signature``
(``v1,`` + base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}`` with the secret
``NEWS_API_WEBHOOK_SECRET``, ``whsec_`` + base64), through the ``standardwebhooks``
package.

Each URL has its own queue and thread: a slow or dead receiver delays neither a reload
(recording only enqueues) nor a request nor the other receivers. A 5xx, a 429, a timeout
or a connection error is retried with exponential backoff (``WEBHOOK_BACKOFF`` seconds,
doubled each time) until ``WEBHOOK_RETRY_SECONDS`` after the first attempt; then the
delivery is given up. Any other status is final. Queues live in memory: deliveries still
pending when the process exits are lost (a receiver catches up with ``/sync``).
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import orjson
from prometheus_client import CollectorRegistry, Counter
from standardwebhooks import Webhook

log = logging.getLogger(__name__)

EVENT_TYPE = "content.version"
# Ids listed per kind in one event; past that the list is cut (``idsTruncated``) and
# /sync has them all (a code upgrade can update every article).
MAX_IDS = 1000
USER_AGENT = "news-content-api-webhooks"


@dataclass
class Delivery:
    """One event for one URL, and its attempts so far."""

    url: str
    message_id: str
    body: bytes
    first_attempt: float | None = None  # monotonic
    attempts: int = 0
    done: threading.Event = field(default_factory=threading.Event)


class WebhookMetrics:
    """``news_api_webhook_attempts_total`` by result and ``news_api_webhook_deliveries_total``
    by outcome (delivered, rejected: a final non-2xx, given_up: retries exhausted)."""

    def __init__(self) -> None:
        self.attempts = Counter(
            "news_api_webhook_attempts",
            "Webhook POSTs, by result: 2xx, 4xx, 5xx, timeout or error (no connection).",
            ["result"],
            registry=None,
        )
        self.deliveries = Counter(
            "news_api_webhook_deliveries",
            "Webhook events by outcome: delivered (a 2xx), rejected (another final "
            "status) or given_up (still failing after the retry span).",
            ["outcome"],
            registry=None,
        )
        for result in ("2xx", "4xx", "5xx", "timeout", "error"):
            self.attempts.labels(result)
        for outcome in ("delivered", "rejected", "given_up"):
            self.deliveries.labels(outcome)

    def register(self, registry: CollectorRegistry) -> None:
        registry.register(self.attempts)
        registry.register(self.deliveries)


class Notifier:
    """Sends events to ``urls``; one daemon thread per URL, started on first use."""

    def __init__(
        self,
        urls: list[str],
        secret: str,
        *,
        timeout: float = 5.0,
        backoff: float = 1.0,
        retry_seconds: float = 600.0,
    ) -> None:
        self.urls = list(urls)
        self.signer = Webhook(secret) if secret else None
        self.timeout = timeout
        self.backoff = backoff
        self.retry_seconds = retry_seconds
        self.metrics = WebhookMetrics()
        self._queues: dict[str, queue.Queue[Delivery]] = {}
        self._lock = threading.Lock()

    def send(self, event: dict) -> list[Delivery]:
        """Queue ``event`` for every URL, and return at once. The event has one id (its
        ``webhook-id``), the same for every URL and every retry."""
        body = orjson.dumps(event)
        message_id = f"msg_{secrets.token_hex(12)}"
        deliveries = []
        for url in self.urls:
            delivery = Delivery(url, message_id, body)
            self._queue(url).put(delivery)
            deliveries.append(delivery)
        return deliveries

    def _queue(self, url: str) -> queue.Queue[Delivery]:
        with self._lock:
            q = self._queues.get(url)
            if q is None:
                q = self._queues[url] = queue.Queue()
                threading.Thread(target=self._run, args=(q,), name="webhooks", daemon=True).start()
            return q

    def _run(self, q: queue.Queue[Delivery]) -> None:
        while True:
            delivery = q.get()
            try:
                self._deliver(delivery)
            except Exception:  # never let the thread die
                log.exception("webhook delivery to %s", delivery.url)
            finally:
                delivery.done.set()

    def _deliver(self, delivery: Delivery) -> None:
        delivery.first_attempt = time.monotonic()
        delay = self.backoff
        while True:
            result = self._attempt(delivery)
            self.metrics.attempts.labels(result).inc()
            if result == "2xx":
                self.metrics.deliveries.labels("delivered").inc()
                return
            if result == "4xx":
                self.metrics.deliveries.labels("rejected").inc()
                log.warning("webhook %s refused by %s", delivery.message_id, delivery.url)
                return
            elapsed = time.monotonic() - delivery.first_attempt
            if elapsed + delay > self.retry_seconds:
                self.metrics.deliveries.labels("given_up").inc()
                log.warning(
                    "webhook %s to %s given up after %d attempts",
                    delivery.message_id,
                    delivery.url,
                    delivery.attempts,
                )
                return
            time.sleep(delay)
            delay *= 2

    def _attempt(self, delivery: Delivery) -> str:
        """One POST; its result: ``2xx``, ``4xx`` (final), ``5xx``, ``timeout``, ``error``
        (429 counts as ``5xx``: retried)."""
        delivery.attempts += 1
        now = dt.datetime.now(dt.UTC)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(int(now.timestamp())),
        }
        if self.signer is not None:
            headers["webhook-signature"] = self.signer.sign(
                delivery.message_id, now, delivery.body.decode()
            )
        request = urllib.request.Request(
            delivery.url, data=delivery.body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except TimeoutError:
            return "timeout"
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return "timeout" if isinstance(reason, TimeoutError) else "error"
        if 200 <= status < 300:
            return "2xx"
        if status >= 500 or status == 429:
            return "5xx"
        return "4xx"


def version_event(recorded, sync_url: str) -> dict:
    """The event for a new version (``api.content.history.Recorded``)."""
    counts = (len(recorded.created), len(recorded.updated), len(recorded.deleted))
    return {
        "type": EVENT_TYPE,
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "data": {
            "version": recorded.version,
            "previousVersion": recorded.previous,
            "counts": {
                "created": len(recorded.created),
                "updated": len(recorded.updated),
                "deleted": len(recorded.deleted),
            },
            "created": recorded.created[:MAX_IDS],
            "updated": recorded.updated[:MAX_IDS],
            "deleted": recorded.deleted[:MAX_IDS],
            "idsTruncated": max(counts) > MAX_IDS,
            "syncUrl": sync_url,
        },
    }
