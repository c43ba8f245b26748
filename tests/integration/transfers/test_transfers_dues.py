"""With the dues service running: the letter records what dues says (the
month paid up to, the arrears), asked by RPC; on completion the dues account
follows ``members.transfer_completed`` to the receiving branch."""
import pytest

from services.dues.service import DuesService
from shared.errors import NotFound
from transfers_it_helpers import found_committees, full_member, request_body, rpc_proxy, transfer_state, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def dues(containers, transfers_config, pg_database_factory, container_factory):
    config = {**transfers_config, "DB_URIS": {**transfers_config["DB_URIS"],
                                              "dues": pg_database_factory("ejia_test_tdues")}}
    container_factory(DuesService, config).start()
    with rpc_proxy("dues", config) as proxy:
        yield proxy


def test_the_letter_records_the_dues_and_the_account_moves_on_completion(orgs, members, dues, members_db):
    tree = found_committees(orgs, members, committees=2, branches=1)
    (sending,), (receiving,) = tree.values()
    member_id = members.register_member(full_member(21, sending["id"]))["id"]
    account = wait_for(lambda: _account(dues, member_id), what="dues to open the member's account")
    assert account["org_id"] == sending["id"]

    transfer_id = members.request_transfer(request_body(member_id, receiving["id"]))["id"]
    members.transfer_step(transfer_id, "approve", {})
    letter = members.transfer_step(transfer_id, "issue-letter", {"dues_paid_up_to": "2001-01"})["letter"]
    clearance = dues.transfer_clearance(member_id)
    assert letter["dues"] == {"paid_up_to": clearance["paid_up_to"], "outstanding": clearance["outstanding"],
                              "settled": clearance["settled"], "source": "dues_service"}
    for action in ("accept", "report-in"):
        members.transfer_step(transfer_id, action, {})
    wait_for(lambda: transfer_state(members_db, transfer_id) == "completed", what="the transfer to complete")
    wait_for(lambda: _account(dues, member_id)["org_id"] == receiving["id"], what="the dues account to move")


def _account(dues, member_id):
    try:
        return dues.get_dues(member_id)
    except NotFound:
        return None
