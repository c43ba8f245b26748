"""The gateway in a real nameko container, over kombu's in-memory transport
(no broker) with fake orgs and members services: routing (404/405 as JSON),
domain errors across a real RPC, bodies over a real socket, bearer tokens
(the policy's scope read from the fake services, the token forwarded to
them), /health, /docs."""
import json
import logging
import statistics
import time
import urllib.error
import urllib.request

import pytest
import requests
from nameko.runners import ServiceRunner

from gateway_helpers import ADMIN, as_role, bearer
from services.gateway.payload import MAX_BODY_BYTES
from services.gateway.server import ACCESS_LOGGER, DRAIN_LIMIT
from services.gateway.service import GatewayService
from shared.errors import NotFound, RuleViolation
from shared.nameko_adapter import CallContext, domain_rpc

BRANCH_LINEAGE = ("b1", "d0")
"""Every fake member is in branch b1, under the district committee d0."""


class FakeOrgs:
    name = "orgs"

    @domain_rpc
    def ping(self):
        return "pong"

    @domain_rpc
    def lineage(self, org_id):
        return [org_id] if org_id == "d0" else [org_id, "d0"]

    @domain_rpc
    def get_org(self, org_id):
        if org_id == "missing":
            raise NotFound("no such organisation", {"org_id": ["No such organisation."]})
        return {"id": org_id, "name": "组织"}

    @domain_rpc
    def create_org(self, data):
        raise RuleViolation("orgs.founding.min_full_members", "needs 3 full members",
                            {"full_members": ["At least 3."]})

    @domain_rpc
    def rename_org(self, org_id, data):
        return {"id": org_id, "name": data["name"]}

    @domain_rpc
    def remove_alliance_member(self, alliance_id, data):
        return {"id": alliance_id, "removed": data["org_id"]}


class FakeMembers:
    """Decides on personal data as the real one does: from the token the
    gateway forwards, verified with its own JWT_SECRET."""
    name = "members"
    ctx = CallContext()

    @domain_rpc
    def ping(self):
        return "pong"

    @domain_rpc
    def member_place(self, member_id):
        return {"org_id": "b1", "version": 1}

    @domain_rpc
    def get_member(self, member_id):
        caller = self.ctx.principal()
        revealed = caller is not None and caller.may_see_personal_data(member_id, BRANCH_LINEAGE)
        return {"id": member_id, "org_id": "b1", "version": 1, "personal_revealed": revealed,
                "id_number": "320506199605041237" if revealed else "3205**********1237",
                "birth_date": "1996-05-04" if revealed else None}

    @domain_rpc
    def pipeline_step(self, member_id, step, data):
        if data.get("yes") == 10:
            raise RuleViolation("members.pipeline.vote_majority", "not passed", {"yes": 10})
        return {"id": member_id, "step": step}

    @domain_rpc
    def search_members(self, q, org_id=None, limit=50, offset=0):
        return {"items": [], "total": 0, "limit": limit, "offset": offset}

    @domain_rpc
    def list_members(self, org_id, stage=None, status=None, limit=50, offset=0, as_json=False, scope="subtree"):
        items = [{"id": f"m-{i}", "name": "成员" * 40} for i in range(limit)] if org_id == "big" else []
        page = {"items": items, "total": len(items), "limit": limit, "offset": offset, "stage": stage}
        return json.dumps(page, ensure_ascii=False) if as_json else page


class FakeDues:
    name = "dues"

    @domain_rpc
    def ping(self):
        return "pong"


class FakeIdentity:
    name = "identity"

    @domain_rpc
    def ping(self):
        return "pong"


@pytest.fixture(scope="module")
def base_url(memory_config):
    """The gateway and the fake services, started once for the module."""
    config = memory_config()
    runner = ServiceRunner(config)
    for cls in (GatewayService, FakeOrgs, FakeMembers, FakeDues, FakeIdentity):
        runner.add_service(cls)
    runner.start()
    yield "http://" + config["WEB_SERVER_ADDRESS"]
    runner.kill()


def assert_error(response, status, code):
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert set(body["error"]) >= {"code", "message", "fields"}
    return body["error"]


def test_a_call_goes_through_to_the_service(base_url):
    response = requests.get(base_url + "/api/v1/orgs/o1", headers={**ADMIN, "X-Correlation-Id": "abc-1"},
                            timeout=10)
    assert response.status_code == 200
    assert response.json() == {"id": "o1", "name": "组织"}
    assert response.headers["X-Correlation-Id"] == "abc-1"


def test_domain_errors_cross_the_rpc_intact(base_url):
    error = assert_error(requests.get(base_url + "/api/v1/orgs/missing", headers=ADMIN, timeout=10),
                         404, "not_found")
    assert error["fields"] == {"org_id": ["No such organisation."]}
    response = requests.post(base_url + "/api/v1/orgs", json={"name": "B", "kind": "committee"}, headers=ADMIN,
                             timeout=10)
    error = assert_error(response, 422, "rule_violation")
    assert error["rule"] == "orgs.founding.min_full_members"


@pytest.mark.parametrize("path", ["/", "/api/v1/nothing", "/api/v1/orgs/", "/api/v2/orgs/o1",
                                  "/api/v1/orgs/o1/unknown"])
def test_an_unknown_route_is_a_json_404(base_url, path):
    response = requests.get(base_url + path, timeout=10)
    assert_error(response, 404, "not_found")
    assert response.headers["X-Correlation-Id"]


@pytest.mark.parametrize("method, path, allowed", [
    ("DELETE", "/api/v1/orgs/o1", {"GET", "HEAD"}),
    ("PUT", "/api/v1/orgs", {"GET", "HEAD", "POST"}),
    ("GET", "/api/v1/orgs/o1/rename", {"PATCH", "POST"}),
    ("POST", "/health", {"GET", "HEAD"}),
])
def test_a_wrong_method_is_a_json_405_listing_the_allowed_ones(base_url, method, path, allowed):
    response = requests.request(method, base_url + path, timeout=10)
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) == allowed


@pytest.mark.parametrize("method", ["PATCH", "POST"])
def test_rename_answers_patch_and_post(base_url, method):
    response = requests.request(method, base_url + "/api/v1/orgs/o1/rename", json={"name": "New"},
                                headers=as_role("org_admin", "o1"), timeout=10)
    assert response.status_code == 200 and response.json() == {"id": "o1", "name": "New"}


def test_delete_an_alliance_member(base_url):
    response = requests.delete(base_url + "/api/v1/alliances/a1/members/o2", headers=ADMIN, timeout=10)
    assert response.json() == {"id": "a1", "removed": "o2"}


def test_an_oversized_body_is_413_over_a_real_socket(base_url):
    body = b'{"name": "' + b"x" * (4 * MAX_BODY_BYTES) + b'"}'
    response = requests.post(base_url + "/api/v1/orgs", data=body,
                             headers={**ADMIN, "Content-Type": "application/json"}, timeout=10)
    assert_error(response, 413, "payload_too_large")
    chunks = (body[i:i + 8192] for i in range(0, len(body), 8192))  # chunked: no Content-Length
    response = requests.post(base_url + "/api/v1/orgs", data=chunks,
                             headers={**ADMIN, "Content-Type": "application/json"}, timeout=10)
    assert_error(response, 413, "payload_too_large")
    # the connection is still usable afterwards
    assert requests.get(base_url + "/api/v1/orgs/o1", headers=ADMIN, timeout=10).status_code == 200


def test_malformed_json_over_a_real_socket(base_url):
    response = requests.post(base_url + "/api/v1/orgs", data=b"{nope",
                             headers={**ADMIN, "Content-Type": "application/json"}, timeout=10)
    assert_error(response, 400, "malformed_json")


def test_health_is_ok_when_every_service_answers(base_url):
    response = requests.get(base_url + "/health", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "gateway",
                               "services": {"dues": "ok", "identity": "ok", "members": "ok", "orgs": "ok"}}


def test_a_member_is_masked_to_an_auditor_and_revealed_within_the_callers_scope(base_url):
    """The gateway forwards the caller's token; the members service decides."""
    url = base_url + "/api/v1/members/m1"
    assert_error(requests.get(url, timeout=10), 401, "unauthorized")  # anonymous: not at all
    masked = requests.get(url, headers=as_role("auditor"), timeout=10).json()
    assert masked["id_number"] == "3205**********1237" and masked["birth_date"] is None
    assert masked["personal_revealed"] is False
    for headers in (ADMIN, as_role("org_admin", "b1"), as_role("org_admin", "d0"),
                    as_role("member", member_id="m1", subject="member-m1")):
        revealed = requests.get(url, headers=headers, timeout=10).json()
        assert revealed == {"id": "m1", "org_id": "b1", "version": 1, "personal_revealed": True,
                            "id_number": "320506199605041237", "birth_date": "1996-05-04"}
    assert_error(requests.get(url, headers=as_role("org_admin", "b2"), timeout=10), 403, "forbidden")
    assert_error(requests.get(base_url + "/api/v1/members/m2", headers=as_role("member", member_id="m1"),
                              timeout=10), 403, "forbidden")


def test_a_bad_token_is_a_json_401_with_www_authenticate(base_url):
    response = requests.get(base_url + "/api/v1/members/m1", headers=bearer("not.a.token"), timeout=10)
    error = assert_error(response, 401, "unauthorized")
    assert "not.a.token" not in response.text
    assert error["message"] == "The bearer token is invalid."
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_a_pipeline_step_route_reaches_the_service_and_its_rule_violation_comes_back(base_url):
    vote = {"meeting_date": "2024-03-01", "eligible_voters": 20, "present_voters": 15, "no": 5, "abstain": 0}
    url = base_url + "/api/v1/members/m1/pipeline/admission-vote"
    secretary = as_role("org_admin", "b1")
    assert requests.post(url, json={**vote, "yes": 10}, headers=secretary, timeout=10).json()["error"]["rule"] == \
        "members.pipeline.vote_majority"
    ok = requests.post(url, json={**vote, "yes": 11, "no": 4}, headers=secretary, timeout=10)
    assert ok.status_code == 200 and ok.json() == {"id": "m1", "step": "admission-vote"}
    assert_error(requests.post(base_url + "/api/v1/members/m1/pipeline/fly", json={}, headers=secretary,
                               timeout=10), 404, "not_found")
    # the committee above approves admission, not the branch
    assert_error(requests.post(base_url + "/api/v1/members/m1/pipeline/approve-admission",
                               json={}, headers=secretary, timeout=10), 403, "forbidden")


def test_listing_a_branch_passes_typed_paging(base_url):
    response = requests.get(base_url + "/api/v1/orgs/o1/members", params={"limit": "200", "stage": "full"},
                            headers=ADMIN, timeout=10)
    assert response.json() == {"items": [], "total": 0, "limit": 200, "offset": 0, "stage": "full"}


def test_an_answer_past_the_write_buffer_is_not_held_back_by_nagle(base_url):
    """A page of ~40 KiB leaves in two sends (headers, then a body bigger than
    eventlet's 16 KiB buffer); without TCP_NODELAY the second waited for the
    client's delayed ACK, >= 40 ms, on every request of a keep-alive connection."""
    session, times = requests.Session(), []
    for _ in range(12):
        started = time.perf_counter()
        response = session.get(base_url + "/api/v1/orgs/big/members", params={"limit": "200"}, headers=ADMIN,
                               timeout=10)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200 and 16 * 1024 < len(response.content) < 64 * 1024
    assert statistics.median(times) < 0.030, times


def test_an_anonymous_request_is_a_json_401_and_x_actor_is_no_identity(base_url):
    response = requests.get(base_url + "/api/v1/orgs/o1", headers={"X-Actor": "admin"}, timeout=10)
    assert_error(response, 401, "unauthorized")


def test_docs_and_openapi_are_served(base_url):
    """Without a token: they are public."""
    page = requests.get(base_url + "/docs", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    bundle = requests.get(base_url + "/docs/swagger-ui-bundle.js", timeout=10)
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    spec = requests.get(base_url + "/openapi.json", timeout=10).json()
    assert "/api/v1/orgs" in spec["paths"]


def test_nameko_run_finds_exactly_one_service_in_the_gateway_module():
    """`nameko run services.gateway.service` runs every class with entrypoints
    in the module's namespace: the route mixins must not be among them."""
    from nameko.cli.run import import_service

    assert import_service("services.gateway.service") == [GatewayService]


def _oversized(base_url, size):
    return base_url + "/api/v1/orgs", b'{"name": "' + b"x" * size + b'"}'


def test_a_body_too_big_to_drain_still_gets_its_413_with_requests(base_url):
    # past DRAIN_LIMIT the gateway closes the connection: after lingering, so the client reads the answer
    url, body = _oversized(base_url, 4 * DRAIN_LIMIT)
    response = requests.post(url, data=body, headers={**ADMIN, "Content-Type": "application/json"}, timeout=10)
    assert_error(response, 413, "payload_too_large")


def test_a_body_too_big_to_drain_still_gets_its_413_with_urllib(base_url):
    url, body = _oversized(base_url, 4 * DRAIN_LIMIT)
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={**ADMIN, "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 413
    assert json.loads(refused.value.read())["error"]["code"] == "payload_too_large"


def test_a_search_term_never_reaches_the_access_log(base_url, caplog):
    """An ID number searched for is personal data: the request line is logged without it."""
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        response = requests.get(base_url + "/api/v1/members", params={"q": "320506199505041230", "limit": "5"},
                                headers=ADMIN, timeout=10)
        assert response.status_code == 200
        time.sleep(0.05)
    lines = [record.getMessage() for record in caplog.records if record.name == ACCESS_LOGGER]
    assert any("/api/v1/members?q=[withheld]&limit=5" in line for line in lines), lines
    assert not any("320506199505041230" in line for line in lines)
