"""Build the index of a content folder: from the build cache when nothing changed, else
by reading the changed files (in parallel) and assembling a new index."""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .cache import BuildCache, Entries, Key, index_fingerprint
from .index import ContentIndex
from .seeds import ArticleRecord, Skipped, read_article, scan_content_files

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
    # Each file's (size, mtime_ns) by relative path, as scanned (the sync history orders
    # the changes of one version by mtime); None when unknown.
    keys: dict[str, Key] | None = None


@dataclass(frozen=True)
class BuildReport:
    """How an index came to be, for the start-up log."""

    files: int
    parsed: int
    from_cache: bool  # the whole index was loaded, nothing was assembled
    seconds: float


def build_index(
    root: Path, *, cache_dir: Path | None = None, workers: int | None = None
) -> tuple[ContentIndex, BuildReport]:
    """The index of ``root``, and how it was built.

    With a cache: when no file changed since the last build, the last index itself is
    loaded; otherwise unchanged files come from the per-file cache and only the others
    are parsed.
    """
    started = time.perf_counter()
    cache = BuildCache(cache_dir, root) if cache_dir else None
    keys = scan_folder(root)
    version = _version(keys)
    if cache is not None and (index := cache.load_index(version)) is not None:
        return index, BuildReport(len(keys), 0, True, time.perf_counter() - started)
    content = read_folder(root, keys=keys, cache=cache, workers=workers)
    index = ContentIndex(content, cache.search_path(version) if cache else None)
    if cache is not None:
        cache.save_index(index)
    report = BuildReport(content.files, content.parsed, False, time.perf_counter() - started)
    return index, report


def scan_folder(root: Path) -> dict[str, Key]:
    """Every content file's relative path and (size, mtime_ns)."""
    check_folder(root)
    return scan_content_files(root)


def check_folder(root: Path) -> None:
    """:class:`ContentFolderError` unless ``root`` is a folder."""
    if not root.exists():
        raise ContentFolderError(f"content folder {root} does not exist")
    if not root.is_dir():
        raise ContentFolderError(f"content folder {root} is not a folder")


def read_folder(
    root: Path,
    *,
    keys: dict[str, Key] | None = None,
    cache: BuildCache | None = None,
    workers: int | None = None,
) -> FolderContent:
    """Read every content file under ``root``; bad files are skipped with a reason."""
    keys = scan_folder(root) if keys is None else keys
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
    return FolderContent(
        root=root,
        records=records,
        skipped=skipped,
        version=_version(keys),
        files=len(keys),
        parsed=len(to_read),
        keys=keys,
    )


def folder_version(root: Path) -> str:
    """The version an index of ``root`` would have now: one scan of the folder (names,
    sizes, mtimes), no file read. Lets a reload that finds nothing changed stop early."""
    return _version(scan_folder(root))


def _version(keys: dict[str, Key]) -> str:
    """Changes whenever a content file, or the code that builds the index, changes."""
    digest = hashlib.sha256(repr(sorted(keys.items())).encode())
    digest.update(index_fingerprint().encode())
    return digest.hexdigest()[:16]


def _read_all(root: Path, rels: list[str], workers: int):
    if len(rels) < PARALLEL_MIN_FILES or workers < 2:
        yield from _read_chunk(root, rels)
        return
    chunks = [rels[i : i + CHUNK_FILES] for i in range(0, len(rels), CHUNK_FILES)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for results in pool.map(_read_chunk, [root] * len(chunks), chunks):
            yield from results


def _read_chunk(root: Path, rels: list[str]) -> list[tuple[str, ArticleRecord | Skipped]]:
    return [(rel, read_article(root / rel, root)) for rel in rels]
