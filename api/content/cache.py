"""The build cache: the last whole index, and each file's :class:`ArticleRecord`.

A restart with unchanged content loads the last index as it was. Otherwise each file's
record is keyed on its path, size and mtime: a changed file is read again, a removed
one dropped, and only the index is assembled anew. The cache
lives outside the content folder (which is never written to); a damaged or foreign
cache is ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .seeds import ArticleRecord, Skipped

if TYPE_CHECKING:
    from .index import ContentIndex

log = logging.getLogger(__name__)

# Bump to drop every existing cache (the code fingerprint covers source changes).
FORMAT = 1
Key = tuple[int, int]  # (size, mtime_ns)
Entries = dict[str, tuple[Key, ArticleRecord | Skipped]]


ROOT = Path(__file__).resolve().parent.parent.parent
# The code that turns a file into an ArticleRecord: when it changes, every record is stale.
RECORD_SOURCES = (
    "api/content/seeds.py",
    "api/content/render.py",
    "schemas/seed.py",
    "schemas/article.py",
    "schemas/fields.py",
)
# Libraries whose output goes into records (bodyHtml): a new version renders bodies anew.
RECORD_LIBRARIES = ("markdown-it-py", "nh3")


def _fingerprint(sources: list[Path]) -> str:
    digest = hashlib.sha256(str(FORMAT).encode())
    for name in RECORD_LIBRARIES:
        digest.update(f"{name}=={importlib.metadata.version(name)}".encode())
    for source in sorted(sources):
        digest.update(source.relative_to(ROOT).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def records_fingerprint() -> str:
    """Changes whenever the code that makes records changes."""
    return _fingerprint([ROOT / name for name in RECORD_SOURCES])


def index_fingerprint() -> str:
    """Changes whenever any code that makes the index changes (``api/content``, ``schemas``)."""
    return _fingerprint([*ROOT.glob("api/content/*.py"), *ROOT.glob("schemas/*.py")])


class BuildCache:
    """One pickle file per content folder under ``cache_dir``."""

    def __init__(self, cache_dir: Path, content_root: Path) -> None:
        folder_key = hashlib.sha256(str(content_root.resolve()).encode()).hexdigest()[:16]
        self.path = cache_dir / f"files-{folder_key}.pickle"  # each file's record
        self.index_path = cache_dir / f"index-{folder_key}.pickle"  # the last whole index
        self.folder_key = folder_key
        self.cache_dir = cache_dir
        self.fingerprint = records_fingerprint()

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
        _write(self.path, (self.fingerprint, entries))

    def load_index(self, version: str) -> ContentIndex | None:
        """The index last built from exactly this content (``version``), if cached."""
        try:
            with self.index_path.open("rb") as fh:
                cached_version, index = pickle.load(fh)
        except FileNotFoundError:
            return None
        except Exception as exc:  # a damaged cache is never trusted
            log.warning("ignoring build cache %s: %s", self.index_path, exc)
            return None
        from .index import ContentIndex

        if cached_version != version or not isinstance(index, ContentIndex):
            return None
        if index.version != version or not index.search.exists():
            return None
        return index

    def save_index(self, index: ContentIndex) -> None:
        _write(self.index_path, (index.version, index))
        self._prune_search_files(keep=index.search.folder)

    def search_path(self, version: str) -> Path:
        """The folder of index ``version``'s search index (see ``.search``)."""
        return self.cache_dir / f"search-{self.folder_key}-{version}"

    def _prune_search_files(self, keep: Path) -> None:
        """Remove this folder's older search indexes (see ``search.prune``)."""
        from .search import prune

        prune(self.cache_dir, f"search-{self.folder_key}-*", keep)


def _write(path: Path, data: object) -> None:
    """Write atomically; a cache that cannot be written only costs speed."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cache-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot write build cache %s: %s", path, exc)
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
