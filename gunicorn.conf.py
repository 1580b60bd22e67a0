"""Gunicorn settings for serving the API (``make serve`` uses this file).

Each setting below can be changed by the environment variable named next to it (the
README's settings table lists them all), or by any gunicorn flag in
``GUNICORN_CMD_ARGS``.

Shutdown: on ``SIGTERM`` the master stops accepting connections and each worker
finishes the request it is answering (for at most ``graceful_timeout`` seconds) and
exits; then the master exits with status 0. ``SIGINT`` and ``SIGQUIT`` stop at once.

Metrics: workers count requests in files under ``PROMETHEUS_MULTIPROC_DIR`` (a fresh
temporary folder unless set; a folder given is emptied at start), and ``GET /metrics``
adds them up (``api.metrics``).

Logs: gunicorn's own lines are JSON too unless ``NEWS_API_LOG_FORMAT=text``; the access
lines are the app's (``api.access``), so gunicorn's access log is off.
"""

import gc
import glob
import os
import shutil
import tempfile


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


# Must be set before prometheus_client is imported (by the app, loaded after this file):
# it picks its multi-process mode at import.
METRICS_DIR_PREFIX = "news-api-metrics-"
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=METRICS_DIR_PREFIX)
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

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
# index is immutable and shared, there is nothing to leak, and each dead worker leaves
# metric files that every scrape reads.
max_requests = _int("NEWS_API_MAX_REQUESTS", 0)
max_requests_jitter = _int("NEWS_API_MAX_REQUESTS_JITTER", max_requests // 10)
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
        "formatters": {"json": {"()": "api.logs.JsonFormatter"}},
    }


def on_starting(server):
    # A folder given in PROMETHEUS_MULTIPROC_DIR may hold the files of an earlier run,
    # whose counts would be added to this one's.
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def when_ready(server):
    # Runs in the master after the app (and its index) is loaded, before any worker is
    # forked: freezing moves every object out of the collector's reach, so the workers'
    # garbage collections do not write to (and so copy) the pages they share.
    gc.freeze()


def child_exit(server, worker):
    # A dead worker's counters stay (totals never go down); its live gauges go.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    if os.path.basename(folder).startswith(METRICS_DIR_PREFIX):
        shutil.rmtree(folder, ignore_errors=True)
