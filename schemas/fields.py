"""Custom fields shared by the seed, response and query schemas."""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

import marshmallow as ma

UTC = dt.UTC


def to_utc(value: dt.datetime) -> dt.datetime:
    """A timezone-aware UTC datetime; a naive value is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def rfc3339(value: dt.datetime) -> str:
    """``2021-06-17T17:16:00Z``: RFC 3339, UTC, ``Z`` suffix."""
    return to_utc(value).isoformat().replace("+00:00", "Z")


class Timestamp(ma.fields.DateTime):
    """An RFC 3339 UTC timestamp.

    Reads what YAML and people write: datetimes (YAML parses unquoted ones itself),
    dates (midnight UTC) and ISO 8601 strings. A value without a timezone is UTC.
    Always sends ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``.
    """

    def _deserialize(self, value: Any, attr, data, **kwargs) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return to_utc(value)
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
        if isinstance(value, str):
            try:
                return to_utc(dt.datetime.fromisoformat(value.strip()))
            except ValueError:
                pass
        raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)

    def _serialize(self, value: dt.datetime | None, attr, obj, **kwargs) -> str | None:
        return None if value is None else rfc3339(value)


class DateOrTimestamp(ma.fields.String):
    """A query bound: a date (``2021-06-17``) or an RFC 3339 date-time.

    Loads to ``(datetime, date_only)`` so the caller can treat a bare date as the
    whole day.
    """

    default_error_messages = {  # noqa: RUF012 (marshmallow merges these per class)
        "invalid": "Not a valid date (YYYY-MM-DD) or date-time (RFC 3339).",
    }

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[dt.datetime, bool]:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            if len(text) == 10:
                day = dt.date.fromisoformat(text)
                return dt.datetime(day.year, day.month, day.day, tzinfo=UTC), True
            return to_utc(dt.datetime.fromisoformat(text)), False
        except ValueError as exc:
            raise self.make_error("invalid") from exc


class Score(ma.fields.Float):
    """A number such as quality or heat; sent as an integer when it is whole (39, not 39.0)."""

    def _serialize(self, value, attr, obj, **kwargs) -> int | float | None:
        if value is None:
            return None
        number = float(value)
        return int(number) if number.is_integer() else number


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
