"""Transfers of organisational relationship (组织关系转接) over HTTP, against
the distributed platform (separate `nameko run` processes for orgs, members
and the gateway; RabbitMQ; PostgreSQL): a transfer between branches of
different committees completes and the member's branch flips exactly at
completion; an expired letter cannot be accepted until it is reissued; a
rejection without a reason is a 400; a second transfer of the same member
is a 409.

The scenarios take only the ``api`` fixture (``api.get(path)``,
``api.post(path, json=...)`` -> a requests response), so
tests/integration/transfers/test_transfers_http.py runs them too, against
the gateway with the ``TransfersApi`` mixin in nameko containers."""
import concurrent.futures
import datetime as dt
import itertools
import time
import uuid
from stage_history import history_json

TODAY = dt.date.today()
_sequence = itertools.count(1)
_CHECK = "10X98765432"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def iso(day: dt.date) -> str:
    return day.isoformat()


def id_number(birth: dt.date) -> str:
    """A valid ID number no other e2e test uses (its own region code)."""
    first17 = "320585" + birth.strftime("%Y%m%d") + f"{next(_sequence) % 1000:03d}"
    return first17 + _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def ok(response, status=200):
    assert response.status_code == status, (response.request.method, response.request.url, response.text)
    return response.json()


def committee_with_branch(api, name, group=False):
    committee = ok(api.post("/api/v1/orgs", json={"name": f"{name}党工委 {uuid.uuid4().hex[:4]}",
                                                  "kind": "committee"}), 201)
    branch = ok(api.post("/api/v1/orgs", json={
        "name": f"{name}党支部", "kind": "branch", "parent_id": committee["id"],
        "unit": {"name": f"{name}有限公司", "unit_type": "enterprise"}, "full_members": 5}), 201)
    if group:
        branch["group_id"] = ok(api.post("/api/v1/orgs", json={
            "name": f"{name}一号楼党小组", "kind": "group", "parent_id": branch["id"]}), 201)["id"]
    return committee, branch


def register_full_member(api, org_id, name="陈晓燕", timeout=30):
    """Members learns of a new branch from orgs' events: retry briefly."""
    birth = dt.date(1987, 8, 1) + dt.timedelta(days=next(_sequence) % 300)
    body = {"name": name, "gender": "female", "birth_date": iso(birth), "ethnicity": "汉族",
            "education": "大学本科", "id_number": id_number(birth), "phone": "13912345678",
            "employer": "纳米科技有限公司", "org_id": org_id, "stage": "full",
            **history_json("full", full_on="2016-07-01")}
    deadline = time.monotonic() + timeout
    while True:
        response = api.post("/api/v1/members", json=body)
        waiting = response.status_code in (404, 422)
        if not waiting or time.monotonic() > deadline:
            return ok(response, 201)
        time.sleep(0.1)


def two_committees(api, group=False):
    _, sending = committee_with_branch(api, "纳米城")
    _, receiving = committee_with_branch(api, "生物港", group=group)
    member = register_full_member(api, sending["id"])
    wait_until(lambda: api.get(f"/api/v1/orgs/{receiving['id']}/members").status_code == 200,
               "members to know the receiving branch")
    if group:
        wait_until(lambda: api.get(f"/api/v1/orgs/{receiving['group_id']}/members").status_code == 200,
                   "members to know the party group")
    return sending, receiving, member


def wait_until(predicate, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def request_transfer(api, member_id, to_org_id, **extra):
    return api.post("/api/v1/transfers", json={"member_id": member_id, "to_org_id": to_org_id,
                                               "scope": "elsewhere", "grounds": "employer_change", **extra})


def step(api, transfer_id, action, status=200, **body):
    return ok(api.post(f"/api/v1/transfers/{transfer_id}/{action}", json=body), status)


def member_branch(api, member_id):
    return ok(api.get(f"/api/v1/members/{member_id}"))["org_id"]


def listed(api, org_id, **query):
    return [t["id"] for t in ok(api.get(f"/api/v1/orgs/{org_id}/transfers", params=query))["items"]]


def test_a_transfer_between_committees_flips_the_branch_exactly_at_completion(api):
    sending, receiving, member = two_committees(api, group=True)
    transfer = ok(request_transfer(api, member["id"], receiving["id"], to_group_id=receiving["group_id"],
                                   reason="调入生物医药研究院"), 201)
    transfer_id = transfer["id"]
    assert (transfer["state"], transfer["from_org_id"], transfer["to_org_id"]) == \
        ("requested", sending["id"], receiving["id"])
    for action, body in (("approve", {"decided_by": "纳米城党支部委员会"}),
                         ("issue-letter", {"reference": "纳组转字12号"}),
                         ("accept", {"decided_by": "生物港党支部"})):
        after = step(api, transfer_id, action, **body)
        assert member_branch(api, member["id"]) == sending["id"], f"still the sending branch after {action}"
    letter = after["letter"]
    assert letter["number"] == 1 and letter["valid_until"] > letter["issued_on"]
    assert letter["dues"]["source"] in ("dues_service", "issuer", "unknown")
    step(api, transfer_id, "report-in")

    done = wait_until(lambda: (lambda t: t["state"] == "completed" and t)(
        ok(api.get(f"/api/v1/transfers/{transfer_id}"))), "the transfer to complete")
    moved = ok(api.get(f"/api/v1/members/{member['id']}"))
    assert (moved["org_id"], moved["group_id"]) == (receiving["id"], receiving["group_id"])
    assert [e["event_type"] for e in done["timeline"]] == [
        "transfers.requested", "transfers.approved", "transfers.letter_issued", "transfers.accepted",
        "transfers.reported_in", "transfers.completed"]
    in_sending = [m["id"] for m in ok(api.get(f"/api/v1/orgs/{sending['id']}/members"))["items"]]
    in_receiving = [m["id"] for m in ok(api.get(f"/api/v1/orgs/{receiving['id']}/members"))["items"]]
    assert member["id"] not in in_sending and member["id"] in in_receiving
    assert listed(api, sending["id"], side="sending", state="completed") == [transfer_id]
    assert listed(api, receiving["id"], side="receiving") == [transfer_id]
    assert listed(api, receiving["id"], side="sending") == []
    assert ok(api.get(f"/api/v1/members/{member['id']}/transfers"))["total"] == 1
    again = step(api, transfer_id, "complete")
    assert again["version"] == done["version"], "completing again changes nothing"


def test_an_expired_letter_cannot_be_accepted_until_it_is_reissued(api):
    sending, receiving, member = two_committees(api)
    transfer_id = ok(request_transfer(api, member["id"], receiving["id"], scope="in_city",
                                      requested_on=iso(TODAY - dt.timedelta(days=60))), 201)["id"]
    step(api, transfer_id, "approve", approved_on=iso(TODAY - dt.timedelta(days=59)))
    too_long = api.post(f"/api/v1/transfers/{transfer_id}/issue-letter",
                        json={"issued_on": iso(TODAY - dt.timedelta(days=50)),
                              "valid_until": iso(TODAY + dt.timedelta(days=60))})
    assert too_long.status_code == 422 and too_long.json()["error"]["rule"] == "members.transfer.letter_validity"
    letter = step(api, transfer_id, "issue-letter", issued_on=iso(TODAY - dt.timedelta(days=50)),
                  dues_paid_up_to="2024-01")["letter"]
    assert letter["valid_until"] == iso(TODAY - dt.timedelta(days=40)), "10 days within the city"
    assert letter["expired"] is True

    refused = api.post(f"/api/v1/transfers/{transfer_id}/accept", json={})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["rule"] == "members.transfer.letter_expired"
    swept = ok(api.post("/api/v1/transfers/sweep", json={}))
    assert transfer_id in swept["letters_expired"]
    assert transfer_id in listed(api, receiving["id"], side="receiving", state="letter_expired")
    assert transfer_id in listed(api, sending["id"], side="sending", state="letter_expired")
    assert api.post(f"/api/v1/transfers/{transfer_id}/accept", json={}).status_code == 422

    reissued = step(api, transfer_id, "reissue-letter", reference="纳组转字15号")
    assert (reissued["state"], reissued["letter"]["number"], reissued["letter"]["expired"]) == \
        ("letter_issued", 2, False)
    assert step(api, transfer_id, "accept")["state"] == "accepted"
    assert member_branch(api, member["id"]) == sending["id"]


def test_a_rejection_without_a_reason_is_a_400(api):
    sending, receiving, member = two_committees(api)
    transfer_id = ok(request_transfer(api, member["id"], receiving["id"]), 201)["id"]
    for body in ({}, {"reason": "   "}):
        response = api.post(f"/api/v1/transfers/{transfer_id}/reject", json=body)
        assert response.status_code == 400, response.text
        assert "reason" in response.json()["error"]["fields"]
    rejected = step(api, transfer_id, "reject", reason="该同志尚未办理离职手续")
    assert (rejected["state"], rejected["close_reason"], rejected["closed_by_side"]) == \
        ("rejected", "该同志尚未办理离职手续", "sending")
    assert api.post(f"/api/v1/transfers/{transfer_id}/approve", json={}).status_code == 409
    assert member_branch(api, member["id"]) == sending["id"]
    ok(request_transfer(api, member["id"], receiving["id"]), 201)  # free to ask again


def test_concurrent_transfers_of_one_member_one_wins_the_rest_are_409(api):
    sending, receiving, member = two_committees(api)
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(r.status_code for r in pool.map(
            lambda _: request_transfer(api, member["id"], receiving["id"]), range(6)))
    assert statuses == [201] + [409] * 5, statuses
    assert ok(api.get(f"/api/v1/members/{member['id']}/transfers"))["total"] == 1


def test_bad_transfer_requests_are_4xx_naming_what_is_wrong(api):
    missing = api.post("/api/v1/transfers", json={"scope": "to the moon"})
    assert missing.status_code == 400
    assert {"member_id", "to_org_id", "grounds", "scope"} <= set(missing.json()["error"]["fields"])
    assert api.get("/api/v1/transfers/no-such-transfer").status_code == 404
    assert api.post("/api/v1/transfers/no-such-transfer/approve", json={}).status_code == 404
    assert api.post("/api/v1/transfers/no-such-transfer/teleport", json={}).status_code in (404, 405)
    unknown_member = request_transfer(api, "no-such-member", "no-such-org")
    assert unknown_member.status_code == 404 and "member_id" in unknown_member.json()["error"]["fields"]
    bad_filter = api.get("/api/v1/orgs/any/transfers", params={"state": "lost", "side": "up"})
    assert bad_filter.status_code == 400 and {"state", "side"} <= set(bad_filter.json()["error"]["fields"])
    spec = api.get("/openapi.json").json()["paths"]
    assert "/api/v1/transfers/{transfer_id}/reissue-letter" in spec and "/api/v1/orgs/{org_id}/transfers" in spec
