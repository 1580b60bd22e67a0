"""What a scan of the content folder lists for one path, without scanning the folder:
a reload that knows which files changed looks at those only
(:func:`api.content.build.folder_version`).

The rules are :func:`~api.content.seeds.scan_content_files`' (which stays in
``seeds.py``: it is part of the code whose changes make every file's cached record stale
(:data:`~api.content.cache.RECORD_SOURCES`), and moving it would re-read 1,000,000 files).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .seeds import SUFFIXES


class RescanNeeded(Exception):
    """What a scan lists for a path depends on more than that path (a folder is there
    now, or a folder above it cannot be listed): only a scan of the folder can say."""


def content_file_key(
    root: Path, rel: str, folders: dict[str, bool] | None = None
) -> tuple[int, int] | None:
    """What :func:`scan_content_files` would list for the relative path ``rel`` now, with
    its rules: (size, mtime_ns) of the file or link itself, (-1, -1) if it cannot be
    stat'ed, None if the scan would not list it (hidden, not a content suffix, gone, under
    a link or a file). One ``lstat`` for the path and one per folder above it
    (``folders``: those answers, kept across calls). A reload that knows which files
    changed looks at those only (:func:`api.content.build.folder_version`).
    """
    parts = rel.split("/")
    if any(not part for part in parts):
        raise RescanNeeded(f"{rel!r} is not a file's path")
    if any(part.startswith(".") for part in parts):
        return None
    if os.path.splitext(parts[-1])[1].lower() not in SUFFIXES:
        return None
    folders = {} if folders is None else folders
    path = str(root)
    if not _listable_folder(path, folders, follow=True):  # (the root may be a link)
        raise RescanNeeded(f"{root} cannot be listed")
    for part in parts[:-1]:
        path = os.path.join(path, part)
        if not _listable_folder(path, folders, follow=False):
            return None
    path = os.path.join(path, parts[-1])
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return (-1, -1)  # read_article says why
    if stat.S_ISDIR(st.st_mode):
        raise RescanNeeded(f"{rel} is a folder")
    return (st.st_size, st.st_mtime_ns)


def _listable_folder(path: str, folders: dict[str, bool], *, follow: bool) -> bool:
    """Whether the scan goes into ``path``: a folder, not a link to one (but for the
    root). False if it is gone or not a folder; :class:`RescanNeeded` if it is one the
    scan would list as unreadable (that is not one file's change)."""
    known = folders.get(path)
    if known is not None:
        return known
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        folders[path] = False
        return False
    except OSError as exc:
        raise RescanNeeded(f"{path}: {exc}") from exc
    if stat.S_ISDIR(st.st_mode) and not os.access(path, os.R_OK | os.X_OK):
        raise RescanNeeded(f"{path} cannot be listed")
    folders[path] = stat.S_ISDIR(st.st_mode)
    return folders[path]
