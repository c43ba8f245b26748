"""What every service's RPC entrypoints do with their arguments and answers:
validate input with a contract schema (InvalidInput naming the fields),
check ids, and dump answers as plain JSON values."""
import datetime as dt
from functools import cache

from marshmallow import ValidationError

from .codec import to_jsonable
from .errors import InvalidInput


@cache
def schema(schema_cls):
    return schema_cls()


def valid(schema_cls, data) -> dict:
    try:
        return schema(schema_cls).load({} if data is None else data)
    except ValidationError as exc:
        raise InvalidInput("the request is invalid", fields=exc.messages) from None


def identifier(value, field="id") -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise InvalidInput(f"{field} must be a string of 1 to 64 characters", {field: repr(value)[:80]})
    return value


def out(schema_cls, value, many=False):
    return to_jsonable(schema(schema_cls).dump(value, many=many))


def today() -> dt.date:
    return dt.date.today()
