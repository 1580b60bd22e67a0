"""A schema's ``load`` for query strings that pass, at a fraction of the cost.

Distinct query strings mostly combine parameter values seen before (a topic, a sort, a
page number), so :class:`FastLoad` deserializes each ``(parameter, raw value)`` once
with the schema's own field (its type, validators and error) and keeps the result in a
bounded LRU memo; a request then costs the schema's own ``pre_load`` hooks, one memo
look-up per parameter given, the defaults of the others and the schema's own
``post_load`` hooks (which may read settings, so they always run).

Only a query that passes is answered here. Anything else (an unknown or repeated
parameter, a value its field refuses, a hook's error) returns None, and the caller runs
the ordinary ``schema.load``, which raises exactly the error it always did: the
problem documents are the schema's, whatever this module does.

What this relies on, checked when a schema is compiled (else the fast path is off for
it, and :attr:`FastLoad.enabled` says so): no ``@validates``/``@validates_schema``
hooks, no ``pass_original`` processors, ``unknown=RAISE``, and no field whose
result depends on other parameters (marshmallow passes a field the whole input; query
fields read only their own value). Values are shared between requests, so a view
must not change what it is given in place (lists are handed out as fresh copies).
``tests/test_fast_load.py`` compares both paths on many queries.

marshmallow's ``_hooks`` (the resolved processor names) is private API; the test
above fails if a marshmallow release changes what it means.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import marshmallow as ma
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA

MEMO_SIZE = 4096  # (parameter, value) pairs per schema
MEMO_MAX_CHARS = 200  # longer values are parsed every time (the memo stays small)


class _Sentinel:
    """A marker that stays itself when a schema is copied (flask-smorest deep-copies
    schemas into its docs)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"

    def __copy__(self) -> _Sentinel:
        return self

    def __deepcopy__(self, memo: dict) -> _Sentinel:
        return self


_INVALID = _Sentinel("invalid")  # memoized: the field refuses this value
_ABSENT = _Sentinel("absent")  # not given, no default: left out of the result


class _List(tuple):
    """A field's list result, memoized immutable; each request gets a fresh list."""

    __slots__ = ()


def _processors(schema: ma.Schema, tag: str) -> tuple[Callable, ...] | None:
    """The schema's processors for ``tag`` in marshmallow's order (collection ones
    first), bound; None if one needs what this path does not give (the original data)."""
    hooks = schema._hooks[tag]
    if any(kwargs.get("pass_original") for _, _, kwargs in hooks):
        return None
    ordered = [name for name, many, _ in hooks if many] + [
        name for name, many, _ in hooks if not many
    ]
    return tuple(getattr(schema, name) for name in ordered)


class FastLoad:
    """``schema.load(data)`` for data that loads without error; None otherwise."""

    def __init__(self, schema: ma.Schema) -> None:
        self.schema = schema
        pre, post = _processors(schema, PRE_LOAD), _processors(schema, POST_LOAD)
        self.enabled = (
            pre is not None
            and post is not None
            and not schema._hooks[VALIDATES]
            and not schema._hooks[VALIDATES_SCHEMA]
            and schema.unknown == ma.RAISE
            and not schema.many
            and not schema.partial
        )
        self.pre, self.post = pre or (), post or ()
        # Each parameter's field and attribute, and what the absent ones load as, worked
        # out once: ``template`` has every attribute in load()'s order, with its fixed
        # default or _ABSENT; ``made`` the defaults made anew each time (``list``).
        self.fields: dict[str, ma.fields.Field] = {}
        self.attributes: dict[str, str] = {}
        self.template: dict[str, Any] = {}
        self.made: list[tuple[str, Callable[[], Any]]] = []
        required = []
        for name, field in schema.load_fields.items():
            key = field.data_key if field.data_key is not None else name
            attribute = field.attribute or name
            self.fields[key] = field
            self.attributes[key] = attribute
            self.template[attribute] = _ABSENT
            if field.required:
                required.append(key)
            elif callable(field.load_default):
                self.made.append((attribute, field.load_default))
            elif field.load_default is not ma.missing:
                self.template[attribute] = field.load_default
        self.required = frozenset(required)
        self.value = functools.lru_cache(maxsize=MEMO_SIZE)(self._deserialize)

    def _deserialize(self, key: str, raw: str | tuple[str, ...]) -> Any:
        field = self.fields[key]
        try:
            value = field.deserialize(list(raw) if isinstance(raw, tuple) else raw, key, {})
        except ma.ValidationError:
            return _INVALID
        return _List(value) if isinstance(value, list) else value

    def __call__(self, data: Mapping[str, Any]) -> dict[str, Any] | None:
        """The loaded arguments, or None: then ``schema.load(data)`` says what is wrong."""
        if not self.enabled:
            return None
        fields, partial = self.fields, self.schema.partial
        for name in data:
            if name not in fields:
                return None
        try:
            for processor in self.pre:
                data = processor(data, many=False, partial=partial, unknown=ma.RAISE)
            if not self.required.issubset(data):
                return None  # load() names what is missing
            # The defaults, then each parameter given (a hook may have changed the data:
            # anything but a known parameter is load()'s to refuse), then what is left
            # absent taken out.
            result = self.template.copy()
            for attribute, make in self.made:
                result[attribute] = make()
            memo, attributes = self.value, self.attributes
            for key, raw in data.items():
                attribute = attributes.get(key)
                if attribute is None:
                    return None
                hashable = tuple(raw) if isinstance(raw, list) else raw
                if not isinstance(hashable, str | tuple) or _too_long(hashable):
                    value = self._deserialize(key, hashable)
                else:
                    value = memo(key, hashable)
                if value is _INVALID:
                    return None
                result[attribute] = list(value) if type(value) is _List else value
            result = {name: value for name, value in result.items() if value is not _ABSENT}
            for processor in self.post:
                result = processor(result, many=False, partial=partial, unknown=ma.RAISE)
        except ma.ValidationError:
            return None
        return result


def _too_long(raw: str | tuple[str, ...]) -> bool:
    if isinstance(raw, str):
        return len(raw) > MEMO_MAX_CHARS
    return sum(map(len, raw)) > MEMO_MAX_CHARS
