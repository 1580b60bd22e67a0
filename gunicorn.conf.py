"""Gunicorn settings for serving the API (``make serve`` uses this file).

Override with environment variables: ``NEWS_API_HOST``, ``NEWS_API_PORT``,
``NEWS_API_WORKERS``, ``NEWS_API_TIMEOUT``, or any gunicorn flag in ``GUNICORN_CMD_ARGS``.
"""

import gc
import os

bind = f"{os.environ.get('NEWS_API_HOST', '127.0.0.1')}:{os.environ.get('NEWS_API_PORT', '8000')}"
workers = int(os.environ.get("NEWS_API_WORKERS", "2"))
worker_class = "sync"
timeout = int(os.environ.get("NEWS_API_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
limit_request_line = 8190
limit_request_fields = 100
# Build the index once in the master; forked workers share its memory.
preload_app = True
accesslog = os.environ.get("NEWS_API_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("NEWS_API_LOG_LEVEL", "info")


def when_ready(server):
    # Runs in the master after the app (and its index) is loaded, before any worker is
    # forked: freezing moves every object out of the collector's reach, so the workers'
    # garbage collections do not write to (and so copy) the pages they share.
    gc.freeze()
