"""The transfer saga over RPC with the members and orgs services in real
nameko containers on RabbitMQ and PostgreSQL: a transfer between branches of
different committees completes by itself after the report-in (the members
service consumes its own ``transfers.reported_in``); orgs' roster follows
the member; a receiving branch dissolved midway cancels the transfer and
leaves the member where they were."""
import time

import pytest
from sqlalchemy import select

from services.orgs.member_replica import member_roster
from shared.errors import Conflict, InvalidInput, RuleViolation
from transfers_it_helpers import (event_counts, found_committees, full_member, request_body, transfer_state,
                                  wait_for)

pytestmark = pytest.mark.integration


def roster_org(orgs_db, member_id):
    with orgs_db.connect() as conn:
        return conn.execute(select(member_roster.c.org_id).where(member_roster.c.member_id == member_id)).all()


def test_a_transfer_between_committees_completes_after_the_report_in(orgs, members, members_db, orgs_db):
    tree = found_committees(orgs, members, committees=2, branches=1, groups=True)
    (sending,), (receiving,) = tree.values()
    member = members.register_member(full_member(1, sending["id"]))
    member_id = member["id"]
    transfer = members.request_transfer(request_body(member_id, receiving["id"], to_group_id=receiving["group_id"],
                                                     reason="调入新单位"))
    transfer_id = transfer["id"]
    assert (transfer["state"], transfer["from_org_id"], transfer["version"]) == ("requested", sending["id"], 1)
    with pytest.raises(Conflict):
        members.request_transfer(request_body(member_id, receiving["id"]))
    with pytest.raises(InvalidInput) as invalid:
        members.transfer_step(transfer_id, "reject", {})
    assert "reason" in invalid.value.fields

    members.transfer_step(transfer_id, "approve", {"decided_by": "支部委员会"})
    started = time.monotonic()
    letter = members.transfer_step(transfer_id, "issue-letter", {"reference": "苏组转字12号"})["letter"]
    assert time.monotonic() - started < 5, "no dues service: the letter does not wait for it"
    assert letter["dues"] == {"paid_up_to": None, "outstanding": None, "settled": None, "source": "unknown"}
    assert letter["valid_until"] > letter["issued_on"]
    members.transfer_step(transfer_id, "accept", {})
    assert members.get_member(member_id)["org_id"] == sending["id"]
    reported = members.transfer_step(transfer_id, "report-in", {})
    assert reported["state"] in ("reported_in", "completed")

    wait_for(lambda: transfer_state(members_db, transfer_id) == "completed", what="the saga to complete")
    moved = members.get_member(member_id)
    assert (moved["org_id"], moved["group_id"]) == (receiving["id"], receiving["group_id"])
    got = members.get_transfer(transfer_id)
    assert [e["event_type"] for e in got["timeline"]] == [
        "transfers.requested", "transfers.approved", "transfers.letter_issued", "transfers.accepted",
        "transfers.reported_in", "transfers.completed"]
    assert got["timeline"][0]["actor"] == "district-admin"
    assert event_counts(members_db, member_id) == {"members.member_registered": 1, "members.transfer_opened": 1,
                                                   "members.transfer_completed": 1}
    wait_for(lambda: roster_org(orgs_db, member_id) == [(receiving["id"],)], what="orgs' roster to follow")
    assert members.list_members(receiving["id"])["total"] == 1
    assert members.list_members(sending["id"])["total"] == 0
    for org_id, side in ((sending["id"], "sending"), (receiving["id"], "receiving")):
        page = members.list_org_transfers(org_id, state="completed", side=side)
        assert [t["id"] for t in page["items"]] == [transfer_id]
    assert members.list_member_transfers(member_id)["total"] == 1


def test_a_receiving_branch_dissolved_midway_cancels_the_transfer(orgs, members, members_db):
    tree = found_committees(orgs, members, committees=2, branches=1)
    (sending,), (receiving,) = tree.values()
    member_id = members.register_member(full_member(2, sending["id"]))["id"]
    transfer_id = members.request_transfer(request_body(member_id, receiving["id"]))["id"]
    members.transfer_step(transfer_id, "approve", {})
    orgs.dissolve_org(receiving["id"], {"reason": "单位注销"})
    wait_for(lambda: transfer_state(members_db, transfer_id) == "cancelled", what="the compensation")
    got = members.get_transfer(transfer_id)
    assert got["close_reason"] == f"the receiving branch {receiving['id']} is no longer active"
    assert members.get_member(member_id)["org_id"] == sending["id"]
    with pytest.raises(Conflict):
        members.transfer_step(transfer_id, "issue-letter", {})
    with pytest.raises(RuleViolation) as refused:
        members.request_transfer(request_body(member_id, receiving["id"]))
    assert refused.value.rule == "members.transfer.receiving_branch"
    assert event_counts(members_db, member_id)["members.transfer_closed"] == 1
