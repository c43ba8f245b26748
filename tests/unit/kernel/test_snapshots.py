"""Snapshots (shared/snapshots.py): written with the append that reaches a
multiple of ``every``, never for an append that did not commit; a load from
the latest snapshot and the events after it equals the whole stream's
replay; a snapshot of another shape, or none, falls back to the stream.
tests/integration/kernel/test_snapshots_pg.py runs the same on PostgreSQL."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import MetaData, delete, func, select, update

from shared.database import Database
from shared.errors import Conflict
from shared.snapshots import Snapshots, snapshot_table
from shared.store import UnitOfWork

from .conftest import Account

snapshot_metadata = MetaData()
account_snapshots = snapshot_table("account_snapshots", snapshot_metadata)


class SnappedAccount(Account):
    """The kernel tests' account, snapshotted every 3 events."""
    snapshots = Snapshots(account_snapshots, every=3)

    def snapshot_state(self) -> dict:
        return {"holder": self.holder, "balance": self.balance}

    @classmethod
    def from_snapshot(cls, aggregate_id, state):
        account = cls(aggregate_id)
        account.holder, account.balance = state["holder"], Decimal(state["balance"])
        return account


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'snapshots.db'}", snapshot_metadata)
    yield database
    database.dispose()


def deposit(db, store, amounts, account_id="a1", held=False):
    """Open the account if needed, then one event per amount, one unit of work each."""
    for amount in amounts:
        uow = UnitOfWork(db, store)
        with uow.writing_at_commit() if held else uow:
            account = uow.find(SnappedAccount, account_id)
            if account is None:
                account = SnappedAccount(account_id)
                account.open("王芳", Decimal("10.00"), dt.date(2024, 1, 1))
            else:
                account.deposit(Decimal(amount))
            uow.save(account)


def snapshots_of(db):
    with db.connect() as conn:
        return conn.execute(select(account_snapshots.c.aggregate_id, account_snapshots.c.aggregate_version)).all()


def replayed(db, store, account_id="a1"):
    """The account from its whole stream, as without snapshots."""
    with db.connect() as conn:
        return Account.rehydrate(account_id, store.load_stream(conn, account_id))


def state(account):
    return account.version, account.holder, account.balance


def test_a_snapshot_is_written_by_the_append_reaching_a_multiple_of_every(db, store):
    deposit(db, store, ["open", "1.00"])
    assert snapshots_of(db) == []
    deposit(db, store, ["2.00"])
    assert snapshots_of(db) == [("a1", 3)]
    deposit(db, store, ["3.00", "4.00"])
    assert snapshots_of(db) == [("a1", 3)]
    deposit(db, store, ["5.00"])
    assert snapshots_of(db) == [("a1", 6)]  # the latest only


@pytest.mark.parametrize("events", [1, 2, 3, 4, 5, 6, 7, 10])
def test_snapshot_and_later_events_equal_the_whole_streams_replay(db, store, events):
    deposit(db, store, ["open", *(f"{i}.25" for i in range(1, events))])
    with UnitOfWork(db, store) as uow:
        loaded = uow.find(SnappedAccount, "a1")
    assert state(loaded) == state(replayed(db, store)) == (events, "王芳", Decimal("10.00") + sum(
        (Decimal(f"{i}.25") for i in range(1, events)), Decimal("0")))


def test_one_append_crossing_a_multiple_snapshots_its_last_version(db, store):
    account = SnappedAccount("a1")
    account.open("王芳", Decimal("10.00"), dt.date(2024, 1, 1))
    for _ in range(6):
        account.deposit(Decimal("1.00"))
    with UnitOfWork(db, store) as uow:
        uow.save(account)
    assert snapshots_of(db) == [("a1", 7)]
    with UnitOfWork(db, store) as uow:
        assert state(uow.find(SnappedAccount, "a1")) == (7, "王芳", Decimal("16.00"))


def test_an_append_that_did_not_commit_leaves_no_snapshot(db, store):
    deposit(db, store, ["open", "1.00"])
    with UnitOfWork(db, store) as uow:
        stale = uow.find(SnappedAccount, "a1")
    deposit(db, store, ["2.00"])  # version 3: snapshot at 3
    stale.deposit(Decimal("100.00"))
    stale.deposit(Decimal("100.00"))
    stale.deposit(Decimal("100.00"))
    stale.deposit(Decimal("100.00"))
    with pytest.raises(Conflict):
        with UnitOfWork(db, store) as uow:
            uow.save(stale)  # versions 3-6 are taken at 3: refused, snapshot and all
    assert snapshots_of(db) == [("a1", 3)]
    with pytest.raises(RuntimeError):
        with UnitOfWork(db, store) as uow:
            account = uow.find(SnappedAccount, "a1")
            for _ in range(3):
                account.deposit(Decimal("5.00"))
            uow.save(account)
            raise RuntimeError("the command failed after saving")
    assert snapshots_of(db) == [("a1", 3)]
    assert state(replayed(db, store)) == (3, "王芳", Decimal("13.00"))


def test_without_a_snapshot_or_with_one_of_another_shape_the_stream_is_replayed(db, store):
    deposit(db, store, ["open", "1.00", "2.00", "3.00"])
    expected = state(replayed(db, store))
    with db.begin() as conn:  # a snapshot of another shape: ignored, whatever it says
        conn.execute(update(account_snapshots).values(state_version=99, state='{"holder": "?", "balance": "0"}'))
    with UnitOfWork(db, store) as uow:
        assert state(uow.find(SnappedAccount, "a1")) == expected
    with db.begin() as conn:  # the table emptied: a cache, nothing is lost
        conn.execute(delete(account_snapshots))
    with UnitOfWork(db, store) as uow:
        assert state(uow.find(SnappedAccount, "a1")) == expected


def test_a_snapshot_is_not_read_for_another_aggregate_type(db, store):
    deposit(db, store, ["open", "1.00", "2.00"])

    class Other(SnappedAccount):
        aggregate_type = "other"

    with UnitOfWork(db, store) as uow:
        assert uow.find(Other, "a1") is None
        assert uow.find(SnappedAccount, "nope") is None


def test_an_older_snapshot_never_replaces_a_newer_one(db, store):
    deposit(db, store, ["open", *["1.00"] * 5])
    snapshots = SnappedAccount.snapshots
    with UnitOfWork(db, store) as uow:
        older = uow.find(SnappedAccount, "a1")
    older.version = 3
    with db.begin() as conn:
        snapshots.save(conn, snapshots.row(older, 3))
    assert snapshots_of(db) == [("a1", 6)]


def test_when_a_snapshot_is_due():
    snapshots = Snapshots(account_snapshots, every=20)
    assert [n for n in range(0, 60) if snapshots.due(n, n + 1)] == [19, 39, 59]
    assert snapshots.due(18, 21) and not snapshots.due(20, 39) and snapshots.due(0, 40)
    with pytest.raises(ValueError):
        Snapshots(account_snapshots, every=0)


def test_writing_at_commit_also_writes_the_snapshot(db, store):
    deposit(db, store, ["open", "1.00", "2.00", "3.00"], held=True)
    assert snapshots_of(db) == [("a1", 3)]
    with UnitOfWork(db, store) as uow:
        assert state(uow.find(SnappedAccount, "a1")) == state(replayed(db, store)) == (4, "王芳", Decimal("16.00"))
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(account_snapshots)).scalar_one() == 1
