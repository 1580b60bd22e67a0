"""The corpus generator (`flask seeds generate`, api/content/generate.py): what `make demo`
serves and the benchmark loads. Deterministic, offline, one implementation for both, and
a corpus worth clicking through: varied bodies, dozens of topics and providers, years of
dates, related items that link to other articles of the corpus."""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from api.content.build import build_index

ROOT = Path(__file__).resolve().parent.parent
COUNT = 200


def same_files(a: Path, b: Path) -> bool:
    """Both folders hold the same file names with the same bytes."""
    names = sorted(p.relative_to(a) for p in a.rglob("*.md"))
    assert names == sorted(p.relative_to(b) for p in b.rglob("*.md"))
    match, mismatch, errors = filecmp.cmpfiles(a, b, [str(n) for n in names], shallow=False)
    return len(match) == len(names) and not mismatch and not errors


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A 200-article corpus written by the CLI."""
    from api import create_app

    folder = tmp_path_factory.mktemp("gen") / "corpus"
    app = create_app({"TESTING": True, "CACHE_DIR": str(folder.parent / "cache")})
    result = app.test_cli_runner().invoke(
        args=["seeds", "generate", "--count", str(COUNT), "--jobs", "1", str(folder)]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {COUNT} articles" in result.output
    return folder


def test_cli_writes_a_corpus_the_index_reads_whole(generated):
    files = sorted(generated.rglob("*.md"))
    assert len(files) == COUNT
    assert files[0].relative_to(generated).as_posix() == "000/a0000000.md"
    index, report = build_index(generated, workers=1)
    assert len(index) == COUNT and not index.skipped and report.files == COUNT


def test_a_corpus_worth_clicking_through(generated):
    index, _ = build_index(generated, workers=1)
    articles = [orjson.loads(index.article_json(f"a{i:07d}")) for i in range(COUNT)]
    topics = {t["id"] for a in articles for t in a["topics"]}
    providers = {a["provider"]["id"] for a in articles}
    years = {a["publishedDateTime"][:4] for a in articles}
    assert len(topics) >= 24 and len(providers) >= 24  # dozens of each
    assert len(years) >= 5  # several years
    assert len({a["title"] for a in articles}) == COUNT
    bodies = " ".join(a["bodyHtml"] for a in articles)
    for markup in ("<h2>", "<ul>", "<li>", "<a href=", "<strong>", "<p>"):
        assert markup in bodies, markup
    # Related items that are other articles of the corpus carry their id (same webUrl).
    linked = [r for a in articles for r in a["related"] if r["id"] is not None]
    assert len(linked) >= COUNT // 4
    by_id = {a["id"]: a for a in articles}
    for item in linked:
        assert by_id[item["id"]]["webUrl"] == item["webUrl"]
        assert by_id[item["id"]]["title"] == item["title"]


def test_same_bytes_from_the_cli_the_bench_wrapper_and_any_jobs(generated, tmp_path, runner):
    again = tmp_path / "again"
    result = runner.invoke(
        args=["seeds", "generate", "--count", str(COUNT), "--jobs", "2", str(again)]
    )
    assert result.exit_code == 0, result.output
    assert same_files(generated, again)
    bench = tmp_path / "bench"
    subprocess.run(
        [sys.executable, "bench/generate.py", str(bench), "--count", str(COUNT), "--jobs", "1"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert same_files(generated, bench)
    other = tmp_path / "other"
    result = runner.invoke(args=["seeds", "generate", "--count", "5", "--seed", "2", str(other)])
    assert result.exit_code == 0, result.output
    assert (other / "000/a0000000.md").read_bytes() != (generated / "000/a0000000.md").read_bytes()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--count", "-1"], "--count"),
        (["--count", "1000001"], "--count"),
        (["--seed", "-3"], "--seed"),
        (["--jobs", "0"], "--jobs"),
        (["--count", "abc"], "--count"),
    ],
)
def test_cli_refuses_bad_options(runner, tmp_path, args, message):
    result = runner.invoke(args=["seeds", "generate", *args, str(tmp_path / "out")])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "out").exists()


def test_cli_never_writes_into_a_folder_with_other_files(runner, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    result = runner.invoke(args=["seeds", "generate", "--count", "3", str(folder)])
    assert result.exit_code == 2 and "is not empty" in result.output
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    forced = runner.invoke(args=["seeds", "generate", "--count", "3", "--force", str(folder)])
    assert forced.exit_code == 0
    assert (folder / "notes.txt").read_text() == "keep me"
    assert len(list(folder.rglob("*.md"))) == 3


def make(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``make`` in the repository, never reinstalling the venv."""
    return subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/bin/.installed", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


@pytest.mark.skipif(not (ROOT / ".venv/bin/flask").exists(), reason="needs the project's .venv")
def test_make_demo_generates_once_per_parameters_and_serves_like_serve(tmp_path):
    demo_root = str(tmp_path / "demo")
    first = make("demo-corpus", f"DEMO_ROOT={demo_root}", "DEMO_COUNT=12", "DEMO_SEED=3")
    assert first.returncode == 0, first.stderr
    folder = tmp_path / "demo" / "12-3"
    assert len(list(folder.rglob("*.md"))) == 12 and not Path(f"{folder}.partial").exists()
    stamp = (folder / "000/a0000000.md").stat().st_mtime_ns
    again = make("demo-corpus", f"DEMO_ROOT={demo_root}", "DEMO_COUNT=12", "DEMO_SEED=3")
    assert again.returncode == 0 and "seeds generate" not in again.stdout
    assert (folder / "000/a0000000.md").stat().st_mtime_ns == stamp
    other = make("demo-corpus", f"DEMO_ROOT={demo_root}", "DEMO_COUNT=12", "DEMO_SEED=4")
    assert other.returncode == 0 and "seeds generate" in other.stdout
    assert (tmp_path / "demo" / "12-4").is_dir()
    # `make demo` runs the `serve` recipe itself, with the content folder set.
    dry = make("-n", "demo", f"DEMO_ROOT={demo_root}", "DEMO_COUNT=12", "DEMO_SEED=3")
    serve = make("-n", "serve")
    assert f'serve NEWS_API_CONTENT_DIR="{folder}"' in dry.stdout
    assert serve.stdout.strip().splitlines()[-1] in dry.stdout
