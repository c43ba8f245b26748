"""The transfer saga pinned on what both branches read back: every step's
event field by field (the transfer's state, who decided, the note, the
recorded reasons), and every refusal's code, rule, message and named fields."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from services.members.checks import OrgView
from shared.errors import DomainError

from transfers_builders import (
    BRANCH_A,
    BRANCH_B,
    COMMITTEE_2,
    DAY,
    GROUP_B,
    ON,
    TODAY,
    UNKNOWN_DUES,
    in_state,
    member,
    request,
    rules,
)

D = dt.date
BY = "Lake Committee"
DUES = {
    "dues_paid_up_to": "2026-12",
    "dues_outstanding": Decimal("0.00"),
    "dues_settled": True,
    "dues_source": "dues_service",
}


def last(transfer):
    event = transfer.pending_events[-1]
    return event.event_type, event.payload


def sides(state, to="branch-b"):
    return {"member_id": "m-1", "from_org_id": "branch-a", "to_org_id": to, "state": state}


def test_a_request_records_the_member_both_sides_and_why():
    t = request(group=GROUP_B, scope="in_city", reason="")
    assert last(t) == (
        "transfers.requested",
        {
            **sides("requested"),
            "member_name": "Li Ming",
            "from_group_id": None,
            "from_parent_id": "committee-1",
            "to_parent_id": "committee-2",
            "to_group_id": "group-b",
            "scope": "in_city",
            "grounds": "employer_change",
            "reason": None,
            "requested_on": ON["requested"],
        },
    )
    assert last(request())[1]["reason"] == "new job"


def test_every_step_records_its_date_who_decided_and_the_note():
    t = request()
    t.approve(today=TODAY, approved_on=ON["approved"], decided_by=BY, note="approved at the meeting")
    assert last(t) == (
        "transfers.approved",
        {**sides("approved"), "approved_on": ON["approved"], "decided_by": BY, "note": "approved at the meeting"},
    )
    t.issue_letter(
        rules(),
        today=TODAY,
        issued_on=ON["issued"],
        valid_until=ON["issued"] + 10 * DAY,
        reference="Su-2027-001",
        dues=DUES,
        serial=lambda issuer, year: f"{issuer}:{year}-0007",
        decided_by=BY,
        note="by hand",
    )
    assert last(t) == (
        "transfers.letter_issued",
        {
            **sides("letter_issued"),
            "serial": "committee-1:2027-0007",
            "issuer_id": "committee-1",
            "number": 1,
            "reference": "Su-2027-001",
            "issued_on": ON["issued"],
            "valid_until": ON["issued"] + 10 * DAY,
            "rules_version": rules().version,
            **DUES,
            "decided_by": BY,
            "note": "by hand",
        },
    )
    t.accept(rules(), today=TODAY, accepted_on=ON["accepted"], to_org=BRANCH_B, decided_by="Bio Branch", note="welcome")
    assert last(t) == (
        "transfers.accepted",
        {
            **sides("accepted"),
            "accepted_on": ON["accepted"],
            "report_due_on": rules().report_due_on(ON["accepted"]),
            "rules_version": rules().version,
            "decided_by": "Bio Branch",
            "note": "welcome",
        },
    )
    t.report_in(
        today=TODAY,
        reported_on=ON["reported"],
        to_org=BRANCH_B,
        group=GROUP_B,
        group_id="group-b",
        decided_by="Bio Branch",
        note="placed in the lab group",
    )
    assert last(t) == (
        "transfers.reported_in",
        {
            **sides("reported_in"),
            "reported_on": ON["reported"],
            "placed_group_id": "group-b",
            "decided_by": "Bio Branch",
            "note": "placed in the lab group",
        },
    )
    t.complete(completed_on=ON["completed"], placed_group_id="group-b", decided_by="platform", note="receipt back")
    assert last(t) == (
        "transfers.completed",
        {
            **sides("completed"),
            "completed_on": ON["completed"],
            "placed_group_id": "group-b",
            "decided_by": "platform",
            "note": "receipt back",
        },
    )
    assert (t.state, t.placed_group_id, t.last_on) == ("completed", "group-b", ON["completed"])


def test_a_completion_is_never_dated_before_the_report_in():
    t = in_state("reported_in")
    t.complete(completed_on=ON["reported"] - DAY, placed_group_id=None)
    assert last(t)[1]["completed_on"] == ON["reported"]


def test_a_return_and_resubmission_record_the_reason_and_the_corrected_request():
    t = request()
    t.return_for_correction(
        today=TODAY, returned_on=ON["approved"], reason="  give the new unit  ", decided_by=BY, note="n1"
    )
    assert last(t) == (
        "transfers.returned",
        {
            **sides("returned"),
            "reason": "give the new unit",
            "returned_on": ON["approved"],
            "decided_by": BY,
            "note": "n1",
        },
    )
    other = OrgView("branch-c", "branch", "active", "committee-2", "Chem Branch")
    t.resubmit(
        today=TODAY,
        resubmitted_on=ON["issued"],
        to_org=other,
        to_group=None,
        to_parent=COMMITTEE_2,
        to_org_id="branch-c",
        to_group_id=None,
        scope="in_city",
        grounds="residence_change",
        reason="",
        decided_by="Li Ming",
        note="n2",
    )
    assert last(t) == (
        "transfers.resubmitted",
        {
            **sides("requested", to="branch-c"),
            "to_parent_id": "committee-2",
            "to_group_id": None,
            "scope": "in_city",
            "grounds": "residence_change",
            "reason": None,
            "resubmitted_on": ON["issued"],
            "decided_by": "Li Ming",
            "note": "n2",
        },
    )
    assert (t.to_org_id, t.scope, t.grounds, t.reason, t.last_on) == (
        "branch-c",
        "in_city",
        "residence_change",
        None,
        ON["issued"],
    )


def test_a_withdrawal_and_a_rejection_record_their_reasons_and_side():
    t = in_state("approved")
    t.withdraw(today=TODAY, withdrawn_on=ON["issued"], reason="  staying after all ", decided_by="Li Ming", note="n")
    assert last(t) == (
        "transfers.withdrawn",
        {
            **sides("withdrawn"),
            "reason": "staying after all",
            "withdrawn_on": ON["issued"],
            "decided_by": "Li Ming",
            "note": "n",
        },
    )
    blank = in_state("approved")
    blank.withdraw(today=TODAY, withdrawn_on=ON["issued"], reason="   ")
    assert last(blank)[1]["reason"] is None
    t = in_state("letter_issued")
    t.reject(today=TODAY, rejected_on=ON["accepted"], reason=" no such member here ", decided_by="Bio Branch", note="n")
    assert last(t) == (
        "transfers.rejected",
        {
            **sides("rejected"),
            "reason": "no such member here",
            "side": "receiving",
            "rejected_on": ON["accepted"],
            "decided_by": "Bio Branch",
            "note": "n",
        },
    )


def test_a_cancellation_records_its_reason_and_is_never_dated_before_the_last_step():
    t = in_state("accepted")
    assert t.cancel(cancelled_on=ON["requested"], reason=" receiving branch dissolved ") is True
    assert last(t) == (
        "transfers.cancelled",
        {**sides("cancelled"), "reason": "receiving branch dissolved", "cancelled_on": ON["accepted"]},
    )


def test_an_expiry_and_a_report_overdue_record_their_dates():
    t = in_state("letter_issued")
    assert t.expire_letter(ON["issued"] + 11 * DAY) is True
    assert last(t) == (
        "transfers.letter_expired",
        {
            **sides("letter_expired"),
            "number": 1,
            "valid_until": ON["issued"] + 10 * DAY,
            "expired_on": ON["issued"] + 11 * DAY,
        },
    )
    t = in_state("accepted")
    due = t.report_due_on
    assert t.flag_report_overdue(due) is False
    assert t.flag_report_overdue(due + DAY) is True
    assert last(t) == (
        "transfers.report_overdue",
        {**sides("report_overdue"), "report_due_on": due, "flagged_on": due + DAY},
    )


def test_a_reissued_letter_is_numbered_after_the_last():
    t = in_state("letter_expired")
    t.reissue_letter(rules(), today=TODAY, issued_on=ON["issued"] + 12 * DAY, dues=UNKNOWN_DUES, reference="R2")
    event_type, payload = last(t)
    assert (event_type, payload["state"], payload["number"], payload["reference"]) == (
        "transfers.letter_reissued",
        "letter_issued",
        2,
        "R2",
    )
    assert t.letter["number"] == 2 and t.letter["issued_on"] == ON["issued"] + 12 * DAY


REFUSALS = {
    "requested in the future": (
        lambda: request(requested_on=TODAY + DAY),
        {
            "code": "invalid_input",
            "message": "requested_on 2027-03-02 is in the future",
            "fields": {"requested_on": "2027-03-02"},
        },
    ),
    "an applicant": (
        lambda: request(member(stage="applicant")),
        {
            "code": "rule_violation",
            "message": "only an active probationary or full member is transferred; this member is applicant, active",
            "fields": {"member_id": "m-1"},
            "rule": "members.transfer.party_member",
        },
    ),
    "an inactive sending branch": (
        lambda: request(from_org=dataclasses.replace(BRANCH_A, status="dissolved")),
        {
            "code": "rule_violation",
            "message": "the member's branch branch-a is not active",
            "fields": {"member_id": "m-1"},
            "rule": "members.transfer.sending_branch",
        },
    ),
    "to the member's own branch": (
        lambda: request(to=BRANCH_A),
        {
            "code": "invalid_input",
            "message": "the member already belongs to this branch",
            "fields": {"to_org_id": "branch-a"},
        },
    ),
    "approved twice": (
        lambda: in_state("approved").approve(today=TODAY, approved_on=ON["issued"]),
        {
            "code": "conflict",
            "message": "transfer t-1 is approved; it can be approved only when requested",
            "fields": {"state": "approved"},
        },
    ),
    "returned once approved": (
        lambda: in_state("approved").return_for_correction(today=TODAY, returned_on=ON["issued"], reason="r"),
        {
            "code": "conflict",
            "message": "transfer t-1 is approved; it can be returned for correction only when requested",
            "fields": {"state": "approved"},
        },
    ),
    "resubmitted when not returned": (
        lambda: in_state("requested").resubmit(
            today=TODAY,
            resubmitted_on=ON["issued"],
            to_org=BRANCH_B,
            to_group=None,
            to_parent=COMMITTEE_2,
            to_org_id="branch-b",
            to_group_id=None,
            scope="elsewhere",
            grounds="employer_change",
            reason=None,
        ),
        {
            "code": "conflict",
            "message": "transfer t-1 is requested; it can be resubmitted only when returned",
            "fields": {"state": "requested"},
        },
    ),
    "resubmitted to the member's own branch": (
        lambda: in_state("returned").resubmit(
            today=TODAY,
            resubmitted_on=ON["issued"],
            to_org=BRANCH_A,
            to_group=None,
            to_parent=COMMITTEE_2,
            to_org_id="branch-a",
            to_group_id=None,
            scope="elsewhere",
            grounds="employer_change",
            reason=None,
        ),
        {
            "code": "invalid_input",
            "message": "the member already belongs to this branch",
            "fields": {"to_org_id": "branch-a"},
        },
    ),
    "withdrawn once reported in": (
        lambda: in_state("reported_in").withdraw(today=TODAY, withdrawn_on=ON["reported"]),
        {
            "code": "conflict",
            "message": "transfer t-1 is reported_in; it can be withdrawn only when requested or returned or approved or letter_issued or letter_expired or accepted or report_overdue",
            "fields": {"state": "reported_in"},
        },
    ),
    "rejected once reported in": (
        lambda: in_state("reported_in").reject(today=TODAY, rejected_on=ON["reported"], reason="r"),
        {
            "code": "conflict",
            "message": "transfer t-1 is reported_in; it can be rejected only when requested or returned or approved or letter_issued or letter_expired or accepted or report_overdue",
            "fields": {"state": "reported_in"},
        },
    ),
    "a letter before approval": (
        lambda: in_state("requested").issue_letter(rules(), today=TODAY, issued_on=ON["issued"], dues=UNKNOWN_DUES),
        {
            "code": "conflict",
            "message": "transfer t-1 is requested; it can be given a letter only when approved",
            "fields": {"state": "requested"},
        },
    ),
    "a new letter for a valid one": (
        lambda: in_state("letter_issued").reissue_letter(
            rules(), today=TODAY, issued_on=ON["issued"] + DAY, dues=UNKNOWN_DUES
        ),
        {
            "code": "conflict",
            "message": "the letter of transfer t-1 is valid until 2027-01-18; only an expired letter is reissued",
            "fields": {"state": "letter_issued"},
        },
    ),
    "a new letter before any": (
        lambda: in_state("approved").reissue_letter(rules(), today=TODAY, issued_on=ON["issued"], dues=UNKNOWN_DUES),
        {
            "code": "conflict",
            "message": "transfer t-1 is approved; it can be given a new letter only when letter_expired",
            "fields": {"state": "approved"},
        },
    ),
    "accepted before the letter": (
        lambda: in_state("approved").accept(rules(), today=TODAY, accepted_on=ON["accepted"], to_org=BRANCH_B),
        {
            "code": "conflict",
            "message": "transfer t-1 is approved; it can be accepted only when letter_issued",
            "fields": {"state": "approved"},
        },
    ),
    "an expired letter accepted": (
        lambda: in_state("letter_expired").accept(
            rules(), today=TODAY, accepted_on=ON["issued"] + 12 * DAY, to_org=BRANCH_B
        ),
        {
            "code": "rule_violation",
            "message": "the letter expired after 2027-01-18; it must be reissued before it can be accepted",
            "fields": {"valid_until": "2027-01-18"},
            "rule": "members.transfer.letter_expired",
        },
    ),
    "a lapsed letter accepted before the sweep": (
        lambda: in_state("letter_issued").accept(
            rules(), today=TODAY, accepted_on=ON["issued"] + 11 * DAY, to_org=BRANCH_B
        ),
        {
            "code": "rule_violation",
            "message": "the letter expired after 2027-01-18; it must be reissued before it can be accepted",
            "fields": {"valid_until": "2027-01-18"},
            "rule": "members.transfer.letter_expired",
        },
    ),
    "accepted by a dissolved branch": (
        lambda: in_state("letter_issued").accept(
            rules(), today=TODAY, accepted_on=ON["accepted"], to_org=dataclasses.replace(BRANCH_B, status="dissolved")
        ),
        {
            "code": "rule_violation",
            "message": "the receiving branch branch-b is not active",
            "fields": {"to_org_id": "branch-b"},
            "rule": "members.transfer.receiving_branch",
        },
    ),
    "reported in before acceptance": (
        lambda: in_state("letter_issued").report_in(
            today=TODAY, reported_on=ON["reported"], to_org=BRANCH_B, group=None
        ),
        {
            "code": "conflict",
            "message": "transfer t-1 is letter_issued; it can be reported in only when accepted or report_overdue",
            "fields": {"state": "letter_issued"},
        },
    ),
    "completed before the report-in": (
        lambda: in_state("accepted").complete(completed_on=ON["completed"], placed_group_id=None),
        {
            "code": "conflict",
            "message": "transfer t-1 is accepted; it can be completed only when reported_in",
            "fields": {"state": "accepted"},
        },
    ),
    "a step in the future": (
        lambda: in_state("requested").approve(today=TODAY, approved_on=TODAY + DAY),
        {
            "code": "invalid_input",
            "message": "approved_on 2027-03-02 is in the future",
            "fields": {"approved_on": "2027-03-02"},
        },
    ),
    "a step before the last": (
        lambda: in_state("approved").issue_letter(
            rules(), today=TODAY, issued_on=ON["approved"] - DAY, dues=UNKNOWN_DUES
        ),
        {
            "code": "invalid_input",
            "message": "issued_on 2027-01-05 is before the transfer's previous step (2027-01-06)",
            "fields": {"issued_on": "2027-01-05"},
        },
    ),
    "a return without reason": (
        lambda: in_state("requested").return_for_correction(today=TODAY, returned_on=ON["approved"], reason=" "),
        {
            "code": "invalid_input",
            "message": "returning a request for correction must give its reason",
            "fields": {"reason": "required"},
        },
    ),
    "a rejection without reason": (
        lambda: in_state("requested").reject(today=TODAY, rejected_on=ON["approved"], reason=None),
        {"code": "invalid_input", "message": "a rejection must give its reason", "fields": {"reason": "required"}},
    ),
    "a cancellation without reason": (
        lambda: in_state("requested").cancel(cancelled_on=ON["approved"], reason=""),
        {"code": "invalid_input", "message": "a cancellation must give its reason", "fields": {"reason": "required"}},
    ),
    "a letter valid too long": (
        lambda: in_state("approved").issue_letter(
            rules(), today=TODAY, issued_on=ON["issued"], valid_until=D(2027, 12, 31), dues=UNKNOWN_DUES
        ),
        {
            "code": "rule_violation",
            "message": "a letter issued on 2027-01-08 is valid until a day from 2027-01-09 to 2027-04-08 (at most 3 months); 2027-12-31 is not",
            "fields": {"valid_until": "2027-12-31"},
            "rule": "members.transfer.letter_validity",
        },
    ),
    "a letter valid before it is issued": (
        lambda: in_state("approved").issue_letter(
            rules(), today=TODAY, issued_on=ON["issued"], valid_until=ON["issued"] - DAY, dues=UNKNOWN_DUES
        ),
        {
            "code": "rule_violation",
            "message": "a letter issued on 2027-01-08 is valid until a day from 2027-01-09 to 2027-04-08 (at most 3 months); 2027-01-07 is not",
            "fields": {"valid_until": "2027-01-07"},
            "rule": "members.transfer.letter_validity",
        },
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_step_says_which_rule_why_and_names_its_fields(case):
    act, expected = REFUSALS[case]
    with pytest.raises(DomainError) as refused:
        act()
    assert refused.value.to_dict() == expected


def resubmitted(**overrides):
    t = in_state("returned")
    args = dict(
        today=TODAY,
        resubmitted_on=ON["issued"],
        to_org=BRANCH_B,
        to_group=None,
        to_parent=COMMITTEE_2,
        to_org_id="branch-b",
        to_group_id=None,
        scope="elsewhere",
        grounds="employer_change",
        reason="moved house",
    )
    args.update(overrides)
    t.resubmit(**args)
    return t


def long_letter():
    """A letter valid to the latest day the rules allow (past TODAY)."""
    t = in_state("approved")
    t.issue_letter(rules(), today=TODAY, issued_on=ON["issued"], valid_until=D(2027, 4, 8), dues=UNKNOWN_DUES)
    return t


STEPS_DATED = {
    "approved_on": lambda on: in_state("requested").approve(today=TODAY, approved_on=on),
    "returned_on": lambda on: in_state("requested").return_for_correction(today=TODAY, returned_on=on, reason="r"),
    "resubmitted_on": lambda on: resubmitted(resubmitted_on=on),
    "withdrawn_on": lambda on: in_state("requested").withdraw(today=TODAY, withdrawn_on=on),
    "rejected_on": lambda on: in_state("requested").reject(today=TODAY, rejected_on=on, reason="r"),
    "issued_on": lambda on: in_state("approved").issue_letter(rules(), today=TODAY, issued_on=on, dues=UNKNOWN_DUES),
    "accepted_on": lambda on: long_letter().accept(rules(), today=TODAY, accepted_on=on, to_org=BRANCH_B),
    "reported_on": lambda on: in_state("accepted").report_in(today=TODAY, reported_on=on, to_org=BRANCH_B, group=None),
}


@pytest.mark.parametrize("field", list(STEPS_DATED))
def test_a_step_dated_in_the_future_names_its_own_date(field):
    with pytest.raises(DomainError) as refused:
        STEPS_DATED[field](TODAY + DAY)
    assert refused.value.to_dict() == {
        "code": "invalid_input",
        "message": f"{field} 2027-03-02 is in the future",
        "fields": {field: "2027-03-02"},
    }


def test_a_resubmission_keeps_its_corrected_reason_and_group():
    t = resubmitted(to_group=GROUP_B, to_group_id="group-b")
    assert (t.reason, t.to_group_id) == ("moved house", "group-b")
    assert last(t)[1]["to_group_id"] == "group-b"


@pytest.mark.parametrize(
    "overrides, fields",
    [
        ({"to_org": None, "to_org_id": "branch-x"}, {"to_org_id": "branch-x"}),
        ({"to_group": None, "to_group_id": "group-x"}, {"to_group_id": "group-x"}),
        (
            {"to_group": dataclasses.replace(GROUP_B, status="dissolved"), "to_group_id": "group-b"},
            {"to_group_id": "group-b"},
        ),
    ],
)
def test_a_resubmission_checks_the_corrected_receiving_side_naming_the_field(overrides, fields):
    with pytest.raises(DomainError) as refused:
        resubmitted(**overrides)
    assert refused.value.fields == fields


def test_a_withdrawal_without_a_reason_records_none():
    t = in_state("approved")
    t.withdraw(today=TODAY, withdrawn_on=ON["issued"])
    assert last(t)[1]["reason"] is None


def test_the_report_in_checks_the_branch_and_the_group_naming_each():
    with pytest.raises(DomainError) as refused:
        in_state("accepted").report_in(
            today=TODAY,
            reported_on=ON["reported"],
            to_org=dataclasses.replace(BRANCH_B, status="dissolved"),
            group=None,
        )
    assert refused.value.fields == {"to_org_id": "branch-b"}
    with pytest.raises(DomainError) as refused:
        in_state("accepted").report_in(
            today=TODAY, reported_on=ON["reported"], to_org=BRANCH_B, group=None, group_id="group-x"
        )
    assert refused.value.to_dict() == {
        "code": "rule_violation",
        "rule": "members.transfer.receiving_branch",
        "message": "organisation group-x is not an active party group of branch branch-b",
        "fields": {"group_id": "group-x"},
    }


def test_a_reissued_letter_records_its_validity_who_decided_and_the_note():
    t = in_state("letter_expired")
    issued = ON["issued"] + 12 * DAY
    t.reissue_letter(rules(), today=TODAY, issued_on=issued, valid_until=issued + 20 * DAY, reference="R2",
                     dues=DUES, decided_by=BY, note="the first one expired")
    assert last(t) == ("transfers.letter_reissued", {
        **sides("letter_issued"), "number": 2, "reference": "R2", "issued_on": issued,
        "valid_until": issued + 20 * DAY, "rules_version": rules().version, **DUES, "decided_by": BY,
        "note": "the first one expired", "serial": None, "issuer_id": "committee-1"})


def test_an_unknown_receiving_branch_is_named_at_the_request_and_at_the_report_in():
    with pytest.raises(DomainError) as refused:
        request(to=None)
    assert refused.value.to_dict()["fields"] == {"to_org_id": "nowhere"}
    with pytest.raises(DomainError) as refused:
        in_state("accepted").report_in(today=TODAY, reported_on=ON["reported"], to_org=None, group=None)
    assert refused.value.to_dict() == {"code": "not_found", "fields": {"to_org_id": "branch-b"},
                                       "message": "organisation branch-b is not known to the members service"}


def test_a_request_records_the_group_the_member_leaves():
    m = member()
    m.group_id = "group-a"
    assert request(m).pending_events[-1].payload["from_group_id"] == "group-a"
