"""The members service's response schemas (``...Out``): what its RPC answers and the
gateway's responses carry."""
from marshmallow import Schema, fields

from ...vocabulary import DEADLINE_KINDS, GENDERS, STAGE_DATES, STAGES, STATUSES
from ..common import Date, describe as _describe, page_of
from ..transfers.answers import TransferOut

__all__ = [
    "AssessmentOut", "BreachOut", "CancellationOut", "DeadlineOut", "ExtensionOut", "ImportJobOut", "ImportProblemOut", "LegacyExceptionOut", "LegacyExceptionPageOut", "LegacyExceptionRowOut", "MEMBER_PATH", "MeOut", "MemberOut",
    "MemberPageOut", "MemberRefOut", "MemberRowOut", "MemberWarningOut", "NextDeadlineOut", "PipelineDueOut",
    "ReviewOut", "SponsorOut", "StatusDetailOut", "TalkOut", "TrainingOut", "VoteOut",
]


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
    counted_from = fields.String(metadata=_describe(
        "records: eligible_voters was counted from the member records; declared: as the branch gave it "
        "(no full member on record yet)"))
    attendee_ids = fields.List(fields.String(), allow_none=True, metadata=_describe(
        "the members present, where the meeting listed them"))
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


class BreachOut(MemberWarningOut):
    rules_version = fields.String(metadata=_describe("the rule set in force on the act's date", "2014"))
    facts = fields.Dict(metadata=_describe("the dates and figures the rule was judged on"))


class LegacyExceptionOut(Schema):
    reason = fields.String()
    reference = fields.String(allow_none=True)
    breaches = fields.List(fields.Nested(BreachOut), metadata=_describe("each pipeline rule the history breaks"))
    recorded_on = Date()


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
    legacy_exception = fields.Nested(LegacyExceptionOut, allow_none=True, metadata=_describe(
        "the history was entered as it happened although it breaks a pipeline rule, for this reason"))
    version = fields.Integer(metadata=_describe("pass as expected_version to refuse lost updates"))


class DeadlineOut(Schema):
    member_id = fields.String()
    name = fields.String()
    org_id = fields.String(metadata=_describe("the member's branch"))
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
    org_id = fields.String(metadata=_describe("the member's branch (a district's list spans many)"))
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


class MeOut(Schema):
    """A member's own summary in one call."""
    member = fields.Nested(MemberOut, metadata=_describe("personal data shown by the same rule as get_member"))
    next_deadline = fields.Nested(NextDeadlineOut, allow_none=True, metadata=_describe(
        "the member's soonest pipeline deadline (as pipeline_due has it), or null"))
    open_transfer = fields.Nested(TransferOut, allow_none=True, metadata=_describe(
        "the member's transfer that is not final, with its timeline, or null"))


class LegacyExceptionRowOut(Schema):
    """A member whose history was entered as a legacy exception, as the district's list shows them."""
    member_id = fields.String()
    href = fields.String(metadata=_describe("the member's full record"))
    name = fields.String()
    stage = fields.String()
    org_id = fields.String()
    org_name = fields.String(allow_none=True)
    legacy_exception = fields.Nested(LegacyExceptionOut)


LegacyExceptionPageOut = page_of(LegacyExceptionRowOut, "LegacyExceptionPage")


class ImportProblemOut(Schema):
    row = fields.Integer(metadata=_describe("the row as the spreadsheet numbers it (the header is row 1)", 7))
    column = fields.String(allow_none=True, metadata=_describe("the template's header", "身份证号码"))
    field = fields.String(allow_none=True)
    code = fields.String(metadata=_describe("the rule or problem", "members.pipeline.min_age"))
    message = fields.String()
    message_zh = fields.String()


class ImportJobOut(Schema):
    """An import: poll it until its state is imported, refused or failed."""
    id = fields.String()
    org_id = fields.String()
    mode = fields.String()
    state = fields.String(metadata=_describe("checking, writing, imported, refused (a bad row in mode all: "
                                             "nothing written) or failed"))
    total = fields.Integer(metadata=_describe("rows in the file"))
    checked = fields.Integer(metadata=_describe("rows checked so far"))
    written = fields.Integer(metadata=_describe("members registered"))
    unchanged = fields.Integer(metadata=_describe("rows whose ID number is registered already: left as they are"))
    errors = fields.List(fields.Nested(ImportProblemOut))
    actor = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
