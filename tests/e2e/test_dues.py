"""Dues (党费收缴) over HTTP against the distributed platform, as a branch
organiser uses it: a member registered in the members service gets a dues
account (from the members events, through RabbitMQ); the branch sets the
base, the member pays once however often the request is sent, the statement
and the committee's report show it, and a completed transfer carries the
account, paid-up month included, to the receiving branch."""
import datetime as dt
import uuid

from .test_transfers import ok, request_transfer, step, two_committees, wait_until

THIS_MONTH = dt.date.today().strftime("%Y-%m")


def test_a_member_pays_once_and_the_account_follows_the_transfer(api):
    sending, receiving, member = two_committees(api)
    dues = f"/api/v1/members/{member['id']}/dues"
    opened = wait_until(lambda: (lambda r: r.status_code == 200 and r.json())(api.get(dues)),
                        "dues to open the account from the members event")
    assert (opened["org_id"], opened["owes_from"], opened["monthly_amount"]) == (sending["id"], THIS_MONTH, None)

    account = ok(api.put(f"{dues}-base", json={"category": "employed", "base": "6000.00",
                                               "effective_month": THIS_MONTH}))
    assert account["monthly_amount"] == "90.00"  # 1.5% of the whole base, 5000 < 6000 <= 10000

    payment = {"idempotency_key": str(uuid.uuid4()), "member_id": member["id"], "months": [THIS_MONTH]}
    wrong = api.post("/api/v1/dues/payments", json={**payment, "amount": "60.00"}).json()["error"]
    assert (wrong["code"], wrong["fields"]["expected_amount"]) == ("rule_violation", "90.00")
    receipts = [ok(api.post("/api/v1/dues/payments", json={**payment, "amount": "90.00"}), 201) for _ in range(3)]
    assert len({r["payment_id"] for r in receipts}) == 1 and receipts[0]["paid_up_to"] == THIS_MONTH

    statement = ok(api.get(dues))
    assert [p["payment_id"] for p in statement["payments"]] == [receipts[0]["payment_id"]]
    assert (statement["paid_up_to"], statement["balance"]["outstanding"]) == (THIS_MONTH, "0.00")
    report = ok(api.get(f"/api/v1/orgs/{sending['parent_id']}/dues-report",
                        params={"year": THIS_MONTH[:4]}))
    assert report["totals"]["collected"] == "90.00" and report["totals"]["paid_months"] == 1
    assert [b["org_id"] for b in report["branches"] if b["collected"] != "0.00"] == [sending["id"]]

    transfer_id = ok(request_transfer(api, member["id"], receiving["id"]), 201)["id"]
    step(api, transfer_id, "approve")
    letter = step(api, transfer_id, "issue-letter")["letter"]
    assert (letter["dues"]["source"], letter["dues"]["paid_up_to"], letter["dues"]["settled"]) == \
        ("dues_service", THIS_MONTH, True)
    step(api, transfer_id, "accept")
    step(api, transfer_id, "report-in")
    moved = wait_until(lambda: (lambda a: a["org_id"] == receiving["id"] and a)(ok(api.get(dues))),
                       "the dues account to follow the completed transfer")
    assert (moved["paid_up_to"], moved["monthly_amount"], moved["payments"]) == \
        (THIS_MONTH, "90.00", statement["payments"])
    assert ok(api.get(f"/api/v1/transfers/{transfer_id}"))["state"] == "completed"
