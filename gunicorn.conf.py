"""Gunicorn settings for serving the API (``make serve`` uses this file).

Override with environment variables: ``NEWS_API_HOST``, ``NEWS_API_PORT``,
``NEWS_API_WORKERS``, ``NEWS_API_TIMEOUT``, or any gunicorn flag in ``GUNICORN_CMD_ARGS``.
Live reload and the background first build: see the hooks below and decision 0006.
"""

import gc
import os
import signal

# The server builds its first index in the background (it answers /healthz at once, and
# 503 elsewhere until the index is ready) and follows changes to the content folder.
# Read by create_app() when gunicorn preloads wsgi:app; set them to change that.
os.environ.setdefault("NEWS_API_BUILD_IN_BACKGROUND", "true")
os.environ.setdefault("NEWS_API_RELOAD", "watch")

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
    # Runs in the master after the app is loaded, before any worker is forked: freezing
    # moves every object out of the collector's reach, so the workers' garbage
    # collections do not write to (and so copy) the pages they share.
    gc.freeze()
    # The app's reloader runs in the master (workers are forked without its threads). Each
    # new index it swaps into the master's store is handed to workers by a HUP: gunicorn
    # forks new workers from the master, which now holds the new index, and retires the
    # old ones once their requests are done. A preloaded app is not imported again on HUP.
    reloader = server.app.wsgi().extensions["reloader"]
    reloader.after_swap = _restart_workers


def _restart_workers(index):
    gc.unfreeze()  # let the old index's cycles (if any) be collected, then freeze the new
    gc.collect()
    gc.freeze()
    os.kill(os.getpid(), signal.SIGHUP)


def on_reload(server):
    # A HUP from outside (`kill -HUP <master>`): rebuild first (only changed files are
    # read; nothing at all if the folder is unchanged, as after the reloader's own HUP),
    # so the workers gunicorn is about to fork get the new index. If the reloader is
    # busy building, it builds again after that and sends its own HUP.
    server.app.wsgi().extensions["reloader"].reload_if_idle()
