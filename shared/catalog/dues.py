"""Events published by the dues service, on the ``dues.events`` exchange.

Aggregates: ``dues_account`` (one per member: ``aggregate_id`` is the member
id) and ``dues_policy`` (one per branch: ``aggregate_id`` is the org id).
Amounts are yuan as strings with 2 decimals ("12.50"), months "YYYY-MM",
dates ISO dates. ``dues.arrears_flagged`` is the one the members service
shows to the branch (6 consecutive unpaid months without a recorded reason).
"""
from marshmallow import Schema, fields, validate

from ..contracts.dues import BASE_POLICIES, CATEGORIES, MONTH_PATTERN, REDUCTION_KINDS
from . import catalog


def _month(**kwargs):
    kwargs.setdefault("required", True)
    return fields.String(validate=validate.Regexp(MONTH_PATTERN), **kwargs)


def _money(**kwargs):
    kwargs.setdefault("required", True)
    return fields.Decimal(as_string=True, places=2, **kwargs)


class PaidMonth(Schema):
    month = _month()
    amount = _money()
    org_id = fields.String(required=True, metadata={"description": "the branch the month belongs to"})


@catalog.event("dues.account_opened", 1)
class AccountOpened(Schema):
    """A member became liable for dues (admitted as probationary, or registered
    as a probationary or full member); dues are owed from ``owes_from``."""
    org_id = fields.String(required=True)
    stage = fields.String(required=True)
    status = fields.String(required=True)
    owes_from = _month()
    opened_on = fields.Date(required=True)
    source_event = fields.String(required=True, metadata={"description": "the members event that opened it"})


@catalog.event("dues.liability_changed", 1)
class LiabilityChanged(Schema):
    """The member stopped owing dues (suspended, left, expelled, deceased,
    probation cancelled) or owes them again, from ``from_month``."""
    liable = fields.Boolean(required=True)
    from_month = _month()
    stage = fields.String(required=True)
    status = fields.String(required=True)
    source_event = fields.String(required=True)


@catalog.event("dues.account_moved", 1)
class AccountMoved(Schema):
    """The account moved to another branch (a completed transfer) with its
    balance: months from ``from_month`` on belong to ``to_org_id``."""
    from_org_id = fields.String(required=True)
    to_org_id = fields.String(required=True)
    from_month = _month()
    moved_on = fields.Date(required=True)
    paid_up_to = _month(allow_none=True)
    outstanding = _money()
    prepaid_months = fields.List(_month(), required=True)
    source_event = fields.String(required=True)


@catalog.event("dues.base_set", 1)
class BaseSet(Schema):
    """The member's category and base (or set amount) from ``applies_from``: the
    ``effective_month`` asked for, or the next January under the branch's
    ``fixed_yearly`` policy."""
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    base = _money(allow_none=True)
    amount = _money(allow_none=True)
    effective_month = _month()
    applies_from = _month()
    policy = fields.String(required=True, validate=validate.OneOf(BASE_POLICIES))
    set_on = fields.Date(required=True)


@catalog.event("dues.payment_recorded", 1)
class PaymentRecorded(Schema):
    """Dues for ``months`` and/or a voluntary extra were paid; a single voluntary
    payment at or above the threshold is flagged ``forward_to_central``."""
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


@catalog.event("dues.reduction_requested", 1)
class ReductionRequested(Schema):
    """A branch decided to reduce or waive the member's dues for some months;
    it applies once the parent approves."""
    reduction_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(REDUCTION_KINDS))
    from_month = _month()
    to_month = _month()
    monthly_amount = _money(allow_none=True)
    reason = fields.String(required=True)
    decided_on = fields.Date(required=True)
    decision_ref = fields.String(required=True, allow_none=True)


@catalog.event("dues.reduction_approved", 1)
class ReductionApproved(Schema):
    reduction_id = fields.String(required=True)
    approved_by = fields.String(required=True)
    approved_on = fields.Date(required=True)
    note = fields.String(required=True, allow_none=True)


@catalog.event("dues.reduction_rejected", 1)
class ReductionRejected(Schema):
    reduction_id = fields.String(required=True)
    rejected_by = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1))
    rejected_on = fields.Date(required=True)


@catalog.event("dues.arrears_reason_recorded", 1)
class ArrearsReasonRecorded(Schema):
    """The branch recorded why months went unpaid: they do not count towards arrears."""
    from_month = _month()
    to_month = _month()
    reason = fields.String(required=True)


@catalog.event("dues.arrears_flagged", 1)
class ArrearsFlagged(Schema):
    """``unpaid_months`` consecutive months (at least the rules' threshold, 6)
    up to ``as_of_month`` are unpaid without a recorded reason: the branch is
    to follow up (the left-the-party process starts in members)."""
    org_id = fields.String(required=True)
    as_of_month = _month()
    first_unpaid_month = _month()
    unpaid_months = fields.Integer(required=True)
    outstanding = _money()


@catalog.event("dues.base_policy_set", 1)
class BasePolicySet(Schema):
    """A branch chose when dues base changes take effect."""
    policy = fields.String(required=True, validate=validate.OneOf(BASE_POLICIES))
    set_on = fields.Date(required=True)
