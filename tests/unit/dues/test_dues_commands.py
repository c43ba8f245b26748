"""Command handlers and read models against a SQLite event store: accounts
following members events, idempotent payments, statements, the arrears job
and reassessment after a rule revision."""
import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from services.dues import commands, domain, projections, queries, upkeep
from services.dues.ledger import month_index as mi
from services.dues.rules import RULE_SETS, rules_fingerprint
from shared.codec import to_jsonable
from shared.contracts.dues import ReceiptOut
from shared.errors import Conflict, NotFound, RuleViolation
from shared.tables import events, outbox

TODAY = dt.date(2024, 7, 15)
BRANCH = "branch-1"  # as in conftest.py
D = Decimal


def member_state(stage="probationary", status="active", org_id=BRANCH, **dates):
    return {"org_id": org_id, "group_id": None, "stage": stage, "status": status, **dates}


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), dt.timezone.utc)


def count(db, table, *where):
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def event_types(db, member_id):
    with db.connect() as conn:
        return conn.execute(select(events.c.event_type).where(events.c.aggregate_id == member_id)
                            .order_by(events.c.aggregate_version)).scalars().all()


def set_base(run, member_id, base="3000.00", month="2024-01", category="employed", **extra):
    run(commands.set_dues_base, member_id, today=TODAY, category=category, effective_month=month,
        base=D(base) if base else None, **extra)


@pytest.fixture
def pay_once(uow, db):
    def pay_once(member_id, months, amount, key, **extra):
        return commands.pay_once(uow, db.connect, today=TODAY, idempotency_key=key, member_id=member_id,
                                 months=months, amount=D(amount), **extra)
    return pay_once


def pay(run, member_id, months, amount, key, **extra):
    return run(commands.pay, today=TODAY, idempotency_key=key, member_id=member_id, months=months,
               amount=D(amount), **extra)


def test_admission_opens_an_account_owing_from_the_meeting_month(admit, read, db):
    admit("m-1", admitted_on=dt.date(2024, 2, 28))
    account = read(queries.get_dues, "m-1", TODAY)
    assert (account["owes_from"], account["org_id"], account["liable"], account["paid_up_to"]) == \
        ("2024-02", BRANCH, True, None)
    assert account["category"] is None and account["balance"]["owed_months"] == []  # no base yet
    assert event_types(db, "m-1") == ["dues.account_opened"]


def test_registered_members_owe_from_registration_unless_admitted_just_before(run, read):
    def register(member_id, stage, registered_on, admitted_on):
        run(commands.follow_member, "members.member_registered", member_id,
            member_state(stage=stage, registered_on=registered_on, admitted_on=admitted_on), at(registered_on))
    register("full-1", "full", dt.date(2024, 3, 5), dt.date(2010, 6, 1))
    register("prob-1", "probationary", dt.date(2024, 3, 5), dt.date(2024, 1, 20))
    register("appl-1", "applicant", dt.date(2024, 3, 5), None)
    assert read(queries.get_dues, "full-1", TODAY)["owes_from"] == "2024-03"
    assert read(queries.get_dues, "prob-1", TODAY)["owes_from"] == "2024-01"
    with pytest.raises(NotFound):
        read(queries.get_dues, "appl-1", TODAY)


def test_status_changes_and_a_new_branch_follow_the_member(run, read, admit, db):
    admit("m-1")
    set_base(run, "m-1")
    follow = lambda status, org, on: run(commands.follow_member, "members.status_changed", "m-1",  # noqa: E731
                                         member_state(stage="full", status=status, org_id=org, changed_on=on), at(on))
    follow("active", BRANCH, dt.date(2024, 2, 1))  # nothing that dues cares about
    follow("suspended", BRANCH, dt.date(2024, 3, 10))
    follow("active", "branch-2", dt.date(2024, 5, 10))
    assert event_types(db, "m-1") == ["dues.account_opened", "dues.base_set", "dues.liability_changed",
                                      "dues.account_moved", "dues.liability_changed"]
    account = read(queries.get_dues, "m-1", TODAY)
    assert [(p["from_month"], p["to_month"], p["org_id"]) for p in account["schedule"]] == \
        [("2024-01", "2024-03", BRANCH), ("2024-05", None, "branch-2")]
    assert account["org_id"] == "branch-2"
    assert [o["month"] for o in account["balance"]["owed_months"]] == \
        ["2024-01", "2024-02", "2024-03", "2024-05", "2024-06", "2024-07"]


def test_a_payment_is_recorded_once_per_idempotency_key(run, read, admit, db, pay_once):
    admit("m-1")
    set_base(run, "m-1")
    first = pay_once("m-1", ["2024-01", "2024-02"], "30.00", "key-1")
    again = pay_once("m-1", ["2024-01", "2024-02"], "30.00", "key-1")
    assert to_jsonable(ReceiptOut().dump(first)) == to_jsonable(ReceiptOut().dump(again))
    assert count(db, events, events.c.event_type == "dues.payment_recorded") == 1
    for other in ({"months": ["2024-03"], "amount": "15.00"}, {"months": ["2024-01", "2024-02"], "amount": "30.00",
                                                               "paid_by": "someone else"}):
        with pytest.raises(Conflict) as conflict:
            pay_once("m-1", other.pop("months"), other.pop("amount"), "key-1", **other)
        assert conflict.value.fields["payment_id"] == first["payment_id"]
    receipt = read(queries.get_receipt, first["payment_id"])
    assert (receipt["dues_amount"], receipt["paid_up_to"], receipt["idempotency_key"]) == \
        (D("30.00"), "2024-02", "key-1")
    assert [m["month"] for m in receipt["months"]] == ["2024-01", "2024-02"]
    assert count(db, outbox) == count(db, events)


def test_a_voluntary_payment_retried_is_not_recorded_twice(run, admit, db, pay_once):
    admit("m-1")
    set_base(run, "m-1")
    first = pay_once("m-1", [], "0.00", "vol-1", voluntary_extra=D("50.00"))
    assert pay_once("m-1", [], "0.00", "vol-1", voluntary_extra=D("50.00")) == first  # the key's unique line refuses it
    assert count(db, events, events.c.event_type == "dues.payment_recorded") == 1
    with pytest.raises(RuleViolation):  # no such payment under this key: the error is the answer
        pay_once("m-1", ["2024-01"], "99.00", "other-key")


def test_a_refused_payment_leaves_nothing_behind(run, admit, db, pay_once):
    admit("m-1")
    set_base(run, "m-1")
    with pytest.raises(RuleViolation) as refused:
        pay_once("m-1", ["2024-01"], "30.00", "key-1")
    assert refused.value.fields["expected_amount"] == "15.00"
    assert count(db, projections.dues_payments) == 0
    assert pay_once("m-1", ["2024-01"], "15.00", "key-1")  # the same key, now right


def test_the_statement_shows_months_balance_and_lines(run, read, admit):
    admit("m-1")
    set_base(run, "m-1", base="6000.00")
    pay(run, "m-1", [], "0.00", "vol-1", voluntary_extra=D("1200.00"), paid_by="Wang Fang")
    pay(run, "m-1", None, "270.00", "q-1", from_month="2024-01", to_month="2024-03")
    reduction = run(commands.record_reduction, "m-1", kind="waived", from_month="2024-05", to_month="2024-05",
                    reason="illness", decided_on=TODAY)
    run(commands.approve_reduction, "m-1", today=TODAY, reduction_id=reduction, approved_by="committee-1")
    run(commands.record_arrears_reason, "m-1", from_month="2024-06", to_month="2024-06", reason="abroad")
    account = read(queries.get_dues, "m-1", TODAY, 2024)
    states = {m["month"]: m["state"] for m in account["months"]}
    assert states == {"2024-01": "paid", "2024-02": "paid", "2024-03": "paid", "2024-04": "unpaid",
                      "2024-05": "waived", "2024-06": "excused", "2024-07": "unpaid", "2024-08": "not_due",
                      "2024-09": "not_due", "2024-10": "not_due", "2024-11": "not_due", "2024-12": "not_due"}
    assert account["balance"]["outstanding"] == D("270.00")  # April, June, July
    assert (account["paid_up_to"], account["monthly_amount"]) == ("2024-03", D("90.00"))
    assert [(p["total"], p["forward_to_central"]) for p in account["payments"]] == \
        [(D("1200.00"), True), (D("270.00"), False)]
    assert [(r["state"], r["decided_by"]) for r in account["reductions"]] == [("approved", "committee-1")]


def test_the_status_at_a_glance_agrees_with_the_statement(run, read, admit):
    admit("m-1")
    set_base(run, "m-1", base="6000.00")
    pay(run, "m-1", None, "270.00", "q-1", from_month="2024-01", to_month="2024-03")
    status, statement = read(queries.status, "m-1", TODAY), read(queries.get_dues, "m-1", TODAY)
    assert status == {"member_id": "m-1", "liable": True, "category": statement["category"],
                      "monthly_amount": D("90.00"), "owes_from": statement["owes_from"], "paid_up_to": "2024-03",
                      "outstanding": statement["balance"]["outstanding"], "owed_months": 4,
                      "arrears_flagged_on": None}
    assert status["outstanding"] == D("360.00")  # April to July
    with pytest.raises(NotFound):
        read(queries.status, "nobody", TODAY)


def test_the_base_policy_of_the_branch_applies(run, read, admit):
    admit("m-1")
    set_base(run, "m-1")
    run(commands.set_base_policy, BRANCH, today=TODAY, policy="fixed_yearly")
    assert read(queries.base_policy, BRANCH)["policy"] == "fixed_yearly"
    set_base(run, "m-1", base="6000.00", month="2024-05")
    account = read(queries.get_dues, "m-1", TODAY)
    assert [(p["from_month"], p["due"]) for p in account["schedule"]] == [("2024-01", D("15.00")),
                                                                         ("2025-01", D("90.00"))]
    with pytest.raises(Conflict):
        set_base(run, "m-1", month="2025-01", expected_version=1)


def test_the_arrears_job_flags_members_six_months_behind_once(run, read, admit, db):
    for member_id in ("behind", "five", "paying", "excused"):
        admit(member_id)
        set_base(run, member_id)
    pay(run, "five", ["2024-01"], "15.00", "five-1")
    pay(run, "paying", [f"2024-0{m}" for m in range(1, 7)], "90.00", "paying-1")
    run(commands.record_arrears_reason, "excused", from_month="2024-03", to_month="2024-03", reason="illness")
    with db.connect() as conn:
        candidates = queries.arrears_candidates(conn, mi("2024-06"), 6)
    assert candidates == ["behind", "excused"]
    flagged = [m for m in candidates if run(commands.check_arrears, m, mi("2024-06"))]
    assert flagged == ["behind"]
    assert not run(commands.check_arrears, "behind", mi("2024-06"))
    assert read(queries.get_dues, "behind", TODAY)["arrears_flags"] == [
        {"as_of_month": "2024-06", "first_unpaid_month": "2024-01", "unpaid_months": 6, "outstanding": D("90.00")}]
    assert run(commands.check_arrears, "five", mi("2024-07"))  # February to July


def test_a_rule_revision_reassesses_future_months_only(run, read, admit, db, monkeypatch):
    admit("m-1")
    set_base(run, "m-1", base="3500.00")
    pay(run, "m-1", ["2024-01"], "35.00", "k-1")
    assert upkeep.refresh_schedules(db, rules_fingerprint()) == 1  # first run records the fingerprint
    assert upkeep.refresh_schedules(db, rules_fingerprint()) == 0
    revision = dataclasses.replace(RULE_SETS[0], version="2024-08-test", effective_from=dt.date(2024, 8, 1),
                                   brackets={**RULE_SETS[0].brackets, "employed": RULE_SETS[0].brackets["retired"]})
    monkeypatch.setattr(domain, "RULE_SETS", (*RULE_SETS, revision))
    assert upkeep.refresh_schedules(db, rules_fingerprint(domain.RULE_SETS)) == 1
    account = read(queries.get_dues, "m-1", TODAY)
    assert [(p["from_month"], p["due"], p["rules_version"]) for p in account["schedule"]] == \
        [("2024-01", D("35.00"), "2008"), ("2024-08", D("17.50"), "2024-08-test")]
    assert account["payments"][0]["dues_amount"] == D("35.00")


def test_a_completed_transfer_moves_the_account_with_its_balance(run, read, admit, db):
    admit("m-1")
    set_base(run, "m-1")
    pay(run, "m-1", [f"2024-0{m}" for m in range(1, 9)], "120.00", "k-1")  # up to August, in advance
    completed = dt.date(2024, 7, 20)
    run(commands.follow_member, "members.transfer_completed", "m-1",
        member_state(stage="full", org_id="branch-2", transfer_id="t-1", from_org_id=BRANCH, from_group_id=None,
                     completed_on=completed), at(completed))
    assert event_types(db, "m-1")[-1] == "dues.account_moved"
    clearance = read(queries.clearance, "m-1", TODAY)
    assert (clearance["org_id"], clearance["paid_up_to"], clearance["settled"]) == ("branch-2", "2024-08", True)
    with db.connect() as conn:
        moved = conn.execute(select(events.c.payload).where(events.c.event_type == "dues.account_moved")).scalar()
    assert '"from_month":"2024-07"' in moved and '"prepaid_months":["2024-07","2024-08"]' in moved
