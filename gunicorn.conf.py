"""Gunicorn settings for serving the API (``make serve`` uses this file).

Override with environment variables: ``NEWS_API_HOST``, ``NEWS_API_PORT``,
``NEWS_API_WORKERS``, ``NEWS_API_TIMEOUT``, or any gunicorn flag in ``GUNICORN_CMD_ARGS``.
Live reload and the background first build: see the hooks below and decision 0006.
"""

import gc
import os
import signal
import threading

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
    # The app's reloader runs in the master (workers are forked without its threads). A
    # new index it builds is staged, and the master sent a HUP: on_reload swaps it in,
    # then gunicorn forks new workers (which share it) and retires the old ones once
    # their requests are done. A preloaded app is not imported again on HUP.
    server.app.wsgi().extensions["reloader"].set_hand_over(_send_hup)


def _send_hup(index):
    # To the master's main thread, which waits for signals: it handles this at once
    # (os.kill could be delivered to this thread, and noticed up to a second later).
    signal.pthread_kill(threading.main_thread().ident, signal.SIGHUP)


def on_reload(server):
    # Every HUP, before gunicorn forks the new workers. An exception here would stop the
    # master: log it, and let the HUP go on as gunicorn's usual one.
    try:
        _take_new_index(server)
    except Exception:
        server.log.exception("live reload: on_reload failed; workers keep their index")


def _take_new_index(server):
    # Ours (the reloader handed over a build): swap in its index, unless it failed. One
    # from outside (`kill -HUP`): rebuild now if the folder changed (only changed files
    # are read); if the reloader is busy building, it builds again after that and sends
    # its own HUP.
    app = server.app.wsgi()
    reloader = app.extensions["reloader"]
    handed_over, index = reloader.swap_pending()
    if not handed_over:
        result = reloader.reload_if_idle()
        index = app.extensions["content"].index if result is not None and result.ok else None
    if index is None:
        return  # the same index: gunicorn's usual HUP (new workers carry the last_load)
    gc.unfreeze()  # let the old index's cycles (if any) be collected, freeze the new
    gc.collect()
    gc.freeze()
    # Retire the old workers now, before the new ones are forked (gunicorn would only
    # after): they finish the requests they have, accept no more, and a client never
    # gets an older version after a newer one. Meanwhile connections wait in the backlog.
    for pid in list(server.WORKERS):
        server.kill_worker(pid, signal.SIGTERM)
