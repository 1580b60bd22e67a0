"""The news content API: ``create_app()`` builds the index and registers the resources."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from .cli import seeds_cli
from .config import Config
from .content.build import read_folder
from .content.index import ContentIndex
from .docs import docs_bp
from .resources import BLUEPRINTS
from .smorest import Api
from .store import ContentStore

log = logging.getLogger(__name__)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the app and build its index from ``CONTENT_DIR``.

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

    app.extensions["content"] = ContentStore(load_index(app))
    api = Api(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(docs_bp)
    app.cli.add_command(seeds_cli)
    return app


def load_index(app: Flask) -> ContentIndex:
    """Read ``CONTENT_DIR`` (through the build cache) and log what was skipped."""
    cache_dir = app.config["CACHE_DIR"]
    content = read_folder(
        Path(app.config["CONTENT_DIR"]),
        cache_dir=Path(cache_dir) if cache_dir else None,
        workers=app.config["BUILD_WORKERS"] or None,
    )
    index = ContentIndex(content)
    for skipped in index.skipped:
        log.warning("skipped %s", skipped)
    log.info(
        "indexed %d articles from %s (%d files, %d parsed, %d skipped) in %.2fs; version %s",
        len(index),
        content.root,
        content.files,
        content.parsed,
        len(index.skipped),
        content.seconds,
        index.version,
    )
    return index
