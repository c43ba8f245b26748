import pytest
from argon2 import PasswordHasher

from services.identity import commands, credentials, projections
from shared.catalog import catalog
from shared.database import Database
from shared.store import EventStore, UnitOfWork

from identity_helpers import PASSWORD


FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    """Cheap argon2 parameters, so that the throttling tests run in a blink
    (``real_hashing`` puts the service's defaults back)."""
    monkeypatch.setattr(credentials, "hasher", FAST_HASHER)
    monkeypatch.setattr(credentials, "_dummy_hash", None)


@pytest.fixture
def real_hashing(monkeypatch):
    monkeypatch.setattr(credentials, "hasher", PasswordHasher())
    monkeypatch.setattr(credentials, "_dummy_hash", None)


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'identity.db'}", *commands.METADATAS)
    yield database
    database.dispose()


@pytest.fixture
def store():
    return EventStore("identity", catalog, [projections.project])


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
def settings():
    return commands.Settings()


@pytest.fixture
def staff(run):
    """A staff account ``wang.fang`` (org_admin of org-1) with PASSWORD."""
    run(commands.create_account, username="wang.fang", display_name="Wang Fang", password=PASSWORD,
        kind="staff", roles=[{"role": "org_admin", "org_id": "org-1"}])
    return "wang.fang"
