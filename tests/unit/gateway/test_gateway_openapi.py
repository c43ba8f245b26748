"""The OpenAPI document: valid, complete, built from the contract schemas."""
import json

import openapi_spec_validator
import pytest

from services.gateway.openapi import build_spec
from services.gateway.service import GatewayService
from shared.contracts import orgs as contracts

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
    assert {t["name"] for t in spec["tags"]} >= {"orgs", "founding", "committees", "alliances", "ops"}


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
