"""Command handlers and queries against a SQLite event store and read models."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from services.orgs import commands, queries
from services.orgs.domain import Organisation
from shared.errors import Conflict, InvalidInput, NotFound, RuleViolation
from shared.tables import events, outbox

TODAY = dt.date(2024, 3, 1)
UNIT = {"name": "Nano Tech Co.", "unit_type": "enterprise"}
COMMITTEE = [{"role": "secretary", "name": "Wang Fang"}, {"role": "deputy_secretary", "name": "Zhao Lei"},
             {"role": "organisation", "name": "Chen Jing"}]


@pytest.fixture
def root(run):
    return run(commands.create_org, today=TODAY, name="Lake District Committee", kind="committee")


def found_branch(run, parent_id, name="Nano Branch", full=12, probationary=0, unit=UNIT):
    return run(commands.create_org, today=TODAY, name=name, kind="branch", parent_id=parent_id, unit=unit,
               full_members=full, probationary_members=probationary)


def count(db, table):
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def request_branch(run, parent_id, *, full=8, probationary=2, requested_on=dt.date(2024, 1, 15),
                   name="Nano Branch"):
    return run(commands.request_founding, parent_id, today=TODAY, proposed_name=name, kind="branch",
               unit=UNIT, full_members=full, probationary_members=probationary,
               founding_members=[{"name": f"M{i}"} for i in range(full + probationary)],
               proposed_committee=COMMITTEE, requested_on=requested_on)


def test_the_tree_nests_organisations(run, read, root):
    general = run(commands.create_org, today=TODAY, name="Park General Branch", kind="general_branch",
                  parent_id=root)
    branch = found_branch(run, general)
    run(commands.create_org, today=TODAY, name="Building 3 Group", kind="group", parent_id=branch)

    tree = read(queries.get_tree, root, TODAY)
    [general_node] = tree["children"]
    [branch_node] = general_node["children"]
    assert [g["name"] for g in branch_node["children"]] == ["Building 3 Group"]
    assert (tree["depth"], general_node["depth"], branch_node["depth"]) == (0, 1, 2)
    assert branch_node["founded_directly"] is True and branch_node["full_members"] == 12

    other_root = run(commands.create_org, today=TODAY, name="Another Committee", kind="committee")
    committees = read(queries.list_orgs, "committee", "active", 50, 0, TODAY)
    assert [org["id"] for org in committees["items"]] == [other_root, root]
    everything = read(queries.list_orgs, None, None, 2, 2, TODAY)
    assert (everything["total"], [org["name"] for org in everything["items"]]) == \
        (5, ["Park General Branch", "Nano Branch"])


def test_an_unknown_parent_is_not_found(run):
    with pytest.raises(NotFound) as missing:
        found_branch(run, "no-such-org")
    assert missing.value.fields == {"parent_id": "no-such-org"}


def test_active_siblings_have_distinct_names(run, root):
    first = found_branch(run, root, name="Nano Branch")
    with pytest.raises(Conflict):
        found_branch(run, root, name="Nano Branch")
    run(commands.dissolve_org, first, today=TODAY, reason="merged into the park branch")
    assert found_branch(run, root, name="Nano Branch") != first


def test_dissolving_waits_for_active_children(run, read, root):
    branch = found_branch(run, root)
    with pytest.raises(RuleViolation) as refused:
        run(commands.dissolve_org, root, today=TODAY, reason="reorganised")
    assert refused.value.fields == {"active_children": 1}
    run(commands.dissolve_org, branch, today=TODAY, reason="unit closed")
    run(commands.dissolve_org, root, today=TODAY, reason="reorganised")

    assert read(queries.get_org, root, TODAY)["status"] == "dissolved"
    assert read(queries.get_tree, root, TODAY)["children"] == []
    assert [c["status"] for c in read(queries.get_tree, root, TODAY, include_dissolved=True)["children"]] == \
        ["dissolved"]


def test_a_stale_expected_version_is_a_conflict(run, read, root):
    run(commands.rename_org, root, today=TODAY, name="Lake Committee", expected_version=1)
    with pytest.raises(Conflict):
        run(commands.rename_org, root, today=TODAY, name="Other Name", expected_version=1)
    org = read(queries.get_org, root, TODAY)
    assert (org["name"], org["version"]) == ("Lake Committee", 2)


def test_concurrent_units_of_work_cannot_lose_an_update(uow, run, read, root, db):
    with uow() as first:
        stale = first.load(Organisation, root)
    run(commands.rename_org, root, today=TODAY, name="Renamed First")

    stale.rename("Renamed Second", TODAY)
    before = count(db, events), count(db, outbox)
    with pytest.raises(Conflict):
        with uow() as second:
            second.save(stale)
    assert read(queries.get_org, root, TODAY)["name"] == "Renamed First"
    assert (count(db, events), count(db, outbox)) == before


def test_the_founding_workflow_founds_the_branch(run, read, root, db):
    request_id = request_branch(run, root)
    run(commands.approve_founding, request_id, today=TODAY, decided_on=dt.date(2024, 2, 1))
    run(commands.elect_founding_committee, request_id, today=dt.date(2024, 2, 20), meeting_date=dt.date(2024, 2, 20),
        seats=COMMITTEE)
    published_before = count(db, outbox)
    branch_id = run(commands.confirm_founding, request_id, today=TODAY)

    request = read(queries.get_founding_request, request_id, TODAY)
    assert (request["state"], request["branch_id"], request["confirmed_on"]) == ("confirmed", branch_id, TODAY)
    branch = read(queries.get_org, branch_id, TODAY)
    assert (branch["kind"], branch["status"], branch["parent_id"]) == ("branch", "active", root)
    assert branch["founding_request_id"] == request_id and branch["founded_directly"] is False
    committee = read(queries.get_committee, branch_id, TODAY)
    assert committee["term_ends_on"] == dt.date(2027, 2, 20)
    assert [s["role"] for s in committee["seats"]] == ["secretary", "deputy_secretary", "organisation"]

    with db.connect() as conn:
        keys = conn.execute(select(outbox.c.routing_key, outbox.c.exchange).order_by(outbox.c.id)
                            .offset(published_before)).all()
    assert keys == [("orgs.founding_confirmed", "orgs.events"), ("orgs.branch_founded", "orgs.events"),
                    ("orgs.committee_elected", "orgs.events")]


def test_a_refused_confirmation_writes_nothing(run, read, root, db):
    request_id = request_branch(run, root)
    run(commands.approve_founding, request_id, today=TODAY)
    run(commands.elect_founding_committee, request_id, today=TODAY, meeting_date=TODAY, seats=COMMITTEE)
    found_branch(run, root, name="Nano Branch")  # founded directly meanwhile
    before = count(db, events), count(db, outbox)
    with pytest.raises(Conflict, match="already exists"):
        run(commands.confirm_founding, request_id, today=TODAY)
    assert (count(db, events), count(db, outbox)) == before
    assert read(queries.get_founding_request, request_id, TODAY)["state"] == "committee_elected"


def test_a_rejected_request_founds_nothing(run, read, root):
    request_id = request_branch(run, root)
    run(commands.reject_founding, request_id, today=TODAY, reason="the unit has closed")
    request = read(queries.get_founding_request, request_id, TODAY)
    assert (request["state"], request["rejection_reason"]) == ("rejected", "the unit has closed")
    assert read(queries.list_children, root, 50, 0, TODAY)["total"] == 0
    with pytest.raises(Conflict):
        run(commands.approve_founding, request_id, today=TODAY)


def test_founding_requests_are_listed_by_parent_and_state(run, read, root):
    ids = [request_branch(run, root, name=f"Branch {i}", requested_on=dt.date(2024, 1, 1 + i))
           for i in range(5)]
    for request_id in ids[:2]:
        run(commands.approve_founding, request_id, today=TODAY)

    first = read(queries.list_founding_requests, root, None, 2, 0, TODAY)
    assert (first["total"], [r["id"] for r in first["items"]]) == (5, [ids[4], ids[3]])
    approved = read(queries.list_founding_requests, root, "approved", 50, 0, TODAY)
    assert sorted(r["id"] for r in approved["items"]) == sorted(ids[:2])
    waiting = read(queries.list_founding_requests, root, "requested", 50, 0, dt.date(2024, 2, 4))
    assert {r["proposed_name"]: r["decision_overdue"] for r in waiting["items"]} == \
        {"Branch 2": True, "Branch 3": False, "Branch 4": False}


def test_a_committee_sees_the_founding_requests_of_its_whole_subtree(run, read, root):
    general = run(commands.create_org, today=TODAY, name="General Branch", kind="general_branch", parent_id=root)
    other = run(commands.create_org, today=TODAY, name="Hill Committee", kind="committee")
    to_root = request_branch(run, root, name="Branch R")
    to_general = request_branch(run, general, name="Branch G")
    request_branch(run, other, name="Branch O")

    def ids(org_id, **scope):
        return sorted(r["id"] for r in read(queries.list_founding_requests, org_id, None, 50, 0, TODAY,
                                            **scope)["items"])
    assert ids(root) == sorted([to_root, to_general]) and ids(general) == [to_general]
    assert ids(root, scope="org") == [to_root], "addressed to the committee itself"
    assert len(ids(root)) == len(ids(root, scope="org")) + len(ids(general))


def test_a_founding_request_for_an_unknown_parent_is_not_found(run):
    with pytest.raises(NotFound) as missing:
        request_branch(run, "nope")
    assert missing.value.fields == {"parent_id": "nope"}


def test_a_branch_committee_needs_a_count_until_member_records_exist(run, read, root):
    branch = found_branch(run, root)
    with pytest.raises(InvalidInput):
        run(commands.elect_committee, branch, today=TODAY, elected_on=TODAY, seats=COMMITTEE)
    run(commands.elect_committee, branch, today=TODAY, elected_on=TODAY, seats=COMMITTEE, full_members=7)
    run(commands.elect_committee, branch, today=dt.date(2024, 6, 1), elected_on=dt.date(2024, 6, 1), seats=COMMITTEE[:1],
        full_members=6)
    committee = read(queries.get_committee, branch, TODAY)
    assert [s["name"] for s in committee["seats"]] == ["Wang Fang"]
    assert committee["elected_on"] == dt.date(2024, 6, 1) and committee["full_members"] == 6


def test_due_elections_lists_the_subtree_soonest_first(run, read, root):
    def elected(name, on, unit=UNIT, parent=root):
        org = found_branch(run, parent, name=name, unit=unit)
        run(commands.elect_committee, org, today=on, elected_on=on, seats=COMMITTEE[:1], full_members=5)
        return org

    ended = elected("Ended", dt.date(2020, 6, 1))                # term ended 2023-06-01
    soon = elected("Soon", dt.date(2021, 5, 1))                  # ends 2024-05-01, 61 days left
    elected("Village", dt.date(2020, 1, 1), unit={"name": "V", "unit_type": "village"})  # ends 2025
    gone = elected("Gone", dt.date(2020, 1, 1))
    run(commands.dissolve_org, gone, today=TODAY, reason="unit closed")
    other_root = run(commands.create_org, today=TODAY, name="Other Committee", kind="committee")
    elected("Elsewhere", dt.date(2020, 1, 1), parent=other_root)

    due = read(queries.due_elections, root, 90, TODAY)
    assert [(c["org_id"], c["days_left"], c["election_due"]) for c in due] == \
        [(ended, -274, True), (soon, 61, False)]
    assert [c["org_id"] for c in read(queries.due_elections, root, 60, TODAY)] == [ended]
    assert [c["org_name"] for c in read(queries.due_elections, root, 400, TODAY)] == ["Ended", "Soon", "Village"]


def test_history_pages_through_the_organisation_stream(run, read, root, store):
    for name in ("A", "B", "C"):
        run(commands.rename_org, root, today=TODAY, name=name)
    history = read(queries.org_history, store, root, 2, 2)
    assert history["total"] == 4
    assert [(e["aggregate_version"], e["payload"]["name"]) for e in history["items"]] == [(3, "B"), (4, "C")]
    assert history["items"][0]["payload"]["renamed_on"] == "2024-03-01"


def test_ids_of_other_aggregates_are_not_organisations(run, read, root, store):
    request_id = request_branch(run, root)
    with pytest.raises(NotFound):
        run(commands.rename_org, request_id, today=TODAY, name="X")
    with pytest.raises(NotFound):
        read(queries.org_history, store, request_id, 50, 0)
    with pytest.raises(NotFound):
        run(commands.approve_founding, root, today=TODAY)


def test_size_thresholds_show_as_warnings(run, read, root):
    big = found_branch(run, root, name="Big", full=45, probationary=6)
    normal = found_branch(run, root, name="Normal", full=45, probationary=5)
    assert [w["rule"] for w in read(queries.get_org, big, TODAY)["warnings"]] == ["orgs.size.branch_members"]
    assert read(queries.get_org, normal, TODAY)["warnings"] == []


def test_alliances_group_active_organisations(run, read, root):
    a, b, c = (found_branch(run, root, name=name) for name in ("A", "B", "C"))
    with pytest.raises(NotFound) as missing:
        run(commands.create_alliance, today=TODAY, name="Lake Alliance", member_org_ids=[a, "nope"])
    assert missing.value.fields == {"org_id": "nope"}
    alliance = run(commands.create_alliance, today=TODAY, name="Lake Alliance", member_org_ids=[b, a])
    assert read(queries.get_alliance, alliance)["member_org_ids"] == [b, a]  # in the order they joined
    run(commands.dissolve_org, c, today=TODAY, reason="closed")
    with pytest.raises(Conflict):
        run(commands.add_alliance_member, alliance, today=TODAY, org_id=c)
    run(commands.remove_alliance_member, alliance, today=TODAY, org_id=a)

    view = read(queries.get_alliance, alliance)
    assert view["member_org_ids"] == [b] and view["version"] == 2
    assert read(queries.get_org, b, TODAY)["parent_id"] == root  # no reporting line changed
    assert read(queries.list_alliances, 10, 0)["total"] == 1


@pytest.mark.parametrize("command, field, extra", [
    (commands.create_org, "created_on", {"name": "Lake Committee", "kind": "committee"}),
])
def test_an_act_dated_after_today_is_refused_and_nothing_is_written(run, read, command, field, extra):
    with pytest.raises(InvalidInput) as refused:
        run(command, today=TODAY, **extra, **{field: TODAY + dt.timedelta(days=1)})
    assert refused.value.fields == {field: (TODAY + dt.timedelta(days=1)).isoformat()}
    assert read(lambda conn: conn.execute(select(func.count()).select_from(events)).scalar_one()) == 0


def test_a_committee_elected_in_the_future_is_refused(run):
    org = run(commands.create_org, today=TODAY, name="Lake Committee", kind="committee")
    with pytest.raises(InvalidInput, match="elected_on 2024-03-02 is in the future"):
        run(commands.elect_committee, org, today=TODAY, elected_on=TODAY + dt.timedelta(days=1),
            seats=COMMITTEE[:1], full_members=5)
