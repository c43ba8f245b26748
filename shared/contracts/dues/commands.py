"""The dues service's command schemas (``...In``): RPC ``data`` and HTTP bodies."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...vocabulary import BASE_POLICIES, CATEGORIES, MAX_MONTHS, RATE_CATEGORIES, REDUCTION_KINDS, SET_AMOUNT_CATEGORIES
from ..common import ID, MONTH, Money, Text, date_field as _date, describe as _describe, month_field as _month

__all__ = [
    "ApproveReductionIn", "ArrearsCheckIn", "ArrearsReasonIn", "BasePolicyIn", "MoveAccountIn", "PaymentIn",
    "RecordReductionIn", "RejectReductionIn", "ReportIn", "SetDuesBaseIn", "StatementIn",
]


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


