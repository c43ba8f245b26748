"""The kernel's tables are migrated by alembic (shared/schema.py): a fresh
database starts at the head revision, one made before migrations existed or
at any earlier revision is upgraded in place with its rows, and either way
the tables are exactly tables.py's. tests/integration/kernel/
test_migrations_pg.py runs the same checks on PostgreSQL with these helpers."""
import datetime as dt
import re
import shutil

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, Integer, MetaData, create_engine, event, inspect, select, text
from sqlalchemy.engine import Engine

from shared import schema
from shared.database import Database
from shared.tables import events, kernel_metadata, outbox

BASELINE = "0001"
LATER_TABLES = ("consumer_positions", "command_keys", "outbox_checkpoints")


def revisions():
    """Every revision, oldest first."""
    return [script.revision for script in reversed(list(schema.script_directory().walk_revisions()))]


def migrated_to(url, revision):
    """A database that every revision up to ``revision`` ran on."""
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(schema.alembic_config(conn), revision)
    engine.dispose()


def made_before_migrations(url, leave_out=()):
    """A database as tables.py's ``create_all`` made it before migrations
    existed: the baseline's tables with no version table. (The baseline is
    that ``create_all``: the no-difference tests showed it while it was the
    head.) ``leave_out`` the tables a release older still did not have."""
    migrated_to(url, BASELINE)
    engine = create_engine(url)
    with engine.begin() as conn:
        for name in (schema.VERSION_TABLE, *leave_out):
            conn.execute(text(f"DROP TABLE {name}"))
    engine.dispose()


def fill_every_table(url):
    """Two rows in every table, whatever its columns at this revision (read
    from the database), autoincrementing positions left to the database."""
    engine = create_engine(url)
    with engine.begin() as conn:
        reflected = MetaData()
        reflected.reflect(conn)
        for table in reflected.sorted_tables:
            if table.name == schema.VERSION_TABLE:
                continue
            generated = list(table.primary_key.columns)
            for i in (1, 2):
                conn.execute(table.insert().values({
                    column.name: _value(column, i) for column in table.columns
                    if not (generated == [column] and isinstance(column.type, Integer))}))
    engine.dispose()


def _value(column, i):
    if isinstance(column.type, Integer):
        return i
    if isinstance(column.type, DateTime):
        return dt.datetime(2024, 1, i, tzinfo=dt.timezone.utc)
    value = f"{column.table.name}.{column.name}.{i}"
    return value[-column.type.length:] if getattr(column.type, "length", None) else value


def rows_of_every_table(url, columns=None):
    """Each table's rows, in any order; only ``columns`` (name: column names)
    of the tables named there, to compare with what a database held before
    a revision added columns."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = {}
        for name in inspect(conn).get_table_names():
            if name == schema.VERSION_TABLE or (columns is not None and name not in columns):
                continue
            selected = ", ".join(f'"{column}"' for column in columns[name]) if columns else "*"
            rows[name] = sorted(map(tuple, conn.execute(text(f'SELECT {selected} FROM "{name}"'))), key=repr)
    engine.dispose()
    return rows


def columns_of_every_table(url):
    engine = create_engine(url)
    with engine.connect() as conn:
        found = inspect(conn)
        columns = {name: [column["name"] for column in found.get_columns(name)]
                   for name in found.get_table_names() if name != schema.VERSION_TABLE}
    engine.dispose()
    return columns


def schema_differences(url):
    """What alembic's autogenerate would change to make the database
    ``kernel_metadata``, the version table (alembic's, not tables.py's) left
    out. ``compare_metadata`` does not compare an index's WHERE, so the
    partial index's predicate is reported beside, if it differs."""
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "compare_server_default": True,
            "include_name": lambda name, type_, parents: not (type_ == "table" and name == schema.VERSION_TABLE)})
        differences = compare_metadata(context, kernel_metadata)
        where = [str(index["dialect_options"].get(f"{conn.dialect.name}_where"))
                 for index in inspect(conn).get_indexes("outbox") if index["name"] == "ix_outbox_unpublished"]
    engine.dispose()
    if where != ["published_at IS NULL"] and where != ["(published_at IS NULL)"]:
        differences.append(("ix_outbox_unpublished where", where))
    return differences


def revision_of(url):
    engine = create_engine(url)
    with engine.connect() as conn:
        revision = schema.current(conn)
    engine.dispose()
    return revision


def open_database(url):
    """A service start's Database on ``url``, closed again."""
    Database(url).dispose()


def assert_upgrades_keeping_its_rows(url):
    """``url``'s database, filled, reaches the head on the next start with
    its rows, its tables are tables.py's, and positions go on from its own."""
    fill_every_table(url)
    columns = columns_of_every_table(url)
    before = rows_of_every_table(url)
    open_database(url)
    assert revision_of(url) == schema.head()
    assert rows_of_every_table(url, columns) == before
    assert schema_differences(url) == []
    db = Database(url)
    now = dt.datetime.now(dt.timezone.utc)
    with db.begin() as conn:
        conn.execute(events.insert().values(
            event_id="e-new", event_type="t", event_version=1, aggregate_type="a", aggregate_id="a-new",
            aggregate_version=1, occurred_at=now, payload="{}"))
        conn.execute(outbox.insert().values(event_id="e-new", exchange="x", routing_key="r", body="{}",
                                            created_at=now))
        assert conn.execute(select(events.c.position).where(events.c.event_id == "e-new")).scalar_one() == 3
        assert conn.execute(select(outbox.c.id).where(outbox.c.event_id == "e-new")).scalar_one() == 3
    db.dispose()


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'kernel.db'}"


def test_a_fresh_database_starts_at_the_head_with_the_kernel_tables(url):
    open_database(url)
    assert revision_of(url) == schema.head()
    assert schema_differences(url) == []


def test_every_revision_run_in_turn_makes_the_kernel_tables(url):
    migrated_to(url, "head")
    assert schema_differences(url) == []


@pytest.mark.parametrize("revision", revisions())
def test_a_database_at_each_revision_upgrades_to_the_head_keeping_its_rows(url, revision):
    migrated_to(url, revision)
    assert_upgrades_keeping_its_rows(url)


def test_a_database_made_before_migrations_upgrades_in_place_keeping_its_rows(url):
    made_before_migrations(url)
    assert_upgrades_keeping_its_rows(url)


def test_a_database_from_before_the_later_kernel_tables_gets_them(url):
    made_before_migrations(url, leave_out=LATER_TABLES)
    assert_upgrades_keeping_its_rows(url)
    assert set(LATER_TABLES) <= set(rows_of_every_table(url))


def test_a_database_at_the_head_is_left_alone_without_reading_the_scripts(url, monkeypatch):
    open_database(url)

    def refuse(*args, **kwargs):
        raise AssertionError("alembic consulted for a database at the head")

    monkeypatch.setattr(ScriptDirectory, "from_config", refuse)
    monkeypatch.setattr(MigrationContext, "configure", refuse)
    monkeypatch.setattr(command, "upgrade", refuse)
    monkeypatch.setattr(kernel_metadata, "create_all", refuse)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        open_database(url)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    writes = re.compile(r"^\s*(CREATE|ALTER|DROP|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
    assert [s for s in statements if writes.match(s)] == []
    assert revision_of(url) == schema.head()


def test_the_head_is_the_newest_revision_file(capsys):
    files = sorted(path.name for path in (schema.MIGRATIONS / "versions").glob("[0-9]*.py"))
    assert schema.head() == files[-1].split("_", 1)[0] == revisions()[-1]
    schema.main(["head"])
    assert capsys.readouterr().out.strip() == schema.head()


@pytest.fixture
def scratch_migrations(tmp_path, monkeypatch):
    """A copy of shared/migrations to add revisions to."""
    copy = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(schema, "MIGRATIONS", copy)
    schema.script_directory.cache_clear()
    yield copy
    schema.script_directory.cache_clear()


def test_a_new_revision_is_numbered_after_the_newest_and_upgrades_a_database(scratch_migrations, url):
    before = schema.head()
    migrated_to(url, "head")
    schema.main(["revision", "-m", "widen the payload"])
    schema.script_directory.cache_clear()
    after = f"{int(before) + 1:04d}"
    written = scratch_migrations / "versions" / f"{after}_widen_the_payload.py"
    assert written.exists()
    assert schema.head() == after
    assert schema.script_directory().get_revision(after).down_revision == before
    open_database(url)
    assert revision_of(url) == after
