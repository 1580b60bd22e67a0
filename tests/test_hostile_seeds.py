"""Hostile and broken content files: each is skipped with a clear reason, in bounded time
and memory, and the server starts with the rest. The seed parser is fuzzed too."""

from __future__ import annotations

import datetime as dt
import os
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from helpers import article_fields, write_corpus, write_seed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.content.build import read_folder
from api.content.index import ContentIndex
from api.content.records import ArticleRecord, Skipped
from api.content.seeds import MAX_FILE_BYTES, MAX_FRONT_MATTER_CHARS, parse_article, read_article

HEAD = "---\ntitle: T\nwebUrl: https://x.example/1\n"


def laughs(levels: int, *, mapping: bool = False, merge: bool = False) -> str:
    """A "billion laughs" front matter: each level refers nine times to the one below."""
    if merge:
        lines = ["l0: &l0 {" + ", ".join(f"k{i}: lol" for i in range(9)) + "}"]
        lines += [
            f"l{n}: &l{n} {{<<: [{', '.join([f'*l{n - 1}'] * 9)}]}}" for n in range(1, levels)
        ]
    elif mapping:
        lines = ["l0: &l0 {" + ", ".join(f"k{i}: lol" for i in range(9)) + "}"]
        lines += [
            f"l{n}: &l{n} {{" + ", ".join(f"k{i}: *l{n - 1}" for i in range(9)) + "}"
            for n in range(1, levels)
        ]
    else:
        lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    top = f"*l{levels - 1}"
    return HEAD + "\n".join(lines) + f"\ntopics: {top}\nprovider: {top}\nextra: {top}\n---\nx\n"


def reason_of(text: str) -> str:
    result = parse_article(text, "f.md")
    assert isinstance(result, Skipped), result
    return result.reason


@pytest.mark.parametrize("shape", [{}, {"mapping": True}, {"merge": True}])
def test_yaml_alias_bombs_are_refused_before_they_expand(shape):
    started = time.perf_counter()
    reason = reason_of(laughs(10, **shape))  # 9**10: billions of values once expanded
    assert "aliases expand to more than" in reason
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("front", ["x: &a [*a]", "x: &a {k: *a}", "topics: &a [*a, *a]"])
def test_aliases_that_contain_themselves_are_refused(front):
    started = time.perf_counter()
    assert "aliases expand to more than" in reason_of(HEAD + front + "\n---\n")
    assert time.perf_counter() - started < 1


def test_a_few_aliases_are_fine():
    text = HEAD + "a: &p {name: Voice, domain: voanews.com}\nprovider: *p\ntopics: [AI]\n---\nx"
    record = parse_article(text, "ok.md")
    assert isinstance(record, ArticleRecord) and record.provider == ("voanews.com", "Voice")


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ("x: " + "[" * 5000 + "]" * 5000, "not valid YAML"),
        ("x: " + "{a: " * 5000 + "1" + "}" * 5000, "not valid YAML"),
        ("x:\n" + "- " * 5000 + "x", "not valid YAML"),
        ("excerpt: " + "x" * (MAX_FRONT_MATTER_CHARS + 1), "front matter is"),
    ],
    ids=["deep-flow-lists", "deep-flow-maps", "deep-block-lists", "huge-front-matter"],
)
def test_deep_or_huge_front_matter_is_refused(front, expected):
    started = time.perf_counter()
    assert expected in reason_of(HEAD + front + "\n---\nbody\n")
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"title": ["a", "list"]}, "title: Not a valid string."),
        ({"title": None}, "title: Field may not be null."),
        ({"webUrl": 42}, "webUrl: Not a valid string."),
        ({"webUrl": "javascript:alert(1)"}, "webUrl: Not an http(s) URL."),
        ({"topics": {"a": 1}}, "topics: Not a valid list."),
        ({"related": "nope"}, "related: Not a valid list."),
        ({"related": [{"webUrl": "https://x.example/r"}]}, "related.0.title: Missing data"),
        ({"images": {"url": "https://x.example/i"}}, "images: Not a valid list."),
        ({"provider": ["x"]}, "provider"),
        ({"quality": float("nan")}, "quality"),
        ({"heat": 10**400}, "heat"),
        ({"published": "perhaps"}, "published: Not a valid boolean."),
        ({"topics": ["t"] * 101}, "topics: More than 100 items."),
        ({"publishedDateTime": "0000-01-01"}, "publishedDateTime"),
        ({"publishedDateTime": "10000-01-01"}, "publishedDateTime"),
        ({"publishedDateTime": dt.date(1, 1, 1)}, "publishedDateTime: Not a valid datetime."),
        ({"publishedDateTime": dt.datetime(9999, 12, 31, 23, 59)}, "publishedDateTime"),
        ({"publishedDateTime": "2021-02-30T00:00:00Z"}, "publishedDateTime"),
        ({"id": "../../etc/passwd"}, "id: Not a URL-safe id."),
        ({"id": "x" * 300}, "id: Not a URL-safe id."),
    ],
)
def test_wrong_types_missing_fields_and_dates_out_of_range_are_skipped(changes, expected):
    text = "---\n" + yaml.safe_dump(article_fields(1, **changes)) + "---\nbody\n"
    assert expected in reason_of(text)


def test_dates_yaml_itself_cannot_hold_are_skipped():
    assert "cannot be read" in reason_of(HEAD + "publishedDateTime: 2021-02-30\n---\n")
    # A year-1 date moved by a time zone leaves Python's calendar.
    assert "publishedDateTime" in reason_of(
        HEAD + "publishedDateTime: 0001-01-01T00:00:00+14:00\n---\n"
    )


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A content folder with 2 good articles and every kind of hostile file."""
    folder = write_corpus(tmp_path / "hostile", 2)
    outside = tmp_path / "outside"
    write_seed(outside, "secret.md", **article_fields(9, title="Outside the folder"))
    os.symlink(outside / "secret.md", folder / "link-out.md")
    os.symlink("/etc/hostname", folder / "link-etc.md")
    os.symlink(outside / "missing.md", folder / "dangling.md")
    os.symlink(outside, folder / "linked-folder")
    with (folder / "huge.md").open("wb") as f:  # sparse: 300 MB that takes no disk
        f.truncate(300 * 1024 * 1024)
    (folder / "binary.md").write_bytes(bytes(range(256)) * 64)
    (folder / "nul.md").write_bytes(b"---\ntitle: \x00\nwebUrl: https://x.example/n\n---\n")
    (folder / "utf16.md").write_bytes("---\ntitle: T\n---\n".encode("utf-16"))
    (folder / "bomb.md").write_text(laughs(12), "utf-8")
    os.mkfifo(folder / "pipe.md")  # reading it would wait for a writer forever
    write_seed(folder, "dup.md", **article_fields(5, id="a01"))
    return folder


def test_hostile_folder_builds_in_bounded_time_with_reasons(hostile):
    started = time.perf_counter()
    index = ContentIndex(read_folder(hostile))
    assert time.perf_counter() - started < 5
    assert len(index) == 2 and "a00" in index and "a01" in index
    reasons = {s.path: s.reason for s in index.skipped}
    link = "is a symbolic link; links are not followed"
    assert reasons["link-out.md"] == reasons["link-etc.md"] == reasons["dangling.md"] == link
    assert reasons["huge.md"] == f"file is {300 * 1024 * 1024} bytes; the limit is {MAX_FILE_BYTES}"
    assert "not UTF-8" in reasons["binary.md"]
    assert "webUrl: Missing" in reasons["utf16.md"]  # read as UTF-16 (its mark), then checked
    assert "not valid YAML" in reasons["nul.md"]
    assert "aliases expand" in reasons["bomb.md"]
    assert reasons["pipe.md"] == "not a regular file"
    assert reasons["dup.md"] == "duplicate id 'a01' (also in a01.md)"
    assert "linked-folder" not in str(reasons)


def test_a_huge_file_is_refused_from_its_size_without_reading_it(hostile):
    tracemalloc.start()
    started = time.perf_counter()
    result = read_article(hostile / "huge.md", hostile)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert isinstance(result, Skipped) and result.reason.startswith("file is 314572800 bytes")
    assert elapsed < 0.5 and peak < 1024 * 1024  # nothing of it was loaded


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway (as in CI)")
def test_an_unreadable_file_is_skipped(tmp_path):
    folder = write_corpus(tmp_path / "content", 2)
    (folder / "a01.md").chmod(0)
    try:
        content = read_folder(folder)
    finally:
        (folder / "a01.md").chmod(0o644)
    assert [s.reason for s in content.skipped] == ["cannot be read (Permission denied)"]


def test_a_read_error_is_skipped_even_as_root(tmp_path, monkeypatch):
    """What the test above proves without root, for CI (root ignores chmod 000)."""
    folder = write_corpus(tmp_path / "content", 1)

    def denied(path, flags, *args):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("api.content.seeds.os.open", denied)
    result = read_article(folder / "a00.md", folder)
    assert result == Skipped("a00.md", "cannot be read (Permission denied)")
    assert str(tmp_path) not in result.reason  # no server path in a reason


def test_the_server_starts_over_a_hostile_folder(hostile, make_app):
    client = make_app(hostile).test_client()
    assert client.get("/articles").get_json()["total"] == 2


# Fuzzing: whatever the text, the parser answers with a record or a reason, never raises.

FIELDS = [*article_fields(0), "id", "slug", "body"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.dates(),
    st.datetimes(),
)
inner = scalars | st.lists(scalars, max_size=3)
values = (
    inner
    | st.lists(inner | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_size=4)
    | st.dictionaries(st.sampled_from(["name", "domain", "url", "title", "webUrl"]), inner)
)
front_matters = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), values, max_size=8)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(result) -> None:
    assert isinstance(result, (ArticleRecord, Skipped)), result
    if isinstance(result, Skipped):
        assert result.reason and "Traceback" not in result.reason


@FUZZ
@given(st.text())
def test_fuzz_any_text(text):
    _check(parse_article(text, "fuzz.md"))
    _check(parse_article("---\n" + text, "fuzz.md"))
    _check(parse_article(HEAD + text + "\n---\n", "fuzz.md"))


@FUZZ
@given(front_matters, st.text(max_size=50))
def test_fuzz_structured_front_matter(fields, body):
    base = {"title": "T", "webUrl": "https://x.example/f"}
    for meta in (fields, {**base, **fields}):
        try:
            front = yaml.safe_dump(meta, allow_unicode=True)
        except yaml.YAMLError:
            continue
        _check(parse_article(f"---\n{front}---\n{body}", "fuzz.md"))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000))
def test_fuzz_any_bytes_from_a_file(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz", numbered=True)
    (folder / "f.md").write_bytes(data)
    _check(read_article(folder / "f.md", folder))
