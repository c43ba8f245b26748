"""Events of transfers of organisational relationship (docs/domain.md §3),
published by the members service on the ``members.events`` exchange.

Two streams take part:

- the **member** (aggregate ``member``): ``members.transfer_opened``,
  ``members.transfer_closed`` and ``members.transfer_completed``. Like every
  ``members.*`` event they carry the member's state after them
  (``MemberState``). ``members.transfer_completed`` is the only event
  that changes a member's branch: a member belongs to exactly one branch at
  every moment, the sending one until that event.
- the **transfer** (aggregate ``transfer``): the workflow, ``transfers.*``.
  Every payload carries ``TransferState``: the member, both branches and
  the transfer's state after the event, so a consumer can upsert its row of
  the transfer from any one of them with ``shared.inbox.advance_version``.

Why ``transfers.*`` and not ``members.transfer_*`` for the workflow: the
consumers of ``members.#`` (orgs' roster, dues' accounts) read every such
event as a state of the member whose id is its ``aggregate_id``; a transfer's
events are not. Their own prefix keeps them off ``members.#`` (bind
``transfers.#`` on ``members.events`` to follow them) while the routing key is
still the event type. Dates are ISO dates; months are "YYYY-MM".
"""
from marshmallow import fields, validate

from ..vocabulary import DUES_SOURCES, GROUNDS, PLATFORM_GROUNDS, SCOPES, SIDES, TRANSFER_STATES
from ..event import Event
from .registry import catalog
from .members import MemberState

CLOSED_OUTCOMES = ("withdrawn", "rejected", "cancelled")


def _date(allow_none=False):
    return fields.Date(required=True, allow_none=allow_none)


def _text(allow_none=True):
    return fields.String(required=True, allow_none=allow_none)


def _id(allow_none=False):
    return fields.String(required=True, allow_none=allow_none)


# ---- on the member's stream ---------------------------------------------------------

@catalog.register
class MemberTransferOpened(MemberState):
    """A transfer of the member was requested: the member stays in the sending
    branch (``org_id``) and no other transfer can be opened until it closes."""
    event_type = "members.transfer_opened"
    transfer_id = _id()
    to_org_id = _id()
    opened_on = _date()


@catalog.register
class MemberTransferClosed(MemberState):
    """The open transfer ended without moving the member (withdrawn, rejected,
    or cancelled); the member stays where they were."""
    event_type = "members.transfer_closed"
    transfer_id = _id()
    outcome = fields.String(required=True, validate=validate.OneOf(CLOSED_OUTCOMES))
    closed_on = _date()


@catalog.register
class MemberTransferCompleted(MemberState):
    """The member now belongs to the receiving branch (``org_id``, and the
    party group ``group_id``); the dues account moves with them."""
    event_type = "members.transfer_completed"
    transfer_id = _id()
    from_org_id = _id()
    from_group_id = _id(allow_none=True)
    completed_on = _date()


# ---- on the transfer's stream -----------------------------------------------------

class TransferState(Event):
    """The transfer after the event."""
    member_id = _id()
    from_org_id = _id()
    to_org_id = _id()
    state = fields.String(required=True, validate=validate.OneOf(TRANSFER_STATES))


class _Step(TransferState):
    decided_by = _text()
    note = _text()


class _Letter(_Step):
    """v2: the letter's ``serial`` in its issuer's numbering (``issuer_id``:
    the committee above the sending branch), per year."""
    event_version = 2
    number = fields.Integer(required=True)
    serial = _text()
    issuer_id = _id(allow_none=True)
    reference = _text()
    issued_on = _date()
    valid_until = _date()
    rules_version = fields.String(required=True)
    dues_paid_up_to = _text()
    dues_outstanding = _text()
    dues_settled = fields.Boolean(required=True, allow_none=True)
    dues_source = fields.String(required=True, validate=validate.OneOf(DUES_SOURCES))

    @staticmethod
    def upcast_v1_v2(payload: dict) -> dict:
        """A letter issued before serials: none (it was numbered per transfer only)."""
        return {**payload, "serial": None, "issuer_id": None}


@catalog.register
class TransferRequested(TransferState):
    """A transfer was requested; the parents are the branches' parent
    organisations at the time (committees see their branches' transfers)."""
    event_type = "transfers.requested"
    member_name = fields.String(required=True)
    from_group_id = _id(allow_none=True)
    from_parent_id = _id(allow_none=True)
    to_parent_id = _id(allow_none=True)
    to_group_id = _id(allow_none=True)
    scope = fields.String(required=True, validate=validate.OneOf(SCOPES))
    grounds = fields.String(required=True, validate=validate.OneOf(GROUNDS + PLATFORM_GROUNDS))
    reason = _text()
    requested_on = _date()


@catalog.register
class TransferApproved(_Step):
    """The sending side approved the transfer."""
    event_type = "transfers.approved"
    approved_on = _date()


@catalog.register
class TransferReturned(_Step):
    """The sending side returned the request for correction."""
    event_type = "transfers.returned"
    reason = fields.String(required=True)
    returned_on = _date()


@catalog.register
class TransferResubmitted(_Step):
    """The corrected request (the receiving branch may have changed)."""
    event_type = "transfers.resubmitted"
    to_parent_id = _id(allow_none=True)
    to_group_id = _id(allow_none=True)
    scope = fields.String(required=True, validate=validate.OneOf(SCOPES))
    grounds = fields.String(required=True, validate=validate.OneOf(GROUNDS))
    reason = _text()
    resubmitted_on = _date()


@catalog.register
class TransferWithdrawn(_Step):
    event_type = "transfers.withdrawn"
    reason = _text()
    withdrawn_on = _date()


@catalog.register
class TransferRejected(_Step):
    """Refused, with its reason, by the sending side (before the letter) or the
    receiving side (after it)."""
    event_type = "transfers.rejected"
    reason = fields.String(required=True)
    side = fields.String(required=True, validate=validate.OneOf(SIDES))
    rejected_on = _date()


@catalog.register
class LetterIssued(_Letter):
    """The transfer letter (介绍信), valid until ``valid_until``, with the month
    dues are paid up to and the arrears, as far as they are known."""
    event_type = "transfers.letter_issued"


@catalog.register
class LetterReissued(_Letter):
    """A new letter replacing an expired one."""
    event_type = "transfers.letter_reissued"


@catalog.register
class LetterExpired(TransferState):
    """The letter's ``valid_until`` passed before the receiving side accepted it."""
    event_type = "transfers.letter_expired"
    number = fields.Integer(required=True)
    valid_until = _date()
    expired_on = _date()


@catalog.register
class TransferAccepted(_Step):
    """The receiving side accepted the letter; the member reports in by
    ``report_due_on``."""
    event_type = "transfers.accepted"
    accepted_on = _date()
    report_due_on = _date()
    rules_version = fields.String(required=True)


@catalog.register
class ReportOverdue(TransferState):
    """An alert: the member had not reported in by ``report_due_on``."""
    event_type = "transfers.report_overdue"
    report_due_on = _date()
    flagged_on = _date()


@catalog.register
class TransferReportedIn(_Step):
    """The member reported in and is placed in the receiving branch (and a
    party group); completion follows."""
    event_type = "transfers.reported_in"
    reported_on = _date()
    placed_group_id = _id(allow_none=True)


@catalog.register
class TransferCompleted(_Step):
    """The receipt was returned: the member belongs to the receiving branch
    (``members.transfer_completed`` on the member, in the same transaction)."""
    event_type = "transfers.completed"
    completed_on = _date()
    placed_group_id = _id(allow_none=True)


@catalog.register
class TransferCancelled(TransferState):
    """The platform cancelled the transfer (the receiving branch was dissolved,
    or the member can no longer move); the member stays where they were."""
    event_type = "transfers.cancelled"
    reason = fields.String(required=True)
    cancelled_on = _date()
