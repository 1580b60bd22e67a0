"""What a reload's "which version is the folder now?" costs: a full scan and version
against the last scan updated from the changed paths (issue 13, build.folder_version).
Reads the folder only: a change is simulated by making the remembered scan disagree with
the folder on one path (the path is then looked at again as if an event had named it).

Usage::

    python bench/scan_delta.py DIR [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.content import build  # noqa: E402


def timed(what: str, run, repeat: int) -> None:
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    print(f"{what:<48} median {statistics.median(seconds):8.3f} s  (of {seconds_list(seconds)})")


def seconds_list(seconds: list[float]) -> str:
    return ", ".join(f"{s:.3f}" for s in seconds)


def with_basis(root: Path, keys: dict) -> None:
    """Make ``keys`` the remembered last scan of ``root`` (its sum computed now)."""
    build._remember(root, build._Scan(keys, build._sum_of_entries(keys)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root, repeat = args.dir, args.repeat

    started = time.perf_counter()
    keys = build.scan_folder(root)
    print(f"{len(keys)} files; first scan {time.perf_counter() - started:.3f} s")
    timed("full: scan_content_files", lambda: build.scan_content_files(root), repeat)
    timed("full: _version (the sum of entry hashes)", lambda: build._version(dict(keys)), repeat)
    timed("full: folder_version(root)", lambda: build.folder_version(root), repeat)

    rels = list(keys)
    first, middle, last = rels[0], rels[len(rels) // 2], rels[-1]
    cases = {
        "nothing changed (an event, same key)": (dict(keys), {middle}),
        "one file modified": ({**keys, middle: (0, 0)}, {middle}),
        "one file removed": ({**keys, "000/gone.md": (1, 1)}, {"000/gone.md"}),
        "one file added after the last": ({r: k for r, k in keys.items() if r != last}, {last}),
        "one file added in the middle": ({r: k for r, k in keys.items() if r != middle}, {middle}),
        "one file added first": ({r: k for r, k in keys.items() if r != first}, {first}),
    }
    for what, (basis, changed) in cases.items():

        def run(basis=basis, changed=changed) -> None:
            version = build.folder_version(root, changed)
            assert build._checked_scan(root) is not None and version

        seconds = []
        for _ in range(repeat):
            with_basis(root, basis)
            started = time.perf_counter()
            run()
            seconds.append(time.perf_counter() - started)
        print(
            f"{'incremental: ' + what:<48} median {statistics.median(seconds):8.3f} s  "
            f"(of {seconds_list(seconds)})"
        )
    # The incremental result equals the full one.
    with_basis(root, {r: k for r, k in keys.items() if r != middle})
    assert build.folder_version(root, {middle}) == build._version(dict(keys))


if __name__ == "__main__":
    main()
