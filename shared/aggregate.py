"""Aggregates: pure state machines that decide and record domain events.

A command method checks the rules, then records an event object
(``shared.event``); a method marked ``@when(EventClass)`` applies it to the
state, both when it is recorded and when the stream is loaded again. Every
event an aggregate records or loads must have an applier: a missing one is an
error at once, not a silently unchanged state.
"""
from typing import Callable, ClassVar

from .event import Event


def when(*event_classes: type[Event]):
    """Mark an aggregate method ``(self, payload)`` as the applier of ``event_classes``."""
    def mark(method):
        method.applies_events = event_classes
        return method
    return mark


class Aggregate:
    """Base of every aggregate. Subclasses set ``aggregate_type``."""

    aggregate_type: ClassVar[str] = ""
    appliers: ClassVar[dict[str, Callable]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        appliers = {}
        for klass in reversed(cls.__mro__):  # mixins (the member's pipeline, status...) included
            for attribute in vars(klass).values():
                for event_cls in getattr(attribute, "applies_events", ()):
                    appliers[event_cls.event_type] = attribute
        cls.appliers = appliers

    def __init__(self, aggregate_id):
        self.id = str(aggregate_id)
        self.version = 0
        self._pending: list[Event] = []

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

    def record(self, event: Event) -> Event:
        self._apply(event.event_type, event.payload)
        self._pending.append(event)
        return event

    def _apply(self, event_type: str, payload: dict):
        try:
            applier = self.appliers[event_type]
        except KeyError:
            raise TypeError(f"{type(self).__name__} has no applier for {event_type}") from None
        applier(self, payload)

    @property
    def pending_events(self) -> list[Event]:
        return list(self._pending)

    @property
    def saved_version(self) -> int:
        """The stream version this aggregate was loaded at (the optimistic lock)."""
        return self.version

    def mark_saved(self, new_version: int):
        self._pending.clear()
        self.version = new_version
