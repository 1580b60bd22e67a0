"""RFC 9457 problem documents for every error, never a stack trace."""

from __future__ import annotations

from typing import Any

import orjson
from werkzeug.exceptions import HTTPException

from ..operations.logs import current_request_id
from .response import ApiResponse

PROBLEM_MIMETYPE = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: Any) -> ApiResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    if request_id := current_request_id():
        body["requestId"] = request_id  # as in X-Request-Id and the logs (api.access)
    return ApiResponse(orjson.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)


def problem_from_http_exception(error: HTTPException) -> ApiResponse:
    """The problem document for an HTTP error; webargs validation errors list each parameter.

    Unexpected exceptions reach here as a bare 500 whose detail says nothing of the
    server (the traceback goes to the log, not to the client).
    """
    data = getattr(error, "data", None) or {}
    extra: dict[str, Any] = {}
    detail = data.get("message") or error.description or error.name
    if messages := data.get("messages"):
        extra["errors"] = [
            {"name": name, "location": location, "messages": _flat(msgs)}
            for location, fields in messages.items()
            for name, msgs in fields.items()
        ]
        detail = "; ".join(f"{e['name']}: {' '.join(e['messages'])}" for e in extra["errors"])
    if error.code == 500:
        detail = "The server could not answer this request."
    response = problem(error.code or 500, error.name, detail, **extra)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


def _flat(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, dict):
        return [f"{k}: {m}" for k, v in messages.items() for m in _flat(v)]
    return [m for item in messages for m in _flat(item)]
