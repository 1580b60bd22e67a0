"""Field selection (``fields=id,title,provider.name``): the names a client may ask for,
read from the response schemas, and the projection of a JSON item onto them."""

from __future__ import annotations

import difflib
from typing import Any

import marshmallow as ma


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
        super().__init__(metadata={"description": description, "example": "id,title"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> dict:
        names = [n.strip() for n in super()._deserialize(value, attr, data, **kwargs).split(",")]
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
