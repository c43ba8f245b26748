"""The event envelope: the same fields on the bus and in every store."""
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import NamedTuple

from marshmallow import Schema, fields, validate

from .codec import utcnow

EVENT_TYPE_PATTERN = r"^[a-z]+\.[a-z][a-z0-9_]*$"


class EnvelopeSchema(Schema):
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True, validate=validate.Regexp(EVENT_TYPE_PATTERN))
    event_version = fields.Integer(required=True, validate=validate.Range(min=1))
    aggregate_type = fields.String(required=True)
    aggregate_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    aggregate_version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    correlation_id = fields.String(required=True, allow_none=True)
    causation_id = fields.String(required=True, allow_none=True)
    actor = fields.String(required=True, allow_none=True)
    payload = fields.Dict(required=True)


class _EnvelopeFields(NamedTuple):
    event_type: str
    event_version: int
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int
    payload: dict
    event_id: str
    occurred_at: dt.datetime
    correlation_id: str | None
    causation_id: str | None
    actor: str | None


class Envelope(_EnvelopeFields):
    """One event with its header, immutable.

    A named tuple rather than a dataclass: a replay builds one per stored row,
    and a tuple is made in one step (the store's reader calls
    ``tuple.__new__`` with the row's values) and, holding no containers but
    its payload, leaves the cyclic collector little to trace; as a frozen
    dataclass, making envelopes and collecting them was half of reading the
    log (bench/peer.py, profiled with py-spy)."""
    __slots__ = ()

    def __new__(cls, event_type: str, event_version: int, aggregate_type: str, aggregate_id: str,
                aggregate_version: int, payload: dict, event_id: str | None = None,
                occurred_at: dt.datetime | None = None, correlation_id: str | None = None,
                causation_id: str | None = None, actor: str | None = None):
        return tuple.__new__(cls, (event_type, event_version, aggregate_type, aggregate_id, aggregate_version,
                                   payload, event_id or str(uuid.uuid4()), occurred_at or utcnow(),
                                   correlation_id, causation_id, actor))

    def header_dict(self) -> dict:
        """Every field but the payload, as JSON-ready values."""
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "event_version": self.event_version,
            "aggregate_type": self.aggregate_type,
            "aggregate_id": self.aggregate_id,
            "aggregate_version": self.aggregate_version,
            "occurred_at": self.occurred_at.isoformat(),
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "actor": self.actor,
        }

    def with_payload(self, payload, event_version=None):
        return self._replace(payload=payload, event_version=event_version or self.event_version)


@dataclass(frozen=True)
class CommandContext:
    """Who asked, and on behalf of which conversation; copied into every envelope."""
    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None

    def caused_by(self, envelope: Envelope) -> "CommandContext":
        return CommandContext(
            actor=self.actor or envelope.actor,
            correlation_id=envelope.correlation_id or envelope.event_id,
            causation_id=envelope.event_id,
        )
