"""The dues service's response schemas (``...Out``): what its RPC answers and the
gateway's responses carry."""
from marshmallow import Schema, fields

from ...vocabulary import MONTH_STATES, REDUCTION_STATES
from ..common import Date, Money, describe as _describe

__all__ = [
    "AccountOut", "ArrearsFlagOut", "ArrearsPageOut", "ArrearsRowOut", "ArrearsRunOut", "BalanceOut", "BasePolicyOut", "ClearanceOut",
    "MemberFlagOut", "MonthAmountOut", "PaymentRowOut", "PeriodOut", "ReceiptOut", "ReductionOut", "ReportBranchOut", "ReportFiguresOut",
    "ReportMonthOut", "ReportOut", "ReportTotalsOut", "StatementMonthOut", "StatusOut",
]


def _amount(text=None, nullable=False):
    return Money(allow_none=nullable, metadata=_describe(text or "yuan", "12.50"))


class MonthAmountOut(Schema):
    month = fields.String(metadata=_describe("YYYY-MM", "2024-03"))
    amount = _amount()


class ReceiptOut(Schema):
    payment_id = fields.String()
    idempotency_key = fields.String()
    member_id = fields.String()
    org_id = fields.String(metadata=_describe("the branch that collected it"))
    months = fields.List(fields.Nested(MonthAmountOut))
    dues_amount = _amount("dues paid for the months")
    voluntary_extra = _amount("voluntary payment on top")
    total = _amount("dues_amount + voluntary_extra")
    forward_to_central = fields.Boolean(metadata=_describe(
        "a single voluntary payment at or above the threshold is forwarded whole to the central level"))
    paid_by = fields.String(allow_none=True, metadata=_describe("proxy payer, if any"))
    paid_on = Date()
    recorded_at = fields.DateTime(metadata=_describe("UTC, ISO-8601"))
    paid_up_to = fields.String(allow_none=True, metadata=_describe("after this payment"))


class PeriodOut(Schema):
    from_month = fields.String()
    to_month = fields.String(allow_none=True, metadata=_describe("null: until changed"))
    org_id = fields.String()
    category = fields.String(allow_none=True)
    base = _amount("the base, for rate categories", nullable=True)
    set_amount = _amount("the amount set by the branch (farmer)", nullable=True)
    assessed = _amount("monthly amount under the rules (null while no base is set)", nullable=True)
    due = _amount("monthly amount owed after an approved reduction", nullable=True)
    rules_version = fields.String(allow_none=True)
    reduction_id = fields.String(allow_none=True)


class StatementMonthOut(Schema):
    month = fields.String()
    org_id = fields.String(allow_none=True)
    assessed = _amount("null while no base is set", nullable=True)
    due = _amount("null while no base is set", nullable=True)
    paid = _amount("null when nothing was paid for the month", nullable=True)
    state = fields.String(metadata=_describe("one of " + ", ".join(MONTH_STATES)))


class ReductionOut(Schema):
    reduction_id = fields.String()
    kind = fields.String()
    from_month = fields.String()
    to_month = fields.String()
    monthly_amount = _amount("the reduced monthly amount; null for a waiver", nullable=True)
    reason = fields.String()
    decided_on = Date()
    decision_ref = fields.String(allow_none=True)
    state = fields.String(metadata=_describe("one of " + ", ".join(REDUCTION_STATES)))
    decided_by = fields.String(allow_none=True, metadata=_describe("who approved or rejected"))
    approved_on = Date(allow_none=True)
    rejection_reason = fields.String(allow_none=True)


class BalanceOut(Schema):
    outstanding = _amount("owed for months already due and not paid")
    owed_months = fields.List(fields.Nested(MonthAmountOut))
    prepaid_months = fields.List(fields.String(), metadata=_describe("months paid before they were due"))


class ArrearsFlagOut(Schema):
    as_of_month = fields.String()
    first_unpaid_month = fields.String()
    unpaid_months = fields.Integer()
    outstanding = _amount()


class AccountOut(Schema):
    """A member's dues account and statement."""
    member_id = fields.String()
    org_id = fields.String(metadata=_describe("the branch keeping the account"))
    liable = fields.Boolean(metadata=_describe("false while suspended, after leaving, etc."))
    category = fields.String(allow_none=True)
    base = _amount("null for a category with a set amount", nullable=True)
    set_amount = _amount("null for a rate category", nullable=True)
    monthly_amount = _amount("owed for the current month (null while no base is set)", nullable=True)
    base_policy = fields.String()
    owes_from = fields.String(metadata=_describe("first month owed (probationary: the admission meeting's)"))
    paid_up_to = fields.String(allow_none=True, metadata=_describe("every month owed up to this one is settled"))
    balance = fields.Nested(BalanceOut)
    schedule = fields.List(fields.Nested(PeriodOut))
    months = fields.List(fields.Nested(StatementMonthOut))
    payments = fields.List(fields.Nested(ReceiptOut), metadata=_describe("statement lines, oldest first"))
    reductions = fields.List(fields.Nested(ReductionOut))
    arrears_flags = fields.List(fields.Nested(ArrearsFlagOut))
    version = fields.Integer(metadata=_describe("pass as expected_version to refuse lost updates"))


class ClearanceOut(Schema):
    """What a transfer letter records about dues."""
    member_id = fields.String()
    org_id = fields.String()
    paid_up_to = fields.String(allow_none=True)
    outstanding = _amount()
    owed_months = fields.List(fields.Nested(MonthAmountOut))
    settled = fields.Boolean(metadata=_describe("nothing due is unpaid"))


class StatusOut(Schema):
    """A member's dues at a glance (the full statement is AccountOut)."""
    member_id = fields.String()
    liable = fields.Boolean()
    category = fields.String(allow_none=True)
    monthly_amount = _amount("this month's dues")
    owes_from = fields.String(allow_none=True, metadata=_describe("first month assessed, YYYY-MM"))
    paid_up_to = fields.String(allow_none=True, metadata=_describe("YYYY-MM"))
    outstanding = _amount("owed for months already due and not paid")
    owed_months = fields.Integer(metadata=_describe("how many months that is"))
    arrears_flagged_on = fields.String(allow_none=True, metadata=_describe(
        "the month a run of unpaid months was last flagged for the branch, if ever"))


class ReportFiguresOut(Schema):
    owed = _amount("owed for months already due (settled months at what was paid)")
    collected = _amount("paid for those months")
    outstanding = _amount("owed - collected")
    waived = _amount("remitted by approved reductions and waivers")
    paid_months = fields.Integer(metadata=_describe("member-months paid"))


class ReportMonthOut(ReportFiguresOut):
    month = fields.String()


class ReportTotalsOut(ReportFiguresOut):
    collected_in_advance = _amount("paid for months of the year not yet due")
    voluntary = _amount("voluntary payments received in the year")
    forwarded_to_central = _amount("of which single payments forwarded whole to the central level")
    members = fields.Integer(metadata=_describe("accounts owing in the year"))


class ReportBranchOut(ReportTotalsOut):
    org_id = fields.String()
    name = fields.String(allow_none=True)


class ReportOut(Schema):
    org_id = fields.String()
    scope = fields.String(metadata=_describe("branch, or subtree for a committee or general branch"))
    year = fields.Integer()
    month = fields.Integer(allow_none=True)
    as_of_month = fields.String(metadata=_describe("months after it are not due yet"))
    totals = fields.Nested(ReportTotalsOut)
    months = fields.List(fields.Nested(ReportMonthOut))
    branches = fields.List(fields.Nested(ReportBranchOut))


class BasePolicyOut(Schema):
    org_id = fields.String()
    policy = fields.String()
    version = fields.Integer()


class MemberFlagOut(ArrearsFlagOut):
    member_id = fields.String()
    org_id = fields.String(metadata=_describe("the member's branch when flagged"))


class ArrearsRunOut(Schema):
    as_of_month = fields.String()
    checked = fields.Integer(metadata=_describe("accounts behind far enough to be examined"))
    flagged = fields.List(fields.String(), metadata=_describe("members flagged by this run"))
    flags = fields.List(fields.Nested(MemberFlagOut), metadata=_describe(
        "every flag of the month, this run's and earlier runs' (a run is idempotent per member and month)"))


class ArrearsRowOut(Schema):
    """A member behind with their dues."""
    member_id = fields.String()
    href = fields.String(metadata=_describe("the member's dues statement"))
    org_id = fields.String()
    org_name = fields.String(allow_none=True)
    owed_months = fields.Integer(metadata=_describe("months begun and not paid"))
    first_unpaid_month = fields.String()
    outstanding = _amount()
    paid_up_to = fields.String(allow_none=True)
    arrears_flagged_on = fields.String(allow_none=True, metadata=_describe("the month of the last arrears flag"))
    reason_recorded = fields.Boolean(metadata=_describe("the branch recorded why (no flag follows)"))


class ArrearsPageOut(Schema):
    org_id = fields.String()
    as_of_month = fields.String()
    outstanding = _amount("what the whole list owes")
    items = fields.List(fields.Nested(ArrearsRowOut))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class PaymentRowOut(Schema):
    """A payment as a subtree's year lists it."""
    payment_id = fields.String()
    member_id = fields.String()
    org_id = fields.String()
    org_name = fields.String(allow_none=True)
    months = fields.List(fields.String())
    dues_amount = _amount()
    voluntary_extra = _amount()
    total = _amount()
    forward_to_central = fields.Boolean()
    paid_by = fields.String(allow_none=True)
    paid_on = Date()
