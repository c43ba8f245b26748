"""Dues accounts are snapshotted every SNAPSHOT_EVERY events (their streams
grow by one a month for as long as the member pays): a snapshot taken after
any event, written down as JSON and read back, with the events after it,
makes the same account as replaying the whole stream; through the store the
account, its statement and its schedule are the same with snapshots as
without."""
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import orjson
import pytest
from sqlalchemy import delete, select

from services.dues import commands, projections, queries
from services.dues.domain import SNAPSHOT_EVERY, DuesAccount
from services.dues.ledger import first_day, month_of
from services.dues.ledger import month_index as mi
from services.dues.tables import account_snapshots
from shared import codec
from shared.catalog import catalog
from shared.store import UnitOfWork

D = Decimal
BRANCH = "branch-1"


def stored(events):
    """The events as the store gives them back: the payload through JSON and the class's decoder."""
    return [SimpleNamespace(event_type=e.event_type, aggregate_version=version,
                            payload=catalog.event_class(e.event_type).decode(orjson.loads(codec.dumps(e.wire))))
            for version, e in enumerate(events, start=1)]


def state(account: DuesAccount) -> dict:
    return {k: v for k, v in vars(account).items() if k != "_pending"}


def rich_account() -> DuesAccount:
    """Every event a dues account has: opened, bases, payments (one with a
    voluntary extra), a reduction approved and one rejected, a pending one,
    an arrears reason, a suspension and reinstatement, a move, a flag."""
    acc = DuesAccount.open("m-1", org_id=BRANCH, stage="probationary", status="active", owes_from=mi("2023-01"),
                           opened_on=dt.date(2023, 1, 10), source_event="members.admission_approved")
    acc.set_base(category="employed", base=D("6000.00"), amount=None, effective_month=mi("2023-01"),
                 policy="from_month_of_change", set_on=dt.date(2023, 1, 10))

    def pay(month, on, voluntary=None, amount="90.00"):
        acc.pay(payment_id=f"p-{month}", idempotency_key=f"k-{month}", months=[mi(month)], amount=D(amount),
                voluntary_extra=voluntary, paid_by=None, paid_on=on, today=on)

    pay("2023-01", dt.date(2023, 1, 20))
    pay("2023-02", dt.date(2023, 2, 20), voluntary=D("1200.00"))
    acc.request_reduction(reduction_id="r-1", kind="reduced", from_month=mi("2023-04"), to_month=mi("2023-06"),
                          monthly_amount=D("10.50"), reason="illness", decided_on=dt.date(2023, 3, 1),
                          decision_ref="minutes 3")
    acc.approve_reduction("r-1", "committee", dt.date(2023, 3, 5))
    acc.request_reduction(reduction_id="r-2", kind="waived", from_month=mi("2023-07"), to_month=mi("2023-07"),
                          monthly_amount=None, reason="flood", decided_on=dt.date(2023, 6, 1), decision_ref=None)
    acc.reject_reduction("r-2", "committee", "not eligible", dt.date(2023, 6, 3))
    acc.record_arrears_reason(mi("2023-08"), mi("2023-09"), "abroad")
    acc.follow_member(org_id=BRANCH, stage="full", status="suspended", on=dt.date(2023, 10, 5),
                      source_event="members.status_changed")
    acc.follow_member(org_id=BRANCH, stage="full", status="active", on=dt.date(2024, 1, 5),
                      source_event="members.status_changed")
    acc.move("branch-2", dt.date(2024, 2, 1), "members.transfer_completed")
    acc.set_base(category="retired", base=D("4000.00"), amount=None, effective_month=mi("2024-03"),
                 policy="from_month_of_change", set_on=dt.date(2024, 3, 1))
    acc.request_reduction(reduction_id="r-3", kind="waived", from_month=mi("2024-12"), to_month=mi("2024-12"),
                          monthly_amount=None, reason="hardship", decided_on=dt.date(2024, 3, 2), decision_ref=None)
    assert acc.check_arrears(mi("2024-08"))  # March to August unpaid
    pay("2024-09", dt.date(2024, 9, 10), amount="20.00")
    return acc


def test_the_snapshot_state_holds_everything_the_appliers_keep():
    kept = set(vars(rich_account())) - {"id", "version", "_pending", "rule_sets"}
    assert set(rich_account().snapshot_state()) == kept  # a new attribute needs a place here (and a new version)


def test_a_snapshot_after_any_event_and_the_events_after_it_make_the_replayed_account():
    events = stored(rich_account().pending_events)
    assert {e.event_type for e in events} == set(projections.PROJECTORS) - {"dues.base_policy_set"}
    whole = DuesAccount.rehydrate("m-1", events)
    for taken in range(1, len(events) + 1):
        snapshot = DuesAccount.rehydrate("m-1", events[:taken]).snapshot_state()
        account = DuesAccount.from_snapshot("m-1", orjson.loads(codec.dumps(snapshot)))
        account.version = taken
        for event in events[taken:]:
            account._apply(event.event_type, event.payload)
            account.version = event.aggregate_version
        assert state(account) == state(whole), f"snapshot after event {taken}"
    assert whole.paid_up_to() == DuesAccount.from_snapshot("m-1", orjson.loads(
        codec.dumps(whole.snapshot_state()))).paid_up_to()


# ---- through the store ----------------------------------------------------------------

def years_of_payments(run, member_id: str, months: int, admitted: int):
    """An account admitted in month ``admitted`` paying each month in it, a base change each January."""
    for month in range(admitted, admitted + months):
        day = first_day(month) + dt.timedelta(days=14)
        if month == admitted or month % 12 == 0:
            run(commands.set_dues_base, member_id, today=day, category="employed",
                effective_month=f"{month // 12}-{month % 12 + 1:02d}", base=D("3000.00") + month % 12 * 100)
        periods = run(lambda uow: uow.load(DuesAccount, member_id).schedule())
        due = next(p.due for p in periods if p.covers(month))
        run(commands.pay, today=day, idempotency_key=f"k-{month}", member_id=member_id,
            months=[f"{month // 12}-{month % 12 + 1:02d}"], amount=due)


@pytest.fixture
def aged(admit, run):
    """Four years of an account: ~52 events, snapshots at 20 and 40 (and the latest kept)."""
    start = mi("2020-01")
    admit("m-1", admitted_on=dt.date(2020, 1, 10))
    years_of_payments(run, "m-1", 48, start)
    return "m-1"


def loaded(db, store, member_id):
    with UnitOfWork(db, store) as uow:
        return uow.find(DuesAccount, member_id)


def replayed(db, store, member_id):
    with db.connect() as conn:
        return DuesAccount.rehydrate(member_id, store.load_stream(conn, member_id))


def test_an_aged_account_loads_from_its_snapshot_as_from_its_whole_stream(aged, db, store):
    with db.connect() as conn:
        (version,) = conn.execute(select(account_snapshots.c.aggregate_version)).one()
    whole = replayed(db, store, aged)
    assert whole.version > version >= SNAPSHOT_EVERY * 2 and version % SNAPSHOT_EVERY == 0
    assert state(loaded(db, store, aged)) == state(whole)
    with db.begin() as conn:
        conn.execute(delete(account_snapshots))
    assert state(loaded(db, store, aged)) == state(whole)


def test_the_read_models_are_the_same_with_snapshots_as_without(aged, db, store, run, read):
    today = dt.date(2024, 1, 20)
    run(commands.set_dues_base, aged, today=today, category="retired", effective_month="2024-01",
        base=D("5000.00"))  # a refold, from the snapshot
    statement = read(queries.get_dues, aged, today, 2024)
    with db.connect() as conn:
        schedule = [tuple(row) for row in conn.execute(select(projections.dues_schedule)
                                                       .order_by(projections.dues_schedule.c.from_month))]
    assert [(p.from_month, p.to_month, p.due) for p in replayed(db, store, aged).schedule()] == \
        [(row[1], row[2], row[8]) for row in schedule]
    with db.begin() as conn:
        conn.execute(delete(account_snapshots))
        projections.write_account(conn, replayed(db, store, aged), statement["version"])
    assert read(queries.get_dues, aged, today, 2024) == statement
    assert statement["monthly_amount"] == D("25.00") and month_of(today) == mi("2024-01")
