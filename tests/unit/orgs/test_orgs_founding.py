"""The branch founding workflow, pure: each step only in its state."""
import datetime as dt

import pytest

from services.orgs.domain import ParentView
from services.orgs.founding import FoundingRequest
from shared.errors import Conflict, InvalidInput, RuleViolation

REQUESTED_ON = dt.date(2024, 1, 31)
SECRETARY_ONLY = [{"role": "secretary", "name": "Wang Fang"}]
COMMITTEE = [{"role": "secretary", "name": "Wang Fang", "member_id": "m1"},
             {"role": "deputy_secretary", "name": "Zhao Lei"},
             {"role": "organisation", "name": "Chen Jing"}]


def submit(rules, parent, *, full=3, probationary=1, kind="branch", committee=SECRETARY_ONLY,
           members=None, covered=()):
    members = members if members is not None else [{"name": f"M{i}"} for i in range(full + probationary)]
    return FoundingRequest.submit(
        "r1", rules=rules, parent=parent, proposed_name="Nano Branch", kind=kind,
        unit={"name": "Nano Tech Co.", "unit_type": "enterprise"}, covered_units=list(covered),
        full_members=full, probationary_members=probationary, founding_members=members,
        proposed_committee=committee, requested_on=REQUESTED_ON)


def saved(aggregate):
    aggregate.mark_saved(aggregate.version + len(aggregate.pending_events))
    return aggregate


def approved(rules, parent, **kwargs):
    request = saved(submit(rules, parent, **kwargs))
    request.approve(dt.date(2024, 2, 10))
    return saved(request)


def test_founding_needs_three_declared_full_members(rules, committee):
    with pytest.raises(RuleViolation) as refused:
        submit(rules, committee, full=2, probationary=5)
    assert refused.value.rule == "orgs.founding.min_full_members"
    request = submit(rules, committee, full=3, probationary=0)
    [event] = request.pending_events
    assert event.event_type == "orgs.founding_requested"
    assert request.state == "requested"


def test_the_decision_is_due_a_month_after_the_request(rules, committee):
    request = submit(rules, committee)
    assert request.pending_events[0].payload["decision_due_on"] == dt.date(2024, 2, 29)


@pytest.mark.parametrize("listed, accepted", [(3, False), (4, True), (6, True), (7, False)])
def test_every_full_founding_member_is_named(rules, committee, listed, accepted):
    members = [{"name": f"M{i}"} for i in range(listed)]
    if accepted:
        assert submit(rules, committee, full=4, probationary=2, members=members).state == "requested"
    else:
        with pytest.raises(InvalidInput, match="founding members"):
            submit(rules, committee, full=4, probationary=2, members=members)


def test_only_branches_are_requested_and_only_from_a_committee_or_general_branch(rules):
    with pytest.raises(InvalidInput):
        submit(rules, ParentView("c", "committee", "active"), kind="group")
    with pytest.raises(RuleViolation) as refused:
        submit(rules, ParentView("b", "branch", "active"))
    assert refused.value.rule == "orgs.tree.parent_kind"


def test_the_proposed_committee_must_fit_the_member_count(rules, committee):
    with pytest.raises(RuleViolation) as refused:
        submit(rules, committee, full=6, probationary=0, committee=COMMITTEE)
    assert refused.value.rule == "orgs.committee.min_full_members"
    assert submit(rules, committee, full=7, probationary=0, committee=COMMITTEE).state == "requested"


def test_a_joint_branch_request_checks_its_units(rules, committee):
    units = [{"name": f"U{i}", "unit_type": "enterprise"} for i in range(6)]
    with pytest.raises(RuleViolation, match="at most 5"):
        submit(rules, committee, kind="joint_branch", covered=units)
    assert submit(rules, committee, kind="joint_branch", covered=units[:5]).state == "requested"


def test_the_whole_workflow(rules, committee):
    request = approved(rules, committee, full=8, probationary=2, committee=COMMITTEE)
    request.elect_committee(rules, dt.date(2024, 3, 1), COMMITTEE)
    saved(request)
    request.confirm(dt.date(2024, 3, 5), "branch-1")
    assert request.state == "confirmed" and request.branch_id == "branch-1"
    confirmed = request.pending_events[-1].payload
    assert confirmed["secretary"] == {"name": "Wang Fang", "member_id": "m1"}
    assert confirmed["deputy_secretary"] == {"name": "Zhao Lei", "member_id": None}


def test_a_secretary_alone_has_no_deputy_to_confirm(rules, committee):
    request = approved(rules, committee)
    request.elect_committee(rules, dt.date(2024, 3, 1), SECRETARY_ONLY)
    request.confirm(dt.date(2024, 3, 5), "branch-1")
    assert request.pending_events[-1].payload["deputy_secretary"] is None


def test_rejection_needs_a_reason(rules, committee):
    request = saved(submit(rules, committee))
    for blank in ("", "   ", None):
        with pytest.raises(InvalidInput):
            request.reject(dt.date(2024, 2, 10), blank)
    request.reject(dt.date(2024, 2, 10), " fewer than 3 full members work there ")
    assert request.state == "rejected"
    assert request.pending_events[-1].payload["reason"] == "fewer than 3 full members work there"


def test_steps_out_of_order_are_conflicts(rules, committee):
    request = saved(submit(rules, committee))
    with pytest.raises(Conflict):
        request.elect_committee(rules, dt.date(2024, 3, 1), SECRETARY_ONLY)
    with pytest.raises(Conflict):
        request.confirm(dt.date(2024, 3, 1), "b")
    request.reject(dt.date(2024, 2, 1), "no unit")
    with pytest.raises(Conflict):
        request.approve(dt.date(2024, 2, 2))
    with pytest.raises(Conflict):
        request.reject(dt.date(2024, 2, 2), "again")

    request = approved(rules, committee)
    with pytest.raises(Conflict):
        request.approve(dt.date(2024, 2, 11))
    with pytest.raises(Conflict):
        request.reject(dt.date(2024, 2, 11), "changed our mind")
    request.elect_committee(rules, dt.date(2024, 3, 1), SECRETARY_ONLY)
    request.confirm(dt.date(2024, 3, 2), "b")
    with pytest.raises(Conflict):
        request.confirm(dt.date(2024, 3, 3), "b2")
    with pytest.raises(Conflict):
        request.elect_committee(rules, dt.date(2024, 3, 3), SECRETARY_ONLY)


def test_dates_follow_the_workflow(rules, committee):
    request = saved(submit(rules, committee))
    with pytest.raises(InvalidInput):
        request.approve(REQUESTED_ON - dt.timedelta(days=1))
    request = approved(rules, committee)
    with pytest.raises(InvalidInput, match="before the approval"):
        request.elect_committee(rules, dt.date(2024, 2, 9), SECRETARY_ONLY)
    request.elect_committee(rules, dt.date(2024, 2, 10), SECRETARY_ONLY)
    with pytest.raises(InvalidInput, match="before the founding meeting"):
        request.confirm(dt.date(2024, 2, 9), "b")


def test_the_founding_meeting_obeys_the_committee_rules(rules, committee):
    request = approved(rules, committee, full=6, probationary=0)
    with pytest.raises(RuleViolation) as refused:
        request.elect_committee(rules, dt.date(2024, 3, 1), COMMITTEE)
    assert refused.value.rule == "orgs.committee.min_full_members"
