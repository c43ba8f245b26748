"""Read models, declared: a name, the tables it owns, a handler per event
class, a version, and where its events come from.

A service lists its read models once; the kernel then feeds each one the
same way and can always build it again from the event store, because a
read model holds nothing but what its handlers derived from events. (Data
a command writes beside an event, such as the members' encrypted personal
data, is not a read model and is never dropped.)

- ``source=None``: the service's own events, applied inline by the store in
  the transaction that appends them.
- ``source="orgs"``: another service's events, consumed through the inbox
  under the consumer name ``<service>.<read model>`` (``consumer_name``).

The version is the read model's shape. When a service starts with a
declaration whose version differs from the one its database was built at
(a column added, a handler that derives something new), the kernel drops
the read model's tables, creates them as declared, and replays the service's
event store through the handlers: all in one transaction, under the schema
lock, so replicas starting together rebuild once and readers see the old
tables until the new ones are complete. ``ejia rebuild <service> <read
model>`` does the same on demand.
"""
import logging
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from sqlalchemy import MetaData, Table, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from .codec import utcnow
from .envelope import Envelope
from .event import Event
from .tables import events, read_model_versions

log = logging.getLogger(__name__)

Handler = Callable[[object, Envelope], None]

@dataclass(frozen=True)
class ReadModel:
    name: str
    tables: Sequence[Table]
    handlers: Mapping[type[Event], Handler]
    version: int = 1
    source: str | None = None
    # Its handlers refuse a redelivered or overtaken event by a guard of
    # their own (a row version in the same statement): fed without an
    # inbox record, each event one statement on its own.
    guarded: bool = False
    # Events whose whole effect is rows to insert, made from the event alone
    # (``Envelope -> [(table, row)]``): an inline read model's rows go with
    # the event in the append's one round trip, and a batch of appends
    # (an import) inserts them many at a time. Its ``handlers`` entry stays
    # for a rebuild, which replays through ``apply``.
    inserts: Mapping[type[Event], Callable[[Envelope], list]] = field(default_factory=dict, compare=False)
    by_type: dict = field(init=False, repr=False, compare=False)
    inserts_by_type: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "by_type", {cls.event_type: fn for cls, fn in self.handlers.items()})
        object.__setattr__(self, "inserts_by_type", {cls.event_type: fn for cls, fn in self.inserts.items()})
        metadatas = {table.metadata for table in self.tables}
        if len(metadatas) != 1:
            raise ValueError(f"read model {self.name}: its tables must share one MetaData")

    @property
    def metadata(self) -> MetaData:
        return self.tables[0].metadata

    def consumer_name(self, service: str) -> str:
        return f"{service}.{self.name}"

    def apply(self, conn, envelope: Envelope):
        handler = self.by_type.get(envelope.event_type)
        if handler is not None:
            handler(conn, envelope)

    __call__ = apply  # an inline read model is the store's projector

    def rows(self, envelope: Envelope) -> list | None:
        """The rows ``envelope`` inserts (``inserts``), or None: then it is applied."""
        make = self.inserts_by_type.get(envelope.event_type)
        return make(envelope) if make is not None else None


def feed(inbox, service: str, model: ReadModel, envelope: Envelope) -> bool:
    """``envelope`` (another service's event) applied to ``model`` once, in
    one transaction with its inbox record under ``model.consumer_name``:
    the one way a service consumes another's events into a read model. A
    ``guarded`` model is given the event without the inbox (True: applied,
    or refused by its own guard)."""
    if model.source is None or model.source != envelope.event_type.split(".", 1)[0]:
        raise ValueError(f"read model {model.name} is not fed by {envelope.event_type}")
    if envelope.event_type not in model.by_type:
        return False
    if model.guarded:
        with inbox.db.single_statement() as conn:
            model.apply(conn, envelope)
        return True
    return inbox.handle(model.consumer_name(service), envelope, model.apply)


def _stored_versions(conn) -> dict[str, int]:
    return dict(conn.execute(select(read_model_versions.c.name, read_model_versions.c.version)).all())


def _record(conn, model: ReadModel, replayed: int):
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    values = {"name": model.name, "version": model.version, "built_at": utcnow(), "events_replayed": replayed}
    statement = dialect.insert(read_model_versions).values(**values)
    conn.execute(statement.on_conflict_do_update(index_elements=["name"], set_=values))


def _tables_exist(conn, model: ReadModel) -> bool:
    return all(conn.dialect.has_table(conn, table.name) for table in model.tables)


def prepare(conn, store, models: Sequence[ReadModel], progress=None) -> list[str]:
    """At start-up, inside the schema transaction: create what is missing and
    rebuild every read model whose declared version is not the stored one.
    Returns the names rebuilt."""
    stored = _stored_versions(conn)
    rebuilt = []
    for model in models:
        if model.source is not None and model.name not in stored:
            # Fed by another service's events as they arrive: made empty.
            model.metadata.create_all(conn, tables=list(model.tables))
            _record(conn, model, 0)
            continue
        if model.name not in stored and _tables_exist(conn, model):
            # Built before versions were recorded (or by create_all): it is the
            # shape the code declared then, which the first version is.
            if model.version == 1:
                _record(conn, model, 0)
                continue
        if stored.get(model.name) == model.version:
            model.metadata.create_all(conn, tables=list(model.tables))
            continue
        rebuild_in(conn, store, model, progress=progress)
        rebuilt.append(model.name)
    return rebuilt


def rebuild_in(conn, store, model: ReadModel, batch: int = 2000, progress=None) -> int:
    """Drop, create and refill ``model`` from the event store, in ``conn``'s
    transaction; how many events were replayed."""
    if model.source is not None:
        raise NotImplementedError(f"read model {model.name} is fed by {model.source}'s events, which this "
                                  f"database does not store: rebuilding it needs a replay of {model.source}'s "
                                  f"events (the events service's archive), not yet built")
    model.metadata.drop_all(conn, tables=list(model.tables))
    model.metadata.create_all(conn, tables=list(model.tables))
    types = list(model.by_type)
    total = conn.execute(select(func.count()).where(events.c.event_type.in_(types))).scalar_one()
    bar = progress or ProgressBar(f"rebuilding {model.name}", total)
    bar.total = total
    replayed, after = 0, 0
    while True:
        page = store.read_log(conn, after, batch, event_types=types)
        if not page:
            break
        for position, envelope in page:
            model.apply(conn, envelope)
        after = page[-1][0]
        replayed += len(page)
        bar.update(replayed)
    bar.done(replayed)
    _record(conn, model, replayed)
    log.info("read model %s rebuilt at version %s from %s events", model.name, model.version, replayed)
    return replayed


@contextmanager
def _locked(db):
    """A transaction holding the schema lock (shared/database.py) on PostgreSQL."""
    from .database import SCHEMA_LOCK_KEY
    with db.begin() as conn:
        if not db.is_sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        yield conn


def ensure(db, store, models: Sequence[ReadModel], progress=None) -> list[str]:
    """``prepare`` in its own transaction under the schema lock: what a
    service runs at start-up, before it takes any command or event."""
    if not models:
        return []
    with _locked(db) as conn:
        return prepare(conn, store, models, progress=progress)


def rebuild(db, store, model: ReadModel, progress=None) -> int:
    """``ejia rebuild``: the same, on demand, in one transaction under the schema lock."""
    with _locked(db) as conn:
        return rebuild_in(conn, store, model, progress=progress)


class ProgressBar:
    """A one-line progress bar on stderr (a terminal), or a log line every
    10% (a service's log)."""

    def __init__(self, label: str, total: int, stream=None):
        self.label, self.total = label, total
        self.stream = stream or sys.stderr
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.started = time.monotonic()
        self._logged = 0

    def update(self, count: int):
        if self.tty:
            share = count / self.total if self.total else 1.0
            filled = int(30 * share)
            self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {count}/{self.total}")
            self.stream.flush()
        elif self.total and (count * 10) // self.total > self._logged:
            self._logged = (count * 10) // self.total
            log.info("%s: %s of %s events", self.label, count, self.total)

    def done(self, count: int):
        seconds = time.monotonic() - self.started
        if self.tty:
            self.stream.write(f"\r{self.label}: {count} events in {seconds:.1f} s{' ' * 20}\n")
            self.stream.flush()
