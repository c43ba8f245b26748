"""Events published by the dues service, on the ``dues.events`` exchange.

Aggregates: ``dues_account`` (one per member: ``aggregate_id`` is the member
id) and ``dues_policy`` (one per branch: ``aggregate_id`` is the org id).
Amounts are yuan as strings with 2 decimals ("12.50"), months "YYYY-MM",
dates ISO dates. ``dues.arrears_flagged`` is the one the members service
shows to the branch (6 consecutive unpaid months without a recorded reason).
"""
from marshmallow import Schema, fields, validate

from ..contracts.common import MONTH_PATTERN, FullMatch
from ..vocabulary import BASE_POLICIES, CATEGORIES, REDUCTION_KINDS
from ..event import Event
from .registry import catalog


def _month(**kwargs):
    kwargs.setdefault("required", True)
    return fields.String(validate=FullMatch(MONTH_PATTERN), **kwargs)


def _money(**kwargs):
    kwargs.setdefault("required", True)
    return fields.Decimal(as_string=True, places=2, **kwargs)


class PaidMonth(Schema):
    month = _month()
    amount = _money()
    org_id = fields.String(required=True, metadata={"description": "the branch the month belongs to"})


@catalog.register
class AccountOpened(Event):
    """A member became liable for dues (admitted as probationary, or registered
    as a probationary or full member); dues are owed from ``owes_from``."""
    event_type = "dues.account_opened"
    org_id = fields.String(required=True)
    stage = fields.String(required=True)
    status = fields.String(required=True)
    owes_from = _month()
    opened_on = fields.Date(required=True)
    source_event = fields.String(required=True, metadata={"description": "the members event that opened it"})


@catalog.register
class LiabilityChanged(Event):
    """The member stopped owing dues (suspended, left, expelled, deceased,
    probation cancelled) or owes them again, from ``from_month``."""
    event_type = "dues.liability_changed"
    liable = fields.Boolean(required=True)
    from_month = _month()
    stage = fields.String(required=True)
    status = fields.String(required=True)
    source_event = fields.String(required=True)


@catalog.register
class AccountMoved(Event):
    """The account moved to another branch (a completed transfer) with its
    balance: months from ``from_month`` on belong to ``to_org_id``."""
    event_type = "dues.account_moved"
    from_org_id = fields.String(required=True)
    to_org_id = fields.String(required=True)
    from_month = _month()
    moved_on = fields.Date(required=True)
    paid_up_to = _month(allow_none=True)
    outstanding = _money()
    prepaid_months = fields.List(_month(), required=True)
    source_event = fields.String(required=True)


@catalog.register
class BaseSet(Event):
    """The member's category and base (or set amount) from ``applies_from``: the
    ``effective_month`` asked for, or the next January under the branch's
    ``fixed_yearly`` policy."""
    event_type = "dues.base_set"
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    base = _money(allow_none=True)
    amount = _money(allow_none=True)
    effective_month = _month()
    applies_from = _month()
    policy = fields.String(required=True, validate=validate.OneOf(BASE_POLICIES))
    set_on = fields.Date(required=True)


@catalog.register
class PaymentRecorded(Event):
    """Dues for ``months`` and/or a voluntary extra were paid; a single voluntary
    payment at or above the threshold is flagged ``forward_to_central``."""
    event_type = "dues.payment_recorded"
    payment_id = fields.String(required=True)
    idempotency_key = fields.String(required=True)
    org_id = fields.String(required=True)
    months = fields.List(fields.Nested(PaidMonth), required=True)
    dues_amount = _money()
    voluntary_extra = _money()
    total = _money()
    forward_to_central = fields.Boolean(required=True)
    paid_by = fields.String(required=True, allow_none=True)
    paid_on = fields.Date(required=True)
    paid_up_to = _month(allow_none=True, metadata={"description": "every month owed up to it is settled"})


@catalog.register
class ReductionRequested(Event):
    """A branch decided to reduce or waive the member's dues for some months;
    it applies once the parent approves."""
    event_type = "dues.reduction_requested"
    reduction_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(REDUCTION_KINDS))
    from_month = _month()
    to_month = _month()
    monthly_amount = _money(allow_none=True)
    reason = fields.String(required=True)
    decided_on = fields.Date(required=True)
    decision_ref = fields.String(required=True, allow_none=True)


@catalog.register
class ReductionApproved(Event):
    event_type = "dues.reduction_approved"
    reduction_id = fields.String(required=True)
    approved_by = fields.String(required=True)
    approved_on = fields.Date(required=True)
    note = fields.String(required=True, allow_none=True)


@catalog.register
class ReductionRejected(Event):
    event_type = "dues.reduction_rejected"
    reduction_id = fields.String(required=True)
    rejected_by = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1))
    rejected_on = fields.Date(required=True)


@catalog.register
class ArrearsReasonRecorded(Event):
    """The branch recorded why months went unpaid: they do not count towards arrears."""
    event_type = "dues.arrears_reason_recorded"
    from_month = _month()
    to_month = _month()
    reason = fields.String(required=True)


@catalog.register
class ArrearsFlagged(Event):
    """``unpaid_months`` consecutive months (at least the rules' threshold, 6)
    up to ``as_of_month`` are unpaid without a recorded reason: the branch is
    to follow up (the left-the-party process starts in members)."""
    event_type = "dues.arrears_flagged"
    org_id = fields.String(required=True)
    as_of_month = _month()
    first_unpaid_month = _month()
    unpaid_months = fields.Integer(required=True)
    outstanding = _money()


@catalog.register
class BasePolicySet(Event):
    """A branch chose when dues base changes take effect."""
    event_type = "dues.base_policy_set"
    policy = fields.String(required=True, validate=validate.OneOf(BASE_POLICIES))
    set_on = fields.Date(required=True)
