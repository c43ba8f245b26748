"""The dues account: payments, the amount check, windows, voluntary payments,
reductions, the base policy, standing and moves, and arrears."""
import datetime as dt
from decimal import Decimal

import pytest

from dues_builders import account, pay

from services.dues.ledger import month_index as mi
from services.dues.ledger import month_text
from services.dues.rules import rules_in_force
from shared.errors import Conflict, InvalidInput, NotFound, RuleViolation

D = Decimal
TODAY = dt.date(2024, 7, 15)


def test_paying_months_records_them_with_the_paid_up_to_month():
    acc = account()
    payload = pay(acc, ["2024-01", "2024-02", "2024-03"], "45.00", paid_by="Li Ming (proxy)")
    assert [(m["month"], m["amount"], m["org_id"]) for m in payload["months"]] == \
        [("2024-01", D("15.00"), "branch-1"), ("2024-02", D("15.00"), "branch-1"), ("2024-03", D("15.00"), "branch-1")]
    assert (payload["dues_amount"], payload["total"], payload["paid_up_to"]) == (D("45.00"), D("45.00"), "2024-03")
    assert payload["paid_by"] == "Li Ming (proxy)" and payload["forward_to_central"] is False
    assert month_text(acc.paid_up_to()) == "2024-03"


def test_a_wrong_amount_is_refused_naming_the_expected_one():
    acc = account()
    with pytest.raises(RuleViolation) as refused:
        pay(acc, ["2024-01", "2024-02"], "15.00")
    assert refused.value.rule == "dues.payment.amount"
    assert refused.value.fields["expected_amount"] == "30.00"
    assert refused.value.fields["amount"] == "15.00"
    assert "30.00" in refused.value.message
    assert [e.event_type for e in acc.pending_events] == ["dues.account_opened", "dues.base_set"]


def test_point_one_plus_point_two_is_exactly_point_three():
    acc = account(category="student", base=None)
    acc.request_reduction(reduction_id="r", kind="reduced", from_month=mi("2024-01"), to_month=mi("2024-01"),
                          monthly_amount=D("0.10"), reason="hardship", decided_on=TODAY, decision_ref=None)
    acc.approve_reduction("r", "committee-1", TODAY)
    payload = pay(acc, ["2024-01", "2024-02"], "0.30")  # 0.10 + 0.20
    assert payload["dues_amount"] == D("0.30") and str(payload["total"]) == "0.30"
    assert 0.1 + 0.2 != 0.3  # what binary floats would have made of it
    with pytest.raises(RuleViolation) as refused:
        pay(acc, ["2024-03"], "0.30000000000000004")
    assert refused.value.fields["expected_amount"] == "0.20"


def test_back_payment_reaches_six_months_and_no_further():
    acc = account()
    pay(acc, ["2024-01"], "15.00")  # July: January is 6 months back
    with pytest.raises(RuleViolation) as refused:
        pay(acc, ["2024-02"], "15.00", today=dt.date(2024, 9, 1))  # 7 months back
    assert refused.value.rule == "dues.payment.back_payment_window"
    assert refused.value.fields["earliest"] == "2024-03"


def test_advance_payment_has_a_window_too():
    acc = account()
    pay(acc, ["2024-07", "2024-08", "2024-09"], "45.00")  # a quarter ahead
    with pytest.raises(RuleViolation) as refused:
        pay(acc, ["2025-08"], "15.00")
    assert refused.value.rule == "dues.payment.advance_window"


def test_a_month_is_paid_once_and_only_months_owed_can_be_paid():
    acc = account(owes_from="2024-03")
    pay(acc, ["2024-03"], "15.00")
    with pytest.raises(Conflict, match="already paid"):
        pay(acc, ["2024-03", "2024-04"], "30.00")
    with pytest.raises(RuleViolation) as refused:
        pay(acc, ["2024-02"], "15.00")
    assert refused.value.rule == "dues.payment.not_owed"
    with pytest.raises(InvalidInput):
        pay(acc, [], "0.00")
    with pytest.raises(InvalidInput, match="future"):
        acc.pay(payment_id="p", idempotency_key="k", months=[mi("2024-04")], amount=D("15.00"),
                voluntary_extra=None, paid_by=None, paid_on=TODAY + dt.timedelta(days=1), today=TODAY)


def test_a_month_cannot_be_paid_before_the_base_is_set():
    acc = account(category=None)
    with pytest.raises(RuleViolation) as refused:
        pay(acc, ["2024-01"], "15.00")
    assert refused.value.rule == "dues.payment.no_base"


def test_the_first_base_also_covers_the_months_before_it():
    acc = account(category=None, owes_from="2024-01")
    acc.set_base(category="retired", base=D("6000.00"), amount=None, effective_month=mi("2024-04"),
                 policy="from_month_of_change", set_on=TODAY)
    assert pay(acc, ["2024-01"], "60.00")["dues_amount"] == D("60.00")


def test_voluntary_payments_of_1000_or_more_are_flagged_for_forwarding():
    acc = account()
    assert pay(acc, [], "0.00", voluntary="999.99")["forward_to_central"] is False
    payload = pay(acc, ["2024-01"], "15.00", voluntary="1000.00")
    assert payload["forward_to_central"] is True
    assert (payload["voluntary_extra"], payload["total"]) == (D("1000.00"), D("1015.00"))


def test_a_voluntary_payment_is_bounded_by_the_rules_and_one_past_it_is_refused():
    maximum = rules_in_force(TODAY).voluntary_single_max
    acc = account()
    assert pay(acc, [], "0.00", voluntary=str(maximum))["voluntary_extra"] == maximum
    with pytest.raises(RuleViolation) as refused:
        pay(account(), [], "0.00", voluntary="9999999999.99")  # the amount the issue found in the reports
    assert refused.value.rule == "dues.payment.voluntary_max"
    assert refused.value.fields == {"voluntary_extra": "9999999999.99", "maximum": str(maximum)}
    with pytest.raises(RuleViolation):
        pay(account(), [], "0.00", voluntary=str(maximum + D("0.01")))


def test_a_base_change_applies_from_its_month_under_the_default_policy():
    acc = account()
    acc.set_base(category="employed", base=D("6000.00"), amount=None, effective_month=mi("2024-05"),
                 policy="from_month_of_change", set_on=TODAY)
    with pytest.raises(RuleViolation) as refused:
        pay(acc, ["2024-04", "2024-05"], "30.00")
    assert refused.value.fields["expected_amount"] == "105.00"  # 15.00 + 90.00


def test_under_the_yearly_policy_a_mid_year_change_waits_for_january():
    acc = account()
    acc.set_base(category="employed", base=D("6000.00"), amount=None, effective_month=mi("2024-05"),
                 policy="fixed_yearly", set_on=TODAY)
    assert acc.pending_events[-1].payload["applies_from"] == "2025-01"
    schedule = acc.schedule()
    assert [(month_text(p.from_month), p.due) for p in schedule] == [("2024-01", D("15.00")), ("2025-01", D("90.00"))]
    acc.set_base(category="student", base=None, amount=None, effective_month=mi("2024-09"),
                 policy="fixed_yearly", set_on=TODAY)  # not a pay base: from its month
    assert acc.pending_events[-1].payload["applies_from"] == "2024-09"


def test_reductions_apply_once_the_parent_approves():
    acc = account()
    acc.request_reduction(reduction_id="r-1", kind="waived", from_month=mi("2024-03"), to_month=mi("2024-04"),
                          monthly_amount=None, reason="illness", decided_on=TODAY, decision_ref="minutes 7")
    acc.request_reduction(reduction_id="r-2", kind="reduced", from_month=mi("2024-05"), to_month=mi("2024-06"),
                          monthly_amount=D("5.00"), reason="hardship", decided_on=TODAY, decision_ref=None)
    with pytest.raises(RuleViolation):
        pay(acc, ["2024-05"], "5.00")  # not approved yet: 15.00 owed
    acc.approve_reduction("r-1", "committee-1", TODAY)
    acc.approve_reduction("r-2", "committee-1", TODAY)
    assert pay(acc, ["2024-05", "2024-06"], "10.00")["dues_amount"] == D("10.00")
    with pytest.raises(RuleViolation) as refused:
        pay(acc, ["2024-03"], "0.00")
    assert refused.value.rule == "dues.payment.waived"
    with pytest.raises(Conflict):
        acc.approve_reduction("r-1", "committee-1", TODAY)
    with pytest.raises(NotFound):
        acc.reject_reduction("r-9", "committee-1", "no", TODAY)


def test_suspension_stops_dues_from_the_next_month_and_lifting_it_restarts_them():
    acc = account()
    acc.follow_member(org_id="branch-1", stage="full", status="suspended", on=dt.date(2024, 3, 20),
                      source_event="members.status_changed")
    acc.follow_member(org_id="branch-1", stage="full", status="active", on=dt.date(2024, 6, 2),
                      source_event="members.status_changed")
    assert [(month_text(p.from_month), month_text(p.to_month)) for p in acc.schedule()] == \
        [("2024-01", "2024-03"), ("2024-06", None)]
    with pytest.raises(RuleViolation):
        pay(acc, ["2024-04"], "15.00")
    pay(acc, ["2024-01", "2024-02", "2024-03"], "45.00")
    assert month_text(acc.paid_up_to()) == "2024-05"  # April and May are not owed


def test_a_move_keeps_the_balance_and_gives_later_months_to_the_new_branch():
    acc = account()
    pay(acc, ["2024-01", "2024-02", "2024-07", "2024-08"], "60.00")
    acc.move("branch-2", dt.date(2024, 7, 3), "dues.move_account")
    moved = acc.pending_events[-1].payload
    assert (moved["from_org_id"], moved["to_org_id"], moved["from_month"]) == ("branch-1", "branch-2", "2024-07")
    assert (moved["paid_up_to"], moved["outstanding"], moved["prepaid_months"]) == \
        ("2024-02", D("60.00"), ["2024-07", "2024-08"])
    assert [(month_text(p.from_month), p.org_id) for p in acc.schedule()] == \
        [("2024-01", "branch-1"), ("2024-07", "branch-2")]
    payload = pay(acc, ["2024-03", "2024-09"], "30.00")
    assert [m["org_id"] for m in payload["months"]] == ["branch-1", "branch-2"]


def unpaid_since(first, as_of, **kwargs):
    acc = account(**kwargs)
    months = [m for m in range(mi("2024-01"), mi(first))]
    if months:
        acc.paid.update({m: D("15.00") for m in months})
    return acc


def test_five_unpaid_months_are_not_flagged_six_are_once():
    acc = unpaid_since("2024-02", None)
    assert acc.check_arrears(mi("2024-06")) is False  # February to June: 5
    assert acc.check_arrears(mi("2024-07")) is True   # February to July: 6
    flag = acc.pending_events[-1].payload
    assert (flag["first_unpaid_month"], flag["unpaid_months"], flag["outstanding"]) == ("2024-02", 6, D("90.00"))
    assert acc.check_arrears(mi("2024-07")) is False  # the same month again
    assert acc.check_arrears(mi("2024-08")) is False  # the same run, one month longer


def test_a_recorded_reason_or_a_pending_reduction_suppresses_the_flag():
    acc = unpaid_since("2024-02", None)
    acc.record_arrears_reason(mi("2024-04"), mi("2024-04"), "in hospital")
    assert acc.check_arrears(mi("2024-07")) is False  # May to July: 3
    other = unpaid_since("2024-02", None)
    other.request_reduction(reduction_id="r", kind="waived", from_month=mi("2024-03"), to_month=mi("2024-03"),
                            monthly_amount=None, reason="hardship", decided_on=TODAY, decision_ref=None)
    assert other.check_arrears(mi("2024-08")) is False  # April to August: 5
    assert other.check_arrears(mi("2024-09")) is True


def test_a_member_who_left_is_not_flagged():
    acc = unpaid_since("2024-01", None)
    acc.follow_member(org_id="branch-1", stage="full", status="left", on=dt.date(2024, 5, 1),
                      source_event="members.status_changed")
    assert acc.check_arrears(mi("2024-08")) is False
