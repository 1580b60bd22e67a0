"""Build the index of a content folder as an artifact (:mod:`.artifact`): the existing
one when nothing changed, else by reading the changed files (in parallel) and writing
the next version.

Which version the folder holds comes from the keys of its files (path, size, mtime): a
full scan, or, when the watcher says which paths changed, the last scan of the folder
with those paths looked at again (:func:`folder_version`). Each artifact lists the keys
it was built from: the next version patches it from them, in this process or any other
(a restart on a folder changed since), and a long-lived builder keeps no keys in memory
between builds (~200 MB at 1,000,000 files), only which artifact holds them."""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from . import index as index_module
from .artifact import ArtifactStore
from .cache import BuildCache, Entries, Key, index_fingerprint
from .index import INCREMENTAL_MAX_SHARE, ContentIndex, NotPatchable
from .memory import release_free_memory
from .records import ArticleRecord, Changes, FolderContent, Skipped, check_folder
from .scan import RescanNeeded, content_file_key
from .seeds import read_article, scan_content_files

log = logging.getLogger(__name__)

# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 2_000
CHUNK_FILES = 500
# How many folders' last scans (and last builds) are remembered (a server's builder has
# one folder; tests make many). The keys of 1,000,000 files: a dict of ~200 MB, loaded
# from the artifact that lists them for a build, and let go once it is over.
REMEMBERED_FOLDERS = 4


class BuildAbandoned(RuntimeError):
    """The build was asked to stop (its ``stop`` event was set) and gave up."""


@dataclass(frozen=True)
class BuildReport:
    """How an index came to be, for the start-up log."""

    files: int
    parsed: int
    from_cache: bool  # the whole index was loaded, nothing was assembled
    seconds: float


def build_index(
    root: Path,
    *,
    cache_dir: Path | None = None,
    workers: int | None = None,
    make_current: bool = True,
    cache_write: str = "now",
    stop: threading.Event | None = None,
) -> tuple[ContentIndex, BuildReport]:
    """The index of ``root``, mapped from its artifact, and how it was built; the
    store's ``CURRENT`` then names it (unless not ``make_current``). The per-file cache
    is written after the artifact: ``cache_write`` ``"now"``; ``"background"`` in a
    thread; ``"later"`` by the caller (:meth:`BuildCache.flush`), once the version is
    served: the builder of a server, which keeps the records in memory anyway, writes
    the file (seconds of the GIL) after it has published the version.

    With a cache folder: when the artifact of this content exists it is mapped as it is;
    otherwise unchanged files come from the per-file cache and only the others are
    parsed. Without one, a temporary store of this process holds the artifact.

    ``stop``, once set, makes the build give up (:class:`BuildAbandoned`) after the
    files its readers hold: a stopping server does not wait for a cold build.
    """
    started = time.perf_counter()
    store = ArtifactStore.for_folder(cache_dir, root)
    keys = _checked_scan(root) or scan_folder(root)
    version = _version(keys)
    with store.build_lock():
        index = _open_existing(store, version)
        if index is not None:
            report = BuildReport(len(keys), 0, True, time.perf_counter() - started)
        else:
            cache = BuildCache(store.dir) if cache_dir else None
            content = index = None
            if cache is not None:  # only the changed files read, the current patched
                content = _changed_content(root, store, keys, version, workers, stop)
            if content is not None:
                try:
                    index = store.write(content)
                except NotPatchable as exc:  # (its text: the exception holds the previous index)
                    log.info("assembling version %s: %s", version, str(exc))
            if index is None:
                content = read_folder(root, keys=keys, cache=cache, workers=workers, stop=stop)
                _check_stop(stop)  # writing takes minutes at 1,000,000; what was read is kept
                index = store.write(content)
            if cache is not None and cache_write != "later":
                cache.flush(background=cache_write == "background")
            report = BuildReport(
                content.files, content.parsed, False, time.perf_counter() - started
            )
        if make_current:
            store.set_current(version)
        _built_from(root, store, version, keys, background=cache_write != "now")
    store.prune()
    return index, report


def _changed_content(
    root: Path,
    store: ArtifactStore,
    keys: dict[str, Key],
    version: str,
    workers: int | None,
    stop: threading.Event | None,
) -> FolderContent | None:
    """The content of version ``version`` as the changes since the current artifact
    (records of the changed files only, :class:`~.records.Changes`), when the current
    version's keys are known and few files changed; the artifact is then that one
    patched (:meth:`ContentIndex._patch`), and no other file is read. None otherwise.

    The current version's keys are those its artifact lists (:meth:`ArtifactStore.file_keys`,
    loaded once for this process's builds of ``root``)."""
    current = store.current_version()
    if current is None:
        return None
    previous = store.previous()
    if previous is None or len(previous) < index_module.INCREMENTAL_MIN_ARTICLES:
        return None  # (small: assembling costs little, see ContentIndex._update_from)
    scan = _scan_holding(keys)
    if scan is not None and scan.since is not None and scan.since[0] == (store.dir, current):
        # (updated from the current artifact's keys: the paths that changed are known)
        was = scan.since[1]
        changed = [rel for rel, key in was.items() if keys.get(rel) not in (None, key)]
        gone = [rel for rel, key in was.items() if key is not None and rel not in keys]
    else:
        base = _artifact_scan(root, store, current).keys
        if base is None:
            return None
        changed = [rel for rel, key in keys.items() if base.get(rel) != key]
        new_files = sum(rel not in base for rel in changed)
        gone = [rel for rel in base if rel not in keys] if len(base) > len(keys) - new_files else []
    if len(changed) + len(gone) > INCREMENTAL_MAX_SHARE * len(previous):
        return None  # (before reading them: the patch would refuse, _update_from)
    added, skipped = [], []
    for _, result in _read_all(root, changed, workers or os.cpu_count() or 1, stop):
        (added if isinstance(result, ArticleRecord) else skipped).append(result)
    touched = set(changed) | set(gone)
    removed = [i for rel in touched if (i := previous.id_of_file(rel)) is not None]
    return FolderContent(
        root=root,
        records=None,
        skipped=[s for s in previous.skipped if s.path not in touched] + skipped,
        version=version,
        files=len(keys),
        parsed=len(changed),
        keys=keys,
        changes=Changes(previous.version, added, removed, sorted(touched)),
    )


# The artifact each folder was last built into or opened (build_index), as a scan whose
# keys that artifact lists: the base of the next patch, and of the next scan when the
# folder is still at that version.
_built: dict[Path, _Scan] = {}


def _artifact_scan(root: Path, store: ArtifactStore, version: str) -> _Scan:
    """The scan of ``root`` at ``version`` as its artifact lists it (loaded when its keys
    are first asked for: ``keys`` is None if the artifact lists none)."""
    with _remembered_lock:
        scan = _built.get(root)
        if scan is None or scan.source != (store.dir, version):
            scan = _Scan(None, source=(store.dir, version))
            _note(_built, root, scan)
        return scan


def _built_from(
    root: Path, store: ArtifactStore, version: str, keys: dict[str, Key], *, background: bool
) -> None:
    """``root`` was built at ``version`` from ``keys``: remember the artifact, not the
    keys, once the artifact lists them (written now if it does not yet; ``background``:
    in a thread, the keys kept until it is done). The folder's last scan becomes the
    artifact's when it is the one built from (a newer scan, taken meanwhile by another
    thread, stays)."""
    total = _sum_of(keys)
    scan = _artifact_scan(root, store, version)
    with _remembered_lock:
        last = _remembered.get(root)
        if last is not None and last.held is keys:
            _remembered[root] = scan
    if store.lists_files(version):
        scan.unload()  # (loaded by a patch of the version before: let go)
        return
    scan.held, scan.total = keys, total
    writer = store.write_file_keys(version, total, keys, background=background)
    if writer is None:
        scan.unload()
        return

    def let_go() -> None:  # (and give back what they held: ~800 MB of heap after a patch)
        writer.join()
        scan.unload()
        release_free_memory()

    threading.Thread(target=let_go, name="artifact-keys-release", daemon=True).start()


def _settled(root: Path, version: str) -> bool:
    """If ``root`` is at ``version``, the one it was last built at, its last scan
    becomes that artifact's again (its keys let go) and True."""
    with _remembered_lock:
        scan = _built.get(root)
        if scan is None or scan.source is None or scan.source[1] != version:
            return False
        _remembered[root] = scan
    scan.unload()
    return True


def _note(memory: dict, root: Path, value: object) -> None:
    """``memory[root] = value``, the last used last; at most ``REMEMBERED_FOLDERS``.
    The caller holds ``_remembered_lock``."""
    memory.pop(root, None)
    memory[root] = value
    while len(memory) > REMEMBERED_FOLDERS:
        del memory[next(iter(memory))]


def _open_existing(store: ArtifactStore, version: str) -> ContentIndex | None:
    """The artifact of ``version`` if there is a sound one (a damaged one is rebuilt)."""
    if not store.has(version):
        return None
    try:
        return store.open(version)
    except Exception as exc:  # a damaged artifact is never trusted
        log.warning("rebuilding the damaged artifact of version %s: %s", version, exc)
        return None


def scan_folder(root: Path) -> dict[str, Key]:
    """Every content file's relative path and (size, mtime_ns), in the scan's order.
    Remembered as the folder's last scan (:func:`folder_version` updates it)."""
    _forget(root)  # (a scan that fails leaves none to update)
    check_folder(root)
    keys = scan_content_files(root)
    _remember(root, _Scan(keys))
    return keys


def read_folder(
    root: Path,
    *,
    keys: dict[str, Key] | None = None,
    cache: BuildCache | None = None,
    workers: int | None = None,
    stop: threading.Event | None = None,
) -> FolderContent:
    """Read every content file under ``root``; bad files are skipped with a reason
    (``stop``: see :func:`build_index`)."""
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

    hits = len(entries)
    try:
        for rel, result in _read_all(root, to_read, workers or os.cpu_count() or 1, stop):
            entries[rel] = (keys[rel], result)
    finally:  # also what a stopped build read: the next build reads only the rest
        if cache is not None and (len(entries) > hits or len(cached) != len(entries)):
            cache.remember(entries)  # written by build_index once the artifact is, or
            # by a stopping server (builder.shut_down)

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


def folder_version(root: Path, changed: Iterable[str] | None = None) -> str:
    """The version an index of ``root`` would have now, no file read: lets a reload that
    finds nothing changed stop early.

    ``changed``: the relative paths (posix, as :func:`scan_content_files` names them)
    that may have changed since the last scan of ``root`` in this process (the watcher's
    file events, :mod:`api.operations.reload`). Only those are looked at again (one
    ``lstat`` each, :func:`content_file_key`), on top of that scan, and the version is
    updated from them alone (:func:`_version`): milliseconds, where a full scan of
    1,000,000 files takes 8 s. Without ``changed``, without a scan to start from, or
    when a changed path is a folder now: one scan of the whole folder (names, sizes,
    mtimes). The caller must name every path that changed: a missed one stays missed
    until the next full scan.

    The keys are kept for the next :func:`build_index` of ``root`` in this thread (a
    reload checks, then builds at once), unless they are those of the version last
    built (nothing to build: they are let go). Whatever changes after they were taken
    makes the watcher ask for another reload."""
    scan = None if changed is None else _rescanned(root, changed)
    keys = scan_folder(root) if scan is None else scan.keys
    version = _version(keys)
    _scans.checked = None if _settled(root, version) else (root, keys)
    return version


_scans = threading.local()


@dataclass
class _Scan:
    """A folder's keys as a full scan lists them (in its order), and the sum of their
    entry hashes (:func:`_version`; None until asked for). ``keys`` is handed to builds,
    so it is never changed: an update makes a new dict.

    Or the keys an artifact lists (``source``: its store's folder and version), loaded
    when first asked for and let go by :meth:`unload`."""

    held: dict[str, Key] | None
    total: int | None = None
    source: tuple[Path, str] | None = None
    # Updated from an artifact's keys (its ``source``), and each path changed since
    # with the key that artifact lists for it (None: none): the files a patch of that
    # version reads, known without comparing every key.
    since: tuple[tuple[Path, str], dict[str, Key | None]] | None = None
    loading: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def keys(self) -> dict[str, Key] | None:
        with self.loading:  # (re-entrant: see loaded)
            if self.held is None and self.source is not None:
                loaded = ArtifactStore(self.source[0]).file_keys(self.source[1])
                if loaded is not None:
                    self.total, self.held = loaded
            return self.held

    def loaded(self) -> tuple[dict[str, Key] | None, int | None]:
        """``keys`` and ``total`` together (an unload may come between two reads)."""
        with self.loading:
            return self.keys, self.total

    def unload(self) -> None:
        with self.loading:
            if self.source is not None:
                self.held = self.total = None


def prepare_scan(root: Path) -> None:
    """Load the keys of the last scan of ``root`` if they are an artifact's list (0.6 s
    at 1,000,000 files), ahead of the :func:`folder_version` that updates them: a
    reloader calls this while it waits for the folder to be quiet."""
    with _remembered_lock:
        scan = _remembered.get(root)
    if scan is not None:
        scan.keys  # noqa: B018 (loads them)


# The last scan of each folder (at most REMEMBERED_FOLDERS, the last used last).
_remembered: dict[Path, _Scan] = {}
_remembered_lock = threading.Lock()


def _remember(root: Path, scan: _Scan) -> None:
    with _remembered_lock:
        _note(_remembered, root, scan)


def _rescanned(root: Path, changed: Iterable[str]) -> _Scan | None:
    """The last scan of ``root`` with the ``changed`` paths looked at again, remembered
    in its place; None if a full scan is needed (no scan to start from, or a changed
    path is not one file's change)."""
    with _remembered_lock:
        basis = _remembered.get(root)
    if basis is None or basis.keys is None:
        return None
    try:
        check_folder(root)
        scan = _updated(basis, root, changed)
    except RescanNeeded as exc:
        log.info("scanning all of %s: %s", root, exc)
        return None
    except BaseException:  # whether the changes were taken in is unknown: scan next time
        _forget(root)
        raise
    with _remembered_lock:
        if _remembered.get(root) is basis:
            _remembered[root] = scan
        else:  # scanned by another thread meanwhile: neither holds every change for sure
            _remembered.pop(root, None)
    return scan


def _forget(root: Path) -> None:
    with _remembered_lock:
        _remembered.pop(root, None)


def _updated(basis: _Scan, root: Path, changed: Iterable[str]) -> _Scan:
    """``basis`` with each changed path's key as a full scan would list it now (added,
    changed or removed), in a full scan's order, and its sum of entry hashes updated:
    minus the old entry's hash, plus the new one's."""
    keys, total = basis.loaded()
    if keys is None:
        raise RescanNeeded("the artifact that listed the folder's files is gone")
    keys = keys.copy()  # (20 ms at 1,000,000; the keys may be a build's)
    total = total if total is not None else _sum_of_entries(keys)
    if basis.source is not None:
        since = (basis.source, {})
    else:
        since = None if basis.since is None else (basis.since[0], basis.since[1].copy())
    folders: dict[str, bool] = {}  # (each folder looked at once)
    added: dict[str, Key] = {}
    for rel in changed:
        if any(folder in keys for folder in _folders_above(rel)):
            raise RescanNeeded(f"a folder above {rel} could not be listed")
        old, new = keys.get(rel), content_file_key(root, rel, folders)
        if new == old:
            continue
        if since is not None:
            since[1].setdefault(rel, old)
        if old is not None:
            total -= _entry_hash(rel, old)
        if new is not None:
            total += _entry_hash(rel, new)
        if new is None:
            del keys[rel]
        elif old is None:
            added[rel] = new
        else:
            keys[rel] = new  # (in its place)
    if added:
        keys = _in_scan_order(keys, added)
    return _Scan(keys, total % _SUM_MODULUS, since=since)


def _folders_above(rel: str) -> list[str]:
    """The keys a scan gives the folders above ``rel`` when it cannot list them
    ("" for the root, "a/" for the folder a)."""
    parts = rel.split("/")[:-1]
    return [""] + ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _in_scan_order(keys: dict[str, Key], added: dict[str, Key]) -> dict[str, Key]:
    """``keys`` (in a full scan's order) with ``added`` where a full scan lists them:
    at the end when they all come after the last key, else every key sorted again
    (0.6 s at 1,000,000). The order matters: records are built in it, and the first of
    two records with one id wins (:func:`api.content.index._unique`)."""
    arrived = sorted(added, key=_scan_order)
    last = next(reversed(keys), None)
    if last is None or _scan_order(arrived[0]) > _scan_order(last):
        keys.update((rel, added[rel]) for rel in arrived)
        return keys
    keys.update(added)
    return {rel: keys[rel] for rel in sorted(keys, key=_scan_order)}


def _scan_order(rel: str) -> str:
    """Where :func:`scan_content_files` lists ``rel``: folder by folder, each sorted by
    name, so paths compare part by part, which is comparing them with "/" as the lowest
    character ("a/z.md" before "a.md", as the folder "a" sorts before "a.md")."""
    return rel.replace("/", "\0")


def _checked_scan(root: Path) -> dict[str, Key] | None:
    """The scan :func:`folder_version` took of ``root`` in this thread, once."""
    checked = getattr(_scans, "checked", None)
    _scans.checked = None
    return checked[1] if checked is not None and checked[0] == root else None


def _version(keys: dict[str, Key]) -> str:
    """Changes whenever a content file, or the code that builds the index, changes;
    the same for the same files, whatever the order of ``keys``.

    A digest of the number of files, the sum of their entry hashes (:func:`_entry_hash`)
    and the code's fingerprint. A sum, so that :func:`folder_version` updates it from
    the changed paths alone; in full, 1.1 s at 1,000,000 files (paid once per scan: the
    sum is kept with the folder's last scan)."""
    digest = hashlib.sha256(f"{len(keys)} {_sum_of(keys):032x} ".encode())
    digest.update(index_fingerprint().encode())
    return digest.hexdigest()[:16]


_SUM_MODULUS = 1 << 128


def _sum_of(keys: dict[str, Key]) -> int:
    """The sum of the entry hashes of ``keys``: kept with the folder's last scan when
    ``keys`` is that scan's (a build asks twice: for its version and its content's)."""
    scan = _scan_holding(keys)
    if scan is None:
        return _sum_of_entries(keys)
    if scan.total is None:
        scan.total = _sum_of_entries(keys)
    return scan.total


def _scan_holding(keys: dict[str, Key]) -> _Scan | None:
    """The remembered scan whose keys ``keys`` are, if one is."""
    with _remembered_lock:
        return next((s for s in _remembered.values() if s.held is keys), None)


def _sum_of_entries(keys: dict[str, Key]) -> int:
    return sum(map(_entry_hash, keys, keys.values())) % _SUM_MODULUS


def _entry_hash(rel: str, key: Key) -> int:
    """One file's share of the version: 128 bits of blake2b of its path, size and mtime.
    Added up, not XORed: equal entries would cancel out (paths are unique, but a sum
    costs no more)."""
    entry = f"{rel}\0{key[0]}\0{key[1]}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(entry, digest_size=16).digest(), "little")


def _read_all(root: Path, rels: list[str], workers: int, stop: threading.Event | None):
    """Each file's record (or why it was skipped), in order; read by ``workers``
    processes, a chunk of files at a time, when there are many. Only a few chunks are
    handed out ahead, so a build asked to stop ends once its readers finish the chunks
    they hold: its processes are never killed mid-answer (a reader killed while sending
    its results leaves the pool's result pipe with half a message, which the pool then
    waits for without end, and so does the interpreter's exit)."""
    if len(rels) < PARALLEL_MIN_FILES or workers < 2:
        _check_stop(stop)
        yield from _read_chunk(root, rels)
        return
    chunks = (rels[i : i + CHUNK_FILES] for i in range(0, len(rels), CHUNK_FILES))
    with ProcessPoolExecutor(max_workers=workers, initializer=_plain_signals) as pool:
        ahead = deque(pool.submit(_read_chunk, root, c) for c in islice(chunks, 2 * workers))
        try:
            while ahead:
                results = ahead.popleft().result()
                _check_stop(stop)
                ahead.extend(pool.submit(_read_chunk, root, c) for c in islice(chunks, 1))
                yield from results
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # the running chunks end
            raise


def _check_stop(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise BuildAbandoned("the build was stopped")


def _plain_signals() -> None:
    """A reader process stops on SIGTERM as any program does (forked from a server's
    launcher, it would otherwise run the launcher's handlers and read on), and leaves
    SIGINT (Ctrl-C, sent to the terminal's whole process group) to the process that
    started it, which stops the build."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _read_chunk(root: Path, rels: list[str]) -> list[tuple[str, ArticleRecord | Skipped]]:
    return [(rel, read_article(root / rel, root)) for rel in rels]
