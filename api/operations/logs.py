"""The app's logs: one JSON object per line (or plain text), to stderr.

``NEWS_API_LOG_FORMAT`` is ``json`` (the default: one object per line, for a log
shipper) or ``text`` (for people at a terminal). Every JSON line has ``time``,
``level``, ``logger``, ``message`` and ``pid``; a line logged while a request is
answered also has its ``request_id``; a line may add fields of its own with
``extra={"fields": {...}}``, and an exception adds ``exc_info``. When something else
has configured logging already (pytest, an embedding app), the app adds no handler of
its own.

The access lines (one per request, fields listed in :mod:`api.http.access`) are written by
:class:`AccessLog` straight to their file (stderr with the rest, the file named by
``NEWS_API_ACCESS_LOG``, or stdout for ``-``), the same JSON as the other lines but
without the logging module's machinery, which would cost more than the rest of the
operations hooks together. Why all this rather than python-json-logger:
docs/decisions/0007-operations-metrics-logs-limits.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from typing import Any

import orjson
from flask import Flask, has_request_context, request

ACCESS_LOGGER = "api.access"  # a stable name for log pipelines (the module is api.http.access)
REQUEST_ID_KEY = "news_api.request_id"  # in the WSGI environ: set by api.http.access
TEXT_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"


# This process's id, for access lines (os.getpid is a system call); a forked child
# (a server worker) sets its own.
_pid = os.getpid()


def _set_pid() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_set_pid)


def current_request_id() -> str | None:
    """The id of the request being answered (None outside one), as
    :mod:`api.http.access` gave it."""
    return request.environ.get(REQUEST_ID_KEY) if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to lines logged while it is answered."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
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


class AccessLog:
    """Writes one access line per request, each with a single ``write`` (whole lines,
    even with several workers appending to one file).

    Lines are written at level INFO: always when ``ACCESS_LOG`` names a destination,
    else when ``LOG_LEVEL`` lets INFO through. If logging is configured by someone else
    and no destination is named, the lines go through the ``api.access`` logger instead.
    """

    def __init__(self, app: Flask, fmt: logging.Formatter) -> None:
        target = app.config["ACCESS_LOG"]
        self.json = isinstance(fmt, JsonFormatter)
        self.text = fmt
        self.logger: logging.Logger | None = None
        self.fd = -1
        if target == "-":
            self.fd = sys.stdout.fileno()
        elif target:
            self.fd = _append_fd(str(target))
        elif logging.getLogger().handlers:
            self.logger = logging.getLogger(ACCESS_LOGGER)
        else:
            self.fd = sys.stderr.fileno()
        self.enabled = bool(target) or logging.getLogger("api").isEnabledFor(logging.INFO)

    def write(self, message: str, request_id: str, fields: dict[str, Any]) -> None:
        if self.logger is not None:
            extra = {"request_id": request_id, "fields": fields}
            record = self.logger.makeRecord(
                ACCESS_LOGGER, logging.INFO, "", 0, message, (), None, extra=extra
            )
            self.logger.handle(record)
            return
        if self.json:
            line = {
                "time": dt.datetime.now(dt.UTC),
                "level": "INFO",
                "logger": ACCESS_LOGGER,
                "message": message,
                "pid": _pid,
                "request_id": request_id,
                **fields,
            }
            data = orjson.dumps(line, default=str, option=orjson.OPT_APPEND_NEWLINE)
        else:
            record = logging.LogRecord(ACCESS_LOGGER, logging.INFO, "", 0, message, (), None)
            data = (self.text.format(record) + "\n").encode("utf-8", "replace")
        while data:
            data = data[os.write(self.fd, data) :]


_append_fds: dict[str, int] = {}


def _append_fd(path: str) -> int:
    """One descriptor per file and process, opened for appending."""
    fd = _append_fds.get(path)
    if fd is None:
        fd = _append_fds[path] = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    return fd


def init_app(app: Flask) -> AccessLog:
    """Set the level of the app's loggers and where their lines go (see module doc)."""
    return AccessLog(app, configure(app.config))


def configure(config) -> logging.Formatter:
    """Set the level of the app's loggers and where their lines go (also for the
    launcher, :mod:`.server`, which has no app); returns the formatter."""
    fmt = formatter(config["LOG_FORMAT"])
    level = config["LOG_LEVEL"]
    logging.getLogger("api").setLevel(level if isinstance(level, int) else str(level).upper())
    if not logging.getLogger().handlers:
        for name in ("api", "flask-limiter"):
            _install(logging.getLogger(name), logging.StreamHandler(sys.stderr), fmt)
    return fmt


def _install(logger: logging.Logger, handler: logging.Handler, fmt) -> None:
    """Replace the handler this module put on ``logger`` before (create_app may run again)."""
    for old in [h for h in logger.handlers if getattr(h, "news_api", False)]:
        logger.removeHandler(old)
        old.close()
    handler.news_api = True  # type: ignore[attr-defined]
    handler.setFormatter(fmt)
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)
