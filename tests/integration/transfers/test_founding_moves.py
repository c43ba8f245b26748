"""Founding moves its members (issue 14, item 2), on real RabbitMQ and
PostgreSQL: a branch founded from three existing full members' records,
once confirmed, has them, through completed transfers; a watcher polling
every 5 ms sees each in exactly one branch throughout, in the members read
model and in orgs' roster, flipping once."""
import datetime as dt
import time

import pytest

from platform_factory import wait_for
from test_transfers_failures import BranchWatch, _in_roster
from transfers_it_helpers import found_committees, full_member

pytestmark = pytest.mark.integration
TODAY = dt.date.today()


def test_confirming_a_founding_moves_its_founders_one_branch_at_every_moment(orgs, members, members_db, orgs_db):
    tree = found_committees(orgs, members, committees=1, branches=1)
    [(committee_id, [old_branch])] = tree.items()
    founders = [members.register_member(full_member(60 + i, old_branch["id"], name=f"创始{i}"))["id"]
                for i in range(3)]
    stays = members.register_member(full_member(70, old_branch["id"], name="留下"))["id"]
    for member_id in founders + [stays]:
        wait_for(lambda member_id=member_id: _in_roster(orgs_db, member_id), what="orgs' roster to know them")
    watches = [BranchWatch(members_db, orgs_db, member_id) for member_id in founders]

    request = orgs.request_founding(committee_id, {
        "proposed_name": "量子实验室党支部", "unit": {"name": "量子实验室", "unit_type": "research_institute"},
        "full_members": 3, "founding_members": [{"name": f"创始{i}", "member_id": m} for i, m in enumerate(founders)],
        "proposed_committee": [{"role": "secretary", "name": "创始0", "member_id": founders[0]}]})
    assert request["counted_from"] == "records"
    orgs.approve_founding(request["id"], {})
    orgs.elect_founding_committee(request["id"], {"meeting_date": TODAY.isoformat(),
                                                  "seats": [{"role": "secretary", "name": "创始0"}]})
    time.sleep(0.3)  # the watch sees the old branch for a while first
    branch_id = orgs.confirm_founding(request["id"], {})["branch_id"]

    for member_id in founders:
        wait_for(lambda member_id=member_id: members.get_member(member_id)["org_id"] == branch_id, timeout=30,
                 what="the founder to be moved")
        wait_for(lambda member_id=member_id: _in_roster(orgs_db, member_id) == (branch_id,), timeout=30,
                 what="orgs' roster to follow")
    time.sleep(0.3)
    for watch in watches:
        watch.stop()
        watch.assert_one_branch_flipping_once(old_branch["id"], branch_id)
    assert members.get_member(stays)["org_id"] == old_branch["id"]
    listed = members.list_members(branch_id)
    assert sorted(row["id"] for row in listed["items"]) == sorted(founders) and listed["total"] == 3
    moves = members.list_org_transfers(branch_id, side="receiving")
    assert moves["total"] == 3 and {t["grounds"] for t in moves["items"]} == {"branch_founding"}
    assert orgs.get_org(branch_id)["full_members"] == 3
