"""The kernel's migrations on PostgreSQL (the checks of
tests/unit/kernel/test_migrations.py, there on SQLite), and replicas that
start together on one database: the advisory schema lock covers the
migration, so the second finds the first's work done (two runs would collide
on CREATE TABLE)."""
import threading

import pytest

from shared import schema
from shared.database import Database
from unit.kernel.test_migrations import (assert_upgrades_keeping_its_rows, columns_of_every_table, fill_every_table,
                                         made_before_migrations, migrated_to, open_database, revision_of,
                                         revisions, rows_of_every_table, schema_differences)

pytestmark = pytest.mark.integration


def test_a_fresh_database_starts_at_the_head_with_the_kernel_tables(pg_url):
    open_database(pg_url)
    assert revision_of(pg_url) == schema.head()
    assert schema_differences(pg_url) == []


def test_every_revision_run_in_turn_makes_the_kernel_tables(pg_url):
    migrated_to(pg_url, "head")
    assert schema_differences(pg_url) == []


@pytest.mark.parametrize("revision", revisions())
def test_a_database_at_each_revision_upgrades_to_the_head_keeping_its_rows(pg_url, revision):
    migrated_to(pg_url, revision)
    assert_upgrades_keeping_its_rows(pg_url)


def test_a_database_made_before_migrations_upgrades_in_place_keeping_its_rows(pg_url):
    made_before_migrations(pg_url)
    assert_upgrades_keeping_its_rows(pg_url)


@pytest.mark.parametrize("made", ["fresh", "before migrations"])
def test_two_replicas_starting_together_on_one_database_both_start_at_the_head(pg_database_factory, made):
    for _ in range(3):
        url = pg_database_factory("ejia_test_migrate")
        if made == "before migrations":
            made_before_migrations(url)
            fill_every_table(url)
        columns = columns_of_every_table(url)
        before = rows_of_every_table(url)
        together = threading.Barrier(2)
        outcomes = []

        def replica():
            together.wait()
            try:
                Database(url).dispose()
                outcomes.append("started")
            except Exception as exc:
                outcomes.append(repr(exc))

        threads = [threading.Thread(target=replica) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert outcomes == ["started", "started"]
        assert revision_of(url) == schema.head()
        assert schema_differences(url) == []
        assert rows_of_every_table(url, columns) == before
