"""The kernel's tables, present in every service database."""
import datetime as dt

from sqlalchemy import (BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table,
                        Text, UniqueConstraint)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on every backend (SQLite drops the offset on its own)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime; use timezone-aware UTC")
        return value.astimezone(dt.timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


kernel_metadata = MetaData()

Position = BigInteger().with_variant(Integer, "sqlite")

events = Table(
    "events", kernel_metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("event_version", Integer, nullable=False),
    Column("aggregate_type", String(50), nullable=False),
    Column("aggregate_id", String(64), nullable=False),
    Column("aggregate_version", Integer, nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("correlation_id", String(200)),  # nameko call ids ("<service>.<method>.<uuid>") exceed 64
    Column("causation_id", String(200)),
    Column("actor", String(100)),
    Column("payload", Text, nullable=False),
    # The optimistic lock: two writers of one stream version cannot both commit.
    UniqueConstraint("aggregate_id", "aggregate_version", name="uq_events_stream_version"),
)

outbox = Table(
    "outbox", kernel_metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("exchange", String(100), nullable=False),
    Column("routing_key", String(100), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("published_at", UTCDateTime()),
)
Index("ix_outbox_unpublished", outbox.c.id,
      postgresql_where=outbox.c.published_at.is_(None),
      sqlite_where=outbox.c.published_at.is_(None))

inbox = Table(
    "inbox", kernel_metadata,
    Column("consumer", String(150), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("processed_at", UTCDateTime(), nullable=False),
)

projection_versions = Table(
    "projection_versions", kernel_metadata,
    Column("projection", String(100), primary_key=True),
    Column("aggregate_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
)

# Ordered consumers (ordering.py): the last version of each aggregate a
# consumer applied, and the versions that arrived ahead of it.
consumer_positions = Table(
    "consumer_positions", kernel_metadata,
    Column("consumer", String(150), primary_key=True),
    Column("aggregate_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
)

parked_events = Table(
    "parked_events", kernel_metadata,
    Column("consumer", String(150), primary_key=True),
    Column("aggregate_id", String(64), primary_key=True),
    Column("aggregate_version", Integer, primary_key=True),
    Column("body", Text, nullable=False),
    Column("parked_at", UTCDateTime(), nullable=False),
)

# Idempotent commands (idempotency.py): what a command under a caller's
# Idempotency-Key did, so a retry answers the same instead of doing it twice.
command_keys = Table(
    "command_keys", kernel_metadata,
    Column("command", String(100), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("result_id", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The embedded run's delivery checkpoint (outbox.py): every outbox row up to
# ``outbox_id`` reached every consumer. memory:// keeps nothing across a
# crash, so a start republishes what lies past it.
outbox_checkpoints = Table(
    "outbox_checkpoints", kernel_metadata,
    Column("name", String(50), primary_key=True),
    Column("outbox_id", Position, nullable=False),
    Column("set_at", UTCDateTime(), nullable=False),
)

# Declared read models (readmodel.py): the version each was built at here.
read_model_versions = Table(
    "read_model_versions", kernel_metadata,
    Column("name", String(100), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("built_at", UTCDateTime(), nullable=False),
    Column("events_replayed", Integer, nullable=False),
)
