"""``/``: the entry point, with links to everything else."""

from flask import current_app, request
from flask.views import MethodView

from schemas.home import HomeSchema
from schemas.query import NoArgsSchema

from ..smorest import Blueprint
from ..store import current_index

blp = Blueprint("home", __name__, url_prefix="/", description="Where everything is.")
EXAMPLE_BASE = "http://localhost:8000/"


@blp.route("")
class Home(MethodView):
    @blp.doc(operationId="getHome")
    @blp.arguments(NoArgsSchema(), location="query")
    @blp.response(
        200,
        HomeSchema,
        example={
            "title": "News Content API",
            "version": "0.1.0",
            "articleCount": 1,
            "contentVersion": "3f1c2a9be04d7d21",
            "links": {
                "articles": f"{EXAMPLE_BASE}articles",
                "providers": f"{EXAMPLE_BASE}providers",
                "topics": f"{EXAMPLE_BASE}topics",
                "openapi": f"{EXAMPLE_BASE}openapi.json",
                "docs": f"{EXAMPLE_BASE}docs",
            },
        },
    )
    def get(self, _query):
        """Start here

        The API's name and version, how many articles it serves, the version of the
        content, and links to the lists, the spec and the docs page.
        """
        index = current_index()
        root = request.url_root
        return {
            "title": current_app.config["API_TITLE"],
            "version": current_app.config["API_VERSION"],
            "articleCount": len(index),
            "contentVersion": index.version,
            "links": {
                "articles": f"{root}articles",
                "providers": f"{root}providers",
                "topics": f"{root}topics",
                "openapi": f"{root}openapi.json",
                "docs": f"{root}docs",
            },
        }
