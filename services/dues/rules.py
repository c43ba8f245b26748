"""Versioned rule data for dues (docs/domain.md §4).

A revision of the regulations is a new ``DuesRules`` appended to
``RULE_SETS`` with its ``effective_from`` (the first day of a month): each
month is assessed under the rule set in force on its first day, so a
revision changes the months from its date on and leaves earlier ones as
they were. No rule number appears as a literal elsewhere in the service.
"""
import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Mapping

from shared.rulebook import RuleBook

D = Decimal


@dataclass(frozen=True)
class Bracket:
    upper: Decimal | None
    """Inclusive upper bound of the base; None for the open top bracket."""
    rate: Decimal
    """Applied to the whole base (the amount jumps at each bound)."""


@dataclass(frozen=True)
class DuesRules:
    version: str
    effective_from: date
    brackets: Mapping[str, tuple[Bracket, ...]]
    """Categories assessed as a rate of a base, and their brackets."""
    fixed_amounts: Mapping[str, Decimal]
    """Categories that pay a fixed monthly amount."""
    ranged_amounts: Mapping[str, tuple[Decimal, Decimal]]
    """Categories whose monthly amount is set per member within (min, max), inclusive."""
    yearly_fixable: frozenset
    """Categories whose base a branch on the ``fixed_yearly`` policy fixes once a
    year; the others (income of the quarter, pay of the month) follow the month."""
    rounding: str
    """How base x rate is rounded to fen."""
    back_payment_max_months: int
    """A month may be paid at most this many months after it."""
    advance_payment_max_months: int
    """A month may be paid at most this many months before it."""
    voluntary_forward_threshold: Decimal
    """A single voluntary payment of at least this much is forwarded whole to the central level."""
    voluntary_single_max: Decimal
    """The most one voluntary payment may be, as this platform records it (the
    regulation sets no maximum: a larger gift is the branch's to record in
    parts, with the party committee's knowledge). It keeps a mistyped amount
    out of the collection reports."""
    arrears_flag_months: int
    """This many consecutive unpaid months without a recorded reason flag the member."""
    default_base_policy: str


EMPLOYED_2008 = (Bracket(D("3000"), D("0.005")), Bracket(D("5000"), D("0.01")),
                 Bracket(D("10000"), D("0.015")), Bracket(None, D("0.02")))
RETIRED_2008 = (Bracket(D("5000"), D("0.005")), Bracket(None, D("0.01")))

RULE_SETS: tuple[DuesRules, ...] = (
    DuesRules(
        version="2008",
        effective_from=date(2008, 1, 1),
        brackets=MappingProxyType({"employed": EMPLOYED_2008, "self_employed": EMPLOYED_2008,
                                   "annual_salary": EMPLOYED_2008, "retired": RETIRED_2008}),
        fixed_amounts=MappingProxyType({"student": D("0.20"), "unemployed": D("0.20"),
                                        "relief": D("0.20")}),
        ranged_amounts=MappingProxyType({"farmer": (D("0.20"), D("1.00"))}),
        yearly_fixable=frozenset({"employed", "retired"}),
        rounding=ROUND_HALF_UP,
        back_payment_max_months=6,
        advance_payment_max_months=12,
        voluntary_forward_threshold=D("1000.00"),
        voluntary_single_max=D("100000.00"),
        arrears_flag_months=6,
        default_base_policy="from_month_of_change",
    ),
)

FEN = D("0.01")


RULES = RuleBook("dues", RULE_SETS)
rules_in_force = RULES.in_force  # the rule set in force on a day (shared/rulebook.py)


def rule_boundaries(rule_sets=RULE_SETS) -> list[date]:
    """The dates a new rule set takes effect (the assessment changes there)."""
    return sorted(rules.effective_from for rules in rule_sets)


def rules_fingerprint(rule_sets=RULE_SETS) -> str:
    """Changes whenever a rule set is added or revised (read models recompute then)."""
    def canonical(value):
        if isinstance(value, (Mapping, MappingProxyType)):
            return "{" + ",".join(f"{k}:{canonical(value[k])}" for k in sorted(value)) + "}"
        if isinstance(value, (frozenset, set)):
            return "{" + ",".join(sorted(map(str, value))) + "}"
        if isinstance(value, tuple):
            return "(" + ",".join(canonical(v) for v in value) + ")"
        if isinstance(value, (Bracket, DuesRules)):
            return canonical(tuple(getattr(value, f) for f in value.__dataclass_fields__))
        return str(value)
    text = canonical(tuple(sorted(rule_sets, key=lambda r: r.effective_from)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def categories(rule_sets=RULE_SETS) -> set[str]:
    names = set()
    for rules in rule_sets:
        names |= set(rules.brackets) | set(rules.fixed_amounts) | set(rules.ranged_amounts)
    return names
