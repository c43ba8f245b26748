import datetime as dt

import pytest

from services.dues import commands, projections
from shared.catalog import catalog
from shared.database import Database
from shared.store import EventStore, UnitOfWork

TODAY = dt.date(2024, 7, 15)
BRANCH = "branch-1"


def member_state(stage="probationary", status="active", org_id=BRANCH, **dates):
    return {"org_id": org_id, "group_id": None, "stage": stage, "status": status, **dates}


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'dues.db'}", projections.metadata)
    yield database
    database.dispose()


@pytest.fixture
def store():
    return EventStore("dues", catalog, [projections.project])


@pytest.fixture
def uow(db, store):
    """A new unit of work (one transaction) per call: ``with uow() as u: ...``."""
    return lambda: UnitOfWork(db, store)


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
def admit(run):
    """A member admitted as probationary at a meeting on ``admitted_on``."""
    def admit(member_id, admitted_on=dt.date(2024, 1, 10), org_id=BRANCH):
        payload = member_state(org_id=org_id, admitted_on=admitted_on, approved_on=admitted_on)
        run(commands.follow_member, "members.admission_approved", member_id, payload,
            dt.datetime.combine(admitted_on, dt.time(), dt.timezone.utc))
    return admit
