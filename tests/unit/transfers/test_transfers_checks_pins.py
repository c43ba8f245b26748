"""Pins on what a caller sees from the transfer checks (pure): the error type,
the rule name, the fields named (exact dict), the message text, and the
neighbouring case that is accepted."""
import pytest

from services.members.checks import OrgView
from services.members.transfers.checks import check_group, check_receiving, check_receiving_branch
from shared.errors import NotFound, RuleViolation

BRANCH_B = OrgView(id="branch-b", kind="branch", status="active", parent_id="committee-2")
COMMITTEE = OrgView(id="committee-2", kind="committee", status="active")
GROUP_B = OrgView(id="group-b", kind="group", status="active", parent_id="branch-b")


def test_an_unknown_receiving_org_is_not_found_under_the_default_field():
    with pytest.raises(NotFound) as caught:
        check_receiving_branch(None, "branch-z")
    error = caught.value
    assert error.fields == {"to_org_id": "branch-z"}
    assert error.message == "organisation branch-z is not known to the members service"
    assert error.to_dict() == {"code": "not_found", "fields": {"to_org_id": "branch-z"},
                               "message": "organisation branch-z is not known to the members service"}


def test_an_unknown_receiving_org_is_not_found_under_the_given_field():
    with pytest.raises(NotFound) as caught:
        check_receiving_branch(None, "branch-z", field="org_id")
    assert caught.value.fields == {"org_id": "branch-z"}


@pytest.mark.parametrize("kind, status, what", [
    ("committee", "active", "a committee (active)"),
    ("joint_branch", "dissolved", "a joint_branch (dissolved)"),
    (None, "active", "not known as a branch yet"),
])
def test_a_receiving_org_that_is_not_an_active_branch_is_refused(kind, status, what):
    org = OrgView(id="org-9", kind=kind, status=status)
    with pytest.raises(RuleViolation) as caught:
        check_receiving_branch(org, "org-9")
    error = caught.value
    assert error.rule == "members.transfer.receiving_branch"
    assert error.fields == {"to_org_id": "org-9"}
    assert error.message == ("a member is transferred to an active branch or joint branch; "
                             f"organisation org-9 is {what}")
    assert error.to_dict() == {"code": "rule_violation", "rule": "members.transfer.receiving_branch",
                               "message": error.message, "fields": {"to_org_id": "org-9"}}


def test_the_refusal_names_the_given_field():
    org = OrgView(id="org-9", kind="committee", status="active")
    with pytest.raises(RuleViolation) as caught:
        check_receiving_branch(org, "org-9", field="org_id")
    assert caught.value.fields == {"org_id": "org-9"}


@pytest.mark.parametrize("kind", ["branch", "joint_branch"])
def test_an_active_branch_or_joint_branch_receives(kind):
    assert check_receiving_branch(OrgView(id="b", kind=kind, status="active"), "b") is None


@pytest.mark.parametrize("group", [
    None,
    OrgView(id="group-x", kind="branch", status="active", parent_id="branch-b"),
    OrgView(id="group-x", kind="group", status="dissolved", parent_id="branch-b"),
    OrgView(id="group-x", kind="group", status="active", parent_id="branch-a"),
])
def test_check_group_refuses_what_is_not_an_active_group_of_the_branch(group):
    with pytest.raises(RuleViolation) as caught:
        check_group(BRANCH_B, group, "group-x", "placed_group_id")
    error = caught.value
    assert error.rule == "members.transfer.receiving_branch"
    assert error.fields == {"placed_group_id": "group-x"}
    assert error.message == "organisation group-x is not an active party group of branch branch-b"
    assert str(error) == error.message


def test_check_group_accepts_an_active_group_of_the_branch():
    assert check_group(BRANCH_B, GROUP_B, "group-b", "placed_group_id") is None


def test_check_receiving_reports_an_unknown_org_under_its_id():
    with pytest.raises(NotFound) as caught:
        check_receiving(None, None, COMMITTEE, "branch-z")
    assert caught.value.fields == {"to_org_id": "branch-z"}
    assert caught.value.message == "organisation branch-z is not known to the members service"


@pytest.mark.parametrize("parent", [None, OrgView(id="committee-2", kind="committee", status="dissolved")])
def test_check_receiving_needs_an_active_parent(parent):
    with pytest.raises(RuleViolation) as caught:
        check_receiving(BRANCH_B, None, parent, "branch-b")
    error = caught.value
    assert error.rule == "members.transfer.receiving_authorised"
    assert error.fields == {"to_org_id": "branch-b"}
    assert error.message == "branch branch-b has no active parent organisation to receive the transfer"
    assert error.to_dict() == {"code": "rule_violation", "rule": "members.transfer.receiving_authorised",
                               "message": error.message, "fields": {"to_org_id": "branch-b"}}


def test_check_receiving_checks_the_group_only_when_one_is_named():
    assert check_receiving(BRANCH_B, None, COMMITTEE, "branch-b") is None
    assert check_receiving(BRANCH_B, GROUP_B, COMMITTEE, "branch-b", "group-b") is None
    with pytest.raises(RuleViolation) as caught:
        check_receiving(BRANCH_B, None, COMMITTEE, "branch-b", "group-x")
    error = caught.value
    assert error.rule == "members.transfer.receiving_branch"
    assert error.fields == {"to_group_id": "group-x"}
