"""The gateway and the orgs service in real nameko containers, on a real
RabbitMQ (a throwaway vhost) and a real PostgreSQL database, driven over
HTTP with requests, as a signed-in district_admin."""
import uuid

import pytest

from access_helpers import ADMIN, AUTH_CONFIG
from platform_factory import GatewaySession, free_port
from services.gateway.payload import MAX_BODY_BYTES
from services.gateway.service import GatewayService
from services.orgs.service import OrgsService

pytestmark = pytest.mark.integration


@pytest.fixture
def api(rabbit_config, pg_database_factory, container_factory):
    """A requests session on a running gateway + orgs; ``api.url(path)``."""
    address = f"127.0.0.1:{free_port()}"
    config = {**rabbit_config, **AUTH_CONFIG, "WEB_SERVER_ADDRESS": address, "GATEWAY_RPC_TIMEOUT": 20,
              "DB_URIS": {"orgs": pg_database_factory("ejia_test_gw")}}
    containers = [container_factory(cls, config) for cls in (OrgsService, GatewayService)]
    for container in containers:
        container.start()
    session = GatewaySession(f"http://{address}", ADMIN)  # subject "district-admin"
    yield session
    session.close()
    for container in reversed(containers):  # before the database is dropped
        container.kill()


def call(api, method, path, expect, **kwargs):
    response = api.request(method, api.url(path), timeout=30, **kwargs)
    assert response.status_code == expect, (method, path, response.status_code, response.text)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def error(api, method, path, expect, **kwargs):
    body = call(api, method, path, expect, **kwargs)
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])
    return body["error"]


def people(count):
    return [{"name": f"Member {i}"} for i in range(count)]


def founding_request(name="Nano Tech Branch", full=4, probationary=1):
    return {"proposed_name": name, "unit": {"name": f"{name} Co.", "unit_type": "enterprise"},
            "full_members": full, "probationary_members": probationary,
            "founding_members": people(full + probationary),
            "proposed_committee": [{"role": "secretary", "name": "Li Ming"},
                                   {"role": "deputy_secretary", "name": "Wang Fang"}]}


def committee(api):
    return call(api, "POST", "/api/v1/orgs", 201,
                json={"name": "Dushu Lake Committee", "kind": "committee"})


def test_founding_a_branch_end_to_end(api):
    correlation = f"found-{uuid.uuid4().hex[:8]}"
    parent = call(api, "POST", "/api/v1/orgs", 201, json={"name": "Dushu Lake Committee", "kind": "committee"},
                  headers={"X-Correlation-Id": correlation, "X-Actor": "ignored"})
    assert parent["status"] == "active" and parent["kind"] == "committee"

    request = call(api, "POST", f"/api/v1/orgs/{parent['id']}/founding-requests", 201, json=founding_request())
    assert request["state"] == "requested" and request["parent_id"] == parent["id"]
    path = f"/api/v1/founding-requests/{request['id']}"
    assert call(api, "POST", path + "/approve", 200, json={"note": "welcome"})["state"] == "approved"
    elected = call(api, "POST", path + "/elect-committee", 200, json={
        "meeting_date": request["requested_on"],
        "seats": [{"role": "secretary", "name": "Li Ming"}, {"role": "deputy_secretary", "name": "Wang Fang"}]})
    assert elected["state"] == "committee_elected"
    confirmed = call(api, "POST", path + "/confirm", 200)  # no body: every field is optional
    assert confirmed["state"] == "confirmed" and confirmed["branch_id"]

    branch = call(api, "GET", f"/api/v1/orgs/{confirmed['branch_id']}", 200)
    assert branch["status"] == "active" and branch["kind"] == "branch"
    assert branch["parent_id"] == parent["id"] and branch["name"] == "Nano Tech Branch"
    assert call(api, "GET", path, 200)["state"] == "confirmed"

    children = call(api, "GET", f"/api/v1/orgs/{parent['id']}/children", 200, params={"limit": "10"})
    assert [child["id"] for child in children["items"]] == [branch["id"]]
    tree = call(api, "GET", f"/api/v1/orgs/{parent['id']}/tree", 200)
    assert [child["id"] for child in tree["children"]] == [branch["id"]]
    listed = call(api, "GET", f"/api/v1/orgs/{parent['id']}/founding-requests", 200,
                  params={"state": "confirmed"})
    assert [item["id"] for item in listed["items"]] == [request["id"]]
    seats = call(api, "GET", f"/api/v1/orgs/{branch['id']}/committee", 200)["seats"]
    assert {seat["role"] for seat in seats} == {"secretary", "deputy_secretary"}

    # who acted and the correlation id reached the events through the RPC
    history = call(api, "GET", f"/api/v1/orgs/{parent['id']}/history", 200)
    first = history["items"][0]
    assert first["actor"] == "district-admin" and first["correlation_id"] == correlation


def test_rejecting_needs_a_reason(api):
    parent = committee(api)
    request = call(api, "POST", f"/api/v1/orgs/{parent['id']}/founding-requests", 201, json=founding_request())
    path = f"/api/v1/founding-requests/{request['id']}/reject"
    assert list(error(api, "POST", path, 400, json={})["fields"]) == ["reason"]
    assert list(error(api, "POST", path, 400, json={"reason": "   "})["fields"]) == ["reason"]
    rejected = call(api, "POST", path, 200, json={"reason": "fewer than 3 full members work there"})
    assert rejected["state"] == "rejected"
    assert error(api, "POST", path, 409, json={"reason": "again"})["code"] == "conflict"


def test_bad_input_is_4xx_and_never_500(api):
    parent = committee(api)
    fields = error(api, "POST", "/api/v1/orgs", 400, json={})["fields"]
    assert {"name", "kind"} <= set(fields)
    fields = error(api, "POST", "/api/v1/orgs", 400, json={"name": 5, "kind": "committee"})["fields"]
    assert list(fields) == ["name"]
    fields = error(api, "POST", "/api/v1/orgs", 400,
                   json={"name": "B", "kind": "branch", "parent_id": parent["id"],
                         "unit": {"name": "U", "unit_type": "enterprise"}, "full_members": "three"})["fields"]
    assert list(fields) == ["full_members"]
    unknown = error(api, "POST", "/api/v1/orgs", 404,
                    json={"name": "Orphan Committee", "kind": "committee", "parent_id": "no-such-org"})
    assert unknown["code"] == "not_found" and "parent_id" in unknown["fields"]
    assert error(api, "POST", "/api/v1/orgs", 400, data=b'{"name": "B",',
                 headers={"Content-Type": "application/json"})["code"] == "malformed_json"
    assert error(api, "POST", "/api/v1/orgs", 400, json=["a list"])["code"] == "invalid_input"
    big = {"name": "x" * (MAX_BODY_BYTES + 1), "kind": "committee"}
    assert error(api, "POST", "/api/v1/orgs", 413, json=big)["code"] == "payload_too_large"
    assert error(api, "GET", "/api/v1/orgs/no-such-org", 404)["code"] == "not_found"
    assert error(api, "GET", "/api/v1/founding-requests/nope", 404)["code"] == "not_found"
    assert error(api, "POST", "/api/v1/orgs/no-such-org/founding-requests", 404,
                 json=founding_request())["code"] == "not_found"
    too_few = error(api, "POST", f"/api/v1/orgs/{parent['id']}/founding-requests", 422,
                    json=founding_request(full=2, probationary=0))
    assert too_few["code"] == "rule_violation" and too_few["rule"]
    assert list(error(api, "GET", f"/api/v1/orgs/{parent['id']}/children", 400,
                      params={"limit": "500"})["fields"]) == ["limit"]
    assert error(api, "GET", "/api/v1/nowhere", 404)["code"] == "not_found"
    assert error(api, "DELETE", f"/api/v1/orgs/{parent['id']}", 405)["code"] == "method_not_allowed"


def test_alliances_and_committees(api):
    parent = committee(api)
    other = call(api, "POST", "/api/v1/orgs", 201, json={"name": "Science Park Committee", "kind": "committee"})
    alliance = call(api, "POST", "/api/v1/alliances", 201,
                    json={"name": "Lakeside Alliance", "member_org_ids": [parent["id"]]})
    path = f"/api/v1/alliances/{alliance['id']}"
    added = call(api, "POST", path + "/members", 200, json={"org_id": other["id"]})
    assert set(added["member_org_ids"]) == {parent["id"], other["id"]}
    removed = call(api, "DELETE", f"{path}/members/{parent['id']}", 200)
    assert removed["member_org_ids"] == [other["id"]]
    assert call(api, "GET", path, 200)["name"] == "Lakeside Alliance"
    assert [a["id"] for a in call(api, "GET", "/api/v1/alliances", 200)["items"]] == [alliance["id"]]

    seats = [{"role": "secretary", "name": "Zhao Lei"}, {"role": "organisation", "name": "Sun Li"},
             {"role": "publicity", "name": "Zhou Min"}]
    elected = call(api, "PUT", f"/api/v1/orgs/{parent['id']}/committee", 200,
                   json={"elected_on": "2021-01-10", "seats": seats})
    assert elected["term_years"] == 5
    due = call(api, "GET", f"/api/v1/orgs/{parent['id']}/due-elections", 200, params={"within_days": "3650"})
    assert parent["id"] in [item["org_id"] for item in due]


def test_health_docs_and_openapi(api):
    # only orgs runs here: members is named as the service that does not answer
    health = call(api, "GET", "/health", 503)
    assert health["status"] == "degraded"
    assert health["services"] == {"orgs": "ok", "members": "unavailable", "dues": "unavailable",
                                  "identity": "unavailable"}
    assert "/api/v1/orgs" in call(api, "GET", "/openapi.json", 200)["paths"]
    page = api.get(api.url("/docs"), timeout=10)
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
