"""The news content API: ``create_app()`` builds the index and registers the resources."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import http
from .cli import seeds_cli
from .config import Config
from .content.build import build_index, check_folder
from .content.index import ContentIndex
from .content.memory import release_free_memory
from .operations import logs
from .operations.reload import Reloader
from .pages.docs import docs_bp
from .pages.explore import explore_bp
from .resources import BLUEPRINTS
from .resources.examples import add_examples
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

    _start_content(app)
    http.init_app(app, access_log)
    api = Api(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    add_examples(app, api)
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
    for warning in index.warnings:
        fields = {"file": warning.path, "warning": warning.message}
        log.warning("warning %s", warning, extra={"fields": fields})
    fields = {
        "articles": len(index),
        "files": report.files,
        "parsed": report.parsed,
        "skipped": len(index.skipped),
        "warnings": len(index.warnings),
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
    return index
