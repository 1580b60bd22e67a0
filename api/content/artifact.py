"""The index as a versioned artifact: built once, mapped by every process that serves it.

Each content folder has a *store* (a folder under the cache folder, one per content
folder)::

    <store>/versions/<version>/   one artifact per content version (decision 0018):
        manifest.json             format, version, counts, build time, code digest
        articles.json.bin         every article's JSON, end to end (mapped)
        arrays.bin, state.pickle  the numpy columns, sort orders, postings (mapped)
        search/                   the search index (opened read-only)
        keys.pickle               the files it was built from: path -> (size, mtime_ns)
    <store>/CURRENT               the version to serve (replaced atomically)
    <store>/files.pickle          each file's parsed record, for cheap rebuilds
    <store>/status.json           the last build attempt (for /readyz and /metrics)

An artifact is written into a temporary folder and renamed into place, so a reader never
sees half of one; ``CURRENT`` is written the same way. A reader holds a shared ``flock``
on the manifest while it maps the artifact; :meth:`ArtifactStore.prune` removes only
versions that are neither current nor held. Whoever builds holds ``build.lock``, so
servers sharing a store build each version once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import pickle
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache import index_fingerprint
from .index import SEARCH_FOLDER, ContentIndex
from .search import temporary_folder

if TYPE_CHECKING:
    from .records import FolderContent, Key

log = logging.getLogger(__name__)

# Bump when the files of an artifact change shape: readers refuse other formats.
# 4: the files' keys (the next version patched from them, in any process); 5: the
# blob's summaries first (index.BLOB_FILE); 6: the title prefixes (suggestions)
FORMAT = 6  # 2: order keys (search updates in place); 3: columns (patched versions)
MANIFEST = "manifest.json"
KEYS = "keys.pickle"
CURRENT = "CURRENT"
STATUS = "status.json"
# Versions kept besides the current one even when no process maps them (a replica that
# has not yet moved on can still open the one it serves).
KEEP_PREVIOUS = 1


class ArtifactError(RuntimeError):
    """An artifact is missing, half-written, or of another format or code."""


class ArtifactStore:
    """The artifacts of one content folder."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.versions = directory / "versions"

    @classmethod
    def for_folder(cls, cache_dir: Path | None, content_root: Path) -> ArtifactStore:
        """The store of ``content_root`` under ``cache_dir`` (None: a temporary store of
        this process, removed when it exits)."""
        return cls(store_dir(cache_dir, content_root))

    @classmethod
    def configured(cls, config: Mapping[str, Any]) -> ArtifactStore:
        """The store of the app's ``CONTENT_DIR`` under its ``CACHE_DIR``."""
        return cls.for_folder(cache_dir_of(config), Path(config["CONTENT_DIR"]))

    # -- reading -------------------------------------------------------------------

    def current_version(self) -> str | None:
        """The version ``CURRENT`` names (None before the first build)."""
        try:
            return (self.dir / CURRENT).read_text().strip() or None
        except FileNotFoundError:
            return None

    def current_stamp(self) -> tuple[int, int] | None:
        """Changes whenever ``CURRENT`` is replaced (inode, mtime): one ``stat``."""
        return _stamp(self.dir / CURRENT)

    def status_stamp(self) -> tuple[int, int] | None:
        return _stamp(self.dir / STATUS)

    def has(self, version: str) -> bool:
        return self.manifest(version) is not None

    def manifest(self, version: str) -> dict | None:
        """The manifest of ``version`` if it is an artifact this code can read."""
        try:
            manifest = json.loads((self.versions / version / MANIFEST).read_bytes())
        except (OSError, ValueError):
            return None
        if manifest.get("format") != FORMAT or manifest.get("version") != version:
            return None
        return manifest

    def open(self, version: str) -> ContentIndex:
        """Map the artifact of ``version`` (:class:`ArtifactError` if it cannot be)."""
        folder = self.versions / version
        try:
            fd = os.open(folder / MANIFEST, os.O_RDONLY)
        except OSError as exc:
            raise ArtifactError(f"no artifact of version {version} in {self.dir}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)  # held while mapped: see prune()
            if self.manifest(version) is None:
                raise ArtifactError(f"artifact {folder} is of another format")
            index = ContentIndex.open(folder)
        except BaseException:
            os.close(fd)
            raise
        index.hold(fd)
        return index

    def open_current(self) -> ContentIndex | None:
        version = self.current_version()
        return None if version is None else self.open(version)

    # -- writing -------------------------------------------------------------------

    @contextlib.contextmanager
    def build_lock(self) -> Iterator[None]:
        """One builder at a time per store (across processes and servers)."""
        self.versions.mkdir(parents=True, exist_ok=True)
        with (self.dir / "build.lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def write(self, content: FolderContent) -> ContentIndex:
        """Build the artifact of ``content`` and map it. Written to a temporary folder,
        then renamed into place."""
        version = content.version
        self.versions.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.versions, prefix=f".{version}-"))
        try:
            previous = self.previous()
            built = ContentIndex(content, search_path=tmp / SEARCH_FOLDER, previous=previous)
            del previous
            built.save(tmp)
            manifest = {
                "format": FORMAT,
                "version": version,
                "articles": len(built),
                "skipped": len(built.skipped),
                "files": content.files,
                "builtAt": built.built_at.isoformat(),
                "code": index_fingerprint(),
                # The search index: built anew, or the previous version's updated.
                "search": _search_origin(built.search_update),
                # The previous version patched (its blob file extended), or assembled.
                "patched": built.patched,
            }
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
            del built
            final = self.versions / version
            if final.exists():  # built meanwhile elsewhere (same content: same artifact)
                shutil.rmtree(final)
            os.rename(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return self.open(version)

    def lists_files(self, version: str) -> bool:
        return (self.versions / version / KEYS).exists()

    def write_file_keys(
        self, version: str, total: int, keys: dict[str, Key], *, background: bool = False
    ) -> threading.Thread | None:
        """Add to the artifact of ``version`` the files it was built from (``keys``, in
        scan order) and the sum of their entry hashes; ``background``: in a thread (0.6 s
        of pickling at 1,000,000 files, after the version is served), returned. Until
        then (and if it is never written) the next build of another process assembles."""

        def write() -> None:
            try:
                data = pickle.dumps((total, keys), protocol=pickle.HIGHEST_PROTOCOL)
                _write_atomically(self.versions / version / KEYS, data)
            except OSError as exc:  # (pruned meanwhile; or a full disk: costs speed only)
                log.warning("cannot list the files of artifact %s: %s", version, exc)

        if not background:
            write()
            return None
        writer = threading.Thread(target=write, name="artifact-keys-writer", daemon=True)
        with _writers_lock:
            _writers[:] = [t for t in _writers if t.is_alive()] + [writer]
        writer.start()
        return writer

    @staticmethod
    def wait_for_writes(timeout: float) -> bool:
        """Let the lists of files being written in the background finish (a process
        about to exit); False if one is still being written."""
        deadline = time.monotonic() + timeout
        with _writers_lock:
            writers = list(_writers)
        for writer in writers:
            writer.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in writers)

    def file_keys(self, version: str) -> tuple[int, dict[str, Key]] | None:
        """The files the artifact of ``version`` was built from, in scan order (path ->
        (size, mtime_ns)), and the sum of their entry hashes; None if it does not list
        them. A builder compares a folder with them to patch that artifact (0.6 s and
        ~200 MB at 1,000,000 files, so a long-lived builder loads them only to build)."""
        try:
            total, keys = pickle.loads((self.versions / version / KEYS).read_bytes())
        except FileNotFoundError:
            return None
        except Exception as exc:  # damaged: the next version is assembled, not patched
            log.warning("ignoring the file keys of artifact %s: %s", version, exc)
            return None
        if not isinstance(keys, dict) or not isinstance(total, int):
            return None
        return total, keys

    def previous(self) -> ContentIndex | None:
        """The current artifact, when this code built it: the next one can start from
        it (:meth:`ContentIndex._update_from`)."""
        version = self.current_version()
        manifest = None if version is None else self.manifest(version)
        if manifest is None or manifest.get("code") != index_fingerprint():
            return None
        try:
            return self.open(version)
        except Exception as exc:  # not worth failing a build for: it starts afresh
            log.warning("not updating from artifact %s: %s", version, exc)
            return None

    def set_current(self, version: str) -> None:
        """Point ``CURRENT`` at ``version``, atomically."""
        _write_atomically(self.dir / CURRENT, version + "\n")

    def write_status(self, status: dict) -> None:
        _write_atomically(self.dir / STATUS, json.dumps(status))

    def read_status(self) -> dict | None:
        try:
            return json.loads((self.dir / STATUS).read_bytes())
        except (OSError, ValueError):
            return None

    def prune(self) -> list[str]:
        """Remove versions that are not current, not among the ``KEEP_PREVIOUS`` newest
        others, and mapped by no process (their manifest's lock is free); and temporary
        folders of builds that died. Returns the versions removed."""
        current = self.current_version()
        try:
            entries = list(os.scandir(self.versions))
        except FileNotFoundError:
            return []
        removed = []
        stale_tmp = time.time() - 3600
        others = []
        for entry in entries:
            if entry.name.startswith("."):
                if entry.stat().st_mtime < stale_tmp:
                    shutil.rmtree(entry.path, ignore_errors=True)
            elif entry.name != current:
                others.append((entry.stat().st_mtime, entry.name))
        others.sort(reverse=True)
        for _, version in others[KEEP_PREVIOUS:]:
            folder = self.versions / version
            try:
                fd = os.open(folder / MANIFEST, os.O_RDONLY)
            except OSError:
                shutil.rmtree(folder, ignore_errors=True)  # a broken artifact
                removed.append(version)
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue  # still mapped somewhere
            try:
                # Renamed first, so no reader can open it while it is being removed.
                doomed = self.versions / f".removing-{version}"
                os.rename(folder, doomed)
                shutil.rmtree(doomed, ignore_errors=True)
                removed.append(version)
            finally:
                os.close(fd)
        return removed


_writers: list[threading.Thread] = []
_writers_lock = threading.Lock()


def _search_origin(update: tuple[int, int] | None) -> dict:
    if update is None:
        return {"built": True}
    return {"built": False, "added": update[0], "removed": update[1]}


def cache_dir_of(config: Mapping[str, Any]) -> Path | None:
    """The app's ``CACHE_DIR`` (None: a temporary store of this process)."""
    return Path(config["CACHE_DIR"]) if config["CACHE_DIR"] else None


def store_dir(cache_dir: Path | None, content_root: Path) -> Path:
    """Where the store of ``content_root`` lives: ``<cache_dir>/<folder key>``, or a
    temporary folder of this process without a cache folder."""
    key = folder_key(content_root)
    if cache_dir is None:
        return temporary_folder() / f"store-{key}"
    return cache_dir / key


def folder_key(content_root: Path) -> str:
    """A content folder's name in the cache: a digest of its resolved path."""
    return hashlib.sha256(str(content_root.resolve()).encode()).hexdigest()[:16]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def _write_atomically(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "wb" if isinstance(text, bytes) else "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
