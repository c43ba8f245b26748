"""Dues over HTTP: the gateway's dues routes and the dues service in real
nameko containers (RabbitMQ + PostgreSQL), driven with requests: one
idempotency key sent 5 times at once is one payment, a wrong amount is a 422
naming the expected one, amounts are exact strings. Requests are a
district_admin's; the orgs service runs too (the gateway's policy asks it for
the branch's lineage) and the branch is made through it."""
import datetime as dt
import uuid

import eventlet
import pytest
import requests

from access_helpers import ADMIN, AUTH_CONFIG
from platform_factory import GatewaySession, free_port
from services.dues.ledger import month_of, month_text

pytestmark = pytest.mark.integration

NOW = month_of(dt.date.today())


def gateway_class():
    """The real gateway, which serves the dues routes."""
    from services.gateway.service import GatewayService
    return GatewayService


@pytest.fixture
def api(dues_config, dues_container, container_factory, pg_database_factory):
    """A session on the gateway, as district_admin; ``api.branch``: a branch
    the orgs service made (its events reach dues)."""
    from services.orgs.service import OrgsService

    address = f"127.0.0.1:{free_port()}"
    orgs = container_factory(OrgsService, {**dues_config,
                                           "DB_URIS": {"orgs": pg_database_factory("ejia_test_dues_orgs")}})
    orgs.start()
    gateway = container_factory(gateway_class(), {**dues_config, **AUTH_CONFIG, "WEB_SERVER_ADDRESS": address,
                                                  "GATEWAY_RPC_TIMEOUT": 20})
    gateway.start()
    session = GatewaySession(f"http://{address}/api/v1", ADMIN)
    committee = call(session, "POST", "/orgs", 201, json={"name": "独墅湖党工委", "kind": "committee"})
    session.branch = call(session, "POST", "/orgs", 201, json={
        "name": "党费测试党支部", "kind": "branch", "parent_id": committee["id"],
        "unit": {"name": "党费测试有限公司", "unit_type": "enterprise"}, "full_members": 5})["id"]
    yield session
    session.close()
    gateway.kill()
    orgs.kill()


def call(api, method, path, expect, **kwargs):
    response = api.request(method, api.url(path), timeout=30, **kwargs)
    assert response.status_code == expect, (method, path, response.status_code, response.text)
    return response.json()


def member(api, feed, category="employed", base="3000.00"):
    member_id = str(uuid.uuid4())
    feed.admitted(member_id, api.branch, dt.date(NOW // 12, NOW % 12 + 1, 1) - dt.timedelta(days=80))
    deadline = eventlet.Timeout(30)
    try:
        # 404: dues has not opened the account yet; 503: the gateway has not
        # yet heard which branch the member is in (no members service runs to ask)
        while api.get(api.url(f"/members/{member_id}/dues"), timeout=10).status_code in (404, 503):
            eventlet.sleep(0.05)
    finally:
        deadline.cancel()
    body = {"category": category, "effective_month": month_text(NOW - 3), **({"base": base} if base else {})}
    call(api, "PUT", f"/members/{member_id}/dues-base", 200, json=body)
    return member_id


def test_one_key_sent_five_times_at_once_is_one_payment(api, feed):
    member_id = member(api, feed)
    body = {"idempotency_key": str(uuid.uuid4()), "member_id": member_id,
            "months": [month_text(NOW - 2), month_text(NOW - 1)], "amount": "30.00"}
    pool = eventlet.GreenPool(5)
    responses = list(pool.imap(lambda _: requests.post(api.url("/dues/payments"), json=body, headers=ADMIN,
                                                       timeout=30), range(5)))
    assert [r.status_code for r in responses] == [201] * 5
    assert len({r.text for r in responses}) == 1
    statement = call(api, "GET", f"/members/{member_id}/dues", 200)
    assert [p["payment_id"] for p in statement["payments"]] == [responses[0].json()["payment_id"]]


def test_a_wrong_amount_is_a_422_naming_the_expected_one(api, feed):
    member_id = member(api, feed)
    body = {"idempotency_key": str(uuid.uuid4()), "member_id": member_id, "months": [month_text(NOW)],
            "amount": "10.00"}
    error = call(api, "POST", "/dues/payments", 422, json=body)["error"]
    assert error["rule"] == "dues.payment.amount" and error["fields"]["expected_amount"] == "15.00"
    assert "15.00" in error["message"]
    number = call(api, "POST", "/dues/payments", 400, json={**body, "amount": 15.0})["error"]
    assert "amount" in number["fields"]


def test_float_looking_amounts_add_up_exactly(api, feed):
    member_id = member(api, feed, category="student", base=None)  # 0.20 a month
    reduction = call(api, "POST", f"/members/{member_id}/dues/reductions", 201, json={
        "kind": "reduced", "from_month": month_text(NOW - 1), "to_month": month_text(NOW - 1),
        "monthly_amount": "0.1", "reason": "hardship", "decided_on": dt.date.today().isoformat()})
    call(api, "POST", f"/members/{member_id}/dues/reductions/approve", 200,
         json={"reduction_id": reduction["reduction_id"], "approved_by": "committee"})
    receipt = call(api, "POST", "/dues/payments", 201, json={
        "idempotency_key": str(uuid.uuid4()), "member_id": member_id,
        "months": [month_text(NOW - 1), month_text(NOW)], "amount": "0.3"})  # "0.1" + "0.2"
    assert (receipt["dues_amount"], receipt["total"]) == ("0.30", "0.30")
    assert [m["amount"] for m in receipt["months"]] == ["0.10", "0.20"]
    report = call(api, "GET", f"/orgs/{api.branch}/dues-report?year={NOW // 12}&month={NOW % 12 + 1}", 200)
    assert report["totals"]["collected"] == "0.20" and report["scope"] == "branch"
