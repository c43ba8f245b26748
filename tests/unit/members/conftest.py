import pytest

from services.members import personal, projections, transfer_projections
from shared.catalog import catalog
from shared.database import Database
from shared.store import EventStore, UnitOfWork


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'members.db'}", projections.metadata)
    yield database
    database.dispose()


@pytest.fixture
def store():
    return EventStore("members", catalog, [projections.project, transfer_projections.project, personal.project])


@pytest.fixture
def uow(db, store):
    """A new unit of work (one transaction) per call: ``with uow() as u: ...``."""
    return lambda: UnitOfWork(db, store)
