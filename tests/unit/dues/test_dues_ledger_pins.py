"""The ledger's pure functions pinned on what a member's statement shows: the
amount assessed (and why one is refused), every term of each period of the
schedule, how months parse, and the paid-up-to month at its edges."""
import dataclasses
import datetime as dt
from decimal import ROUND_DOWN, Decimal

import pytest

from services.dues.ledger import (
    BaseSetting,
    Period,
    Reduction,
    assess,
    first_unsettled,
    month_list,
    paid_up_to,
    schedule,
)
from services.dues.ledger import month_index as mi
from services.dues.rules import rules_in_force
from shared.errors import InvalidInput, RuleViolation

D = Decimal
RULES = rules_in_force(dt.date(2024, 7, 15))
BRANCH = "branch-1"


def employed(base="3000.00", month="2024-01"):
    return BaseSetting(mi(month), "employed", D(base), None)


def farmer(amount, month="2024-01"):
    return BaseSetting(mi(month), "farmer", None, D(amount))


def statement(bases, reductions=(), liability=None, orgs=None, owes_from="2024-01"):
    liability = [(mi(owes_from), True)] if liability is None else [(mi(m), v) for m, v in liability]
    orgs = [(mi(owes_from), BRANCH)] if orgs is None else [(mi(m), o) for m, o in orgs]
    return schedule(mi(owes_from), liability, orgs, list(bases), list(reductions))


def period(first, last, org=BRANCH, category="employed", base="3000.00", amount=None, assessed="15.00",
           due=None, reduction_id=None):
    return Period(mi(first), None if last is None else mi(last), org, category,
                  None if base is None else D(base), None if amount is None else D(amount), D(assessed),
                  D(assessed if due is None else due), RULES.version, reduction_id)


# ---- assess -------------------------------------------------------------------

@pytest.mark.parametrize("strict", [True, False])
def test_assess_a_bracket_category_without_a_base_is_refused_naming_the_base(strict):
    with pytest.raises(InvalidInput) as refused:
        assess(RULES, "employed", None, None, strict=strict)
    assert refused.value.fields == {"base": "required"}
    assert "employed" in refused.value.message and "base" in refused.value.message


@pytest.mark.parametrize("strict", [True, False])
def test_assess_a_ranged_category_without_an_amount_is_refused_naming_the_amount(strict):
    with pytest.raises(InvalidInput) as refused:
        assess(RULES, "farmer", None, None, strict=strict)
    assert refused.value.fields == {"amount": "required"}
    assert "farmer" in refused.value.message and "amount" in refused.value.message


def test_assess_strict_refuses_a_set_amount_outside_the_range_naming_the_range():
    low, high = RULES.ranged_amounts["farmer"]
    with pytest.raises(RuleViolation) as refused:
        assess(RULES, "farmer", None, D("5.00"), strict=True)
    assert refused.value.rule == "dues.assessment.set_amount_range"
    assert refused.value.fields == {"amount": "5.00", "min": str(low), "max": str(high)}
    message = refused.value.message
    assert str(low) in message and str(high) in message and "5.00" in message and RULES.version in message


def test_assess_not_strict_clamps_a_set_amount_into_the_range():
    low, high = RULES.ranged_amounts["farmer"]
    assert assess(RULES, "farmer", None, high + D("4.00"), strict=False) == high
    assert assess(RULES, "farmer", None, low - D("0.10"), strict=False) == low
    assert assess(RULES, "farmer", None, D("0.50"), strict=False) == D("0.50")


@pytest.mark.parametrize("strict", [True, False])
def test_assess_a_category_the_rules_do_not_know_is_refused_naming_it(strict):
    with pytest.raises(RuleViolation) as refused:
        assess(RULES, "astronaut", D("3000.00"), None, strict=strict)
    assert refused.value.rule == "dues.assessment.category"
    assert refused.value.fields == {"category": "astronaut"}
    assert "'astronaut'" in refused.value.message and RULES.version in refused.value.message


def test_assess_rounds_half_a_fen_as_the_rules_say():
    assert RULES.brackets["employed"][0].rate == D("0.005")
    assert assess(RULES, "employed", D("1001"), None) == D("5.01")  # 5.005: half up, not half even
    round_down = dataclasses.replace(RULES, rounding=ROUND_DOWN)
    assert assess(round_down, "employed", D("1003"), None) == D("5.01")  # 5.015


# ---- months -------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2024-ab", "abcd-01", "2024-1", "2024-13", "2024-00", "2024/01", "2024-011"])
def test_month_index_refuses_a_malformed_month_naming_it(text):
    with pytest.raises(InvalidInput) as refused:
        mi(text)
    assert refused.value.fields == {"month": text}
    assert refused.value.message == f"{text!r} is not a month (YYYY-MM)"


def test_month_list_separates_months_with_a_comma():
    assert month_list([mi("2024-01"), mi("2024-03")]) == "2024-01, 2024-03"
    assert month_list([]) == ""


# ---- the schedule -------------------------------------------------------------

def test_schedule_periods_carry_every_term_including_the_reduction():
    periods = statement([employed()], [Reduction("r-1", "reduced", mi("2024-03"), mi("2024-04"), D("5.00"))],
                        liability=[("2024-01", True), ("2024-07", False)])
    assert periods == [period("2024-01", "2024-02"),
                       period("2024-03", "2024-04", due="5.00", reduction_id="r-1"),
                       period("2024-05", "2024-06")]


def test_schedule_of_a_set_amount_carries_it_and_clamps_one_set_under_another_revision():
    assert statement([farmer("0.50")]) == [period("2024-01", None, category="farmer", base=None, amount="0.50",
                                                  assessed="0.50")]
    _, high = RULES.ranged_amounts["farmer"]
    assert statement([farmer("5.00")]) == [period("2024-01", None, category="farmer", base=None, amount="5.00",
                                                  assessed=str(high))]


def test_schedule_without_a_base_ends_its_periods_where_liability_ends():
    periods = statement([], liability=[("2024-01", True), ("2024-04", False), ("2024-06", True)])
    assert periods == [Period(mi("2024-01"), mi("2024-03"), BRANCH), Period(mi("2024-06"), None, BRANCH)]


def test_schedule_same_month_liability_records_the_later_recorded_wins():
    periods = statement([employed()], liability=[("2024-01", True), ("2024-04", True), ("2024-04", False)])
    assert periods == [period("2024-01", "2024-03")]


def test_schedule_same_month_moves_the_later_recorded_wins():
    periods = statement([employed()], orgs=[("2024-01", BRANCH), ("2024-04", "branch-3"), ("2024-04", "branch-2")])
    assert periods == [period("2024-01", "2024-03"), period("2024-04", None, org="branch-2")]


def test_schedule_moves_follow_the_month_not_the_branch_name():
    periods = statement([employed()], orgs=[("2024-01", "branch-9"), ("2024-04", "branch-1")])
    assert periods == [period("2024-01", "2024-03", org="branch-9"), period("2024-04", None, org="branch-1")]


def test_schedule_months_before_the_first_branch_record_belong_to_that_branch():
    assert statement([employed()], orgs=[("2024-03", "branch-2")]) == [period("2024-01", None, org="branch-2")]


def test_schedule_without_a_branch_record_has_an_empty_branch():
    assert statement([employed()], orgs=[]) == [period("2024-01", None, org="")]


# ---- paid up to ---------------------------------------------------------------

def test_an_account_never_owing_has_no_unsettled_month_and_no_paid_up_to():
    assert statement([employed()], liability=[("2024-01", False)]) == []
    assert first_unsettled([], set(), mi("2024-01")) is None
    assert paid_up_to([], set(), mi("2024-01")) is None


def test_a_closed_account_with_nothing_paid_is_unsettled_from_its_first_month():
    periods = statement([employed()], liability=[("2024-01", True), ("2024-07", False)])
    assert first_unsettled(periods, set(), mi("2024-01")) == mi("2024-01")
    assert paid_up_to(periods, set(), mi("2024-01")) is None


def test_a_closed_account_ending_in_waived_months_is_paid_up_to_its_last_month():
    waiver = Reduction("r-1", "waived", mi("2024-05"), mi("2024-06"), None)
    periods = statement([employed()], [waiver], liability=[("2024-01", True), ("2024-07", False)])
    paid = {mi(m) for m in ["2024-01", "2024-02", "2024-03", "2024-04"]}
    assert first_unsettled(periods, paid, mi("2024-01")) is None
    assert paid_up_to(periods, paid, mi("2024-01")) == mi("2024-06")


def test_a_closed_account_waived_throughout_is_paid_up_to_its_last_month_with_nothing_paid():
    waiver = Reduction("r-1", "waived", mi("2024-01"), mi("2024-06"), None)
    periods = statement([employed()], [waiver], liability=[("2024-01", True), ("2024-07", False)])
    assert paid_up_to(periods, set(), mi("2024-01")) == mi("2024-06")


def test_an_open_account_owing_nothing_is_paid_up_to_the_month_after_its_last_record():
    """Current behaviour: with nothing ever due, the first unsettled month is two
    months past the last period start or paid month, so paid-up-to is one past it."""
    periods = statement([employed(base="0.00")])
    assert periods == [period("2024-01", None, base="0.00", assessed="0.00")]
    assert first_unsettled(periods, set(), mi("2024-01")) == mi("2024-03")
    assert paid_up_to(periods, set(), mi("2024-01")) == mi("2024-02")
    assert paid_up_to(periods, {mi("2024-05")}, mi("2024-01")) == mi("2024-06")
