"""``flask seeds check [DIR]``: the load report of a content folder, without serving it;
``flask seeds build [DIR]``: its index artifact, as the server builds it;
``flask seeds generate --count N DIR``: a synthetic corpus (the demo's and the benchmark's)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .content.records import ContentFolderError

seeds_cli = AppGroup("seeds", help="Check and build content folders, or generate one.")


@seeds_cli.command("check")
@click.argument("folder", required=False, type=click.Path(path_type=Path))
def check(folder: Path | None) -> None:
    """Read FOLDER (default: the app's CONTENT_DIR) and list every file that would be
    skipped, and every warning (an unknown key) about a file that would be indexed.

    Exits 1 when any file is skipped, 2 when the folder is missing; warnings alone exit 0.
    Reads every file afresh (no build cache) and writes nothing.
    """
    from .content.build import build_index  # only a command that builds loads the build code

    folder = folder or Path(current_app.config["CONTENT_DIR"])
    try:
        index, report = build_index(folder, workers=current_app.config["BUILD_WORKERS"] or None)
    except ContentFolderError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    for skipped in index.skipped:
        click.echo(f"skipped {skipped}")
    for warning in index.warnings:
        click.echo(f"warning {warning}")
    click.echo(
        f"{folder}: {report.files} files, {len(index)} articles indexed, "
        f"{len(index.skipped)} skipped, {len(index.warnings)} warnings"
    )
    if index.skipped:
        raise SystemExit(1)


@seeds_cli.command("build")
@click.argument("folder", required=False, type=click.Path(path_type=Path))
def build(folder: Path | None) -> None:
    """Build (or reuse) the index artifact of FOLDER (default: the app's CONTENT_DIR) in
    the cache folder, make it the one to serve, and print its version.

    The server's builder runs the same code; a server started afterwards on FOLDER maps
    this artifact at once. Exits 2 when the folder is missing.
    """
    from .operations.builder import build as build_artifact

    config = {**current_app.config}
    if folder is not None:
        config["CONTENT_DIR"] = str(folder)
    try:
        # The per-file build cache is written before the command exits: a thread
        # writing it in the background would be stopped with the process.
        index = build_artifact(config, cache_write="now")
    except ContentFolderError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(index.version)


@seeds_cli.command("generate")
@click.option(
    "--count",
    type=click.IntRange(0),
    default=3000,
    show_default=True,
    help="How many articles (at most 1,000,000).",
)
@click.option(
    "--seed",
    type=click.IntRange(0),
    default=1,
    show_default=True,
    help="Another seed, another corpus; the same seed and count, the same bytes.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1),
    default=None,
    help="Worker processes (default: one per CPU); the output does not depend on it.",
)
@click.option(
    "--force", is_flag=True, help="Write into a non-empty DIR (overwrites generated names only)."
)
@click.argument("folder", type=click.Path(path_type=Path))
def generate(count: int, seed: int, jobs: int | None, force: bool, folder: Path) -> None:
    """Write a synthetic corpus of COUNT articles into FOLDER, in the seed format.

    Deterministic and offline: 68 topics and 800 providers with skewed popularity,
    dates over 2019-2026, markdown bodies with headings, links and lists, and related
    items of which 40% are other articles of the corpus (same webUrl, so the API links
    them). Files go to FOLDER/000/a0000000.md and on, 1,000 per folder. What `make demo`
    serves and what the benchmark loads; details in api/content/generate.py.
    """
    from .content import generate as generator  # seconds to import: only when asked for

    if count > generator.MAX_COUNT:
        raise click.BadParameter(f"at most {generator.MAX_COUNT:,}", param_hint="'--count'")
    try:
        generator.check_target(folder, force)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="FOLDER") from None
    click.echo(generator.generate_reported(folder, count, seed, jobs), err=True)
