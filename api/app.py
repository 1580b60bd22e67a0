"""``create_app()``: settings, the content store, the per-request layer, the resources."""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from inspect import iscoroutinefunction
from pathlib import Path
from types import FunctionType, MethodType
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Request
from werkzeug.datastructures import MultiDict
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import get_current_url
from werkzeug.utils import cached_property

from . import http
from .cli import seeds_cli
from .config import Config
from .content.artifact import ArtifactStore
from .content.index import ContentIndex
from .content.records import check_folder
from .http.response import ApiResponse
from .operations import logs, publishing
from .pages.docs import docs_bp
from .pages.explore import explore_bp
from .resources import BLUEPRINTS
from .resources.examples import add_examples
from .smorest import Api
from .store import ContentStore

log = logging.getLogger(__name__)


PAIR_MEMO_SIZE = 4096  # decoded query parameters kept (per process)
PAIR_MEMO_MAX_CHARS = 200  # longer ones are decoded every time (the memo stays small)


@functools.lru_cache(maxsize=PAIR_MEMO_SIZE)
def _decoded_pair(pair: str) -> tuple[tuple[str, str], ...]:
    return tuple(_parse_qsl(pair))


def _parse_qsl(query: str) -> list[tuple[str, str]]:
    """As werkzeug's ``Request.args`` decodes a query string."""
    return parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote")


@functools.lru_cache(maxsize=256)
def _root_url(scheme: str, host: str, root_path: str) -> str:
    return get_current_url(scheme, host, root_path)


class NewsApiRequest(Request):
    """Flask's request, but ``args`` decodes each ``name=value`` pair of the query string
    once per process, not once per request: distinct queries mostly combine pairs seen
    before (``topic=ai``, ``sort=-quality``), and ``parse_qsl`` decodes each pair on its
    own (split on ``&``, then ``+`` and percent-decoding), so the result is the same."""

    @cached_property
    def args(self) -> MultiDict[str, str]:
        pairs: list[tuple[str, str]] = []
        for pair in self.query_string.decode().split("&"):
            if len(pair) <= PAIR_MEMO_MAX_CHARS:
                pairs.extend(_decoded_pair(pair))
            else:
                pairs.extend(_parse_qsl(pair))
        return self.parameter_storage_class(pairs)

    @cached_property
    def root_url(self) -> str:
        """werkzeug's, worked out once per scheme, host and root path (it is decoded back
        to an IRI: about ten microseconds of a suggestion request)."""
        return _root_url(self.scheme, self.host, self.root_path)


class NewsApiFlask(Flask):
    """Flask, but whether a hook or a view function (or method) is a coroutine function is
    asked once per function, not each time it runs: Flask asks for every hook of every
    request (``ensure_sync``, the documented place to change this), and ``inspect`` takes
    about a microsecond and a half to answer, some twenty times a request."""

    MAX_KNOWN = 4096  # functions made per request (there are none today) are not kept
    request_class = NewsApiRequest
    response_class = ApiResponse

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._known_sync: set[Callable] = set()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        # A bound method is a coroutine function when its function is one; views' methods
        # are bound anew to each request's view instance, so their functions are kept.
        target = func.__func__ if type(func) is MethodType else func
        known = self._known_sync
        if target in known:
            return func
        if (
            type(target) is FunctionType
            and not iscoroutinefunction(target)
            and len(known) < self.MAX_KNOWN
        ):
            known.add(target)
            return func
        return super().ensure_sync(func)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the app and build its index from ``CONTENT_DIR`` (see :func:`_start_content`).

    Settings come from :class:`api.config.Config`, then ``NEWS_API_*`` environment
    variables, then ``test_config``. A missing content folder stops start-up with
    :class:`~api.content.records.ContentFolderError`; bad files are skipped and logged.
    """
    app = NewsApiFlask(__name__)
    app.config.from_object(Config)
    app.config.from_prefixed_env("NEWS_API")
    if test_config:
        app.config.update(test_config)
    app.json.sort_keys = False
    access_log = logs.init_app(app)
    app.extensions["sync"] = sync = publishing.sync_setup(
        app.config, notify=not app.config["FOLLOW"]
    )
    _start_content(app)
    http.init_app(app, access_log)
    if proxies := app.config["PROXY_FIX"]:  # outermost: every layer sees the client's address
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    if sync.notifier is not None:
        sync.notifier.metrics.register(app.extensions["metrics_registry"])
    api = Api(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    add_examples(app, api)
    app.register_blueprint(docs_bp)
    app.register_blueprint(explore_bp)
    app.cli.add_command(seeds_cli)
    return app


def _start_content(app: Flask) -> None:
    """Set up the store. ``FOLLOW`` (the real server's workers, :mod:`api.operations.server`):
    map the artifact the builder made current, and follow it. Otherwise (in-process: tests,
    ``flask run``) build here: now, or in the background (``BUILD_IN_BACKGROUND``), and
    watch the folder unless ``RELOAD`` is off. Under the ``flask`` command line, only once
    a request comes (``flask seeds check DIR`` or ``flask openapi write`` build nothing)."""
    store = app.extensions["content"] = ContentStore()
    root = Path(app.config["CONTENT_DIR"])
    if app.config["FOLLOW"]:
        check_folder(root)
        store.follow(ArtifactStore.configured(app.config), float(app.config["FOLLOW_INTERVAL"]))
        return
    # Building here: only now load the build code (a follower never does).
    from .operations.reload import Reloader

    reloader = app.extensions["reloader"] = Reloader(
        store,
        lambda: load_index(app),
        root,
        mode=app.config["RELOAD"],
        delay=float(app.config["RELOAD_DELAY"]),
    )
    if os.environ.get("FLASK_RUN_FROM_CLI") == "true" and not app.config["BUILD_IN_BACKGROUND"]:
        started = threading.Lock()

        @app.before_request
        def build_on_first_request() -> None:
            if started.acquire(blocking=False):
                reloader.start()  # in the background: 503 until it is built

        return
    if app.config["BUILD_IN_BACKGROUND"]:
        check_folder(root)  # a missing folder still stops start-up
    else:
        reloader.reload_now(raise_errors=True)
    if app.config["BUILD_IN_BACKGROUND"] or app.config["RELOAD"] != "off":
        reloader.start()


def load_index(app: Flask) -> ContentIndex:
    """Build (or reuse) the artifact of ``CONTENT_DIR`` and map it; log what was skipped;
    record the version in the sync history (and announce it)."""
    from .operations import builder

    index = builder.build(app.config)
    publishing.record_version(app.extensions["sync"], index)
    return index
