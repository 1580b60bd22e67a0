"""Several replicas behind nginx on one machine: ``python -m api.operations.cluster``
(what ``NEWS_API_REPLICAS=3 make cluster`` runs; README "Cluster", decision 0020).

The processes are those of a deployment on several machines sharing one store:

- this launcher runs the one builder (as :mod:`.server` does: a thread watching
  ``NEWS_API_CONTENT_DIR`` and writing each version into the store under
  ``NEWS_API_CACHE_DIR``);
- ``NEWS_API_REPLICAS`` replicas, each a server of its own (:mod:`.server` with
  ``NEWS_API_BUILDER=off``: a launcher, granian and its workers) on its own loopback
  port, named in ``X-Served-By``, following the shared store's ``CURRENT``;
- nginx on ``NEWS_API_HOST``:``NEWS_API_PORT``, balancing over the replicas and caching
  what they allow (``deploy/nginx.conf.template``), run as the current user with every
  file it writes (pid, cache, temporary files) in a folder of its own.

``SIGTERM`` or ``SIGINT`` (Ctrl-C) stops nginx and then the replicas (each drains its
requests), and this exits 0. If any of them dies, the others are stopped and this exits 1.
Children are also told to stop if this launcher is killed outright (``PR_SET_PDEATHSIG``).

Settings (besides the app's and :mod:`.server`'s): ``NEWS_API_REPLICAS`` (3),
``NEWS_API_REPLICA_PORT`` (the first replica's port; the others follow; default
``NEWS_API_PORT`` + 1), ``NEWS_API_WORKERS`` (per replica; 1 here), ``NEWS_API_NGINX``
(the nginx binary), ``NEWS_API_PROXY_WORKERS`` (nginx worker processes, ``auto``),
``NEWS_API_PROXY_CACHE_SIZE`` (``1g``), ``NEWS_API_PROXY_CACHE_DIR`` (nginx's cache
folder; by default a new one in ``/dev/shm``, memory, when there is one: see
:func:`proxy_cache_dir`). ``{replica}`` in ``NEWS_API_ACCESS_LOG`` is
replaced by the replica's number (one access log per replica).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import dataclasses
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
# Seconds each child gets to stop before it is killed.
STOP_TIMEOUT = 30


@dataclass(frozen=True)
class ClusterSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    replicas: int = 3
    replica_host: str = "127.0.0.1"
    replica_port: int = 8001
    proxy_workers: str = "auto"
    cache_size: str = "1g"
    cache_dir: str = ""  # nginx's cache folder; empty: PREFIX/cache

    @classmethod
    def from_env(cls, env: dict[str, str] | os._Environ) -> ClusterSettings:
        port = int(env.get("NEWS_API_PORT") or 8000)
        return cls(
            host=env.get("NEWS_API_HOST") or "127.0.0.1",
            port=port,
            replicas=int(env.get("NEWS_API_REPLICAS") or 3),
            replica_port=int(env.get("NEWS_API_REPLICA_PORT") or port + 1),
            proxy_workers=env.get("NEWS_API_PROXY_WORKERS") or "auto",
            cache_size=env.get("NEWS_API_PROXY_CACHE_SIZE") or "1g",
            cache_dir=env.get("NEWS_API_PROXY_CACHE_DIR") or "",
        )

    def replica_ports(self) -> list[int]:
        return [self.replica_port + i for i in range(self.replicas)]


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def render_nginx_conf(
    settings: ClusterSettings, prefix: Path, upstreams: list[str] | None = None
) -> str:
    """The nginx configuration for ``settings`` with its files under ``prefix``.
    ``upstreams`` (``host:port``) default to the replicas this launcher starts."""
    if upstreams is None:
        upstreams = [_address(settings.replica_host, p) for p in settings.replica_ports()]
    if not upstreams:
        raise ValueError("at least one replica is needed")
    # Workers of an nginx started as root would run as "nobody", who cannot write here.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    values = {
        "USER": user,
        "WORKERS": settings.proxy_workers,
        "PREFIX": str(prefix),
        "SERVERS": "\n".join(f"        server {u} max_fails=0;" for u in upstreams),
        "CACHE_SIZE": settings.cache_size,
        "CACHE_DIR": settings.cache_dir or str(prefix / "cache"),
        "LISTEN": _address(settings.host, settings.port),
    }
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


def _die_with_parent(sig: int) -> None:
    """In a child before exec: get ``sig`` when this launcher dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: no such call
        ctypes.CDLL(None, use_errno=True).prctl(1, sig)  # PR_SET_PDEATHSIG


def nginx_binary(env: dict[str, str] | os._Environ) -> str | None:
    return env.get("NEWS_API_NGINX") or shutil.which("nginx") or _sbin("nginx")


def _sbin(name: str) -> str | None:
    path = Path("/usr/sbin") / name
    return str(path) if path.exists() else None


SHARED_MEMORY = Path("/dev/shm")


def proxy_cache_dir(settings: ClusterSettings, shared_memory: Path = SHARED_MEMORY) -> Path | None:
    """A new folder for nginx's cache in memory (``/dev/shm``, a tmpfs on Linux), unless
    ``NEWS_API_PROXY_CACHE_DIR`` names one or there is no such folder (None: the cache
    goes under nginx's own folder). Every MISS is written to a file of the cache: on this
    machine's disk that cost nginx 140-650 µs of CPU a request against 90 in memory
    (docs/decisions/0020). The cache is at most ``NEWS_API_PROXY_CACHE_SIZE``."""
    if settings.cache_dir or not shared_memory.is_dir() or not os.access(shared_memory, os.W_OK):
        return None
    return Path(tempfile.mkdtemp(prefix="news-api-nginx-cache-", dir=shared_memory))


def start_nginx(binary: str, settings: ClusterSettings, prefix: Path) -> subprocess.Popen:
    for sub in ("cache", "temp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    if settings.cache_dir:
        Path(settings.cache_dir).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(render_nginx_conf(settings, prefix))
    cmd = [binary, "-p", str(prefix), "-e", "stderr", "-c", str(conf)]
    return subprocess.Popen(cmd, preexec_fn=lambda: _die_with_parent(signal.SIGTERM))


def start_replica(i: int, port: int, settings: ClusterSettings, env: dict) -> subprocess.Popen:
    replica_env = {
        **env,
        "NEWS_API_BUILDER": "off",  # this launcher builds, once, for all
        "NEWS_API_HOST": settings.replica_host,
        "NEWS_API_PORT": str(port),
        "NEWS_API_SERVED_BY": f"replica-{i}",
        "NEWS_API_PROXY_FIX": "1",  # nginx's X-Forwarded-* (it sets them all)
    }
    if "{replica}" in env.get("NEWS_API_ACCESS_LOG", ""):
        replica_env["NEWS_API_ACCESS_LOG"] = env["NEWS_API_ACCESS_LOG"].replace("{replica}", str(i))
    if given := env.get("PROMETHEUS_MULTIPROC_DIR"):
        replica_env["PROMETHEUS_MULTIPROC_DIR"] = str(Path(given) / f"replica-{i}")
    cmd = [sys.executable, "-m", "api.operations.server"]
    return subprocess.Popen(
        cmd, env=replica_env, cwd=ROOT, preexec_fn=lambda: _die_with_parent(signal.SIGTERM)
    )


def stop_all(nginx: subprocess.Popen | None, replicas: list[subprocess.Popen]) -> None:
    """nginx first (it finishes the requests in flight, and no new ones reach the
    replicas), then the replicas, which drain. Whatever does not stop in time is killed."""
    deadline = time.monotonic() + STOP_TIMEOUT
    if nginx is not None and nginx.poll() is None:
        nginx.send_signal(signal.SIGQUIT)  # graceful shutdown
        _wait(nginx, deadline)
    for proc in replicas:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in replicas:
        _wait(proc, deadline)


def _wait(proc: subprocess.Popen, deadline: float) -> None:
    try:
        proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--print-nginx-conf",
        metavar="PREFIX",
        help="print the nginx configuration (files under PREFIX) and exit",
    )
    args = parser.parse_args(argv)
    env = os.environ
    settings = ClusterSettings.from_env(env)
    if args.print_nginx_conf:
        print(render_nginx_conf(settings, Path(args.print_nginx_conf)), end="")
        return 0
    binary = nginx_binary(env)
    if binary is None:
        print("error: nginx not found (apt-get install nginx, or NEWS_API_NGINX)", file=sys.stderr)
        return 2
    # Absolute: the store's name derives from the folder's path, and the replicas run
    # from the repository's folder.
    content = Path(env.get("NEWS_API_CONTENT_DIR") or ROOT / "seeds").resolve()
    if not content.is_dir():
        print(f"error: content folder {content} is not a folder", file=sys.stderr)
        return 2

    prefix = Path(tempfile.mkdtemp(prefix="news-api-nginx-"))
    in_memory = proxy_cache_dir(settings)
    if in_memory is not None:
        settings = dataclasses.replace(settings, cache_dir=str(in_memory))
    # One store for all: the replicas follow what this launcher's builder writes (as
    # with make serve: the default cache folder, or a temporary one when set empty).
    cache_dir = env.get("NEWS_API_CACHE_DIR")
    if cache_dir in ("", '""'):
        env["NEWS_API_CACHE_DIR"] = str(prefix / "store")
    elif cache_dir is not None:
        env["NEWS_API_CACHE_DIR"] = str(Path(cache_dir).resolve())
    env.setdefault("NEWS_API_RELOAD", "watch")
    env.setdefault("NEWS_API_WORKERS", "1")
    env["NEWS_API_CONTENT_DIR"] = str(content)

    stopping = threading.Event()
    replicas: list[subprocess.Popen] = []
    nginx: subprocess.Popen | None = None

    def stop(signum, frame) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    reloader = None
    try:
        for i, port in enumerate(settings.replica_ports(), start=1):
            replicas.append(start_replica(i, port, settings, dict(env)))
        nginx = start_nginx(binary, settings, prefix)

        from flask import Config as Settings

        from ..config import Config
        from . import logs
        from .builder import start_builder

        app_settings = Settings(str(ROOT))
        app_settings.from_object(Config)
        app_settings.from_prefixed_env("NEWS_API")
        logs.configure(app_settings)
        reloader = start_builder(app_settings)
        print(
            f"news-api cluster: nginx on http://{_address(settings.host, settings.port)} "
            f"over {settings.replicas} replicas on ports {settings.replica_ports()}",
            file=sys.stderr,
            flush=True,
        )
        while not stopping.wait(0.5):
            dead = [p for p in (nginx, *replicas) if p.poll() is not None]
            if dead and not stopping.is_set():
                print(f"error: {dead[0].args} exited with {dead[0].returncode}", file=sys.stderr)
                return 1
        return 0
    finally:
        stop_all(nginx, replicas)
        if reloader is not None:
            reloader.stop()
        shutil.rmtree(prefix, ignore_errors=True)
        if in_memory is not None:
            shutil.rmtree(in_memory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
