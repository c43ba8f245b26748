"""Pins on what a caller sees from the members checks (pure): the rule name,
the fields named (exact dict), the message text, and the boundary between
the refused case and the accepted one."""
import datetime as dt

import pytest

from services.members.checks import OrgView, check_branch, distinct, not_before
from shared.dates import not_future
from shared.errors import InvalidInput, RuleViolation

D = dt.date
BRANCH = OrgView(id="branch-a", kind="branch", status="active", parent_id="committee-1")
GROUP = OrgView(id="group-a", kind="group", status="active", parent_id="branch-a")


@pytest.mark.parametrize("kind, status, what", [
    ("committee", "active", "a committee (active)"),
    ("branch", "dissolved", "a branch (dissolved)"),
    (None, "active", "not known as a branch yet"),
])
def test_check_branch_refusal_names_the_rule_the_org_and_what_it_is(kind, status, what):
    org = OrgView(id="org-9", kind=kind, status=status)
    with pytest.raises(RuleViolation) as caught:
        check_branch(org, None)
    error = caught.value
    assert error.rule == "members.registration.active_branch"
    assert error.fields == {"org_id": "org-9"}
    assert error.message == ("a member belongs to an active branch or joint branch; "
                             f"organisation org-9 is {what}")
    assert error.to_dict() == {"code": "rule_violation", "rule": "members.registration.active_branch",
                               "message": error.message, "fields": {"org_id": "org-9"}}


@pytest.mark.parametrize("kind", ["branch", "joint_branch"])
def test_check_branch_accepts_an_active_branch_with_or_without_a_group(kind):
    branch = OrgView(id="branch-a", kind=kind, status="active")
    assert check_branch(branch, None) is None
    assert check_branch(branch, GROUP) is None


@pytest.mark.parametrize("group", [
    OrgView(id="group-x", kind="branch", status="active", parent_id="branch-a"),
    OrgView(id="group-x", kind="group", status="dissolved", parent_id="branch-a"),
    OrgView(id="group-x", kind="group", status="active", parent_id="branch-b"),
])
def test_check_branch_refuses_a_group_that_is_not_an_active_group_of_the_branch(group):
    with pytest.raises(RuleViolation) as caught:
        check_branch(BRANCH, group)
    error = caught.value
    assert error.rule == "members.registration.active_branch"
    assert error.fields == {"group_id": "group-x"}
    assert error.message == "organisation group-x is not an active party group of branch branch-a"
    assert str(error) == error.message


def test_not_future_refuses_tomorrow_and_accepts_today():
    today = D(2024, 6, 1)
    assert not_future(today, today, "joined_on") is None
    with pytest.raises(InvalidInput) as caught:
        not_future(D(2024, 6, 2), today, "joined_on")
    error = caught.value
    assert error.fields == {"joined_on": "2024-06-02"}
    assert error.message == "joined_on 2024-06-02 is in the future"
    assert error.to_dict() == {"code": "invalid_input", "message": "joined_on 2024-06-02 is in the future",
                               "fields": {"joined_on": "2024-06-02"}}


def test_not_before_refuses_the_day_before_and_accepts_the_same_day():
    earlier = D(2024, 3, 10)
    assert not_before(earlier, earlier, "the meeting", "approved_on") is None
    assert not_before(D(2024, 3, 9), None, "the meeting", "approved_on") is None
    with pytest.raises(InvalidInput) as caught:
        not_before(D(2024, 3, 9), earlier, "the meeting", "approved_on")
    error = caught.value
    assert error.fields == {"approved_on": "2024-03-09"}
    assert error.message == "approved_on 2024-03-09 is before the meeting (2024-03-10)"
    assert str(error) == error.message


def test_distinct_refuses_a_repeated_id_naming_the_field():
    assert distinct([], "sponsor_ids") is None
    assert distinct(["m-1", "m-2"], "sponsor_ids") is None
    with pytest.raises(InvalidInput) as caught:
        distinct(["m-1", "m-2", "m-1"], "sponsor_ids")
    error = caught.value
    assert error.fields == {"sponsor_ids": "duplicates"}
    assert error.message == "a member is listed twice"
    assert error.to_dict() == {"code": "invalid_input", "message": "a member is listed twice",
                               "fields": {"sponsor_ids": "duplicates"}}
