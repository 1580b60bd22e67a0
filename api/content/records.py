"""What reading a content folder yields, as plain data: each file's record, what was
skipped or warned about, and the folder's content as the index is built from it.

The index (:mod:`.index`) and every serving process import this, never the reading
itself (:mod:`.seeds`: YAML, validation, markdown; :mod:`.build`: parallel parsing),
which only a builder needs: a worker that maps an artifact loads none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

Key = tuple[int, int]  # a file's (size, mtime_ns)


class ContentFolderError(RuntimeError):
    """The content folder is missing or is not a folder."""


def check_folder(root: Path) -> None:
    """:class:`ContentFolderError` unless ``root`` is a folder."""
    if not root.exists():
        raise ContentFolderError(f"content folder {root} does not exist")
    if not root.is_dir():
        raise ContentFolderError(f"content folder {root} is not a folder")


class ArticleRecord(NamedTuple):
    """One article, read and serialized; what the index is built from.

    ``summary`` is the JSON of :class:`ArticleSummarySchema` without its closing brace;
    ``details`` continues it with the other fields of :class:`ArticleSchema` up to
    ``related`` (starting with a comma). ``related`` holds each related item's
    ``webUrl`` and JSON, whose ``id`` is null until the index links it to an article.
    A plain tuple: it pickles fast into the build cache and across processes.
    """

    path: str  # relative to the content folder, for reports
    id: str
    web_url: str
    summary: bytes
    details: bytes
    related: tuple[tuple[str, bytes], ...]
    published_ts: float | None
    quality: float | None
    heat: float | None
    title: str
    excerpt: str
    body: str  # markdown, for full-text search
    category: str | None
    type: str | None
    published: bool | None
    provider: tuple[str, str] | None  # (id, name)
    topics: tuple[tuple[str, str], ...]  # ((id, name), ...)
    warnings: tuple[str, ...] = ()  # e.g. unknown keys; the file is indexed all the same


@dataclass(frozen=True, slots=True)
class SeedWarning:
    """Something a file holds that is not read (an unknown key); the file is indexed."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that was not indexed, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class FolderContent:
    """Everything read from a content folder, in file order."""

    root: Path
    records: list[ArticleRecord] | None  # None: only ``changes`` were read
    skipped: list[Skipped]
    version: str  # changes whenever any file is added, removed or changed
    files: int
    parsed: int  # files actually parsed; the rest came from the cache
    # Each file's (size, mtime_ns) by relative path, as scanned (the sync history orders
    # the changes of one version by mtime); None when unknown.
    keys: dict[str, Key] | None = None
    # What changed since the version ``changes.base`` (None: not known): lets the index
    # of that version be patched rather than assembled anew (:mod:`.index`).
    changes: Changes | None = None


@dataclass(frozen=True, slots=True)
class Changes:
    """The files that changed between two reads of a folder, as the index needs them."""

    base: str  # the version of the folder before
    added: list[ArticleRecord]  # the records of new and changed files
    removed: list[str]  # the ids of the records of changed and deleted files
    removed_paths: list[str]  # the deleted files (and changed ones that are no article now)
