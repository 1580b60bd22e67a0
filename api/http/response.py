"""The response class of the app: every header value checked once, when it is added.

werkzeug refuses a header value with a newline (a response-splitting guard) with a
regular expression, each time a header is added *and* again when the response goes out
(``get_wsgi_headers`` copies the headers into a new ``Headers``, adding each one anew).
A list response carries about fifteen headers, most of them constants of the hooks
(security headers, CORS, ``Vary``): some thirty regular-expression searches a request.

:class:`CheckedHeaders` makes the same check with two substring tests where the value is
already a ``str`` (werkzeug's own path for anything else), and :class:`ApiResponse`
copies checked headers as they are when it sends them. What is refused is unchanged: a
value with ``\\r`` or ``\\n`` is a ``ValueError`` (``tests/test_response.py``). Why:
docs/decisions/0023-request-path-without-repeated-work.md.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from werkzeug.datastructures import Headers


class CheckedHeaders(Headers):
    """``Headers`` whose ``add`` (hence ``extend`` and the constructor) appends a plain
    ``str`` value after a substring test for newlines instead of a regular expression."""

    __slots__ = ()

    def add(self, key: str, value: Any, /, **kwargs: Any) -> None:
        if not kwargs and type(value) is str and "\n" not in value and "\r" not in value:
            self._list.append((key, value))
        else:
            super().add(key, value, **kwargs)  # converts, checks, raises as werkzeug does

    def copy(self) -> CheckedHeaders:
        """Every value in the list was checked on its way in (``add``, ``set``,
        ``__setitem__`` and ``update`` all check): copied as it is."""
        copied = CheckedHeaders()
        copied._list = self._list.copy()
        return copied


class ApiResponse(Response):
    """Flask's response with :class:`CheckedHeaders` (the app's ``response_class``)."""

    def __init__(self, response: Any = None, status: Any = None, headers: Any = None, **kwargs):
        if not isinstance(headers, Headers):
            headers = CheckedHeaders(headers)
        super().__init__(response, status, headers, **kwargs)

    @classmethod
    def of_bytes(cls, body: bytes, content_type: str, status: int = 200) -> ApiResponse:
        """A response of ``body`` as it is: what ``cls(body, status, content_type=...)``
        makes, its two headers put in place rather than each set with a search of the
        headers (``content_type`` is a constant of the app, complete with its charset
        where it needs one)."""
        headers = CheckedHeaders([("Content-Type", content_type)])
        response = cls(None, status, headers)
        headers.add("Content-Length", str(len(body)))
        response.response = [body]
        return response

    def get_wsgi_headers(self, environ: dict) -> Headers:
        """werkzeug's, without checking every value a second time, for what almost
        every answer is: a 2xx (not 204) with no ``Location`` or ``Content-Location`` to
        make absolute. Anything else is werkzeug's own."""
        headers = self.headers
        status = self.status_code
        if type(headers) is not CheckedHeaders or not 200 <= status < 300 or status == 204:
            return super().get_wsgi_headers(environ)
        has_length = False
        for key, _ in headers._list:
            lower = key.lower()
            if lower == "content-length":
                has_length = True
            elif lower == "location" or lower == "content-location":
                return super().get_wsgi_headers(environ)
        copied = headers.copy()
        if not has_length and self.automatically_set_content_length and self.is_sequence:
            copied["Content-Length"] = str(sum(len(x) for x in self.iter_encoded()))
        return copied


def add_checked(headers: Headers, pairs: tuple[tuple[str, str], ...]) -> None:
    """Append ``pairs`` to ``headers``: ``str`` values the caller knows to have no line
    break (the app's constants, settings checked at start-up, hex digests, dates it
    formatted), as they are when ``headers`` are :class:`CheckedHeaders` (one list
    extension); each one added and checked otherwise (a static file's werkzeug headers)."""
    if type(headers) is CheckedHeaders:
        headers._list.extend(pairs)
    else:
        headers.extend(pairs)
