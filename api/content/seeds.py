"""Find content files and read one into an :class:`ArticleRecord`.

Reading a file does all the per-article work once: parse the front matter, validate it
with :class:`schemas.seed.SeedSchema`, and dump it with
:class:`schemas.article.ArticleSchema` into the JSON bytes the API sends. The record is
plain data (it crosses process boundaries and goes into the build cache).
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from pathlib import Path

import frontmatter
import marshmallow as ma
import orjson
import yaml

from schemas.article import ArticleSchema, ArticleSummarySchema
from schemas.seed import URL_SAFE_ID, SeedSchema, slugify, unknown_keys

from .records import ArticleRecord, Skipped
from .render import body_html

SUFFIXES = frozenset({".md", ".markdown", ".txt"})
# Routes under /articles/ that would hide an article with this id (feeds and exports);
# a test keeps this in step with the app's routes.
RESERVED_IDS = frozenset({"feed.json", "feed.atom", "feed.rss", "export.ndjson", "export.csv"})

# Hostile or broken files cost bounded time and memory (README "Security"): a bigger
# file is refused from its size alone; a bigger front matter is not parsed; YAML
# aliases may not expand a small front matter into more nodes than this.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FRONT_MATTER_CHARS = 256 * 1024
MAX_EXPANDED_NODES = 100_000

_YAML = frontmatter.YAMLHandler()
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Opening never follows a link and never waits (on a FIFO, say); only regular files are read.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)

_SEED_SCHEMA = SeedSchema()
_ARTICLE_SCHEMA = ArticleSchema()
SUMMARY_FIELDS = tuple(ArticleSummarySchema().dump_fields)
DETAIL_FIELDS = tuple(f for f in _ARTICLE_SCHEMA.dump_fields if f not in SUMMARY_FIELDS)
assert DETAIL_FIELDS[-1] == "related", "related must stay the last field of ArticleSchema"


def scan_content_files(root: Path) -> dict[str, tuple[int, int]]:
    """Every content file under ``root``, recursively: relative path → (size, mtime_ns).

    In a stable order. Hidden files and folders are passed over; symbolic links are
    listed (so they can be reported) but never followed, so nothing outside the content
    folder is read. One ``scandir`` per folder: no extra system call per file.
    """
    found: dict[str, tuple[int, int]] = {}

    def scan(folder: str, prefix: str) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            found[prefix] = (-1, -1)  # read_article says why
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                scan(entry.path, f"{prefix}{entry.name}/")
            elif os.path.splitext(entry.name)[1].lower() in SUFFIXES:
                try:
                    st = entry.stat(follow_symlinks=False)
                    found[prefix + entry.name] = (st.st_size, st.st_mtime_ns)
                except OSError:
                    found[prefix + entry.name] = (-1, -1)  # read_article says why

    scan(str(root), "")
    return found


def read_article(path: Path, root: Path) -> ArticleRecord | Skipped:
    """Read one content file; never raises for bad content.

    The size check uses the open file's own ``fstat``, before reading, and the read is
    bounded too, so a file that grows in between is still refused without being loaded.
    """
    rel = path.relative_to(root).as_posix()
    try:
        if path.is_dir():
            return Skipped(rel, "folder cannot be listed")
        if path.is_symlink():
            return Skipped(rel, "is a symbolic link; links are not followed")
        fd = os.open(path, _OPEN_FLAGS)
        with open(fd, "rb") as file:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return Skipped(rel, "not a regular file")
            if st.st_size > MAX_FILE_BYTES:
                return Skipped(rel, f"file is {st.st_size} bytes; the limit is {MAX_FILE_BYTES}")
            data = file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            return Skipped(rel, f"file is over {MAX_FILE_BYTES} bytes")
        encoding = _encoding(data)
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        what = _ENCODING_NAMES.get(exc.encoding, exc.encoding)
        return Skipped(rel, f"not {what} text ({exc.reason} at byte {exc.start})")
    except OSError as exc:
        if exc.errno == getattr(os, "ELOOP", None) or path.is_symlink():
            return Skipped(rel, "is a symbolic link; links are not followed")
        return Skipped(rel, f"cannot be read ({exc.strerror or type(exc).__name__})")
    return parse_article(text, rel)


# Byte-order marks, longest first (UTF-32 LE's starts with UTF-16 LE's); each codec
# reads its mark and drops it. Without a mark, a file is read as UTF-8.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "utf-32": "UTF-32",
    "utf-32-le": "UTF-32",
    "utf-32-be": "UTF-32",
}


def _encoding(data: bytes) -> str:
    """The codec that reads ``data``: the one its byte-order mark names, else UTF-8.

    Notepad and many Windows tools start UTF-8 files with a mark (EF BB BF) and can save
    UTF-16, which always starts with one; such files are read as their mark says.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return "utf-8"


def parse_article(text: str, rel: str) -> ArticleRecord | Skipped:
    """Parse, validate and serialize one file's text (``rel`` names it in reports)."""
    try:
        meta, body = _front_matter(text)
    except ValueError as exc:
        return Skipped(rel, str(exc))
    try:
        article = _SEED_SCHEMA.load({**meta, "body": body})
    except ma.ValidationError as exc:
        return Skipped(rel, f"invalid front matter: {_describe(exc.messages)}")
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # a safety net
        return Skipped(rel, f"front matter cannot be read ({_one_line(exc)})")
    article["id"] = article["id"] or _id_from_file_name(rel)
    if not article["id"]:
        return Skipped(rel, "no URL-safe id: set `id` in the front matter or rename the file")
    if article["id"] in RESERVED_IDS:
        reason = f"id '{article['id']}' is reserved (/articles/{article['id']} is a feed or export)"
        return Skipped(rel, reason)
    try:
        return _record(article, rel, tuple(unknown_keys(meta)))
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a timestamp out of range
        return Skipped(rel, f"cannot be indexed ({_one_line(exc)})")


def _front_matter(text: str) -> tuple[dict, str]:
    """The front matter's fields and the body, as ``frontmatter.parse`` would give them,
    with the limits of :data:`MAX_FRONT_MATTER_CHARS` and :data:`MAX_EXPANDED_NODES`."""
    if not frontmatter.checks(text):
        raise ValueError("no YAML front matter (the file must start with a '---' line)")
    try:
        front, body = _YAML.split(text.strip())
    except ValueError:
        raise ValueError("front matter is not closed by a '---' line") from None
    if len(front) > MAX_FRONT_MATTER_CHARS:
        raise ValueError(
            f"front matter is {len(front)} characters; the limit is {MAX_FRONT_MATTER_CHARS}"
        )
    try:
        meta = _load_yaml(front)
    except _AliasBomb as exc:
        raise ValueError(str(exc)) from None
    except yaml.YAMLError as exc:
        raise ValueError(f"front matter is not valid YAML ({_one_line(exc)})") from None
    except RecursionError:
        raise ValueError("front matter is nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date Python cannot hold
        raise ValueError(
            f"front matter has a value that cannot be read ({_one_line(exc)})"
        ) from None
    if not isinstance(meta, dict) or not meta:
        raise ValueError("front matter is not a mapping of fields")
    return meta, body.strip()


class _AliasBomb(ValueError):
    pass


def _load_yaml(front: str) -> object:
    """``yaml.safe_load``, but an alias bomb ("billion laughs") is refused before any of
    it is built.

    YAML builds an alias as a second reference to one object, so loading stays cheap;
    anything that then walks the result (validation, serialization, a log line) would
    visit it once per reference, exponentially often. The composed node graph is
    measured as if every alias were expanded, in one pass with a memo. Only front
    matter that may hold an anchor (``&name``, which every alias needs) is measured:
    most files skip it.
    """
    loader = _YAML_LOADER(front)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _may_hold_anchor(front) and _expanded_size(node) > MAX_EXPANDED_NODES:
            raise _AliasBomb(
                f"front matter's YAML aliases expand to more than {MAX_EXPANDED_NODES} values"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _may_hold_anchor(front: str) -> bool:
    """Whether an anchor (``&name``) could start somewhere in ``front``: an ``&`` at the
    start, after a blank or line break or an indicator, followed by a name character.
    "R&D", "?a=1&b=2" or "Bits & Bytes" hold none. (A regular expression for this costs
    about 40 µs on a typical front matter; finding each ``&`` costs next to nothing.)"""
    at = front.find("&")
    while at != -1:
        before, after = front[at - 1 : at] if at else " ", front[at + 1 : at + 2]
        if (before.isspace() or before in "[{,:?-\ufeff") and (
            after and not after.isspace() and after not in "[]{},"
        ):
            return True
        at = front.find("&", at + 1)
    return False


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes ``root`` holds with every alias expanded (iterative: no recursion).

    A node that contains itself (``&a [*a]``, which YAML allows) expands without end:
    its size is reported as over the limit.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # children being measured: meeting one again is a cycle
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = (
            [n for pair in node.value for n in pair]
            if isinstance(node, yaml.MappingNode)
            else node.value
        )
        if children_done:
            open_nodes.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[id(node)] > MAX_EXPANDED_NODES:
                return sizes[id(node)]
        elif id(node) not in open_nodes:
            open_nodes.add(id(node))
            stack.append((node, True))
            for child in children:
                if id(child) in open_nodes:
                    return MAX_EXPANDED_NODES + 1
                if id(child) not in sizes:
                    stack.append((child, False))
    return sizes[id(root)]


def _id_from_file_name(rel: str) -> str:
    """The file's stem if it is URL-safe, else its slug if that is, else ""."""
    stem = Path(rel).stem
    if URL_SAFE_ID.match(stem):
        return stem
    slug = slugify(stem)[:200]
    return slug if URL_SAFE_ID.match(slug) else ""


def _record(article: dict, rel: str, warnings: tuple[str, ...]) -> ArticleRecord:
    article["bodyHtml"] = body_html(article["body"])
    full = _ARTICLE_SCHEMA.dump(article)
    summary = orjson.dumps({k: full[k] for k in SUMMARY_FIELDS})[:-1]
    details = orjson.dumps({k: full[k] for k in DETAIL_FIELDS[:-1]})
    provider = article["provider"]
    published_at = article["publishedDateTime"]
    return ArticleRecord(
        path=rel,
        id=article["id"],
        web_url=article["webUrl"],
        summary=summary,
        details=b"," + details[1:-1],
        related=tuple((item["webUrl"], orjson.dumps(item)) for item in full["related"]),
        published_ts=published_at.timestamp() if published_at else None,
        quality=article["quality"],
        heat=article["heat"],
        title=article["title"],
        excerpt=article["excerpt"],
        body=article["body"],
        category=article["category"],
        type=article["type"],
        published=article["published"],
        provider=(provider["id"], provider["name"]) if provider else None,
        topics=tuple((t["id"], t["name"]) for t in article["topics"]),
        warnings=warnings,
    )


def _describe(messages: dict | list | str, prefix: str = "") -> str:
    """Flatten marshmallow's nested messages: ``quality: Not a valid number.``"""
    if isinstance(messages, dict):
        return "; ".join(
            _describe(v, f"{prefix}{k}." if prefix or k else "") for k, v in messages.items()
        )
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return f"{prefix.rstrip('.')}: {' '.join(messages)}" if prefix else " ".join(messages)
    return "; ".join(_describe(m, prefix) for m in messages)


def _one_line(exc: Exception) -> str:
    return re.sub(r"\s+", " ", str(exc)).strip()[:300]
