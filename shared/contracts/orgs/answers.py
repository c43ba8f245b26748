"""The orgs service's response schemas (``...Out``): what its RPC answers and the
gateway's responses carry."""
from marshmallow import Schema, fields

from ...vocabulary import FOUNDING_STATES
from ..common import Date, describe as _describe, page_of
from .commands import FoundingMemberIn, SeatIn, UnitIn

__all__ = [
    "AllianceMemberOut", "AllianceOut", "AlliancePageOut", "CommitteeOut", "EventOut", "EventPageOut",
    "FoundingRequestOut", "FoundingRequestPageOut", "OrgOut", "OrgPageOut", "OrgTreeOut", "WarningOut",
]


class WarningOut(Schema):
    rule = fields.String(metadata=_describe("the threshold's rule id", "orgs.size.branch_members"))
    message = fields.String()


class OrgOut(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    parent_id = fields.String(allow_none=True)
    status = fields.String()
    depth = fields.Integer(metadata=_describe("0 for a root committee"))
    version = fields.Integer(metadata=_describe("pass as expected_version to refuse lost updates"))
    unit = fields.Nested(UnitIn, allow_none=True)
    covered_units = fields.List(fields.Nested(UnitIn))
    full_members = fields.Integer(allow_none=True, metadata=_describe(
        "counted from member records once the unit has any, else as last declared"))
    counted_from_records = fields.Boolean(metadata=_describe("true once counts come from member records"))
    probationary_members = fields.Integer(allow_none=True)
    founded_directly = fields.Boolean(allow_none=True)
    founding_request_id = fields.String(allow_none=True)
    created_on = Date()
    dissolved_on = Date(allow_none=True)
    dissolution_reason = fields.String(allow_none=True)
    warnings = fields.List(fields.Nested(WarningOut),
                           metadata=_describe("size thresholds passed: advice for the parent, not blocks"))


class OrgTreeOut(OrgOut):
    children = fields.List(fields.Nested(lambda: OrgTreeOut()))


class FoundingRequestOut(Schema):
    id = fields.String()
    parent_id = fields.String()
    proposed_name = fields.String()
    kind = fields.String()
    state = fields.String(metadata=_describe("one of " + ", ".join(FOUNDING_STATES)))
    unit = fields.Nested(UnitIn)
    covered_units = fields.List(fields.Nested(UnitIn))
    full_members = fields.Integer()
    counted_from = fields.String(allow_none=True, metadata=_describe(
        "records: full_members was counted from the member records; declared: as given, the unit having no "
        "member records yet; null for a count from before this was kept"))
    probationary_members = fields.Integer()
    founding_members = fields.List(fields.Nested(FoundingMemberIn))
    proposed_committee = fields.List(fields.Nested(SeatIn))
    requested_on = Date()
    decision_due_on = Date()
    decision_overdue = fields.Boolean(metadata=_describe("still undecided after the due date"))
    decided_on = Date(allow_none=True)
    note = fields.String(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    meeting_date = Date(allow_none=True)
    elected_seats = fields.List(fields.Nested(SeatIn), allow_none=True)
    confirmed_on = Date(allow_none=True)
    branch_id = fields.String(allow_none=True, metadata=_describe("the branch, once confirmed and active"))
    version = fields.Integer()


class CommitteeOut(Schema):
    org_id = fields.String()
    org_name = fields.String()
    kind = fields.String()
    elected_on = Date()
    term_years = fields.Integer()
    term_ends_on = Date()
    days_left = fields.Integer(metadata=_describe("negative once the term has ended"))
    election_due = fields.Boolean()
    full_members = fields.Integer(allow_none=True)
    counted_from = fields.String(allow_none=True, metadata=_describe(
        "records: full_members was counted from the member records; declared: as given, the unit having no "
        "member records yet; null for a count from before this was kept"))
    seats = fields.List(fields.Nested(SeatIn))
    warnings = fields.List(fields.Nested(WarningOut))


class AllianceMemberOut(Schema):
    org_id = fields.String()
    name = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    joined_on = Date()


class AllianceOut(Schema):
    id = fields.String()
    name = fields.String()
    formed_on = Date()
    member_org_ids = fields.List(fields.String())
    members = fields.List(fields.Nested(AllianceMemberOut))
    version = fields.Integer()


class EventOut(Schema):
    event_id = fields.String()
    event_type = fields.String()
    event_version = fields.Integer()
    aggregate_type = fields.String()
    aggregate_id = fields.String()
    aggregate_version = fields.Integer()
    occurred_at = fields.String(metadata=_describe("UTC, ISO-8601"))
    correlation_id = fields.String(allow_none=True)
    causation_id = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    payload = fields.Dict()


OrgPageOut = page_of(OrgOut, "OrgPageOut")
FoundingRequestPageOut = page_of(FoundingRequestOut, "FoundingRequestPageOut")
AlliancePageOut = page_of(AllianceOut, "AlliancePageOut")
EventPageOut = page_of(EventOut, "EventPageOut")
