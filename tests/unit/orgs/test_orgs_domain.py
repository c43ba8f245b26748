"""Organisation rules (docs/domain.md §1), pure: both sides of every bound."""
import datetime as dt

import pytest

from services.orgs.domain import (Alliance, Organisation, ParentView, add_months, committee_warnings,
                                  size_warnings)
from shared.errors import Conflict, InvalidInput, RuleViolation

UNIT = {"name": "Nano Tech Co.", "unit_type": "enterprise"}
VILLAGE = {"name": "Lakeside Village", "unit_type": "village"}
ROLES = ["secretary", "deputy_secretary", "organisation", "publicity", "discipline", "youth", "women",
         "united_front"]


def seats(n):
    return [{"role": role, "name": f"Holder {i}"} for i, role in enumerate(ROLES[:n])]


def branch(rules, parent, *, full=10, probationary=0, kind="branch", unit=UNIT, covered=()):
    org = Organisation.found_branch("b1", rules=rules, name="Branch", kind=kind, parent=parent,
                                    unit=unit, covered_units=list(covered), full_members=full,
                                    probationary_members=probationary, founded_on=dt.date(2024, 1, 10))
    org.mark_saved(len(org.pending_events))
    return org


def events_of(aggregate):
    return [event.event_type for event in aggregate.pending_events]


@pytest.mark.parametrize("kind, parent_kind, allowed", [
    ("committee", None, True),
    ("committee", "committee", True),
    ("committee", "general_branch", False),
    ("general_branch", "committee", True),
    ("general_branch", "general_branch", False),
    ("general_branch", None, False),
    ("group", "branch", True),
    ("group", "joint_branch", True),
    ("group", "committee", False),
    ("group", "general_branch", False),
])
def test_kinds_sit_only_under_allowed_parents(kind, parent_kind, allowed):
    parent = ParentView("p", parent_kind, "active") if parent_kind else None
    if allowed:
        org = Organisation.create("o", name="X", kind=kind, parent=parent, created_on=dt.date(2024, 1, 1))
        assert events_of(org) == ["orgs.org_created"]
        assert org.status == "active"
    else:
        with pytest.raises(RuleViolation) as refused:
            Organisation.create("o", name="X", kind=kind, parent=parent, created_on=dt.date(2024, 1, 1))
        assert refused.value.rule.startswith("orgs.tree.")


@pytest.mark.parametrize("parent_kind, allowed", [("committee", True), ("general_branch", True),
                                                  ("branch", False), ("group", False)])
def test_a_branch_is_founded_under_a_committee_or_general_branch(rules, parent_kind, allowed):
    parent = ParentView("p", parent_kind, "active")
    if allowed:
        assert branch(rules, parent).kind == "branch"
    else:
        with pytest.raises(RuleViolation, match="only be placed under"):
            branch(rules, parent)


def test_nothing_is_placed_under_a_dissolved_parent(rules):
    with pytest.raises(Conflict, match="dissolved"):
        branch(rules, ParentView("p", "committee", "dissolved"))


def test_a_branch_is_founded_not_created(committee):
    with pytest.raises(InvalidInput):
        Organisation.create("o", name="X", kind="branch", parent=committee, created_on=dt.date(2024, 1, 1))


def test_founding_needs_three_full_members(rules, committee):
    with pytest.raises(RuleViolation) as refused:
        branch(rules, committee, full=2, probationary=9)
    assert refused.value.rule == "orgs.founding.min_full_members"
    org = Organisation.found_branch("b", rules=rules, name="B", kind="branch", parent=committee, unit=UNIT,
                                    covered_units=[], full_members=3, probationary_members=0,
                                    founded_on=dt.date(2024, 1, 10))
    [event] = org.pending_events
    assert event.event_type == "orgs.branch_founded"
    assert event.payload["founded_directly"] is True and event.payload["full_members"] == 3


@pytest.mark.parametrize("units, rule", [(1, "orgs.joint_branch.min_units"), (2, None), (5, None),
                                         (6, "orgs.joint_branch.max_units")])
def test_a_joint_branch_covers_up_to_five_units(rules, committee, units, rule):
    covered = [{"name": f"Unit {i}", "unit_type": "enterprise"} for i in range(units)]
    if rule is None:
        org = branch(rules, committee, kind="joint_branch", covered=covered)
        assert org.kind == "joint_branch"
    else:
        with pytest.raises(RuleViolation) as refused:
            branch(rules, committee, kind="joint_branch", covered=covered)
        assert refused.value.rule == rule


def test_only_a_joint_branch_covers_units(rules, committee):
    with pytest.raises(InvalidInput):
        branch(rules, committee, covered=[UNIT, VILLAGE])


@pytest.mark.parametrize("full, roles, rule", [
    (6, ["secretary"], None),
    (6, ["secretary", "deputy_secretary"], None),
    (6, ["secretary", "organisation", "publicity"], "orgs.committee.min_full_members"),
    (7, ["secretary", "organisation", "publicity"], None),
    (7, ["secretary", "deputy_secretary"], "orgs.committee.seat_count"),
])
def test_a_branch_committee_needs_seven_full_members(rules, committee, full, roles, rule):
    org = branch(rules, committee, full=full)
    chosen = [{"role": role, "name": role} for role in roles]
    if rule is None:
        org.elect_committee(rules, dt.date(2024, 3, 1), chosen, full)
        assert events_of(org) == ["orgs.committee_elected"]
    else:
        with pytest.raises(RuleViolation) as refused:
            org.elect_committee(rules, dt.date(2024, 3, 1), chosen, full)
        assert refused.value.rule == rule


@pytest.mark.parametrize("count, accepted", [(2, False), (3, True), (5, True), (6, True), (7, True),
                                             (8, False)])
def test_a_branch_committee_has_three_to_seven_seats(rules, committee, count, accepted):
    org = branch(rules, committee, full=30)
    if accepted:
        org.elect_committee(rules, dt.date(2024, 3, 1), seats(count), 30)
        assert len(org.pending_events[0].payload["seats"]) == count
    else:
        with pytest.raises(RuleViolation, match="3 to 7 seats"):
            org.elect_committee(rules, dt.date(2024, 3, 1), seats(count), 30)


@pytest.mark.parametrize("count, warned", [(5, False), (6, True), (7, True)])
def test_more_than_five_seats_is_flagged(rules, count, warned):
    assert bool(committee_warnings(rules, "branch", seats(count))) is warned


@pytest.mark.parametrize("roles, rule", [
    (["organisation", "publicity", "discipline"], "orgs.committee.one_secretary"),
    (["secretary", "secretary", "publicity"], "orgs.committee.one_secretary"),
    (["secretary", "publicity", "publicity"], "orgs.committee.portfolio_once"),
    (["secretary", "deputy_secretary", "deputy_secretary"], "orgs.committee.one_deputy"),
])
def test_committee_seats_are_well_formed(rules, committee, roles, rule):
    org = branch(rules, committee, full=30)
    with pytest.raises(RuleViolation) as refused:
        org.elect_committee(rules, dt.date(2024, 3, 1), [{"role": r, "name": r} for r in roles], 30)
    assert refused.value.rule == rule


def test_a_branch_committee_needs_a_member_count(rules, committee):
    with pytest.raises(InvalidInput):
        branch(rules, committee).elect_committee(rules, dt.date(2024, 3, 1), seats(1), None)


@pytest.mark.parametrize("kind, unit, elected, ends", [
    ("branch", UNIT, dt.date(2024, 3, 1), dt.date(2027, 3, 1)),
    ("branch", VILLAGE, dt.date(2024, 3, 1), dt.date(2029, 3, 1)),
    ("branch", UNIT, dt.date(2024, 2, 29), dt.date(2027, 2, 28)),
    ("general_branch", None, dt.date(2024, 3, 1), dt.date(2027, 3, 1)),
    ("committee", None, dt.date(2024, 3, 1), dt.date(2029, 3, 1)),
])
def test_terms_end_by_kind_and_unit(rules, committee, kind, unit, elected, ends):
    if kind == "branch":
        org = branch(rules, committee, unit=unit)
    else:
        org = Organisation.create("o", name="X", kind=kind, parent=committee, created_on=dt.date(2020, 1, 1))
    org.elect_committee(rules, elected, seats(3), 30)
    assert org.pending_events[-1].payload["term_ends_on"] == ends


def test_a_party_group_elects_no_committee(rules, committee):
    group = Organisation.create("g", name="G", kind="group", parent=ParentView("b", "branch", "active"),
                                created_on=dt.date(2024, 1, 1))
    with pytest.raises(RuleViolation) as refused:
        group.elect_committee(rules, dt.date(2024, 3, 1), seats(1), 3)
    assert refused.value.rule == "orgs.committee.kind"


def test_a_new_election_must_follow_the_last(rules, committee):
    org = branch(rules, committee)
    org.elect_committee(rules, dt.date(2024, 3, 1), seats(3), 10)
    with pytest.raises(InvalidInput):
        org.elect_committee(rules, dt.date(2024, 3, 1), seats(3), 10)
    org.elect_committee(rules, dt.date(2027, 3, 1), seats(3), 10)
    assert events_of(org)[-1] == "orgs.committee_elected"


def test_renaming_to_the_same_name_records_nothing(rules, committee):
    org = branch(rules, committee)
    org.rename("Branch", dt.date(2024, 3, 1))
    assert events_of(org) == []
    org.rename("Nano Branch", dt.date(2024, 3, 1))
    assert org.pending_events[0].payload == {"name": "Nano Branch", "previous_name": "Branch",
                                             "renamed_on": dt.date(2024, 3, 1)}


@pytest.mark.parametrize("children, members, rule", [
    (1, None, "orgs.dissolve.children_first"),
    (0, 4, "orgs.dissolve.members_first"),
    (0, 0, None),
    (0, None, None),
])
def test_dissolving_waits_for_children_and_members(rules, committee, children, members, rule):
    org = branch(rules, committee)
    if rule:
        with pytest.raises(RuleViolation) as refused:
            org.dissolve("merged", dt.date(2024, 3, 1), children, members)
        assert refused.value.rule == rule
    else:
        org.dissolve("merged", dt.date(2024, 3, 1), children, members)
        assert org.status == "dissolved"


def test_a_dissolved_organisation_refuses_changes(rules, committee):
    org = branch(rules, committee)
    with pytest.raises(InvalidInput):
        org.dissolve("  ", dt.date(2024, 3, 1), 0, None)
    org.dissolve("merged", dt.date(2024, 3, 1), 0, None)
    for change in (lambda: org.rename("New", dt.date(2024, 4, 1)),
                   lambda: org.dissolve("again", dt.date(2024, 4, 1), 0, None),
                   lambda: org.elect_committee(rules, dt.date(2024, 4, 1), seats(3), 10)):
        with pytest.raises(Conflict):
            change()


@pytest.mark.parametrize("kind, members, rule", [
    ("branch", 50, None), ("branch", 51, "orgs.size.branch_members"),
    ("branch", 100, "orgs.size.committee_suggested"), ("general_branch", 99, None),
    ("general_branch", 100, "orgs.size.committee_suggested"), ("committee", 5000, None),
    ("branch", None, None),
])
def test_size_thresholds_are_warnings(rules, kind, members, rule):
    warnings = size_warnings(rules, kind, members)
    assert [w["rule"] for w in warnings] == ([rule] if rule else [])


def test_a_branch_over_fifty_is_still_founded(rules, committee):
    org = branch(rules, committee, full=60, probationary=5)
    assert org.status == "active"


@pytest.mark.parametrize("day, months, expected", [
    (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
    (dt.date(2024, 12, 15), 1, dt.date(2025, 1, 15)),
    (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
])
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_alliance_membership():
    alliance = Alliance.form("a", name="Lake Alliance", member_org_ids=["o1", "o2"], formed_on=dt.date(2024, 1, 1))
    alliance.add_member("o3", dt.date(2024, 2, 1))
    with pytest.raises(Conflict):
        alliance.add_member("o3", dt.date(2024, 2, 2))
    alliance.remove_member("o1", dt.date(2024, 3, 1))
    with pytest.raises(Conflict):
        alliance.remove_member("o1", dt.date(2024, 3, 2))
    assert alliance.member_org_ids == ["o2", "o3"]
    with pytest.raises(InvalidInput):
        Alliance.form("b", name="Twice", member_org_ids=["o1", "o1"], formed_on=dt.date(2024, 1, 1))
