"""The member routes: thin calls to the members service, bodies and query
parameters checked against the members contracts first; one route per
pipeline step; personal data: the members service decides from the caller's
token, which the gateway forwards (the policy table lets only callers whose
scope covers the member read it at all)."""
import pytest

from gateway_helpers import as_role, bearer, token
from services.gateway.members_api import PIPELINE_HANDLERS, STEP_EXAMPLES
from shared.contracts import members as contracts
from shared.errors import NotFound, RuleViolation

MEMBER = {"id": "m1", "name": "李明", "id_number": "3205**********1237", "phone": "138****5678"}
REGISTER = {
    "name": "李明", "gender": "male", "birth_date": "1996-05-04", "ethnicity": "汉族",
    "education": "硕士研究生", "id_number": "320506199605041237", "phone": "13812345678",
    "employer": "纳米科技有限公司", "org_id": "b1", "stage": "applicant", "applied_on": "2024-03-01",
}


def test_register_passes_the_body_as_sent_and_answers_201(call, members, gateway):
    members.register_member.return_value = MEMBER
    reply = call("register_member", "POST", "/api/v1/members", json_body=REGISTER,
                 headers={**as_role("org_admin", "b1", subject="clerk"), "X-Actor": "someone-else"})
    assert reply.status == 201 and reply.json == MEMBER
    members.register_member.assert_called_once_with(REGISTER)
    assert gateway.ctx.set.call_args.kwargs["actor"] == "clerk"


def test_registering_in_another_branch_is_403(call, members):
    reply = call("register_member", "POST", "/api/v1/members", json_body=REGISTER, headers=as_role("org_admin", "b2"))
    assert reply.status == 403
    members.register_member.assert_not_called()


def test_a_bad_id_number_is_400_naming_it_without_repeating_it(call, members):
    wrong = REGISTER["id_number"][:-1] + "0"
    reply = call("register_member", "POST", "/api/v1/members", json_body={**REGISTER, "id_number": wrong})
    assert reply.status == 400 and list(reply.error["fields"]) == ["id_number"]
    assert wrong not in reply.text
    members.register_member.assert_not_called()


def test_missing_fields_and_stage_dates_are_named(call, members):
    for missing in ("name", "applied_on"):  # a field; a stage date (the schema's own check)
        reply = call("register_member", "POST", "/api/v1/members",
                     json_body={k: v for k, v in REGISTER.items() if k != missing})
        assert reply.status == 400 and list(reply.error["fields"]) == [missing]
    members.register_member.assert_not_called()


def test_a_rule_violation_from_members_is_422_naming_the_rule(call, members):
    members.register_member.side_effect = RuleViolation(
        "members.pipeline.min_age", "an applicant must be at least 18", {"age": 17})
    reply = call("register_member", "POST", "/api/v1/members", json_body=REGISTER)
    assert reply.status == 422
    assert reply.error["rule"] == "members.pipeline.min_age" and reply.error["code"] == "rule_violation"


@pytest.mark.parametrize("role, org_id, member_id, status", [
    ("district_admin", None, None, 200),
    ("org_admin", "b1", None, 200),  # the member's branch (FixedScope: every member is in b1)
    ("org_admin", "d0", None, 200),  # the committee above it
    ("auditor", None, None, 200),  # reads, masked (the members service decides)
    ("member", None, "m1", 200),  # themself
    ("member", None, "m2", 403),  # someone else
    ("org_admin", "b2", None, 403),  # another branch
    ("integration", None, None, 403),
])
def test_the_callers_token_goes_to_the_members_service_which_decides_on_personal_data(
        call, gateway, members, role, org_id, member_id, status):
    members.get_member.return_value = MEMBER
    value = token(role.replace("_", "-"), role, org_id, member_id)
    reply = call("get_member", "GET", "/api/v1/members/m1", member_id="m1", headers=bearer(value))
    assert reply.status == status
    if status == 200:
        members.get_member.assert_called_once_with("m1")  # no reveal flag: only the token decides
        assert gateway.ctx.set.call_args.kwargs["access_token"] == value
    else:
        members.get_member.assert_not_called()


def test_a_query_cannot_ask_for_personal_data(call, members):
    members.get_member.return_value = MEMBER
    reply = call("get_member", "GET", "/api/v1/members/m1", member_id="m1", query={"reveal_personal": "true"},
                 headers=as_role("auditor"))
    assert reply.status == 200  # the parameter is ignored: only a token decides
    members.get_member.assert_called_once_with("m1")


def test_an_unknown_member_is_404(call, members):
    members.get_member.side_effect = NotFound("member m9 does not exist", {"id": "m9"})
    assert call("get_member", "GET", "/api/v1/members/m9", member_id="m9").status == 404


def test_update_passes_path_and_body(call, members):
    members.update_member.return_value = MEMBER
    body = {"employer": "生物医药研究院", "expected_version": 2}
    assert call("update_member", "PATCH", "/api/v1/members/m1", member_id="m1", json_body=body).status == 200
    members.update_member.assert_called_once_with("m1", body)


def test_an_empty_update_is_400(call, members):
    reply = call("update_member", "PATCH", "/api/v1/members/m1", member_id="m1", json_body={})
    assert reply.status == 400
    members.update_member.assert_not_called()


def test_change_status(call, members):
    members.change_status.return_value = MEMBER
    body = {"status": "lost_contact", "reason": "no reply since March"}
    assert call("change_status", "POST", "/api/v1/members/m1/status", member_id="m1", json_body=body).status == 200
    members.change_status.assert_called_once_with("m1", body)
    reply = call("change_status", "POST", "/api/v1/members/m1/status", member_id="m1",
                 json_body={"status": "vanished", "reason": "x"})
    assert reply.status == 400 and list(reply.error["fields"]) == ["status"]


def test_list_members_types_its_query(call, members):
    members.list_members.return_value = '{"items":[],"total":0,"limit":200,"offset":400}'
    call("list_members", "GET", "/api/v1/orgs/b1/members", org_id="b1",
         query={"stage": "full", "status": "active", "limit": "200", "offset": "400"})
    members.list_members.assert_called_once_with("b1", stage="full", status="active", limit=200, offset=400,
                                                 scope="subtree",
                                                 as_json=True)


def test_list_members_defaults(call, members):
    members.list_members.return_value = '{"items":[]}'
    call("list_members", "GET", "/api/v1/orgs/b1/members", org_id="b1")
    members.list_members.assert_called_once_with("b1", stage=None, status=None, limit=50, offset=0,
                                                 scope="subtree", as_json=True)


def test_a_page_is_sent_on_as_the_members_service_encoded_it(call, members):
    """No row is decoded, masked or encoded again here: the text is the body."""
    text = '{"items":[{"id":"m1","href":"/api/v1/members/m1","name":"李明"}],"total":1,"limit":50,"offset":0}'
    members.list_members.return_value = text
    reply = call("list_members", "GET", "/api/v1/orgs/b1/members", org_id="b1")
    assert reply.status == 200 and reply.text == text
    assert reply.json["items"][0]["name"] == "李明"


@pytest.mark.parametrize("query, field", [({"stage": "member"}, "stage"), ({"status": "gone"}, "status"),
                                          ({"limit": "201"}, "limit"), ({"offset": "-1"}, "offset"),
                                          ({"sort": "name"}, "sort")])
def test_bad_list_parameters_are_400_naming_them(call, members, query, field):
    reply = call("list_members", "GET", "/api/v1/orgs/b1/members", org_id="b1", query=query)
    assert reply.status == 400 and list(reply.error["fields"]) == [field]
    members.list_members.assert_not_called()


def test_pipeline_due_passes_as_of_as_an_iso_date(call, members):
    members.pipeline_due.return_value = {"as_of": "2024-03-01", "due": [], "overdue": []}
    call("pipeline_due", "GET", "/api/v1/orgs/b1/pipeline/due", org_id="b1", query={"as_of": "2024-03-01"})
    members.pipeline_due.assert_called_once_with("b1", as_of="2024-03-01", scope="subtree")
    members.pipeline_due.reset_mock()
    call("pipeline_due", "GET", "/api/v1/orgs/b1/pipeline/due", org_id="b1")
    members.pipeline_due.assert_called_once_with("b1", as_of=None, scope="subtree")
    reply = call("pipeline_due", "GET", "/api/v1/orgs/b1/pipeline/due", org_id="b1", query={"as_of": "soon"})
    assert reply.status == 400 and list(reply.error["fields"]) == ["as_of"]


def test_there_is_one_route_per_pipeline_step():
    assert set(PIPELINE_HANDLERS) == set(contracts.PIPELINE_STEPS) == set(STEP_EXAMPLES)


@pytest.mark.parametrize("step", sorted(contracts.PIPELINE_STEPS))
def test_each_pipeline_route_validates_with_its_schema_and_calls_the_step(call, members, step):
    entrypoint = PIPELINE_HANDLERS[step].__name__
    members.pipeline_step.return_value = MEMBER
    path = f"/api/v1/members/m1/pipeline/{step}"
    body = STEP_EXAMPLES[step]
    reply = call(entrypoint, "POST", path, member_id="m1", json_body=body)
    assert reply.status == 200 and reply.json == MEMBER
    members.pipeline_step.assert_called_once_with("m1", step, body)
    members.pipeline_step.reset_mock()
    schema = contracts.PIPELINE_STEPS[step][0]
    bad = call(entrypoint, "POST", path, member_id="m1", json_body={"expected_version": "two"})
    assert bad.status == 400
    assert set(bad.error["fields"]) >= {"expected_version"} | {
        name for name, field in schema().fields.items() if field.required}
    members.pipeline_step.assert_not_called()


@pytest.mark.parametrize("vote, rule", [
    ({"present_voters": 10, "yes": 10}, "members.pipeline.vote_quorum"),
    ({"present_voters": 15, "yes": 10}, "members.pipeline.vote_majority"),
])
def test_a_refused_vote_is_422_with_its_rule(call, members, vote, rule):
    members.pipeline_step.side_effect = RuleViolation(rule, "refused", {})
    body = {"meeting_date": "2024-03-01", "eligible_voters": 20, "no": 0, "abstain": 0, **vote}
    reply = call("pipeline_admission_vote", "POST", "/api/v1/members/m1/pipeline/admission-vote",
                 member_id="m1", json_body=body)
    assert reply.status == 422 and reply.error["rule"] == rule
