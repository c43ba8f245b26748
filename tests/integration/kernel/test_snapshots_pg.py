"""Snapshots on PostgreSQL (tests/unit/kernel/test_snapshots.py on SQLite):
the snapshot is written in the append's own round trip, never by an append
that did not commit; the snapshot and the events after it rebuild what the
whole stream does, read by one prepared statement, which outlives rollbacks
and still answers when the snapshots are gone."""
import datetime as dt
from decimal import Decimal

import psycopg2.extensions
import pytest
from marshmallow import fields
from sqlalchemy import MetaData, delete, select

from shared.aggregate import Aggregate, when
from shared.catalog import EventCatalog
from shared.database import Database
from shared.errors import Conflict
from shared.event import Event
from shared.snapshots import Snapshots, snapshot_table
from shared.store import EventStore, UnitOfWork

metadata = MetaData()
snapshots_table = snapshot_table("counter_snapshots", metadata)


class Counted(Event):
    event_type = "ktest.counted"
    amount = fields.Decimal(required=True, as_string=True, places=2)
    on = fields.Date(required=True)


class Counter(Aggregate):
    aggregate_type = "counter"
    snapshots = Snapshots(snapshots_table, every=5)

    def __init__(self, aggregate_id):
        super().__init__(aggregate_id)
        self.total, self.days = Decimal("0"), []

    def count(self, amount: str, on: dt.date):
        self.record(Counted(amount=Decimal(amount), on=on))

    @when(Counted)
    def when_counted(self, p):
        self.total += p["amount"]
        self.days.append(p["on"])

    def snapshot_state(self):
        return {"total": self.total, "days": self.days}

    @classmethod
    def from_snapshot(cls, aggregate_id, state):
        counter = cls(aggregate_id)
        counter.total = Decimal(state["total"])
        counter.days = [dt.date.fromisoformat(day) for day in state["days"]]
        return counter


@pytest.fixture
def db(pg_url):
    database = Database(pg_url, metadata)
    yield database
    database.dispose()


@pytest.fixture
def store():
    catalog = EventCatalog()
    catalog.register(Counted)
    return EventStore("ktest", catalog)


def count(db, store, amounts, held=False):
    for amount in amounts:
        uow = UnitOfWork(db, store)
        with uow.writing_at_commit() if held else uow:
            counter = uow.find(Counter, "c1") or Counter("c1")
            counter.count(amount, dt.date(2024, 1, 1) + dt.timedelta(days=counter.version))
            uow.save(counter)


def snapshot_versions(db):
    with db.connect() as conn:
        return conn.execute(select(snapshots_table.c.aggregate_version)).scalars().all()


def replayed(db, store):
    with db.connect() as conn:
        return Counter.rehydrate("c1", store.load_stream(conn, "c1"))


def loaded(db, store):
    with UnitOfWork(db, store) as uow:
        return uow.find(Counter, "c1")


def state(counter):
    return counter.version, counter.total, counter.days


@pytest.mark.parametrize("held", [False, True])
def test_the_snapshot_and_the_events_after_it_rebuild_the_whole_stream(db, store, held):
    count(db, store, ["1.10"] * 4, held)
    assert snapshot_versions(db) == []
    count(db, store, ["2.20"], held)
    assert snapshot_versions(db) == [5]
    count(db, store, ["3.30"] * 7, held)
    assert snapshot_versions(db) == [10]
    assert state(loaded(db, store)) == state(replayed(db, store)) == \
        (12, Decimal("4.40") + Decimal("2.20") + Decimal("23.10"), [dt.date(2024, 1, d) for d in range(1, 13)])


def test_an_append_that_did_not_commit_leaves_no_snapshot(db, store):
    count(db, store, ["1.00"] * 3)
    with UnitOfWork(db, store) as uow:
        stale = uow.find(Counter, "c1")
    count(db, store, ["1.00"])
    stale.count("9.00", dt.date(2024, 2, 1))
    stale.count("9.00", dt.date(2024, 2, 2))  # would reach version 5
    with pytest.raises(Conflict):
        with UnitOfWork(db, store).writing_at_commit() as uow:
            uow.save(stale)
    assert snapshot_versions(db) == []
    assert state(loaded(db, store)) == state(replayed(db, store)) == (4, Decimal("4.00"), [
        dt.date(2024, 1, d) for d in range(1, 5)])


def test_a_snapshot_due_costs_no_round_trip_of_its_own(db, store):
    count(db, store, ["1.00"] * 4, held=True)
    original = psycopg2.extensions.get_wait_callback()
    trips = []
    psycopg2.extensions.set_wait_callback(lambda conn, *timeout: trips.append(1) or original(conn, *timeout))
    try:
        count(db, store, ["1.00"], held=True)
    finally:
        psycopg2.extensions.set_wait_callback(original)
    assert snapshot_versions(db) == [5] and len(trips) == 2


def test_the_prepared_read_outlives_a_rollback_and_the_snapshots_going(db, store):
    count(db, store, ["1.00"] * 6)
    with pytest.raises(RuntimeError):
        with UnitOfWork(db, store) as uow:
            uow.find(Counter, "c1")
            raise RuntimeError("the command failed")
    assert state(loaded(db, store)) == state(replayed(db, store))
    with db.begin() as conn:
        conn.execute(delete(snapshots_table))
    for _ in range(3):  # every pooled connection, whichever prepared it
        assert state(loaded(db, store)) == state(replayed(db, store)) == (6, Decimal("6.00"), [
            dt.date(2024, 1, d) for d in range(1, 7)])
    with UnitOfWork(db, store) as uow:
        assert uow.find(Counter, "nope") is None
