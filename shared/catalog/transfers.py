"""Events of transfers of organisational relationship (DOMAIN.md §3),
published by the members service on the ``members.events`` exchange.

Two streams take part:

- the **member** (aggregate ``member``): ``members.transfer_opened``,
  ``members.transfer_closed`` and ``members.transfer_completed``. Like every
  ``members.*`` event they carry the member's state after them
  (``MemberStateSchema``). ``members.transfer_completed`` is the only event
  that changes a member's branch: a member belongs to exactly one branch at
  every moment, the sending one until that event.
- the **transfer** (aggregate ``transfer``): the workflow, ``transfers.*``.
  Every payload carries ``TransferStateSchema``: the member, both branches and
  the transfer's state after the event, so a consumer can upsert its row of
  the transfer from any one of them with ``shared.inbox.advance_version``.

Why ``transfers.*`` and not ``members.transfer_*`` for the workflow: the
consumers of ``members.#`` (orgs' roster, dues' accounts) read every such
event as a state of the member whose id is its ``aggregate_id``; a transfer's
events are not. Their own prefix keeps them off ``members.#`` (bind
``transfers.#`` on ``members.events`` to follow them) while the routing key is
still the event type. Dates are ISO dates; months are "YYYY-MM".
"""
from marshmallow import Schema, fields, validate

from ..contracts.transfers import DUES_SOURCES, GROUNDS, SCOPES, SIDES, TRANSFER_STATES
from . import catalog
from .members import MemberStateSchema

CLOSED_OUTCOMES = ("withdrawn", "rejected", "cancelled")


def _date(allow_none=False):
    return fields.Date(required=True, allow_none=allow_none)


def _text(allow_none=True):
    return fields.String(required=True, allow_none=allow_none)


def _id(allow_none=False):
    return fields.String(required=True, allow_none=allow_none)


# ---- on the member's stream ---------------------------------------------------------

@catalog.event("members.transfer_opened", 1)
class MemberTransferOpened(MemberStateSchema):
    """A transfer of the member was requested: the member stays in the sending
    branch (``org_id``) and no other transfer can be opened until it closes."""
    transfer_id = _id()
    to_org_id = _id()
    opened_on = _date()


@catalog.event("members.transfer_closed", 1)
class MemberTransferClosed(MemberStateSchema):
    """The open transfer ended without moving the member (withdrawn, rejected,
    or cancelled); the member stays where they were."""
    transfer_id = _id()
    outcome = fields.String(required=True, validate=validate.OneOf(CLOSED_OUTCOMES))
    closed_on = _date()


@catalog.event("members.transfer_completed", 1)
class MemberTransferCompleted(MemberStateSchema):
    """The member now belongs to the receiving branch (``org_id``, and the
    party group ``group_id``); the dues account moves with them."""
    transfer_id = _id()
    from_org_id = _id()
    from_group_id = _id(allow_none=True)
    completed_on = _date()


# ---- on the transfer's stream -----------------------------------------------------

class TransferStateSchema(Schema):
    """The transfer after the event."""
    member_id = _id()
    from_org_id = _id()
    to_org_id = _id()
    state = fields.String(required=True, validate=validate.OneOf(TRANSFER_STATES))


class _Step(TransferStateSchema):
    decided_by = _text()
    note = _text()


class _Letter(_Step):
    number = fields.Integer(required=True)
    reference = _text()
    issued_on = _date()
    valid_until = _date()
    rules_version = fields.String(required=True)
    dues_paid_up_to = _text()
    dues_outstanding = _text()
    dues_settled = fields.Boolean(required=True, allow_none=True)
    dues_source = fields.String(required=True, validate=validate.OneOf(DUES_SOURCES))


@catalog.event("transfers.requested", 1)
class TransferRequested(TransferStateSchema):
    """A transfer was requested; the parents are the branches' parent
    organisations at the time (committees see their branches' transfers)."""
    member_name = fields.String(required=True)
    from_group_id = _id(allow_none=True)
    from_parent_id = _id(allow_none=True)
    to_parent_id = _id(allow_none=True)
    to_group_id = _id(allow_none=True)
    scope = fields.String(required=True, validate=validate.OneOf(SCOPES))
    grounds = fields.String(required=True, validate=validate.OneOf(GROUNDS))
    reason = _text()
    requested_on = _date()


@catalog.event("transfers.approved", 1)
class TransferApproved(_Step):
    """The sending side approved the transfer."""
    approved_on = _date()


@catalog.event("transfers.returned", 1)
class TransferReturned(_Step):
    """The sending side returned the request for correction."""
    reason = fields.String(required=True)
    returned_on = _date()


@catalog.event("transfers.resubmitted", 1)
class TransferResubmitted(_Step):
    """The corrected request (the receiving branch may have changed)."""
    to_parent_id = _id(allow_none=True)
    to_group_id = _id(allow_none=True)
    scope = fields.String(required=True, validate=validate.OneOf(SCOPES))
    grounds = fields.String(required=True, validate=validate.OneOf(GROUNDS))
    reason = _text()
    resubmitted_on = _date()


@catalog.event("transfers.withdrawn", 1)
class TransferWithdrawn(_Step):
    reason = _text()
    withdrawn_on = _date()


@catalog.event("transfers.rejected", 1)
class TransferRejected(_Step):
    """Refused, with its reason, by the sending side (before the letter) or the
    receiving side (after it)."""
    reason = fields.String(required=True)
    side = fields.String(required=True, validate=validate.OneOf(SIDES))
    rejected_on = _date()


@catalog.event("transfers.letter_issued", 1)
class LetterIssued(_Letter):
    """The transfer letter (介绍信), valid until ``valid_until``, with the month
    dues are paid up to and the arrears, as far as they are known."""


@catalog.event("transfers.letter_reissued", 1)
class LetterReissued(_Letter):
    """A new letter replacing an expired one."""


@catalog.event("transfers.letter_expired", 1)
class LetterExpired(TransferStateSchema):
    """The letter's ``valid_until`` passed before the receiving side accepted it."""
    number = fields.Integer(required=True)
    valid_until = _date()
    expired_on = _date()


@catalog.event("transfers.accepted", 1)
class TransferAccepted(_Step):
    """The receiving side accepted the letter; the member reports in by
    ``report_due_on``."""
    accepted_on = _date()
    report_due_on = _date()
    rules_version = fields.String(required=True)


@catalog.event("transfers.report_overdue", 1)
class ReportOverdue(TransferStateSchema):
    """An alert: the member had not reported in by ``report_due_on``."""
    report_due_on = _date()
    flagged_on = _date()


@catalog.event("transfers.reported_in", 1)
class TransferReportedIn(_Step):
    """The member reported in and is placed in the receiving branch (and a
    party group); completion follows."""
    reported_on = _date()
    placed_group_id = _id(allow_none=True)


@catalog.event("transfers.completed", 1)
class TransferCompleted(_Step):
    """The receipt was returned: the member belongs to the receiving branch
    (``members.transfer_completed`` on the member, in the same transaction)."""
    completed_on = _date()
    placed_group_id = _id(allow_none=True)


@catalog.event("transfers.cancelled", 1)
class TransferCancelled(TransferStateSchema):
    """The platform cancelled the transfer (the receiving branch was dissolved,
    or the member can no longer move); the member stays where they were."""
    reason = fields.String(required=True)
    cancelled_on = _date()
