"""Examples of ``/sync`` for the spec (real tokens of an example store)."""

from .examples import ARTICLE_EXAMPLE

SYNC_TOKEN_EXAMPLE = "AVNcHw56mz0sQQAAAAAAAAAHOm60hBC0rro"
_BASE = "http://localhost:8000/sync?token="
SYNC_PAGE_EXAMPLE = {
    "items": [
        {"kind": "created", "id": ARTICLE_EXAMPLE["id"], "article": ARTICLE_EXAMPLE},
        {"kind": "deleted", "id": "001_8d1e0c7f2b6a4e13"},
    ],
    "nextPageUrl": None,
    "nextSyncUrl": _BASE + SYNC_TOKEN_EXAMPLE,
    "version": "3f1c2a9be04d7d21",
}
