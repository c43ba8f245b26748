import pytest

from services.members import org_events, projections, transfer_projections
from shared.catalog import catalog
from shared.database import Database
from shared.inbox import Inbox
from shared.store import EventStore, UnitOfWork


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'members.db'}", projections.metadata)
    yield database
    database.dispose()


@pytest.fixture
def store():
    """The members service's store, with both of its inline projectors."""
    return EventStore("members", catalog, [projections.project, transfer_projections.project])


@pytest.fixture
def uow(db, store):
    """A new unit of work (one transaction) per call: ``with uow() as u: ...``."""
    return lambda envelope=None: UnitOfWork(db, store)


@pytest.fixture
def run(uow):
    def run(command, *args, **kwargs):
        with uow() as u:
            return command(u, *args, **kwargs)
    return run


@pytest.fixture
def read(db):
    def read(query, *args, **kwargs):
        with db.connect() as conn:
            return query(conn, *args, **kwargs)
    return read


@pytest.fixture
def deliver(db):
    """Deliver an orgs event to known_orgs, through the inbox."""
    box = Inbox(db)
    return lambda envelope: box.handle(f"members.on_{envelope.event_type.split('.')[1]}", envelope,
                                       org_events.apply_org_event)
