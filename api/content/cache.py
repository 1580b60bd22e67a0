"""The build cache: each file's :class:`ArticleRecord`, kept in the content folder's
store (:mod:`.artifact`), which also holds the built indexes themselves.

Each file's record is keyed on its path, size and mtime: a changed file is read again,
a removed one dropped, and only the index is assembled anew. The cache lives outside
the content folder (which is never written to); a damaged or foreign cache is ignored
and rebuilt, never trusted.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import os
import pickle
import tempfile
import threading
import time
from pathlib import Path
from typing import ClassVar

from .records import ArticleRecord, Key, Skipped

log = logging.getLogger(__name__)

# Bump to drop every existing cache (the code fingerprint covers source changes).
FORMAT = 1
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


# Both fingerprints are of the code this process runs: taken once, at the first call (the
# modules are imported by then), so code edited on disk while a server runs (a deploy in
# progress) never labels what the old code builds as the new code's.
@functools.cache
def records_fingerprint() -> str:
    """Changes whenever the code that makes records changes."""
    return _fingerprint([ROOT / name for name in RECORD_SOURCES])


# Modules of api/content that make no part of an artifact: changing them keeps every
# artifact (a 1,000,000-article build costs most of an hour).
NOT_INDEX_CODE = ("generate.py", "history.py")


@functools.cache
def index_fingerprint() -> str:
    """Changes whenever any code that makes the index changes (``api/content`` but the
    generator and the sync history, ``schemas``)."""
    sources = [p for p in ROOT.glob("api/content/*.py") if p.name not in NOT_INDEX_CODE]
    return _fingerprint([*sources, *ROOT.glob("schemas/*.py")])


class BuildCache:
    """One pickle file in the content folder's store, and a copy in this process's memory
    (the builder is long-lived: a reload reads neither the file nor the unchanged
    content files again). The file is written in the background, after the artifact."""

    _memory: ClassVar[dict[Path, tuple[str, Entries]]] = {}
    _unwritten: ClassVar[set[Path]] = set()  # remembered entries the file lacks
    _writing = threading.Lock()
    _writers: ClassVar[list[threading.Thread]] = []

    def __init__(self, store_dir: Path) -> None:
        self.path = store_dir / "files.pickle"
        self.fingerprint = records_fingerprint()

    def load(self) -> Entries:
        """The cached entries, or none if the cache is missing, foreign or damaged."""
        remembered = self._memory.get(self.path)
        if remembered is not None and remembered[0] == self.fingerprint:
            return remembered[1]
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

    def remember(self, entries: Entries) -> None:
        """Keep ``entries`` in memory for the next build of this process (see :meth:`flush`)."""
        self._memory[self.path] = (self.fingerprint, entries)
        self._unwritten.add(self.path)

    def flush(self, *, background: bool = False) -> None:
        """Write the remembered entries to the file (``background``: in a thread, after
        the artifact, so that a reload does not wait for it; the newest entries win)."""
        remembered = self._memory.get(self.path)
        if remembered is None or self.path not in self._unwritten:
            return

        def write() -> None:
            with self._writing:
                if self._memory.get(self.path) is remembered:  # still the newest
                    self._unwritten.discard(self.path)
                    _write(self.path, remembered)

        if background:
            writer = threading.Thread(target=write, name="build-cache-writer", daemon=True)
            self._writers[:] = [t for t in self._writers if t.is_alive()] + [writer]
            writer.start()
        else:
            write()

    @classmethod
    def flush_unwritten(cls) -> None:
        """Start writing every remembered set of entries its file lacks (a process about
        to exit that built a version it did not get to publish)."""
        for path in list(cls._unwritten):
            cls(path.parent).flush(background=True)

    @classmethod
    def wait_for_writes(cls, timeout: float) -> bool:
        """Let the files being written in the background finish (a process about to exit:
        its daemon threads would be stopped mid-file); False if one is still writing."""
        deadline = time.monotonic() + timeout
        for writer in list(cls._writers):
            writer.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in cls._writers)

    def save(self, entries: Entries) -> None:
        self.remember(entries)
        self.flush()


def _write(path: Path, data: object) -> None:
    """Write atomically; a cache that cannot be written only costs speed."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_files(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cache-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot write build cache %s: %s", path, exc)
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


STALE_SECONDS = 3600  # a temporary file untouched this long was left by a process that died


def _remove_stale_files(folder: Path) -> None:
    """Temporary files of a writer that was killed (they can be gigabytes)."""
    now = time.time()
    for leftover in folder.glob(".cache-*.tmp"):
        try:
            if now - leftover.stat().st_mtime > STALE_SECONDS:
                leftover.unlink()
        except OSError:
            pass
