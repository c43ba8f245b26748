"""Events published by the orgs service, on the ``orgs.events`` exchange.

Aggregates: ``organisation`` (the tree and committees), ``founding_request``
(the founding workflow) and ``alliance``. Dates are ISO dates (YYYY-MM-DD).
"""
from marshmallow import Schema, fields, validate

from ..vocabulary import BRANCH_KINDS, KINDS, SEAT_ROLES, UNIT_TYPES
from ..event import Event
from .registry import catalog


class Unit(Schema):
    name = fields.String(required=True)
    unit_type = fields.String(required=True, validate=validate.OneOf(UNIT_TYPES))
    address = fields.String(load_default=None, allow_none=True)


class Seat(Schema):
    role = fields.String(required=True, validate=validate.OneOf(SEAT_ROLES))
    name = fields.String(required=True)
    member_id = fields.String(load_default=None, allow_none=True)


class Person(Schema):
    name = fields.String(required=True)
    member_id = fields.String(load_default=None, allow_none=True)


def _seats():
    return fields.List(fields.Nested(Seat), required=True)


def _units():
    return fields.List(fields.Nested(Unit), required=True)


@catalog.register
class OrgCreated(Event):
    """A committee, general branch or party group was set up in the tree."""
    event_type = "orgs.org_created"
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k for k in KINDS if k not in BRANCH_KINDS]))
    parent_id = fields.String(required=True, allow_none=True)
    unit = fields.Nested(Unit, required=True, allow_none=True)
    created_on = fields.Date(required=True)


@catalog.register
class BranchFounded(Event):
    """A branch or joint branch became active: directly by its parent committee,
    or at the end of a founding request (``founding_request_id``)."""
    event_type = "orgs.branch_founded"
    event_version = 2
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(BRANCH_KINDS))
    parent_id = fields.String(required=True)
    unit = fields.Nested(Unit, required=True)
    covered_units = _units()
    full_members = fields.Integer(required=True)
    probationary_members = fields.Integer(required=True)
    founded_on = fields.Date(required=True)
    founded_directly = fields.Boolean(required=True)
    founding_request_id = fields.String(required=True, allow_none=True)
    founding_member_ids = fields.List(fields.String(), required=True, metadata={
        "description": "founding members named by their records: the members service moves them into the branch"})
    rules_version = fields.String(required=True)

    @staticmethod
    def upcast_v1_v2(payload: dict) -> dict:
        """Before founding moved its members, nobody was moved."""
        return {**payload, "founding_member_ids": []}


@catalog.register
class OrgRenamed(Event):
    event_type = "orgs.org_renamed"
    name = fields.String(required=True)
    previous_name = fields.String(required=True)
    renamed_on = fields.Date(required=True)


@catalog.register
class OrgDissolved(Event):
    """An organisation with no active children (and no members) was dissolved."""
    event_type = "orgs.org_dissolved"
    reason = fields.String(required=True)
    dissolved_on = fields.Date(required=True)


@catalog.register
class CommitteeElected(Event):
    """A committee (or a lone secretary, in a small branch) was elected; it
    replaces the previous one and starts a new term."""
    event_type = "orgs.committee_elected"
    event_version = 2

    @staticmethod
    def upcast_v1_v2(payload: dict) -> dict:
        """Before a declared count was checked against the records, where it came from was not kept."""
        return {**payload, "counted_from": None}
    elected_on = fields.Date(required=True)
    seats = _seats()
    full_members = fields.Integer(required=True, allow_none=True)
    counted_from = fields.String(required=True, allow_none=True, validate=validate.OneOf(("records", "declared")),
                                 metadata={"description": "records: full_members was counted from the member "
                                                          "records; declared: as given (no records yet)"})
    term_years = fields.Integer(required=True)
    term_ends_on = fields.Date(required=True)
    rules_version = fields.String(required=True)


@catalog.register
class FoundingRequested(Event):
    """A unit asked its parent organisation to found a branch."""
    event_type = "orgs.founding_requested"
    event_version = 2

    @staticmethod
    def upcast_v1_v2(payload: dict) -> dict:
        """Before a declared count was checked against the records, where it came from was not kept."""
        return {**payload, "counted_from": None}
    parent_id = fields.String(required=True)
    proposed_name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(BRANCH_KINDS))
    unit = fields.Nested(Unit, required=True)
    covered_units = _units()
    full_members = fields.Integer(required=True)
    counted_from = fields.String(required=True, allow_none=True, validate=validate.OneOf(("records", "declared")),
                                 metadata={"description": "records: full_members was counted from the member "
                                                          "records; declared: as given (no records yet)"})
    probationary_members = fields.Integer(required=True)
    founding_members = fields.List(fields.Nested(Person), required=True)
    proposed_committee = _seats()
    requested_on = fields.Date(required=True)
    decision_due_on = fields.Date(required=True)
    rules_version = fields.String(required=True)


@catalog.register
class FoundingApproved(Event):
    event_type = "orgs.founding_approved"
    decided_on = fields.Date(required=True)
    note = fields.String(required=True, allow_none=True)


@catalog.register
class FoundingRejected(Event):
    event_type = "orgs.founding_rejected"
    decided_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1))


@catalog.register
class FoundingCommitteeElected(Event):
    """The founding meeting elected the new branch's committee."""
    event_type = "orgs.founding_committee_elected"
    meeting_date = fields.Date(required=True)
    seats = _seats()
    rules_version = fields.String(required=True)


@catalog.register
class FoundingConfirmed(Event):
    """The parent confirmed secretary and deputy; ``branch_id`` is the branch
    whose ``orgs.branch_founded`` follows in the same transaction."""
    event_type = "orgs.founding_confirmed"
    confirmed_on = fields.Date(required=True)
    branch_id = fields.String(required=True)
    secretary = fields.Nested(Person, required=True)
    deputy_secretary = fields.Nested(Person, required=True, allow_none=True)


@catalog.register
class AllianceFormed(Event):
    """Organisations grouped across the tree; no reporting line changes."""
    event_type = "orgs.alliance_formed"
    name = fields.String(required=True)
    member_org_ids = fields.List(fields.String(), required=True)
    formed_on = fields.Date(required=True)


@catalog.register
class AllianceMemberAdded(Event):
    event_type = "orgs.alliance_member_added"
    org_id = fields.String(required=True)
    joined_on = fields.Date(required=True)


@catalog.register
class AllianceMemberRemoved(Event):
    event_type = "orgs.alliance_member_removed"
    org_id = fields.String(required=True)
    left_on = fields.Date(required=True)
