"""The idempotent inbox and the projection version check.

A consumer records ``(consumer, event_id)`` in the same transaction as its
effects, so a redelivered event changes nothing. ``advance_version`` lets a
read model refuse an event older than what it already shows, so competing
consumers delivering out of order cannot make it regress.
"""
from sqlalchemy.dialects import postgresql, sqlite

from .codec import utcnow
from .envelope import Envelope
from .tables import inbox, projection_versions


def _insert(conn, table):
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


_RECORD = {}  # dialect name -> the statement, compiled once


def record_once(conn, consumer: str, event_id: str) -> bool:
    """Record that ``consumer`` handled ``event_id``; False if it already had."""
    name = conn.dialect.name
    if name not in _RECORD:
        _RECORD[name] = _insert(conn, inbox).on_conflict_do_nothing()
    return conn.execute(_RECORD[name], {"consumer": consumer, "event_id": str(event_id),
                                        "processed_at": utcnow()}).rowcount == 1


def advance_version(conn, projection: str, aggregate_id: str, version: int) -> bool:
    """Move ``projection``'s version of ``aggregate_id`` to ``version`` if that is
    newer than what it has; False (apply nothing) if the event is stale."""
    statement = _insert(conn, projection_versions).values(
        projection=projection, aggregate_id=str(aggregate_id), version=version)
    statement = statement.on_conflict_do_update(
        index_elements=["projection", "aggregate_id"],
        set_={"version": statement.excluded.version},
        where=projection_versions.c.version < statement.excluded.version)
    return conn.execute(statement).rowcount == 1


class Inbox:
    def __init__(self, db):
        self.db = db

    def handle(self, consumer: str, envelope: Envelope, apply) -> bool:
        """Run ``apply(conn, envelope)`` once per (consumer, event) in one
        transaction with the inbox record; False if it was a duplicate."""
        with self.db.begin() as conn:
            if not record_once(conn, consumer, envelope.event_id):
                return False
            apply(conn, envelope)
            return True
