"""The event catalog: one marshmallow schema per (event_type, event_version).

Payloads are validated when an event is appended (before it can reach the
outbox) and when it is consumed; an older version is upcast step by step to
the latest before the consumer sees it.
"""
from dataclasses import dataclass
from typing import Callable

from marshmallow import Schema, ValidationError

from ..envelope import Envelope, EnvelopeSchema


class InvalidEvent(Exception):
    """An event that does not match the catalog: unknown type or version, or a bad payload."""

    def __init__(self, reason, errors=None):
        super().__init__(reason, errors or {})
        self.reason = reason
        self.errors = errors or {}

    def __str__(self):
        return f"{self.reason}: {self.errors}" if self.errors else self.reason


@dataclass(frozen=True)
class EventSpec:
    event_type: str
    version: int
    schema: type[Schema]
    description: str


class EventCatalog:
    def __init__(self):
        self._specs: dict[tuple[str, int], EventSpec] = {}
        self._upcasters: dict[tuple[str, int], Callable[[dict], dict]] = {}
        self._schemas: dict[tuple[str, int], Schema] = {}
        self._envelope_schema = EnvelopeSchema()

    def event(self, event_type: str, version: int = 1, description: str = ""):
        """Class decorator registering a payload schema for (event_type, version)."""
        def register(schema_cls):
            key = (event_type, version)
            if key in self._specs:
                raise ValueError(f"{event_type} v{version} is registered twice")
            self._specs[key] = EventSpec(event_type, version, schema_cls,
                                         description or (schema_cls.__doc__ or "").strip())
            self._schemas[key] = schema_cls()
            return schema_cls
        return register

    def upcaster(self, event_type: str, from_version: int):
        """Function decorator: turns a payload of ``from_version`` (as JSON) into ``from_version + 1``."""
        def register(fn):
            self._upcasters[(event_type, from_version)] = fn
            return fn
        return register

    def latest_version(self, event_type: str) -> int:
        versions = [v for (t, v) in self._specs if t == event_type]
        if not versions:
            raise InvalidEvent(f"unknown event type {event_type!r}")
        return max(versions)

    def knows(self, event_type: str) -> bool:
        return any(t == event_type for (t, _) in self._specs)

    def _schema(self, event_type, version) -> Schema:
        try:
            return self._schemas[(event_type, version)]
        except KeyError:
            raise InvalidEvent(f"unknown event {event_type!r} version {version}") from None

    def dump_payload(self, event_type: str, version: int, payload: dict) -> dict:
        """Typed payload -> JSON-ready dict, validated against the schema."""
        schema = self._schema(event_type, version)
        data = schema.dump(payload)
        errors = schema.validate(data)
        if errors:
            raise InvalidEvent(f"payload of {event_type} v{version} is invalid", errors)
        return data

    def load_payload(self, event_type: str, version: int, data: dict) -> tuple[int, dict]:
        """JSON payload of any known version -> (latest version, typed payload)."""
        self._schema(event_type, version)
        latest = self.latest_version(event_type)
        while version < latest:
            upcast = self._upcasters.get((event_type, version))
            if upcast is None:
                raise InvalidEvent(f"no upcaster for {event_type} v{version}")
            data = upcast(dict(data))
            version += 1
        try:
            return version, self._schema(event_type, version).load(data)
        except ValidationError as exc:
            raise InvalidEvent(f"payload of {event_type} v{version} is invalid", exc.messages) from None

    def to_wire(self, envelope: Envelope) -> dict:
        """The envelope as the JSON-ready dict that goes on the bus and into stores."""
        return {**envelope.header_dict(),
                "payload": self.dump_payload(envelope.event_type, envelope.event_version,
                                             envelope.payload)}

    def from_wire(self, body) -> Envelope:
        """Validate a received envelope dict and return it upcast and typed."""
        if not isinstance(body, dict):
            raise InvalidEvent("message body is not a JSON object")
        try:
            header = self._envelope_schema.load(body)
        except ValidationError as exc:
            raise InvalidEvent("envelope is invalid", exc.messages) from None
        version, payload = self.load_payload(header["event_type"], header["event_version"],
                                             header["payload"])
        header["event_id"] = str(header["event_id"])
        header.update(payload=payload, event_version=version)
        return Envelope(**header)

    def describe(self) -> list[dict]:
        """The catalog as data, for people and systems that subscribe."""
        out = []
        for (event_type, version), spec in sorted(self._specs.items()):
            fields_ = {name: type(f).__name__ for name, f in self._schemas[(event_type, version)].fields.items()}
            out.append({"event_type": event_type, "event_version": version,
                        "description": spec.description, "payload_fields": fields_})
        return out
