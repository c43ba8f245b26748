"""Kernel baseline: the kernel's tables as shared/tables.py defined them when
migrations began.

Revision ID: 0001
Revises:
Create Date: 2026-01-01

Databases made before then were built by ``metadata.create_all`` from
whatever tables.py held at the time, so an older one may lack a table added
since (consumer_positions, command_keys, outbox_checkpoints); ``create_all``
would have added it on that database's next start. This revision does the
same: it creates each of its tables that is missing, with its indexes, and
leaves one that exists, rows and all, as it is.

The types are spelled out rather than imported from tables.py, which will
move on with later revisions: ``UTCDateTime`` is a ``DateTime(timezone=True)``
in the database (the UTC conversion is in Python), and positions are
``BIGINT`` but ``INTEGER`` on SQLite, where only an ``INTEGER PRIMARY KEY``
autoincrements.
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def UTC():
    return sa.DateTime(timezone=True)


def upgrade():
    existing = set(sa.inspect(op.get_bind()).get_table_names())

    def create(name, *elements):
        if name in existing:
            return False
        op.create_table(name, *elements)
        return True

    create(
        "events",
        sa.Column("position", Position, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("event_version", sa.Integer(), nullable=False),
        sa.Column("aggregate_type", sa.String(50), nullable=False),
        sa.Column("aggregate_id", sa.String(64), nullable=False),
        sa.Column("aggregate_version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", UTC(), nullable=False),
        sa.Column("correlation_id", sa.String(200)),
        sa.Column("causation_id", sa.String(200)),
        sa.Column("actor", sa.String(100)),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.UniqueConstraint("aggregate_id", "aggregate_version", name="uq_events_stream_version"),
    )
    if create(
        "outbox",
        sa.Column("id", Position, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("exchange", sa.String(100), nullable=False),
        sa.Column("routing_key", sa.String(100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("published_at", UTC()),
    ):
        unpublished = sa.text("published_at IS NULL")
        op.create_index("ix_outbox_unpublished", "outbox", ["id"],
                        postgresql_where=unpublished, sqlite_where=unpublished)
    create(
        "inbox",
        sa.Column("consumer", sa.String(150), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", UTC(), nullable=False),
    )
    create(
        "projection_versions",
        sa.Column("projection", sa.String(100), primary_key=True),
        sa.Column("aggregate_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    create(
        "consumer_positions",
        sa.Column("consumer", sa.String(150), primary_key=True),
        sa.Column("aggregate_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    create(
        "parked_events",
        sa.Column("consumer", sa.String(150), primary_key=True),
        sa.Column("aggregate_id", sa.String(64), primary_key=True),
        sa.Column("aggregate_version", sa.Integer(), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("parked_at", UTC(), nullable=False),
    )
    create(
        "command_keys",
        sa.Column("command", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("result_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
    )
    create(
        "outbox_checkpoints",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("outbox_id", Position, nullable=False),
        sa.Column("set_at", UTC(), nullable=False),
    )


def downgrade():
    for name in ("outbox_checkpoints", "command_keys", "parked_events", "consumer_positions",
                 "projection_versions", "inbox", "outbox", "events"):
        op.drop_table(name)
