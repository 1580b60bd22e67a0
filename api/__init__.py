"""The news content API: ``create_app()`` builds the index and registers the resources."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from flask_compress import Compress

from . import cors, http_cache, security_headers, url_checks
from .cli import seeds_cli
from .config import Config
from .content.build import build_index, check_folder
from .content.index import ContentIndex
from .content.memory import release_free_memory
from .docs import docs_bp
from .explore import explore_bp
from .reload import Reloader
from .resources import BLUEPRINTS
from .smorest import Api
from .store import ContentStore
from .store import init_app as store_init_app

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
    _log_to_stderr()

    _start_content(app)
    url_checks.init_app(app)  # before any other hook reads the URL
    security_headers.init_app(app)  # runs after every other hook, on every response
    store_init_app(app)
    cors.init_app(app)
    Compress(app)
    http_cache.init_app(app)  # registered last, so its headers are set before compression
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


def _log_to_stderr() -> None:
    """Send the load report and skipped files to stderr, unless logging is set up already."""
    logger = logging.getLogger("api")
    if logger.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s")
    )
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


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
        log.warning("skipped %s", skipped)
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
    )
    return index
