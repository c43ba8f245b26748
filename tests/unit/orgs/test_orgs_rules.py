"""Rule numbers are versioned data: an act is judged by the set in force on its date."""
import dataclasses
import datetime as dt

import pytest

from services.orgs.domain import Organisation, ParentView
from services.orgs.rules import RULE_SETS, rules_in_force
from shared.errors import InvalidInput, RuleViolation

REVISION = dataclasses.replace(RULE_SETS[0], version="2030-test", effective_from=dt.date(2030, 1, 1),
                               min_full_members_to_found=5)
WITH_REVISION = (*RULE_SETS, REVISION)


def test_the_2014_values_are_in_force():
    rules = rules_in_force(dt.date(2024, 6, 1))
    assert rules.version == "2014"
    assert (rules.min_full_members_to_found, rules.min_full_members_for_committee) == (3, 7)
    assert (rules.committee_min_seats, rules.committee_usual_max_seats, rules.committee_max_seats) == (3, 5, 7)
    assert dict(rules.term_years) == {"committee": 5, "general_branch": 3, "branch": 3, "joint_branch": 3}
    assert rules.rural_branch_term_years == 5
    assert (rules.branch_usual_max_members, rules.committee_suggested_members) == (50, 100)
    assert (rules.joint_branch_max_units, rules.founding_decision_months) == (5, 1)


def test_no_rules_before_the_first_version():
    with pytest.raises(InvalidInput, match="no organisation rules"):
        rules_in_force(dt.date(2013, 12, 31))
    assert rules_in_force(dt.date(2014, 1, 1)).version == "2014"


def test_a_revision_applies_from_its_date_only():
    assert rules_in_force(dt.date(2029, 12, 31), WITH_REVISION).version == "2014"
    assert rules_in_force(dt.date(2030, 1, 1), WITH_REVISION).version == "2030-test"


def test_the_domain_takes_its_numbers_from_the_rule_set():
    parent = ParentView("c", "committee", "active")

    def found(rules):
        return Organisation.found_branch("b", rules=rules, name="B", kind="branch", parent=parent,
                                         unit={"name": "U", "unit_type": "enterprise"}, covered_units=[],
                                         full_members=4, probationary_members=0, founded_on=dt.date(2030, 2, 1))

    assert found(rules_in_force(dt.date(2029, 1, 1), WITH_REVISION)).status == "active"
    with pytest.raises(RuleViolation, match="at least 5"):
        found(rules_in_force(dt.date(2030, 2, 1), WITH_REVISION))
