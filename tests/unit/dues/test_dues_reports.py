"""Collection reports from the projections: per branch, per committee
subtree (the tree fed by orgs events, in any order), per month and year."""
import datetime as dt
from decimal import Decimal

import pytest

from services.dues import commands, org_replica, reports
from shared.envelope import Envelope
from shared.errors import InvalidInput, NotFound

TODAY = dt.date(2024, 7, 15)
D = Decimal
ZERO = D("0.00")


def org_event(org_id, event_type, parent_id=None, name=None, kind="branch", version=1):
    payload = {"parent_id": parent_id, "name": name or org_id, "kind": kind}
    return Envelope(event_type=event_type, event_version=1, aggregate_type="organisation", aggregate_id=org_id,
                    aggregate_version=version, payload=payload)


@pytest.fixture
def tree(db):
    """committee -> general -> (branch-a, branch-b); committee -> branch-c, delivered children first."""
    deliveries = [org_event("branch-a", "orgs.branch_founded", "general"),
                  org_event("general", "orgs.org_created", "committee", kind="general_branch"),
                  org_event("committee", "orgs.org_created", None, kind="committee"),
                  org_event("branch-b", "orgs.branch_founded", "general"),
                  org_event("branch-c", "orgs.branch_founded", "committee")]
    for envelope in deliveries:
        with db.begin() as conn:
            org_replica.apply_org_event(conn, envelope)


def report(read, org_id, year=2024, month=None, today=TODAY):
    return read(reports.dues_report, org_id, year, today=today, month=month)


def member(run, admit, member_id, org_id, base="3000.00"):
    admit(member_id, org_id=org_id)
    run(commands.set_dues_base, member_id, today=TODAY, category="employed", effective_month="2024-01",
        base=D(base))


def pay(run, member_id, months, amount, **extra):
    return run(commands.pay, today=TODAY, idempotency_key=f"{member_id}-{months[0] if months else 'v'}",
               member_id=member_id, months=months, amount=D(amount), **extra)


def test_the_tree_gets_its_paths_whatever_the_delivery_order(tree, read):
    assert set(read(org_replica.subtree, "committee")) == {"committee", "general", "branch-a", "branch-b", "branch-c"}
    assert set(read(org_replica.subtree, "general")) == {"general", "branch-a", "branch-b"}
    assert set(read(org_replica.subtree, "branch-a")) == {"branch-a"}


def test_a_branch_report_per_month_and_year(tree, run, read, admit):
    member(run, admit, "m-1", "branch-a")                   # 15.00 a month
    member(run, admit, "m-2", "branch-a", base="6000.00")   # 90.00 a month
    pay(run, "m-1", ["2024-01", "2024-02", "2024-03"], "45.00")
    pay(run, "m-1", ["2024-08"], "15.00")                   # in advance
    pay(run, "m-2", ["2024-01"], "90.00", voluntary_extra=D("1000.00"))
    reduction = run(commands.record_reduction, "m-2", kind="waived", from_month="2024-02", to_month="2024-02",
                    reason="illness", decided_on=TODAY)
    run(commands.approve_reduction, "m-2", today=TODAY, reduction_id=reduction, approved_by="committee")
    year = report(read, "branch-a")
    assert (year["scope"], year["as_of_month"]) == ("branch", "2024-07")
    totals = year["totals"]
    # due Jan-Jul: m-1 7 x 15 = 105, m-2 6 x 90 = 540 (February waived)
    assert (totals["owed"], totals["collected"], totals["outstanding"], totals["waived"]) == \
        (D("645.00"), D("135.00"), D("510.00"), D("90.00"))
    assert (totals["collected_in_advance"], totals["voluntary"], totals["forwarded_to_central"]) == \
        (D("15.00"), D("1000.00"), D("1000.00"))
    assert (totals["paid_months"], totals["members"]) == (5, 2)
    months = {m["month"]: m for m in year["months"]}
    assert (months["2024-01"]["owed"], months["2024-01"]["collected"], months["2024-01"]["outstanding"]) == \
        (D("105.00"), D("105.00"), ZERO)
    assert (months["2024-02"]["owed"], months["2024-02"]["waived"]) == (D("15.00"), D("90.00"))
    assert (months["2024-08"]["owed"], months["2024-08"]["collected"], months["2024-08"]["paid_months"]) == \
        (ZERO, ZERO, 1)
    march = report(read, "branch-a", month=3)
    assert [m["month"] for m in march["months"]] == ["2024-03"]
    assert (march["totals"]["owed"], march["totals"]["collected"]) == (D("105.00"), D("15.00"))
    assert march["totals"]["voluntary"] == ZERO  # paid in July


def test_a_committee_report_adds_up_its_subtree(tree, run, read, admit):
    member(run, admit, "a-1", "branch-a")
    member(run, admit, "b-1", "branch-b")
    member(run, admit, "c-1", "branch-c")
    for member_id in ("a-1", "b-1", "c-1"):
        pay(run, member_id, ["2024-01"], "15.00")
    general = report(read, "general")
    assert general["scope"] == "subtree"
    assert (general["totals"]["collected"], general["totals"]["owed"]) == (D("30.00"), D("210.00"))
    assert [(b["org_id"], b["collected"]) for b in general["branches"]] == \
        [("branch-a", D("15.00")), ("branch-b", D("15.00"))]
    committee = report(read, "committee")
    assert (committee["totals"]["collected"], committee["totals"]["members"]) == (D("45.00"), 3)
    assert report(read, "committee", year=2023)["totals"]["owed"] == ZERO
    assert report(read, "committee", year=2025, today=dt.date(2025, 2, 1))["totals"]["outstanding"] == D("90.00")


def test_a_moved_account_reports_earlier_months_at_the_old_branch(tree, run, read, admit):
    member(run, admit, "m-1", "branch-a")
    pay(run, "m-1", ["2024-01", "2024-07"], "30.00")
    run(commands.move_account, "m-1", today=TODAY, to_org_id="branch-b", moved_on=dt.date(2024, 7, 2))
    a, b = report(read, "branch-a")["totals"], report(read, "branch-b")["totals"]
    assert (a["owed"], a["collected"], a["outstanding"]) == (D("90.00"), D("15.00"), D("75.00"))  # Jan-Jun
    assert (b["owed"], b["collected"], b["outstanding"]) == (D("15.00"), D("15.00"), ZERO)  # July, prepaid
    assert report(read, "committee")["totals"]["owed"] == D("105.00")


def test_an_unknown_organisation_has_no_report(read, tree):
    with pytest.raises(NotFound):
        report(read, "nowhere")


# ---- who is behind ---------------------------------------------------------------------------

def behind(read, org_id, limit=50, offset=0, today=TODAY):
    return read(reports.arrears, org_id, today, limit, offset)


def test_the_arrears_list_holds_the_subtree_and_adds_up_over_the_branches(tree, run, read, admit):
    member(run, admit, "m-1", "branch-a")                   # 15.00 a month, Jan-Jul due
    member(run, admit, "m-2", "branch-b")
    member(run, admit, "m-3", "branch-c")
    member(run, admit, "m-4", "branch-a")
    pay(run, "m-1", ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07"], "105.00")
    pay(run, "m-2", ["2024-01", "2024-02"], "30.00")
    run(commands.record_arrears_reason, "m-4", from_month="2024-01", to_month="2024-07", reason="住院治疗")
    root = behind(read, "committee")
    rows = {row["member_id"]: row for row in root["items"]}
    assert set(rows) == {"m-2", "m-3", "m-4"}, "m-1 is paid up"
    assert (rows["m-2"]["owed_months"], rows["m-2"]["first_unpaid_month"], rows["m-2"]["outstanding"],
            rows["m-2"]["paid_up_to"]) == (5, "2024-03", D("75.00"), "2024-02")
    assert (rows["m-3"]["owed_months"], rows["m-3"]["paid_up_to"], rows["m-3"]["org_name"]) == (7, None, "branch-c")
    assert rows["m-4"]["reason_recorded"] and not rows["m-3"]["reason_recorded"]
    assert [row["owed_months"] for row in root["items"]] == [7, 7, 5], "most months owed first"
    parts = [behind(read, org_id) for org_id in ("branch-a", "branch-b", "branch-c")]
    assert root["total"] == sum(part["total"] for part in parts) == 3
    assert root["outstanding"] == sum(part["outstanding"] for part in parts) == D("285.00")
    assert behind(read, "general")["total"] == 2
    assert [row["member_id"] for row in behind(read, "committee", limit=1, offset=2)["items"]] == ["m-2"]


def test_a_flag_shows_on_the_arrears_list(tree, run, read, admit):
    member(run, admit, "m-5", "branch-c")
    assert run(commands.check_arrears, "m-5", 2024 * 12 + 5)  # June 2024: six months unpaid
    [row] = behind(read, "branch-c")["items"]
    assert row["arrears_flagged_on"] == "2024-06"


def test_the_arrears_list_of_an_unknown_org_is_404(tree, read):
    with pytest.raises(NotFound):
        behind(read, "no-such-org")


def test_a_subtrees_payments_of_a_year_by_date(tree, run, read, admit):
    member(run, admit, "m-6", "branch-a")
    member(run, admit, "m-7", "branch-c")
    pay(run, "m-6", ["2024-01", "2024-02"], "30.00")
    pay(run, "m-7", ["2024-01"], "15.00", voluntary_extra=D("50.00"))
    listed = read(reports.payments, "committee", 2024)
    assert [(p["member_id"], p["org_name"], p["months"], p["total"]) for p in listed] == \
        [("m-6", "branch-a", ["2024-01", "2024-02"], D("30.00")), ("m-7", "branch-c", ["2024-01"], D("65.00"))]
    assert [p["member_id"] for p in read(reports.payments, "general", 2024)] == ["m-6"]
    assert read(reports.payments, "committee", 2023) == []


def test_payments_of_a_month_and_too_many_refused_not_cut(tree, run, read, admit, monkeypatch):
    member(run, admit, "m-8", "branch-a")
    pay(run, "m-8", ["2024-01"], "15.00")
    july = read(reports.payments, "committee", 2024, month=TODAY.month)
    assert [p["member_id"] for p in july] == ["m-8"]
    assert read(reports.payments, "committee", 2024, month=TODAY.month - 1) == []
    monkeypatch.setattr(reports, "MAX_PAYMENTS", 0)
    with pytest.raises(InvalidInput):
        read(reports.payments, "committee", 2024)
