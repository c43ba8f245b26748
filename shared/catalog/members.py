"""Events published by the members service, on the ``members.events`` exchange.

Aggregate: ``member``. Every payload inherits ``MemberStateSchema``: the
member's branch, party group, stage and status AFTER the event, so that a
consumer (member counts, dues) can upsert its row of the member from any
``members.*`` event with ``shared.inbox.advance_version``.

Personal data: payloads never carry the ID number or the phone number; the
members service keeps them in its own table. ``profile_updated`` names them
in ``changed`` when they change, without their values. Dates are ISO dates.
"""
from marshmallow import Schema, fields, validate

from ..contracts.members import ASSESSMENT_RESULTS, GENDERS, STAGES, STATUSES
from . import catalog


class MemberStateSchema(Schema):
    """The member's state after the event."""
    org_id = fields.String(required=True, metadata={"description": "the branch or joint branch"})
    group_id = fields.String(required=True, allow_none=True, metadata={"description": "the party group"})
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))


class Person(Schema):
    member_id = fields.String(required=True)
    name = fields.String(required=True)


class Sponsor(Person):
    org_id = fields.String(required=True)
    same_branch = fields.Boolean(required=True)


class WarningEntry(Schema):
    rule = fields.String(required=True)
    message = fields.String(required=True)


def _date(allow_none=False):
    return fields.Date(required=True, allow_none=allow_none)


def _text(allow_none=True):
    return fields.String(required=True, allow_none=allow_none)


class _Step(MemberStateSchema):
    decided_by = _text()
    note = _text()
    rules_version = fields.String(required=True)


class _Vote(_Step):
    meeting_date = _date()
    eligible_voters = fields.Integer(required=True)
    present_voters = fields.Integer(required=True)
    yes = fields.Integer(required=True)
    no = fields.Integer(required=True)
    abstain = fields.Integer(required=True)


@catalog.event("members.member_registered", 1)
class MemberRegistered(MemberStateSchema):
    """A member record was registered: an applicant entering the pipeline, or
    a member at a later stage with the dates it was reached."""
    name = fields.String(required=True)
    gender = fields.String(required=True, validate=validate.OneOf(GENDERS))
    birth_date = _date()
    ethnicity = fields.String(required=True)
    education = fields.String(required=True)
    employer = fields.String(required=True)
    registered_on = _date()
    applied_on = _date(True)
    activist_on = _date(True)
    candidate_on = _date(True)
    admitted_on = _date(True)
    full_on = _date(True)
    probation_ends_on = _date(True)
    talk_due_on = _date(True)
    candidate_eligible_on = _date(True)
    next_assessment_due_on = _date(True)
    rules_version = fields.String(required=True, allow_none=True)


@catalog.event("members.profile_updated", 1)
class ProfileUpdated(MemberStateSchema):
    """Profile fields changed; the profile after the change, and the names of
    the fields that changed (``id_number`` and ``phone`` by name only)."""
    name = fields.String(required=True)
    gender = fields.String(required=True, validate=validate.OneOf(GENDERS))
    birth_date = _date()
    ethnicity = fields.String(required=True)
    education = fields.String(required=True)
    employer = fields.String(required=True)
    updated_on = _date()
    changed = fields.List(fields.String(), required=True)


@catalog.event("members.status_changed", 1)
class StatusChanged(MemberStateSchema):
    """The member's status changed (``status`` is the new one). ``grounds``
    names the time limit that allowed it, counted from ``grounds_since``."""
    previous_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    changed_on = _date()
    reason = fields.String(required=True)
    grounds = fields.String(required=True, allow_none=True,
                            validate=validate.OneOf(("unreachable", "abroad", "inactivity", "after_suspension")))
    grounds_since = _date(True)
    rules_version = fields.String(required=True)


@catalog.event("members.talk_recorded", 1)
class TalkRecorded(_Step):
    """The branch talked with the applicant (``late``: after ``due_on``)."""
    talked_on = _date()
    talked_by = fields.String(required=True)
    due_on = _date(True)
    late = fields.Boolean(required=True)


@catalog.event("members.activist_designated", 1)
class ActivistDesignated(_Step):
    """applicant -> activist, by the branch committee, filed with the parent."""
    activist_on = _date()
    filed_on = _date(True)
    candidate_eligible_on = _date()
    next_assessment_due_on = _date()


@catalog.event("members.contacts_assigned", 1)
class ContactsAssigned(_Step):
    """Full members assigned as the activist's contacts (they replace earlier ones)."""
    assigned_on = _date()
    contacts = fields.List(fields.Nested(Person), required=True)


@catalog.event("members.assessment_recorded", 1)
class AssessmentRecorded(_Step):
    """A half-yearly assessment of an activist or candidate."""
    assessed_on = _date()
    result = fields.String(required=True, validate=validate.OneOf(ASSESSMENT_RESULTS))
    next_assessment_due_on = _date()


@catalog.event("members.candidate_approved", 1)
class CandidateApproved(_Step):
    """activist -> candidate (发展对象), after the activist period, with the
    public notice and the parent's filing or approval the rules required."""
    candidate_on = _date()
    public_notice_from = _date(True)
    public_notice_to = _date(True)
    public_notice_working_days = fields.Integer(required=True, allow_none=True)
    filed_on = _date(True)
    parent_approved_on = _date(True)


@catalog.event("members.sponsors_assigned", 1)
class SponsorsAssigned(_Step):
    """Two full members in good standing sponsor the candidate."""
    assigned_on = _date()
    sponsors = fields.List(fields.Nested(Sponsor), required=True)
    warnings = fields.List(fields.Nested(WarningEntry), required=True)


@catalog.event("members.political_review_recorded", 1)
class PoliticalReviewRecorded(_Step):
    reviewed_on = _date()
    passed = fields.Boolean(required=True)


@catalog.event("members.training_recorded", 1)
class TrainingRecorded(_Step):
    """Training completed; totals include every session recorded so far."""
    completed_on = _date()
    days = fields.Integer(required=True)
    class_hours = fields.Integer(required=True)
    course = _text()
    total_days = fields.Integer(required=True)
    total_class_hours = fields.Integer(required=True)


@catalog.event("members.admission_voted", 1)
class AdmissionVoted(_Vote):
    """The branch general meeting voted to admit the candidate (quorum and
    majority met); the parent approves by ``approval_due_on``."""
    approval_due_on = _date()
    approval_due_on_special = _date()


@catalog.event("members.admission_approved", 1)
class AdmissionApproved(_Step):
    """candidate -> probationary: the parent approved the admission; probation
    runs from the meeting (``admitted_on``) to ``probation_ends_on``."""
    approved_on = _date()
    special = fields.Boolean(required=True)
    admitted_on = _date()
    probation_ends_on = _date()


@catalog.event("members.confirmed_full", 1)
class ConfirmedFull(_Vote):
    """probationary -> full, by vote and the parent's approval; party standing
    counts from ``full_on`` (the end of probation)."""
    approved_on = _date()
    special = fields.Boolean(required=True)
    full_on = _date()


@catalog.event("members.probation_extended", 1)
class ProbationExtended(_Step):
    """Probation extended (once) to ``probation_ends_on``."""
    decided_on = _date()
    months = fields.Integer(required=True)
    reason = fields.String(required=True)
    approved_on = _date(True)
    previous_ends_on = _date()
    probation_ends_on = _date()


@catalog.event("members.probation_cancelled", 1)
class ProbationCancelled(_Step):
    """The probationary membership was cancelled: the person is no longer a
    member (stage stays probationary, status becomes left)."""
    decided_on = _date()
    reason = fields.String(required=True)


@catalog.event("members.personal_data_erased", 1)
class PersonalDataErased(MemberStateSchema):
    """The member's ID number and phone were erased: their data key and
    ciphertexts deleted, unrecoverable (the ID number may be registered
    again). Carries neither value; the member's earlier events are unchanged."""
    reason = fields.String(required=True)
    erased_on = _date()
