"""Settings, with defaults. Each can be set by an environment variable ``NEWS_API_<NAME>``
(for example ``NEWS_API_CONTENT_DIR=/srv/articles``); values are read as JSON when they
parse as JSON, so ``NEWS_API_MAX_PAGE_SIZE=200`` is a number."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Config:
    # The content: a folder of markdown files, read recursively, never written to.
    CONTENT_DIR = str(PROJECT_ROOT / "seeds")
    # The build cache (outside the content folder); empty string: no cache.
    CACHE_DIR = str(Path.home() / ".cache" / "news-content-api")
    # Processes that parse seed files at build time; 0: one per core.
    BUILD_WORKERS = 0
    # Build the first index in the background: the server answers at once (/readyz and
    # content routes 503 until it is ready).
    BUILD_IN_BACKGROUND = False
    # Serve the artifact the store's CURRENT names and follow it, building nothing (the
    # real server's workers: `make serve` sets it; its launcher builds). Seconds between
    # two looks at CURRENT.
    FOLLOW = False
    FOLLOW_INTERVAL = 0.2
    # Live reload of the content folder: "watch" (inotify, polling where unavailable),
    # "poll" or "off". Off for the in-process app; the server's launcher defaults it to "watch".
    RELOAD = "off"
    # Seconds the folder must stay quiet before a reload: a burst of writes is one reload.
    RELOAD_DELAY = 1.0
    # Sync (GET /sync, decision 0017): a token stays usable while its version is among
    # the last SYNC_RETENTION_VERSIONS and was replaced less than SYNC_RETENTION_DAYS
    # ago (0: no limit of that kind); older tokens are 410 Gone.
    SYNC_RETENTION_VERSIONS = 1000
    SYNC_RETENTION_DAYS = 30
    # Webhooks: URLs (a JSON list, or separated by commas or spaces) that get a signed
    # event after each new content version, and the Standard Webhooks secret
    # ("whsec_" + base64; required with URLs). A failed delivery (5xx, 429, timeout) is
    # retried after WEBHOOK_BACKOFF seconds, doubled each time, for WEBHOOK_RETRY_SECONDS.
    WEBHOOKS: list[str] | str = []
    WEBHOOK_SECRET = ""
    WEBHOOK_TIMEOUT = 5.0
    WEBHOOK_BACKOFF = 1.0
    WEBHOOK_RETRY_SECONDS = 600.0
    # The API's public base URL (e.g. "https://news.example"), for the /sync link in
    # webhook events; empty: the link is a path ("/sync?token=...").
    PUBLIC_URL = ""
    DEFAULT_PAGE_SIZE = 20
    MAX_PAGE_SIZE = 100
    # Sent with every successful GET/HEAD (errors are "no-store").
    CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"
    # Rendered responses each worker keeps (0: none), and the largest body it keeps.
    RESPONSE_CACHE_SIZE = 256
    RESPONSE_CACHE_MAX_BYTES = 256 * 1024
    RESPONSE_CACHE_BYTES = 4 * 1024 * 1024  # of bodies kept, per worker (api.http.recent)
    # An answer is kept once its request has come this many times (recently): a query
    # string asked once is never worth the memory (as nginx's proxy_cache_min_uses).
    RESPONSE_CACHE_MIN_USES = 2
    # Origins allowed to read responses from a browser: "*" or a list of origins.
    CORS_ORIGINS = "*"
    # Compression (flask-compress): algorithms in order of preference, and the smallest
    # body worth compressing.
    COMPRESS_ALGORITHM = ["zstd", "br", "gzip"]
    COMPRESS_MIN_SIZE = 500
    # Operations (README, "Operations"). Logs: "json" (one object per line) or "text";
    # the level of the app's loggers (granian's too); where access lines go: "" with
    # the other logs (stderr), "-" stdout, or a file.
    LOG_FORMAT = "json"
    LOG_LEVEL = "info"
    ACCESS_LOG = ""
    # Rate limits per client, e.g. "100/minute;1000/hour" ("": none), and where the
    # counts are kept ("memory://": per worker; "redis://host:6379": shared).
    RATE_LIMIT = ""
    RATE_LIMIT_STORAGE = "memory://"
    # This replica's name, sent in X-Served-By on every response ("": no header); behind a
    # load balancer, each replica gets its own (README "Cluster").
    SERVED_BY = ""
    # Proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (0: none).
    PROXY_FIX = 0
    COMPRESS_MIMETYPES = [
        "application/json",
        "application/problem+json",
        "text/html",
        "text/css",
        "application/javascript",
        "text/javascript",
        "application/feed+json",
        "application/atom+xml",
        "application/rss+xml",
        "application/x-ndjson",
        "text/csv",
    ]
    # Streams (exports) are compressed chunk by chunk, never buffered; flask-compress
    # leaves gzip out of its streaming default, but it streams as well as the others.
    COMPRESS_ALGORITHM_STREAMING = ["zstd", "br", "gzip"]

    # flask-smorest and the OpenAPI spec
    API_TITLE = "News Content API"
    API_VERSION = "0.1.0"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/docs/static/"  # vendored: the docs work offline
    OPENAPI_SWAGGER_UI_CONFIG = {"tryItOutEnabled": True, "displayRequestDuration": True}
    API_SPEC_OPTIONS = {
        "info": {
            "description": "A read-only JSON API over a folder of news articles: list, filter, "
            "sort and page articles, providers and topics. Every list has the same envelope "
            "(`items`, `total`, `page`, `pageSize`, `totalPages`, `links`), a `Link` header "
            "and `X-Total-Count`. Every error is an RFC 9457 problem document.",
            "license": {"name": "MIT", "identifier": "MIT"},
            "contact": {"name": "The News Content API team"},
        },
        # Relative: the server that serves this document (and the docs page's "Try it out").
        "servers": [{"url": "/", "description": "This server"}],
    }
