"""The news content API: ``create_app()`` builds the index and registers the resources."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import http
from .cli import seeds_cli
from .config import Config
from .content import history
from .content.build import build_index, check_folder
from .content.cache import folder_key, store_dir
from .content.index import ContentIndex
from .content.memory import release_free_memory
from .content.search import temporary_folder
from .operations import logs
from .operations.reload import Reloader
from .operations.webhooks import Notifier, version_event
from .pages.docs import docs_bp
from .pages.explore import explore_bp
from .resources import BLUEPRINTS
from .smorest import Api
from .store import ContentStore

log = logging.getLogger(__name__)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the app and build its index from ``CONTENT_DIR`` (see :func:`_start_content`).

    Settings come from :class:`api.config.Config`, then ``NEWS_API_*`` environment
    variables, then ``test_config``. A missing content folder stops start-up with
    :class:`~api.content.build.ContentFolderError`; bad files are skipped and logged.
    """
    app = Flask(__name__)
    app.config.from_object(Config)
    app.config.from_prefixed_env("NEWS_API")
    if test_config:
        app.config.update(test_config)
    app.json.sort_keys = False
    access_log = logs.init_app(app)
    if proxies := app.config["PROXY_FIX"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    _start_sync(app)
    _start_content(app)
    http.init_app(app, access_log)
    if notifier := app.extensions["sync"].notifier:
        notifier.metrics.register(app.extensions["metrics_registry"])
    api = Api(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(docs_bp)
    app.register_blueprint(explore_bp)
    app.cli.add_command(seeds_cli)
    return app


def _start_content(app: Flask) -> None:
    """Set up the store and its reloader, then build the first index: now, or in the
    background (``BUILD_IN_BACKGROUND``). Watch the folder unless ``RELOAD`` is off."""
    store = app.extensions["content"] = ContentStore()
    root = Path(app.config["CONTENT_DIR"])
    reloader = app.extensions["reloader"] = Reloader(
        store,
        lambda: load_index(app),
        root,
        mode=app.config["RELOAD"],
        delay=float(app.config["RELOAD_DELAY"]),
    )
    if app.config["BUILD_IN_BACKGROUND"]:
        check_folder(root)  # a missing folder still stops start-up
    else:
        reloader.reload_now(raise_errors=True)
    if app.config["BUILD_IN_BACKGROUND"] or app.config["RELOAD"] != "off":
        reloader.start()


@dataclass(frozen=True)
class SyncSetup:
    """Where the sync history is, how long it is kept, who is told of new versions."""

    store_dir: Path
    retention: history.Retention
    history: history.History
    notifier: Notifier | None
    public_url: str


def _start_sync(app: Flask) -> None:
    """The sync history's folder: the content store's (``CACHE_DIR``), or without a
    cache a temporary folder of this process, made now so that forked workers share it
    (tokens then last as long as the process). Webhooks, if configured."""
    config = app.config
    root = Path(config["CONTENT_DIR"])
    if config["CACHE_DIR"]:
        folder = store_dir(Path(config["CACHE_DIR"]), root)
    else:
        folder = temporary_folder() / f"sync-{folder_key(root)}"
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
        notifier = Notifier(
            urls,
            config["WEBHOOK_SECRET"],
            timeout=float(config["WEBHOOK_TIMEOUT"]),
            backoff=float(config["WEBHOOK_BACKOFF"]),
            retry_seconds=float(config["WEBHOOK_RETRY_SECONDS"]),
        )
    app.extensions["sync"] = SyncSetup(
        folder,
        retention,
        history.History(folder, retention),
        notifier,
        str(config["PUBLIC_URL"]).rstrip("/"),
    )


def record_version(app: Flask, index: ContentIndex) -> history.Recorded | None:
    """Record a newly built index in the sync history, then queue its webhook event (in
    the process that built it; delivery never waits). A history that cannot be written
    costs /sync, not the reload: logged."""
    sync: SyncSetup = app.extensions["sync"]
    try:
        recorded = history.record(sync.store_dir, index, sync.retention)
    except Exception:
        log.exception("cannot record version %s in the sync history", index.version)
        return None
    if recorded is None or recorded.previous_seq is None:
        return recorded
    changed = recorded.created or recorded.updated or recorded.deleted
    if sync.notifier is not None and changed:
        from .resources.sync_tokens import SyncToken, encode

        token = encode(SyncToken(recorded.store_id, recorded.previous_seq))
        sync.notifier.send(version_event(recorded, f"{sync.public_url}/sync?token={token}"))
    return recorded


def load_index(app: Flask) -> ContentIndex:
    """Build the index of ``CONTENT_DIR`` (through the build cache); log what was skipped."""
    cache_dir = app.config["CACHE_DIR"]
    root = Path(app.config["CONTENT_DIR"])
    index, report = build_index(
        root,
        cache_dir=Path(cache_dir) if cache_dir else None,
        workers=app.config["BUILD_WORKERS"] or None,
    )
    release_free_memory()
    for skipped in index.skipped:
        fields = {"file": skipped.path, "reason": skipped.reason}
        log.warning("skipped %s", skipped, extra={"fields": fields})
    fields = {
        "articles": len(index),
        "files": report.files,
        "parsed": report.parsed,
        "skipped": len(index.skipped),
        "from_cache": report.from_cache,
        "seconds": round(report.seconds, 3),
        "version": index.version,
    }
    log.info(
        "indexed %d articles from %s (%d files, %d parsed, %d skipped%s) in %.2fs; version %s",
        len(index),
        root,
        report.files,
        report.parsed,
        len(index.skipped),
        ", index from cache" if report.from_cache else "",
        report.seconds,
        index.version,
        extra={"fields": fields},
    )
    record_version(app, index)
    return index
