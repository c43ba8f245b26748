"""Aggregates: pure state machines that decide and record domain events."""
from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class DomainEvent:
    """An event an aggregate decided on, before it has an envelope."""
    event_type: str
    payload: dict = field(default_factory=dict)


class Aggregate:
    """Base of every aggregate. Subclasses set ``aggregate_type`` and define a
    ``when_<event name>(payload)`` method per event that changes their state;
    command methods check rules, then call ``self.record(...)``."""

    aggregate_type: ClassVar[str] = ""

    def __init__(self, aggregate_id):
        self.id = str(aggregate_id)
        self.version = 0
        self._pending: list[DomainEvent] = []

    @classmethod
    def rehydrate(cls, aggregate_id, envelopes):
        aggregate = cls(aggregate_id)
        for envelope in envelopes:
            aggregate._apply(envelope.event_type, envelope.payload)
            aggregate.version = envelope.aggregate_version
        return aggregate

    @property
    def exists(self) -> bool:
        return self.version > 0 or bool(self._pending)

    def record(self, event_type: str, **payload) -> DomainEvent:
        event = DomainEvent(event_type, payload)
        self._apply(event_type, payload)
        self._pending.append(event)
        return event

    def _apply(self, event_type, payload):
        handler = getattr(self, "when_" + event_type.split(".", 1)[-1], None)
        if handler is not None:
            handler(payload)

    @property
    def pending_events(self) -> list[DomainEvent]:
        return list(self._pending)

    @property
    def saved_version(self) -> int:
        """The stream version this aggregate was loaded at (the optimistic lock)."""
        return self.version

    def mark_saved(self, new_version: int):
        self._pending.clear()
        self.version = new_version
