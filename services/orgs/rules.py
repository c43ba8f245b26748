"""Versioned rule data for organisations (docs/domain.md §1).

A revision of the regulations is a new ``OrgRules`` appended to
``RULE_SETS`` with its ``effective_from`` date; an act (a request, an
election) is judged by the rule set in force on the date of that act.
"""
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Mapping

from shared.rulebook import RuleBook


@dataclass(frozen=True)
class OrgRules:
    version: str
    effective_from: date
    min_full_members_to_found: int
    """A branch is founded only with at least this many full members."""
    min_full_members_for_committee: int
    """Below this, a branch elects a secretary (and optional deputy) only."""
    committee_min_seats: int
    committee_usual_max_seats: int
    """More seats than this (up to the max) are allowed but flagged."""
    committee_max_seats: int
    term_years: Mapping[str, int]
    """Committee term by organisation kind."""
    rural_branch_term_years: int
    rural_unit_types: frozenset
    """Branches of these unit types (village, community) have the rural term."""
    branch_usual_max_members: int
    """Above this a branch should consider becoming a general branch (warning)."""
    committee_suggested_members: int
    """At or above this an organisation should consider a committee (warning)."""
    joint_branch_min_units: int
    joint_branch_max_units: int
    founding_decision_months: int
    """The parent decides on a founding request within this many months."""


RULE_SETS: tuple[OrgRules, ...] = (
    OrgRules(
        version="2014",
        effective_from=date(2014, 1, 1),
        min_full_members_to_found=3,
        min_full_members_for_committee=7,
        committee_min_seats=3,
        committee_usual_max_seats=5,
        committee_max_seats=7,
        term_years=MappingProxyType({"committee": 5, "general_branch": 3,
                                     "branch": 3, "joint_branch": 3}),
        rural_branch_term_years=5,
        rural_unit_types=frozenset({"village", "community"}),
        branch_usual_max_members=50,
        committee_suggested_members=100,
        joint_branch_min_units=2,
        joint_branch_max_units=5,
        founding_decision_months=1,
    ),
)


RULES = RuleBook("organisation", RULE_SETS)
rules_in_force = RULES.in_force  # the rule set in force on a day (shared/rulebook.py)
