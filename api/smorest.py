"""Project-wide flask-smorest behaviour, in one place.

- :class:`Api`: every error is an RFC 9457 problem document, in the spec too.
- :class:`Blueprint`: query arguments are strict (unknown names rejected by the schemas)
  and a bad one is a 400, not webargs' default 422.
"""

from __future__ import annotations

import http

import flask_smorest
from apispec.ext.marshmallow import MarshmallowPlugin
from flask_smorest.utils import prepare_response
from webargs.flaskparser import FlaskParser

from schemas.common import ProblemSchema

from .errors import PROBLEM_MIMETYPE, problem_from_http_exception


class QueryParser(FlaskParser):
    """Leaves ``unknown`` to each schema's Meta, which rejects unknown parameters."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION: dict = {}  # noqa: RUF012


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
