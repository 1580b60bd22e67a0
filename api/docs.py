"""The docs UI's vendored Swagger UI assets (flask-smorest serves the page itself)."""

from pathlib import Path

from flask import Blueprint

docs_bp = Blueprint(
    "docs_assets",
    __name__,
    static_folder=str(Path(__file__).parent / "static" / "swagger-ui"),
    static_url_path="/docs/static",
)
