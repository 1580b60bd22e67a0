"""Custom fields shared by the seed, response and query schemas."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma

UTC = dt.UTC


# Dates outside these years are refused: nothing news-like lives there, and near the
# ends of Python's calendar time-zone shifts and timestamps overflow.
YEARS = range(1000, 9000)


def to_utc(value: dt.datetime) -> dt.datetime:
    """A timezone-aware UTC datetime; a naive value is taken as UTC.

    Raises ``ValueError`` for a year outside :data:`YEARS`.
    """
    if value.year not in YEARS:
        raise ValueError(f"year {value.year} is out of range")
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
        try:
            if isinstance(value, dt.datetime):
                return to_utc(value)
            if isinstance(value, dt.date):
                return to_utc(dt.datetime(value.year, value.month, value.day))
            if isinstance(value, str):
                return to_utc(dt.datetime.fromisoformat(value.strip()))
        except (ValueError, OverflowError):
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
        "invalid": "Not a valid date (YYYY-MM-DD) or date-time (RFC 3339), years 1000-8999.",
    }
    # How the spec says it (so schemathesis generates only values this field accepts).
    SPEC = {  # noqa: RUF012
        "anyOf": [{"format": "date"}, {"format": "date-time"}],
        "pattern": "^[1-8][0-9]{3}-",
    }

    def __init__(self, **kwargs) -> None:
        kwargs["metadata"] = {**self.SPEC, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[dt.datetime, bool]:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            if len(text) == 10:
                day = dt.date.fromisoformat(text)
                return to_utc(dt.datetime(day.year, day.month, day.day)), True
            return to_utc(dt.datetime.fromisoformat(text)), False
        except (ValueError, OverflowError) as exc:
            raise self.make_error("invalid") from exc


class Score(ma.fields.Float):
    """A number such as quality or heat; sent as an integer when it is whole (39, not 39.0)."""

    def _serialize(self, value, attr, obj, **kwargs) -> int | float | None:
        if value is None:
            return None
        number = float(value)
        return int(number) if number.is_integer() else number
