"""JSON codec for the wire and the stores: Decimal, date, datetime and UUID as strings."""
import datetime as dt
import json
import uuid
from decimal import Decimal


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime cannot be encoded; use timezone-aware UTC")
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"))


def canonical(value) -> str:
    """One text for equal values (keys sorted): what request digests hash."""
    return json.dumps(value, default=_default, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def loads(text):
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8")
    return json.loads(text)


def to_jsonable(value):
    """The value as plain JSON types (what a consumer receives from the bus)."""
    return loads(dumps(value))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
