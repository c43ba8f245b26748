import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shared.bus import PublishFailed
from shared.envelope import CommandContext
from shared.errors import Conflict, NotFound
from shared.inbox import Inbox, advance_version
from shared.outbox import OutboxRelay
from shared.store import UnitOfWork
from shared.tables import events, outbox

from .conftest import Account


def open_account(db, store, account_id="a1", **kwargs):
    account = Account(account_id)
    account.open("王芳", Decimal("10.00"), dt.date(2024, 1, 1))
    with UnitOfWork(db, store, **kwargs) as uow:
        uow.save(account)
    return account


def count(db, table):
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_an_aggregate_is_rebuilt_from_its_stream(db, store):
    open_account(db, store, context=CommandContext(actor="secretary-1", correlation_id="c-1"))
    with UnitOfWork(db, store) as uow:
        account = uow.load(Account, "a1")
        account.deposit(Decimal("0.10"))
        account.deposit(Decimal("0.20"))
        uow.save(account)
    with UnitOfWork(db, store) as uow:
        account = uow.load(Account, "a1")
    assert account.balance == Decimal("10.30") and account.version == 3
    with db.connect() as conn:
        stream = store.load_stream(conn, "a1")
        log = store.read_log(conn, after_position=1)
    assert [e.aggregate_version for e in stream] == [1, 2, 3]
    assert (stream[0].actor, stream[0].correlation_id) == ("secretary-1", "c-1")
    assert [e.event_type for _, e in log] == ["unit.deposit_made", "unit.deposit_made"]
    assert stream[0].occurred_at.tzinfo == dt.timezone.utc


def test_a_stale_writer_gets_a_conflict_and_writes_nothing(db, store):
    open_account(db, store)
    with UnitOfWork(db, store) as first:
        stale = first.load(Account, "a1")
    with UnitOfWork(db, store) as second:
        fresh = second.load(Account, "a1")
        fresh.deposit(Decimal("1.00"))
        second.save(fresh)
    stale.deposit(Decimal("5.00"))
    with pytest.raises(Conflict):
        with UnitOfWork(db, store) as uow:
            uow.save(stale)
    assert count(db, events) == 2 and count(db, outbox) == 2


def test_a_missing_aggregate_is_not_found(db, store):
    with pytest.raises(NotFound, match="account nope"):
        with UnitOfWork(db, store) as uow:
            uow.load(Account, "nope")


def test_a_failed_command_leaves_no_event_and_no_outbox_row(db, store):
    with pytest.raises(RuntimeError):
        with UnitOfWork(db, store) as uow:
            account = Account("a1")
            account.open("王芳", Decimal("1.00"), dt.date(2024, 1, 1))
            uow.save(account)
            raise RuntimeError("the command failed after saving")
    assert count(db, events) == 0 and count(db, outbox) == 0


class RecordingPublisher:
    def __init__(self, fail=False):
        self.fail = fail
        self.batches = []

    def publish_batch(self, messages):
        if self.fail:
            raise PublishFailed("broker unreachable")
        self.batches.append(messages)


def test_the_relay_marks_rows_published_only_after_the_broker_confirmed(db, store):
    commits = []
    open_account(db, store, on_commit=lambda: commits.append(1))
    assert commits == [1]
    down = OutboxRelay(db, RecordingPublisher(fail=True))
    with pytest.raises(PublishFailed):
        down.publish_pending()
    assert down.backlog() == 1
    publisher = RecordingPublisher()
    relay = OutboxRelay(db, publisher, batch_size=2)
    open_account(db, store, "a2")
    open_account(db, store, "a3")
    assert relay.publish_pending() == 3
    assert relay.backlog() == 0 and relay.publish_pending() == 0
    sent = [m for batch in publisher.batches for m in batch]
    assert [m.routing_key for m in sent] == ["unit.account_opened"] * 3
    assert {m.exchange for m in sent} == {"unit.events"}
    assert len(publisher.batches) == 2  # batches of at most 2


def test_the_inbox_applies_an_event_once(db, store):
    open_account(db, store)
    with db.connect() as conn:
        envelope = store.load_stream(conn, "a1")[0]
    applied = []
    inbox = Inbox(db)
    assert inbox.handle("unit.counter", envelope, lambda conn, e: applied.append(e.event_id))
    assert not inbox.handle("unit.counter", envelope, lambda conn, e: applied.append(e.event_id))
    assert inbox.handle("unit.other_consumer", envelope, lambda conn, e: applied.append(e.event_id))
    assert len(applied) == 2


def test_a_failing_consumer_leaves_no_inbox_record_so_a_retry_applies_it(db, store):
    open_account(db, store)
    with db.connect() as conn:
        envelope = store.load_stream(conn, "a1")[0]
    inbox = Inbox(db)

    def explode(conn, e):
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        inbox.handle("unit.counter", envelope, explode)
    assert inbox.handle("unit.counter", envelope, lambda conn, e: None)


def test_projection_versions_never_regress(db):
    with db.begin() as conn:
        assert advance_version(conn, "p", "a1", 2)
        assert not advance_version(conn, "p", "a1", 1)
        assert not advance_version(conn, "p", "a1", 2)
        assert advance_version(conn, "p", "a1", 3)
