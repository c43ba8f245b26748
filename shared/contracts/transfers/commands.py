"""The transfers service's command schemas (``...In``): RPC ``data`` and HTTP bodies."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...vocabulary import GROUNDS, SCOPES, SIDES, TRANSFER_STATES
from ..common import ID, MONTH, ScopedPageIn, Text, date_field as _date, describe as _describe, text_field as _text

__all__ = [
    "AcceptTransferIn", "ApproveTransferIn", "CompleteTransferIn", "IssueLetterIn", "ReissueLetterIn",
    "RejectTransferIn", "ReportInIn", "RequestTransferIn", "ResubmitTransferIn", "ReturnTransferIn", "SweepIn",
    "TRANSFER_ACTIONS", "TransferListIn", "TransferStepIn", "WithdrawTransferIn",
]


class TransferStepIn(Schema):
    """What every step may carry."""
    decided_by = _text("who decided or did it (e.g. the sending branch committee)", 100, example="支部委员会")
    note = _text("remarks", multiline=True)
    expected_version = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1),
                                      metadata=_describe("refuse (409) if the transfer changed since this "
                                                         "version"))


class RequestTransferIn(Schema):
    """Ask to move a party member's organisational relationship from their
    branch to an active branch (optionally a party group in it). One open
    transfer per member: a second is refused (409)."""
    member_id = fields.String(required=True, validate=ID, metadata=_describe("the member who moves"))
    to_org_id = fields.String(required=True, validate=ID,
                              metadata=_describe("the receiving branch or joint branch (active)"))
    to_group_id = fields.String(load_default=None, allow_none=True, validate=ID,
                                metadata=_describe("a party group inside the receiving branch"))
    scope = fields.String(required=True, validate=validate.OneOf(SCOPES), metadata=_describe(
        "in_city or elsewhere: sets the letter's default validity (about 10 or 30 days)", "in_city"))
    grounds = fields.String(required=True, validate=validate.OneOf(GROUNDS),
                            metadata=_describe("why the member moves", "employer_change"))
    reason = _text("details", example="调入生物医药研究院工作", multiline=True)
    requested_on = _date("today if absent")


class ApproveTransferIn(TransferStepIn):
    approved_on = _date("the sending side's approval; today if absent")


class ReturnTransferIn(TransferStepIn):
    reason = _text("what to correct (mandatory)", required=True, example="请补充新单位名称", multiline=True)
    returned_on = _date("today if absent")


class ResubmitTransferIn(TransferStepIn):
    """The corrected request; only the fields given change."""
    to_org_id = fields.String(validate=ID)
    to_group_id = fields.String(allow_none=True, validate=ID)
    scope = fields.String(validate=validate.OneOf(SCOPES))
    grounds = fields.String(validate=validate.OneOf(GROUNDS))
    reason = Text(allow_none=True, validate=validate.Length(max=1000), multiline=True)
    resubmitted_on = _date("today if absent")


class WithdrawTransferIn(TransferStepIn):
    reason = _text("why the member withdraws", multiline=True)
    withdrawn_on = _date("today if absent")


class RejectTransferIn(TransferStepIn):
    """Refused by the sending side (before the letter) or the receiving side
    (after it). A transfer is never refused without cause."""
    reason = _text("why (mandatory)", required=True, example="接收单位不符合条件", multiline=True)
    rejected_on = _date("today if absent")


class IssueLetterIn(TransferStepIn):
    issued_on = _date("the letter's date; today if absent")
    valid_until = _date("last day the letter is valid: at least a day after issued_on and at most 3 months; "
                        "10 days (in city) or 30 (elsewhere) after issued_on if absent", example="2024-03-11")
    reference = _text("the letter's reference number", 100, example="苏工委组转字〔2024〕12号")
    dues_paid_up_to = fields.String(load_default=None, allow_none=True,
                                    validate=MONTH,
                                    metadata=_describe("the issuer's record of the month dues are paid up to, "
                                                       "used only when the dues service cannot tell", "2024-02"))

    @validates_schema
    def _order(self, data, **kwargs):
        issued, valid = data.get("issued_on"), data.get("valid_until")
        if issued and valid and valid <= issued:
            raise ValidationError({"valid_until": ["Must be after issued_on."]})


class ReissueLetterIn(IssueLetterIn):
    """A new letter for an expired one (the old one is void)."""


class AcceptTransferIn(TransferStepIn):
    accepted_on = _date("the receiving side's acceptance, while the letter is valid; today if absent")


class ReportInIn(TransferStepIn):
    reported_on = _date("the member reported in to the receiving branch; today if absent")
    group_id = fields.String(load_default=None, allow_none=True, validate=ID, metadata=_describe(
        "the party group of the receiving branch the member is placed in (the requested one if absent)"))


class CompleteTransferIn(TransferStepIn):
    completed_on = _date("the receipt returned; today if absent")


TRANSFER_ACTIONS = {
    "approve": (ApproveTransferIn, "The sending side approves the transfer"),
    "return-for-correction": (ReturnTransferIn, "The sending side returns the request for correction"),
    "resubmit": (ResubmitTransferIn, "Resubmit a returned request, corrected"),
    "withdraw": (WithdrawTransferIn, "The member withdraws the transfer"),
    "reject": (RejectTransferIn, "Reject the transfer (a reason is mandatory)"),
    "issue-letter": (IssueLetterIn, "Issue the transfer letter (介绍信), with the dues paid up to"),
    "reissue-letter": (ReissueLetterIn, "Reissue an expired letter"),
    "accept": (AcceptTransferIn, "The receiving side accepts the letter (while it is valid)"),
    "report-in": (ReportInIn, "The member reported in and is placed in the branch (or a party group)"),
    "complete": (CompleteTransferIn, "Return the receipt: the member now belongs to the receiving branch"),
}
"""action (the last part of POST /api/v1/transfers/{id}/<action>) -> (request
schema, summary). ``complete`` runs by itself after ``report-in``; calling it
again changes nothing."""


class TransferListIn(ScopedPageIn):
    state = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TRANSFER_STATES))
    side = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SIDES), metadata=_describe(
        "sending: transfers out of the organisation's scope; receiving: into it; both if absent"))


class SweepIn(Schema):
    as_of = _date("the day letters and report-in windows are judged on; today if absent")


