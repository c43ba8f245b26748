"""The event catalog: every event class of the platform, by event type.

Payloads are validated when an event is constructed (``shared.event``) and
again when a consumer receives it from the bus; a stored or received event
of an older version is upcast by its class to the current one first.
"""
from marshmallow import ValidationError

from ..envelope import Envelope, EnvelopeSchema
from ..event import Event, InvalidEvent


class EventCatalog:
    def __init__(self):
        self._classes: dict[str, type[Event]] = {}
        self._envelope_schema = EnvelopeSchema()

    def register(self, event_cls: type[Event]) -> type[Event]:
        """Class decorator: the catalog knows ``event_cls`` by its event type."""
        if not event_cls.event_type:
            raise TypeError(f"{event_cls.__name__} has no event_type")
        known = self._classes.get(event_cls.event_type)
        if known is not None and known is not event_cls:
            raise ValueError(f"{event_cls.event_type} is registered twice")
        self._classes[event_cls.event_type] = event_cls
        return event_cls

    def event_class(self, event_type: str) -> type[Event]:
        try:
            return self._classes[event_type]
        except KeyError:
            raise InvalidEvent(f"unknown event type {event_type!r}") from None

    def latest_version(self, event_type: str) -> int:
        return self.event_class(event_type).event_version

    def knows(self, event_type: str) -> bool:
        return event_type in self._classes

    def __iter__(self):
        return iter(sorted(self._classes.values(), key=lambda cls: cls.event_type))

    def dump_payload(self, event_type: str, payload: dict) -> dict:
        """Typed payload -> JSON-ready dict, validated by its class."""
        return self.event_class(event_type)(**payload).wire

    def load_payload(self, event_type: str, version: int, data: dict) -> tuple[int, dict]:
        """JSON payload of any known version -> (current version, typed payload), validated."""
        cls = self.event_class(event_type)
        data = cls.upcast(version, data)
        try:
            return cls.event_version, cls.schema.load(data)
        except ValidationError as exc:
            raise InvalidEvent(f"payload of {event_type} v{cls.event_version} is invalid",
                               exc.messages) from None

    def decode_payload(self, event_type: str, version: int, data: dict) -> tuple[int, dict]:
        """A payload this platform's store wrote (so validated when it was
        constructed) -> (current version, typed payload), without validating again."""
        cls = self.event_class(event_type)
        if version != cls.event_version:
            data = cls.upcast(version, data)
        return cls.event_version, cls.decode(data)

    def to_wire(self, envelope: Envelope) -> dict:
        """The envelope as the JSON-ready dict that goes on the bus and into stores."""
        return {**envelope.header_dict(), "payload": self.dump_payload(envelope.event_type, envelope.payload)}

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
        """The catalog as data, for people and systems that subscribe: each
        event type, its version, what it means and its payload's JSON Schema."""
        return [{"event_type": cls.event_type, "event_version": cls.event_version,
                 "description": cls.description, "payload_schema": json_schema(cls)}
                for cls in self]


def json_schema(event_cls: type[Event]) -> dict:
    """The JSON Schema (2020-12) of ``event_cls``'s payload, from its fields."""
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin
    from apispec.ext.marshmallow.openapi import OpenAPIConverter

    plugin = MarshmallowPlugin(schema_name_resolver=lambda schema: None)  # nested schemas inline
    spec = APISpec("eJia events", "1", "3.1.0", plugins=[plugin])
    converter = OpenAPIConverter("3.1.0", plugin.schema_name_resolver, spec)
    schema = converter.schema2jsonschema(event_cls.schema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": event_cls.event_type,
            "description": event_cls.description, **schema}


catalog = EventCatalog()
"""The platform's one catalog: every event class of every service registers here."""
