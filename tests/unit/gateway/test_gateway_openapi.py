"""The OpenAPI document: valid, complete, built from the contract schemas."""
import json

import openapi_spec_validator
import pytest

from services.gateway.openapi import build_spec
from services.gateway.service import GatewayService
from shared.contracts import members as member_contracts
from shared.contracts import dues as dues_contracts
from shared.contracts import identity as identity_contracts
from shared.contracts import orgs as contracts
from shared.contracts import transfers as transfer_contracts

# Every API route: (method, OpenAPI path, success status, request schema name).
ROUTES = [
    ("post", "/api/v1/orgs", "201", "CreateOrgIn"),
    ("get", "/api/v1/orgs/{org_id}", "200", None),
    ("get", "/api/v1/orgs/{org_id}/tree", "200", None),
    ("get", "/api/v1/orgs/{org_id}/children", "200", None),
    ("patch", "/api/v1/orgs/{org_id}/rename", "200", "RenameOrgIn"),
    ("post", "/api/v1/orgs/{org_id}/rename", "200", "RenameOrgIn"),
    ("post", "/api/v1/orgs/{org_id}/dissolve", "200", "DissolveOrgIn"),
    ("get", "/api/v1/orgs/{org_id}/history", "200", None),
    ("get", "/api/v1/orgs", "200", None),
    ("post", "/api/v1/orgs/{org_id}/founding-requests", "201", "FoundingRequestIn"),
    ("get", "/api/v1/orgs/{org_id}/founding-requests", "200", None),
    ("get", "/api/v1/founding-requests/{request_id}", "200", None),
    ("post", "/api/v1/founding-requests/{request_id}/approve", "200", "ApproveFoundingIn"),
    ("post", "/api/v1/founding-requests/{request_id}/reject", "200", "RejectFoundingIn"),
    ("post", "/api/v1/founding-requests/{request_id}/elect-committee", "200", "ElectFoundingCommitteeIn"),
    ("post", "/api/v1/founding-requests/{request_id}/confirm", "200", "ConfirmFoundingIn"),
    ("put", "/api/v1/orgs/{org_id}/committee", "200", "ElectCommitteeIn"),
    ("get", "/api/v1/orgs/{org_id}/committee", "200", None),
    ("get", "/api/v1/orgs/{org_id}/due-elections", "200", None),
    ("post", "/api/v1/alliances", "201", "CreateAllianceIn"),
    ("get", "/api/v1/alliances", "200", None),
    ("get", "/api/v1/alliances/{alliance_id}", "200", None),
    ("post", "/api/v1/alliances/{alliance_id}/members", "200", "AddAllianceMemberIn"),
    ("delete", "/api/v1/alliances/{alliance_id}/members/{org_id}", "200", None),
    ("post", "/api/v1/members", "201", "RegisterMemberIn"),
    ("get", "/api/v1/members", "200", None),
    ("get", "/api/v1/members/{member_id}", "200", None),
    ("patch", "/api/v1/members/{member_id}", "200", "UpdateMemberIn"),
    ("post", "/api/v1/members/{member_id}/status", "200", "ChangeStatusIn"),
    ("get", "/api/v1/orgs/{org_id}/members", "200", None),
    ("get", "/api/v1/orgs/{org_id}/legacy-exceptions", "200", None),
    ("get", "/api/v1/orgs/{org_id}/arrears", "200", None),
    ("get", "/api/v1/imports/members/template", "200", None),
    ("post", "/api/v1/imports/members", "202", None),
    ("get", "/api/v1/imports/{job_id}", "200", None),
    ("get", "/api/v1/orgs/{org_id}/roster.xlsx", "200", None),
    ("get", "/api/v1/orgs/{org_id}/dues-report.xlsx", "200", None),
    ("get", "/api/v1/orgs/{org_id}/payments.xlsx", "200", None),
    ("post", "/api/v1/dues/arrears-check", "200", "ArrearsCheckIn"),
    ("get", "/api/v1/orgs/{org_id}/pipeline/due", "200", None),
    *[("post", f"/api/v1/members/{{member_id}}/pipeline/{step}", "200", schema.__name__)
      for step, (schema, _) in member_contracts.PIPELINE_STEPS.items()],
    # transfers and dues
    ("get", "/api/v1/members/{member_id}/dues", "200", None),
    ("get", "/api/v1/members/{member_id}/dues/clearance", "200", None),
    ("get", "/api/v1/members/{member_id}/transfers", "200", None),
    ("get", "/api/v1/orgs/{org_id}/dues-base-policy", "200", None),
    ("get", "/api/v1/orgs/{org_id}/dues-report", "200", None),
    ("get", "/api/v1/orgs/{org_id}/transfers", "200", None),
    ("get", "/api/v1/transfers/{transfer_id}", "200", None),
    ("get", "/api/v1/transfers/{transfer_id}/letter.pdf", "200", None),
    ("post", "/api/v1/dues/payments", "201", "PaymentIn"),
    ("post", "/api/v1/members/{member_id}/dues/arrears-reason", "200", "ArrearsReasonIn"),
    ("post", "/api/v1/members/{member_id}/dues/reductions", "201", "RecordReductionIn"),
    ("post", "/api/v1/members/{member_id}/dues/reductions/approve", "200", "ApproveReductionIn"),
    ("post", "/api/v1/members/{member_id}/dues/reductions/reject", "200", "RejectReductionIn"),
    ("post", "/api/v1/transfers", "201", "RequestTransferIn"),
    ("post", "/api/v1/transfers/sweep", "200", "SweepIn"),
    ("post", "/api/v1/transfers/{transfer_id}/accept", "200", "AcceptTransferIn"),
    ("post", "/api/v1/transfers/{transfer_id}/approve", "200", "ApproveTransferIn"),
    ("post", "/api/v1/transfers/{transfer_id}/complete", "200", "CompleteTransferIn"),
    ("post", "/api/v1/transfers/{transfer_id}/issue-letter", "200", "IssueLetterIn"),
    ("post", "/api/v1/transfers/{transfer_id}/reissue-letter", "200", "ReissueLetterIn"),
    ("post", "/api/v1/transfers/{transfer_id}/reject", "200", "RejectTransferIn"),
    ("post", "/api/v1/transfers/{transfer_id}/report-in", "200", "ReportInIn"),
    ("post", "/api/v1/transfers/{transfer_id}/resubmit", "200", "ResubmitTransferIn"),
    ("post", "/api/v1/transfers/{transfer_id}/return-for-correction", "200", "ReturnTransferIn"),
    ("post", "/api/v1/transfers/{transfer_id}/withdraw", "200", "WithdrawTransferIn"),
    ("put", "/api/v1/members/{member_id}/dues-base", "200", "SetDuesBaseIn"),
    ("put", "/api/v1/orgs/{org_id}/dues-base-policy", "200", "BasePolicyIn"),
    # sign-in, the caller's own account, accounts and roles
    ("post", "/api/v1/auth/token", "200", "TokenIn"),
    ("post", "/api/v1/auth/refresh", "200", "RefreshIn"),
    ("post", "/api/v1/auth/logout", "200", "LogoutIn"),
    ("get", "/api/v1/me", "200", None),
    ("post", "/api/v1/me/password", "200", "OwnPasswordIn"),
    ("get", "/api/v1/accounts", "200", None),
    ("post", "/api/v1/accounts", "201", "CreateAccountIn"),
    ("get", "/api/v1/accounts/{username}", "200", None),
    ("post", "/api/v1/accounts/{username}/roles", "200", "RoleIn"),
    ("post", "/api/v1/accounts/{username}/roles/revoke", "200", "RoleIn"),
    ("post", "/api/v1/accounts/{username}/disable", "200", "DisableAccountIn"),
    ("get", "/api/v1/members/{member_id}/history", "200", None),
    ("post", "/api/v1/members/{member_id}/erase-personal-data", "200", "ErasePersonalDataIn"),
    ("get", "/health", "200", None),
    ("get", "/openapi.json", "200", None),
    ("get", "/docs", "200", None),
]
HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


@pytest.fixture(scope="module")
def spec():
    return build_spec(GatewayService)


def test_the_document_is_valid_openapi_3(spec):
    openapi_spec_validator.validate(spec)


def test_the_document_is_openapi_3_with_info_and_tags(spec):
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert {t["name"] for t in spec["tags"]} >= {"orgs", "founding", "committees", "alliances", "members",
                                                 "pipeline", "ops"}


def test_the_document_has_exactly_the_api_routes(spec):
    documented = {(method, path) for path, item in spec["paths"].items()
                  for method in item if method in HTTP_METHODS}
    assert documented == {(method, path) for method, path, _, _ in ROUTES}


@pytest.mark.parametrize("method, path, status, body", ROUTES)
def test_each_operation_is_tagged_summarised_and_typed(spec, method, path, status, body):
    operation = spec["paths"][path][method]
    assert operation["summary"] and operation["tags"]
    assert status in operation["responses"]
    if body is not None:
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{body}"}
        assert operation["responses"]["400"] == {"$ref": "#/components/responses/InvalidInput"}
        assert "413" in operation["responses"] and "422" in operation["responses"]
    if path.startswith("/api/"):
        assert "503" in operation["responses"] and "500" in operation["responses"]


def test_path_parameters_are_declared(spec):
    for path, item in spec["paths"].items():
        names = {p["name"] for p in item.get("parameters", []) if p.get("in") == "path"}
        assert names == {part[1:-1] for part in path.split("/") if part.startswith("{")}, path


def test_query_parameters_come_from_the_contract(spec):
    params = spec["paths"]["/api/v1/orgs/{org_id}/children"]["get"]["parameters"]
    limit = next(p for p in params if p.get("name") == "limit")
    assert limit["in"] == "query"
    assert limit["schema"]["minimum"] == 1 and limit["schema"]["maximum"] == contracts.MAX_PAGE
    founding = spec["paths"]["/api/v1/orgs/{org_id}/founding-requests"]["get"]["parameters"]
    assert "state" in {p.get("name") for p in founding}
    due = spec["paths"]["/api/v1/orgs/{org_id}/due-elections"]["get"]["parameters"]
    assert "within_days" in {p.get("name") for p in due}


def test_contract_schemas_and_the_error_schema_are_components(spec):
    schemas = spec["components"]["schemas"]
    for name in ("CreateOrgIn", "OrgOut", "OrgTreeOut", "FoundingRequestOut", "CommitteeOut",
                 "AllianceOut", "OrgPageOut", "EventPageOut"):
        assert name in schemas
    assert set(schemas["CreateOrgIn"]["properties"]) == set(contracts.CreateOrgIn().fields)
    error = schemas["Error"]["properties"]["error"]
    assert set(error["required"]) == {"code", "message", "fields"}
    assert "rule" in error["properties"]
    for response in spec["components"]["responses"].values():
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_every_reference_resolves(spec):
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    for ref in refs:
        _, section, kind, name = ref.split("/")
        assert name in spec[section][kind], ref


def test_openapi_json_is_served(call):
    reply = call("openapi", "GET", "/openapi.json")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.json == json.loads(json.dumps(build_spec(GatewayService)))


def test_each_pipeline_step_has_its_route_summary_and_schema(spec):
    for step, (schema, summary) in member_contracts.PIPELINE_STEPS.items():
        operation = spec["paths"][f"/api/v1/members/{{member_id}}/pipeline/{step}"]["post"]
        assert operation["tags"] == ["pipeline"] and operation["summary"] == summary
        assert operation["requestBody"]["content"]["application/json"]["schema"] == \
            {"$ref": f"#/components/schemas/{schema.__name__}"}
        assert operation["responses"]["422"] == {"$ref": "#/components/responses/RuleViolation"}


def test_member_query_parameters_come_from_the_contract(spec):
    params = {p["name"]: p for p in spec["paths"]["/api/v1/orgs/{org_id}/members"]["get"]["parameters"]
              if p.get("in") == "query"}
    assert set(params) == {"stage", "status", "limit", "offset", "scope"}
    assert params["scope"]["schema"]["enum"] == ["subtree", "org"] and params["scope"]["schema"]["default"] == "subtree"
    limit = member_contracts.MemberListIn().fields["limit"].validators[0]
    assert params["limit"]["schema"]["maximum"] == limit.max
    assert set(params["stage"]["schema"]["enum"]) >= set(member_contracts.STAGES)
    due = spec["paths"]["/api/v1/orgs/{org_id}/pipeline/due"]["get"]["parameters"]
    assert "as_of" in {p.get("name") for p in due}


def test_every_member_route_has_a_request_example_its_schema_accepts(spec):
    """Examples are real: each is loaded by the contract schema it illustrates."""
    checked = 0
    for method, path, _, body in ROUTES:
        if body is None:
            continue
        content = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
        if path.startswith("/api/v1/members") and "/dues" not in path:
            assert "example" in content, (method, path)
        if "example" in content:
            schema = next(getattr(module, body) for module in (member_contracts, contracts, dues_contracts,
                                                                 transfer_contracts, identity_contracts)
                          if hasattr(module, body))
            assert schema().validate(content["example"]) == {}, (method, path)
            checked += 1
    assert checked >= 17


PUBLIC_OPERATIONS = {("post", "/api/v1/auth/token"), ("post", "/api/v1/auth/refresh"),
                     ("post", "/api/v1/auth/logout")}
"""The API operations open without a token (besides /health, /openapi.json, /docs)."""


def test_bearer_tokens_are_documented_and_required_except_on_the_public_routes(spec):
    scheme = spec["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert spec["security"] == [{"bearer": []}]  # a bearer token, unless an operation says otherwise
    assert "Actor" not in spec["components"].get("parameters", {})  # X-Actor names no one any more
    for path, item in spec["paths"].items():
        if path.startswith("/api/"):
            for method, operation in item.items():
                if method not in HTTP_METHODS:
                    continue
                assert operation["x-ejia-policy"], (method, path)
                assert "X-Actor" not in json.dumps(operation), (method, path)
                if (method, path) in PUBLIC_OPERATIONS:
                    assert operation["security"] == [{}], (method, path)
                    assert "403" not in operation["responses"], (method, path)
                else:
                    assert "security" not in operation, (method, path)
                    assert operation["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}
                    assert operation["responses"]["403"] == {"$ref": "#/components/responses/Forbidden"}
    get_member = spec["paths"]["/api/v1/members/{member_id}"]["get"]
    assert "org_admin" in get_member["description"] and "district_admin" in get_member["description"]
    assert "personal_data" not in get_member["description"]
    assert get_member["x-ejia-policy"] == "read Member() or the member themself"


def test_money_is_a_string_with_a_decimal_pattern_and_never_a_json_number(spec):
    from shared.contracts.common import MONEY_PATTERN
    properties = [(name, prop, value) for name, schema in spec["components"]["schemas"].items()
                  for prop, value in schema.get("properties", {}).items()]
    assert not [(name, prop) for name, prop, value in properties if value.get("type") == "number"]
    money = {(name, prop): value for name, prop, value in properties if value.get("pattern") == f"^{MONEY_PATTERN.pattern}$"}
    assert {("PaymentIn", "amount"), ("PaymentIn", "voluntary_extra"), ("ReceiptOut", "total")} <= set(money)
    assert all(value["type"] == "string" for value in money.values())
