"""``/sync``: keep a copy in step. An initial sync pages through every article; its last
page's ``nextSyncUrl`` later answers only what was created, updated or deleted since
(history: :mod:`api.content.history`; tokens: :mod:`.sync_tokens`; decision 0017).

An initial sync walks the articles in id order, each page starting after the last id
sent, over whatever index is current; its token keeps the position where it began, so
the ``nextSyncUrl`` it ends with returns everything that changed during the walk too
(an article may then come twice: apply items as upserts and deletes). A delta's pages
are pinned to the span (from, to) its first page saw.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import orjson
from flask import Response, current_app, request, url_for
from flask.views import MethodView
from flask_smorest import abort

from schemas.sync import SyncPageSchema, SyncQueryArgsSchema

from ..content.history import History, StaleToken
from ..content.index import ContentIndex
from ..smorest import Blueprint
from ..store import current_index
from .listing import json_response
from .sync_tokens import (
    DeltaPage,
    InitialPage,
    MalformedToken,
    SyncToken,
    Token,
    decode,
    encode,
)

blp = Blueprint(
    "sync",
    __name__,
    url_prefix="/sync",
    description="Keep a copy in step: an initial sync of every article, then only what was "
    "created, updated or deleted since, with a token.",
)
SYNC_QUERY = SyncQueryArgsSchema()
RETRY_AFTER = "1"
START_AGAIN = "Start a new initial sync with GET /sync (no token)."


@blp.route("")
class Sync(MethodView):
    @blp.arguments(SYNC_QUERY, location="query")
    @blp.response(200, SyncPageSchema)
    @blp.alt_response(410, response="GONE")
    def get(self, query):
        """Sync articles

        Without `token`: an initial sync, every current article as a `created` item,
        in id order, a page at a time; follow `nextPageUrl` to the last page, whose
        `nextSyncUrl` is where to ask later. With the token of a `nextSyncUrl`: only the
        articles created, updated (their JSON changed) or deleted since, each once, in the
        order of their last change, paged the same way and ending with a new
        `nextSyncUrl`. Nothing changed: no items, and the same `nextSyncUrl`.

        Items carry the article as `/articles/{id}` sends it (not for `deleted`). Apply
        them as upserts and deletes: an article changed during an initial sync may come
        again in the next delta. A token from another server's content, or older than
        the history kept (`NEWS_API_SYNC_RETENTION_VERSIONS`, `_DAYS`), is a 410: start
        a new initial sync. Tokens survive restarts and reloads.
        """
        index = current_index()
        history: History = current_app.extensions["sync"].history
        store, current = history.store_id(), history.position_of(index)
        if store is None or current is None:
            abort(
                503,
                message="The sync history of this content version is not recorded yet; "
                "try again shortly.",
                headers={"Retry-After": RETRY_AFTER},
            )
        size = query["pageSize"]
        if "token" not in query:
            return _initial(index, InitialPage(store, current, ""), size)
        token = _read_token(query["token"], store)
        start = token.seq if isinstance(token, SyncToken) else token.start
        if start > history.latest():
            _bad_token("Not a position of this server's content.")
        try:
            history.check(start, current)
        except StaleToken:
            abort(
                410,
                message="This token is older than the change history kept. " + START_AGAIN,
            )
        if isinstance(token, InitialPage):
            if token.start > current:
                _not_there_yet()
            return _initial(index, token, size)
        if isinstance(token, SyncToken):
            if token.seq >= current:  # nothing since (or this replica is behind)
                return _page([], None, query["token"], index)
            token = DeltaPage(store, token.seq, current, 0)
        if token.stop > current:
            _not_there_yet()
        return _delta(index, history, token, size)


def _read_token(text: str, store: bytes) -> Token:
    try:
        token = decode(text)
    except MalformedToken as exc:
        _bad_token(str(exc))
    if token.store != store:
        abort(
            410,
            message="This token belongs to another content store (another folder or "
            "server, or a history started anew). " + START_AGAIN,
        )
    return token


def _bad_token(why: str) -> None:
    abort(400, messages={"query": {"token": [f"Not a sync token of this API: {why}"]}})


def _not_there_yet() -> None:
    abort(
        503,
        message="This server has not reached the content version of this token yet; "
        "try again shortly.",
        headers={"Retry-After": RETRY_AFTER},
    )


def _initial(index: ContentIndex, token: InitialPage, size: int) -> Response:
    ids, _ = index.ids_and_digests()
    start = bisect.bisect_right(ids, token.after_id) if token.after_id else 0
    page = ids[start : start + size]
    items = [_item("created", article_id, index.article_json(article_id)) for article_id in page]
    if start + size < len(ids):
        following = InitialPage(token.store, token.start, page[-1])
        return _page(items, encode(following), None, index)
    return _page(items, None, encode(SyncToken(token.store, token.start)), index)


def _delta(index: ContentIndex, history: History, token: DeltaPage, size: int) -> Response:
    items, last = [], None
    changes = history.changes(token.start, token.stop, token.after or None)
    for change in changes:
        if len(items) == size:  # one more exists: there is a next page
            following = DeltaPage(token.store, token.start, token.stop, last)
            return _page(items, encode(following), None, index)
        article = None if change.kind == "deleted" else index.article_json(change.id)
        # (Gone from a newer index than the span's end: deleted since, as the next
        # delta will say again.)
        items.append(_item("deleted" if article is None else change.kind, change.id, article))
        last = change.seq
    return _page(items, None, encode(SyncToken(token.store, token.stop)), index)


def _item(kind: str, article_id: str, article: bytes | None) -> bytes:
    head = b'{"kind":"' + kind.encode() + b'","id":' + orjson.dumps(article_id)
    return head + (b"}" if article is None else b',"article":' + article + b"}")


def _page(
    items: Iterable[bytes], next_page: str | None, next_sync: str | None, index: ContentIndex
) -> Response:
    body = (
        b'{"items":['
        + b",".join(items)
        + b'],"nextPageUrl":'
        + orjson.dumps(_url(next_page))
        + b',"nextSyncUrl":'
        + orjson.dumps(_url(next_sync))
        + b',"version":'
        + orjson.dumps(index.version)
        + b"}"
    )
    return json_response(body)


def _url(token: str | None) -> str | None:
    if token is None:
        return None
    size = request.args.get("pageSize")  # kept as the client gave it
    params = {"token": token} if size is None else {"token": token, "pageSize": size}
    return url_for("sync.Sync", _external=True, **params)
