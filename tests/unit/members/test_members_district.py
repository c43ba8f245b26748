"""District-wide views (issue 14, item 5): an organisation's members and
pipeline deadlines hold its whole subtree, with totals that are the sums
over its branches; a party group's list holds the members naming it; the
number of queries does not grow with the tree's depth."""
import datetime as dt

import pytest
from sqlalchemy import event

from members_builders import TODAY
from services.members import queries
from shared.database import driver_rows
from shared.errors import NotFound
from unit.orgs_feed import org_event, to_members

D = dt.date
def listed(read, org_id, **params):
    return read(queries.list_members, org_id, stage=None, status=None, limit=params.pop("limit", 50),
                offset=0, **params)


def test_a_committee_lists_its_whole_subtree_and_its_total_is_the_sum_over_its_branches(read, district):
    root = listed(read, "committee-1")
    branches = [listed(read, org_id) for org_id in ("branch-1", "branch-2")]
    assert root["total"] == sum(page["total"] for page in branches) == 3 + 2 + 2
    assert {row["id"] for row in root["items"]} == {row["id"] for page in branches for row in page["items"]}
    assert {row["org_id"] for row in root["items"]} == {"branch-1", "branch-2"}
    assert listed(read, "general-1")["total"] == 3
    assert listed(read, "committee-2")["total"] == 4, "nothing of another committee's district"


def test_a_party_group_lists_the_members_naming_it(read, district):
    group = listed(read, "group-1")
    assert sorted(row["id"] for row in group["items"]) == sorted(district["branch-1"][:2])
    assert all(row["group_name"] == "Lab Group" for row in group["items"])


def test_scope_org_lists_the_organisation_alone(read, district):
    assert listed(read, "committee-1", scope="org")["total"] == 0
    assert listed(read, "branch-1", scope="org")["total"] == 3, "a branch's party groups are the branch's"


def test_a_district_list_pages_in_name_order(read, district):
    first = listed(read, "committee-1", limit=4)
    rest = read(queries.list_members, "committee-1", stage=None, status=None, limit=4, offset=4)
    names = [row["name"] for row in first["items"] + rest["items"]]
    assert names == sorted(names) and len(names) == 7 and rest["total"] == 7


def test_pipeline_deadlines_of_a_committee_are_those_of_its_branches(read, district):
    def due(org_id):
        answer = read(queries.pipeline_due, org_id, TODAY)
        return {(item["member_id"], item["kind"]) for item in answer["due"] + answer["overdue"]}
    assert due("committee-1") == due("branch-1") | due("branch-2")
    assert {member for member, _ in due("committee-1")} >= set(district["applicants"])
    assert due("committee-2") == due("branch-3")


def test_an_unknown_organisation_is_404(read, district):
    with pytest.raises(NotFound):
        listed(read, "no-such-org")


def test_the_queries_do_not_grow_with_the_depth(db, read, district, monkeypatch):
    """A chain of ten general branches under committee-1, a branch at the bottom:
    its committee's list costs the same statements as a shallow one."""
    deliver = to_members(db)
    parent = "committee-1"
    for depth in range(10):
        deliver(org_event("orgs.org_created", f"deep-{depth}", 1, kind="general_branch", parent_id=parent,
                          name=f"Level {depth}"))
        parent = f"deep-{depth}"
    deliver(org_event("orgs.branch_founded", "deep-branch", 1, parent_id=parent, name="Deep Branch"))

    def statements(org_id):
        listed(read, org_id)  # the kind is read once per process
        seen = []
        listener = lambda *args: seen.append(args[2])
        counted = lambda conn, statement, params: seen.append(statement) or driver_rows(conn, statement, params)
        event.listen(db.engine, "before_cursor_execute", listener)
        monkeypatch.setattr(queries, "driver_rows", counted)
        try:
            listed(read, org_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
            monkeypatch.undo()
        return len(seen)
    assert statements("committee-1") == statements("general-1") == statements("deep-0") == 1
