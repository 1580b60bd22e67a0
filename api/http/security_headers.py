"""Security headers on every response: API JSON, problems, 304s, the docs page, static files.

- ``X-Content-Type-Options: nosniff``: a browser never guesses a type other than the one
  sent (a JSON body is never run as a script or shown as HTML).
- ``Referrer-Policy: no-referrer``: nothing this service serves needs to tell another
  site where a reader came from, and API URLs (with their queries) stay private.
- ``Content-Security-Policy``: JSON and everything else that is not a page may load
  nothing and be framed by no one (``default-src 'none'; frame-ancestors 'none'``). An
  HTML page (the docs) may use same-origin scripts, styles, images and fetches only: no
  inline or foreign scripts, no plugins, no forms, no ``<base>``. Inline *styles* stay
  allowed because Swagger UI sets them. ``/explore`` shows the articles' images, which
  live on the publishers' sites, so its policy also allows ``https:`` images.

Responses granian itself produces before the app runs (a malformed request, or a head
over its buffer) carry none of this; they are empty 400/431 answers. See README "Security".
"""

from __future__ import annotations

from flask import Flask, Response, request

from .response import add_checked

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
# /explore shows article images from the publishers' sites.
IMAGES_PAGE_POLICY = PAGE_POLICY.replace("img-src 'self' data:", "img-src 'self' data: https:")
IMAGES_PAGES = frozenset({"explore"})  # blueprints
HEADERS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"))


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Runs for every response the app makes, errors and 304s included.

    A ``304`` carries no ``Content-Security-Policy``: a cache that revalidates replaces
    the stored response's headers with those of the 304 (RFC 9111, 4.3.4), and the
    stored 200 already has the policy of its own kind (page or JSON), which a bare 304
    cannot know. ``nosniff`` and the referrer policy are the same for all.
    """
    # Appended, all at once: no hook or view sets these (and no list scan).
    if response.status_code == 304:
        add_checked(response.headers, HEADERS)
    elif response.mimetype != "text/html" or request.method == "OPTIONS":
        add_checked(response.headers, _API_HEADERS)
    elif request.blueprint in IMAGES_PAGES:
        add_checked(response.headers, _IMAGES_PAGE_HEADERS)
    else:
        add_checked(response.headers, _PAGE_HEADERS)
    return response


_API_HEADERS = (*HEADERS, ("Content-Security-Policy", API_POLICY))
_PAGE_HEADERS = (*HEADERS, ("Content-Security-Policy", PAGE_POLICY))
_IMAGES_PAGE_HEADERS = (*HEADERS, ("Content-Security-Policy", IMAGES_PAGE_POLICY))
