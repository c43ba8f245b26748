"""The event store: append with optimistic concurrency, load a stream, read the log.

Appending also writes each event to the outbox and runs the service's inline
projectors, all in the caller's transaction: either all of it commits or
none of it does.
"""
import datetime as dt
import functools
import gc
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from typing import Callable, Iterable, NamedTuple

import orjson
from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError

from . import codec
from .aggregate import Aggregate
from .event import Event
from .catalog import EventCatalog
from .envelope import CommandContext, Envelope
from .database import autocommit, end_autocommit
from .errors import Conflict, NotFound
from .snapshots import Snapshots
from .tables import events, outbox

Projector = Callable[[object, Envelope], None]
"""``project(conn, envelope)``, called for each event appended. A projector
whose work for an event is only inserting rows may also offer
``project.rows(envelope)``: the ``[(table, row), ...]`` it would insert, or
None when it has to be called (it reads, updates or deletes). The store then
writes those rows with the events, before calling any projector: on
PostgreSQL in the append's own round trip, so a command that records a
payment and its statement line costs one trip, not three, and none of
SQLAlchemy's per-statement work (13% of the dues service's CPU in a
payment, profiled with py-spy)."""


@dataclass
class Append:
    """What one append writes: made by ``EventStore.prepare``, written by
    ``EventStore.write`` (at once, or held by a unit of work until it commits)."""
    aggregate_type: str
    aggregate_id: str
    expected_version: int
    envelopes: list[Envelope]
    event_rows: list[tuple]
    outbox_rows: list[tuple]
    rows: list[tuple[Table, dict]] = field(default_factory=list)  # the projectors' rows
    calls: list[tuple[Projector, Envelope]] = field(default_factory=list)  # projectors to call
    snapshot: tuple[Snapshots, dict] | None = None


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
        append = self.prepare(aggregate_type, aggregate_id, expected_version, new_events, context)
        self.write(conn, [append])
        return append.envelopes

    def prepare(self, aggregate_type: str, aggregate_id: str, expected_version: int, new_events: list[Event],
                context: CommandContext | None = None, snapshot: tuple[Snapshots, dict] | None = None) -> Append:
        """The rows of an append (events, outbox, the projectors' rows) and
        the projectors to call once they are written."""
        context = context or CommandContext()
        append = Append(aggregate_type, str(aggregate_id), expected_version, [], [], [], snapshot=snapshot)
        for offset, event in enumerate(new_events, start=1):
            envelope = Envelope(
                event_type=event.event_type,
                event_version=event.event_version,
                aggregate_type=aggregate_type, aggregate_id=str(aggregate_id),
                aggregate_version=expected_version + offset, payload=event.payload,
                correlation_id=context.correlation_id, causation_id=context.causation_id,
                actor=context.actor)
            payload = _dumps(event.wire)
            header = _dumps(envelope.header_dict())
            append.event_rows.append((envelope.event_id, envelope.event_type, envelope.event_version, aggregate_type,
                                      envelope.aggregate_id, envelope.aggregate_version, envelope.occurred_at,
                                      envelope.correlation_id, envelope.causation_id, envelope.actor, payload))
            # the wire envelope is its header with the payload: spliced, not encoded twice
            append.outbox_rows.append((envelope.event_id, self.exchange, envelope.event_type,
                                       f'{header[:-1]},"payload":{payload}}}', envelope.occurred_at))
            append.envelopes.append(envelope)
        for envelope in append.envelopes:
            for project in self.projectors:
                inserted = project.rows(envelope) if hasattr(project, "rows") else None
                if inserted is None:
                    append.calls.append((project, envelope))
                else:
                    append.rows.extend(inserted)
        return append

    def write(self, conn, appends: list[Append]):
        """Write ``appends`` (on PostgreSQL in one round trip), then call their
        projectors; Conflict if a stream moved on since it was read."""
        appends = [a for a in appends if a.envelopes]
        if not appends:
            return
        one_trip = conn.dialect.name == "postgresql"
        try:
            # No savepoint: a Conflict ends the command, and the unit of work
            # rolls the whole transaction back (PostgreSQL has aborted it anyway).
            if one_trip:
                self._insert_in_one_trip(conn, appends)
            else:
                self._insert(conn, [r for a in appends for r in a.event_rows],
                             [r for a in appends for r in a.outbox_rows])
        except (IntegrityError, conn.dialect.loaded_dbapi.IntegrityError) as exc:
            if _refused_by(exc) not in (None, "events", "outbox"):
                # a projector's row (a unique key of its own): the caller's to handle, as
                # when the projector inserted it itself
                raise IntegrityError("INSERT (events and projector rows)", None, exc) from None
            which = ", ".join(f"{a.aggregate_type} {a.aggregate_id}" for a in appends)
            raise Conflict(
                f"{which} was changed by someone else (expected version "
                f"{', '.join(str(a.expected_version) for a in appends)}); reload and try again",
                {"aggregate_id": appends[0].aggregate_id}) from None
        for append in appends:
            if not one_trip:
                insert_in_one_trip(conn, _by_table(append.rows))
                if append.snapshot is not None:
                    append.snapshot[0].save(conn, append.snapshot[1])
            for project, envelope in append.calls:
                project(conn, envelope)

    _EVENT_COLUMNS = ("event_id", "event_type", "event_version", "aggregate_type", "aggregate_id",
                      "aggregate_version", "occurred_at", "correlation_id", "causation_id", "actor", "payload")
    _OUTBOX_COLUMNS = ("event_id", "exchange", "routing_key", "body", "created_at")

    def _insert(self, conn, event_rows: list[tuple], outbox_rows: list[tuple]):
        """The events and their outbox rows, through SQLAlchemy (SQLite: no
        round trips to save); ``write`` inserts the projectors' rows after them."""
        conn.execute(events.insert(), [dict(zip(self._EVENT_COLUMNS, row)) for row in event_rows])
        conn.execute(outbox.insert(), [dict(zip(self._OUTBOX_COLUMNS, row)) for row in outbox_rows])

    def _insert_in_one_trip(self, conn, appends: list[Append]):
        """PostgreSQL: every INSERT of ``appends`` (events, outbox rows, the
        projectors' rows, snapshots) in one driver call, a statement per
        table: a command's write is one round trip."""
        event_rows = [r for a in appends for r in a.event_rows]
        outbox_rows = [r for a in appends for r in a.outbox_rows]

        def values(columns, rows):
            group = "(" + ", ".join(["%s"] * len(columns)) + ")"
            return f"({', '.join(columns)}) VALUES " + ", ".join([group] * len(rows))
        sql = (f"INSERT INTO events {values(self._EVENT_COLUMNS, event_rows)}; "
               f"INSERT INTO outbox {values(self._OUTBOX_COLUMNS, outbox_rows)}")
        params = [value for row in event_rows for value in row] + [value for row in outbox_rows for value in row]
        statements = [_insert_rows(conn.dialect, table, table_rows)
                      for table, table_rows in _by_table([r for a in appends for r in a.rows])]
        statements += [snapshots.upsert_sql(conn.dialect, row)
                       for snapshots, row in (a.snapshot for a in appends if a.snapshot is not None)]
        for statement, values_ in statements:
            sql += "; " + statement
            params += values_
        _execute(conn, sql, params)

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

    def load_aggregate(self, conn, aggregate_cls: type[Aggregate], aggregate_id):
        """``aggregate_cls`` rebuilt from its stream, or None if the stream is
        empty or another type's. One query: the events' types, versions and
        payloads only (a command needs nothing else of them); for a class
        with ``snapshots`` (shared/snapshots.py), its latest snapshot and the
        events after it."""
        aggregate_id = str(aggregate_id)
        snapshots: Snapshots | None = getattr(aggregate_cls, "snapshots", None)
        if snapshots is None:
            rows = _query(conn, self._STREAM, (aggregate_id,))
        else:
            rows = _query(conn, snapshots.stream_sql(conn.dialect), (aggregate_id, snapshots.version))
        if not rows or rows[0][2] != aggregate_cls.aggregate_type:
            return None
        with _collector_paused():
            if rows[0][0] is not None:
                return aggregate_cls.rehydrate(aggregate_id, self._stored(rows))
            aggregate = snapshots.restore(aggregate_cls, aggregate_id, rows[0][3], rows[0][4])
            for stored in self._stored(rows[1:]):  # Aggregate.rehydrate's loop, from the snapshot's state
                aggregate._apply(stored.event_type, stored.payload)
                aggregate.version = stored.aggregate_version
            return aggregate

    _STREAM = ("SELECT event_type, event_version, aggregate_type, aggregate_version, payload FROM events "
               "WHERE aggregate_id = {0} ORDER BY aggregate_version")

    def _stored(self, rows) -> list["_Stored"]:
        classes, loads, out = self.catalog.event_class, orjson.loads, []
        for event_type, version, _, aggregate_version, payload in rows:
            cls = classes(event_type)
            data = loads(payload)
            if version != cls.event_version:
                data = cls.upcast(version, data)
            out.append(_Stored(event_type, aggregate_version, cls.decode(data)))
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


def _query(conn, template: str, params: tuple) -> list[tuple]:
    """The rows of ``template`` (its parameters written ``{0}``, ``{1}``...) on
    the driver's cursor. On PostgreSQL as a statement prepared once per
    connection: planned on every call, the snapshot's query cost a backend
    ~170 us of CPU, prepared ~85 us (the backend's own CPU time, 3,000
    calls). A prepared statement outlives rollbacks and lives as long as the
    connection, as does the record of it (SQLAlchemy's connection info)."""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        if conn.dialect.name == "postgresql":
            prepared = conn.connection.info.setdefault("ejia_prepared", set())
            name = "ejia_" + hashlib.sha1(template.encode()).hexdigest()[:16]
            if name not in prepared:
                cursor.execute(f"PREPARE {name} AS " + template.format(*(f"${i}" for i in range(1, 10))))
                prepared.add(name)
            cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)
        else:
            cursor.execute(template.format(*(f"?{i}" for i in range(1, 10))), params)
        return cursor.fetchall()
    finally:
        cursor.close()


class _Stored(NamedTuple):
    """What rebuilding an aggregate reads of a stored event."""
    event_type: str
    aggregate_version: int
    payload: dict


def _dumps(value) -> str:
    """``codec.dumps`` by orjson (several times faster on an event's payload):
    compact, keys in order, text unescaped; what JSON has no type for goes to
    codec's own conversions (datetimes too, so they are written in UTC)."""
    return orjson.dumps(value, default=_by_codec, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


def _by_codec(value):
    return orjson.Fragment(codec.dumps(value))


def _by_table(rows: list[tuple[Table, dict]]) -> list[tuple[Table, list[dict]]]:
    """Runs of rows of one table with the same columns: one INSERT each, in the order given."""
    return [(table, [row for _, row in run])
            for (table, _), run in groupby(rows, key=lambda r: (r[0], tuple(r[1])))]


def _refused_by(exc) -> str | None:
    """The table whose constraint refused an INSERT, when the driver says (psycopg2 does)."""
    return getattr(getattr(getattr(exc, "orig", exc), "diag", None), "table_name", None)


@functools.lru_cache(maxsize=256)
def _row_writer(dialect, table: Table, columns: tuple[str, ...]):
    """The INSERT's head, one row's placeholders, and each column's bind
    processor (what SQLAlchemy would apply: a money type's Decimal to fen,
    JSON to text), for the driver's paramstyle."""
    preparer = dialect.identifier_preparer
    head = f"INSERT INTO {preparer.format_table(table)} ({', '.join(preparer.quote(c) for c in columns)}) VALUES "
    group = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return head, group, [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]


def insert_in_one_trip(conn, rows: list[tuple[Table, list[dict]]]):
    """Rows of several tables (each list with the same keys) inserted in one
    driver call on PostgreSQL, a statement per table; through SQLAlchemy,
    one statement after another, elsewhere (SQLite has no round trips)."""
    if conn.dialect.name != "postgresql":
        for table, table_rows in rows:
            conn.execute(insert(table), table_rows)
        return
    sql, params = [], []
    for table, table_rows in rows:
        statement, values = _insert_rows(conn.dialect, table, table_rows)
        sql.append(statement)
        params += values
    _execute(conn, "; ".join(sql), params)


def _execute(conn, sql: str, params: list):
    """SQL text with its parameters in one call on the driver's cursor."""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql, params)
    finally:
        cursor.close()


def _insert_rows(dialect, table: Table, rows: list[dict]) -> tuple[str, list]:
    """One multi-row INSERT of ``rows`` (the same keys, in the same order) as SQL text and parameters."""
    head, group, processors = _row_writer(dialect, table, tuple(rows[0]))
    params = []
    for row in rows:
        params += [value if process is None else process(value) for process, value in zip(processors, row.values())]
    return head + ", ".join([group] * len(rows)), params


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

    ``uow.writing_at_commit()`` (before ``with``): for a command that only
    reads aggregates, then saves them (a payment), and touches ``uow.conn`` in
    no other way; on PostgreSQL two round trips instead of four. Its reads run
    on their own, with no BEGIN (each sees what was committed when it began,
    as it would inside a READ COMMITTED transaction), and its saves are held
    and written when the block ends: on PostgreSQL in one driver call that is
    its own transaction (PostgreSQL runs the statements of one simple query
    as one transaction: all of them or none), so no COMMIT either; on SQLite
    in a transaction of their own. Nothing is weakened: a stream that moved
    on since it was read still fails on the stream version (Conflict, raised
    as the block ends), and the events, their outbox rows and the
    projectors' rows commit together. A projector that must be called (it
    reads or updates) cannot be held: ``save`` refuses it (TypeError)."""

    def __init__(self, db, store: EventStore, context: CommandContext | None = None,
                 on_commit: Callable[[], None] | None = None):
        self.db = db
        self.store = store
        self.context = context or CommandContext()
        self.on_commit = on_commit
        self.conn = None
        self.saved: list[Envelope] = []
        self._held: list[Append] | None = None

    def writing_at_commit(self) -> "UnitOfWork":
        self._held = []
        return self

    def __enter__(self):
        self.conn = self.db.engine.connect()
        self._autocommit = self._held is not None and self.conn.dialect.name == "postgresql"
        if self._autocommit:
            autocommit(self.conn)
        if self._held is None:
            self.conn.begin()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                if self._held:
                    # PostgreSQL: no BEGIN on the wire (autocommit); SQLite: BEGIN IMMEDIATE
                    self.conn.get_transaction() or self.conn.begin()
                    self.store.write(self.conn, self._held)  # if it fails, close() rolls back
                if self.conn.in_transaction():
                    self.conn.commit()
            elif self.conn.in_transaction():
                self.conn.rollback()
        finally:
            if self._autocommit:
                end_autocommit(self.conn)
            self.conn.close()
        if exc_type is None and self.saved and self.on_commit:
            self.on_commit()
        return False

    def find(self, aggregate_cls: type[Aggregate], aggregate_id):
        return self.store.load_aggregate(self.conn, aggregate_cls, aggregate_id)

    def load(self, aggregate_cls: type[Aggregate], aggregate_id, label: str | None = None):
        aggregate = self.find(aggregate_cls, aggregate_id)
        if aggregate is None:
            what = label or aggregate_cls.aggregate_type.replace("_", " ")
            raise NotFound(f"{what} {aggregate_id} does not exist", {"id": str(aggregate_id)})
        return aggregate

    def save_all(self, aggregates: list[Aggregate]) -> list[Envelope]:
        """Many aggregates' new events in one write (an import's batch): on
        PostgreSQL every event, outbox row and projector row of them in one
        round trip. Not for a unit of work writing at commit."""
        if self._held is not None:
            raise TypeError("save_all writes at once; this unit of work writes at commit")
        appends = [self.store.prepare(a.aggregate_type, a.id, a.saved_version, a.pending_events, self.context)
                   for a in aggregates]
        self.store.write(self.conn, appends)
        return [envelope for aggregate, append in zip(aggregates, appends)
                for envelope in self._saved(aggregate, append)]

    def _saved(self, aggregate: Aggregate, append) -> list[Envelope]:
        aggregate.mark_saved(aggregate.saved_version + len(append.envelopes))
        self.saved.extend(append.envelopes)
        return append.envelopes

    def save(self, aggregate: Aggregate) -> list[Envelope]:
        """Append the aggregate's new events; with them, a snapshot when its
        class has ``snapshots`` and this append reaches a multiple of their ``every``."""
        pending = aggregate.pending_events
        saved, new = aggregate.saved_version, aggregate.saved_version + len(pending)
        snapshots: Snapshots | None = getattr(type(aggregate), "snapshots", None)
        snapshot = (snapshots, snapshots.row(aggregate, new)) if snapshots and snapshots.due(saved, new) else None
        append = self.store.prepare(aggregate.aggregate_type, aggregate.id, saved, pending, self.context, snapshot)
        if self._held is None:
            self.store.write(self.conn, [append])
        elif append.calls:
            raise TypeError(f"a unit of work writing at commit cannot hold {append.calls[0][1].event_type}: "
                            "a projector of it must be called (it reads or updates)")
        else:
            self._held.append(append)
        return self._saved(aggregate, append)
