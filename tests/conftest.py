from __future__ import annotations

from pathlib import Path

import pytest
from helpers import write_corpus

from api import create_app


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A content folder of 30 generated articles with predictable values."""
    return write_corpus(tmp_path / "content", 30)


@pytest.fixture
def make_app(tmp_path: Path):
    """Create an app over a content folder, with a build cache of its own."""

    def make(content: Path, **config):
        return create_app(
            {
                "TESTING": True,
                "CONTENT_DIR": str(content),
                "CACHE_DIR": str(tmp_path / "cache"),
                **config,
            }
        )

    return make


@pytest.fixture
def app(make_app, corpus):
    """The app over ``corpus``."""
    return make_app(corpus)


@pytest.fixture
def client(app):
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner of ``app``."""
    return app.test_cli_runner()
