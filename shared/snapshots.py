"""Snapshots: an aggregate's state at a version, so that loading a stream
that grows without bound reads one row and the events after it, not the
whole stream.

Only for streams that grow without bound: a dues account gains an event a
month for as long as the member pays, and after ten years reading its ~130
events took four times a new account's load, and a quarter of a payment's
throughput (bench/dues.py ``--aged``). Every other aggregate here has a
handful of events and loads faster without one more table to look at.

An aggregate opts in with a class attribute, and says how its state is
written down and read back::

    class DuesAccount(Aggregate):
        snapshots = Snapshots(snapshot_table("dues_account_snapshots", metadata), every=20)

        def snapshot_state(self) -> dict: ...          # JSON values (codec.dumps)
        @classmethod
        def from_snapshot(cls, aggregate_id, state: dict): ...

``UnitOfWork.find`` then loads the snapshot and the events after it (one
query), and ``UnitOfWork.save`` writes a new snapshot in the transaction of
the append that reaches a multiple of ``every`` events, so a snapshot never
holds a state that did not commit. The table keeps the latest snapshot per
aggregate.

A snapshot is derived data, like a cache: the table belongs to the service
(its metadata creates it, as a read model's tables), and it may be emptied
at any time: loads fall back to the whole stream. ``version`` is the shape
of the state: when ``snapshot_state`` / ``from_snapshot`` change, or an
applier derives something else from the same events, bump it; snapshots of
another version are ignored (the whole stream is read) and replaced as the
streams grow.
"""
import datetime as dt

import orjson
from sqlalchemy import Column, Integer, MetaData, String, Table, Text
from sqlalchemy.dialects import postgresql, sqlite

from . import codec
from .tables import UTCDateTime

COLUMNS = ("aggregate_id", "aggregate_type", "aggregate_version", "state_version", "state", "taken_at")


def snapshot_table(name: str, metadata: MetaData) -> Table:
    """The latest snapshot of each aggregate of one type."""
    return Table(
        name, metadata,
        Column("aggregate_id", String(64), primary_key=True),
        Column("aggregate_type", String(50), nullable=False),
        Column("aggregate_version", Integer, nullable=False),
        Column("state_version", Integer, nullable=False),  # Snapshots.version when it was taken
        Column("state", Text, nullable=False),
        Column("taken_at", UTCDateTime(), nullable=False),
    )


class Snapshots:
    """How one aggregate type is snapshotted: where (``table``), how often
    (every ``every`` events), and the shape of the state (``version``)."""

    def __init__(self, table: Table, every: int, version: int = 1):
        if every < 1:
            raise ValueError("a snapshot every 1 event or more")
        self.table, self.every, self.version = table, every, version

    def due(self, saved_version: int, new_version: int) -> bool:
        """Does an append from ``saved_version`` to ``new_version`` reach a multiple of ``every``?"""
        return new_version // self.every > saved_version // self.every

    def row(self, aggregate, version: int) -> dict:
        return {"aggregate_id": aggregate.id, "aggregate_type": aggregate.aggregate_type,
                "aggregate_version": version, "state_version": self.version,
                "state": codec.dumps(aggregate.snapshot_state()),
                "taken_at": dt.datetime.now(dt.timezone.utc)}

    def restore(self, aggregate_cls, aggregate_id: str, version: int, state: str):
        aggregate = aggregate_cls.from_snapshot(str(aggregate_id), orjson.loads(state))
        aggregate.version = version
        return aggregate

    # ---- writing ----------------------------------------------------------------
    # The newest snapshot wins: a writer that lost a race to a later one
    # leaves it (the WHERE of the upsert), one that raced an equal one writes
    # the same state.

    def upsert_sql(self, dialect, row: dict) -> tuple[str, list]:
        """The upsert as PostgreSQL text and parameters, to go in an append's round trip."""
        preparer = dialect.identifier_preparer
        table = preparer.format_table(self.table)
        updated = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[1:])
        sql = (f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
               f"ON CONFLICT (aggregate_id) DO UPDATE SET {updated} "
               f"WHERE {table}.aggregate_version <= EXCLUDED.aggregate_version")
        return sql, [row[c] for c in COLUMNS]

    def save(self, conn, row: dict):
        """The upsert through SQLAlchemy (SQLite, or a caller with no round trip to share)."""
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(self.table).values(**row)
        conn.execute(statement.on_conflict_do_update(
            index_elements=["aggregate_id"], set_={c: statement.excluded[c] for c in COLUMNS[1:]},
            where=self.table.c.aggregate_version <= statement.excluded.aggregate_version))

    # ---- reading ----------------------------------------------------------------

    def stream_sql(self, dialect) -> str:
        """The snapshot (if one of this ``version``) and the events after it, in
        one query with parameters {0} (the aggregate id) and {1} (``version``):
        rows (event_type, event_version, aggregate_type, aggregate_version,
        payload or state), the snapshot's first, with a NULL event_type."""
        table = dialect.identifier_preparer.format_table(self.table)
        return (f"WITH s AS (SELECT aggregate_type, aggregate_version, state FROM {table} "
                "WHERE aggregate_id = {0} AND state_version = {1}) "
                "SELECT NULL, NULL, aggregate_type, aggregate_version, state FROM s "
                "UNION ALL "
                "SELECT event_type, event_version, aggregate_type, aggregate_version, payload FROM events "
                "WHERE aggregate_id = {0} AND aggregate_version > COALESCE((SELECT aggregate_version FROM s), 0) "
                "ORDER BY 4")
