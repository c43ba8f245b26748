"""The orgs service's command schemas (``...In``): RPC ``data`` and HTTP bodies."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...vocabulary import BRANCH_KINDS, FOUNDING_STATES, KINDS, ORG_STATUSES, SEAT_ROLES, UNIT_TYPES
from ..common import ID, MAX_PAGE, PageIn, ScopedPageIn, Text, date_field as _date, describe as _describe

__all__ = [
    "AddAllianceMemberIn", "ApproveFoundingIn", "ChildrenIn", "ConfirmFoundingIn", "CreateAllianceIn",
    "CreateOrgIn", "DissolveOrgIn", "DueElectionsIn", "ElectCommitteeIn", "ElectFoundingCommitteeIn",
    "FoundingMemberIn", "FoundingRequestIn", "FoundingRequestListIn", "OrgListIn", "RejectFoundingIn",
    "RemoveAllianceMemberIn", "RenameOrgIn", "SeatIn", "TreeIn", "UnitIn",
]


def _count(text, required=False):
    kwargs = {"required": True} if required else {"load_default": None}
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000),
                          metadata=_describe(text, 12), **kwargs)


class UnitIn(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=200),
                metadata=_describe("name of the work unit (employer, village...)", "Suzhou Nano Tech Co."))
    unit_type = fields.String(required=True, validate=validate.OneOf(UNIT_TYPES),
                              metadata=_describe("kind of unit; village and community set a longer term"))
    address = Text(load_default=None, allow_none=True, validate=validate.Length(max=300))


class SeatIn(Schema):
    role = fields.String(required=True, validate=validate.OneOf(SEAT_ROLES),
                         metadata=_describe("seat: secretary, deputy_secretary or a portfolio", "secretary"))
    name = Text(required=True, validate=validate.Length(min=1, max=50), metadata=_describe("holder", "Li Ming"))
    member_id = fields.String(load_default=None, allow_none=True, validate=ID,
                              metadata=_describe("the holder's member id, once member records exist"))


class FoundingMemberIn(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=50))
    member_id = fields.String(load_default=None, allow_none=True, validate=ID)


def _units(text):
    return fields.List(fields.Nested(UnitIn), load_default=list, validate=validate.Length(max=50),
                       metadata=_describe(text))


def _seats(text):
    return fields.List(fields.Nested(SeatIn), required=True, validate=validate.Length(min=1, max=15),
                       metadata=_describe(text))


class CreateOrgIn(Schema):
    """Create an organisation; a branch or joint branch created this way is
    founded directly by its parent committee."""
    name = Text(required=True, validate=validate.Length(min=1, max=100),
                metadata=_describe("organisation name", "Nano Tech Branch"))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    parent_id = fields.String(load_default=None, allow_none=True, validate=ID,
                              metadata=_describe("parent organisation; none only for a root committee"))
    unit = fields.Nested(UnitIn, load_default=None, allow_none=True,
                         metadata=_describe("the unit the organisation serves (required for a branch)"))
    covered_units = _units("units a joint branch covers")
    full_members = _count("full members (required for a branch)")
    probationary_members = _count("probationary members")
    created_on = _date("date of creation or founding; today if absent")

    @validates_schema
    def _branch_fields(self, data, **kwargs):
        if data.get("kind") in BRANCH_KINDS:
            missing = {name: ["Required to found a branch."]
                       for name in ("unit", "full_members") if data.get(name) is None}
            if missing:
                raise ValidationError(missing)


class RenameOrgIn(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    renamed_on = _date("today if absent")
    expected_version = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1),
                                      metadata=_describe("refuse (409) if the organisation changed since this version"))


class DissolveOrgIn(Schema):
    reason = Text(required=True, validate=validate.Length(min=1, max=1000), multiline=True)
    dissolved_on = _date("today if absent")
    expected_version = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1))


class FoundingRequestIn(Schema):
    """A request to found a branch, addressed to the parent organisation."""
    proposed_name = Text(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(load_default="branch", validate=validate.OneOf(BRANCH_KINDS))
    unit = fields.Nested(UnitIn, required=True, metadata=_describe("unit profile"))
    covered_units = _units("units a joint branch covers")
    full_members = _count("full members declared in the request", required=True)
    probationary_members = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=1_000_000))
    founding_members = fields.List(
        fields.Nested(FoundingMemberIn), required=True, validate=validate.Length(min=1, max=2000),
        metadata=_describe("every full member founding the branch, and any probationary ones"))
    proposed_committee = _seats("the committee (or secretary) the founding meeting will elect")
    requested_on = _date("today if absent")


class ApproveFoundingIn(Schema):
    decided_on = _date("today if absent")
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=1000), multiline=True)


class RejectFoundingIn(Schema):
    reason = Text(required=True, validate=validate.Length(min=1, max=1000),
                  metadata=_describe("mandatory: a request is never refused without cause"), multiline=True)
    decided_on = _date("today if absent")


class ElectFoundingCommitteeIn(Schema):
    meeting_date = _date("date of the founding meeting", required=True)
    seats = _seats("seats elected at the founding meeting")


class ConfirmFoundingIn(Schema):
    confirmed_on = _date("the parent's confirmation of secretary and deputy; today if absent")


class ElectCommitteeIn(Schema):
    elected_on = _date("election date; the term runs from it", required=True)
    seats = _seats("the elected seats; they replace the previous committee")
    full_members = _count("full members at the election; used until member records count them")


class CreateAllianceIn(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    member_org_ids = fields.List(fields.String(validate=ID), required=True,
                                 validate=validate.Length(min=1, max=MAX_PAGE))
    formed_on = _date("today if absent")


class AddAllianceMemberIn(Schema):
    org_id = fields.String(required=True, validate=ID)
    joined_on = _date("today if absent")


class RemoveAllianceMemberIn(Schema):
    org_id = fields.String(required=True, validate=ID)
    left_on = _date("today if absent")


class ChildrenIn(PageIn):
    include_dissolved = fields.Boolean(load_default=False)


class OrgListIn(PageIn):
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(KINDS))
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ORG_STATUSES))


class TreeIn(Schema):
    include_dissolved = fields.Boolean(load_default=False)


class FoundingRequestListIn(ScopedPageIn):
    state = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(FOUNDING_STATES))


class DueElectionsIn(Schema):
    within_days = fields.Integer(load_default=90, validate=validate.Range(min=0, max=3650),
                                 metadata=_describe("look-ahead window; ended terms are always listed"))


