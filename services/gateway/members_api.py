"""The member routes of the API (members service): records, status, and the
development pipeline, one route per step of
``shared.contracts.members.PIPELINE_STEPS`` (generated from it). A mixin of
``GatewayService``; each handler only calls the members service.

Personal data (ID number, phone, and the birth date that would give the
masked ID number away) is shown only to a caller whose scope covers the
member: the members service decides, from the access token the gateway
forwards (``shared.access.Principal.may_see_personal_data``)."""
from nameko.rpc import RpcProxy

from shared.contracts import members as c
from shared.contracts import orgs as oc

from .http import V1, api
from .responses import JsonText

MEMBERS = V1 + "/members"
MEMBER = MEMBERS + "/<member_id>"
ORG = V1 + "/orgs/<org_id>"

REGISTER_EXAMPLE = {
    "name": "李明", "gender": "male", "birth_date": "1996-05-04", "ethnicity": "汉族",
    "education": "硕士研究生", "id_number": "320506199605041237", "phone": "13812345678",
    "employer": "纳米科技有限公司", "org_id": "0b6e8f3c-5d1a-4c2e-9f7a-2a4b6c8d0e1f",
    "stage": "applicant", "applied_on": "2024-03-01",
}
UPDATE_EXAMPLE = {"employer": "生物医药研究院", "phone": "13912345678", "expected_version": 3}
STATUS_EXAMPLE = {"status": "lost_contact", "changed_on": "2024-03-01",
                  "reason": "no reply to calls or letters since March"}
STEP_EXAMPLES = {
    "record-talk": {"talked_on": "2024-03-20", "talked_by": "王芳", "decided_by": "支部委员会"},
    "designate-activist": {"activist_on": "2024-04-10", "filed_on": "2024-04-15", "decided_by": "支部委员会"},
    "assign-contacts": {"contact_ids": ["5f0c1e2a-8d3b-4a6f-9c1e-7b2d4f6a8c0e"], "assigned_on": "2024-04-10"},
    "record-assessment": {"assessed_on": "2024-10-10", "result": "good", "note": "学习积极，表现良好"},
    "approve-candidate": {"candidate_on": "2025-04-10", "public_notice_from": "2025-04-14",
                          "public_notice_to": "2025-04-18", "filed_on": "2025-04-21",
                          "decided_by": "支部委员会"},
    "assign-sponsors": {"sponsor_ids": ["5f0c1e2a-8d3b-4a6f-9c1e-7b2d4f6a8c0e",
                                        "9a7b5c3d-1e2f-4a6b-8c0d-2e4f6a8b0c1d"], "assigned_on": "2025-04-21"},
    "record-political-review": {"reviewed_on": "2025-05-06", "passed": True},
    "record-training": {"completed_on": "2025-05-20", "days": 3, "class_hours": 24, "course": "发展对象培训班"},
    "admission-vote": {"meeting_date": "2025-06-12", "eligible_voters": 20, "present_voters": 18, "yes": 17,
                       "no": 0, "abstain": 1, "decided_by": "支部大会"},
    "approve-admission": {"approved_on": "2025-07-03", "decided_by": "党工委"},
    "confirm-full": {"meeting_date": "2026-06-12", "eligible_voters": 21, "present_voters": 19, "yes": 19,
                     "no": 0, "abstain": 0, "approved_on": "2026-07-02"},
    "extend-probation": {"decided_on": "2026-06-12", "months": 6, "reason": "需进一步考察",
                         "approved_on": "2026-06-30"},
    "cancel-probation": {"decided_on": "2025-12-01", "reason": "不履行党员义务，经教育仍无转变"},
}
"""The request body example of each pipeline route in the OpenAPI document."""
PERSONAL_DATA_NOTE = ("id_number and phone are masked, and birth_date is null, unless the caller is the "
                      "member, an org_admin of the member's branch or above, or a district_admin; "
                      "personal_revealed tells which. Auditors always see them masked.")
LIST_NOTE = ("Lean rows, not full records: who (name, gender, party group), where in the pipeline and "
             "since when (stage, status, next_deadline), and href, the member's full record. No row holds an "
             "ID number, phone or birth date, masked or not, whoever asks: those are in the full record, "
             "shown by its rule.")
ERASE_EXAMPLE = {"reason": "本人申请，依法删除个人信息"}


class MembersApi:
    members = RpcProxy("members")

    # -- records ---------------------------------------------------------
    @api("POST", MEMBERS, tag="members", status=201, example=REGISTER_EXAMPLE,
         summary="Register a member (an applicant, or an existing member with the dates of each stage)",
         body=c.RegisterMemberIn, response=c.MemberOut)
    def register_member(self, data):
        return self.members.register_member(data)

    @api("GET", MEMBERS, tag="members", query=c.SearchIn, response=c.MemberPageOut,
         summary="Search members within your scope: by name, by exact ID number or by phone",
         description="Staff only. A name matches on any part of it; an ID number or phone finds only members "
                     "whose personal data you may see (never for an auditor). " + LIST_NOTE)
    def search_members(self, q, limit, offset, org_id=None):
        return self.members.search_members(q, org_id=org_id, limit=limit, offset=offset)

    @api("GET", MEMBER, tag="members", summary="Get a member", description=PERSONAL_DATA_NOTE,
         response=c.MemberOut)
    def get_member(self, member_id):
        return self.members.get_member(member_id)

    @api("GET", MEMBER + "/history", tag="members", summary="The member's events, oldest first, with who did each",
         query=oc.PageIn, response=oc.EventPageOut)
    def member_history(self, member_id, limit, offset):
        return self.members.member_history(member_id, limit=limit, offset=offset)

    @api("POST", MEMBER + "/erase-personal-data", tag="members", example=ERASE_EXAMPLE,
         summary="Erase the member's ID number and phone for good (the member's key is destroyed)",
         description="district_admin only; recorded as members.personal_data_erased; the history stays.",
         body=c.ErasePersonalDataIn, response=c.MemberOut)
    def erase_personal_data(self, member_id, data):
        return self.members.erase_personal_data(member_id, data)

    @api("PATCH", MEMBER, tag="members", summary="Correct or update a member's profile (only the fields given)",
         body=c.UpdateMemberIn, response=c.MemberOut, example=UPDATE_EXAMPLE)
    def update_member(self, member_id, data):
        return self.members.update_member(member_id, data)

    @api("GET", ORG + "/members", tag="members", summary="Members of an organisation by name, a page at a time: a committee's whole subtree by default",
         description=LIST_NOTE, query=c.MemberListIn, response=c.MemberPageOut)
    def list_members(self, org_id, limit, offset, scope, stage=None, status=None):
        """O(1) per page here: the policy checked the branch once, rows hold no
        personal data to mask, and the page comes as its JSON text, sent on
        as it is (decoding 200 rows and encoding them again cost more than
        the RPC)."""
        return JsonText(self.members.list_members(org_id, stage=stage, status=status, limit=limit, offset=offset,
                                                  scope=scope, as_json=True))

    @api("GET", ORG + "/legacy-exceptions", tag="members",
         summary="Members of the org's whole subtree whose history was entered as a legacy exception",
         description="Each with the reason, the reference and every pipeline rule the history breaks; "
                     "newest first.", query=oc.PageIn, response=c.LegacyExceptionPageOut)
    def list_legacy_exceptions(self, org_id, limit, offset):
        return self.members.list_legacy_exceptions(org_id, limit=limit, offset=offset)

    @api("POST", MEMBER + "/status", tag="members", summary="Change a member's status",
         body=c.ChangeStatusIn, response=c.MemberOut, example=STATUS_EXAMPLE)
    def change_status(self, member_id, data):
        return self.members.change_status(member_id, data)

    # -- the development pipeline ------------------------------------------
    @api("GET", ORG + "/pipeline/due", tag="pipeline",
         summary="The pipeline deadlines of an organisation (its whole subtree by default): due and overdue",
         query=c.PipelineDueIn, response=c.PipelineDueOut)
    def pipeline_due(self, org_id, scope, as_of=None):
        return self.members.pipeline_due(org_id, as_of=as_of.isoformat() if as_of else None, scope=scope)


def _pipeline_route(step: str, schema: type, summary: str):
    """``POST /api/v1/members/<member_id>/pipeline/<step>`` with ``schema`` as its body."""

    def handler(self, member_id, data):
        return self.members.pipeline_step(member_id, step, data)

    handler.__name__ = handler.__qualname__ = "pipeline_" + step.replace("-", "_")
    handler.__doc__ = summary
    return api("POST", f"{MEMBER}/pipeline/{step}", tag="pipeline", summary=summary, body=schema,
               response=c.MemberOut, example=STEP_EXAMPLES.get(step))(handler)


PIPELINE_HANDLERS = {step: _pipeline_route(step, schema, summary)
                     for step, (schema, summary) in c.PIPELINE_STEPS.items()}
for _handler in PIPELINE_HANDLERS.values():
    setattr(MembersApi, _handler.__name__, _handler)
