"""The transfer saga's process manager: what the platform does by itself
between the people's steps, each step idempotent.

- ``transfers.reported_in`` -> complete (the member moves, one transaction
  with the transfer's completion), through the inbox: a redelivered event,
  or one delivered again after the service was killed midway, completes
  nothing twice;
- ``orgs.org_dissolved`` -> cancel the open transfers into that branch (the
  member stays in the sending branch): compensation;
- the sweep (a timer, and an RPC with an explicit ``as_of``): expire letters
  past ``valid_until``, flag transfers whose member has not reported in within
  the window, and finish what an event should have finished (complete a
  reported-in transfer, cancel one into a dissolved branch), so that nothing
  is left half-done even if an event was dead-lettered.

No nameko here: ``unit_of_work(context)`` and ``read()`` are given by the
service (``EventSourcing``'s units of work and connections)."""
import datetime as dt
import logging

from shared.errors import DomainError
from shared.inbox import record_once
from shared.retry import retry_conflicts

from . import commands as commands
from . import queries as queries

log = logging.getLogger(__name__)

COMPLETION_CONSUMER = "members.transfer_completion"
DISSOLUTION_CONSUMER = "members.transfer_dissolution"
FOUNDING_CONSUMER = "members.founding_moves"


def sweep_actions(rows, today: dt.date) -> list[tuple[str, str]]:
    """(action, transfer_id) for each row of ``transfers.queries.sweep_candidates``
    that needs one on ``today``. Pure."""
    actions = []
    for row in rows:
        if row.state == "letter_issued" and row.valid_until is not None and today > row.valid_until:
            actions.append(("expire_letter", row.id))
        elif row.state == "accepted" and row.report_due_on is not None and today > row.report_due_on:
            actions.append(("flag_report_overdue", row.id))
        elif row.state == "reported_in":
            actions.append(("complete", row.id))
    return actions


def _sweep_step(uow, action: str, transfer_id: str, today: dt.date):
    if action == "expire_letter":
        return commands.expire_letter(uow, transfer_id, today=today)
    if action == "flag_report_overdue":
        return commands.flag_report_overdue(uow, transfer_id, today=today)
    if action == "complete":
        return commands.complete_reported_in(uow, transfer_id, today=today)
    return commands.cancel_transfer(uow, transfer_id, today=today)


RESULT_KEYS = {"expire_letter": "letters_expired", "flag_report_overdue": "reports_overdue", "cancel": "cancelled"}
"""Where a step that did something is listed (``complete`` is listed by its
outcome: completed, or cancelled when the move could no longer happen)."""


def run_sweep(unit_of_work, read, today: dt.date) -> dict:
    """One pass of the sweep as of ``today``; each transfer in its own
    transaction. A step that loses a race or is refused is left for the
    next pass. Returns what was done."""
    with read() as conn:
        actions = sweep_actions(queries.sweep_candidates(conn, today), today)
        actions += [("cancel", transfer_id) for transfer_id in queries.pending_into_dissolved(conn)]
    result = {"as_of": today, "letters_expired": [], "reports_overdue": [], "completed": [], "cancelled": []}
    for action, transfer_id in actions:
        def step(action=action, transfer_id=transfer_id):
            with unit_of_work(None) as uow:
                return _sweep_step(uow, action, transfer_id, today)
        try:
            done = retry_conflicts(step)
        except DomainError as exc:
            log.warning("transfer sweep: %s of %s refused (%s); next pass", action, transfer_id, exc)
            continue
        key = done if action == "complete" else RESULT_KEYS[action]
        if done and key in result:
            result[key].append(transfer_id)
    return result


def on_reported_in(unit_of_work, envelope, today: dt.date) -> str | None:
    """Complete the transfer that was reported in; the inbox record commits
    with the completion, so it happens once however often the event comes."""
    def handle():
        with unit_of_work(envelope) as uow:
            if not record_once(uow.conn, COMPLETION_CONSUMER, envelope.event_id):
                return None
            return commands.complete_reported_in(uow, envelope.aggregate_id, today=today)
    return retry_conflicts(handle)


def on_branch_founded(unit_of_work, envelope) -> list[str]:
    """Move the founding members named by their records into the branch
    founded from them (``founding_member_ids``), in one transaction with the
    inbox record: once however often the event comes."""
    p = envelope.payload
    if not p.get("founding_member_ids"):
        return []

    def handle():
        with unit_of_work(envelope) as uow:
            if not record_once(uow.conn, FOUNDING_CONSUMER, envelope.event_id):
                return []
            return commands.move_founders(uow, envelope.aggregate_id, parent_id=p["parent_id"],
                                          member_ids=p["founding_member_ids"], founded_on=p["founded_on"],
                                          founding_request_id=p["founding_request_id"])
    return retry_conflicts(handle)


def on_org_dissolved(unit_of_work, envelope, today: dt.date) -> list[str]:
    """Cancel every open transfer into the dissolved organisation, all in one
    transaction with the inbox record."""
    def handle():
        with unit_of_work(envelope) as uow:
            if not record_once(uow.conn, DISSOLUTION_CONSUMER, envelope.event_id):
                return []
            reason = commands.RECEIVING_GONE.format(org_id=envelope.aggregate_id)
            return [transfer_id for transfer_id in queries.pending_into(uow.conn, envelope.aggregate_id)
                    if commands.cancel_transfer(uow, transfer_id, today=today, reason=reason)]
    return retry_conflicts(handle)
