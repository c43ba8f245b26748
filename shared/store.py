"""The event store: append with optimistic concurrency, load a stream, read the log.

Appending also writes each event to the outbox and runs the service's inline
projectors, all in the caller's transaction: either all of it commits or
none of it does.
"""
import datetime as dt
import gc
from contextlib import contextmanager
from typing import Callable, Iterable

import orjson
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
            payload = codec.dumps(event.wire)
            header = codec.dumps(envelope.header_dict())
            event_rows.append((envelope.event_id, envelope.event_type, envelope.event_version, aggregate_type,
                               envelope.aggregate_id, envelope.aggregate_version, envelope.occurred_at,
                               envelope.correlation_id, envelope.causation_id, envelope.actor, payload))
            # the wire envelope is its header with the payload: spliced, not encoded twice
            outbox_rows.append((envelope.event_id, self.exchange, envelope.event_type,
                                f'{header[:-1]},"payload":{payload}}}', envelope.occurred_at))
            envelopes.append(envelope)
        if not envelopes:
            return []
        try:
            # No savepoint: a Conflict ends the command, and the unit of work
            # rolls the whole transaction back (PostgreSQL has aborted it anyway).
            self._insert(conn, event_rows, outbox_rows)
        except (IntegrityError, conn.dialect.loaded_dbapi.IntegrityError):
            raise Conflict(
                f"{aggregate_type} {aggregate_id} was changed by someone else "
                f"(expected version {expected_version}); reload and try again",
                {"aggregate_id": aggregate_id}) from None
        for envelope in envelopes:
            for project in self.projectors:
                project(conn, envelope)
        return envelopes

    _EVENT_COLUMNS = ("event_id", "event_type", "event_version", "aggregate_type", "aggregate_id",
                      "aggregate_version", "occurred_at", "correlation_id", "causation_id", "actor", "payload")
    _OUTBOX_COLUMNS = ("event_id", "exchange", "routing_key", "body", "created_at")

    def _insert(self, conn, event_rows: list[tuple], outbox_rows: list[tuple]):
        """The events and their outbox rows. On PostgreSQL both INSERTs go in
        one round trip (one driver call, two statements): a command's write
        is then one trip and its COMMIT. SQLite has no round trips to save."""
        if conn.dialect.name != "postgresql":
            conn.execute(events.insert(), [dict(zip(self._EVENT_COLUMNS, row)) for row in event_rows])
            conn.execute(outbox.insert(), [dict(zip(self._OUTBOX_COLUMNS, row)) for row in outbox_rows])
            return

        def values(columns, rows):
            group = "(" + ", ".join(["%s"] * len(columns)) + ")"
            return f"({', '.join(columns)}) VALUES " + ", ".join([group] * len(rows))
        sql = (f"INSERT INTO events {values(self._EVENT_COLUMNS, event_rows)}; "
               f"INSERT INTO outbox {values(self._OUTBOX_COLUMNS, outbox_rows)}")
        params = [value for row in event_rows for value in row] + [value for row in outbox_rows for value in row]
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(sql, params)
        finally:
            cursor.close()

    # Reading goes straight to the driver's cursor and makes each envelope
    # straight from the row's values (Envelope is a named tuple): replaying a
    # log is a hot loop, and SQLAlchemy's rows, per-field checks and the
    # cyclic collector cost more than the database read itself (orjson parses
    # short payloads several times faster than json). The rows are the
    # store's own, validated when written.
    _COLUMNS = ("position, event_id, event_type, event_version, aggregate_type, aggregate_id, "
                "aggregate_version, occurred_at, correlation_id, causation_id, actor, payload")

    def _select(self, conn, where: str, params: tuple, order: str,
                limit: int | None = None) -> list[tuple[int, Envelope]]:
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        sql = f"SELECT {self._COLUMNS} FROM events WHERE {where.format(mark)} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(sql, params)
            with _collector_paused():
                return self._envelopes(cursor.fetchall())
        finally:
            cursor.close()

    def _envelopes(self, rows) -> list[tuple[int, Envelope]]:
        """(position, envelope) for each row."""
        classes, loads, make, utc, out = self.catalog.event_class, orjson.loads, tuple.__new__, dt.timezone.utc, []
        for (position, event_id, event_type, version, aggregate_type, aggregate_id, aggregate_version, occurred_at,
             correlation_id, causation_id, actor, payload) in rows:
            cls = classes(event_type)
            data = loads(payload)
            if version != cls.event_version:
                data = cls.upcast(version, data)
            out.append((position, make(Envelope, (
                event_type, cls.event_version, aggregate_type, aggregate_id, aggregate_version, cls.decode(data),
                event_id, occurred_at if getattr(occurred_at, "tzinfo", None) is utc else _utc(occurred_at),
                correlation_id, causation_id, actor))))
        return out

    def load_stream(self, conn, aggregate_id: str, after_version: int = 0) -> list[Envelope]:
        return [envelope for _, envelope in self._select(
            conn, "aggregate_id = {0} AND aggregate_version > {0}", (str(aggregate_id), after_version),
            "aggregate_version")]

    def read_log(self, conn, after_position: int = 0, limit: int = 100,
                 event_types: list[str] | None = None) -> list[tuple[int, Envelope]]:
        """Events in global order after ``after_position``, as (position,
        envelope); only ``event_types`` if given."""
        where, params = "position > {0}", (after_position,)
        if event_types is not None:
            if not event_types:
                return []
            where += f" AND event_type IN ({', '.join('{0}' for _ in event_types)})"
            params += tuple(event_types)
        return self._select(conn, where, params, "position", limit)


@contextmanager
def _collector_paused():
    """Decoding a page allocates thousands of small objects, none of them in a
    cycle; with the cyclic collector running, each page set off a collection
    of the whole process's heap (a third of a replay's time, profiled with
    py-spy). Paused for the page, it runs when the page is done."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _utc(value) -> dt.datetime:
    """A stored time as aware UTC: PostgreSQL gives it in the session's zone,
    SQLite as the naive UTC text SQLAlchemy wrote."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value if value.tzinfo is dt.timezone.utc else value.astimezone(dt.timezone.utc)


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
