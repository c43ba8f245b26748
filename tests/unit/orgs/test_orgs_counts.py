"""Counts come from records (issue 14, item 1): a committee's size and a
founding's full members are counted from the member records; a declared
count that differs is refused naming both; a unit with no member records
yet keeps its declared count, marked ``declared`` where it is shown."""
import pytest

from services.orgs import commands, member_replica, queries
from shared.envelope import Envelope
from shared.errors import RuleViolation
from test_orgs_commands import COMMITTEE, TODAY, UNIT


@pytest.fixture
def branch(run):
    root = run(commands.create_org, today=TODAY, name="Lake District Committee", kind="committee")
    return run(commands.create_org, today=TODAY, name="Nano Branch", kind="branch", parent_id=root, unit=UNIT,
               full_members=12, probationary_members=0)


def on_record(db, org_id, count, stage="full", start=0):
    """``count`` members of ``org_id`` as the members service's events tell them."""
    ids = [f"{org_id}-m{start + i}" for i in range(count)]
    with db.begin() as conn:
        for member_id in ids:
            member_replica.apply_member_event(conn, Envelope(
                "members.member_registered", 1, "member", member_id, 1,
                {"org_id": org_id, "group_id": None, "stage": stage, "status": "active"}))
    return ids


def elect(run, org_id, **count):
    return run(commands.elect_committee, org_id, today=TODAY, elected_on=TODAY, seats=COMMITTEE, **count)


def test_a_committee_elected_on_a_count_that_differs_from_the_records_is_refused_naming_both(db, run, read, branch):
    on_record(db, branch, 7)
    with pytest.raises(RuleViolation) as refused:
        elect(run, branch, full_members=12)
    assert (refused.value.rule, refused.value.fields) == \
        ("orgs.count.differs_from_records", {"full_members": 12, "on_record": 7})
    elect(run, branch)  # no count given: the records' is used
    committee = read(queries.get_committee, branch, TODAY)
    assert (committee["full_members"], committee["counted_from"]) == (7, "records")


def test_the_records_count_decides_the_committees_size(db, run, branch):
    on_record(db, branch, 6)
    on_record(db, branch, 3, stage="probationary", start=10)
    with pytest.raises(RuleViolation) as refused:
        elect(run, branch, full_members=6)  # six full members elect a secretary, not a committee of three
    assert refused.value.rule == "orgs.committee.min_full_members"


def test_a_branch_with_no_member_records_keeps_its_declared_count_marked_declared(run, read, branch):
    elect(run, branch, full_members=9)
    committee = read(queries.get_committee, branch, TODAY)
    assert (committee["full_members"], committee["counted_from"]) == (9, "declared")


def request_founding(run, parent_id, founders, full=3):
    return run(commands.request_founding, parent_id, today=TODAY, proposed_name="Lab Branch", kind="branch",
               unit=UNIT, full_members=full, probationary_members=0, founding_members=founders,
               proposed_committee=[{"role": "secretary", "name": "Wang Fang"}], requested_on=TODAY)


def test_a_founding_is_counted_from_its_founders_records(db, run, read, branch):
    parent = read(queries.get_org, branch, TODAY)["parent_id"]
    full = on_record(db, branch, 2)
    probationary = on_record(db, branch, 1, stage="probationary", start=5)
    founders = [{"name": f"M{i}", "member_id": member_id} for i, member_id in enumerate(full + probationary)]
    with pytest.raises(RuleViolation) as refused:
        request_founding(run, parent, founders, full=3)
    assert (refused.value.rule, refused.value.fields) == \
        ("orgs.count.differs_from_records", {"full_members": 3, "on_record": 2})
    three = on_record(db, branch, 3, start=20)
    request_id = request_founding(run, parent, [{"name": f"F{i}", "member_id": m} for i, m in enumerate(three)])
    request = read(queries.get_founding_request, request_id, TODAY)
    assert (request["full_members"], request["counted_from"]) == (3, "records")


def test_founders_named_only_by_name_are_no_full_members_on_record(db, run, read, branch):
    parent = read(queries.get_org, branch, TODAY)["parent_id"]
    [known] = on_record(db, branch, 1)
    founders = [{"name": "Known", "member_id": known}, {"name": "New A"}, {"name": "New B"}]
    with pytest.raises(RuleViolation) as refused:
        request_founding(run, parent, founders)
    assert refused.value.fields == {"full_members": 3, "on_record": 1}
    by_name = [{"name": "New A"}, {"name": "New B"}, {"name": "New C"}]
    request = read(queries.get_founding_request, request_founding(run, parent, by_name), TODAY)
    assert (request["full_members"], request["counted_from"]) == (3, "declared")
