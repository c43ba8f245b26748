"""A payment is written at commit (``UnitOfWork.writing_at_commit``), its
statement line and paid months as rows of the append (the projector's
``rows``): the same receipts, lines and refusals as a plain unit of work,
nothing written until the block ends, and a command whose projector must be
called refused. On PostgreSQL the same path is two round trips
(tests/integration/dues/test_dues_round_trips_pg.py)."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from services.dues import commands, projections
from services.dues.ledger import month_index as mi
from shared.envelope import Envelope
from shared.errors import Conflict
from shared.store import UnitOfWork
from shared.tables import events, outbox

TODAY = dt.date(2024, 7, 15)
D = Decimal


def count(db, table):
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.fixture
def account(admit, run):
    admit("m-1")
    run(commands.set_dues_base, "m-1", today=TODAY, category="employed", effective_month="2024-01",
        base=D("3000.00"))
    return "m-1"


def held(db, store):
    return lambda: UnitOfWork(db, store).writing_at_commit()


def pay_once(db, store, key, months=("2024-01",), amount="15.00", held_uow=True):
    return commands.pay_once(held(db, store) if held_uow else (lambda: UnitOfWork(db, store)), db.connect,
                             today=TODAY, idempotency_key=key, member_id="m-1", months=list(months),
                             amount=D(amount))


def lines(db):
    with db.connect() as conn:
        payments = conn.execute(select(projections.dues_payments).order_by("position")).all()
        months = conn.execute(select(projections.dues_paid_months).order_by("month")).all()
    return ([{k: v for k, v in row._mapping.items() if k not in ("payment_id", "recorded_at")} for row in payments],
            [(row.month, row.amount, row.org_id) for row in months])


def test_a_payment_written_at_commit_is_the_payment_written_at_once(account, db, store):
    first = pay_once(db, store, "k-1")
    second = pay_once(db, store, "k-2", months=("2024-02", "2024-03"), amount="30.00", held_uow=False)
    assert pay_once(db, store, "k-1") == first  # the retry's answer
    written = lines(db)
    assert [line["months"] for line in written[0]] == [[{"month": "2024-01", "amount": "15.00"}],
                                                       [{"month": "2024-02", "amount": "15.00"},
                                                        {"month": "2024-03", "amount": "15.00"}]]
    assert [line["total"] for line in written[0]] == [D("15.00"), D("30.00")]
    assert written[1] == [(mi(m), D("15.00"), "branch-1") for m in ("2024-01", "2024-02", "2024-03")]
    assert (first["paid_up_to"], second["paid_up_to"]) == ("2024-01", "2024-03")
    assert count(db, events) == count(db, outbox) == 4


def test_nothing_is_written_before_the_block_ends(account, db, store):
    before = count(db, events)
    with UnitOfWork(db, store).writing_at_commit() as uow:
        receipt = commands.pay(uow, today=TODAY, idempotency_key="k-1", member_id="m-1", months=["2024-01"],
                               amount=D("15.00"))
        assert count(db, events) == before and count(db, projections.dues_payments) == 0
    assert count(db, events) == before + 1 and lines(db)[0][0]["idempotency_key"] == receipt["idempotency_key"]


def test_a_stale_payment_is_a_conflict_when_the_block_ends_and_writes_nothing(account, db, store):
    with pytest.raises(Conflict, match="changed by someone else"):
        with UnitOfWork(db, store).writing_at_commit() as uow:
            commands.pay(uow, today=TODAY, idempotency_key="k-1", member_id="m-1", months=["2024-01"],
                         amount=D("15.00"))
            pay_once(db, store, "k-2", months=("2024-02",))  # another payment of the account meanwhile
    assert [line["idempotency_key"] for line in lines(db)[0]] == ["k-2"]
    assert count(db, events) == count(db, outbox) == 3


def test_a_twin_that_lost_the_race_answers_with_the_winners_receipt(account, db, store):
    """The twin read the account before the first one committed: its append is
    refused (the stream moved on), and the payment under its key is the answer."""
    first = {}

    def factory():
        uow = UnitOfWork(db, store).writing_at_commit()
        if not first:  # once the twin has read the account, the first request commits
            original = uow.find

            def find(*args):
                found = original(*args)
                first.update(pay_once(db, store, "k-1"))
                return found
            uow.find = find
        return uow

    twin = commands.pay_once(factory, db.connect, today=TODAY, idempotency_key="k-1", member_id="m-1",
                             months=["2024-01"], amount=D("15.00"))
    assert twin == first
    assert len(lines(db)[0]) == 1


def test_a_command_whose_projector_must_be_called_is_refused(account, db, store):
    with pytest.raises(TypeError, match="dues.base_set"):
        with UnitOfWork(db, store).writing_at_commit() as uow:
            commands.set_dues_base(uow, "m-1", today=TODAY, category="employed", effective_month="2024-03",
                                   base=D("6000.00"))
    assert count(db, events) == 2


def test_the_payments_projector_gives_rows_and_is_not_called_for_them(account, db, store, monkeypatch):
    called = []
    monkeypatch.setitem(projections.PROJECTORS, "dues.payment_recorded", lambda conn, e: called.append(e))
    pay_once(db, store, "k-1", held_uow=False)
    pay_once(db, store, "k-2", months=("2024-02",))
    assert called == [] and len(lines(db)[0]) == 2
    base_set = Envelope(event_type="dues.base_set", event_version=1, aggregate_type="dues_account",
                        aggregate_id="m-1", aggregate_version=2, payload={})
    assert projections.project.rows(base_set) is None  # a refold: it must be called
