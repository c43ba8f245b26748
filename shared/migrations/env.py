"""Alembic's environment for the kernel's tables. It migrates the connection
it is handed in ``config.attributes["connection"]`` (shared/schema.py passes
the one holding the schema lock's transaction), never one of its own, so a
migration commits or rolls back with the rest of the schema work."""
from alembic import context

from shared.schema import VERSION_TABLE
from shared.tables import kernel_metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=kernel_metadata,
    # A table of its own: a service that ever uses alembic for anything else
    # keeps its alembic_version.
    version_table=VERSION_TABLE,
    # SQLite's ALTER TABLE cannot change or drop most things: alembic copies
    # the table instead ("move and copy").
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
