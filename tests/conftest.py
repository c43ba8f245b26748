# nameko's pytest plugin no longer monkey-patches (docs/architecture.md, Stack notes): do it first.
import eventlet

eventlet.monkey_patch()

import uuid  # noqa: E402

import pytest  # noqa: E402

from platform_factory import PG_ADMIN_URL, create_database, drop_databases, pg_database_url  # noqa: E402


@pytest.fixture
def pg_database_factory():
    """Make fresh PostgreSQL databases (URL strings) that are dropped after the test."""
    made = []

    def make(prefix="ejia_test"):
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        create_database(name)
        made.append(name)
        return pg_database_url(name)

    yield make
    drop_databases(made)


@pytest.fixture
def pg_admin_url():
    """The PostgreSQL server's admin URL (to name databases that do not exist yet)."""
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_database_factory):
    return pg_database_factory()
