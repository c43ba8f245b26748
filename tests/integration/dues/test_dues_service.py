"""The dues service in a real nameko container, over RabbitMQ and PostgreSQL:
accounts opened by members events, payments by RPC as the gateway sends
them, reports over the tree fed by orgs events, events on dues.events."""
import datetime as dt
import time
import uuid

import pytest

from services.dues.ledger import month_of, month_text
from shared.errors import Conflict, InvalidInput, NotFound, RuleViolation

pytestmark = pytest.mark.integration

TODAY = dt.date.today()
NOW = month_of(TODAY)
BRANCH = "branch-" + uuid.uuid4().hex[:8]


def months_back(n):
    return month_text(NOW - n)


def first_of(month: str) -> dt.date:
    return dt.date(int(month[:4]), int(month[5:]), 1)


def account_opened(dues, member_id, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return dues.get_dues(member_id)
        except NotFound:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def admitted_member(dues, feed, months_ago=3, base="3000.00", org_id=BRANCH):
    member_id = str(uuid.uuid4())
    feed.admitted(member_id, org_id, first_of(months_back(months_ago)) + dt.timedelta(days=9))
    account = account_opened(dues, member_id)
    assert account["owes_from"] == months_back(months_ago)
    dues.set_dues_base(member_id, {"category": "employed", "base": base, "effective_month": months_back(months_ago)})
    return member_id


def payment(member_id, months, amount, key=None, **extra):
    return {"idempotency_key": key or str(uuid.uuid4()), "member_id": member_id, "months": months,
            "amount": amount, **extra}


def test_an_admitted_member_pays_and_the_payment_is_reported_and_published(dues, feed, event_tap):
    member_id = admitted_member(dues, feed)
    months = [months_back(3), months_back(2)]
    receipt = dues.pay(payment(member_id, months, "30.00", paid_by="Li Ming"))
    assert (receipt["dues_amount"], receipt["total"], receipt["paid_up_to"], receipt["org_id"]) == \
        ("30.00", "30.00", months_back(2), BRANCH)
    account = dues.get_dues(member_id)
    assert [line["payment_id"] for line in account["payments"]] == [receipt["payment_id"]]
    assert account["balance"]["outstanding"] == "30.00"  # the last two months
    assert [m["month"] for m in account["balance"]["owed_months"]] == [months_back(1), months_back(0)]
    report = dues.dues_report(BRANCH, TODAY.year)
    assert report["totals"]["paid_months"] == sum(m.startswith(str(TODAY.year)) for m in months)
    clearance = dues.transfer_clearance(member_id)
    assert (clearance["paid_up_to"], clearance["settled"]) == (months_back(2), False)

    received = event_tap.drain(lambda got: any(e["event_type"] == "dues.payment_recorded" for e in got))
    recorded = next(e for e in received if e["event_type"] == "dues.payment_recorded")
    assert (recorded["aggregate_type"], recorded["aggregate_id"]) == ("dues_account", member_id)
    assert recorded["payload"]["total"] == "30.00" and recorded["payload"]["paid_by"] == "Li Ming"
    assert [e["event_type"] for e in received[:2]] == ["dues.account_opened", "dues.base_set"]


def test_five_concurrent_payments_with_one_key_are_recorded_once(dues, feed, dues_container):
    member_id = admitted_member(dues, feed)
    body = payment(member_id, [months_back(3)], "15.00")
    calls = [dues.pay.call_async(body) for _ in range(5)]
    receipts = [call.result() for call in calls]
    assert all(r == receipts[0] for r in receipts)
    assert len(dues.get_dues(member_id)["payments"]) == 1
    with pytest.raises(Conflict) as conflict:
        dues.pay({**body, "amount": "30.00", "months": [months_back(3), months_back(2)]})
    assert conflict.value.fields["payment_id"] == receipts[0]["payment_id"]


def test_two_different_concurrent_payments_for_one_month_never_charge_twice(dues, feed):
    member_id = admitted_member(dues, feed)
    for back in (3, 2, 1, 0):
        calls = [dues.pay.call_async(payment(member_id, [months_back(back)], "15.00")) for _ in range(2)]
        outcomes = []
        for call in calls:
            try:
                outcomes.append(call.result()["months"][0]["month"])
            except Conflict:  # lost the race on the account (409), or found the month paid
                outcomes.append("conflict")
        assert sorted(outcomes) == sorted([months_back(back), "conflict"]), outcomes
    account = dues.get_dues(member_id)
    assert len(account["payments"]) == 4 and account["balance"]["outstanding"] == "0.00"


def test_amounts_are_checked_and_exact(dues, feed):
    member_id = admitted_member(dues, feed)
    with pytest.raises(RuleViolation) as refused:
        dues.pay(payment(member_id, [months_back(3)], "14.99"))
    assert (refused.value.rule, refused.value.fields["expected_amount"]) == ("dues.payment.amount", "15.00")
    with pytest.raises(InvalidInput) as invalid:
        dues.pay(payment(member_id, [months_back(3)], 15.0))
    assert "amount" in invalid.value.fields
    farmer = admitted_member(dues, feed)
    dues.set_dues_base(farmer, {"category": "student", "effective_month": months_back(3)})
    reduction = dues.record_reduction(farmer, {"kind": "reduced", "from_month": months_back(3),
                                               "to_month": months_back(3), "monthly_amount": "0.1",
                                               "reason": "hardship", "decided_on": TODAY.isoformat()})
    assert dues.approve_reduction(farmer, {"reduction_id": reduction["reduction_id"],
                                           "approved_by": "committee"})["state"] == "approved"
    receipt = dues.pay(payment(farmer, [months_back(3), months_back(2)], "0.30"))  # "0.1" + "0.2"
    assert receipt["total"] == "0.30"
    with pytest.raises(RuleViolation) as refused:
        dues.set_dues_base(farmer, {"category": "farmer", "amount": "1.50", "effective_month": months_back(0)})
    assert refused.value.fields["max"] == "1.00"


def test_six_unpaid_months_flag_the_member_once(dues, feed, event_tap):
    behind = admitted_member(dues, feed, months_ago=6)
    almost = admitted_member(dues, feed, months_ago=6)
    dues.pay(payment(almost, [months_back(6)], "15.00"))
    result = dues.run_arrears_check(months_back(1))
    assert result["flagged"] == [behind] and result["checked"] == 1  # 5 months behind is no candidate
    assert dues.run_arrears_check(months_back(1))["flagged"] == []
    flags = dues.get_dues(behind)["arrears_flags"]
    assert [(f["first_unpaid_month"], f["unpaid_months"], f["outstanding"]) for f in flags] == \
        [(months_back(6), 6, "90.00")]
    received = event_tap.drain(lambda got: any(e["event_type"] == "dues.arrears_flagged" for e in got))
    flagged = next(e for e in received if e["event_type"] == "dues.arrears_flagged")
    assert (flagged["aggregate_id"], flagged["payload"]["org_id"]) == (behind, BRANCH)


def test_a_suspension_stops_dues_and_a_move_carries_the_account(dues, feed, wait):
    member_id = admitted_member(dues, feed)
    dues.pay(payment(member_id, [months_back(3)], "15.00"))
    feed.status_changed(member_id, BRANCH, "suspended", "active", first_of(months_back(2)) + dt.timedelta(days=3))
    account = wait(lambda: (a := dues.get_dues(member_id)) and not a["liable"] and a, what="the suspension")
    assert [(p["from_month"], p["to_month"]) for p in account["schedule"]] == [(months_back(3), months_back(2))]
    moved = dues.move_account(member_id, {"to_org_id": "branch-receiving"})
    assert (moved["org_id"], moved["paid_up_to"], moved["outstanding"]) == ("branch-receiving", months_back(3), "15.00")


def test_a_committee_report_covers_its_subtree(dues, feed, wait):
    committee, general, branch_a, branch_b = (f"{name}-{uuid.uuid4().hex[:6]}" for name in ("c", "g", "a", "b"))
    feed.org(branch_b, general, "branch")  # before its parent: placed once the parent arrives
    feed.org(committee, None, "committee")
    feed.org(general, committee, "general_branch")
    feed.org(branch_a, committee, "branch")
    members = [admitted_member(dues, feed, org_id=org) for org in (branch_a, branch_b, branch_b)]
    for member_id in members:
        dues.pay(payment(member_id, [months_back(0)], "15.00"))

    def committee_report():
        report = dues.dues_report(committee, TODAY.year, month=TODAY.month)
        return report if report["totals"]["paid_months"] == 3 else None
    report = wait(committee_report, what="the subtree report")
    assert report["scope"] == "subtree" and report["totals"]["collected"] == "45.00"
    assert {b["org_id"]: b["collected"] for b in report["branches"]} == {branch_a: "15.00", branch_b: "30.00"}
    assert dues.dues_report(general, TODAY.year)["totals"]["members"] == 2
    with pytest.raises(InvalidInput):
        dues.dues_report(committee, 1999)
