"""The assessment: the 2008 brackets on both sides of every bound, the fixed
categories, the farmer range, and rule revisions that only change months
from their effective date."""
import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from services.dues import ledger
from services.dues.ledger import BaseSetting, month_index, schedule
from services.dues.rules import RULE_SETS, Bracket, categories, rules_fingerprint, rules_in_force
from shared.contracts.dues import CATEGORIES
from shared.errors import InvalidInput, RuleViolation

D = Decimal
RULES = rules_in_force(dt.date(2024, 6, 1))


def assess(category, base=None, amount=None):
    return ledger.assess(RULES, category, None if base is None else D(base), None if amount is None else D(amount))


def test_the_2008_rules_are_in_force():
    assert RULES.version == "2008"
    assert (RULES.back_payment_max_months, RULES.arrears_flag_months) == (6, 6)
    assert RULES.voluntary_forward_threshold == D("1000.00")
    assert categories() == set(CATEGORIES)


@pytest.mark.parametrize("base, expected", [
    ("0.00", "0.00"),
    ("2000.00", "10.00"),
    ("3000.00", "15.00"),     # <= 3000: 0.5%
    ("3000.01", "30.00"),     # > 3000: 1% of the whole base (30.0001)
    ("5000.00", "50.00"),     # <= 5000: 1%
    ("5000.01", "75.00"),     # > 5000: 1.5% (75.00015)
    ("10000.00", "150.00"),   # <= 10000: 1.5%
    ("10000.01", "200.00"),   # > 10000: 2% (200.0002)
    ("25000.00", "500.00"),
])
def test_employed_brackets_on_both_sides_of_each_bound(base, expected):
    assert assess("employed", base) == D(expected)


@pytest.mark.parametrize("category", ["self_employed", "annual_salary"])
def test_self_employed_and_annual_salary_use_the_employed_brackets(category):
    assert [assess(category, b) for b in ("3000.00", "3000.01", "10000.01")] == \
        [D("15.00"), D("30.00"), D("200.00")]


@pytest.mark.parametrize("base, expected", [
    ("4000.00", "20.00"),
    ("5000.00", "25.00"),     # <= 5000: 0.5%
    ("5000.01", "50.00"),     # > 5000: 1% (50.0001)
    ("8000.00", "80.00"),
])
def test_retired_brackets_on_both_sides_of_the_bound(base, expected):
    assert assess("retired", base) == D(expected)


def test_rounding_is_half_up_to_the_fen():
    assert assess("employed", "2999.99") == D("15.00")    # 14.99995
    assert assess("employed", "2999.00") == D("15.00")    # 14.995
    assert assess("employed", "2998.99") == D("14.99")    # 14.99495
    assert assess("retired", "1234.56") == D("6.17")      # 6.1728


@pytest.mark.parametrize("category", ["student", "unemployed", "relief"])
def test_fixed_categories_pay_20_fen(category):
    assert assess(category) == D("0.20")
    assert str(assess(category)) == "0.20"


def test_farmers_pay_a_set_amount_within_the_range():
    assert assess("farmer", amount="0.20") == D("0.20")
    assert assess("farmer", amount="0.55") == D("0.55")
    assert assess("farmer", amount="1.00") == D("1.00")
    for outside in ("0.19", "1.01"):
        with pytest.raises(RuleViolation) as refused:
            assess("farmer", amount=outside)
        assert refused.value.rule == "dues.assessment.set_amount_range"
        assert refused.value.fields == {"amount": outside, "min": "0.20", "max": "1.00"}
    with pytest.raises(InvalidInput):
        assess("farmer")


def test_a_rate_category_needs_a_base():
    with pytest.raises(InvalidInput):
        assess("employed")


def test_no_rules_before_the_first_version():
    with pytest.raises(InvalidInput, match="no dues rules"):
        rules_in_force(dt.date(2007, 12, 31))


REVISION = dataclasses.replace(
    RULE_SETS[0], version="2030-test", effective_from=dt.date(2030, 1, 1),
    brackets={**RULE_SETS[0].brackets, "employed": (Bracket(D("4000"), D("0.005")), Bracket(None, D("0.01")))},
    fixed_amounts={**RULE_SETS[0].fixed_amounts, "student": D("0.50")})
WITH_REVISION = (*RULE_SETS, REVISION)


def test_a_revision_applies_from_its_date_only():
    assert rules_in_force(dt.date(2029, 12, 31), WITH_REVISION).version == "2008"
    assert rules_in_force(dt.date(2030, 1, 1), WITH_REVISION).version == "2030-test"
    assert rules_fingerprint(WITH_REVISION) != rules_fingerprint()
    assert rules_fingerprint() == rules_fingerprint(tuple(RULE_SETS))


def test_a_revision_changes_future_months_and_leaves_past_ones():
    base = [BaseSetting(month_index("2029-06"), "employed", D("3500.00"), None)]
    before = schedule(month_index("2029-06"), [], [(month_index("2029-06"), "b")], base, [])
    after = schedule(month_index("2029-06"), [], [(month_index("2029-06"), "b")], base, [], WITH_REVISION)
    assert [(p.from_month, p.to_month, p.due, p.rules_version) for p in before] == \
        [(month_index("2029-06"), None, D("35.00"), "2008")]
    assert [(ledger.month_text(p.from_month), ledger.month_text(p.to_month), p.due, p.rules_version)
            for p in after] == [("2029-06", "2029-12", D("35.00"), "2008"), ("2030-01", None, D("17.50"), "2030-test")]
    student = [BaseSetting(month_index("2029-11"), "student", None, None)]
    periods = schedule(month_index("2029-11"), [], [(month_index("2029-11"), "b")], student, [], WITH_REVISION)
    assert [ledger.period_at(periods, month_index(m)).due for m in ("2029-11", "2029-12", "2030-01")] == \
        [D("0.20"), D("0.20"), D("0.50")]
