"""Organisations pinned on what the district reads back: every refusal's
code, rule, message and named fields; the events of creating, founding,
renaming, dissolving, electing and of alliances field by field; and the
advice a committee's size and an organisation's size give."""

import datetime as dt

import pytest

from services.orgs.domain import Alliance, Organisation, ParentView, committee_warnings, size_warnings
from shared.errors import DomainError

from test_orgs_domain import UNIT, VILLAGE, seats

DAY = dt.date(2024, 3, 1)


def saved(aggregate):
    aggregate.mark_saved(aggregate.version + len(aggregate.pending_events))
    return aggregate


def found(rules, parent, *, kind="branch", unit=UNIT, covered=(), full=10, request=None):
    """A branch founded on 2024-01-10 (its event still pending)."""
    return Organisation.found_branch(
        "b1",
        rules=rules,
        name="Nano Branch",
        kind=kind,
        parent=parent,
        unit=unit,
        covered_units=list(covered),
        full_members=full,
        probationary_members=2,
        founded_on=dt.date(2024, 1, 10),
        founding_request_id=request,
    )


def group(parent):
    return saved(
        Organisation.create(
            "g1", name="Lab Group", kind="group", parent=ParentView("b1", "branch", "active"), created_on=DAY
        )
    )


def elected(rules, parent):
    org = found(rules, parent)
    org.elect_committee(rules, DAY, seats(3), 10)
    return saved(org)


def dissolved(rules, parent):
    org = found(rules, parent)
    org.dissolve("merged", DAY, 0, 0)
    return saved(org)


def alliance():
    return saved(Alliance.form("a1", name="Universities", member_org_ids=["o1", "o2"], formed_on=DAY))


REFUSALS = {
    "unknown kind": (
        lambda r, c: Organisation.create("o", name="X", kind="cell", parent=c, created_on=DAY),
        {"code": "invalid_input", "message": "unknown organisation kind 'cell'", "fields": {"kind": "cell"}},
    ),
    "a branch created": (
        lambda r, c: Organisation.create("o", name="X", kind="branch", parent=c, created_on=DAY),
        {"code": "invalid_input", "message": "a branch is founded, not created", "fields": {"kind": "branch"}},
    ),
    "a group with no parent": (
        lambda r, c: Organisation.create("o", name="X", kind="group", parent=None, created_on=DAY),
        {
            "code": "rule_violation",
            "message": "a group must be placed under a parent",
            "fields": {"parent_id": "required"},
            "rule": "orgs.tree.parent_required",
        },
    ),
    "a dissolved parent": (
        lambda r, c: Organisation.create(
            "o", name="X", kind="general_branch", parent=ParentView("c9", "committee", "dissolved"), created_on=DAY
        ),
        {"code": "conflict", "message": "parent organisation c9 is dissolved", "fields": {"parent_id": "c9"}},
    ),
    "a group under a committee": (
        lambda r, c: Organisation.create("o", name="X", kind="group", parent=c, created_on=DAY),
        {
            "code": "rule_violation",
            "message": "a group can only be placed under a branch or joint_branch, not a committee",
            "fields": {"parent_id": "committee-1", "kind": "group"},
            "rule": "orgs.tree.parent_kind",
        },
    ),
    "a general branch under a branch": (
        lambda r, c: Organisation.create(
            "o", name="X", kind="general_branch", parent=ParentView("b", "branch", "active"), created_on=DAY
        ),
        {
            "code": "rule_violation",
            "message": "a general_branch can only be placed under a committee, not a branch",
            "fields": {"parent_id": "b", "kind": "general_branch"},
            "rule": "orgs.tree.parent_kind",
        },
    ),
    "a group founded": (
        lambda r, c: found(r, c, kind="group"),
        {
            "code": "invalid_input",
            "message": "only a branch or joint branch is founded, not a group",
            "fields": {"kind": "group"},
        },
    ),
    "a branch without its unit": (
        lambda r, c: found(r, c, unit=None),
        {"code": "invalid_input", "message": "a branch needs the profile of its unit", "fields": {"unit": "required"}},
    ),
    "two full members": (
        lambda r, c: found(r, c, full=2),
        {
            "code": "rule_violation",
            "message": "founding a branch needs at least 3 full members; 2 counted",
            "fields": {"full_members": 2},
            "rule": "orgs.founding.min_full_members",
        },
    ),
    "units for a plain branch": (
        lambda r, c: found(r, c, covered=[UNIT, UNIT]),
        {
            "code": "invalid_input",
            "message": "only a joint branch covers several units",
            "fields": {"covered_units": 2},
        },
    ),
    "six units": (
        lambda r, c: found(r, c, kind="joint_branch", covered=[UNIT] * 6),
        {
            "code": "rule_violation",
            "message": "a joint branch covers at most 5 units; 6 given",
            "fields": {"covered_units": 6},
            "rule": "orgs.joint_branch.max_units",
        },
    ),
    "one unit": (
        lambda r, c: found(r, c, kind="joint_branch", covered=[UNIT]),
        {
            "code": "rule_violation",
            "message": "a joint branch covers at least 2 units; 1 given",
            "fields": {"covered_units": 1},
            "rule": "orgs.joint_branch.min_units",
        },
    ),
    "a group's committee": (
        lambda r, c: group(c).elect_committee(r, DAY, seats(1), None),
        {
            "code": "rule_violation",
            "message": "a group has no elected committee",
            "fields": {"kind": "group"},
            "rule": "orgs.committee.kind",
        },
    ),
    "no secretary": (
        lambda r, c: found(r, c).elect_committee(r, DAY, [{"role": "deputy_secretary", "name": "A"}], 10),
        {
            "code": "rule_violation",
            "message": "a committee has exactly one secretary",
            "fields": {"seats": ["deputy_secretary"]},
            "rule": "orgs.committee.one_secretary",
        },
    ),
    "a portfolio twice": (
        lambda r, c: found(r, c).elect_committee(r, DAY, seats(3) + [{"role": "organisation", "name": "B"}], 10),
        {
            "code": "rule_violation",
            "message": "each portfolio is held by one seat",
            "fields": {"seats": ["secretary", "deputy_secretary", "organisation", "organisation"]},
            "rule": "orgs.committee.portfolio_once",
        },
    ),
    "one member in two seats": (
        lambda r, c: found(r, c).elect_committee(
            r,
            DAY,
            [
                {"role": "secretary", "name": "A", "member_id": "m1"},
                {"role": "deputy_secretary", "name": "A", "member_id": "m1"},
            ],
            10,
        ),
        {"code": "invalid_input", "message": "one member holds one seat", "fields": {"seats": "duplicate member_id"}},
    ),
    "two deputies": (
        lambda r, c: found(r, c).elect_committee(
            r, DAY, seats(1) + [{"role": "deputy_secretary", "name": f"D{i}"} for i in range(2)], 10
        ),
        {
            "code": "rule_violation",
            "message": "a branch has at most one deputy secretary",
            "fields": {"seats": ["secretary", "deputy_secretary", "deputy_secretary"]},
            "rule": "orgs.committee.one_deputy",
        },
    ),
    "no member count": (
        lambda r, c: found(r, c).elect_committee(r, DAY, seats(1), None),
        {
            "code": "invalid_input",
            "message": "the number of full members is needed to elect a branch committee",
            "fields": {"full_members": "required"},
        },
    ),
    "a committee with six full members": (
        lambda r, c: found(r, c).elect_committee(r, DAY, seats(3), 6),
        {
            "code": "rule_violation",
            "message": "a branch with fewer than 7 full members (6) elects a secretary and optionally a deputy, not a committee",
            "fields": {"full_members": 6, "seats": ["secretary", "deputy_secretary", "organisation"]},
            "rule": "orgs.committee.min_full_members",
        },
    ),
    "two seats": (
        lambda r, c: found(r, c).elect_committee(
            r, DAY, [{"role": "secretary", "name": "A"}, {"role": "organisation", "name": "B"}], 7
        ),
        {
            "code": "rule_violation",
            "message": "a branch committee has 3 to 7 seats (usually at most 5); 2 given",
            "fields": {"seats": 2, "full_members": 7},
            "rule": "orgs.committee.seat_count",
        },
    ),
    "eight seats": (
        lambda r, c: found(r, c).elect_committee(r, DAY, seats(8), 20),
        {
            "code": "rule_violation",
            "message": "a branch committee has 3 to 7 seats (usually at most 5); 8 given",
            "fields": {"seats": 8, "full_members": 20},
            "rule": "orgs.committee.seat_count",
        },
    ),
    "an election not after the last": (
        lambda r, c: elected(r, c).elect_committee(r, DAY, seats(3), 10),
        {
            "code": "invalid_input",
            "message": "the current committee was elected on 2024-03-01; a new election must be later",
            "fields": {"elected_on": "2024-03-01"},
        },
    ),
    "renaming a dissolved one": (
        lambda r, c: dissolved(r, c).rename("Y", DAY),
        {"code": "conflict", "message": "organisation b1 is dissolved", "fields": {"id": "b1"}},
    ),
    "dissolving without reason": (
        lambda r, c: found(r, c).dissolve(" ", DAY, 0, 0),
        {
            "code": "invalid_input",
            "message": "a reason is required to dissolve an organisation",
            "fields": {"reason": "required"},
        },
    ),
    "dissolving with children": (
        lambda r, c: found(r, c).dissolve("merged", DAY, 2, 0),
        {
            "code": "rule_violation",
            "message": "Nano Branch still has 2 active organisations under it",
            "fields": {"active_children": 2},
            "rule": "orgs.dissolve.children_first",
        },
    ),
    "dissolving with members": (
        lambda r, c: found(r, c).dissolve("merged", DAY, 0, 4),
        {
            "code": "rule_violation",
            "message": "Nano Branch still has 4 members; move them first",
            "fields": {"members": 4},
            "rule": "orgs.dissolve.members_first",
        },
    ),
    "an alliance listing one twice": (
        lambda r, c: Alliance.form("a", name="Universities", member_org_ids=["o1", "o1"], formed_on=DAY),
        {
            "code": "invalid_input",
            "message": "an organisation is listed twice",
            "fields": {"member_org_ids": "duplicates"},
        },
    ),
    "joining twice": (
        lambda r, c: alliance().add_member("o1", DAY),
        {
            "code": "conflict",
            "message": "organisation o1 is already in alliance Universities",
            "fields": {"org_id": "o1"},
        },
    ),
    "leaving when not in": (
        lambda r, c: alliance().remove_member("o9", DAY),
        {"code": "conflict", "message": "organisation o9 is not in alliance Universities", "fields": {"org_id": "o9"}},
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refusal_says_which_rule_why_and_names_its_fields(rules, committee, case):
    act, expected = REFUSALS[case]
    with pytest.raises(DomainError) as refused:
        act(rules, committee)
    assert refused.value.to_dict() == expected


def test_creating_records_the_name_kind_parent_unit_and_day(committee):
    org = Organisation.create(
        "o1",
        name="Science Park General Branch",
        kind="general_branch",
        parent=committee,
        unit={"name": "Park Office", "unit_type": "government", "address": "Xinghu St 1"},
        created_on=DAY,
    )
    assert org.pending_events[-1].payload == {
        "name": "Science Park General Branch",
        "kind": "general_branch",
        "parent_id": "committee-1",
        "unit": {"name": "Park Office", "unit_type": "government", "address": "Xinghu St 1"},
        "created_on": DAY,
    }
    assert (
        Organisation.create("root", name="District", kind="committee", parent=None, created_on=DAY)
        .pending_events[-1]
        .payload["parent_id"]
        is None
    )


def test_founding_records_the_branch_its_units_counts_and_request(rules, committee):
    org = found(rules, committee, kind="joint_branch", covered=[UNIT, VILLAGE], request="r-1")
    assert org.pending_events[-1].payload == {
        "name": "Nano Branch",
        "kind": "joint_branch",
        "parent_id": "committee-1",
        "unit": {**UNIT, "address": None},
        "covered_units": [{**UNIT, "address": None}, {**VILLAGE, "address": None}],
        "full_members": 10,
        "probationary_members": 2,
        "founded_on": dt.date(2024, 1, 10),
        "founded_directly": False,
        "founding_request_id": "r-1",
        "founding_member_ids": [],
        "rules_version": rules.version,
    }
    assert found(rules, committee).pending_events[-1].payload["founded_directly"] is True
    assert (org.name, org.kind, org.parent_id, org.status) == ("Nano Branch", "joint_branch", "committee-1", "active")


def test_renaming_records_the_old_and_new_name(rules, committee):
    org = found(rules, committee)
    org.rename("Nano Tech Branch", DAY)
    assert org.pending_events[-1].payload == {
        "name": "Nano Tech Branch",
        "previous_name": "Nano Branch",
        "renamed_on": DAY,
    }
    org.rename("Nano Tech Branch", DAY)
    assert len(org.pending_events) == 2


def test_dissolving_records_the_reason_trimmed_and_the_day(rules, committee):
    org = found(rules, committee)
    org.dissolve("  merged into the park branch ", DAY, 0, None)
    assert org.pending_events[-1].payload == {"reason": "merged into the park branch", "dissolved_on": DAY}


def test_an_election_records_the_seats_count_and_term(rules, committee):
    org = found(rules, committee)
    org.elect_committee(
        rules,
        DAY,
        [
            {"role": "secretary", "name": "Wang Fang", "member_id": "m1"},
            {"role": "deputy_secretary", "name": "Zhao Lei"},
            {"role": "organisation", "name": "Chen Jing"},
        ],
        10,
        "records",
    )
    assert org.pending_events[-1].payload == {
        "elected_on": DAY,
        "full_members": 10,
        "counted_from": "records",
        "term_years": 3,
        "term_ends_on": dt.date(2027, 3, 1),
        "rules_version": rules.version,
        "seats": [
            {"role": "secretary", "name": "Wang Fang", "member_id": "m1"},
            {"role": "deputy_secretary", "name": "Zhao Lei", "member_id": None},
            {"role": "organisation", "name": "Chen Jing", "member_id": None},
        ],
    }


def test_an_alliance_records_its_members_as_they_join_and_leave():
    alliance = Alliance.form("a1", name="Universities", member_org_ids=["o1", "o2"], formed_on=DAY)
    assert alliance.pending_events[-1].payload == {
        "name": "Universities",
        "member_org_ids": ["o1", "o2"],
        "formed_on": DAY,
    }
    alliance.add_member("o3", DAY)
    assert alliance.pending_events[-1].payload == {"org_id": "o3", "joined_on": DAY}
    alliance.remove_member("o1", DAY)
    assert alliance.pending_events[-1].payload == {"org_id": "o1", "left_on": DAY}
    assert alliance.member_org_ids == ["o2", "o3"]


def test_the_advice_on_sizes_names_the_number_and_the_threshold(rules):
    assert committee_warnings(rules, "branch", seats(6)) == [
        {"rule": "orgs.committee.usual_seats", "message": "6 seats: a branch committee usually has at most 5"}
    ]
    assert committee_warnings(rules, "committee", seats(6)) == []
    assert size_warnings(rules, "branch", 51) == [
        {
            "rule": "orgs.size.branch_members",
            "message": "51 members: a branch normally has at most 50; consider a general branch",
        }
    ]
    assert size_warnings(rules, "general_branch", 100) == [
        {"rule": "orgs.size.committee_suggested", "message": "100 members: 100 or more suggests a committee"}
    ]
    assert size_warnings(rules, "general_branch", 99) == []
    assert size_warnings(rules, "committee", 500) == [] and size_warnings(rules, "branch", None) == []


def test_an_alliance_is_formed_under_its_own_id():
    assert Alliance.form("a-7", name="Universities", member_org_ids=["o1"], formed_on=DAY).id == "a-7"


def test_dissolving_without_any_reason_is_refused(rules, committee):
    with pytest.raises(DomainError) as refused:
        found(rules, committee).dissolve(None, DAY, 0, 0)
    assert refused.value.fields == {"reason": "required"}
