"""The kernel's tables in a service database, migrated by alembic
(shared/migrations), so that a database made by an older release upgrades in
place, rows and all. The services' read-model tables are not migrated here.

Add a revision with ``python -m shared.schema revision -m "what changes"``
(docs/schema.md).
"""
import functools
import sys
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from .tables import kernel_metadata

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "kernel_schema_version"


def alembic_config(connection=None) -> Config:
    """Built in code rather than read from an alembic.ini: the scripts ship
    inside the package, and alembic's logging setup stays out of ours."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


@functools.cache
def script_directory() -> ScriptDirectory:
    """The revisions, read from their files once per process: a database
    already at the head then costs a look at its version table and nothing
    else."""
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    return script_directory().get_current_head()


def current(conn) -> str | None:
    """The revision ``conn``'s database is at; None before any migration.
    Read directly rather than through a MigrationContext, which logs two
    lines at INFO on every service start."""
    if not conn.dialect.has_table(conn, VERSION_TABLE):
        return None
    return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


# alembic's command API runs env.py through module-level proxies
# (alembic.context, alembic.op): one migration at a time per process, even
# on different databases (services sharing a process start concurrently).
_running = threading.Lock()


def upgrade_kernel(conn):
    """Bring the kernel's tables in ``conn``'s database to the head revision,
    inside ``conn``'s transaction (the caller holds the schema lock).

    A fresh database gets ``kernel_metadata`` as it is, stamped at the head:
    the same tables as running every revision (the unit tests compare them),
    in two thirds of the time or less (no env.py, no revision files run),
    and the unit tests make hundreds of databases. One that tables.py's ``create_all``
    made before migrations existed has no version table: the baseline
    revision adopts its tables, and the later ones run on it."""
    revision = current(conn)
    if revision == head():
        return
    if revision is None and not conn.dialect.has_table(conn, "events"):
        kernel_metadata.create_all(conn)
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        context.stamp(script_directory(), "head")
        return
    with _running:
        command.upgrade(alembic_config(conn), "head")


def next_revision_id() -> str:
    """Revisions are numbered 0001, 0002, ...: their order is their name."""
    return f"{len(list(script_directory().walk_revisions())) + 1:04d}"


def main(argv=None):
    """``python -m shared.schema revision -m "message"`` writes the next
    revision's file in shared/migrations/versions, to be filled in by hand."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m shared.schema")
    sub = parser.add_subparsers(dest="action", required=True)
    revision = sub.add_parser("revision", help="write an empty revision after the newest")
    revision.add_argument("-m", "--message", required=True)
    sub.add_parser("head", help="print the newest revision")
    args = parser.parse_args(argv)
    if args.action == "head":
        print(head())
    else:
        command.revision(alembic_config(), message=args.message, rev_id=next_revision_id())


if __name__ == "__main__":
    sys.exit(main())
