"""Project-wide flask-smorest behaviour, in one place.

- :class:`Api`: every error is an RFC 9457 problem document, in the spec too.
- :class:`Blueprint`: query arguments are strict (unknown names rejected by the schemas)
  and a bad one is a 400, not webargs' default 422; every GET is documented with the
  conditional-request headers and cache headers that :mod:`api.http.caching` handles.
"""

from __future__ import annotations

import http
import threading

import flask_smorest
import marshmallow as ma
from flask_smorest.utils import prepare_response
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from schemas.common import ProblemSchema
from schemas.query import QueryArgsSchema

from .http.caching import CACHE_HEADERS, CONDITIONAL_PARAMETERS
from .http.errors import PROBLEM_MIMETYPE, problem_from_http_exception
from .store import VERSION_HEADERS


class QueryArgs(dict):
    """The query string as a schema loads it: lists for list fields, else the first value.

    ``multi`` keeps every value, for the schema's check of repeated parameters.
    """

    def __init__(self, args: MultiDict, parameters: dict[str, bool]) -> None:
        # parameters: name -> takes several values (QueryArgsSchema.parameters)
        super().__init__((k, args.getlist(k) if parameters.get(k) else args[k]) for k in args)
        self.multi = args


class QueryParser(FlaskParser):
    """Query strings read as :class:`QueryArgs`; ``unknown`` is left to each schema's Meta
    (which rejects unknown parameters); a bad parameter is a 400.

    webargs' own proxy works out which fields take lists on every request; here that is
    done once per schema. A query that passes is loaded by the schema's ``fast_load``
    (memoized parameter values, :mod:`schemas.fast_load`); any other goes through webargs
    and ``schema.load`` as before, so every 400 is the one the schema always gave.
    """

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION: dict = {}  # noqa: RUF012

    def load_querystring(self, req, schema: QueryArgsSchema) -> QueryArgs:
        return QueryArgs(req.args, schema.parameters)

    def parse(self, argmap, req=None, *, location=None, validate=None, **kwargs):
        if location == "query" and validate is None and isinstance(argmap, QueryArgsSchema):
            req = req if req is not None else self.get_default_request()
            loaded = argmap.fast_load(QueryArgs(req.args, argmap.parameters))
            if loaded is not None:
                return loaded
        return super().parse(argmap, req, location=location, validate=validate, **kwargs)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = QueryParser()

    def __init__(self, *args, http_cache: bool = True, **kwargs) -> None:
        """``http_cache=False``: routes left out of HTTP caching (the health checks)."""
        super().__init__(*args, **kwargs)
        if http_cache:
            self._prepare_doc_cbks.append(self._prepare_http_cache_doc)
        self._prepare_doc_cbks.append(self._prepare_content_version_doc)

    @staticmethod
    def _prepare_http_cache_doc(doc: dict, doc_info: dict, *, method: str, **kwargs) -> dict:
        """Every GET answers conditional requests and sends cache headers (api.http.caching),
        and is a 503 before the first index is built (api.store)."""
        if method == "get":
            doc.setdefault("parameters", []).extend(CONDITIONAL_PARAMETERS)
            doc["responses"][304] = "NOT_MODIFIED"
            doc["responses"].setdefault(503, "SERVICE_UNAVAILABLE")
            for status in doc_info.get("success_status_codes", []):
                doc["responses"][status].setdefault("headers", {}).update(CACHE_HEADERS)
        return doc

    @staticmethod
    def _prepare_content_version_doc(doc: dict, doc_info: dict, **kwargs) -> dict:
        """Every success response names its content version (api.store)."""
        for status in doc_info.get("success_status_codes", []):
            doc["responses"][status].setdefault("headers", {}).update(VERSION_HEADERS)
        return doc


class Api(flask_smorest.Api):
    """Views are documented in the spec the first time it is read (``/openapi.json``,
    ``flask openapi write``), not when their blueprint is registered: building the
    documentation took half of a worker's start-up (apispec deep-copies every schema's
    description), and most workers never serve the spec."""

    ERROR_SCHEMA = ProblemSchema

    def _init_spec(self, **kwargs) -> None:
        super()._init_spec(**kwargs)
        # apispec documents ma.fields.Url as `format: url`, which JSON Schema does not
        # define (validators reject examples against it); `uri` is the format.
        self.register_field(ma.fields.Url, "string", "uri")
        self._undocumented: list[tuple[flask_smorest.Blueprint, str, list | None]] = []
        self._documenting = threading.Lock()
        to_dict = self.spec.to_dict

        def documented_to_dict() -> dict:
            self.document_views()
            return to_dict()

        self.spec.to_dict = documented_to_dict

    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        """As flask-smorest's, but the views go into the spec later (:meth:`document_views`)."""
        blp_name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][blp_name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, blp_name, parameters))

    def document_views(self) -> None:
        """Put the views of every blueprint registered so far into the spec, in the order
        they were registered (what flask-smorest does in ``register_blueprint``)."""
        with self._documenting:
            while self._undocumented:
                blp, name, parameters = self._undocumented.pop(0)
                blp.register_views_in_doc(
                    self, self._app, self.spec, name=name, parameters=parameters
                )
                self.spec.tag({"name": name, "description": blp.description})

    def spec_paths(self) -> dict[str, dict]:
        """The spec's paths as built so far, to complete in place (apispec has no public
        accessor: ``to_dict()`` hands out this same dict)."""
        self.document_views()
        return self.spec._paths

    def handle_http_exception(self, error):
        return problem_from_http_exception(error)

    def _register_pagination_header(self) -> None:
        """Not used: our lists carry their own envelope, ``Link`` and ``X-Total-Count``."""

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
