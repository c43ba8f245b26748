"""The members service's published language: its vocabulary (glossary names),
the format of personal identifiers, command schemas (``...In``: RPC ``data``
and HTTP bodies) and response schemas (``...Out``).

Rule numbers (ages, periods, windows, thresholds) are not here: they are
versioned rule data in the service, so a schema never refuses what a rule
revision would allow. What is here is shape and format: an ID number's
check digit, dates in the order the pipeline needs them.

Personal data: validation messages never repeat the value they refuse.
"""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .common import ID, Date, PageIn, Text, date_field as _date, describe as _describe, page_of, text_field as _text  # noqa: F401
from ..identifiers import (  # noqa: F401 (published here)
    PHONE_PATTERN, id_number_birth_date, id_number_check_digit, id_number_problem, mask_id_number,
    mask_phone, normalise_id_number, stage_date_problems)
from ..vocabulary import (  # noqa: F401 (published here)
    GENDERS, STAGES, STATUSES, FINAL_STATUSES, IN_GOOD_STANDING, DUES_PAYING_STAGES, DUES_PAYING_STATUSES,
    ASSESSMENT_RESULTS, DEADLINE_KINDS, STAGE_DATES, PROFILE_FIELDS)


# ---- fields ---------------------------------------------------------------------

class IdNumber(fields.String):
    """An 18-character PRC resident ID number, check digit validated."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = normalise_id_number(super()._deserialize(value, attr, data, **kwargs))
        problem = id_number_problem(value)
        if problem:
            raise ValidationError(problem)
        return value


class Phone(fields.String):
    """A mainland mobile (11 digits, optional +86) or landline (0512-62345678)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if not PHONE_PATTERN.fullmatch(value):
            raise ValidationError("Not a valid phone number (mobile 13812345678 or landline 0512-62345678).")
        return value


def _count(text, example, minimum=0):
    return fields.Integer(strict=True, required=True, validate=validate.Range(min=minimum, max=100_000),
                          metadata=_describe(text, example))


def _expected_version():
    return fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1),
                          metadata=_describe("refuse (409) if the member changed since this version"))


def _ids(text, example):
    return fields.List(fields.String(validate=ID), required=True, validate=validate.Length(min=1, max=5),
                       metadata=_describe(text, example))


def _check_id_birth_date(data):
    id_number, birth_date = data.get("id_number"), data.get("birth_date")
    if id_number and birth_date and id_number_birth_date(id_number) != birth_date:
        raise ValidationError({"id_number": ["The birth date in the ID number does not match birth_date."]})


# ---- commands -------------------------------------------------------------------

class RegisterMemberIn(Schema):
    """Register a member record: an applicant entering the pipeline, or an
    existing activist, candidate, probationary or full member whose dates
    are entered as they happened."""
    name = _text("full name", 50, required=True, example="李明")
    gender = fields.String(required=True, validate=validate.OneOf(GENDERS), metadata=_describe("", "male"))
    birth_date = _date("birth date; must match the ID number", required=True, example="1996-05-04")
    ethnicity = _text("ethnic group", 30, required=True, example="汉族")
    education = _text("highest education", 50, required=True, example="硕士研究生")
    id_number = IdNumber(required=True, metadata=_describe(
        "18-character resident ID number (GB 11643 check digit); personal data: stored apart from "
        "the events, masked in responses", "110105199605040018"))
    phone = Phone(required=True, metadata=_describe("personal data, masked in responses", "13812345678"))
    employer = _text("work or study unit", 100, required=True, example="纳米科技有限公司")
    org_id = fields.String(required=True, validate=ID,
                           metadata=_describe("the active branch or joint branch the member belongs to"))
    group_id = fields.String(load_default=None, allow_none=True, validate=ID,
                             metadata=_describe("a party group inside that branch"))
    stage = fields.String(required=True, validate=validate.OneOf(STAGES), metadata=_describe("", "applicant"))
    applied_on = _date("application date (required for an applicant; age is checked on it)")
    activist_on = _date("designated activist (required from activist on)")
    candidate_on = _date("became a candidate (required from candidate on)")
    admitted_on = _date("admission meeting: probation starts (required for probationary and full)")
    full_on = _date("full membership; party standing counts from it (required for full)")
    registered_on = _date("date of the record; today if absent")

    @validates_schema
    def _consistent(self, data, **kwargs):
        _check_id_birth_date(data)
        problems = stage_date_problems(data.get("stage"), data, data.get("birth_date"))
        if problems:
            raise ValidationError({name: [message] for name, message in problems.items()})


class UpdateMemberIn(Schema):
    """Correct or update profile fields; only those given change. Moving to
    another branch is a transfer, not an update."""
    name = Text(validate=validate.Length(min=1, max=50))
    gender = fields.String(validate=validate.OneOf(GENDERS))
    birth_date = Date(metadata=_describe("must match the ID number"))
    ethnicity = Text(validate=validate.Length(min=1, max=30))
    education = Text(validate=validate.Length(min=1, max=50))
    employer = Text(validate=validate.Length(min=1, max=100))
    id_number = IdNumber(metadata=_describe("personal data"))
    phone = Phone(metadata=_describe("personal data"))
    group_id = fields.String(allow_none=True, validate=ID,
                             metadata=_describe("a party group inside the member's branch, or null"))
    updated_on = _date("today if absent")
    expected_version = _expected_version()

    @validates_schema
    def _something(self, data, **kwargs):
        if not set(data) - {"updated_on", "expected_version"}:
            raise ValidationError("Give at least one field to update.")
        _check_id_birth_date(data)


class ChangeStatusIn(Schema):
    """Change a member's status (docs/domain.md §2): lost contact, suspended
    (unreachable >= 6 months, or abroad > 5 years), left (6 months without
    organisational life or dues; or 2 years after a suspension), expelled,
    deceased, or back to active (a suspension only within its 2 years)."""
    status = fields.String(required=True, validate=validate.OneOf(STATUSES),
                           metadata=_describe("the new status", "lost_contact"))
    changed_on = _date("date of the change; time limits are counted to it; today if absent")
    reason = _text("why; recorded with the change", 1000, required=True,
                   example="no reply to calls or letters since March", multiline=True)
    abroad_since = _date("for a suspension on the abroad ground: settled or studying abroad since")
    inactive_since = _date("for left: without organisational life or dues since (defaults to "
                           "the lost-contact date)")
    expected_version = _expected_version()


class StepIn(Schema):
    """What every pipeline step may carry."""
    decided_by = _text("who decided or did it (e.g. branch committee)", 100, example="支部委员会")
    note = _text("remarks", 1000, multiline=True)
    expected_version = _expected_version()


class RecordTalkIn(StepIn):
    talked_on = _date("date of the talk; today if absent")
    talked_by = _text("who talked with the applicant", 100, required=True, example="王芳")


class DesignateActivistIn(StepIn):
    activist_on = _date("the branch committee's decision; today if absent")
    filed_on = _date("filed with the parent committee")


class AssignContactsIn(StepIn):
    contact_ids = _ids("member ids of the full members assigned as contacts (1-2)", ["m-1"])
    assigned_on = _date("today if absent")


class RecordAssessmentIn(StepIn):
    assessed_on = _date("today if absent")
    result = fields.String(required=True, validate=validate.OneOf(ASSESSMENT_RESULTS),
                           metadata=_describe("the half-yearly assessment", "good"))


class ApproveCandidateIn(StepIn):
    candidate_on = _date("the branch committee's decision (>= 1 year as activist); today if absent")
    public_notice_from = _date("first day of the public notice, where the rules require one")
    public_notice_to = _date("last day of the public notice")
    filed_on = _date("filed with the parent committee")
    parent_approved_on = _date("approved by the parent, where the rules require it")

    @validates_schema
    def _notice(self, data, **kwargs):
        start, end = data.get("public_notice_from"), data.get("public_notice_to")
        if (start is None) != (end is None):
            raise ValidationError({"public_notice_to": ["Give both ends of the public notice."]})
        if start and end and end < start:
            raise ValidationError({"public_notice_to": ["Must be on or after public_notice_from."]})


class AssignSponsorsIn(StepIn):
    sponsor_ids = _ids("member ids of the two sponsors: full members in good standing", ["m-1", "m-2"])
    assigned_on = _date("today if absent")


class RecordPoliticalReviewIn(StepIn):
    reviewed_on = _date("today if absent")
    passed = fields.Boolean(required=True, metadata=_describe("the review's outcome", True))


class RecordTrainingIn(StepIn):
    completed_on = _date("today if absent")
    days = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=365),
                          metadata=_describe("days of training", 3))
    class_hours = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=2000),
                                 metadata=_describe("class hours", 24))
    course = _text("course or programme", 200, example="发展对象培训班")

    @validates_schema
    def _some(self, data, **kwargs):
        if not data.get("days") and not data.get("class_hours"):
            raise ValidationError({"days": ["Give days or class_hours."]})


class VoteIn(StepIn):
    """A branch general meeting's vote on one member, as counted."""
    meeting_date = _date("date of the branch general meeting", required=True)
    eligible_voters = _count("full members with a vote who should attend", 20, minimum=1)
    present_voters = _count("of them, present", 15)
    yes = _count("votes for", 13)
    no = _count("votes against", 1)
    abstain = _count("abstentions", 1)

    @validates_schema
    def _counts(self, data, **kwargs):
        problems = vote_count_problems(data)
        if problems:
            raise ValidationError(problems)


def vote_count_problems(data: dict) -> dict:
    keys = ("eligible_voters", "present_voters", "yes", "no", "abstain")
    if any(not isinstance(data.get(key), int) for key in keys):
        return {}
    if data["present_voters"] > data["eligible_voters"]:
        return {"present_voters": ["More than eligible_voters."]}
    if data["yes"] + data["no"] + data["abstain"] > data["present_voters"]:
        return {"yes": ["yes + no + abstain is more than present_voters."]}
    return {}


class AdmissionVoteIn(VoteIn):
    """Quorum: more than half of the eligible present; passes: yes from more
    than half of the eligible (exactly half fails). Sponsors, a passed
    political review and enough training must be recorded first."""


class ApproveAdmissionIn(StepIn):
    approved_on = _date("the parent committee's approval; today if absent")
    special = fields.Boolean(load_default=False,
                             metadata=_describe("a special case: the longer approval window applies"))


class ConfirmFullIn(VoteIn):
    """On or after the end of probation: the branch meeting's vote and the
    parent's approval (within its window) make a full member."""
    approved_on = _date("the parent committee's approval; today if absent")
    special = fields.Boolean(load_default=False)


class ExtendProbationIn(StepIn):
    decided_on = _date("on or after the end of probation; today if absent")
    months = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=60),
                            metadata=_describe("by how many months (the rules allow 6-12, once)", 6))
    reason = _text("why", 1000, required=True, multiline=True)
    approved_on = _date("approved by the parent committee")


class CancelProbationIn(StepIn):
    decided_on = _date("today if absent")
    reason = _text("why", 1000, required=True, multiline=True)


PIPELINE_STEPS = {
    "record-talk": (RecordTalkIn, "Record the branch's talk with an applicant (due within 1 month)"),
    "designate-activist": (DesignateActivistIn, "Designate an applicant as an activist"),
    "assign-contacts": (AssignContactsIn, "Assign 1-2 full members as an activist's contacts"),
    "record-assessment": (RecordAssessmentIn, "Record an activist's half-yearly assessment"),
    "approve-candidate": (ApproveCandidateIn, "Make an activist of >= 1 year a candidate"),
    "assign-sponsors": (AssignSponsorsIn, "Assign two full members as sponsors"),
    "record-political-review": (RecordPoliticalReviewIn, "Record a candidate's political review"),
    "record-training": (RecordTrainingIn, "Record a candidate's training (>= 3 days or 24 class hours)"),
    "admission-vote": (AdmissionVoteIn, "Record the branch general meeting's admission vote"),
    "approve-admission": (ApproveAdmissionIn, "Parent approves the admission: probation starts"),
    "confirm-full": (ConfirmFullIn, "Confirm a probationary member as a full member"),
    "extend-probation": (ExtendProbationIn, "Extend probation once, by 6-12 months"),
    "cancel-probation": (CancelProbationIn, "Cancel a probationary membership"),
}
"""step (the last part of POST /api/v1/members/{id}/pipeline/<step>) ->
(request schema, summary)."""


class MemberListIn(PageIn):
    stage = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STAGES))
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STATUSES))


class GetMemberIn(Schema):
    reveal_personal = fields.Boolean(load_default=False, metadata=_describe(
        "ignored (kept for older callers): the members service decides from the caller's verified "
        "access token whether personal data is shown"))


class ErasePersonalDataIn(Schema):
    """Erase the member's ID number and phone for good (their data key and
    ciphertexts are deleted; the ID number may then be registered again)."""
    reason = _text("why; recorded with the erasure (never the data itself)", 1000, required=True,
                   example="the person asked for erasure after leaving", multiline=True)
    erased_on = _date("today if absent")
    expected_version = _expected_version()


class PipelineDueIn(Schema):
    as_of = _date("the day deadlines are judged on; today if absent")


# ---- responses ------------------------------------------------------------------

class MemberWarningOut(Schema):
    rule = fields.String(metadata=_describe("the rule id", "members.pipeline.sponsor_same_branch"))
    message = fields.String()


class MemberRefOut(Schema):
    member_id = fields.String()
    name = fields.String()


class SponsorOut(MemberRefOut):
    org_id = fields.String()
    same_branch = fields.Boolean()


class TalkOut(Schema):
    talked_on = Date()
    talked_by = fields.String()
    due_on = Date(allow_none=True)
    late = fields.Boolean(metadata=_describe("held after its due date"))


class AssessmentOut(Schema):
    assessed_on = Date()
    result = fields.String()
    note = fields.String(allow_none=True)


class ReviewOut(Schema):
    reviewed_on = Date()
    passed = fields.Boolean()


class TrainingOut(Schema):
    days = fields.Integer(metadata=_describe("total days recorded"))
    class_hours = fields.Integer(metadata=_describe("total class hours recorded"))
    sessions = fields.List(fields.Dict())


class VoteOut(Schema):
    meeting_date = Date()
    eligible_voters = fields.Integer()
    present_voters = fields.Integer()
    yes = fields.Integer()
    no = fields.Integer()
    abstain = fields.Integer()
    approval_due_on = Date(allow_none=True, metadata=_describe("the parent approves by then"))
    approval_due_on_special = Date(allow_none=True, metadata=_describe("... or by then in special cases"))
    approved_on = Date(allow_none=True)
    special = fields.Boolean(allow_none=True)


class ExtensionOut(Schema):
    decided_on = Date()
    months = fields.Integer()
    reason = fields.String()
    previous_ends_on = Date()


class CancellationOut(Schema):
    decided_on = Date()
    reason = fields.String()


class StatusDetailOut(Schema):
    previous_status = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    grounds = fields.String(allow_none=True, metadata=_describe(
        "unreachable, abroad, inactivity or after_suspension, where a time limit applied"))
    lost_contact_since = Date(allow_none=True)
    suspended_on = Date(allow_none=True)


class MemberOut(Schema):
    id = fields.String()
    name = fields.String()
    gender = fields.String()
    birth_date = Date(allow_none=True, metadata=_describe(
        "null unless personal data is revealed (with it the masked ID number could be worked out)"))
    ethnicity = fields.String()
    education = fields.String()
    employer = fields.String()
    id_number = fields.String(allow_none=True, metadata=_describe(
        "masked unless revealed; null once erased", "1101**********0018"))
    phone = fields.String(allow_none=True, metadata=_describe("masked unless revealed; null once erased",
                                                              "138****5678"))
    personal_revealed = fields.Boolean(metadata=_describe(
        "true when id_number, phone and birth_date are shown: to the member themself, a district admin, "
        "or an org admin of the member's branch or above (decided from the caller's access token)"))
    personal_data_erased = fields.Boolean(metadata=_describe("the ID number and phone were erased"))
    org_id = fields.String()
    org_name = fields.String(allow_none=True)
    group_id = fields.String(allow_none=True)
    group_name = fields.String(allow_none=True)
    stage = fields.String(metadata=_describe("one of " + ", ".join(STAGES)))
    status = fields.String(metadata=_describe("one of " + ", ".join(STATUSES)))
    status_since = Date(allow_none=True)
    status_detail = fields.Nested(StatusDetailOut, allow_none=True)
    registered_on = Date()
    applied_on = Date(allow_none=True)
    activist_on = Date(allow_none=True)
    candidate_on = Date(allow_none=True)
    admitted_on = Date(allow_none=True, metadata=_describe("join date: the admission meeting"))
    full_on = Date(allow_none=True, metadata=_describe("party standing counts from it"))
    probation_ends_on = Date(allow_none=True)
    talk_due_on = Date(allow_none=True)
    candidate_eligible_on = Date(allow_none=True)
    next_assessment_due_on = Date(allow_none=True)
    talk = fields.Nested(TalkOut, allow_none=True)
    contacts = fields.List(fields.Nested(MemberRefOut))
    assessments = fields.List(fields.Nested(AssessmentOut))
    candidate_decision = fields.Dict(allow_none=True, metadata=_describe(
        "public notice, filing with or approval by the parent"))
    sponsors = fields.List(fields.Nested(SponsorOut))
    political_review = fields.Nested(ReviewOut, allow_none=True)
    training = fields.Nested(TrainingOut)
    admission_vote = fields.Nested(VoteOut, allow_none=True)
    full_vote = fields.Nested(VoteOut, allow_none=True)
    extension = fields.Nested(ExtensionOut, allow_none=True)
    cancellation = fields.Nested(CancellationOut, allow_none=True)
    warnings = fields.List(fields.Nested(MemberWarningOut))
    version = fields.Integer(metadata=_describe("pass as expected_version to refuse lost updates"))


class DeadlineOut(Schema):
    member_id = fields.String()
    name = fields.String()
    stage = fields.String()
    kind = fields.String(metadata=_describe("one of " + ", ".join(DEADLINE_KINDS)))
    due_on = Date()
    days_left = fields.Integer(metadata=_describe("negative once overdue"))


class PipelineDueOut(Schema):
    as_of = Date()
    due = fields.List(fields.Nested(DeadlineOut), metadata=_describe("due on or after as_of, soonest first"))
    overdue = fields.List(fields.Nested(DeadlineOut), metadata=_describe("past their date, oldest first"))


class NextDeadlineOut(Schema):
    kind = fields.String(metadata=_describe("one of " + ", ".join(DEADLINE_KINDS)))
    due_on = Date()


MEMBER_PATH = "/api/v1/members/"
"""Where a member's full record is (``GET``, on the gateway): a list row's
``href`` is this followed by the member's id."""


class MemberRowOut(Schema):
    """A member as a branch's list shows them: who, where in the pipeline and
    since when, what is due next; everything else is in the full record at
    ``href``.

    No ID number, phone or birth date, masked or not, whoever asks: a list is
    for finding a member and seeing where they stand, not for identifying or
    calling them. Masking needs the plain value (its last digits), so even a
    masked one would cost a key unwrap and a decryption per row, and a list is
    the widest read there is (every org admin above the branch, auditors):
    personal data travels one member at a time, in the full record, by the
    rule of ``MemberOut``."""
    id = fields.String()
    href = fields.String(metadata=_describe(
        "the member's full record (GET; personal data shown there by the caller's scope)",
        MEMBER_PATH + "5f0c1e2a-8d3b-4a6f-9c1e-7b2d4f6a8c0e"))
    name = fields.String()
    gender = fields.String(metadata=_describe("one of " + ", ".join(GENDERS)))
    group_id = fields.String(allow_none=True, metadata=_describe("the party group within the branch, if any"))
    group_name = fields.String(allow_none=True)
    stage = fields.String(metadata=_describe("one of " + ", ".join(STAGES)))
    stage_since = Date(allow_none=True, metadata=_describe(
        "the date the member reached the stage (" + ", ".join(f"{s}: {d}" for s, d in STAGE_DATES.items())
        + " of the full record); null where it was not recorded"))
    status = fields.String(metadata=_describe("one of " + ", ".join(STATUSES)))
    status_since = Date(allow_none=True, metadata=_describe("the date of the last status change, if any"))
    next_deadline = fields.Nested(NextDeadlineOut, allow_none=True, metadata=_describe(
        "the member's soonest pipeline deadline (as pipeline_due has it; active members only), or null"))


MemberPageOut = page_of(MemberRowOut, "MemberPageOut")
"""A page of a branch's members, by name: lean rows (``MemberRowOut``), not
full records."""


def _transfer_out():
    from .transfers import TransferOut  # transfers' contract imports this module
    return TransferOut()


class MeOut(Schema):
    """A member's own summary in one call."""
    member = fields.Nested(MemberOut, metadata=_describe("personal data shown by the same rule as get_member"))
    next_deadline = fields.Nested(NextDeadlineOut, allow_none=True, metadata=_describe(
        "the member's soonest pipeline deadline (as pipeline_due has it), or null"))
    open_transfer = fields.Nested(_transfer_out, allow_none=True, metadata=_describe(
        "the member's transfer that is not final, with its timeline, or null"))
