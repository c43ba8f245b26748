"""Events of one aggregate applied in version order, for consumers whose
state is a history, not a snapshot.

Competing consumers and replicated relays deliver a stream's events in any
order. A consumer that only keeps the latest state can drop an older event
(``inbox.advance_version``): the newer one carries everything it needs. One
that builds on every step (a dues account: admitted in June, suspended in
August, reinstated in October) cannot, and dropping the registration behind
a later event opened accounts from the wrong month. So here:

- each (consumer, aggregate) has a position, the last version applied;
- the next version is applied at once, then every parked successor that now
  follows it, in one transaction with the consumer's own writes;
- a version ahead of the next is parked (stored, acked) until the gap fills;
- one at or below the position was applied before: a redelivery, dropped.

The position row is locked for the transaction (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers anyway), so two
workers delivering neighbouring versions at once cannot both miss the other.

A version that never comes (dead-lettered, or produced before the consumer
existed) leaves its successors parked: ``parked`` lists them for the team,
and a replay of the missing event releases them.
"""
import logging

from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from . import codec
from .catalog import EventCatalog, catalog as platform_catalog
from .codec import utcnow
from .envelope import Envelope
from .tables import consumer_positions, parked_events, projection_versions

log = logging.getLogger(__name__)


def _insert(conn, table):
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


_POSITION = {}  # (dialect, seeded) -> the compiled-once upsert below


def _position_statement(dialect_name: str, seeded: bool):
    """``INSERT ... ON CONFLICT DO UPDATE ... RETURNING version``: the
    position, made if missing and locked either way, in one round trip (an
    existing row is "updated" to itself, which takes its lock). A new row
    starts at 0, or for a consumer that used to keep ``advance_version``'s
    mark under the name ``seed_from``, at that mark."""
    key = (dialect_name, seeded)
    if key not in _POSITION:
        start = bindparam("start", 0)
        if seeded:
            start = func.coalesce(select(projection_versions.c.version).where(
                projection_versions.c.projection == bindparam("seed_from"),
                projection_versions.c.aggregate_id == bindparam("aggregate_id")).scalar_subquery(), 0)
        statement = (postgresql if dialect_name == "postgresql" else sqlite).insert(consumer_positions).values(
            consumer=bindparam("consumer"), aggregate_id=bindparam("aggregate_id"), version=start)
        _POSITION[key] = statement.on_conflict_do_update(
            index_elements=["consumer", "aggregate_id"], set_={"version": consumer_positions.c.version},
        ).returning(consumer_positions.c.version)
    return _POSITION[key]


def _lock_position(conn, consumer: str, aggregate_id: str, seed_from: str | None) -> int:
    """The consumer's position on ``aggregate_id``, locked for this transaction.

    Whether successors are parked is read by a statement of its own, after
    the lock is held: a subquery in this statement's RETURNING would see the
    snapshot taken before it waited for the lock, and miss an event a
    neighbouring worker parked and committed meanwhile (it stayed parked for
    good: tests/e2e/test_distributed_delivery.py caught it)."""
    params = {"consumer": consumer, "aggregate_id": aggregate_id}
    if seed_from:
        params["seed_from"] = seed_from
    return conn.execute(_position_statement(conn.dialect.name, bool(seed_from)), params).scalar_one()


def in_order(conn, consumer: str, envelope: Envelope, seed_from: str | None = None,
             catalog: EventCatalog = platform_catalog) -> list[Envelope]:
    """The envelopes ``consumer`` applies now, oldest first, in the caller's
    transaction: ``envelope`` and the parked ones that follow it, or none
    (it was parked, or already applied). The position moves past them."""
    aggregate_id, version = envelope.aggregate_id, envelope.aggregate_version
    position = _lock_position(conn, consumer, aggregate_id, seed_from)
    if version <= position:
        return []
    if version > position + 1:
        conn.execute(_insert(conn, parked_events).values(
            consumer=consumer, aggregate_id=aggregate_id, aggregate_version=version,
            body=codec.dumps(catalog.to_wire(envelope)), parked_at=utcnow()).on_conflict_do_nothing())
        log.info("%s: %s %s version %s parked until version %s arrives", consumer, envelope.aggregate_type,
                 aggregate_id, version, position + 1)
        return []
    ready = [envelope]
    rows = conn.execute(select(parked_events.c.aggregate_version, parked_events.c.body).where(
        parked_events.c.consumer == consumer, parked_events.c.aggregate_id == aggregate_id,
        parked_events.c.aggregate_version > version).order_by(parked_events.c.aggregate_version)).all()
    for parked_version, body in rows:
        if parked_version != version + len(ready):
            break
        ready.append(catalog.from_wire(codec.loads(body)))
    last = version + len(ready) - 1
    if len(ready) > 1:
        conn.execute(delete(parked_events).where(
            parked_events.c.consumer == consumer, parked_events.c.aggregate_id == aggregate_id,
            parked_events.c.aggregate_version <= last))
    conn.execute(update(consumer_positions).where(
        consumer_positions.c.consumer == consumer, consumer_positions.c.aggregate_id == aggregate_id)
        .values(version=last))
    return ready


def parked(conn, consumer: str | None = None) -> list[dict]:
    """What waits for a missing version: per consumer and aggregate, the
    version applied, the first one parked, how many, and since when."""
    query = (select(parked_events.c.consumer, parked_events.c.aggregate_id,
                    func.min(parked_events.c.aggregate_version), func.count(), func.min(parked_events.c.parked_at),
                    consumer_positions.c.version)
             .join(consumer_positions, and_(consumer_positions.c.consumer == parked_events.c.consumer,
                                            consumer_positions.c.aggregate_id == parked_events.c.aggregate_id))
             .group_by(parked_events.c.consumer, parked_events.c.aggregate_id, consumer_positions.c.version)
             .order_by(func.min(parked_events.c.parked_at)))
    if consumer is not None:
        query = query.where(parked_events.c.consumer == consumer)
    return [{"consumer": c, "aggregate_id": a, "applied_version": applied, "first_parked_version": first,
             "parked": n, "since": since}
            for c, a, first, n, since, applied in conn.execute(query)]
