"""Rule boundaries of transfers a mutation test found unpinned (issue 10):
the sending and receiving branches active at request and acceptance, the
first day of the transfer rules, and the reasons, notes and letter reference
recorded on a step read back from the read model and the timeline."""
import datetime as dt

import pytest

from services.members.transfers import commands as commands
from services.members.transfers import queries as transfer_queries
from services.members.checks import OrgView
from services.members.transfers.rules import RULE_SETS, transfer_rules_in_force
from shared.errors import InvalidInput, RuleViolation
from transfers_builders import BRANCH_A, BRANCH_B, DAY, ON, TODAY, in_state, register_full, request, rules
from unit.orgs_feed import org_event

D = dt.date
DISSOLVED_A = OrgView("branch-a", "branch", "dissolved", "committee-1", "Nano Branch")
DISSOLVED_B = OrgView("branch-b", "branch", "dissolved", "committee-2", "Bio Branch")


# ---- 2. active branches ---------------------------------------------------------------------

def test_sending_branch_active_the_request_is_accepted():
    transfer = request(from_org=BRANCH_A)
    assert (transfer.state, transfer.from_org_id) == ("requested", "branch-a")


@pytest.mark.parametrize("from_org", [DISSOLVED_A, None], ids=["dissolved", "unknown"])
def test_sending_branch_dissolved_or_unknown_the_request_is_refused(from_org):
    with pytest.raises(RuleViolation) as refused:
        request(from_org=from_org)
    assert refused.value.rule == "members.transfer.sending_branch"
    assert refused.value.fields == {"member_id": "m-1"}


def test_receiving_branch_active_at_acceptance_the_transfer_is_accepted():
    transfer = in_state("letter_issued")
    transfer.accept(rules(), today=TODAY, accepted_on=ON["accepted"], to_org=BRANCH_B)
    assert transfer.state == "accepted"


@pytest.mark.parametrize("to_org", [DISSOLVED_B, None], ids=["dissolved", "unknown"])
def test_receiving_branch_dissolved_at_acceptance_the_transfer_is_refused(to_org):
    transfer = in_state("letter_issued")
    before = len(transfer.pending_events)
    with pytest.raises(RuleViolation) as refused:
        transfer.accept(rules(), today=TODAY, accepted_on=ON["accepted"], to_org=to_org)
    assert refused.value.rule == "members.transfer.receiving_branch"
    assert refused.value.fields == {"to_org_id": "branch-b"}
    assert transfer.state == "letter_issued" and len(transfer.pending_events) == before


# ---- against the store: orgs' events decide what is active ------------------------------------

def register(run, seq="123", org_id="branch-a"):
    return register_full(run, seq, org_id, TODAY, full_on=D(2011, 7, 1))


def request_transfer(run, member_id, to_org_id="branch-b", **fields):
    return run(commands.request_transfer, today=TODAY, member_id=member_id, to_org_id=to_org_id,
               scope="elsewhere", grounds="employer_change", **fields)


def step(run, transfer_id, action, **fields):
    return run(commands.transfer_step, transfer_id, action, today=TODAY, **fields)


def get(read, store, transfer_id):
    return read(transfer_queries.get_transfer, store, transfer_id, TODAY)


def test_receiving_branch_dissolved_after_the_letter_acceptance_is_refused(run, read, store, deliver, tree):
    member_id = register(run)
    transfer_id = request_transfer(run, member_id)
    step(run, transfer_id, "approve")
    step(run, transfer_id, "issue-letter")
    deliver(org_event("orgs.org_dissolved", "branch-b", version=2))
    with pytest.raises(RuleViolation) as refused:
        step(run, transfer_id, "accept")
    assert refused.value.rule == "members.transfer.receiving_branch"
    assert get(read, store, transfer_id)["state"] == "letter_issued"


def test_sending_branch_dissolved_the_request_is_refused_by_the_command(run, deliver, tree):
    member_id = register(run)
    deliver(org_event("orgs.org_dissolved", "branch-a", version=2))
    with pytest.raises(RuleViolation) as refused:
        request_transfer(run, member_id)
    assert refused.value.rule == "members.transfer.sending_branch"


# ---- 6. the first day of the transfer rules -----------------------------------------------------

def test_rule_start_the_transfer_rules_take_effect_on_2014_01_01():
    assert RULE_SETS[0].effective_from == D(2014, 1, 1)
    assert transfer_rules_in_force(D(2014, 1, 1)) is RULE_SETS[0]
    with pytest.raises(InvalidInput, match="no transfer rules are in force on 2013-12-31"):
        transfer_rules_in_force(D(2013, 12, 31))


@pytest.mark.parametrize("issued_on, ok", [(D(2013, 12, 31), False), (D(2014, 1, 1), True), (D(2014, 1, 2), True)])
def test_rule_start_a_letter_issued_on_the_first_day_of_the_rules(run, read, store, tree, issued_on, ok):
    member_id = register(run)
    transfer_id = request_transfer(run, member_id, requested_on=D(2013, 12, 20))
    step(run, transfer_id, "approve", approved_on=D(2013, 12, 23))
    if ok:
        step(run, transfer_id, "issue-letter", issued_on=issued_on)
        letter = get(read, store, transfer_id)["letter"]
        assert (letter["rules_version"], letter["valid_until"]) == ("2014", issued_on + 30 * DAY)
    else:
        with pytest.raises(InvalidInput, match="no transfer rules"):
            step(run, transfer_id, "issue-letter", issued_on=issued_on)
        assert get(read, store, transfer_id)["state"] == "approved"


# ---- 7. recorded reasons read back ---------------------------------------------------------------

def test_recorded_withdrawal_reason_and_note_read_back(run, read, store, tree):
    member_id = register(run)
    transfer_id = request_transfer(run, member_id)
    step(run, transfer_id, "withdraw", reason="  the new job fell through  ", note="told by phone",
         decided_by="the member")
    got = get(read, store, transfer_id)
    assert (got["state"], got["close_reason"], got["closed_on"]) == ("withdrawn", "the new job fell through", TODAY)
    withdrawn = got["timeline"][-1]
    assert withdrawn["event_type"] == "transfers.withdrawn"
    assert (withdrawn["payload"]["reason"], withdrawn["payload"]["note"], withdrawn["payload"]["decided_by"]) == \
        ("the new job fell through", "told by phone", "the member")
    listed = read(transfer_queries.list_member_transfers, member_id, today=TODAY)["items"][0]
    assert listed["close_reason"] == "the new job fell through"


def test_recorded_withdrawal_without_a_reason_reads_back_none(run, read, store, tree):
    transfer_id = request_transfer(run, register(run))
    step(run, transfer_id, "withdraw", reason="   ")
    got = get(read, store, transfer_id)
    assert got["close_reason"] is None and got["timeline"][-1]["payload"]["reason"] is None


def test_recorded_resubmission_reason_and_note_read_back(run, read, store, tree):
    member_id = register(run)
    transfer_id = request_transfer(run, member_id, reason="new job")
    step(run, transfer_id, "return-for-correction", reason="name the new employer", note="see the form")
    returned = get(read, store, transfer_id)
    assert returned["returned_reason"] == "name the new employer"
    assert returned["timeline"][-1]["payload"]["note"] == "see the form"
    step(run, transfer_id, "resubmit", to_org_id="branch-c", reason="new job at Chip Co.",
         note="employer added", decided_by="branch committee")
    got = get(read, store, transfer_id)
    assert (got["state"], got["to_org_id"], got["reason"], got["returned_reason"]) == \
        ("requested", "branch-c", "new job at Chip Co.", None)
    resubmitted = got["timeline"][-1]
    assert resubmitted["event_type"] == "transfers.resubmitted"
    assert (resubmitted["payload"]["reason"], resubmitted["payload"]["note"],
            resubmitted["payload"]["decided_by"]) == ("new job at Chip Co.", "employer added", "branch committee")
    assert [e["payload"].get("reason") for e in got["timeline"]] == \
        ["new job", "name the new employer", "new job at Chip Co."]


def test_recorded_resubmission_keeps_the_reason_when_none_is_given(run, read, store, tree):
    transfer_id = request_transfer(run, register(run), reason="new job")
    step(run, transfer_id, "return-for-correction", reason="fix the group")
    step(run, transfer_id, "resubmit")
    assert get(read, store, transfer_id)["reason"] == "new job"


def test_recorded_letter_reference_and_note_read_back(run, read, store, tree):
    transfer_id = request_transfer(run, register(run))
    step(run, transfer_id, "approve", note="approved at the committee meeting")
    step(run, transfer_id, "issue-letter", reference="苏工委组转字〔2027〕12号", note="sent by post")
    got = get(read, store, transfer_id)
    assert got["letter"]["reference"] == "苏工委组转字〔2027〕12号"
    approved, issued = got["timeline"][1:]
    assert approved["payload"]["note"] == "approved at the committee meeting"
    assert (issued["payload"]["reference"], issued["payload"]["note"]) == ("苏工委组转字〔2027〕12号", "sent by post")


def test_recorded_letter_reference_of_a_reissued_letter_replaces_the_first(run, read, store, tree):
    transfer_id = request_transfer(run, register(run), requested_on=TODAY - 60 * DAY)
    step(run, transfer_id, "approve", approved_on=TODAY - 59 * DAY)
    step(run, transfer_id, "issue-letter", issued_on=TODAY - 50 * DAY, valid_until=TODAY - 40 * DAY,
         reference="No. 1")
    step(run, transfer_id, "reissue-letter", reference="No. 2")
    got = get(read, store, transfer_id)
    assert (got["letter"]["number"], got["letter"]["reference"]) == (2, "No. 2")
    assert [e["payload"].get("reference") for e in got["timeline"] if "letter_" in e["event_type"]] == \
        ["No. 1", None, "No. 2"]

