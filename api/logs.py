"""The app's logs: one JSON object per line (or plain text), to stderr.

``NEWS_API_LOG_FORMAT`` is ``json`` (the default: one object per line, for a log
shipper) or ``text`` (for people at a terminal). Every line has ``time``, ``level``,
``logger``, ``message`` and ``pid``; a line logged while a request is answered also has
its ``request_id``; other fields come from the call's ``extra`` (the access line's are
listed in :mod:`api.access`). JSON is written by python-json-logger's orjson formatter
(docs/decisions/0008-operations-metrics-logs-limits.md says why).

The access lines (logger ``api.access``) go with the rest, or to the file named by
``NEWS_API_ACCESS_LOG`` (``-``: stdout). When something else has configured logging
already (pytest, an embedding app), the app adds no handler of its own to ``api``.
"""

from __future__ import annotations

import logging
import sys

from flask import Flask, g, has_request_context
from pythonjsonlogger.orjson import OrjsonFormatter

ACCESS_LOGGER = "api.access"
TEXT_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to lines logged while it is answered."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_request_context():
            record.request_id = g.get("request_id")
        return True


def json_formatter() -> logging.Formatter:
    return OrjsonFormatter(
        ["levelname", "name", "message", "process"],
        rename_fields={"levelname": "level", "name": "logger", "process": "pid"},
        timestamp="time",
    )


def formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        return json_formatter()
    if kind == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"NEWS_API_LOG_FORMAT must be 'json' or 'text', not {kind!r}")


def init_app(app: Flask) -> None:
    """Set the level of the app's loggers and where their lines go (see module doc)."""
    fmt = formatter(app.config["LOG_FORMAT"])
    logger = logging.getLogger("api")
    logger.setLevel(str(app.config["LOG_LEVEL"]).upper())
    if not logging.getLogger().handlers:
        _install(logger, logging.StreamHandler(sys.stderr), fmt)
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
    else:
        _install(access, None, fmt)
        access.propagate = True


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
