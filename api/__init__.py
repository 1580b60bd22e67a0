"""The news content API. ``create_app()`` (in :mod:`api.app`) makes the Flask app.

Nothing is imported here until it is asked for, so that the launcher
(``python -m api.operations.server``) starts the server before it loads the app itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app as create_app


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module 'api' has no attribute {name!r}")
