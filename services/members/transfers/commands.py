"""Command handlers of transfers: load the transfer (and the member, where
the step concerns them), read the organisations from ``known_orgs`` (the
projection of orgs' events), pick the rule set in force on the step's date,
call the domain, save; each runs in the caller's unit of work, so a step
that changes both streams (request, withdraw, reject, cancel, complete)
commits both or neither. Arguments are the validated fields of the schemas
in shared.contracts.transfers; ``today`` fills the dates a caller left out.

The steps the platform takes by itself (expire a letter, flag a missed
report-in, complete after a report-in, cancel when the receiving branch is
dissolved) are idempotent: they return False and record nothing when there
is nothing (left) to do."""
import datetime as dt
import logging
import uuid
from functools import partial

from shared.contracts.transfers import TRANSFER_ACTIONS
from shared.errors import Conflict, NotFound

from ..org_replica import org_view
from .checks import dues_on_letter
from .domain import Transfer
from .member import TransferringMember
from .rules import transfer_rules_in_force
from .serials import next_letter_serial

log = logging.getLogger(__name__)

MEMBER_GONE = "the member is no longer a member ({status})"
RECEIVING_GONE = "the receiving branch {org_id} is no longer active"


def new_id() -> str:
    return str(uuid.uuid4())


def _org(conn, org_id: str | None, lock: bool = False):
    return None if org_id is None else org_view(conn, org_id, lock=lock)


def load_transfer(uow, transfer_id: str, expected_version: int | None = None) -> Transfer:
    transfer = uow.find(Transfer, transfer_id)
    if transfer is None or not transfer.created:
        raise NotFound(f"transfer {transfer_id} does not exist", {"id": transfer_id})
    if expected_version is not None and expected_version != transfer.version:
        raise Conflict(f"transfer {transfer_id} is at version {transfer.version}, not {expected_version}; "
                       "reload and try again", {"expected_version": expected_version})
    return transfer


def _load_member(uow, member_id: str, field: str = "member_id") -> TransferringMember:
    member = uow.find(TransferringMember, member_id)
    if member is None or not member.created:
        raise NotFound(f"member {member_id} does not exist", {field: member_id})
    return member


def _receiving(conn, to_org_id: str, to_group_id: str | None):
    """(branch, its parent, the party group) as the members service knows them;
    the branch row stays locked until commit, so a dissolution of it that
    is being projected waits for this transaction (or this one sees it)."""
    to_org = _org(conn, to_org_id, lock=True)
    to_parent = _org(conn, to_org.parent_id) if to_org is not None else None
    return to_org, to_parent, _org(conn, to_group_id)


# ---- requested, and the sending side's steps ----------------------------------------------

def request_transfer(uow, *, today: dt.date, member_id: str, to_org_id: str, scope: str, grounds: str,
                     to_group_id: str | None = None, reason: str | None = None,
                     requested_on: dt.date | None = None) -> str:
    member = _load_member(uow, member_id)
    from_org = _org(uow.conn, member.org_id)
    to_org, to_parent, to_group = _receiving(uow.conn, to_org_id, to_group_id)
    on = requested_on or today
    transfer = Transfer.request(new_id(), today=today, member=member, from_org=from_org,
                                from_parent_id=from_org.parent_id if from_org else None, to_org=to_org,
                                to_group=to_group, to_parent=to_parent, to_org_id=to_org_id,
                                to_group_id=to_group_id, scope=scope, grounds=grounds, reason=reason,
                                requested_on=on)
    member.open_transfer(transfer.id, to_org_id=to_org_id, opened_on=on)
    uow.save(member)  # first: a concurrent request of the same member loses here (409)
    uow.save(transfer)
    return transfer.id


def approve(uow, transfer: Transfer, *, today, approved_on=None, **step):
    transfer.approve(today=today, approved_on=approved_on or today, **step)


def return_for_correction(uow, transfer: Transfer, *, today, reason, returned_on=None, **step):
    transfer.return_for_correction(today=today, returned_on=returned_on or today, reason=reason, **step)


def resubmit(uow, transfer: Transfer, *, today, resubmitted_on=None, decided_by=None, note=None, **changes):
    """Fields not given stay as they were; a new receiving branch drops the
    party group unless one is given."""
    to_org_id = changes.get("to_org_id", transfer.to_org_id)
    default_group = transfer.to_group_id if to_org_id == transfer.to_org_id else None
    to_group_id = changes.get("to_group_id", default_group)
    to_org, to_parent, to_group = _receiving(uow.conn, to_org_id, to_group_id)
    transfer.resubmit(today=today, resubmitted_on=resubmitted_on or today, to_org=to_org, to_group=to_group,
                      to_parent=to_parent, to_org_id=to_org_id, to_group_id=to_group_id,
                      scope=changes.get("scope", transfer.scope), grounds=changes.get("grounds", transfer.grounds),
                      reason=changes.get("reason", transfer.reason), decided_by=decided_by, note=note)


def _close(uow, transfer: Transfer, outcome: str, closed_on: dt.date):
    member = _load_member(uow, transfer.member_id)
    member.close_transfer(transfer.id, outcome=outcome, closed_on=closed_on)
    uow.save(member)


def withdraw(uow, transfer: Transfer, *, today, withdrawn_on=None, reason=None, **step):
    transfer.withdraw(today=today, withdrawn_on=withdrawn_on or today, reason=reason, **step)
    _close(uow, transfer, "withdrawn", transfer.last_on)


def reject(uow, transfer: Transfer, *, today, reason, rejected_on=None, **step):
    transfer.reject(today=today, rejected_on=rejected_on or today, reason=reason, **step)
    _close(uow, transfer, "rejected", transfer.last_on)


def issue_letter(uow, transfer: Transfer, *, today, clearance=None, issued_on=None, dues_paid_up_to=None,
                 **letter):
    """``clearance``: what the dues service answered (None if it could not)."""
    on = issued_on or today
    transfer.issue_letter(transfer_rules_in_force(on), today=today, issued_on=on,
                          dues=dues_on_letter(clearance, dues_paid_up_to),
                          serial=partial(next_letter_serial, uow.conn), **letter)


def reissue_letter(uow, transfer: Transfer, *, today, clearance=None, issued_on=None, dues_paid_up_to=None,
                   **letter):
    on = issued_on or today
    transfer.reissue_letter(transfer_rules_in_force(on), today=today, issued_on=on,
                            dues=dues_on_letter(clearance, dues_paid_up_to),
                            serial=partial(next_letter_serial, uow.conn), **letter)


# ---- the receiving side -------------------------------------------------------------------

def accept(uow, transfer: Transfer, *, today, accepted_on=None, **step):
    on = accepted_on or today
    transfer.accept(transfer_rules_in_force(on), today=today, accepted_on=on,
                    to_org=_org(uow.conn, transfer.to_org_id), **step)


def report_in(uow, transfer: Transfer, *, today, reported_on=None, group_id=None, **step):
    placed = group_id or transfer.to_group_id
    transfer.report_in(today=today, reported_on=reported_on or today, to_org=_org(uow.conn, transfer.to_org_id),
                       group=_org(uow.conn, placed), group_id=group_id, **step)


def complete(uow, transfer: Transfer, *, today, completed_on=None, decided_by=None, note=None) -> str:
    """The receipt: the transfer completes and, in the same transaction, the
    member moves to the receiving branch (``members.transfer_completed``).
    If the move can no longer happen (the receiving branch was dissolved,
    the member is gone), the transfer is cancelled instead and the member
    stays in the sending branch. A completed transfer is left as it is.
    Returns the outcome: completed, already_completed or cancelled."""
    if transfer.state == "completed":
        return "already_completed"
    transfer.require_state("reported_in", "completed")
    member = _load_member(uow, transfer.member_id)
    to_org = _org(uow.conn, transfer.to_org_id, lock=True)
    on = max(completed_on or today, transfer.last_on)
    problem = None
    if member.gone:
        problem = MEMBER_GONE.format(status=member.status)
    elif to_org is None or to_org.status != "active":
        problem = RECEIVING_GONE.format(org_id=transfer.to_org_id)
    if problem is not None:
        transfer.cancel(cancelled_on=on, reason=problem)
        member.close_transfer(transfer.id, outcome="cancelled", closed_on=on)
        outcome = "cancelled"
    else:
        group = _org(uow.conn, transfer.placed_group_id)
        placed = transfer.placed_group_id if group is not None and group.status == "active" and \
            group.parent_id == transfer.to_org_id else None  # a dissolved group: placed in the branch
        transfer.complete(completed_on=on, placed_group_id=placed, decided_by=decided_by, note=note)
        member.complete_transfer(transfer.id, to_org_id=transfer.to_org_id, group_id=placed, completed_on=on)
        outcome = "completed"
    uow.save(member)
    return outcome


ACTIONS = {
    "approve": approve, "return-for-correction": return_for_correction, "resubmit": resubmit,
    "withdraw": withdraw, "reject": reject, "issue-letter": issue_letter, "reissue-letter": reissue_letter,
    "accept": accept, "report-in": report_in, "complete": complete,
}
"""action -> handler(uow, transfer, today=..., **fields); the handler saves the
member when the step concerns it, ``transfer_step`` saves the transfer."""
LETTER_ACTIONS = ("issue-letter", "reissue-letter")
"""Actions whose handler takes the dues service's ``clearance``."""

assert set(ACTIONS) == set(TRANSFER_ACTIONS), "every published action has a handler"


def transfer_step(uow, transfer_id: str, action: str, *, today: dt.date, expected_version: int | None = None,
                  **fields):
    """Run one action (a key of TRANSFER_ACTIONS) with its validated fields."""
    if action not in ACTIONS:
        raise NotFound(f"transfer action {action[:60]!r} does not exist", {"action": action[:60]})
    transfer = load_transfer(uow, transfer_id, expected_version)
    result = ACTIONS[action](uow, transfer, today=today, **fields)
    uow.save(transfer)
    return result


# ---- what the platform does by itself -----------------------------------------------------

def expire_letter(uow, transfer_id: str, *, today: dt.date) -> bool:
    transfer = load_transfer(uow, transfer_id)
    if not transfer.expire_letter(today):
        return False
    uow.save(transfer)
    return True


def flag_report_overdue(uow, transfer_id: str, *, today: dt.date) -> bool:
    transfer = load_transfer(uow, transfer_id)
    if not transfer.flag_report_overdue(today):
        return False
    uow.save(transfer)
    return True


def _why_not_moved(member, branch_id: str) -> str | None:
    if member is None or not member.created:
        return "unknown"
    if member.gone:
        return member.status
    if member.org_id == branch_id:
        return "already there"
    if member.open_transfer_id is not None:
        return f"transfer {member.open_transfer_id} under way"
    return None


def move_founders(uow, branch_id: str, *, parent_id: str, member_ids: list[str], founded_on: dt.date,
                  founding_request_id: str) -> list[str]:
    """The founding members named by their records move into the branch just
    founded, all in this one transaction: each is in exactly one branch at
    every moment. One already there, gone, or with a transfer of their own
    under way stays where they are (and is not returned)."""
    moved = []
    for member_id in member_ids:
        member = uow.find(TransferringMember, member_id)
        staying = _why_not_moved(member, branch_id)
        if staying:
            log.warning("founding %s: member %s is not moved into branch %s (%s)", founding_request_id, member_id,
                        branch_id, staying)
            continue
        from_org = _org(uow.conn, member.org_id)
        transfer = Transfer.move_founder(new_id(), member=member,
                                         from_parent_id=from_org.parent_id if from_org else None,
                                         branch_id=branch_id, branch_parent_id=parent_id, founded_on=founded_on,
                                         founding_request_id=founding_request_id)
        member.open_transfer(transfer.id, to_org_id=branch_id, opened_on=founded_on)
        member.complete_transfer(transfer.id, to_org_id=branch_id, group_id=None, completed_on=founded_on)
        uow.save(member)
        uow.save(transfer)
        moved.append(member_id)
    return moved


def complete_reported_in(uow, transfer_id: str, *, today: dt.date) -> str | None:
    """The saga's completion step; None if the transfer is not reported in
    (completed already, or closed)."""
    transfer = load_transfer(uow, transfer_id)
    if transfer.state != "reported_in":
        return None
    outcome = complete(uow, transfer, today=today)
    uow.save(transfer)
    return outcome


def cancel_transfer(uow, transfer_id: str, *, today: dt.date, reason: str | None = None) -> bool:
    """Compensation: the transfer cannot go on; the member stays where they
    are. The reason defaults to the receiving branch being gone."""
    transfer = load_transfer(uow, transfer_id)
    if transfer.final:
        return False
    on = max(today, transfer.last_on)
    transfer.cancel(cancelled_on=on, reason=reason or RECEIVING_GONE.format(org_id=transfer.to_org_id))
    _close(uow, transfer, "cancelled", on)
    uow.save(transfer)
    return True
