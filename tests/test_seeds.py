"""Reading content: liberal in what it reads, bad files skipped and reported, nothing written."""

from __future__ import annotations

import codecs
import os
import re
from pathlib import Path

import pytest
import yaml
from helpers import article_fields, write_corpus, write_seed

from api import create_app
from api.content.build import read_folder
from api.content.records import ArticleRecord, ContentFolderError, Skipped
from api.content.seeds import parse_article, read_article
from schemas.seed import front_matter_keys

SHARED_SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_31537b93d5a29298.txt"


def test_the_bundled_seed_reads_in_full():
    record = parse_article(SHARED_SEED.read_text("utf-8"), "000_31537b93d5a29298.txt")
    assert isinstance(record, ArticleRecord)
    assert record.id == "000_31537b93d5a29298"
    assert record.provider == ("voanews.com", "Voice of America")
    assert record.topics == (("computer-vision", "Computer Vision"), ("ai", "AI"))
    assert len(record.related) == 2 and b"secured" not in record.summary + record.details


BAD = {
    "no-front-matter.md": ("Just text.\n", "no YAML front matter"),
    "bad-yaml.md": ("---\ntitle: [unclosed\n---\n", "not valid YAML"),
    "list.md": ("---\n- a\n- b\n---\n", "not a mapping"),
    "no-title.md": (None, "title: Missing data for required field."),
    "no-url.md": (None, "webUrl: Missing data for required field."),
    "quality-high.md": (None, "quality: Not a valid number."),
    "date-yesterday.md": (None, "publishedDateTime: Not a valid datetime."),
    "date-huge.md": (
        "---\ntitle: T\nwebUrl: https://x.example/1\npublishedDateTime: 99999-01-01\n---\n",
        "publishedDateTime",
    ),
    "image-width.md": (None, "images.0.width: Not a valid integer."),
    "related-no-url.md": (None, "related.0.webUrl: Missing data for required field."),
    "bad-id.md": (None, "id: Not a URL-safe id."),
}


def _bad_fields(name: str, i: int) -> dict:
    fields = article_fields(1, webUrl=f"https://bad.example/{i}")
    match name:
        case "no-title.md":
            del fields["title"]
        case "no-url.md":
            del fields["webUrl"]
        case "quality-high.md":
            fields["quality"] = "high"
        case "date-yesterday.md":
            fields["publishedDateTime"] = "yesterday"
        case "image-width.md":
            fields["images"][0]["width"] = "wide"
        case "related-no-url.md":
            fields["related"] = [{"title": "x"}]
        case "bad-id.md":
            fields["id"] = "../etc/passwd"
    return fields


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    """A folder of 3 good articles, every kind of bad file, a duplicate id and a non-UTF-8 file."""
    folder = write_corpus(tmp_path / "messy", 3)
    for i, (name, (text, _)) in enumerate(BAD.items()):
        if text is None:
            write_seed(folder, name, **_bad_fields(name, i))
        else:
            (folder / name).write_text(text, "utf-8")
    (folder / "latin1.md").write_bytes(
        "---\ntitle: café\nwebUrl: https://x.example/2\n---\n".encode("latin-1")
    )
    write_seed(folder, "sub/a00.md", **article_fields(7))  # same id as a00.md
    (folder / "notes.json").write_text("{}")  # not a content file: ignored
    return folder


def test_bad_files_are_skipped_with_a_reason(messy):
    content = read_folder(messy)
    from api.content.index import ContentIndex

    index = ContentIndex(content)
    reasons = {s.path: s.reason for s in index.skipped}
    for name, (_, expected) in BAD.items():
        assert expected in reasons[name], (name, reasons[name])
    assert "not UTF-8" in reasons["latin1.md"]
    assert reasons["sub/a00.md"] == "duplicate id 'a00' (also in a00.md)"
    assert len(index) == 3 and "notes.json" not in reasons


def test_server_starts_and_logs_each_skipped_file(messy, tmp_path, caplog):
    app = create_app({"CONTENT_DIR": str(messy), "CACHE_DIR": str(tmp_path / "cache")})
    assert app.test_client().get("/articles").get_json()["total"] == 3
    skipped_lines = [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("skipped ")
    ]
    assert len(skipped_lines) == len(BAD) + 2
    assert any(
        "quality-high.md: invalid front matter: quality: Not a valid number." in line
        for line in skipped_lines
    )


def test_cli_check_reports_and_fails_on_skips(runner, messy, corpus):
    result = runner.invoke(args=["seeds", "check", str(messy)])
    assert result.exit_code == 1
    assert (
        "skipped quality-high.md: invalid front matter: quality: Not a valid number."
        in result.output
    )
    assert (
        f"{messy}: {len(BAD) + 5} files, 3 articles indexed, {len(BAD) + 2} skipped"
        in result.output
    )
    ok = runner.invoke(args=["seeds", "check", str(corpus)])
    assert ok.exit_code == 0 and "30 articles indexed, 0 skipped" in ok.output
    missing = runner.invoke(args=["seeds", "check", str(corpus / "nope")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_liberal_reading(tmp_path, make_app):
    folder = tmp_path / "liberal"
    write_seed(
        folder,
        "My Story!.md",
        title="T",
        webUrl="https://www.Example.com/x",
        topics="Health & Fitness",
        publishedDateTime="2021-06-17 10:00",
        extra={"nested": True},
        quality="12.5",
    )
    write_seed(
        folder,
        "other.md",
        slug="custom-slug",
        title="U",
        webUrl="https://x.example/u",
        provider={"name": "X"},
        publishedDateTime="2021-06-17T12:00:00+02:00",
    )
    client = make_app(folder).test_client()
    story = client.get("/articles/my-story").get_json()
    assert story["provider"] == {
        "id": "example.com",
        "name": "example.com",
        "domain": "example.com",
    }
    assert story["topics"] == [{"id": "health-and-fitness", "name": "Health & Fitness"}]
    assert story["publishedDateTime"] == "2021-06-17T10:00:00Z"  # no timezone: UTC
    assert story["quality"] == 12.5 and "extra" not in story
    other = client.get("/articles/custom-slug").get_json()
    assert other["publishedDateTime"] == "2021-06-17T10:00:00Z"
    assert other["provider"]["id"] == "x.example"


def test_symlinks_are_not_followed(tmp_path, make_app):
    outside = write_corpus(tmp_path / "outside", 2)
    folder = write_corpus(tmp_path / "content", 1)
    os.symlink(outside / "a01.md", folder / "link.md")
    os.symlink(outside, folder / "linked-dir")
    content = read_folder(folder)
    assert [r.id for r in content.records] == ["a00"]
    assert [s.reason for s in content.skipped] == ["is a symbolic link; links are not followed"]


def test_missing_folder_stops_start_up_and_empty_folder_serves_empty_lists(tmp_path, make_app):
    with pytest.raises(ContentFolderError, match="does not exist"):
        make_app(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    client = make_app(tmp_path / "empty").test_client()
    for path in ("/articles", "/providers", "/topics"):
        body = client.get(path).get_json()
        assert body["items"] == [] and body["total"] == 0 and body["totalPages"] == 0


def test_content_folder_is_never_written(messy, tmp_path):
    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in messy.rglob("*")}
    app = create_app({"CONTENT_DIR": str(messy), "CACHE_DIR": str(tmp_path / "cache")})
    app.test_client().get("/articles")
    app.test_cli_runner().invoke(args=["seeds", "check", str(messy)])
    after = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in messy.rglob("*")}
    assert before == after


def _seed_text(**overrides) -> str:
    front = yaml.safe_dump(article_fields(3, **overrides), sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\nThe body, with an é.\n"


@pytest.mark.parametrize(
    ("encoding", "newline"),
    [
        ("utf-8-sig", "\n"),  # Notepad's "UTF-8 with BOM"
        ("utf-8-sig", "\r\n"),
        ("utf-16", "\n"),  # a byte-order mark, then little-endian on this machine
        ("utf-16", "\r\n"),
        ("utf-16-be", "\n"),  # written with an explicit big-endian mark below
        ("utf-32", "\r\n"),
    ],
)
def test_files_with_a_byte_order_mark_are_read(tmp_path, encoding, newline):
    text = _seed_text(title="Café au lait").replace("\n", newline)
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    (tmp_path / "bom.md").write_bytes(data)
    record = read_article(tmp_path / "bom.md", tmp_path)
    assert isinstance(record, ArticleRecord), record
    assert record.title == "Café au lait"
    assert record.body == "The body, with an é."
    assert record.id == "bom"


def test_a_broken_utf16_file_is_skipped_naming_its_encoding(tmp_path):
    # A mark says UTF-16, then half a character: the reason names UTF-16, not UTF-8.
    (tmp_path / "broken.md").write_bytes(codecs.BOM_UTF16_LE + "---\n".encode("utf-16-le") + b"x")
    skipped = read_article(tmp_path / "broken.md", tmp_path)
    assert isinstance(skipped, Skipped)
    assert skipped.reason.startswith("not UTF-16 text"), skipped.reason


@pytest.fixture
def typos(tmp_path: Path) -> Path:
    """Two articles with misspelt optional keys (one nested), one without."""
    folder = write_corpus(tmp_path / "typos", 1)
    fields = article_fields(1, qualty=80)
    fields["publshed"] = fields.pop("published")
    fields["provider"]["nmae"] = fields["provider"].pop("name")
    write_seed(folder, "typo.md", **fields)
    write_seed(folder, "odd.md", **article_fields(2, colour="blue"))
    return folder


TYPO_WARNINGS = [
    "odd.md: unknown key 'colour' is ignored",
    "typo.md: unknown key 'provider.nmae' is ignored (did you mean 'name'?)",
    "typo.md: unknown key 'qualty' is ignored (did you mean 'quality'?)",
    "typo.md: unknown key 'publshed' is ignored (did you mean 'published'?)",
]


def test_unknown_keys_are_warnings_in_seeds_check_and_the_file_is_indexed(typos, runner):
    result = runner.invoke(args=["seeds", "check", str(typos)])
    assert result.exit_code == 0, result.output  # warnings alone do not fail the check
    assert [line for line in result.output.splitlines() if line.startswith("warning ")] == [
        f"warning {w}" for w in TYPO_WARNINGS
    ]
    assert f"{typos}: 3 files, 3 articles indexed, 0 skipped, 4 warnings" in result.output
    assert "secured" not in result.output  # known, and ignored on purpose


def test_unknown_keys_are_warnings_in_the_build_log(typos, make_app, caplog):
    client = make_app(typos).test_client()
    assert client.get("/articles/typo").status_code == 200  # not skipped
    warnings = [r.getMessage() for r in caplog.records if r.getMessage().startswith("warning ")]
    assert warnings == [f"warning {w}" for w in TYPO_WARNINGS]
    built = next(r for r in caplog.records if r.getMessage().startswith("indexed "))
    assert built.fields["warnings"] == 4


def test_unknown_keys_in_related_items_and_images_name_their_place():
    fields = article_fields(4, related=[{"title": "R", "webUrl": "https://r.example/1"}])
    fields["related"][0]["titel"] = "typo"
    fields["images"][0]["widht"] = 3
    fields["zzzzz"] = 1
    fields["body"] = "a body in the front matter"
    front = yaml.safe_dump(fields, sort_keys=False)
    record = parse_article(f"---\n{front}---\nText.\n", "x.md")
    assert isinstance(record, ArticleRecord) and record.body == "Text."
    assert record.warnings == (
        "unknown key 'images.0.widht' is ignored (did you mean 'width'?)",
        "unknown key 'related.0.titel' is ignored (did you mean 'title'?)",
        "unknown key 'zzzzz' is ignored",
        "key 'body' is ignored: the body is the text after the front matter",
    )


def test_a_file_of_many_unknown_keys_warns_a_bounded_number_of_times():
    front = "".join(f"k{i}: {i}\n" for i in range(5000))
    record = parse_article(f"---\ntitle: T\nwebUrl: https://x.example/1\n{front}---\n", "x.md")
    assert len(record.warnings) == 11 and record.warnings[-1] == "and 4990 more unknown keys"


def test_the_readme_lists_every_front_matter_key():
    """The README's table of keys is the seed schema's (schemas/seed.py), no more, no less."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    section = readme.split("## Content", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^ *\| `([^`]+)` \|", section, re.MULTILINE)
    assert documented == front_matter_keys()
    assert "`secured`" in section  # the one key ignored on purpose
