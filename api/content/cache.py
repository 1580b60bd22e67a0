"""The build cache: each file's :class:`ArticleRecord`, keyed on its path, size and mtime.

A restart with unchanged content reads this one file instead of parsing every seed.
A changed file (other size or mtime) is read again and a removed one dropped. The cache
lives outside the content folder (which is never written to); a damaged or foreign
cache is ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path

from .seeds import ArticleRecord, Skipped

log = logging.getLogger(__name__)

# Bump when ArticleRecord, the schemas or the reader change what a record holds.
FORMAT = 1
Key = tuple[int, int]  # (size, mtime_ns)
Entries = dict[str, tuple[Key, ArticleRecord | Skipped]]


def _schema_fingerprint() -> str:
    """Changes whenever the code that makes a record changes, so old caches are dropped."""
    from schemas import article, fields, seed

    from . import seeds

    digest = hashlib.sha256(str(FORMAT).encode())
    for module in (article, fields, seed, seeds):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


class BuildCache:
    """One pickle file per content folder under ``cache_dir``."""

    def __init__(self, cache_dir: Path, content_root: Path) -> None:
        folder_key = hashlib.sha256(str(content_root.resolve()).encode()).hexdigest()[:16]
        self.path = cache_dir / f"index-{folder_key}.pickle"
        self.fingerprint = _schema_fingerprint()

    def load(self) -> Entries:
        """The cached entries, or none if the cache is missing, foreign or damaged."""
        try:
            with self.path.open("rb") as fh:
                fingerprint, entries = pickle.load(fh)
        except FileNotFoundError:
            return {}
        except Exception as exc:  # a damaged cache is never trusted
            log.warning("ignoring build cache %s: %s", self.path, exc)
            return {}
        if fingerprint != self.fingerprint or not isinstance(entries, dict):
            return {}
        return entries

    def save(self, entries: Entries) -> None:
        """Write atomically; a cache that cannot be written only costs speed."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".index-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((self.fingerprint, entries), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("cannot write build cache %s: %s", self.path, exc)
