"""A district organiser founds a branch over HTTP, against the distributed
platform (separate `nameko run` processes, RabbitMQ, PostgreSQL)."""
import concurrent.futures
import datetime as dt

TODAY = dt.date.today()


def create_committee(api, name="独墅湖党工委"):
    response = api.post("/api/v1/orgs", json={"name": name, "kind": "committee"})
    assert response.status_code == 201, response.text
    return response.json()


def founding_request(full_members=4):
    names = ("王芳", "李强", "张伟", "刘洋", "陈晨")
    return {
        "proposed_name": "量子实验室党支部",
        "unit": {"name": "量子实验室", "unit_type": "research_institute"},
        "full_members": full_members, "probationary_members": 1,
        "founding_members": [{"name": n} for n in names[:full_members + 1]],
        "proposed_committee": [{"role": "secretary", "name": "王芳"}],
    }


def test_a_branch_is_founded_from_request_to_active(api):
    committee = create_committee(api)
    response = api.post(f"/api/v1/orgs/{committee['id']}/founding-requests", json=founding_request())
    assert response.status_code == 201, response.text
    request = response.json()
    assert request["state"] == "requested"
    assert request["decision_due_on"] > request["requested_on"]

    steps = [("approve", {}),
             ("elect-committee", {"meeting_date": TODAY.isoformat(),
                                  "seats": [{"role": "secretary", "name": "王芳"},
                                            {"role": "deputy_secretary", "name": "李强"}]}),
             ("confirm", {})]
    for action, body in steps:
        response = api.post(f"/api/v1/founding-requests/{request['id']}/{action}", json=body)
        assert response.status_code == 200, (action, response.text)
    confirmed = response.json()
    assert confirmed["state"] == "confirmed"

    branch = api.get(f"/api/v1/orgs/{confirmed['branch_id']}").json()
    assert (branch["status"], branch["kind"], branch["parent_id"]) == ("active", "branch", committee["id"])
    tree = api.get(f"/api/v1/orgs/{committee['id']}/tree").json()
    assert [child["id"] for child in tree["children"]] == [branch["id"]]
    history = api.get(f"/api/v1/orgs/{branch['id']}/history").json()
    assert history["items"][0]["event_type"] == "orgs.branch_founded"
    assert history["items"][0]["actor"] == "e2e-tester"


def test_a_confirmed_request_cannot_be_rejected_and_a_rejection_needs_a_reason(api):
    committee = create_committee(api, "月亮湾党工委")
    request = api.post(f"/api/v1/orgs/{committee['id']}/founding-requests",
                       json=founding_request()).json()
    missing = api.post(f"/api/v1/founding-requests/{request['id']}/reject", json={"reason": "  "})
    assert missing.status_code == 400
    assert "reason" in missing.json()["error"]["fields"]
    rejected = api.post(f"/api/v1/founding-requests/{request['id']}/reject",
                        json={"reason": "单位尚未注册"})
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    again = api.post(f"/api/v1/founding-requests/{request['id']}/approve", json={})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


def test_founding_with_two_full_members_is_refused(api):
    committee = create_committee(api, "纳米城党工委")
    response = api.post(f"/api/v1/orgs/{committee['id']}/founding-requests",
                        json=founding_request(full_members=2))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "rule_violation"


def test_twenty_concurrent_conflicting_renames_one_wins_the_rest_get_409(api):
    committee = create_committee(api, "改名测试党工委")
    version = committee["version"]

    def rename(i):
        return api.post(f"/api/v1/orgs/{committee['id']}/rename",
                        json={"name": f"党工委 {i}", "expected_version": version})

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        statuses = sorted(r.status_code for r in pool.map(rename, range(20)))
    assert statuses == [200] + [409] * 19, statuses
    history = api.get(f"/api/v1/orgs/{committee['id']}/history").json()["items"]
    assert sorted(e["aggregate_version"] for e in history) == [1, 2]


def test_bad_input_is_a_4xx_naming_the_field(api):
    assert api.post("/api/v1/orgs", json={"kind": "committee"}).json()["error"]["fields"].keys() >= {"name"}
    wrong_type = api.post("/api/v1/orgs", json={"name": 5, "kind": "committee"})
    assert wrong_type.status_code == 400 and "name" in wrong_type.json()["error"]["fields"]
    unknown_parent = api.post("/api/v1/orgs", json={"name": "x", "kind": "general_branch",
                                                    "parent_id": "no-such-org"})
    assert unknown_parent.status_code == 404 and "parent_id" in unknown_parent.json()["error"]["fields"]
    malformed = api.post("/api/v1/orgs", data=b'{"name": ', headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed_json"
    oversized = api.post("/api/v1/orgs", data=b'{"name": "' + b"x" * 200_000 + b'"}',
                         headers={"Content-Type": "application/json"})
    assert oversized.status_code == 413


def test_the_api_is_documented(api):
    spec = api.get("/openapi.json").json()
    assert "/api/v1/founding-requests/{request_id}/approve" in spec["paths"] or any(
        p.startswith("/api/v1/founding-requests/") and p.endswith("/approve") for p in spec["paths"])
    docs = api.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
