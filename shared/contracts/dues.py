"""The dues service's published language: its vocabulary (glossary names),
command schemas (``...In``: RPC ``data`` and HTTP bodies) and response
schemas (``...Out``). Rule numbers (brackets, the farmer range, the back
payment window) are versioned rule data in the service, not here.

Money is exact: yuan with at most 2 decimals, as a JSON *string* ("12.50").
A JSON number is refused (0.1 as a binary float is not 0.1), and so is a
third decimal; responses carry amounts as strings with exactly 2 places.
Months are "YYYY-MM".
"""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .common import (ID, MONEY_PATTERN, MONTH, Date, Money, Text, date_field as _date,  # noqa: F401
                     describe as _describe, month_field as _month)
from ..vocabulary import (  # noqa: F401 (published here)
    RATE_CATEGORIES, SET_AMOUNT_CATEGORIES, FIXED_CATEGORIES, CATEGORIES, BASE_POLICIES, REDUCTION_KINDS,
    REDUCTION_STATES, MONTH_STATES, MAX_MONTHS)


def _money(text, required=False):
    kwargs = {"required": True} if required else {"load_default": None, "allow_none": True}
    return Money(metadata=_describe(text), **kwargs)


def _text(text, required=True, max_length=1000, multiline=False):
    kwargs = {"required": True} if required else {"load_default": None, "allow_none": True}
    return Text(validate=validate.Length(min=1, max=max_length), multiline=multiline, metadata=_describe(text),
                **kwargs)


def _ordered(data, first, last):
    if data.get(first) and data.get(last) and data[first] > data[last]:
        raise ValidationError({last: [f"Must not be before {first}."]})


# ---- commands -------------------------------------------------------------

class SetDuesBaseIn(Schema):
    """The member's category and base (or set amount) from a month on. Under the
    branch's ``fixed_yearly`` policy a mid-year change of a pay or pension base
    takes effect the next January."""
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES),
                             metadata=_describe("one of " + ", ".join(CATEGORIES), "employed"))
    base = _money("monthly base in yuan: required for " + ", ".join(RATE_CATEGORIES))
    amount = _money("monthly amount set by the branch: required for farmer (within the rules' range)")
    effective_month = _month("first month the new base applies to", required=True)
    expected_version = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1),
                                      metadata=_describe("refuse (409) if the account changed since this version"))

    @validates_schema
    def _by_category(self, data, **kwargs):
        category = data.get("category")
        needs = "base" if category in RATE_CATEGORIES else "amount" if category in SET_AMOUNT_CATEGORIES else None
        errors = {}
        if needs and data.get(needs) is None:
            errors[needs] = [f"Required for category {category}."]
        for name in ("base", "amount"):
            if name != needs and data.get(name) is not None:
                errors[name] = [f"Not used for category {category}."]
        if errors:
            raise ValidationError(errors)


class PaymentIn(Schema):
    """Pay dues for one or more months (monthly, a quarter, back payment) and/or a
    voluntary extra amount, possibly by proxy. A retry with the same
    ``idempotency_key`` returns the first receipt and never charges twice."""
    idempotency_key = fields.String(required=True, validate=validate.Length(min=1, max=100),
                                    metadata=_describe("chosen by the client, unique per payment",
                                                       "7f1c9a2e-5d1b-4c55-9a61-0c0a3e1b2f10"))
    member_id = fields.String(required=True, validate=ID)
    months = fields.List(fields.String(validate=MONTH),
                         load_default=None, allow_none=True, validate=validate.Length(max=MAX_MONTHS),
                         metadata=_describe("the months paid for; or give from and to", ["2024-01", "2024-02"]))
    from_month = _month("first month paid for (with to)", data_key="from")
    to_month = _month("last month paid for (with from)", data_key="to")
    amount = _money("the dues for those months; must equal what is owed (\"0.00\" with no months)",
                    required=True)
    voluntary_extra = _money("a voluntary payment on top of the dues")
    paid_by = _text("who paid on the member's behalf (payment by proxy)", required=False, max_length=100)
    paid_on = _date("date of payment; today if absent")

    @validates_schema
    def _months(self, data, **kwargs):
        months, first, last = data.get("months"), data.get("from_month"), data.get("to_month")
        if months is not None and (first or last):
            raise ValidationError({"months": ["Give either months or from and to, not both."]})
        if bool(first) != bool(last):
            raise ValidationError({"to" if first else "from": ["Required with the other bound."]})
        _ordered(data, "from_month", "to_month")
        if months is not None and len(set(months)) != len(months):
            raise ValidationError({"months": ["A month is listed twice."]})


class RecordReductionIn(Schema):
    """A branch decision to reduce or waive a member's dues for some months; it
    applies once the parent organisation approves it."""
    kind = fields.String(required=True, validate=validate.OneOf(REDUCTION_KINDS))
    from_month = _month("first month", required=True)
    to_month = _month("last month", required=True)
    monthly_amount = _money("the reduced monthly amount (kind reduced)")
    reason = _text("why (hardship, illness...)", multiline=True)
    decided_on = _date("date of the branch decision", required=True)
    decision_ref = _text("reference of the branch meeting minutes", required=False, max_length=200)

    @validates_schema
    def _fields(self, data, **kwargs):
        _ordered(data, "from_month", "to_month")
        if data.get("kind") == "reduced" and data.get("monthly_amount") is None:
            raise ValidationError({"monthly_amount": ["Required for a reduction."]})
        if data.get("kind") == "waived" and data.get("monthly_amount") is not None:
            raise ValidationError({"monthly_amount": ["Not used for a waiver."]})


class ApproveReductionIn(Schema):
    reduction_id = fields.String(required=True, validate=ID)
    approved_by = _text("the approving parent organisation (id or name)", max_length=100)
    approved_on = _date("today if absent")
    note = _text("optional note", required=False, multiline=True)


class RejectReductionIn(Schema):
    reduction_id = fields.String(required=True, validate=ID)
    rejected_by = _text("the parent organisation (id or name)", max_length=100)
    reason = _text("mandatory: a request is never refused without cause", multiline=True)
    rejected_on = _date("today if absent")


class ArrearsReasonIn(Schema):
    """A reason the branch records for unpaid months (illness, abroad...): those
    months do not count towards the arrears flag."""
    from_month = _month("first month", required=True)
    to_month = _month("last month", required=True)
    reason = _text("the reason", multiline=True)

    @validates_schema
    def _order(self, data, **kwargs):
        _ordered(data, "from_month", "to_month")


class BasePolicyIn(Schema):
    policy = fields.String(required=True, validate=validate.OneOf(BASE_POLICIES),
                           metadata=_describe("when a base change takes effect: from its month, or "
                                              "fixed once a year (the next January)"))


class MoveAccountIn(Schema):
    """Move the account to the receiving branch (a completed transfer)."""
    to_org_id = fields.String(required=True, validate=ID)
    moved_on = _date("date the transfer completed; today if absent")


class ReportIn(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    month = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=12))


class StatementIn(Schema):
    year = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=2000, max=2100),
                          metadata=_describe("the year whose months are listed; this year if absent"))


class ArrearsCheckIn(Schema):
    as_of_month = _month("the last month counted; last month if absent")


# ---- responses --------------------------------------------------------------

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


class ArrearsRunOut(Schema):
    as_of_month = fields.String()
    checked = fields.Integer(metadata=_describe("accounts behind far enough to be examined"))
    flagged = fields.List(fields.String(), metadata=_describe("members flagged by this run"))
