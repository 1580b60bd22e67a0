"""``/healthz`` and ``/readyz``: for load balancers and orchestrators.

Their own blueprint ("health"), so they can be left out of HTTP caching (they are
``no-store``, without ETags) and of rate limits by name.
"""

from flask.views import MethodView

from schemas.common import ProblemSchema
from schemas.health import AliveSchema, ReadySchema
from schemas.query import NoArgsSchema

from ..http.errors import PROBLEM_MIMETYPE
from ..smorest import Blueprint
from ..store import current_index

blp = Blueprint(
    "health",
    __name__,
    url_prefix="/",
    description="Health checks: is the process alive, is it serving content.",
    http_cache=False,
)


@blp.route("healthz")
class Alive(MethodView):
    @blp.doc(operationId="getHealth")
    @blp.arguments(NoArgsSchema(), location="query")
    @blp.response(200, AliveSchema, example={"status": "alive"})
    def get(self, _query):
        """Is the process alive

        Always 200 while the process answers, even before the first index is built.
        """
        return {"status": "alive"}


@blp.route("readyz")
class Ready(MethodView):
    @blp.doc(operationId="getReadiness")
    @blp.arguments(NoArgsSchema(), location="query")
    @blp.response(
        200,
        ReadySchema,
        example={"status": "ready", "contentVersion": "3f1c2a9be04d7d21", "articleCount": 1},
    )
    @blp.alt_response(
        503,
        schema=ProblemSchema,
        content_type=PROBLEM_MIMETYPE,
        description="The first index is still being built.",
        headers={
            "Retry-After": {
                "description": "Seconds to wait before asking again.",
                "schema": {"type": "integer"},
            }
        },
    )
    def get(self, _query):
        """Is it serving content

        200 once an index is built and serving; 503 (with `Retry-After`) while the first
        build runs. A failed reload keeps the old index serving, so it stays 200.
        """
        index = current_index()  # ContentNotReady (503) before the first version
        return {"status": "ready", "contentVersion": index.version, "articleCount": len(index)}
