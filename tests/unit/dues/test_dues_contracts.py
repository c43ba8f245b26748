"""The published schemas: money is a string with at most 2 decimals, months
are YYYY-MM, and each category needs what it is assessed on."""
from datetime import date
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from shared.catalog import catalog
from shared.contracts import dues as c


def load(schema_cls, data):
    return schema_cls().load(data)


def errors(schema_cls, data):
    with pytest.raises(ValidationError) as refused:
        schema_cls().load(data)
    return refused.value.messages


PAYMENT = {"idempotency_key": "k-1", "member_id": "m-1", "months": ["2024-01"], "amount": "15.00"}


@pytest.mark.parametrize("amount, expected", [("15", "15.00"), ("0.1", "0.10"), ("0.30", "0.30"),
                                              ("1000.00", "1000.00")])
def test_amounts_are_exact_strings(amount, expected):
    loaded = load(c.PaymentIn, {**PAYMENT, "amount": amount})
    assert loaded["amount"] == Decimal(expected) and str(loaded["amount"]) == expected


@pytest.mark.parametrize("amount", [0.1, 15, 15.0, True, None, "0.125", "-1.00", "1e3", "NaN", "Infinity",
                                    " 1.00", "1,00", "", "12345678901.00"])
def test_numbers_third_decimals_and_odd_strings_are_refused_naming_the_field(amount):
    assert "amount" in errors(c.PaymentIn, {**PAYMENT, "amount": amount})


def test_a_float_message_says_why():
    message = errors(c.PaymentIn, {**PAYMENT, "amount": 0.1})["amount"][0]
    assert "string" in message and "exact" in message


def test_months_or_a_range_not_both():
    assert load(c.PaymentIn, {**PAYMENT, "months": None, "from": "2024-01", "to": "2024-03"})["to_month"] == "2024-03"
    assert "months" in errors(c.PaymentIn, {**PAYMENT, "from": "2024-01", "to": "2024-03"})
    assert "to" in errors(c.PaymentIn, {**PAYMENT, "months": None, "from": "2024-01"})
    assert "to_month" in errors(c.PaymentIn, {**PAYMENT, "months": None, "from": "2024-03", "to": "2024-01"})
    assert "months" in errors(c.PaymentIn, {**PAYMENT, "months": ["2024-01", "2024-01"]})
    assert "months" in errors(c.PaymentIn, {**PAYMENT, "months": ["2024-13"]})
    assert "voluntary_extra" in errors(c.PaymentIn, {**PAYMENT, "voluntary_extra": 1000})


def test_each_category_needs_its_base_or_amount():
    assert load(c.SetDuesBaseIn, {"category": "employed", "base": "3000.01", "effective_month": "2024-05"})["base"] \
        == Decimal("3000.01")
    assert "base" in errors(c.SetDuesBaseIn, {"category": "retired", "effective_month": "2024-05"})
    assert "amount" in errors(c.SetDuesBaseIn, {"category": "farmer", "effective_month": "2024-05"})
    assert "base" in errors(c.SetDuesBaseIn, {"category": "student", "base": "100.00", "effective_month": "2024-05"})
    assert "base" in errors(c.SetDuesBaseIn, {"category": "employed", "base": 3000, "effective_month": "2024-05"})
    assert "effective_month" in errors(c.SetDuesBaseIn, {"category": "student", "effective_month": "2024-5"})


def test_reductions_name_their_amount_only_when_reduced():
    base = {"from_month": "2024-01", "to_month": "2024-03", "reason": "illness", "decided_on": "2024-01-05"}
    assert "monthly_amount" in errors(c.RecordReductionIn, {**base, "kind": "reduced"})
    assert "monthly_amount" in errors(c.RecordReductionIn, {**base, "kind": "waived", "monthly_amount": "1.00"})
    assert load(c.RecordReductionIn, {**base, "kind": "reduced", "monthly_amount": "1.00"})["monthly_amount"] == \
        Decimal("1.00")


def test_responses_carry_amounts_as_strings_with_two_places():
    dumped = c.MonthAmountOut().dump({"month": "2024-01", "amount": Decimal("0.3")})
    assert dumped == {"month": "2024-01", "amount": "0.30"}


def test_every_dues_event_is_in_the_catalog_with_a_description():
    described = {e["event_type"]: e for e in catalog.describe() if e["event_type"].startswith("dues.")}
    assert set(described) == {
        "dues.account_opened", "dues.liability_changed", "dues.account_moved", "dues.base_set",
        "dues.payment_recorded", "dues.reduction_requested", "dues.reduction_approved", "dues.reduction_rejected",
        "dues.arrears_reason_recorded", "dues.arrears_flagged", "dues.base_policy_set"}
    payload = catalog.dump_payload("dues.payment_recorded", {
        "payment_id": "p", "idempotency_key": "k", "org_id": "b", "paid_by": None, "paid_on": date(2024, 7, 1),
        "months": [{"month": "2024-01", "amount": Decimal("0.1"), "org_id": "b"}], "dues_amount": Decimal("0.1"),
        "voluntary_extra": Decimal("0"), "total": Decimal("0.1"), "forward_to_central": False, "paid_up_to": None})
    assert (payload["total"], payload["months"][0]["amount"]) == ("0.10", "0.10")
