"""Every refusal of the founding workflow pinned on what the district is told
(code, message, named fields), and the units a joint branch covers read back."""
import datetime as dt

import pytest

from shared.errors import DomainError

from test_orgs_founding import REQUESTED_ON, SECRETARY_ONLY, approved, saved, submit


def elected(rules, parent):
    request = approved(rules, parent)
    request.elect_committee(rules, dt.date(2024, 3, 1), SECRETARY_ONLY)
    return saved(request)


def rejected(rules, parent):
    request = saved(submit(rules, parent))
    request.reject(dt.date(2024, 2, 10), "no unit")
    return saved(request)


def conflict(state, action, when):
    return {"code": "conflict", "message": f"founding request r1 is {state}; it can only {action} when {when}",
            "fields": {"state": state}}


def too_early(field, day, what, earlier):
    return {"code": "invalid_input", "message": f"{field} {day} is before {what} ({earlier})",
            "fields": {field: day}}


REFUSALS = {
    "a group": (
        lambda rules, parent: submit(rules, parent, kind="group"),
        {"code": "invalid_input", "message": "a founding request is for a branch or joint branch, not a group",
         "fields": {"kind": "group"}}),
    "a founding member missing": (
        lambda rules, parent: submit(rules, parent, full=4, probationary=2, members=[{"name": "M"}] * 3),
        {"code": "invalid_input",
         "message": "3 founding members are listed: name every one of the 4 full members, and at most the "
                    "2 probationary members besides",
         "fields": {"founding_members": 3}}),
    "approved twice": (
        lambda rules, parent: approved(rules, parent).approve(dt.date(2024, 2, 11)),
        conflict("approved", "be approved", "requested")),
    "rejected after approval": (
        lambda rules, parent: approved(rules, parent).reject(dt.date(2024, 2, 11), "changed our mind"),
        conflict("approved", "be rejected", "requested")),
    "a committee elected before approval": (
        lambda rules, parent: saved(submit(rules, parent)).elect_committee(rules, dt.date(2024, 3, 1), SECRETARY_ONLY),
        conflict("requested", "elect its committee", "approved")),
    "confirmed when rejected": (
        lambda rules, parent: rejected(rules, parent).confirm(dt.date(2024, 3, 1), "b"),
        conflict("rejected", "be confirmed", "committee_elected")),
    "a rejection without reason": (
        lambda rules, parent: saved(submit(rules, parent)).reject(dt.date(2024, 2, 10), "  "),
        {"code": "invalid_input", "message": "a rejection must give its reason", "fields": {"reason": "required"}}),
    "approved before the request": (
        lambda rules, parent: saved(submit(rules, parent)).approve(REQUESTED_ON - dt.timedelta(days=1)),
        too_early("decided_on", "2024-01-30", "the request", "2024-01-31")),
    "rejected before the request": (
        lambda rules, parent: saved(submit(rules, parent)).reject(REQUESTED_ON - dt.timedelta(days=1), "no"),
        too_early("decided_on", "2024-01-30", "the request", "2024-01-31")),
    "a founding meeting before approval": (
        lambda rules, parent: approved(rules, parent).elect_committee(rules, dt.date(2024, 2, 9), SECRETARY_ONLY),
        too_early("meeting_date", "2024-02-09", "the approval", "2024-02-10")),
    "confirmed before the founding meeting": (
        lambda rules, parent: elected(rules, parent).confirm(dt.date(2024, 2, 29), "b"),
        too_early("confirmed_on", "2024-02-29", "the founding meeting", "2024-03-01")),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_founding_step_says_why_and_names_its_fields(rules, committee, case):
    act, expected = REFUSALS[case]
    with pytest.raises(DomainError) as refused:
        act(rules, committee)
    assert refused.value.to_dict() == expected


def test_a_joint_branch_request_records_every_unit_it_covers(rules, committee):
    units = [{"name": "Nano Tech Co.", "unit_type": "enterprise", "address": "Ruoshui Rd 398"},
             {"name": "Bio Lab", "unit_type": "enterprise"}]
    request = submit(rules, committee, kind="joint_branch", covered=units)
    assert request.pending_events[0].payload["covered_units"] == [
        {"name": "Nano Tech Co.", "unit_type": "enterprise", "address": "Ruoshui Rd 398"},
        {"name": "Bio Lab", "unit_type": "enterprise", "address": None}]
