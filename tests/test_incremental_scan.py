"""A reload that knows which paths changed looks at those only (build.folder_version):
its keys, their order and its version are exactly those of a full scan, whatever the
changes and their order."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from api.content import build
from api.content.scan import content_file_key
from api.content.seeds import scan_content_files


@pytest.fixture
def scans(monkeypatch) -> list[Path]:
    """Every full scan build makes from now on."""
    made = []
    original = build.scan_content_files
    monkeypatch.setattr(
        build, "scan_content_files", lambda root: made.append(root) or original(root)
    )
    return made


def write(root: Path, rel: str, text: str = "x") -> str:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return rel


def incremental(root: Path, changed: set[str]) -> tuple[dict, str]:
    """The keys and version folder_version finds from ``changed`` alone."""
    version = build.folder_version(root, changed)
    return build._checked_scan(root), version


def assert_as_a_full_scan(root: Path, keys: dict, version: str) -> None:
    full = scan_content_files(root)  # (not build's: that would be remembered)
    assert list(keys.items()) == list(full.items())  # the order too
    assert version == build._version(dict(reversed(full.items()))) == build._version(full)


class Folder:
    """A content folder changed at random, reporting the paths each change touched
    (as the watcher's file events name them)."""

    SUFFIXES = (".md", ".markdown", ".txt", ".MD", ".json", "")
    FOLDERS = ("", "a/", "a/b/", "a b/", "new/", "new/deep/", ".hidden/", "z/")
    NAMES = ("a", "a b", "a-z", "b", "0", "é", ".dot", "z", "a.md")

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root, self.rng, self.stamp = root, rng, 1_600_000_000_000_000_000

    def files(self) -> list[str]:
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() or p.is_symlink()
        )

    def free(self, rel: str) -> bool:
        """Whether a file may be written at ``rel`` (no folder or link there, no file or
        link above: writing through a link changes another path)."""
        path = self.root / rel
        above = [p for p in path.parents if p != self.root and self.root in p.parents]
        return (
            not path.is_dir()
            and not path.is_symlink()
            and not any(p.is_symlink() or (p.exists() and not p.is_dir()) for p in above)
        )

    def change(self) -> set[str]:
        rng, files = self.rng, self.files()
        what = rng.choice(["add", "add", "remove", "modify", "touch", "move", "link"])
        if what != "add" and not files:
            what = "add"
        if what == "add":
            rel = rng.choice(self.FOLDERS) + rng.choice(self.NAMES) + rng.choice(self.SUFFIXES)
            if not self.free(rel):
                return set()
            return {write(self.root, rel, "x" * rng.randrange(1, 50))}
        rel = rng.choice(files)
        path = self.root / rel
        if what == "remove":
            path.unlink()
        elif what == "modify" and not path.is_symlink():
            path.write_text("y" * rng.randrange(50, 100))
        elif what in ("touch", "modify"):
            self.stamp += 1_000
            os.utime(path, ns=(self.stamp, self.stamp), follow_symlinks=False)
        elif what == "move":
            dest = rng.choice(self.FOLDERS) + rng.choice(self.NAMES) + ".md"
            if not self.free(dest) or os.path.lexists(self.root / dest):
                return set()
            (self.root / dest).parent.mkdir(parents=True, exist_ok=True)
            path.rename(self.root / dest)
            return {rel, dest}
        else:  # a link to a content file: listed, its own lstat
            link = rng.choice(self.FOLDERS[:3]) + "link" + rng.choice(self.SUFFIXES)
            if not self.free(link) or os.path.lexists(self.root / link):
                return set()
            (self.root / link).parent.mkdir(parents=True, exist_ok=True)
            (self.root / link).symlink_to(path)
            return {link}
        return {rel}


@pytest.mark.parametrize("seed", range(12))
def test_after_any_changes_the_incremental_keys_and_version_are_a_full_scans_too(
    tmp_path, scans, seed
):
    root = tmp_path / "content"
    rng = random.Random(seed)
    folder = Folder(root, rng)
    for _ in range(10):
        folder.change()
    build.folder_version(root)  # the scan later ones start from
    assert len(scans) == 1
    for _ in range(25):
        changed = set()
        for _ in range(rng.randrange(1, 5)):
            changed |= folder.change()
        keys, version = incremental(root, changed)
        assert_as_a_full_scan(root, keys, version)
    assert len(scans) == 1  # never scanned again


def test_each_kind_of_change(tmp_path, scans):
    root = tmp_path / "content"
    for rel in ["a/x.md", "b.md", "c.txt", "d.markdown"]:
        write(root, rel)
    build.folder_version(root)
    first = build._checked_scan(root)
    kept = dict(first)

    def link() -> set[str]:
        (root / "link.md").symlink_to(root / "b.md")
        (root / "linked").symlink_to(root / "a")  # a folder's link: never followed
        return {"link.md", "linked/x.md"}

    steps = [
        lambda: {write(root, "a.md")},  # after the folder a, before b.md
        lambda: {write(root, "zz.md")},  # after every key
        lambda: {write(root, "b.md", "longer")},
        lambda: {write(root, ".hidden.md"), write(root, ".h/x.md"), write(root, "notes.json")},
        lambda: {write(root, "new/sub/x.md")},  # in new folders
        lambda: (root / "c.txt").unlink() or {"c.txt"},
        link,
    ]
    for step in steps:
        keys, version = incremental(root, step())
        assert_as_a_full_scan(root, keys, version)
    assert "link.md" in keys and "linked/x.md" not in keys and ".h/x.md" not in keys
    assert list(keys)[:3] == ["a/x.md", "a.md", "b.md"]
    assert first == kept  # a dict handed to a build is never changed
    assert len(scans) == 1


def test_a_path_that_is_a_folder_now_means_a_full_scan(tmp_path, scans):
    root = tmp_path / "content"
    write(root, "x.md")
    build.folder_version(root)
    (root / "x.md").unlink()
    write(root, "x.md/inner.md")  # a folder named like a content file
    keys, version = incremental(root, {"x.md"})
    assert len(scans) == 2 and list(keys) == ["x.md/inner.md"]
    assert_as_a_full_scan(root, keys, version)


def test_without_a_scan_to_start_from_the_folder_is_scanned(tmp_path, scans):
    root = tmp_path / "content"
    write(root, "x.md")
    incremental(root, {"x.md"})
    assert len(scans) == 1
    build.folder_version(root, {"x.md"})
    assert len(scans) == 1  # from then on, updated


def test_a_folder_that_could_not_be_listed_is_scanned_again(tmp_path, scans):
    """A scan lists a folder it cannot read as one key ("locked/"); a file event under
    it (it can be read now) is not one file's change."""
    root = tmp_path / "content"
    write(root, "locked/x.md")
    write(root, "y.md")
    # (As a scan run without the right to read it finds it: chmod does not stop root.)
    build._remember(root, build._Scan({"locked/": (-1, -1), "y.md": (1, 1)}))
    keys, version = incremental(root, {"locked/x.md"})
    assert len(scans) == 1
    assert_as_a_full_scan(root, keys, version)


def test_the_version_is_the_same_for_the_same_files_whatever_the_way(tmp_path):
    """Pure: from (keys, code) only, not from the order of keys or of the changes."""
    keys = {"a.md": (1, 2), "b/c.md": (3, 4), "d.md": (5, 6)}
    assert build._version(keys) == build._version(dict(reversed(keys.items())))
    assert build._version(keys) != build._version({**keys, "d.md": (5, 7)})
    assert build._version(keys) != build._version({**keys, "e.md": (0, 0)})
    # The same files reached by two different orders of changes: one version.
    one, two = tmp_path / "one", tmp_path / "two"
    for root in (one, two):
        write(root, "base.md")
        os.utime(root / "base.md", ns=(1, 1))
        build.folder_version(root)
    write(one, "p.md")
    write(one, "q.md")
    write(two, "q.md")
    write(two, "p.md")
    for root in (one, two):
        for rel in ("p.md", "q.md"):
            os.utime(root / rel, ns=(7, 7))
    assert build.folder_version(one, {"p.md"}) != build.folder_version(two, {"q.md"})
    assert build.folder_version(one, {"q.md"}) == build.folder_version(two, {"p.md"})


def test_a_removed_folders_files_are_removed(tmp_path, scans):
    root = tmp_path / "content"
    for rel in ["gone/a.md", "gone/b.md", "kept.md"]:
        write(root, rel)
    build.folder_version(root)
    shutil.rmtree(root / "gone")
    keys, version = incremental(root, {"gone/a.md", "gone/b.md"})
    assert list(keys) == ["kept.md"] and len(scans) == 1
    assert_as_a_full_scan(root, keys, version)


def test_content_file_key_follows_the_rules_of_the_scan(tmp_path):
    root = tmp_path / "content"
    write(root, "a/x.md", "12345")
    write(root, ".h/x.md")
    write(root, "x.json")
    assert content_file_key(root, "a/x.md") == scan_content_files(root)["a/x.md"]
    for rel in [".h/x.md", "x.json", "missing.md", "a/x.md/under-a-file.md"]:
        assert content_file_key(root, rel) is None
