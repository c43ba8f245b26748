"""The orgs service in a real nameko container, over RabbitMQ and PostgreSQL,
driven by RPC as the gateway drives it."""
import datetime as dt
import uuid

import pytest

from shared.dates import add_months
from shared.errors import Conflict, InvalidInput, NotFound, RuleViolation

UNIT = {"name": "Nano Tech Co.", "unit_type": "enterprise", "address": "1 Lake Road"}
COMMITTEE = [{"role": "secretary", "name": "Wang Fang", "member_id": "m-1"},
             {"role": "deputy_secretary", "name": "Zhao Lei"},
             {"role": "organisation", "name": "Chen Jing"}]


def founding_data(full=8, probationary=2, committee=COMMITTEE, name="Nano Tech Branch"):
    return {"proposed_name": name, "kind": "branch", "unit": UNIT, "full_members": full,
            "probationary_members": probationary,
            "founding_members": [{"name": f"Member {i}"} for i in range(full + probationary)],
            "proposed_committee": committee}


def root_committee(orgs):
    return orgs.create_org({"name": f"Lake District Committee {uuid.uuid4().hex[:6]}", "kind": "committee"})


def test_founding_a_branch_end_to_end_publishes_branch_founded(orgs, event_tap, caller):
    today = dt.date.today()
    root = root_committee(orgs)
    requested = orgs.request_founding(root["id"], founding_data())
    assert (requested["state"], requested["decision_overdue"]) == ("requested", False)
    assert requested["decision_due_on"] > requested["requested_on"]
    request_id = requested["id"]

    page = orgs.list_founding_requests(root["id"], state="requested")
    assert [r["id"] for r in page["items"]] == [request_id] and page["total"] == 1
    assert orgs.approve_founding(request_id, {"note": "unit profile checked"})["state"] == "approved"
    elected = orgs.elect_founding_committee(request_id, {"meeting_date": today.isoformat(), "seats": COMMITTEE})
    assert elected["state"] == "committee_elected"
    confirmed = orgs.confirm_founding(request_id, {})
    branch_id = confirmed["branch_id"]
    assert confirmed["state"] == "confirmed" and branch_id

    received = event_tap.until("orgs.committee_elected")
    bodies = [body for body, _ in received]
    assert [b["event_type"] for b in bodies] == [
        "orgs.org_created", "orgs.founding_requested", "orgs.founding_approved",
        "orgs.founding_committee_elected", "orgs.founding_confirmed", "orgs.branch_founded",
        "orgs.committee_elected"]
    founded, message = next((b, m) for b, m in received if b["event_type"] == "orgs.branch_founded")
    assert (founded["aggregate_type"], founded["aggregate_id"], founded["aggregate_version"]) == \
        ("organisation", branch_id, 1)
    assert founded["payload"]["founding_request_id"] == request_id
    assert founded["payload"]["founded_directly"] is False
    assert founded["payload"]["founded_on"] == today.isoformat()
    assert founded["payload"]["parent_id"] == root["id"]
    assert message.delivery_info["routing_key"] == "orgs.branch_founded"
    assert message.properties["delivery_mode"] == 2 and message.properties["message_id"] == founded["event_id"]
    assert {(b["actor"], b["correlation_id"]) for b in bodies} == {(caller["actor"], caller["correlation_id"])}

    branch = orgs.get_org(branch_id)
    assert (branch["status"], branch["kind"], branch["parent_id"], branch["name"]) == \
        ("active", "branch", root["id"], "Nano Tech Branch")
    committee = orgs.get_committee(branch_id)
    assert committee["term_ends_on"] == add_months(today, 36).isoformat()
    assert [s["name"] for s in committee["seats"]] == ["Wang Fang", "Zhao Lei", "Chen Jing"]
    tree = orgs.get_tree(root["id"])
    assert [c["id"] for c in tree["children"]] == [branch_id]
    history = orgs.org_history(branch_id)
    assert [e["event_type"] for e in history["items"]] == ["orgs.branch_founded", "orgs.committee_elected"]


def test_domain_errors_reach_the_caller_intact(orgs):
    root = root_committee(orgs)
    with pytest.raises(RuleViolation) as refused:
        orgs.request_founding(root["id"], founding_data(full=2, probationary=1,
                                                        committee=COMMITTEE[:1]))
    assert refused.value.rule == "orgs.founding.min_full_members"
    with pytest.raises(RuleViolation) as refused:
        orgs.request_founding(root["id"], founding_data(full=6, probationary=0))
    assert refused.value.rule == "orgs.committee.min_full_members"

    request = orgs.request_founding(root["id"], founding_data())
    with pytest.raises(InvalidInput) as invalid:
        orgs.reject_founding(request["id"], {"reason": "   "})
    assert "reason" in invalid.value.fields
    orgs.reject_founding(request["id"], {"reason": "the unit is moving to another district"})
    with pytest.raises(Conflict):
        orgs.approve_founding(request["id"], {})

    with pytest.raises(NotFound) as missing:
        orgs.request_founding("no-such-org", founding_data())
    assert missing.value.fields == {"parent_id": "no-such-org"}
    with pytest.raises(NotFound, match="nope"):
        orgs.get_org("nope")
    with pytest.raises(InvalidInput) as invalid:
        orgs.create_org({"name": " ", "kind": "cell"})
    assert set(invalid.value.fields) == {"name", "kind"}
    with pytest.raises(InvalidInput):
        orgs.list_children(root["id"], limit=201)
    with pytest.raises(InvalidInput):
        orgs.get_org(123)


def test_concurrent_renames_of_one_version_let_exactly_one_win(orgs):
    root = root_committee(orgs)
    calls = [orgs.rename_org.call_async(root["id"], {"name": f"Name {i}", "expected_version": 1})
             for i in range(8)]
    won, lost = [], 0
    for i, call in enumerate(calls):
        try:
            won.append((i, call.result()))
        except Conflict:
            lost += 1
    assert len(won) == 1 and lost == 7
    [(winner, renamed)] = won
    assert renamed["version"] == 2 and orgs.get_org(root["id"])["name"] == f"Name {winner}"
    assert [e["event_type"] for e in orgs.org_history(root["id"])["items"]] == \
        ["orgs.org_created", "orgs.org_renamed"]


def test_concurrent_renames_never_lose_an_update(orgs):
    root = root_committee(orgs)
    calls = [orgs.rename_org.call_async(root["id"], {"name": f"Name {i}"}) for i in range(10)]
    succeeded = 0
    for call in calls:
        try:
            call.result()
            succeeded += 1
        except Conflict:
            pass
    history = orgs.org_history(root["id"])["items"]
    renames = [e for e in history if e["event_type"] == "orgs.org_renamed"]
    assert len(renames) == succeeded >= 1
    assert [e["aggregate_version"] for e in history] == list(range(1, succeeded + 2))
    assert orgs.get_org(root["id"])["name"] == renames[-1]["payload"]["name"]


def test_the_tree_committees_and_alliances_over_rpc(orgs):
    root = root_committee(orgs)
    general = orgs.create_org({"name": "Park General Branch", "kind": "general_branch", "parent_id": root["id"]})
    branch = orgs.create_org({"name": "Lab Branch", "kind": "branch", "parent_id": general["id"],
                              "unit": {"name": "Lab", "unit_type": "research_institute"},
                              "full_members": 60, "probationary_members": 4})
    assert [w["rule"] for w in branch["warnings"]] == ["orgs.size.branch_members"]
    with pytest.raises(RuleViolation):
        orgs.dissolve_org(general["id"], {"reason": "reorganised"})

    elected_on = dt.date.today().replace(day=1) - dt.timedelta(days=3 * 365)
    committee = orgs.elect_committee(branch["id"], {"elected_on": elected_on.isoformat(), "seats": COMMITTEE,
                                                    "full_members": 60})
    assert committee["term_years"] == 3
    due = orgs.due_elections(root["id"], within_days=90)
    assert [c["org_id"] for c in due] == [branch["id"]]
    assert orgs.list_children(general["id"], limit=1)["items"][0]["id"] == branch["id"]
    roots = orgs.list_orgs(kind="committee", limit=10)
    assert [org["id"] for org in roots["items"]] == [root["id"]] and roots["total"] == 1
    with pytest.raises(InvalidInput):
        orgs.list_orgs(kind="cell")

    alliance = orgs.create_alliance({"name": "Lake Alliance", "member_org_ids": [branch["id"]]})
    alliance = orgs.add_alliance_member(alliance["id"], {"org_id": general["id"]})
    assert alliance["member_org_ids"] == [branch["id"], general["id"]]
    alliance = orgs.remove_alliance_member(alliance["id"], {"org_id": branch["id"]})
    assert orgs.get_alliance(alliance["id"])["member_org_ids"] == [general["id"]]
    assert orgs.list_alliances(limit=10, offset=0)["total"] == 1
    assert orgs.get_org(branch["id"])["parent_id"] == general["id"]


def test_dissolving_a_parent_and_placing_a_child_under_it_never_both_succeed(orgs):
    root = root_committee(orgs)
    outcomes = set()
    for i in range(12):
        branch = orgs.create_org({"name": f"Branch {i}", "kind": "branch", "parent_id": root["id"],
                                  "unit": UNIT, "full_members": 5})
        dissolve = orgs.dissolve_org.call_async(branch["id"], {"reason": "merged"})
        place = orgs.create_org.call_async({"name": "Building 3 Group", "kind": "group",
                                            "parent_id": branch["id"]})
        results = []
        for call in (dissolve, place):
            try:
                call.result()
                results.append("ok")
            except (Conflict, RuleViolation):
                results.append("refused")
        outcomes.add(tuple(results))
        tree = orgs.get_tree(branch["id"], include_dissolved=True)
        assert not (tree["status"] == "dissolved" and any(c["status"] == "active" for c in tree["children"]))
    assert outcomes <= {("ok", "refused"), ("refused", "ok")}
