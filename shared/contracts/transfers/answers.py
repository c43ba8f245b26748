"""The transfers service's response schemas (``...Out``): what its RPC answers and the
gateway's responses carry."""
from marshmallow import Schema, fields

from ...vocabulary import DUES_SOURCES, TRANSFER_STATES
from ..common import Date, describe as _describe, page_of

__all__ = [
    "LetterDocumentOut", "LetterDuesOut", "LetterMemberOut", "LetterOut", "SweepOut", "TimelineEntryOut", "TransferOut", "TransferPageOut",
]


class LetterDuesOut(Schema):
    paid_up_to = fields.String(allow_none=True, metadata=_describe("month dues are paid up to", "2024-02"))
    outstanding = fields.String(allow_none=True, metadata=_describe("arrears in yuan", "0.00"))
    settled = fields.Boolean(allow_none=True, metadata=_describe("nothing due is unpaid; null if not known"))
    source = fields.String(metadata=_describe("one of " + ", ".join(DUES_SOURCES)))


class LetterOut(Schema):
    number = fields.Integer(metadata=_describe("1 for the first letter, 2 after a reissue..."))
    serial = fields.String(allow_none=True, metadata=_describe(
        "the letter's number in its issuer's sequence for the year; null for a letter issued before serials",
        "2026-0012"))
    issuer_id = fields.String(allow_none=True, metadata=_describe("the committee whose sequence it is"))
    reference = fields.String(allow_none=True)
    issued_on = Date()
    valid_until = Date()
    expired = fields.Boolean(metadata=_describe("valid_until has passed (as of today)"))
    rules_version = fields.String()
    dues = fields.Nested(LetterDuesOut)


class TimelineEntryOut(Schema):
    event_type = fields.String(metadata=_describe("", "transfers.letter_issued"))
    version = fields.Integer()
    occurred_at = fields.String(metadata=_describe("UTC, ISO-8601"))
    actor = fields.String(allow_none=True)
    state = fields.String(metadata=_describe("the transfer's state after the event"))
    payload = fields.Dict()


class TransferOut(Schema):
    id = fields.String()
    member_id = fields.String()
    member_name = fields.String()
    from_org_id = fields.String(metadata=_describe("the sending branch: the member's until completion"))
    from_org_name = fields.String(allow_none=True)
    to_org_id = fields.String()
    to_org_name = fields.String(allow_none=True)
    to_group_id = fields.String(allow_none=True)
    placed_group_id = fields.String(allow_none=True, metadata=_describe("the party group placed in at report-in"))
    scope = fields.String()
    grounds = fields.String()
    reason = fields.String(allow_none=True)
    state = fields.String(metadata=_describe("one of " + ", ".join(TRANSFER_STATES)))
    final = fields.Boolean(metadata=_describe("completed, withdrawn, rejected or cancelled"))
    requested_on = Date()
    approved_on = Date(allow_none=True)
    returned_reason = fields.String(allow_none=True)
    letter = fields.Nested(LetterOut, allow_none=True)
    accepted_on = Date(allow_none=True)
    report_due_on = Date(allow_none=True, metadata=_describe("report in by then, or an alert is raised"))
    report_overdue = fields.Boolean()
    reported_on = Date(allow_none=True)
    completed_on = Date(allow_none=True)
    closed_on = Date(allow_none=True, metadata=_describe("withdrawn, rejected or cancelled on"))
    close_reason = fields.String(allow_none=True)
    closed_by_side = fields.String(allow_none=True, metadata=_describe("for a rejection: sending or receiving"))
    version = fields.Integer(metadata=_describe("pass as expected_version to refuse lost updates"))
    timeline = fields.List(fields.Nested(TimelineEntryOut), metadata=_describe(
        "the transfer's events, oldest first (GET of one transfer only)"))


class SweepOut(Schema):
    as_of = Date()
    letters_expired = fields.List(fields.String())
    reports_overdue = fields.List(fields.String())
    completed = fields.List(fields.String(), metadata=_describe("reported-in transfers completed by the sweep"))
    cancelled = fields.List(fields.String())


TransferPageOut = page_of(TransferOut, "TransferPageOut")


class LetterMemberOut(Schema):
    id = fields.String()
    name = fields.String()
    gender = fields.String(allow_none=True)
    ethnicity = fields.String(allow_none=True)
    stage = fields.String(allow_none=True)


class LetterDocumentOut(LetterOut):
    """What the printed transfer letter shows, as issued."""
    transfer_id = fields.String()
    state = fields.String()
    issuer_name = fields.String(allow_none=True)
    from_org_name = fields.String(allow_none=True)
    to_org_name = fields.String(allow_none=True)
    scope = fields.String()
    grounds = fields.String()
    member = fields.Nested(LetterMemberOut)
