"""The dues account pinned on what a branch secretary reads back: every
refusal's code, message and named fields; every field of the events a
reduction, a payment, a base and a move record; and the edges of liability,
reasons and reductions that the schedule follows."""
import datetime as dt
from decimal import Decimal

import pytest

from services.dues.domain import BasePolicy
from services.dues.ledger import month_index as mi
from services.dues.ledger import month_text
from services.dues.rules import rules_in_force
from shared.errors import Conflict, InvalidInput, NotFound, RuleViolation

from dues_builders import BRANCH, TODAY, account, pay

D = Decimal
RULES = rules_in_force(TODAY)
NOW = mi("2024-07")


def refusal(error):
    """What the caller is told: the error as the gateway answers it."""
    return error.value.to_dict()


def request(acc, reduction_id="r-1", kind="waived", first="2024-03", last="2024-04", amount=None,
            reason="illness", decision_ref="branch minutes 7"):
    acc.request_reduction(reduction_id=reduction_id, kind=kind, from_month=mi(first), to_month=mi(last),
                          monthly_amount=None if amount is None else D(amount), reason=reason,
                          decided_on=TODAY, decision_ref=decision_ref)
    return acc.pending_events[-1].payload


# ---- reductions ---------------------------------------------------------------------

def test_a_reduction_request_records_its_decision_reference_and_amount():
    acc = account()
    payload = request(acc, reduction_id="r-2", kind="reduced", amount="5.00", reason="hardship")
    assert (payload["kind"], payload["monthly_amount"], payload["reason"], payload["decision_ref"]) == \
        ("reduced", D("5.00"), "hardship", "branch minutes 7")
    assert (payload["from_month"], payload["to_month"], payload["decided_on"]) == ("2024-03", "2024-04", TODAY)


def test_a_waiver_request_records_no_monthly_amount_even_if_one_is_given():
    assert request(account(), kind="waived", amount="5.00")["monthly_amount"] is None


def test_a_reduced_request_without_its_monthly_amount_is_refused_naming_it():
    with pytest.raises(InvalidInput) as refused:
        request(account(), kind="reduced", amount=None)
    assert refusal(refused) == {"code": "invalid_input", "message": "a reduction needs its monthly amount",
                                "fields": {"monthly_amount": "required"}}


@pytest.mark.parametrize("command", ["request_reduction", "record_arrears_reason"])
def test_a_span_ending_before_it_starts_is_refused_naming_to_month(command):
    acc = account()
    with pytest.raises(InvalidInput) as refused:
        if command == "request_reduction":
            request(acc, first="2024-05", last="2024-04")
        else:
            acc.record_arrears_reason(mi("2024-05"), mi("2024-04"), "in hospital")
    assert refusal(refused) == {"code": "invalid_input", "message": "to_month is before from_month",
                                "fields": {"to_month": "2024-04"}}


def test_an_approval_records_who_approved_when_and_the_note():
    acc = account()
    request(acc)
    acc.approve_reduction("r-1", "committee-1", TODAY, note="approved at the 3rd meeting")
    payload = acc.pending_events[-1].payload
    assert (payload["reduction_id"], payload["approved_by"], payload["approved_on"], payload["note"]) == \
        ("r-1", "committee-1", TODAY, "approved at the 3rd meeting")


def test_a_rejection_records_who_rejected_why_and_when():
    acc = account()
    request(acc)
    acc.reject_reduction("r-1", "committee-1", "no supporting documents", TODAY)
    payload = acc.pending_events[-1].payload
    assert payload == {"reduction_id": "r-1", "rejected_by": "committee-1",
                       "reason": "no supporting documents", "rejected_on": TODAY}


def test_deciding_a_reduction_that_does_not_exist_is_not_found_naming_it():
    with pytest.raises(NotFound) as refused:
        account().approve_reduction("r-9", "committee-1", TODAY)
    assert refusal(refused) == {"code": "not_found", "message": "reduction r-9 does not exist for member m-1",
                                "fields": {"reduction_id": "r-9"}}


@pytest.mark.parametrize("decision", ["approved", "rejected"])
def test_deciding_a_decided_reduction_again_is_a_conflict_saying_how_it_was_decided(decision):
    acc = account()
    request(acc)
    if decision == "approved":
        acc.approve_reduction("r-1", "committee-1", TODAY)
    else:
        acc.reject_reduction("r-1", "committee-1", "no", TODAY)
    with pytest.raises(Conflict) as refused:
        acc.approve_reduction("r-1", "committee-1", TODAY)
    assert refusal(refused) == {"code": "conflict", "message": f"reduction r-1 is already {decision}",
                                "fields": {"reduction_id": "r-1"}}


def test_a_rejected_reduction_leaves_the_months_owed():
    acc = account()
    request(acc)
    acc.reject_reduction("r-1", "committee-1", "no", TODAY)
    assert pay(acc, ["2024-03", "2024-04"], "30.00")["dues_amount"] == D("30.00")


def test_the_schedule_names_the_approved_reduction_of_each_period():
    acc = account()
    request(acc, reduction_id="r-7", first="2024-03", last="2024-03")
    acc.approve_reduction("r-7", "committee-1", TODAY)
    assert [(month_text(p.from_month), p.reduction_id, p.due) for p in acc.schedule()] == \
        [("2024-01", None, D("15.00")), ("2024-03", "r-7", D("0.00")), ("2024-04", None, D("15.00"))]


# ---- payments ---------------------------------------------------------------------

def test_paying_nothing_is_refused_naming_months():
    with pytest.raises(InvalidInput) as refused:
        pay(account(), [], "0.00")
    assert refusal(refused) == {"code": "invalid_input",
                                "message": "nothing to pay: give months, or a voluntary_extra amount",
                                "fields": {"months": "required"}}


def test_a_payment_dated_after_today_is_refused_naming_the_date():
    acc = account()
    with pytest.raises(InvalidInput) as refused:
        acc.pay(payment_id="p", idempotency_key="k", months=[mi("2024-01")], amount=D("15.00"),
                voluntary_extra=None, paid_by=None, paid_on=TODAY + dt.timedelta(days=1), today=TODAY)
    assert refusal(refused) == {"code": "invalid_input", "message": "a payment cannot be dated in the future",
                                "fields": {"paid_on": "2024-07-16"}}


def test_a_voluntary_payment_alone_records_dues_of_zero_yuan_as_money():
    payload = pay(account(), [], "0.00", voluntary="50.00")
    assert payload["dues_amount"] == D("0.00") and isinstance(payload["dues_amount"], Decimal)
    assert str(payload["dues_amount"]) == "0.00" and payload["total"] == D("50.00")


def test_a_wrong_amount_names_every_month_asked_for():
    with pytest.raises(RuleViolation) as refused:
        pay(account(), ["2024-02", "2024-03"], "10.00")
    assert refusal(refused) == {
        "code": "rule_violation", "rule": "dues.payment.amount",
        "message": "the amount 10.00 does not match the 30.00 owed for 2024-02, 2024-03",
        "fields": {"amount": "10.00", "expected_amount": "30.00", "months": ["2024-02", "2024-03"]}}


def test_a_month_before_the_back_payment_window_is_refused_naming_the_earliest_month():
    earliest = month_text(NOW - RULES.back_payment_max_months)
    too_early = month_text(NOW - RULES.back_payment_max_months - 1)
    with pytest.raises(RuleViolation) as refused:
        pay(account(owes_from="2023-01"), [too_early], "15.00")
    assert refusal(refused) == {
        "code": "rule_violation", "rule": "dues.payment.back_payment_window",
        "message": f"{too_early} is more than {RULES.back_payment_max_months} months back; "
                   f"back payment reaches {earliest}",
        "fields": {"months": too_early, "earliest": earliest}}


def test_paying_a_paid_month_again_is_a_conflict_naming_it():
    acc = account()
    pay(acc, ["2024-02"], "15.00")
    with pytest.raises(Conflict) as refused:
        pay(acc, ["2024-02"], "15.00")
    assert refusal(refused) == {"code": "conflict", "message": "2024-02 is already paid",
                                "fields": {"months": "2024-02"}}


def test_a_month_before_the_account_opened_is_not_owed_naming_the_first_owed_month():
    with pytest.raises(RuleViolation) as refused:
        pay(account(owes_from="2024-03"), ["2024-02"], "15.00")
    assert refusal(refused) == {
        "code": "rule_violation", "rule": "dues.payment.not_owed",
        "message": "no dues are owed for 2024-02 (owed from 2024-03, while in good standing)",
        "fields": {"months": "2024-02"}}


def test_a_month_without_a_base_cannot_be_paid_until_the_branch_sets_it():
    with pytest.raises(RuleViolation) as refused:
        pay(account(category=None), ["2024-02"], "15.00")
    assert refusal(refused) == {
        "code": "rule_violation", "rule": "dues.payment.no_base",
        "message": "the dues base for 2024-02 is not set yet; the branch sets it first",
        "fields": {"months": "2024-02"}}


def test_a_waived_month_cannot_be_paid_naming_it():
    acc = account()
    request(acc, first="2024-03", last="2024-03")
    acc.approve_reduction("r-1", "committee-1", TODAY)
    with pytest.raises(RuleViolation) as refused:
        pay(acc, ["2024-03"], "0.00")
    assert refusal(refused) == {"code": "rule_violation", "rule": "dues.payment.waived",
                                "message": "nothing is owed for 2024-03 (waived)", "fields": {"months": "2024-03"}}


# ---- the base, the policy, standing and moves -------------------------------------------

def test_a_set_amount_category_records_its_amount_and_assesses_it():
    acc = account(category="farmer", base=None, amount="0.50")
    assert acc.pending_events[-1].payload["amount"] == D("0.50")
    assert pay(acc, ["2024-01"], "0.50")["dues_amount"] == D("0.50")


def test_choosing_the_policy_a_branch_already_has_records_nothing():
    policy = BasePolicy("branch-1")
    policy.choose("fixed_yearly", TODAY)
    policy.choose("fixed_yearly", TODAY)
    assert [e.payload["policy"] for e in policy.pending_events] == ["fixed_yearly"]
    policy.choose("from_month_of_change", TODAY)
    assert len(policy.pending_events) == 2


def test_owing_again_starts_from_the_given_admission_month_not_the_event_date():
    acc = account()
    acc.follow_member(org_id=BRANCH, stage="probationary", status="suspended", on=dt.date(2024, 2, 10),
                      source_event="members.status_changed")
    acc.follow_member(org_id=BRANCH, stage="probationary", status="active", on=dt.date(2024, 6, 20),
                      source_event="members.admission_approved", liable_from=mi("2024-05"))
    assert acc.pending_events[-1].payload["from_month"] == "2024-05"


def test_a_move_with_nothing_outstanding_records_zero_yuan_as_money():
    acc = account(owes_from="2024-08")  # admitted in August, moved in July: nothing owed yet
    acc.move("branch-2", dt.date(2024, 7, 3), "dues.move_account")
    moved = acc.pending_events[-1].payload
    assert moved["outstanding"] == D("0.00") and str(moved["outstanding"]) == "0.00"


# ---- reasons and arrears ------------------------------------------------------------------

def test_a_reason_recorded_for_later_months_does_not_excuse_earlier_unpaid_ones():
    acc = account()
    acc.record_arrears_reason(mi("2024-08"), mi("2024-09"), "abroad from August")
    assert acc.check_arrears(mi("2024-06")) is True
    assert acc.pending_events[-1].payload["first_unpaid_month"] == "2024-01"


def test_a_voluntary_payment_with_a_dues_amount_says_no_months_are_owed_for():
    with pytest.raises(RuleViolation) as refused:
        pay(account(), [], "5.00", voluntary="50.00")
    assert refused.value.message == "the amount 5.00 does not match the 0.00 owed for no months"
