"""The production server: ``python -m api.operations.server`` (what ``make serve`` runs).

Three kinds of process, chosen by measurement (decision 0019):

- this launcher, which starts the others, forwards signals to them and stops them all;
- the builder (a thread of this launcher): builds the content folder's artifact, and
  the next one whenever the folder changes (or on ``SIGHUP``), and points the store's
  ``CURRENT`` at it (:mod:`.builder`);
- granian (a Rust HTTP/1.1 server with keep-alive) and its worker processes, each
  running the WSGI app in *follow* mode: it maps the artifact ``CURRENT`` names and
  swaps in the next one within ``FOLLOW_INTERVAL`` seconds (:mod:`api.store`). Nothing is
  built or copied per worker: every worker maps the same files. granian's main process
  imports the app's modules before it forks the workers (:mod:`.granian_main`), so a
  worker only creates the app, and the modules' memory is shared.

A restart with unchanged content serves at once (the workers map the existing artifact
while the builder checks the folder in the background). ``SIGTERM`` or ``SIGINT``:
granian stops accepting connections, lets each worker finish its requests (at most
``NEWS_API_GRACEFUL_TIMEOUT`` seconds), then this exits 0.

``NEWS_API_BUILDER=off``: no builder here; the workers follow a store that another
launcher builds (replicas sharing one ``NEWS_API_CACHE_DIR``: README "Cluster"). Until
that one has made a version current, content routes answer 503.

Settings: ``NEWS_API_HOST``, ``NEWS_API_PORT``, ``NEWS_API_WORKERS``,
``NEWS_API_GRACEFUL_TIMEOUT``, ``NEWS_API_BACKLOG``, ``NEWS_API_BUILDER``,
``NEWS_API_BUILD_NICE`` and every setting of the app (README); any ``GRANIAN_*`` variable
reaches granian as well.

The builder runs at a lower CPU priority than the workers (``nice`` 10 by default): a
build never slows the answers while it runs beside them (a restart's workers start
while it scans the folder; a reload under load takes the CPU the requests leave).

Only the standard library is imported at first: the server starts before this process
loads the app's code for the builder.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
METRICS_DIR_PREFIX = "news-api-metrics-"
PR_SET_PDEATHSIG = 1  # prctl(2)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def granian_command(host: str, port: int, workers: int, log_config: Path | None) -> list[str]:
    """How granian is started: WSGI, HTTP/1.1 with keep-alive, one thread per worker
    (the app only ever waits on the CPU), failed workers replaced."""
    cmd = [
        sys.executable,
        "-m",
        "api.operations.granian_main",
        "--interface",
        "wsgi",
        "--http",
        "1",
        "--no-ws",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        "1",
        # Bounds the request's head (line and fields): over about twice this, a 431.
        "--http1-buffer-size",
        str(64 * 1024),
        "--backlog",
        str(_env_int("NEWS_API_BACKLOG", 1024)),
        "--workers-kill-timeout",
        str(_env_int("NEWS_API_GRACEFUL_TIMEOUT", 20)),
        "--respawn-failed-workers",
        "--working-dir",
        str(ROOT),
        "--process-name",
        "news-api",
    ]
    if log_config is not None:
        cmd += ["--log-config", str(log_config)]
    return [*cmd, "wsgi:app"]


def _granian_log_config(folder: Path, fmt: str, level: str) -> Path | None:
    """Granian's own lines (start, stop, worker spawns) in the app's JSON format."""
    if fmt != "json":
        return None
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "api.operations.logs.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "_granian": {"handlers": ["console"], "level": level.upper(), "propagate": False},
            "granian.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
    path = folder / "granian-logging.json"
    path.write_text(json.dumps(config))
    return path


def _stop_with_parent() -> None:
    """In the server's process, before it runs: SIGTERM it when this launcher dies, even
    by SIGKILL, so a server never outlives its launcher (Linux; elsewhere nothing)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _lower_priority(nice: int) -> None:
    """Lower this thread's CPU priority by ``nice`` (Linux: per thread, inherited by
    the threads and processes it starts)."""
    if nice > 0:
        with contextlib.suppress(OSError):  # not allowed here: the same priority
            os.nice(nice)


def main() -> int:
    temporary = Path(tempfile.mkdtemp(prefix="news-api-server-"))
    env = os.environ
    # Counters of every worker (and of the builder) go to files here; /metrics adds them.
    given_metrics_dir = env.get("PROMETHEUS_MULTIPROC_DIR")
    metrics_dir = Path(given_metrics_dir or tempfile.mkdtemp(prefix=METRICS_DIR_PREFIX))
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for old in metrics_dir.glob("*.db"):  # an earlier run's counts are not this one's
        old.unlink()
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    # Without a cache folder the store is still shared by the workers: a temporary one.
    if env.get("NEWS_API_CACHE_DIR") == '""' or env.get("NEWS_API_CACHE_DIR") == "":
        env["NEWS_API_CACHE_DIR"] = str(temporary / "cache")
    env.setdefault("NEWS_API_RELOAD", "watch")
    log_format = env.get("NEWS_API_LOG_FORMAT", "json")
    log_level = env.get("NEWS_API_LOG_LEVEL", "info")
    host = env.get("NEWS_API_HOST", "127.0.0.1")
    port = _env_int("NEWS_API_PORT", 8000)
    workers = _env_int("NEWS_API_WORKERS", 2)
    worker_env = {**env, "NEWS_API_FOLLOW": "true"}
    content = Path(env.get("NEWS_API_CONTENT_DIR") or ROOT / "seeds")
    if not content.is_dir():  # stops start-up (a folder that goes away later is waited for)
        print(f"error: content folder {content} is not a folder", file=sys.stderr)
        return 2

    log_config = _granian_log_config(temporary, log_format, log_level)
    cmd = granian_command(host, port, workers, log_config)
    # A session of its own: its workers can be stopped together if granian does not stop.
    server = subprocess.Popen(
        cmd, env=worker_env, cwd=ROOT, preexec_fn=_stop_with_parent, start_new_session=True
    )
    stopping = threading.Event()
    grace = _env_int("NEWS_API_GRACEFUL_TIMEOUT", 20) + 10
    building: list = []  # the builder's reloader, once started

    def stop(signum, frame) -> None:
        if stopping.is_set():
            return
        stopping.set()
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)  # graceful: granian drains its workers
            threading.Thread(target=kill_if_stuck, daemon=True).start()
        if building:  # while the workers drain, no build goes on (builder.abandon)
            from .builder import abandon

            abandon(building[0])

    def kill_if_stuck() -> None:
        # Granian can miss a SIGTERM that comes while a worker is still starting.
        try:
            server.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if env.get("NEWS_API_BUILDER", "on").lower() in ("off", "false", "0"):
            status = server.wait()
            return 0 if stopping.is_set() and status in (0, -signal.SIGTERM) else status
        # The builder yields the CPU to the workers (this thread's priority: the
        # builder's threads and reader processes start from here and inherit it).
        _lower_priority(_env_int("NEWS_API_BUILD_NICE", 10))
        # Now the app's code (the builder); the server is already starting meanwhile.
        from flask import Config as Settings

        from ..config import Config
        from . import logs
        from .builder import abandon, shut_down, start_builder

        settings = Settings(str(ROOT))
        settings.from_object(Config)
        settings.from_prefixed_env("NEWS_API")
        logs.configure(settings)
        reloader = start_builder(settings)  # installs its SIGHUP handler: reload now
        building.append(reloader)
        if stopping.is_set():  # stopped while the builder was starting
            abandon(reloader)
        status = server.wait()
        shut_down(reloader)  # a build in progress is abandoned, the cache file finished
        return 0 if stopping.is_set() and status in (0, -signal.SIGTERM) else status
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(temporary, ignore_errors=True)
        if not given_metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
