"""``shared.database.driver_rows``: a Core statement's rows straight from the
driver's cursor, the same rows ``conn.execute`` gives (a branch's page is
read this way)."""
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, case, create_engine, insert, select

from shared.database import driver_rows

metadata = MetaData()
things = Table("things", metadata, Column("id", Integer, primary_key=True), Column("kind", String(10)),
               Column("name", String(20)))


@pytest.fixture
def conn(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'things.db'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(things), [{"id": i, "kind": "ab"[i % 2], "name": f"thing {i}"} for i in range(10)])
        yield conn
    engine.dispose()


@pytest.mark.parametrize("kind", ["a", "b"])
def test_the_rows_equal_executes_with_the_statements_own_values_and_the_callers(conn, kind):
    statement = (select(things.c.id, case((things.c.kind.in_(["a", "c"]), "first"), else_="second").label("half"))
                 .where(things.c.kind == bindparam("kind")).order_by(things.c.id).limit(bindparam("limit")))
    params = {"kind": kind, "limit": 3}
    assert driver_rows(conn, statement, params) == [tuple(row) for row in conn.execute(statement, params)]
    assert driver_rows(conn, statement, params)  # compiled once, run again


def test_an_in_of_the_callers_values_is_refused(conn):
    statement = select(things.c.id).where(things.c.kind.in_(bindparam("kinds", expanding=True)))
    with pytest.raises(ValueError, match="caller's values"):
        driver_rows(conn, statement, {"kinds": ["a"]})
