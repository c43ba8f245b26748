# nameko's pytest plugin no longer monkey-patches (docs/architecture.md, Stack notes): do it first.
import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

PG_ADMIN_URL = os.environ.get("EJIA_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
AMQP_URI = os.environ.get("EJIA_TEST_AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")


def _admin_engine():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture
def pg_database_factory():
    """Make fresh PostgreSQL databases (URL strings) that are dropped after the test."""
    made = []

    def make(prefix="ejia_test"):
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        engine = _admin_engine()
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        made.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    yield make
    engine = _admin_engine()
    with engine.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def pg_admin_url():
    """The PostgreSQL server's admin URL (to name databases that do not exist yet)."""
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_database_factory):
    return pg_database_factory()
