"""The docs UI's vendored Swagger UI assets (flask-smorest serves the page itself)."""

from pathlib import Path

from flask import Blueprint, Response

docs_bp = Blueprint(
    "docs_assets",
    __name__,
    static_folder=str(Path(__file__).parent.parent / "static" / "swagger-ui"),
    static_url_path="/docs/static",
)


@docs_bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask every site for one; without it each HTML page logs a 404 error."""
    return docs_bp.send_static_file("favicon-32x32.png")
