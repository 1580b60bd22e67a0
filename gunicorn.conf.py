"""Gunicorn settings for serving the API (``make serve`` uses this file).

Each setting below can be changed by the environment variable named next to it (the
README's settings table lists them all), or by any gunicorn flag in
``GUNICORN_CMD_ARGS``. Live reload and the background first build: see the hooks below
and decision 0006.

Shutdown: on ``SIGTERM`` the master stops accepting connections and each worker
finishes the request it is answering (for at most ``graceful_timeout`` seconds) and
exits; then the master exits with status 0. ``SIGINT`` and ``SIGQUIT`` stop at once.

Metrics: workers count requests in files under ``PROMETHEUS_MULTIPROC_DIR`` (a fresh
temporary folder unless set; a folder given is emptied at start), and ``GET /metrics``
adds them up (``api.operations.metrics``).

Logs: gunicorn's own lines are JSON too unless ``NEWS_API_LOG_FORMAT=text``; the access
lines are the app's (``api.http.access``), so gunicorn's access log is off.
"""

import gc
import glob
import os
import shutil
import signal
import tempfile
import threading


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


# Must be set before prometheus_client is imported (by the app, loaded after this file):
# it picks its multi-process mode at import.
METRICS_DIR_PREFIX = "news-api-metrics-"
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=METRICS_DIR_PREFIX)
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# The server builds its first index in the background (it answers /healthz at once, and
# 503 elsewhere until the index is ready) and follows changes to the content folder.
# Read by create_app() when gunicorn preloads wsgi:app; set them to change that.
os.environ.setdefault("NEWS_API_BUILD_IN_BACKGROUND", "true")
os.environ.setdefault("NEWS_API_RELOAD", "watch")

bind = f"{os.environ.get('NEWS_API_HOST', '127.0.0.1')}:{os.environ.get('NEWS_API_PORT', '8000')}"
# Worker processes: each answers one request at a time (sync workers; the API never
# waits on anything but the CPU). About one per core.
workers = _int("NEWS_API_WORKERS", 2)
worker_class = "sync"
# A worker silent for this long (seconds) is killed and replaced.
timeout = _int("NEWS_API_TIMEOUT", 30)
# On SIGTERM, how long workers may take to finish their requests before being killed.
graceful_timeout = _int("NEWS_API_GRACEFUL_TIMEOUT", 20)
# Seconds to keep an idle connection open (used by async worker classes; sync workers
# close after each response).
keepalive = _int("NEWS_API_KEEPALIVE", 5)
# Bounds on what a request may send before the app sees it (over: 400 from gunicorn).
limit_request_line = _int("NEWS_API_MAX_REQUEST_LINE", 8190)
limit_request_fields = _int("NEWS_API_MAX_REQUEST_FIELDS", 100)
limit_request_field_size = _int("NEWS_API_MAX_REQUEST_FIELD_SIZE", 8190)
# Restart a worker after this many requests (0: never), each at a random point up to
# max_requests_jitter later so they do not all restart together. Off by default: the
# index is immutable and shared (a new worker is forked with the master's, the current
# one), so there is nothing to leak.
max_requests = _int("NEWS_API_MAX_REQUESTS", 0)
max_requests_jitter = _int("NEWS_API_MAX_REQUESTS_JITTER", max_requests // 10)
# Gunicorn 27's control socket ($HOME/.gunicorn/gunicorn.ctl) is one path for every
# gunicorn of the user: two servers (tests, a benchmark, `make serve`) would fight over
# it. Nothing here uses it; signals (HUP, TERM) do the same jobs.
control_socket_disable = True
# Build the index once in the master; forked workers share its memory.
preload_app = True
accesslog = None
errorlog = "-"
loglevel = os.environ.get("NEWS_API_LOG_LEVEL", "info")

if os.environ.get("NEWS_API_LOG_FORMAT", "json") == "json":
    # Gunicorn's defaults, with the app's JSON formatter and no handler on the root
    # logger (so the app's own handler is used for its lines).
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "WARNING", "handlers": []},
        "loggers": {
            "gunicorn.error": {
                "level": loglevel.upper(),
                "handlers": ["error_console"],
                "propagate": False,
                "qualname": "gunicorn.error",
            },
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
        },
        "formatters": {"json": {"()": "api.operations.logs.JsonFormatter"}},
    }


def on_starting(server):
    # A folder given in PROMETHEUS_MULTIPROC_DIR may hold the files of an earlier run,
    # whose counts would be added to this one's.
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def when_ready(server):
    # Runs in the master after the app is loaded, before any worker is forked: freezing
    # moves every object out of the collector's reach, so the workers' garbage
    # collections do not write to (and so copy) the pages they share.
    gc.freeze()
    # The app's reloader runs in the master (workers are forked without its threads). A
    # new index it builds is staged, and the master sent a HUP: on_reload swaps it in,
    # then gunicorn forks new workers (which share it) and retires the old ones once
    # their requests are done. A preloaded app is not imported again on HUP.
    # (An app without a reloader, like bench/hello.py under these same settings: none.)
    reloader = server.app.wsgi().extensions.get("reloader")
    if reloader is not None:
        reloader.set_hand_over(_send_hup)


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
    reloader = app.extensions.get("reloader")
    if reloader is None:
        return
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


def child_exit(server, worker):
    # A dead worker's counts stay (totals never go down), folded into one file per type
    # so the folder does not grow with every worker ever started; its live gauges go.
    from prometheus_client import multiprocess

    from api.operations.metrics import merge_dead_worker

    try:
        multiprocess.mark_process_dead(worker.pid)
        merge_dead_worker(worker.pid)
    except Exception:
        server.log.exception("metrics: could not merge the files of worker %s", worker.pid)


def on_exit(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    if os.path.basename(folder).startswith(METRICS_DIR_PREFIX):
        shutil.rmtree(folder, ignore_errors=True)
