import datetime as dt

import pytest

from services.orgs import projections
from services.orgs.domain import ParentView
from services.orgs.rules import rules_in_force
from shared.catalog import catalog
from shared.database import Database
from shared.store import EventStore, UnitOfWork

TODAY = dt.date(2024, 3, 1)


@pytest.fixture
def rules():
    return rules_in_force(TODAY)


@pytest.fixture
def committee():
    return ParentView("committee-1", "committee", "active")


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'orgs.db'}", projections.metadata)
    yield database
    database.dispose()


@pytest.fixture
def store():
    return EventStore("orgs", catalog, [projections.project])


@pytest.fixture
def uow(db, store):
    """A new unit of work (one transaction) per call: ``with uow() as u: ...``."""
    return lambda: UnitOfWork(db, store)
