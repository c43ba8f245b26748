"""Months and the schedule of what each month owes: pure functions shared by
the account aggregate (to decide) and the read models (to report).

A month is an int, ``year * 12 + month - 1``, "YYYY-MM" on the wire. The
schedule is a list of ``Period``s, each a run of months owing the same
amount to the same branch; months outside every period are not owed (before
the account opened, or while the member is suspended, left...).
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from shared.errors import InvalidInput, RuleViolation

from .rules import FEN, RULE_SETS, DuesRules, rules_in_force

ZERO = Decimal("0.00")


# ---- months -----------------------------------------------------------------

def month_index(text: str) -> int:
    try:
        year, month = int(text[:4]), int(text[5:7])
    except (TypeError, ValueError):
        raise InvalidInput(f"{text!r} is not a month (YYYY-MM)", {"month": str(text)}) from None
    if len(text) != 7 or text[4] != "-" or not 1 <= month <= 12:
        raise InvalidInput(f"{text!r} is not a month (YYYY-MM)", {"month": text})
    return year * 12 + month - 1


def month_text(index: int | None) -> str | None:
    return None if index is None else f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def first_day(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def month_list(indexes) -> str:
    return ", ".join(month_text(m) for m in indexes)


# ---- assessment ---------------------------------------------------------------

def assess(rules: DuesRules, category: str, base: Decimal | None, amount: Decimal | None,
           strict: bool = True) -> Decimal:
    """The monthly amount under ``rules``. ``strict``: refuse a set amount
    outside the allowed range (else clamp it, for months under a later revision)."""
    if category in rules.brackets:
        if base is None:
            raise InvalidInput(f"a base is required for category {category}", {"base": "required"})
        for bracket in rules.brackets[category]:
            if bracket.upper is None or base <= bracket.upper:
                return (base * bracket.rate).quantize(FEN, rounding=rules.rounding)
    if category in rules.fixed_amounts:
        return rules.fixed_amounts[category]
    if category in rules.ranged_amounts:
        low, high = rules.ranged_amounts[category]
        if amount is None:
            raise InvalidInput(f"an amount is required for category {category}", {"amount": "required"})
        if low <= amount <= high:
            return amount
        if strict:
            raise RuleViolation("dues.assessment.set_amount_range",
                                f"a {category}'s monthly amount is {low} to {high} yuan "
                                f"(rules {rules.version}); {amount} given",
                                {"amount": str(amount), "min": str(low), "max": str(high)})
        return min(max(amount, low), high)
    raise RuleViolation("dues.assessment.category", f"rules {rules.version} do not assess category "
                        f"{category!r}", {"category": category})


# ---- the schedule -------------------------------------------------------------

@dataclass(frozen=True)
class BaseSetting:
    applies_from: int
    category: str
    base: Decimal | None
    amount: Decimal | None


@dataclass(frozen=True)
class Reduction:
    reduction_id: str
    kind: str  # reduced | waived
    from_month: int
    to_month: int
    monthly_amount: Decimal | None


@dataclass(frozen=True)
class Period:
    from_month: int
    to_month: int | None  # inclusive; None: until something changes
    org_id: str
    category: str | None = None
    base: Decimal | None = None
    set_amount: Decimal | None = None
    assessed: Decimal | None = None  # None while no base is set
    due: Decimal | None = None  # after an approved reduction
    rules_version: str | None = None
    reduction_id: str | None = None

    def covers(self, month: int) -> bool:
        return self.from_month <= month and (self.to_month is None or month <= self.to_month)

    def same_terms(self, other: "Period") -> bool:
        return (self.org_id, self.category, self.base, self.set_amount, self.assessed, self.due,
                self.rules_version, self.reduction_id) == \
            (other.org_id, other.category, other.base, other.set_amount, other.assessed, other.due,
             other.rules_version, other.reduction_id)


def _at(timeline, month, default):
    """The value of the last (month, value) entry at or before ``month``."""
    value = default
    for start, entry in timeline:
        if start <= month:
            value = entry
    return value


def schedule(owes_from: int, liability: list[tuple[int, bool]], orgs: list[tuple[int, str]],
             bases: list[BaseSetting], reductions: list[Reduction], rule_sets=RULE_SETS) -> list[Period]:
    """Every month from ``owes_from`` on, as periods of constant terms.

    ``liability`` and ``orgs`` are (from month, value) in the order recorded;
    the latest base setting applying by a month is used for it (the first one
    also covers the months before it: dues are owed from ``owes_from`` even if
    the base was set later); the latest approved reduction covering a month
    lowers (or waives) it; each month is assessed under the rules in force on
    its first day."""
    liability = sorted(liability, key=lambda e: e[0])
    orgs = sorted(orgs, key=lambda e: e[0])
    ordered_bases = sorted(enumerate(bases), key=lambda e: (e[1].applies_from, e[0]))
    starts = {owes_from}
    starts.update(m for m, _ in liability)
    starts.update(m for m, _ in orgs)
    starts.update(b.applies_from for b in bases)
    for r in reductions:
        starts.update((r.from_month, r.to_month + 1))
    starts.update(month_of(rules.effective_from) for rules in rule_sets)
    starts = sorted(m for m in starts if m >= owes_from)
    periods: list[Period] = []
    for i, start in enumerate(starts):
        end = starts[i + 1] - 1 if i + 1 < len(starts) else None
        if not _at(liability, start, True):
            continue
        period = _terms(start, end, _at(orgs, start, orgs[0][1] if orgs else ""), ordered_bases,
                        reductions, rule_sets)
        last = periods[-1] if periods else None
        if last is not None and last.to_month == start - 1 and last.same_terms(period):
            periods[-1] = Period(**{**last.__dict__, "to_month": end})
        else:
            periods.append(period)
    return periods


def _terms(start, end, org_id, ordered_bases, reductions, rule_sets) -> Period:
    applying = [b for _, b in ordered_bases if b.applies_from <= start]
    setting = applying[-1] if applying else (ordered_bases[0][1] if ordered_bases else None)
    if setting is None:
        return Period(start, end, org_id)
    rules = rules_in_force(first_day(start), rule_sets)
    assessed = assess(rules, setting.category, setting.base, setting.amount, strict=False)
    due, reduction_id = assessed, None
    for reduction in reductions:
        if reduction.from_month <= start <= reduction.to_month:
            reduction_id = reduction.reduction_id
            due = ZERO if reduction.kind == "waived" else min(assessed, reduction.monthly_amount)
    return Period(start, end, org_id, setting.category, setting.base, setting.amount, assessed, due,
                  rules.version, reduction_id)


def period_at(periods: list[Period], month: int) -> Period | None:
    for period in periods:
        if period.covers(month):
            return period
    return None


def owes(period: Period | None) -> bool:
    """Does a month under ``period`` need paying? (Unassessed months do, once assessed.)"""
    return period is not None and (period.due is None or period.due > ZERO)


def horizon(periods: list[Period], paid) -> int:
    marks = [p.from_month for p in periods] + [p.to_month for p in periods if p.to_month is not None]
    return max(marks + list(paid)) + 1 if marks or paid else 0


def first_unsettled(periods: list[Period], paid, owes_from: int) -> int | None:
    """The first month owed and not paid; None if there is none (closed account)."""
    last = horizon(periods, paid)
    for month in range(owes_from, last + 1):
        if owes(period_at(periods, month)) and month not in paid:
            return month
    if periods and periods[-1].to_month is None:
        return last + 1
    return None


def paid_up_to(periods: list[Period], paid, owes_from: int) -> int | None:
    """Every month owed up to this one is settled; None if the first one is not."""
    first = first_unsettled(periods, paid, owes_from)
    if first is None:
        closed = [p.to_month for p in periods if p.to_month is not None]
        return max(closed + list(paid)) if closed or paid else None
    return first - 1 if first > owes_from else None


def unpaid_run(periods: list[Period], paid, excused, as_of: int) -> list[int]:
    """The consecutive months owed, assessed, unpaid and not excused that end at
    ``as_of`` (oldest first); anything else breaks the run."""
    run = []
    month = as_of
    while True:
        period = period_at(periods, month)
        if period is None or period.due is None or period.due <= ZERO or month in paid or month in excused:
            break
        run.append(month)
        month -= 1
    return run[::-1]
