"""Project-wide flask-smorest behaviour, in one place.

- :class:`Api`: every error is an RFC 9457 problem document, in the spec too.
- :class:`Blueprint`: query arguments are strict (unknown names rejected by the schemas)
  and a bad one is a 400, not webargs' default 422.
"""

from __future__ import annotations

import functools
import http

import flask_smorest
import marshmallow as ma
from apispec.ext.marshmallow import MarshmallowPlugin
from flask_smorest.utils import prepare_response
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from schemas.common import ProblemSchema

from .errors import PROBLEM_MIMETYPE, problem_from_http_exception


class QueryArgs(dict):
    """The query string as a schema loads it: lists for list fields, else the first value.

    ``multi`` keeps every value, for the schema's check of repeated parameters.
    """

    def __init__(self, args: MultiDict, list_names: frozenset[str]) -> None:
        super().__init__((k, args.getlist(k) if k in list_names else args[k]) for k in args)
        self.multi = args


class QueryParser(FlaskParser):
    """Query strings read as :class:`QueryArgs`; ``unknown`` is left to each schema's Meta
    (which rejects unknown parameters); a bad parameter is a 400.

    webargs' own proxy works out which fields take lists on every request; here that is
    done once per schema, which keeps argument parsing off the top of the profile.
    """

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION: dict = {}  # noqa: RUF012

    def load_querystring(self, req, schema: ma.Schema) -> QueryArgs:
        return QueryArgs(req.args, _list_names(schema))


@functools.cache
def _list_names(schema: ma.Schema) -> frozenset[str]:
    return frozenset(
        field.data_key or name
        for name, field in schema.fields.items()
        if isinstance(field, ma.fields.List)
    )


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = QueryParser()


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app=None, **kwargs) -> None:
        # Nullable fields as OpenAPI 3.1 type unions come from the marshmallow plugin.
        kwargs.setdefault("spec_kwargs", {}).setdefault("marshmallow_plugin", MarshmallowPlugin())
        super().__init__(app, **kwargs)

    def handle_http_exception(self, error):
        return problem_from_http_exception(error)

    def _register_responses(self) -> None:
        """Document every error response as ``application/problem+json``."""
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)
