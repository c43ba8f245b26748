"""The members service's command schemas (``...In``): RPC ``data`` and HTTP bodies."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...identifiers import stage_date_problems
from ...vocabulary import ASSESSMENT_RESULTS, GENDERS, STAGES, STATUSES
from ..common import (ID, Date, PageIn, ScopedPageIn, Text, date_field as _date, describe as _describe, scope_field,
                      text_field as _text)
from .fields import IdNumber, Phone, _check_id_birth_date, _count, _expected_version, _ids

__all__ = [
    "AdmissionVoteIn", "ApproveAdmissionIn", "ApproveCandidateIn", "AssignContactsIn", "AssignSponsorsIn",
    "CancelProbationIn", "ChangeStatusIn", "ConfirmFullIn", "DesignateActivistIn", "ErasePersonalDataIn",
    "ExtendProbationIn", "GetMemberIn", "IMPORT_MODES", "ImportIn", "ImportQueryIn", "MemberIdsIn", "LegacyExceptionIn", "MAX_IMPORT_ROWS", "MemberListIn", "PIPELINE_STEPS", "PipelineDueIn", "RecordAssessmentIn",
    "RecordPoliticalReviewIn", "RecordTalkIn", "RecordTrainingIn", "RegisterMemberIn", "SearchIn", "StepIn",
    "UpdateMemberIn", "VoteIn", "vote_count_problems",
]


class LegacyExceptionIn(Schema):
    """Why a history that breaks a pipeline rule is entered as it happened."""
    reason = _text("why the history is accepted; recorded as an event and listed for the district", 1000,
                   required=True, multiline=True, example="2012年入党，档案记载预备期10个月，经区委组织部核实")
    reference = _text("the decision or file that allows it", 200, example="湖组〔2026〕12号")


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
    applied_on = _date("application date (required at every stage; age is checked on it)")
    activist_on = _date("designated activist (required from activist on)")
    candidate_on = _date("became a candidate (required from candidate on)")
    admitted_on = _date("admission meeting: probation starts (required for probationary and full)")
    full_on = _date("full membership; party standing counts from it (required for full)")
    registered_on = _date("date of the record; today if absent")
    legacy_exception = fields.Nested(LegacyExceptionIn, load_default=None, allow_none=True, metadata=_describe(
        "only for a history that breaks a pipeline rule (age on application, activist period, probation): "
        "the reason it is accepted"))

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
    eligible_voters = _count("full members with a vote: counted from the member records (give it only to "
                             "check it: a different figure is refused); required for a branch with no full "
                             "member on record", 20, minimum=1, required=False)
    present_voters = _count("of them, present (or list them as attendee_ids)", 15, required=False)
    attendee_ids = fields.List(fields.String(validate=ID), load_default=None, allow_none=True,
                               validate=validate.Length(min=1, max=10_000), metadata=_describe(
                                   "the members present, by id: each must be an eligible voter; their number is "
                                   "present_voters"))
    yes = _count("votes for", 13)
    no = _count("votes against", 1)
    abstain = _count("abstentions", 1)

    @validates_schema
    def _counts(self, data, **kwargs):
        problems = vote_count_problems(data)
        if problems:
            raise ValidationError(problems)


def vote_count_problems(data: dict) -> dict:
    counts = {key: data.get(key) for key in ("eligible_voters", "present_voters", "yes", "no", "abstain")}
    if any(not isinstance(counts[key], int) for key in ("yes", "no", "abstain")):
        return {}
    present = len(data["attendee_ids"]) if isinstance(data.get("attendee_ids"), list) else counts["present_voters"]
    if isinstance(present, int) and isinstance(counts["eligible_voters"], int) and present > counts["eligible_voters"]:
        return {"present_voters": ["More than eligible_voters."]}
    if isinstance(present, int) and counts["yes"] + counts["no"] + counts["abstain"] > present:
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


class MemberListIn(ScopedPageIn):
    stage = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STAGES))
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STATUSES))


class SearchIn(PageIn):
    q = _text("a name or part of one; an exact ID number or a phone number finds the members whose personal "
              "data the caller may see", 50, required=True, example="李明")
    org_id = fields.String(load_default=None, allow_none=True, validate=ID, metadata=_describe(
        "only this organisation's subtree (one the caller covers); the caller's whole scope if absent"))


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
    scope = scope_field()


MAX_IMPORT_ROWS = 20_000
"""Rows of one import: the district's whole roster (6,234 members) and room to spare."""


IMPORT_MODES = ("all", "valid_rows")


class ImportQueryIn(Schema):
    """Where a roster goes and how strictly (the import's query parameters)."""
    org_id = fields.String(required=True, validate=ID, metadata=_describe(
        "the organisation the roster is for (yours to administer): every row's branch is in its subtree"))
    mode = fields.String(load_default="all", validate=validate.OneOf(IMPORT_MODES), metadata=_describe(
        "all: nothing is written unless every row is valid; valid_rows: the valid rows are written", "all"))


class ImportIn(ImportQueryIn):
    """A roster to import: its rows keyed by the template's headers (the
    gateway reads them from the XLSX or CSV file)."""
    rows = fields.List(fields.Dict(keys=fields.String()), required=True,
                       validate=validate.Length(min=1, max=MAX_IMPORT_ROWS))


class MemberIdsIn(Schema):
    member_ids = fields.List(fields.String(validate=ID), required=True,
                             validate=validate.Length(max=MAX_IMPORT_ROWS * 5))
