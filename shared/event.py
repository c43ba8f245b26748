"""Domain events as classes: each event type is one class holding its fields,
its version and the upcasters from its older versions.

The fields are marshmallow fields declared on the class, as on a schema; the
class builds its schema from them, so the event an aggregate constructs, the
payload the store writes, the JSON Schema the catalog publishes and the
validation a consumer runs all come from one declaration::

    class OrgRenamed(Event):
        event_type = "orgs.org_renamed"
        name = fields.String(required=True)
        previous_name = fields.String(required=True)
        renamed_on = fields.Date(required=True)

    OrgRenamed(name="x", previous_name="y", renamed_on=dt.date(2024, 1, 1))

A mistyped, missing or invalid field fails right there (``InvalidEvent``), in the domain's own
unit test, not when the event is saved. A class without ``event_type`` is a
base of shared fields (the member's state after every member event).

Versions and upcasters (as in pyeventsourcing): a class at ``event_version =
3`` defines ``upcast_v1_v2`` and ``upcast_v2_v3``, static methods turning a
stored payload (JSON) of one version into the next; the store and the bus
load older events through them.

Reading back what the store wrote (``decode``) skips validation: every stored
payload was validated when its event was constructed, and replaying a long
log through marshmallow's ``load`` costs ten times the database read.
"""
import datetime as dt
import decimal
from typing import Callable, ClassVar

from marshmallow import Schema, fields, missing

_UPCASTER = "upcast_v{}_v{}"


class InvalidEvent(Exception):
    """An event that does not match its class or the catalog: unknown type or
    version, or a bad payload (``errors`` per field, as marshmallow gives them)."""

    def __init__(self, reason, errors=None):
        super().__init__(reason, errors or {})
        self.reason = reason
        self.errors = errors or {}

    def __str__(self):
        return f"{self.reason}: {self.errors}" if self.errors else self.reason


_RESERVED = {"event_type", "event_version", "description", "schema", "payload_fields", "required_fields",
             "upcasters", "decode", "upcast", "payload", "wire"}


class Event:
    event_type: ClassVar[str] = ""
    event_version: ClassVar[int] = 1
    description: ClassVar[str] = ""
    schema: ClassVar[Schema]
    payload_fields: ClassVar[dict[str, fields.Field]] = {}
    required_fields: ClassVar[frozenset] = frozenset()
    upcasters: ClassVar[dict[int, Callable[[dict], dict]]] = {}
    decode: ClassVar[Callable[[dict], dict]]

    __slots__ = ("payload", "wire")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = {name: value for name, value in vars(cls).items() if isinstance(value, fields.Field)}
        for name in own:
            delattr(cls, name)  # an instance's attribute of that name is its payload value
        cls.payload_fields = {**cls.payload_fields, **own}
        clashes = set(cls.payload_fields) & _RESERVED
        if clashes:
            raise TypeError(f"{cls.__name__}: field names {sorted(clashes)} are reserved")
        cls.required_fields = frozenset(n for n, field in cls.payload_fields.items() if field.required)
        cls.schema = Schema.from_dict(cls.payload_fields, name=f"{cls.__name__}Schema")()
        cls.decode = staticmethod(payload_decoder(cls.schema))
        cls.description = " ".join((cls.__doc__ or "").split()) if "__doc__" in vars(cls) else ""
        cls.upcasters = {}
        if cls.event_type:
            for version in range(1, cls.event_version):
                upcast = getattr(cls, _UPCASTER.format(version, version + 1), None)
                if upcast is None:
                    raise TypeError(f"{cls.__name__} is at v{cls.event_version} but has no "
                                    f"{_UPCASTER.format(version, version + 1)}")
                cls.upcasters[version] = upcast

    def __init__(self, **payload):
        cls = type(self)
        if not cls.event_type:
            raise TypeError(f"{cls.__name__} is a base of shared fields, not an event")
        unknown = payload.keys() - cls.payload_fields.keys()
        absent = cls.required_fields - payload.keys()
        if unknown or absent:  # the messages marshmallow gives for the same mistakes
            raise InvalidEvent(f"{cls.__name__} was given the wrong fields",
                               {**{name: ["Unknown field."] for name in sorted(unknown)},
                                **{name: ["Missing data for required field."] for name in sorted(absent)}})
        try:
            wire = cls.schema.dump(payload)
        except (TypeError, ValueError, AttributeError, ArithmeticError):
            raise InvalidEvent(f"{cls.__name__} is invalid", _dump_errors(cls, payload)) from None
        errors = cls.schema.validate(wire)
        if errors:
            raise InvalidEvent(f"{cls.__name__} is invalid", errors)
        self.payload = payload
        self.wire = wire

    def __getattr__(self, name):
        if name in Event.__slots__:  # not set yet: __init__ refused the payload
            raise AttributeError(name)
        try:
            return self.payload[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None

    def __eq__(self, other):
        return type(other) is type(self) and other.payload == self.payload

    __hash__ = None

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.payload.items())})"

    @classmethod
    def upcast(cls, version: int, data: dict) -> dict:
        """A stored payload of ``version`` (JSON) as the current version's JSON."""
        if not 1 <= version <= cls.event_version:
            raise InvalidEvent(f"unknown event {cls.event_type!r} version {version}")
        while version < cls.event_version:
            data = cls.upcasters[version](dict(data))
            version += 1
        return data


def _dump_errors(cls, payload) -> dict:
    """Which fields could not be turned into JSON (a str for a date...)."""
    errors = {}
    for name, value in payload.items():
        try:
            cls.payload_fields[name].serialize(name, payload)
        except (TypeError, ValueError, AttributeError, ArithmeticError) as exc:
            errors[name] = [f"cannot be stored as {type(cls.payload_fields[name]).__name__}: "
                            f"{type(value).__name__} ({exc})"]
    return errors


# ---- decoding without validation ---------------------------------------------------------
# Each field type's JSON value to its Python value, as marshmallow's load
# gives it; tests/unit/kernel/test_event_classes.py checks that every
# registered event decodes as ``schema.load`` does. A decoder changes the
# dict it is given (json.loads made it, nobody else holds it) and converts
# only the fields whose JSON form is not already their Python value.

_SCALARS = {fields.Date: dt.date.fromisoformat, fields.AwareDateTime: dt.datetime.fromisoformat,
            fields.DateTime: dt.datetime.fromisoformat, fields.Decimal: decimal.Decimal}
_AS_IS = (fields.String, fields.Integer, fields.Boolean, fields.Dict, fields.Raw, fields.UUID)


def field_decoder(field: fields.Field) -> Callable | None:
    """The conversion of one non-null JSON value, None if it is used as is."""
    if isinstance(field, fields.Nested):
        inner = payload_decoder(field.schema)
        return (lambda items: [inner(item) for item in items]) if field.many else inner
    if isinstance(field, fields.List):
        inner = field_decoder(field.inner)
        return None if inner is None else (lambda items: [inner(item) for item in items])
    for kind in type(field).__mro__:
        if kind in _SCALARS:
            return _SCALARS[kind]
    if isinstance(field, _AS_IS):
        return None
    raise TypeError(f"no decoder for {type(field).__name__}")


def payload_decoder(schema: Schema) -> Callable[[dict], dict]:
    """A function turning a stored payload into what ``schema.load`` returns,
    without validating it (missing keys take their ``load_default``)."""
    conversions, defaults = [], []
    for name, field in schema.fields.items():
        if field.data_key not in (None, name):
            raise TypeError(f"{name}: event fields keep their names on the wire")
        convert = field_decoder(field)
        if convert is not None:
            conversions.append((name, convert))
        if field.load_default is not missing:
            defaults.append((name, field.load_default))

    def decode(data: dict) -> dict:
        for name, convert in conversions:
            value = data.get(name)
            if value is not None:
                data[name] = convert(value)
        for name, default in defaults:
            if name not in data:
                data[name] = default() if callable(default) else default
        return data
    return decode
