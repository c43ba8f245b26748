"""The one factory of the unit tests' kernel fixtures (a uniquely named
module in tests/unit, on sys.path through the root conftest's rootdir):
each service's conftest asks for its own with

    db, store, uow, run, read = kernel_fixtures("dues", [projections.metadata], [projections.project])

- ``db``: the service's database, a SQLite file in the test's tmp_path;
- ``store``: its event store with the given inline projectors;
- ``uow()``: a new unit of work (one transaction) per call;
- ``run(command, *args)``: a command in its own unit of work;
- ``read(query, *args)``: a query on a fresh connection.
"""
import pytest

from shared.catalog import catalog
from shared.database import Database
from shared.store import EventStore, UnitOfWork


def kernel_fixtures(service: str, metadatas, projectors):
    @pytest.fixture
    def db(tmp_path):
        database = Database(f"sqlite:///{tmp_path / (service + '.db')}", *metadatas)
        yield database
        database.dispose()

    @pytest.fixture
    def store():
        return EventStore(service, catalog, list(projectors))

    @pytest.fixture
    def uow(db, store):
        return lambda *_: UnitOfWork(db, store)

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

    return db, store, uow, run, read
