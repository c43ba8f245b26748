"""Read-model versions: which version of each declared read model
(shared/readmodel.py) a database was built at, so that a service starting
with a new declaration rebuilds it from the events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

The table is new; a database of an earlier release gets it empty, and its
existing read models are taken as built at version 1, the version every
read model was declared at when versions began.
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "read_model_versions",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("events_replayed", sa.Integer(), nullable=False),
    )


def downgrade():
    op.drop_table("read_model_versions")
