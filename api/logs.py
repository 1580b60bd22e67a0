"""The app's logs: one JSON object per line (or plain text), to stderr.

``NEWS_API_LOG_FORMAT`` is ``json`` (the default: one object per line, for a log
shipper) or ``text`` (for people at a terminal). Every JSON line has ``time``,
``level``, ``logger``, ``message`` and ``pid``; a line logged while a request is
answered also has its ``request_id``; a line may add fields of its own with
``extra={"fields": {...}}`` (the access line's are listed in :mod:`api.access`), and an
exception adds ``exc_info``. Why a formatter of our own rather than python-json-logger:
docs/decisions/0008-operations-metrics-logs-limits.md.

The access lines (logger ``api.access``, level INFO) go with the rest, or to the file
named by ``NEWS_API_ACCESS_LOG`` (``-``: stdout), whatever ``NEWS_API_LOG_LEVEL`` says.
When something else has configured logging already (pytest, an embedding app), the app
adds no handler of its own to ``api``.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys

import orjson
from flask import Flask, g, has_request_context

ACCESS_LOGGER = "api.access"
TEXT_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to lines logged while it is answered."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_request_context():
            record.request_id = g.get("request_id")
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with the stable keys above (orjson)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if (request_id := getattr(record, "request_id", None)) is not None:
            line["request_id"] = request_id
        if fields := getattr(record, "fields", None):
            line.update(fields)
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return orjson.dumps(line, default=str).decode()


def formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        return JsonFormatter()
    if kind == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"NEWS_API_LOG_FORMAT must be 'json' or 'text', not {kind!r}")


def init_app(app: Flask) -> None:
    """Set the level of the app's loggers and where their lines go (see module doc)."""
    fmt = formatter(app.config["LOG_FORMAT"])
    logger = logging.getLogger("api")
    level = app.config["LOG_LEVEL"]
    logger.setLevel(level if isinstance(level, int) else str(level).upper())
    if not logging.getLogger().handlers:
        for name in ("api", "flask-limiter"):
            _install(logging.getLogger(name), logging.StreamHandler(sys.stderr), fmt)
    access = logging.getLogger(ACCESS_LOGGER)
    target = app.config["ACCESS_LOG"]
    if target:
        handler = (
            logging.StreamHandler(sys.stdout)
            if target == "-"
            else logging.FileHandler(target, encoding="utf-8", delay=True)
        )
        _install(access, handler, fmt)
        access.propagate = False
        access.setLevel(logging.INFO)  # a destination was given: write them at any LOG_LEVEL
    else:
        _install(access, None, fmt)
        access.propagate = True
        access.setLevel(logging.NOTSET)


def _install(logger: logging.Logger, handler: logging.Handler | None, fmt) -> None:
    """Replace the handler this module put on ``logger`` before (create_app may run again)."""
    for old in [h for h in logger.handlers if getattr(h, "news_api", False)]:
        logger.removeHandler(old)
        old.close()
    if handler is not None:
        handler.news_api = True  # type: ignore[attr-defined]
        handler.setFormatter(fmt)
        handler.addFilter(RequestIdFilter())
        logger.addHandler(handler)
