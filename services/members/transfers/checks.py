"""What the Transfer aggregate checks about the organisations of a transfer
(as the members service knows them from orgs' events), and what a letter
records about dues. Pure."""
from shared.vocabulary import BRANCH_KINDS
from shared.errors import NotFound, RuleViolation

from ..checks import OrgView


def check_receiving_branch(to_org: OrgView | None, to_org_id: str, field: str = "to_org_id"):
    """The receiving organisation is known and an active branch or joint branch."""
    if to_org is None:
        raise NotFound(f"organisation {to_org_id} is not known to the members service", {field: to_org_id})
    if to_org.kind not in BRANCH_KINDS or to_org.status != "active":
        what = f"a {to_org.kind} ({to_org.status})" if to_org.kind else "not known as a branch yet"
        raise RuleViolation("members.transfer.receiving_branch",
                            f"a member is transferred to an active branch or joint branch; organisation "
                            f"{to_org.id} is {what}", {field: to_org.id})


def check_group(to_org: OrgView, group: OrgView | None, group_id: str, field: str):
    """The party group placed in is an active group inside the receiving branch."""
    if group is None or group.kind != "group" or group.status != "active" or group.parent_id != to_org.id:
        raise RuleViolation("members.transfer.receiving_branch",
                            f"organisation {group_id} is not an active party group of branch {to_org.id}",
                            {field: group_id})


def check_receiving(to_org: OrgView | None, to_group: OrgView | None, to_parent: OrgView | None,
                    to_org_id: str, to_group_id: str | None = None):
    """At the request: an active branch under an active parent (the committee
    that receives it), and the party group, if any, an active group in it."""
    check_receiving_branch(to_org, to_org_id)
    if to_parent is None or to_parent.status != "active":
        raise RuleViolation("members.transfer.receiving_authorised",
                            f"branch {to_org.id} has no active parent organisation to receive the transfer",
                            {"to_org_id": to_org.id})
    if to_group_id is not None:
        check_group(to_org, to_group, to_group_id, "to_group_id")


def dues_on_letter(clearance: dict | None, issuer_paid_up_to: str | None) -> dict:
    """The dues figures the letter records: the dues service's clearance if it
    answered, else the issuer's own record of the month paid up to, else
    unknown (the letter is issued anyway: dues never block it)."""
    if clearance is not None:
        return {"dues_paid_up_to": clearance.get("paid_up_to"), "dues_outstanding": clearance.get("outstanding"),
                "dues_settled": clearance.get("settled"), "dues_source": "dues_service"}
    if issuer_paid_up_to:
        return {"dues_paid_up_to": issuer_paid_up_to, "dues_outstanding": None, "dues_settled": None,
                "dues_source": "issuer"}
    return {"dues_paid_up_to": None, "dues_outstanding": None, "dues_settled": None, "dues_source": "unknown"}
