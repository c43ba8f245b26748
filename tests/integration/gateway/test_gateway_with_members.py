"""The gateway with the members and orgs services in real nameko containers,
on a real RabbitMQ (a throwaway vhost) and real PostgreSQL databases, driven
over HTTP: member routes, bearer tokens, personal data by the caller's
scope, /health. Requests are a district_admin's unless they say otherwise."""
import datetime as dt
import time

import pytest
from openapi_schema_validator import OAS30Validator

from access_helpers import ADMIN, AUTH_CONFIG, as_role, bearer, token
from platform_factory import GatewaySession, free_port
from services.demo_members import id_number
from services.gateway.service import GatewayService
from services.members.service import MembersService
from services.members.vault import new_master_key
from services.orgs.service import OrgsService

pytestmark = pytest.mark.integration

ANONYMOUS = {"Authorization": None}  # requests drops the session's header
TODAY = dt.date.today()


@pytest.fixture
def api(rabbit_config, pg_database_factory, container_factory):
    address = f"127.0.0.1:{free_port()}"
    config = {**rabbit_config, **AUTH_CONFIG, "WEB_SERVER_ADDRESS": address, "GATEWAY_RPC_TIMEOUT": 20,
              "MASTER_KEY": new_master_key(),
              "DB_URIS": {"orgs": pg_database_factory("ejia_test_gwo"),
                          "members": pg_database_factory("ejia_test_gwm")}}
    containers = [container_factory(cls, config) for cls in (OrgsService, MembersService, GatewayService)]
    for container in containers:
        container.start()
    session = GatewaySession(f"http://{address}", ADMIN)
    yield session
    session.close()
    for container in reversed(containers):
        container.kill()


def call(api, method, path, expect, **kwargs):
    response = api.request(method, api.url(path), timeout=30, **kwargs)
    assert response.status_code == expect, (method, path, response.status_code, response.text)
    return response.json()


def person(org_id, sequence, **overrides):
    birth = dt.date(1995, 4, 12)
    return {"name": "周晓明", "gender": "male", "birth_date": birth.isoformat(), "ethnicity": "汉族",
            "education": "大学本科", "id_number": id_number("320506", birth, sequence), "phone": "13912345678",
            "employer": "纳米科技有限公司", "org_id": org_id, "stage": "applicant",
            "applied_on": (TODAY - dt.timedelta(days=20)).isoformat(), **overrides}


def register_when_known(api, body, timeout=20):
    """Members learns of a new branch from orgs' events: retry briefly."""
    deadline = time.monotonic() + timeout
    while True:
        response = api.post(api.url("/api/v1/members"), json=body, timeout=30)
        error = response.json().get("error", {}) if response.status_code >= 400 else {}
        waiting = response.status_code == 404 or error.get("rule") == "members.registration.active_branch"
        if not waiting or time.monotonic() > deadline:
            assert response.status_code == 201, response.text
            return response.json()
        time.sleep(0.1)


def branch(api):
    committee = call(api, "POST", "/api/v1/orgs", 201, json={"name": "独墅湖党工委", "kind": "committee"})
    return call(api, "POST", "/api/v1/orgs", 201, json={
        "name": "纳米科技党支部", "kind": "branch", "parent_id": committee["id"],
        "unit": {"name": "纳米科技有限公司", "unit_type": "enterprise"}, "full_members": 5})


def test_member_routes_personal_data_and_tokens(api):
    org = branch(api)
    secretary = as_role("org_admin", org["id"], subject="secretary-wang")
    sent = person(org["id"], 123)
    member = register_when_known(api, sent)
    assert member["stage"] == "applicant" and member["org_name"] == "纳米科技党支部"
    assert member["personal_revealed"] is True  # to the district_admin who registered them
    path = f"/api/v1/members/{member['id']}"

    # masked, birth date withheld: an auditor reads the record but never the personal data
    masked = call(api, "GET", path, 200, headers=as_role("auditor"))
    assert masked["personal_revealed"] is False and masked["id_number"] != sent["id_number"]
    assert masked["id_number"] == sent["id_number"][:4] + "*" * 10 + sent["id_number"][-4:]
    assert "*" in masked["phone"] and masked["birth_date"] is None
    # shown: the branch's org_admin, the committee above it, the district_admin, the member themself
    for headers in (secretary, as_role("org_admin", org["parent_id"]), ADMIN,
                    as_role("member", member_id=member["id"], subject="member-zhou")):
        revealed = call(api, "GET", path, 200, headers=headers)
        assert (revealed["id_number"], revealed["phone"], revealed["birth_date"]) == \
            (sent["id_number"], "13912345678", sent["birth_date"]), headers
        assert revealed["personal_revealed"] is True
    # not at all: anonymous, another branch's org_admin, another member, an integration account
    assert call(api, "GET", path, 401, headers=ANONYMOUS)["error"]["code"] == "unauthorized"
    for headers in (as_role("org_admin", "some-other-branch"), as_role("member", member_id="someone-else"),
                    as_role("integration")):
        assert call(api, "GET", path, 403, headers=headers)["error"]["code"] == "forbidden"
    expired = token("x", lifetime=-300)
    error = call(api, "GET", path, 401, headers=bearer(expired))["error"]
    assert error["code"] == "unauthorized" and expired not in str(error)
    foreign = token(secret="another-secret-" + "y" * 32)
    assert call(api, "GET", path, 401, headers=bearer(foreign))["error"]["code"] == "unauthorized"

    updated = call(api, "PATCH", path, 200, json={"employer": "生物医药研究院"}, headers=secretary)
    assert updated["employer"] == "生物医药研究院" and updated["personal_revealed"] is True
    talked = call(api, "POST", path + "/pipeline/record-talk", 200,
                  json={"talked_by": "王芳", "talked_on": TODAY.isoformat()})
    assert talked["talk"]["talked_by"] == "王芳"
    activist = call(api, "POST", path + "/pipeline/designate-activist", 200, json={})
    assert activist["stage"] == "activist"
    too_soon = call(api, "POST", path + "/pipeline/approve-candidate", 422, json={})["error"]
    assert too_soon["rule"] == "members.pipeline.activist_period"
    assert call(api, "POST", path + "/pipeline/no-such-step", 404, json={})["error"]["code"] == "not_found"
    lost = call(api, "POST", path + "/status", 200, json={"status": "lost_contact", "reason": "电话无人接听"})
    assert lost["status"] == "lost_contact"

    listed = f"/api/v1/orgs/{org['id']}/members"
    page = call(api, "GET", listed, 200, params={"stage": "activist"}, headers=secretary)
    audited = call(api, "GET", listed, 200, params={"stage": "activist"}, headers=as_role("auditor"))
    # lean rows, the same whoever asks: no personal data; the full record at href decides by scope
    assert page == audited and page["total"] == 1 and page["items"][0]["href"] == path
    assert (page["items"][0]["stage"], page["items"][0]["status"]) == ("activist", "lost_contact")
    assert not {"id_number", "phone", "birth_date", "personal_revealed"} & set(page["items"][0])
    assert call(api, "GET", page["items"][0]["href"], 200, headers=secretary)["personal_revealed"] is True
    assert call(api, "GET", page["items"][0]["href"], 200, headers=as_role("auditor"))["birth_date"] is None
    due = call(api, "GET", f"/api/v1/orgs/{org['id']}/pipeline/due", 200, params={"as_of": TODAY.isoformat()})
    assert due["as_of"] == TODAY.isoformat() and isinstance(due["due"], list)
    assert call(api, "GET", "/api/v1/orgs/no-such-org/members", 404)["error"]["code"] == "not_found"
    minor = call(api, "POST", "/api/v1/members", 422, json=person(
        org["id"], 125, birth_date=(TODAY - dt.timedelta(days=365 * 17)).isoformat(),
        id_number=id_number("320506", TODAY - dt.timedelta(days=365 * 17), 125),
        applied_on=TODAY.isoformat()))["error"]
    assert minor["rule"] == "members.pipeline.min_age"


def test_a_branch_list_is_lean_rows_a_page_at_a_time(api):
    """Every member once over the pages, each page with the branch's total;
    rows as the OpenAPI document describes them (no more, no less), with no
    personal data even for a district_admin, who sees it in each full record;
    outside the caller's scope, 403 before the members service is asked."""
    org = branch(api)
    group = call(api, "POST", "/api/v1/orgs", 201, json={"name": "研发党小组", "kind": "group",
                                                         "parent_id": org["id"]})
    sent = [person(org["id"], 140 + i, name=name) for i, name in enumerate(["赵", "钱", "孙", "李", "周", "吴", "郑"])]
    sent[0]["group_id"] = group["id"]
    registered = [register_when_known(api, body) for body in sent]
    pages = [call(api, "GET", f"/api/v1/orgs/{org['id']}/members", 200, params={"limit": 3, "offset": offset})
             for offset in (0, 3, 6)]
    assert [(p["total"], p["limit"], p["offset"], len(p["items"])) for p in pages] == \
        [(7, 3, 0, 3), (7, 3, 3, 3), (7, 3, 6, 1)]
    rows = [row for p in pages for row in p["items"]]
    assert sorted(row["id"] for row in rows) == sorted(m["id"] for m in registered)
    assert [row["name"] for row in rows] == sorted(body["name"] for body in sent)

    spec = call(api, "GET", "/openapi.json", 200, headers=ANONYMOUS)
    validator = OAS30Validator({"$ref": "#/components/schemas/MemberPageOut", "components": spec["components"]})
    for p in pages:
        validator.validate(p)
    first = next(row for row in rows if row["id"] == registered[0]["id"])
    assert first == {"id": registered[0]["id"], "href": f"/api/v1/members/{registered[0]['id']}", "name": "赵",
                     "org_id": org["id"],
                     "gender": "male", "group_id": group["id"], "group_name": "研发党小组", "stage": "applicant",
                     "stage_since": sent[0]["applied_on"], "status": "active", "status_since": None,
                     "next_deadline": {"kind": "talk", "due_on": registered[0]["talk_due_on"]}}
    text = str(pages)
    assert not any(body["id_number"] in text or body["birth_date"] in text for body in sent)
    assert "13912345678" not in text and "*" not in text
    assert call(api, "GET", first["href"], 200)["phone"] == "13912345678"  # the district_admin's full record

    past = call(api, "GET", f"/api/v1/orgs/{org['id']}/members", 200, params={"limit": 3, "offset": 9})
    assert (past["items"], past["total"]) == ([], 7)
    for outsider in (as_role("org_admin", "some-other-branch"), as_role("member", member_id=first["id"])):
        assert call(api, "GET", f"/api/v1/orgs/{org['id']}/members", 403, headers=outsider)["error"]["code"] == \
            "forbidden"


def test_a_history_that_breaks_a_rule_is_refused_or_entered_as_a_listed_legacy_exception(api):
    """The issue's case: registered directly as full after one month as an
    activist and one month of probation. 422 naming the rule; 201 with a
    legacy_exception, which the member shows and the committee above lists."""
    org = branch(api)
    committee_id = org["parent_id"]
    broken = person(org["id"], 160, stage="full", applied_on="2016-02-01", activist_on="2016-05-01",
                    candidate_on="2016-06-01", admitted_on="2017-01-10", full_on="2017-02-10")
    refused = call(api, "POST", "/api/v1/members", 422, json=broken)["error"]
    assert refused["rule"] == "members.pipeline.activist_period"
    assert [b["rule"] for b in refused["fields"]["breaches"]] == \
        ["members.pipeline.activist_period", "members.pipeline.probation_end"]
    assert call(api, "GET", f"/api/v1/orgs/{committee_id}/legacy-exceptions", 200)["total"] == 0
    incomplete = {**broken, "applied_on": None, "activist_on": None}
    fields = call(api, "POST", "/api/v1/members", 400, json=incomplete)["error"]["fields"]
    assert {"applied_on", "activist_on"} <= set(fields)

    exception = {"reason": "档案记载预备期一个月，经区委组织部核实按原记录录入", "reference": "湖组〔2026〕12号"}
    member = register_when_known(api, {**broken, "legacy_exception": exception})
    assert member["legacy_exception"]["reason"] == exception["reason"]
    assert [b["rule"] for b in member["legacy_exception"]["breaches"]] == \
        ["members.pipeline.activist_period", "members.pipeline.probation_end"]
    listed = call(api, "GET", f"/api/v1/orgs/{committee_id}/legacy-exceptions", 200)
    assert [(item["member_id"], item["org_name"]) for item in listed["items"]] == [(member["id"], "纳米科技党支部")]
    history = call(api, "GET", f"/api/v1/members/{member['id']}/history", 200)
    assert [item["event_type"] for item in history["items"]] == \
        ["members.member_registered", "members.legacy_exception_recorded"]
    outsider = as_role("org_admin", "some-other-branch")
    call(api, "GET", f"/api/v1/orgs/{committee_id}/legacy-exceptions", 403, headers=outsider)


def test_the_token_subject_is_the_actor_of_the_events(api):
    committee = call(api, "POST", "/api/v1/orgs", 201, json={"name": "月亮湾党工委", "kind": "committee"},
                     headers={**bearer(token("organiser-li")), "X-Actor": "ignored"})
    history = call(api, "GET", f"/api/v1/orgs/{committee['id']}/history", 200)
    assert history["items"][0]["actor"] == "organiser-li"


def test_health_probes_orgs_and_members(api):
    health = call(api, "GET", "/health", 503, headers=ANONYMOUS)  # dues and identity do not run here
    assert health["services"] == {"members": "ok", "orgs": "ok", "dues": "unavailable",
                                  "identity": "unavailable"}
    spec = call(api, "GET", "/openapi.json", 200, headers=ANONYMOUS)
    assert "/api/v1/members/{member_id}/pipeline/admission-vote" in spec["paths"]
