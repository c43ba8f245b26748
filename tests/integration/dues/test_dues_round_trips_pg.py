"""A payment on PostgreSQL is two round trips: the account's read (its
snapshot and the events after it, a statement prepared once per connection)
and one driver call with the event, its outbox row and the statement line,
which is its own transaction. The guarantees hold on that path: a stale
write is a Conflict, a key taken by another member's payment refuses the
whole write, and a retry answers with the first receipt. An aged account
loads from its snapshot as from its whole stream."""
import datetime as dt
from decimal import Decimal

import psycopg2.extensions
import pytest
from sqlalchemy import func, select

from services.dues import commands, projections
from services.dues.domain import SNAPSHOT_EVERY, DuesAccount
from services.dues.ledger import first_day, month_of, month_text
from services.dues.tables import account_snapshots
from shared.catalog import catalog
from shared.database import Database
from shared.errors import Conflict
from shared.store import EventStore, UnitOfWork
from shared.tables import events, outbox

D = Decimal
TODAY = dt.date.today()


@pytest.fixture
def db(pg_url):
    database = Database(pg_url, projections.metadata)
    yield database
    database.dispose()


@pytest.fixture
def store():
    return EventStore("dues", catalog, [projections.project])


def run(db, store, command, *args, **kwargs):
    with UnitOfWork(db, store) as uow:
        return command(uow, *args, **kwargs)


def open_account(db, store, member_id, admitted: dt.date):
    run(db, store, commands.follow_member, "members.admission_approved", member_id,
        {"org_id": "branch-1", "group_id": None, "stage": "probationary", "status": "active",
         "admitted_on": admitted, "approved_on": admitted},
        dt.datetime.combine(admitted, dt.time(9), dt.timezone.utc))
    run(db, store, commands.set_dues_base, member_id, today=admitted, category="employed",
        effective_month=admitted.strftime("%Y-%m"), base=D("6000.00"))


def pay_once(db, store, member_id, key, month=TODAY.strftime("%Y-%m"), amount="90.00"):
    return commands.pay_once(lambda: UnitOfWork(db, store).writing_at_commit(), db.connect, today=TODAY,
                             idempotency_key=key, member_id=member_id, months=[month], amount=D(amount))


def count(db, table, *where):
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


class RoundTrips:
    """Counts the queries that went to the server and waited for it (the
    green driver's wait callback runs once for each)."""

    def __enter__(self):
        self.original = psycopg2.extensions.get_wait_callback()
        assert self.original is not None, "the tests run with eventlet's green psycopg2"
        self.count = 0

        def counting(conn, timeout=None):
            self.count += 1
            return self.original(conn) if timeout is None else self.original(conn, timeout)
        psycopg2.extensions.set_wait_callback(counting)
        return self

    def __exit__(self, *exc):
        psycopg2.extensions.set_wait_callback(self.original)


def test_a_payment_is_two_round_trips(db, store):
    open_account(db, store, "m-1", TODAY.replace(day=1))
    open_account(db, store, "m-2", TODAY.replace(day=1))
    pay_once(db, store, "m-1", "k-1")  # the connection's first: its statement is prepared
    with RoundTrips() as trips:
        receipt = pay_once(db, store, "m-2", "k-2")
    assert trips.count == 2
    assert receipt["total"] == D("90.00") and receipt["member_id"] == "m-2"
    assert count(db, projections.dues_payments) == 2 and count(db, projections.dues_paid_months) == 2
    assert count(db, outbox) == count(db, events)


def test_a_stale_payment_is_a_conflict_and_writes_nothing(db, store):
    open_account(db, store, "m-1", TODAY.replace(day=1))
    written = count(db, events)
    next_month = month_text(month_of(TODAY) + 1)
    with pytest.raises(Conflict, match="changed by someone else"):
        with UnitOfWork(db, store).writing_at_commit() as uow:
            commands.pay(uow, today=TODAY, idempotency_key="k-1", member_id="m-1", months=[TODAY.strftime("%Y-%m")],
                         amount=D("90.00"))
            pay_once(db, store, "m-1", "k-2", month=next_month)
    assert count(db, events) == count(db, outbox) == written + 1
    assert count(db, projections.dues_payments) == 1


def test_a_key_taken_by_another_members_payment_refuses_the_whole_write(db, store):
    open_account(db, store, "m-1", TODAY.replace(day=1))
    open_account(db, store, "m-2", TODAY.replace(day=1))
    first = pay_once(db, store, "m-1", "k-1")
    written = count(db, events)
    with pytest.raises(Conflict) as refused:
        pay_once(db, store, "m-2", "k-1")  # the statement line's unique key, in the event's own write
    assert refused.value.fields["payment_id"] == first["payment_id"]
    assert count(db, events) == count(db, outbox) == written  # nor the event, nor its outbox row
    assert pay_once(db, store, "m-1", "k-1") == first
    assert count(db, projections.dues_paid_months) == 1


def test_an_aged_account_loads_and_pays_from_its_snapshot(db, store):
    """Four years of monthly payments, written as the months went by."""
    start = month_of(TODAY) - 48
    admitted = first_day(start) + dt.timedelta(days=9)
    open_account(db, store, "m-1", admitted)
    with UnitOfWork(db, store) as uow:
        account = uow.load(DuesAccount, "m-1")
        for month in range(start, month_of(TODAY)):
            day = first_day(month) + dt.timedelta(days=14)
            account.pay(payment_id=f"p-{month}", idempotency_key=f"k-{month}", months=[month], amount=D("90.00"),
                        voluntary_extra=None, paid_by=None, paid_on=day, today=day)
            uow.save(account)
    with db.connect() as conn:
        (version,) = conn.execute(select(account_snapshots.c.aggregate_version)).one()
        whole = DuesAccount.rehydrate("m-1", store.load_stream(conn, "m-1"))
    assert version == whole.version // SNAPSHOT_EVERY * SNAPSHOT_EVERY and whole.version == 50
    with UnitOfWork(db, store) as uow:
        loaded = uow.find(DuesAccount, "m-1")
    assert {k: v for k, v in vars(loaded).items() if k != "_pending"} == \
        {k: v for k, v in vars(whole).items() if k != "_pending"}
    receipt = pay_once(db, store, "m-1", "k-now")
    assert receipt["paid_up_to"] == TODAY.strftime("%Y-%m")
    with UnitOfWork(db, store) as uow:
        assert uow.find(DuesAccount, "m-1").version == 51
