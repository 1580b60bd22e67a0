"""Field selection (``fields=id,title,provider.name``): the names a client may ask for,
read from the response schemas, and the projection of a JSON item onto them."""

from __future__ import annotations

import difflib
import re
from typing import Any

import marshmallow as ma


class SelectableSchema(ma.Schema):
    """A response schema whose fields ``fields=`` may leave out.

    Every field is sent unless the request selects fewer, so the spec cannot call any of
    them required (schemathesis found responses to ``fields=id`` "missing" required
    properties). apispec reads ``partial`` to leave ``required`` out; a response schema
    is only dumped, never loaded, so ``partial`` changes nothing else.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


def field_paths(schema: ma.Schema) -> list[str]:
    """Every field a client may select from what ``schema`` sends: ``provider``,
    ``provider.name``… (a list of nested items is selected into the same way)."""
    paths = []
    for name, field in schema.dump_fields.items():
        paths.append(name)
        inner = field.inner if isinstance(field, ma.fields.List) else field
        if isinstance(inner, ma.fields.Nested):
            paths += [f"{name}.{sub}" for sub in field_paths(inner.schema)]
    return paths


_BLANKS = " \t\n\r\f\v"  # the same in Python and in the spec's pattern
_BLANK = r"[ \t\n\r\f\v]"


class FieldSelection(ma.fields.String):
    """``fields=id,title,provider.name``: which fields of each item to send.

    Loads to a selection tree (``{"id": None, "provider": {"name": None}}``; None: the
    whole field). An unknown name is an error that suggests the closest known one.
    """

    def __init__(self, schema: type[ma.Schema], **kwargs) -> None:
        self.allowed = field_paths(schema())
        description = (
            "Send only these fields of each item, comma-separated; dots select inside "
            "objects and lists (`provider.name`, `images.url`). One of: "
            + ", ".join(f"`{p}`" for p in self.allowed)
            + "."
        )
        example = ",".join(self.allowed[:2])  # a valid selection for this schema
        super().__init__(
            metadata={"description": description, "example": example, "pattern": self.pattern()},
            **kwargs,
        )

    def pattern(self) -> str:
        """The regular expression of what :meth:`_deserialize` accepts, for the spec: at
        least one known name; around names, blanks and empty items are passed over."""
        name = "(?:" + "|".join(re.escape(p) for p in self.allowed) + ")"
        return rf"^(?:{_BLANK}*,)*{_BLANK}*{name}{_BLANK}*(?:,{_BLANK}*(?:{name}{_BLANK}*)?)*$"

    def _deserialize(self, value, attr, data, **kwargs) -> dict:
        text = super()._deserialize(value, attr, data, **kwargs)
        names = [n.strip(_BLANKS) for n in text.split(",")]
        tree: dict = {}
        for name in filter(None, names):
            if name not in self.allowed:
                close = difflib.get_close_matches(name, self.allowed, n=1, cutoff=0.5)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                raise ma.ValidationError(f"Unknown field '{name}'.{hint}")
            node = tree
            *parents, leaf = name.split(".")
            for part in parents:
                if node.get(part, {}) is None:
                    break  # the whole parent is selected already
                node = node.setdefault(part, {})
            else:
                node[leaf] = None
        if not tree:
            raise ma.ValidationError("Name at least one field.")
        return tree


def project(value: Any, tree: dict | None) -> Any:
    """``value`` (parsed JSON) reduced to the fields of a selection ``tree``."""
    if tree is None or value is None:
        return value
    if isinstance(value, list):
        return [project(item, tree) for item in value]
    return {key: project(item, tree[key]) for key, item in value.items() if key in tree}
