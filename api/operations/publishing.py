"""What follows a new content version, in the process that built it: it is recorded in
the sync history (:mod:`api.content.history`, in the content folder's store beside the
artifacts) and announced to the webhook receivers (:mod:`.webhooks`).

The builder (:mod:`.builder`) publishes each version it builds; an in-process app
(tests, ``flask run``) publishes its own. Serving workers of the real server only read
the history (``/sync``) and send nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..content import history
from ..content.artifact import store_dir
from ..content.index import ContentIndex

if TYPE_CHECKING:  # only the process that builds sends webhooks, and imports them
    from .webhooks import Notifier

log = logging.getLogger("api")


@dataclass(frozen=True)
class SyncSetup:
    """Where the sync history is, how long it is kept, who is told of new versions."""

    store_dir: Path
    retention: history.Retention
    history: history.History
    notifier: Notifier | None
    public_url: str


def sync_setup(config: Mapping[str, Any], *, notify: bool = True) -> SyncSetup:
    """The sync history's folder: the content store's (``CACHE_DIR``; without one, the
    temporary store of this process, where its artifacts are too). Webhooks, if
    configured and ``notify`` (the process that builds)."""
    cache_dir = Path(config["CACHE_DIR"]) if config["CACHE_DIR"] else None
    folder = store_dir(cache_dir, Path(config["CONTENT_DIR"]))
    retention = history.Retention(
        versions=int(config["SYNC_RETENTION_VERSIONS"]), days=float(config["SYNC_RETENTION_DAYS"])
    )
    urls = config["WEBHOOKS"]
    if isinstance(urls, str):
        urls = urls.replace(",", " ").split()
    notifier = None
    if urls:
        if not config["WEBHOOK_SECRET"]:
            raise ValueError("NEWS_API_WEBHOOKS needs NEWS_API_WEBHOOK_SECRET (whsec_...)")
        if notify:
            from .webhooks import Notifier

            notifier = Notifier(
                urls,
                config["WEBHOOK_SECRET"],
                timeout=float(config["WEBHOOK_TIMEOUT"]),
                backoff=float(config["WEBHOOK_BACKOFF"]),
                retry_seconds=float(config["WEBHOOK_RETRY_SECONDS"]),
            )
    return SyncSetup(
        folder,
        retention,
        history.History(folder, retention),
        notifier,
        str(config["PUBLIC_URL"]).rstrip("/"),
    )


def record_version(sync: SyncSetup, index: ContentIndex) -> history.Recorded | None:
    """Record a newly built index in the sync history, then queue its webhook event
    (delivery never waits). A history that cannot be written costs /sync, not the
    reload: logged."""
    try:
        recorded = history.record(sync.store_dir, index, sync.retention)
    except Exception:
        log.exception("cannot record version %s in the sync history", index.version)
        return None
    if recorded is None or recorded.previous_seq is None:
        return recorded
    changed = recorded.created or recorded.updated or recorded.deleted
    if sync.notifier is not None and changed:
        from ..resources.sync_tokens import SyncToken, encode
        from .webhooks import version_event

        token = encode(SyncToken(recorded.store_id, recorded.previous_seq))
        sync.notifier.send(version_event(recorded, f"{sync.public_url}/sync?token={token}"))
    return recorded
