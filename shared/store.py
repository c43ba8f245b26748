"""The event store: append with optimistic concurrency, load a stream, read the log.

Appending also writes each event to the outbox and runs the service's inline
projectors, all in the caller's transaction: either all of it commits or
none of it does.
"""
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from . import codec
from .aggregate import Aggregate
from .event import Event
from .catalog import EventCatalog
from .envelope import CommandContext, Envelope
from .errors import Conflict, NotFound
from .tables import events, outbox

Projector = Callable[[object, Envelope], None]


class EventStore:
    def __init__(self, service: str, catalog: EventCatalog, projectors: Iterable[Projector] = ()):
        self.service = service
        self.exchange = f"{service}.events"
        self.catalog = catalog
        self.projectors = list(projectors)

    def append(self, conn, aggregate_type: str, aggregate_id: str, expected_version: int,
               new_events: list[Event], context: CommandContext | None = None) -> list[Envelope]:
        """Append ``new_events`` after ``expected_version``; raise Conflict if the
        stream has moved on since it was read."""
        context = context or CommandContext()
        envelopes, event_rows, outbox_rows = [], [], []
        for offset, event in enumerate(new_events, start=1):
            envelope = Envelope(
                event_type=event.event_type,
                event_version=event.event_version,
                aggregate_type=aggregate_type, aggregate_id=str(aggregate_id),
                aggregate_version=expected_version + offset, payload=event.payload,
                correlation_id=context.correlation_id, causation_id=context.causation_id,
                actor=context.actor)
            wire = {**envelope.header_dict(), "payload": event.wire}
            event_rows.append({**wire, "occurred_at": envelope.occurred_at,
                               "payload": codec.dumps(wire["payload"])})
            outbox_rows.append({"event_id": envelope.event_id, "exchange": self.exchange,
                                "routing_key": envelope.event_type, "body": codec.dumps(wire),
                                "created_at": envelope.occurred_at})
            envelopes.append(envelope)
        if not envelopes:
            return []
        try:
            # No savepoint: a Conflict ends the command, and the unit of work
            # rolls the whole transaction back (PostgreSQL has aborted it anyway).
            conn.execute(events.insert(), event_rows)
        except IntegrityError:
            raise Conflict(
                f"{aggregate_type} {aggregate_id} was changed by someone else "
                f"(expected version {expected_version}); reload and try again",
                {"aggregate_id": aggregate_id}) from None
        conn.execute(outbox.insert(), outbox_rows)
        for envelope in envelopes:
            for project in self.projectors:
                project(conn, envelope)
        return envelopes

    def _to_envelope(self, row) -> Envelope:
        version, payload = self.catalog.decode_payload(row.event_type, row.event_version,
                                                       codec.loads(row.payload))
        return Envelope(event_id=row.event_id, event_type=row.event_type, event_version=version,
                        aggregate_type=row.aggregate_type, aggregate_id=row.aggregate_id,
                        aggregate_version=row.aggregate_version, occurred_at=row.occurred_at,
                        correlation_id=row.correlation_id, causation_id=row.causation_id,
                        actor=row.actor, payload=payload)

    def load_stream(self, conn, aggregate_id: str, after_version: int = 0) -> list[Envelope]:
        rows = conn.execute(
            select(events).where(events.c.aggregate_id == str(aggregate_id),
                                 events.c.aggregate_version > after_version)
            .order_by(events.c.aggregate_version))
        return [self._to_envelope(row) for row in rows]

    def read_log(self, conn, after_position: int = 0, limit: int = 100,
                 event_types: list[str] | None = None) -> list[tuple[int, Envelope]]:
        """Events in global order after ``after_position``, as (position,
        envelope); only ``event_types`` if given."""
        query = select(events).where(events.c.position > after_position)
        if event_types is not None:
            query = query.where(events.c.event_type.in_(event_types))
        rows = conn.execute(query.order_by(events.c.position).limit(limit))
        return [(row.position, self._to_envelope(row)) for row in rows]


class UnitOfWork:
    """One command's transaction: load aggregates, save their new events.

    ``with uow:`` commits on success and rolls everything back on any error;
    after a commit, ``on_commit`` is called (the relay publishes right away).
    """

    def __init__(self, db, store: EventStore, context: CommandContext | None = None,
                 on_commit: Callable[[], None] | None = None):
        self.db = db
        self.store = store
        self.context = context or CommandContext()
        self.on_commit = on_commit
        self.conn = None
        self.saved: list[Envelope] = []

    def __enter__(self):
        self.conn = self.db.engine.connect()
        self._tx = self.conn.begin()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self._tx.commit()
            else:
                self._tx.rollback()
        finally:
            self.conn.close()
        if exc_type is None and self.saved and self.on_commit:
            self.on_commit()
        return False

    def find(self, aggregate_cls: type[Aggregate], aggregate_id):
        envelopes = self.store.load_stream(self.conn, str(aggregate_id))
        if not envelopes or envelopes[0].aggregate_type != aggregate_cls.aggregate_type:
            return None
        return aggregate_cls.rehydrate(aggregate_id, envelopes)

    def load(self, aggregate_cls: type[Aggregate], aggregate_id, label: str | None = None):
        aggregate = self.find(aggregate_cls, aggregate_id)
        if aggregate is None:
            what = label or aggregate_cls.aggregate_type.replace("_", " ")
            raise NotFound(f"{what} {aggregate_id} does not exist", {"id": str(aggregate_id)})
        return aggregate

    def save(self, aggregate: Aggregate) -> list[Envelope]:
        pending = aggregate.pending_events
        envelopes = self.store.append(self.conn, aggregate.aggregate_type, aggregate.id,
                                      aggregate.saved_version, pending, self.context)
        aggregate.mark_saved(aggregate.saved_version + len(pending))
        self.saved.extend(envelopes)
        return envelopes
