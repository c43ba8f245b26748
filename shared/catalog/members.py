"""Events published by the members service, on the ``members.events`` exchange.

Aggregate: ``member``. Every payload inherits ``MemberState``: the
member's branch, party group, stage and status AFTER the event, so that a
consumer (member counts, dues) can upsert its row of the member from any
``members.*`` event with ``shared.inbox.advance_version``.

Personal data: payloads never carry the ID number or the phone number; the
members service keeps them in its own table. ``profile_updated`` names them
in ``changed`` when they change, without their values. Dates are ISO dates.
"""
from marshmallow import Schema, fields, validate

from ..vocabulary import ASSESSMENT_RESULTS, GENDERS, PROFILE_FIELDS, STAGES, STATUSES

PERSONAL_FIELDS = ("id_number", "phone")  # kept in the members-only table, never in an event
from ..event import Event
from .registry import catalog


class MemberState(Event):
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


class _Step(MemberState):
    decided_by = _text()
    note = _text()
    rules_version = fields.String(required=True)


class _Vote(_Step):
    """v2: where the eligible count came from (``counted_from``: the member
    records, or declared for a branch with no full member on record), and
    the attendees by member id where the meeting listed them."""
    event_version = 2
    meeting_date = _date()
    eligible_voters = fields.Integer(required=True)
    present_voters = fields.Integer(required=True)
    yes = fields.Integer(required=True)
    no = fields.Integer(required=True)
    abstain = fields.Integer(required=True)
    counted_from = fields.String(required=True, validate=validate.OneOf(("records", "declared")))
    attendee_ids = fields.List(fields.String(), required=True, allow_none=True)

    @staticmethod
    def upcast_v1_v2(payload: dict) -> dict:
        """Before counts came from records, every count was declared."""
        return {**payload, "counted_from": "declared", "attendee_ids": None}


@catalog.register
class MemberRegistered(MemberState):
    """A member record was registered: an applicant entering the pipeline, or
    a member at a later stage with the dates it was reached."""
    event_type = "members.member_registered"
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


@catalog.register
class ProfileUpdated(MemberState):
    """Profile fields changed; the profile after the change, the names of the
    fields that changed (``changed``: profile fields and ``group_id``), and of
    the personal data that changed (``personal_data_changed``: ``id_number``,
    ``phone``), by name only."""
    event_type = "members.profile_updated"
    event_version = 2
    name = fields.String(required=True)
    gender = fields.String(required=True, validate=validate.OneOf(GENDERS))
    birth_date = _date()
    ethnicity = fields.String(required=True)
    education = fields.String(required=True)
    employer = fields.String(required=True)
    updated_on = _date()
    changed = fields.List(fields.String(validate=validate.OneOf(PROFILE_FIELDS + ("group_id",))), required=True)
    personal_data_changed = fields.List(fields.String(validate=validate.OneOf(PERSONAL_FIELDS)), required=True)

    @staticmethod
    def upcast_v1_v2(payload):
        """v1 named personal data in ``changed`` among the profile fields; a
        subscriber had to know which names were personal. v2 lists them apart."""
        changed = payload.pop("changed")
        payload["changed"] = [name for name in changed if name not in PERSONAL_FIELDS]
        payload["personal_data_changed"] = [name for name in changed if name in PERSONAL_FIELDS]
        return payload


@catalog.register
class StatusChanged(MemberState):
    """The member's status changed (``status`` is the new one). ``grounds``
    names the time limit that allowed it, counted from ``grounds_since``."""
    event_type = "members.status_changed"
    previous_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    changed_on = _date()
    reason = fields.String(required=True)
    grounds = fields.String(required=True, allow_none=True,
                            validate=validate.OneOf(("unreachable", "abroad", "inactivity", "after_suspension")))
    grounds_since = _date(True)
    rules_version = fields.String(required=True)


@catalog.register
class TalkRecorded(_Step):
    """The branch talked with the applicant (``late``: after ``due_on``)."""
    event_type = "members.talk_recorded"
    talked_on = _date()
    talked_by = fields.String(required=True)
    due_on = _date(True)
    late = fields.Boolean(required=True)


@catalog.register
class ActivistDesignated(_Step):
    """applicant -> activist, by the branch committee, filed with the parent."""
    event_type = "members.activist_designated"
    activist_on = _date()
    filed_on = _date(True)
    candidate_eligible_on = _date()
    next_assessment_due_on = _date()


@catalog.register
class ContactsAssigned(_Step):
    """Full members assigned as the activist's contacts (they replace earlier ones)."""
    event_type = "members.contacts_assigned"
    assigned_on = _date()
    contacts = fields.List(fields.Nested(Person), required=True)


@catalog.register
class AssessmentRecorded(_Step):
    """A half-yearly assessment of an activist or candidate."""
    event_type = "members.assessment_recorded"
    assessed_on = _date()
    result = fields.String(required=True, validate=validate.OneOf(ASSESSMENT_RESULTS))
    next_assessment_due_on = _date()


@catalog.register
class CandidateApproved(_Step):
    """activist -> candidate (发展对象), after the activist period, with the
    public notice and the parent's filing or approval the rules required."""
    event_type = "members.candidate_approved"
    candidate_on = _date()
    public_notice_from = _date(True)
    public_notice_to = _date(True)
    public_notice_working_days = fields.Integer(required=True, allow_none=True)
    filed_on = _date(True)
    parent_approved_on = _date(True)


@catalog.register
class SponsorsAssigned(_Step):
    """Two full members in good standing sponsor the candidate."""
    event_type = "members.sponsors_assigned"
    assigned_on = _date()
    sponsors = fields.List(fields.Nested(Sponsor), required=True)
    warnings = fields.List(fields.Nested(WarningEntry), required=True)


@catalog.register
class PoliticalReviewRecorded(_Step):
    event_type = "members.political_review_recorded"
    reviewed_on = _date()
    passed = fields.Boolean(required=True)


@catalog.register
class TrainingRecorded(_Step):
    """Training completed; totals include every session recorded so far."""
    event_type = "members.training_recorded"
    completed_on = _date()
    days = fields.Integer(required=True)
    class_hours = fields.Integer(required=True)
    course = _text()
    total_days = fields.Integer(required=True)
    total_class_hours = fields.Integer(required=True)


@catalog.register
class AdmissionVoted(_Vote):
    """The branch general meeting voted to admit the candidate (quorum and
    majority met); the parent approves by ``approval_due_on``."""
    event_type = "members.admission_voted"
    approval_due_on = _date()
    approval_due_on_special = _date()


@catalog.register
class AdmissionApproved(_Step):
    """candidate -> probationary: the parent approved the admission; probation
    runs from the meeting (``admitted_on``) to ``probation_ends_on``."""
    event_type = "members.admission_approved"
    approved_on = _date()
    special = fields.Boolean(required=True)
    admitted_on = _date()
    probation_ends_on = _date()


@catalog.register
class ConfirmedFull(_Vote):
    """probationary -> full, by vote and the parent's approval; party standing
    counts from ``full_on`` (the end of probation)."""
    event_type = "members.confirmed_full"
    approved_on = _date()
    special = fields.Boolean(required=True)
    full_on = _date()


@catalog.register
class ProbationExtended(_Step):
    """Probation extended (once) to ``probation_ends_on``."""
    event_type = "members.probation_extended"
    decided_on = _date()
    months = fields.Integer(required=True)
    reason = fields.String(required=True)
    approved_on = _date(True)
    previous_ends_on = _date()
    probation_ends_on = _date()


@catalog.register
class ProbationCancelled(_Step):
    """The probationary membership was cancelled: the person is no longer a
    member (stage stays probationary, status becomes left)."""
    event_type = "members.probation_cancelled"
    decided_on = _date()
    reason = fields.String(required=True)


@catalog.register
class PersonalDataErased(MemberState):
    """The member's ID number and phone were erased: their data key and
    ciphertexts deleted, unrecoverable (the ID number may be registered
    again). Carries neither value; the member's earlier events are unchanged."""
    event_type = "members.personal_data_erased"
    reason = fields.String(required=True)
    erased_on = _date()


class Breach(WarningEntry):
    rules_version = fields.String(required=True)
    facts = fields.Dict(keys=fields.String(), required=True,
                        metadata={"description": "the dates and figures the rule was judged on"})


@catalog.register
class LegacyExceptionRecorded(MemberState):
    """A history entered at registration breaks a pipeline rule and was
    accepted as a legacy exception: the reason and the reference (the
    decision or file that allows it), with each rule it breaks. Recorded with
    the registration, in the same transaction; listed for the district."""
    event_type = "members.legacy_exception_recorded"
    reason = fields.String(required=True)
    reference = _text()
    breaches = fields.List(fields.Nested(Breach), required=True)
    recorded_on = _date()
