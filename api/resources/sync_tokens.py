"""Sync tokens: opaque, URL-safe positions in a content store's sync history.

A token is base64url (no padding) of a small binary payload and an 8-byte keyed
blake2b of it, so a token this API did not make (garbage, a typo, a cut-off copy) is
told apart from a real one and answered 400. The payload names the store (its random
id: a token from another store is a 410, never read against this one) and one of:

- ``S`` (a sync position): the history position (version ``seq``) the client is at;
  ``nextSyncUrl`` carries it;
- ``D`` (a page of a delta): from and to positions and the last change ``seq`` sent;
- ``I`` (a page of an initial sync): the position the sync started at and the last id
  sent.

Tokens hold nothing secret (the content is public): the digest checks integrity only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

FORMAT = 1
_KEY = b"news-content-api/sync-token"
_MAC_SIZE = 8
_HEAD = struct.Struct(">Bc8s")  # format, kind, store id
_POSITION = struct.Struct(">Q")
_DELTA = struct.Struct(">QQQ")
MAX_LENGTH = 2048  # characters; an initial-sync token holds an id (at most 300 characters)


class MalformedToken(ValueError):
    """Not a token this API made."""


@dataclass(frozen=True)
class SyncToken:
    """Where a client is: after position ``seq`` (``S``)."""

    store: bytes
    seq: int


@dataclass(frozen=True)
class DeltaPage:
    """The next page of the changes after ``start`` up to ``stop``, after change ``after``."""

    store: bytes
    start: int
    stop: int
    after: int


@dataclass(frozen=True)
class InitialPage:
    """The next page of an initial sync begun at position ``start``, after ``after_id``."""

    store: bytes
    start: int
    after_id: str


Token = SyncToken | DeltaPage | InitialPage


def encode(token: Token) -> str:
    if isinstance(token, SyncToken):
        payload = _HEAD.pack(FORMAT, b"S", token.store) + _POSITION.pack(token.seq)
    elif isinstance(token, DeltaPage):
        body = _DELTA.pack(token.start, token.stop, token.after)
        payload = _HEAD.pack(FORMAT, b"D", token.store) + body
    else:
        body = _POSITION.pack(token.start) + token.after_id.encode()
        payload = _HEAD.pack(FORMAT, b"I", token.store) + body
    raw = payload + _mac(payload)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(text: str) -> Token:
    """The token ``text`` stands for; :class:`MalformedToken` if this API did not make it."""
    if not text or len(text) > MAX_LENGTH:
        raise MalformedToken("Empty or too long.")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedToken("Not base64url.") from exc
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != text:
        raise MalformedToken("Not base64url as this API writes it.")  # e.g. spare bits set
    payload, mac = raw[:-_MAC_SIZE], raw[-_MAC_SIZE:]
    if len(payload) < _HEAD.size or mac != _mac(payload):
        raise MalformedToken("Not a token this API made.")
    version, kind, store = _HEAD.unpack_from(payload)
    body = payload[_HEAD.size :]
    try:
        if version != FORMAT:
            raise MalformedToken("A token of another format.")
        if kind == b"S" and len(body) == _POSITION.size:
            return SyncToken(store, *_POSITION.unpack(body))
        if kind == b"D" and len(body) == _DELTA.size:
            return DeltaPage(store, *_DELTA.unpack(body))
        if kind == b"I" and len(body) >= _POSITION.size:
            (start,) = _POSITION.unpack_from(body)
            return InitialPage(store, start, body[_POSITION.size :].decode())
    except UnicodeDecodeError as exc:
        raise MalformedToken("Not a token this API made.") from exc
    raise MalformedToken("Not a token this API made.")


def _mac(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=_MAC_SIZE, key=_KEY).digest()
