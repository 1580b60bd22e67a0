"""Read a whole content folder into records: in parallel, and through the build cache."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .cache import BuildCache, Entries, Key
from .seeds import ArticleRecord, Skipped, iter_content_files, read_article

log = logging.getLogger(__name__)

# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 2_000
CHUNK_FILES = 500


class ContentFolderError(RuntimeError):
    """The content folder is missing or is not a folder."""


@dataclass(frozen=True)
class FolderContent:
    """Everything read from a content folder, in file order."""

    root: Path
    records: list[ArticleRecord]
    skipped: list[Skipped]
    version: str  # changes whenever any file is added, removed or changed
    files: int
    parsed: int  # files actually parsed; the rest came from the cache
    seconds: float
    stats: dict = field(default_factory=dict)


def read_folder(
    root: Path, *, cache_dir: Path | None = None, workers: int | None = None
) -> FolderContent:
    """Read every content file under ``root``; bad files are skipped with a reason."""
    started = time.perf_counter()
    if not root.exists():
        raise ContentFolderError(f"content folder {root} does not exist")
    if not root.is_dir():
        raise ContentFolderError(f"content folder {root} is not a folder")

    keys: dict[str, Key] = {}
    for path in iter_content_files(root):
        try:
            st = path.lstat()
        except OSError:
            st = None  # vanished or unreadable: read_article reports it
        keys[path.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns) if st else (-1, -1)

    cache = BuildCache(cache_dir, root) if cache_dir else None
    cached = cache.load() if cache else {}
    entries: Entries = {}
    to_read: list[str] = []
    for rel, key in keys.items():
        hit = cached.get(rel)
        if hit is not None and hit[0] == key and key != (-1, -1):
            entries[rel] = hit
        else:
            to_read.append(rel)

    for rel, result in _read_all(root, to_read, workers or os.cpu_count() or 1):
        entries[rel] = (keys[rel], result)
    if cache is not None and (to_read or len(cached) != len(entries)):
        cache.save(entries)

    records, skipped = [], []
    for rel in keys:
        result = entries[rel][1]
        (records if isinstance(result, ArticleRecord) else skipped).append(result)
    version = hashlib.sha256(repr(sorted(keys.items())).encode())
    if cache is not None:
        version.update(cache.fingerprint.encode())
    return FolderContent(
        root=root,
        records=records,
        skipped=skipped,
        version=version.hexdigest()[:16],
        files=len(keys),
        parsed=len(to_read),
        seconds=time.perf_counter() - started,
    )


def _read_all(root: Path, rels: list[str], workers: int):
    if len(rels) < PARALLEL_MIN_FILES or workers < 2:
        yield from _read_chunk(root, rels)
        return
    chunks = [rels[i : i + CHUNK_FILES] for i in range(0, len(rels), CHUNK_FILES)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for results in pool.map(_read_chunk_list, [root] * len(chunks), chunks):
            yield from results


def _read_chunk(root: Path, rels: list[str]):
    for rel in rels:
        yield rel, read_article(root / rel, root)


def _read_chunk_list(root: Path, rels: list[str]) -> list[tuple[str, ArticleRecord | Skipped]]:
    return list(_read_chunk(root, rels))
