"""``/suggest``: completions for a search box."""

from __future__ import annotations

from urllib.parse import quote

import orjson
from flask import request
from flask.views import MethodView

from schemas.query import SuggestQueryArgsSchema
from schemas.search import SuggestionListSchema

from ..smorest import Blueprint
from ..store import current_index
from .listing import json_response

blp = Blueprint(
    "suggest", __name__, url_prefix="/suggest", description="Completions for a search box."
)
SUGGEST_QUERY = SuggestQueryArgsSchema()
_COLLECTION = {"topic": "topics", "provider": "providers", "article": "articles"}


@blp.route("")
class Suggestions(MethodView):
    @blp.doc(operationId="suggest")
    @blp.arguments(SUGGEST_QUERY, location="query")
    @blp.response(
        200,
        SuggestionListSchema,
        example={
            "items": [
                {
                    "type": "article",
                    "id": "000_31537b93d5a29298",
                    "text": "Facial Recognition Technology Solves Crimes, but at What Cost?",
                    "url": "http://localhost:8000/articles/000_31537b93d5a29298",
                }
            ]
        },
    )
    def get(self, query):
        """Suggest completions

        Topics, providers and article titles that match the text typed so far (its last
        word may be incomplete; case and accents do not matter), best first: names that
        begin with the text before those with a later word that does; topics and
        providers (most articles first) before article titles (hottest first). Cheap
        enough to call on every keystroke.
        """
        root = request.url_root
        items = [
            {**item, "url": f"{root}{_COLLECTION[item['type']]}/{quote(item['id'], safe='')}"}
            for item in current_index().suggest(query["q"], query["limit"])
        ]
        return json_response(orjson.dumps({"items": items}))
