"""The Transfer aggregate as a state machine (pure): every transition allowed
or refused, mandatory reasons, the letter's validity on both sides, expiry
and reissue, the report-in alert, dates in order; and the member's side: one
open transfer, the branch changing only at completion."""
import pytest

from services.members.checks import OrgView
from services.members.transfers.checks import dues_on_letter
from services.members.transfers.domain import Transfer
from shared.contracts.transfers import FINAL_TRANSFER_STATES, TRANSFER_ACTIONS, TRANSFER_STATES
from shared.errors import Conflict, InvalidInput, NotFound, RuleViolation
from transfers_builders import (BRANCH_A, BRANCH_B, COMMITTEE_2, DAY, GROUP_B, ON, TODAY, UNKNOWN_DUES, D,
                                in_state, member, request, rules)

ACTIONS = {
    "approve": lambda t: t.approve(today=TODAY, approved_on=TODAY),
    "return-for-correction": lambda t: t.return_for_correction(today=TODAY, returned_on=TODAY, reason="fix"),
    "resubmit": lambda t: t.resubmit(today=TODAY, resubmitted_on=TODAY, to_org=BRANCH_B, to_group=None,
                                     to_parent=COMMITTEE_2, to_org_id="branch-b", to_group_id=None,
                                     scope="elsewhere", grounds="employer_change", reason=None),
    "withdraw": lambda t: t.withdraw(today=TODAY, withdrawn_on=TODAY),
    "reject": lambda t: t.reject(today=TODAY, rejected_on=TODAY, reason="not eligible"),
    "issue-letter": lambda t: t.issue_letter(rules(TODAY), today=TODAY, issued_on=TODAY, dues=UNKNOWN_DUES),
    "reissue-letter": lambda t: t.reissue_letter(rules(ON["accepted"]), today=TODAY, issued_on=ON["accepted"],
                                                 dues=UNKNOWN_DUES),
    "accept": lambda t: t.accept(rules(ON["accepted"]), today=TODAY, accepted_on=ON["accepted"], to_org=BRANCH_B),
    "report-in": lambda t: t.report_in(today=TODAY, reported_on=TODAY, to_org=BRANCH_B, group=None),
    "complete": lambda t: t.complete(completed_on=TODAY, placed_group_id=None),
}
CLOSE = {"withdraw", "reject"}
ALLOWED = {
    "requested": {"approve", "return-for-correction"} | CLOSE,
    "returned": {"resubmit"} | CLOSE,
    "approved": {"issue-letter"} | CLOSE,
    "letter_issued": {"accept"} | CLOSE,
    "letter_expired": {"reissue-letter"} | CLOSE,
    "accepted": {"report-in"} | CLOSE,
    "report_overdue": {"report-in"} | CLOSE,
    "reported_in": {"complete"},
    **{state: set() for state in FINAL_TRANSFER_STATES},
}
NEXT = {"approve": "approved", "return-for-correction": "returned", "resubmit": "requested", "withdraw": "withdrawn",
        "reject": "rejected", "issue-letter": "letter_issued", "reissue-letter": "letter_issued",
        "accept": "accepted", "report-in": "reported_in", "complete": "completed"}


def test_the_matrix_covers_every_state_and_action():
    assert set(ALLOWED) == set(TRANSFER_STATES)
    assert set(ACTIONS) == set(TRANSFER_ACTIONS)


@pytest.mark.parametrize("state", TRANSFER_STATES)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_transition_is_allowed_or_refused(state, action):
    transfer = in_state(state)
    assert transfer.state == state
    before = len(transfer.pending_events)
    if action in ALLOWED[state]:
        ACTIONS[action](transfer)
        assert transfer.state == NEXT[action]
        assert transfer.pending_events[-1].payload["state"] == NEXT[action]
    else:
        expected = RuleViolation if (state, action) == ("letter_expired", "accept") else Conflict
        with pytest.raises(expected):
            ACTIONS[action](transfer)
        assert transfer.state == state and len(transfer.pending_events) == before, "a refusal records nothing"


@pytest.mark.parametrize("state", TRANSFER_STATES)
def test_the_platform_cancels_any_open_transfer_and_leaves_a_final_one(state):
    transfer = in_state(state)
    assert transfer.cancel(cancelled_on=TODAY, reason="receiving branch dissolved") is (state not in FINAL_TRANSFER_STATES)
    assert transfer.state == ("cancelled" if state not in FINAL_TRANSFER_STATES else state)


def test_every_event_carries_the_transfer_state_after_it():
    transfer = in_state("completed")
    for event in transfer.pending_events:
        assert {"member_id", "from_org_id", "to_org_id", "state"} <= set(event.payload)
        assert event.payload["from_org_id"] == "branch-a" and event.payload["to_org_id"] == "branch-b"
    folded = Transfer.rehydrate("t-1", [_envelope(e, i) for i, e in enumerate(transfer.pending_events, 1)])
    assert (folded.state, folded.version, folded.placed_group_id) == ("completed", 6, None)


def _envelope(event, version):
    from shared.envelope import Envelope
    return Envelope(event.event_type, 1, "transfer", "t-1", version, event.payload)


# ---- reasons -------------------------------------------------------------------------

@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_rejection_needs_a_reason(reason):
    transfer = in_state("letter_issued")
    with pytest.raises(InvalidInput) as refused:
        transfer.reject(today=TODAY, rejected_on=TODAY, reason=reason)
    assert refused.value.fields == {"reason": "required"} and transfer.state == "letter_issued"


def test_returning_for_correction_needs_a_reason():
    with pytest.raises(InvalidInput):
        in_state("requested").return_for_correction(today=TODAY, returned_on=TODAY, reason=" ")


def test_the_side_that_rejects_is_recorded():
    before, after = in_state("approved"), in_state("letter_issued")
    before.reject(today=TODAY, rejected_on=TODAY, reason="not eligible")
    after.reject(today=TODAY, rejected_on=TODAY, reason="no such unit here")
    assert before.pending_events[-1].payload["side"] == "sending"
    assert after.pending_events[-1].payload["side"] == "receiving"


# ---- the letter ------------------------------------------------------------------------

@pytest.mark.parametrize("scope, days", [("in_city", 10), ("elsewhere", 30)])
def test_a_letter_without_valid_until_gets_the_scopes_default(scope, days):
    transfer = in_state("approved", scope=scope)
    transfer.issue_letter(rules(), today=TODAY, issued_on=ON["issued"], dues=UNKNOWN_DUES)
    assert transfer.letter["valid_until"] == ON["issued"] + days * DAY
    assert transfer.pending_events[-1].payload["rules_version"] == "2014"


@pytest.mark.parametrize("valid_until, ok", [
    (D(2027, 1, 8), False),   # the issue day itself
    (D(2027, 1, 9), True),    # the day after: the earliest
    (D(2027, 4, 8), True),    # 3 months: the latest
    (D(2027, 4, 9), False),   # one day past 3 months
])
def test_valid_until_is_bounded_on_both_sides(valid_until, ok):
    transfer = in_state("approved")
    issue = lambda: transfer.issue_letter(rules(), today=TODAY, issued_on=ON["issued"], valid_until=valid_until,
                                          dues=UNKNOWN_DUES)
    if ok:
        issue()
        assert transfer.letter["valid_until"] == valid_until
    else:
        with pytest.raises(RuleViolation) as refused:
            issue()
        assert refused.value.rule == "members.transfer.letter_validity"
        assert refused.value.fields == {"valid_until": valid_until.isoformat()}


def test_the_letter_records_the_dues_as_far_as_they_are_known():
    clearance = {"paid_up_to": "2026-12", "outstanding": "0.00", "settled": True}
    assert dues_on_letter(clearance, "2026-10") == {"dues_paid_up_to": "2026-12", "dues_outstanding": "0.00",
                                                    "dues_settled": True, "dues_source": "dues_service"}
    assert dues_on_letter(None, "2026-10")["dues_source"] == "issuer"
    assert dues_on_letter(None, None) == {"dues_paid_up_to": None, "dues_outstanding": None, "dues_settled": None,
                                          "dues_source": "unknown"}


def test_a_letter_expires_the_day_after_valid_until_and_only_once():
    transfer = in_state("letter_issued")
    valid_until = transfer.letter["valid_until"]
    assert transfer.expire_letter(valid_until) is False, "valid through its last day"
    assert transfer.expire_letter(valid_until + DAY) is True
    assert transfer.pending_events[-1].payload["expired_on"] == valid_until + DAY
    assert transfer.expire_letter(valid_until + 5 * DAY) is False, "the sweep is idempotent"
    assert transfer.state == "letter_expired"


def test_an_expired_letter_cannot_be_accepted_even_before_the_sweep_marks_it():
    transfer = in_state("letter_issued")
    late = transfer.letter["valid_until"] + DAY
    with pytest.raises(RuleViolation) as refused:
        transfer.accept(rules(), today=TODAY, accepted_on=late, to_org=BRANCH_B)
    assert refused.value.rule == "members.transfer.letter_expired"
    transfer.accept(rules(), today=TODAY, accepted_on=transfer.letter["valid_until"], to_org=BRANCH_B)
    assert transfer.state == "accepted"


def test_reissue_gives_a_new_numbered_letter_and_records_the_expiry_first():
    transfer = in_state("letter_issued")
    late = transfer.letter["valid_until"] + 3 * DAY
    transfer.reissue_letter(rules(late), today=TODAY, issued_on=late, dues=UNKNOWN_DUES, reference="No. 2")
    types = [e.event_type for e in transfer.pending_events[-2:]]
    assert types == ["transfers.letter_expired", "transfers.letter_reissued"]
    assert transfer.letter == {"number": 2, "issued_on": late, "valid_until": late + 30 * DAY}
    transfer.accept(rules(late), today=TODAY, accepted_on=late + DAY, to_org=BRANCH_B)
    assert transfer.state == "accepted"


def test_a_valid_letter_is_not_reissued():
    transfer = in_state("letter_issued")
    with pytest.raises(Conflict):
        transfer.reissue_letter(rules(), today=TODAY, issued_on=ON["issued"] + DAY, dues=UNKNOWN_DUES)


# ---- the report-in alert --------------------------------------------------------------

def test_a_missed_report_in_raises_one_alert_and_the_member_can_still_report_in():
    transfer = in_state("accepted")
    due = transfer.report_due_on
    assert due == ON["accepted"] + 30 * DAY
    assert transfer.flag_report_overdue(due) is False
    assert transfer.flag_report_overdue(due + DAY) is True
    assert transfer.flag_report_overdue(due + 2 * DAY) is False
    assert transfer.state == "report_overdue"
    transfer.report_in(today=TODAY, reported_on=due + 3 * DAY, to_org=BRANCH_B, group=None)
    assert transfer.state == "reported_in"


# ---- dates and organisations -------------------------------------------------------------

def test_a_step_is_not_dated_before_the_previous_one_or_in_the_future():
    transfer = in_state("requested")
    with pytest.raises(InvalidInput) as early:
        transfer.approve(today=TODAY, approved_on=ON["requested"] - DAY)
    assert "approved_on" in early.value.fields
    with pytest.raises(InvalidInput):
        transfer.approve(today=TODAY, approved_on=TODAY + DAY)


def test_only_an_active_party_member_is_transferred():
    with pytest.raises(RuleViolation) as refused:
        request(member(stage="applicant"))
    assert refused.value.rule == "members.transfer.party_member"
    request(member(stage="probationary"))


def test_the_receiving_branch_must_be_another_active_branch_under_an_active_parent():
    with pytest.raises(InvalidInput):
        request(to=BRANCH_A)
    with pytest.raises(NotFound):
        request(to=None)
    for to, rule in ((COMMITTEE_2, "members.transfer.receiving_branch"),
                     (OrgView("branch-c", "branch", "dissolved", "committee-2"), "members.transfer.receiving_branch"),
                     (OrgView("branch-d", "branch", "active", "gone"), "members.transfer.receiving_authorised")):
        with pytest.raises(RuleViolation) as refused:
            request(to=to)
        assert refused.value.rule == rule
    with pytest.raises(RuleViolation) as refused:
        request(group=OrgView("group-x", "group", "active", "branch-a"))
    assert refused.value.fields == {"to_group_id": "group-x"}
    assert request(group=GROUP_B).to_group_id == "group-b"


def test_report_in_places_the_member_in_the_requested_group_or_the_one_given():
    transfer = request(group=GROUP_B)
    transfer.approve(today=TODAY, approved_on=ON["approved"])
    transfer.issue_letter(rules(), today=TODAY, issued_on=ON["issued"], dues=UNKNOWN_DUES)
    transfer.accept(rules(), today=TODAY, accepted_on=ON["accepted"], to_org=BRANCH_B)
    with pytest.raises(RuleViolation):
        transfer.report_in(today=TODAY, reported_on=ON["reported"], to_org=BRANCH_B, group=None)
    transfer.report_in(today=TODAY, reported_on=ON["reported"], to_org=BRANCH_B, group=GROUP_B)
    assert transfer.placed_group_id == "group-b"


# ---- the member's side ----------------------------------------------------------------------

def test_a_member_has_at_most_one_open_transfer():
    m = member()
    m.open_transfer("t-1", to_org_id="branch-b", opened_on=ON["requested"])
    with pytest.raises(Conflict) as refused:
        m.open_transfer("t-2", to_org_id="branch-b", opened_on=ON["requested"])
    assert refused.value.fields["open_transfer_id"] == "t-1"
    assert m.close_transfer("t-2", outcome="withdrawn", closed_on=TODAY) is False
    assert m.close_transfer("t-1", outcome="withdrawn", closed_on=TODAY) is True
    m.open_transfer("t-2", to_org_id="branch-b", opened_on=TODAY)
    assert m.open_transfer_id == "t-2"


def test_the_branch_changes_only_at_completion_and_every_event_carries_the_member_state():
    m = member()
    m.open_transfer("t-1", to_org_id="branch-b", opened_on=ON["requested"])
    assert m.org_id == "branch-a"
    with pytest.raises(Conflict):
        m.complete_transfer("t-other", to_org_id="branch-b", group_id=None, completed_on=TODAY)
    m.complete_transfer("t-1", to_org_id="branch-b", group_id="group-b", completed_on=TODAY)
    opened, completed = m.pending_events
    assert (opened.payload["org_id"], completed.payload["org_id"]) == ("branch-a", "branch-b")
    assert completed.payload["from_org_id"] == "branch-a" and completed.payload["group_id"] == "group-b"
    for event in m.pending_events:
        assert {"org_id", "group_id", "stage", "status"} <= set(event.payload)
    assert (m.org_id, m.group_id, m.open_transfer_id) == ("branch-b", "group-b", None)
