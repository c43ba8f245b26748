"""Signing in for real (identity service, argon2 hashes, refresh tokens), the
actor on every event being the token's subject whatever the headers say,
and the ID-number recovery attack no longer working: on the whole platform
over RabbitMQ and PostgreSQL."""
import datetime as dt

import pytest
from sqlalchemy import create_engine, select

from access_helpers import as_role
from services.demo_members import id_number
from shared.tables import events
from stage_history import history_json

pytestmark = pytest.mark.integration

TODAY = dt.date.today()
PASSWORD = "correct horse battery staple"


def person(org_id, sequence, birth=dt.date(1991, 3, 7)):
    return {"name": f"党员{sequence}", "gender": "male", "birth_date": birth.isoformat(), "ethnicity": "汉族",
            "education": "本科", "employer": "纳米科技有限公司", "id_number": id_number("320506", birth, sequence),
            "phone": f"139{sequence:08d}", "org_id": org_id, "stage": "full",
            **history_json("full", full_on="2016-07-01")}


def tree(platform):
    c = platform.call("POST", "/api/v1/orgs", 201, json={"name": "党工委", "kind": "committee"}).json()["id"]
    a, b = (platform.call("POST", "/api/v1/orgs", 201, json={
        "name": n, "kind": "branch", "parent_id": c, "unit": {"name": n, "unit_type": "enterprise"},
        "full_members": 5}).json()["id"] for n in ("甲支部", "乙支部"))
    return c, a, b


def sign_in(platform, username, password=PASSWORD, expect=200):
    return platform.call("POST", "/api/v1/auth/token", expect, headers={},
                         json={"username": username, "password": password}).json()


def bearer(tokens):
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_sign_in_refresh_replay_logout_and_throttle(platform):
    c, a, _ = tree(platform)
    platform.call("POST", "/api/v1/accounts", 201, json={
        "username": "sec.a", "display_name": "甲支部书记", "password": PASSWORD, "kind": "staff",
        "roles": [{"role": "org_admin", "org_id": a}]})
    first = sign_in(platform, "sec.a")
    assert first["token_type"] == "bearer" and first["expires_in"] == 900 and first["refresh_token"]
    me = platform.call("GET", "/api/v1/me", 200, headers=bearer(first)).json()
    assert me["account"]["username"] == "sec.a" and me["roles"][0]["org_id"] == a and me["member"] is None
    assert platform.call("GET", f"/api/v1/orgs/{a}/members", headers=bearer(first)).status_code == 200
    assert platform.call("GET", f"/api/v1/orgs/{c}/members", headers=bearer(first)).status_code == 403

    second = platform.call("POST", "/api/v1/auth/refresh", 200, headers={},
                           json={"refresh_token": first["refresh_token"]}).json()
    third = platform.call("POST", "/api/v1/auth/refresh", 200, headers={},
                          json={"refresh_token": second["refresh_token"]}).json()
    # The first refresh token again: a replay. It and every later token of its family stop working.
    platform.call("POST", "/api/v1/auth/refresh", 401, headers={}, json={"refresh_token": first["refresh_token"]})
    platform.call("POST", "/api/v1/auth/refresh", 401, headers={}, json={"refresh_token": third["refresh_token"]})

    fresh = sign_in(platform, "sec.a")
    assert platform.call("POST", "/api/v1/auth/logout", 200, headers={},
                         json={"refresh_token": fresh["refresh_token"]}).json()["revoked"] is True
    platform.call("POST", "/api/v1/auth/refresh", 401, headers={}, json={"refresh_token": fresh["refresh_token"]})

    wrong = platform.call("POST", "/api/v1/auth/token", headers={}, json={"username": "sec.a", "password": "nope-nope"})
    unknown = platform.call("POST", "/api/v1/auth/token", headers={},
                            json={"username": "nobody.here", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()

    statuses = [platform.call("POST", "/api/v1/auth/token", headers={},
                              json={"username": "sec.a", "password": f"wrong-{i}"}) for i in range(20)]
    throttled = [r for r in statuses if r.status_code == 429]
    assert throttled, [r.status_code for r in statuses]
    assert int(throttled[-1].headers["Retry-After"]) > 0
    # Throttled means throttled: the right password is refused too until the window passes.
    assert platform.call("POST", "/api/v1/auth/token", headers={},
                         json={"username": "sec.a", "password": PASSWORD}).status_code == 429


def actors(url, aggregate_id):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {row.event_type: row.actor for row in conn.execute(
                select(events.c.event_type, events.c.actor).where(events.c.aggregate_id == aggregate_id))}
    finally:
        engine.dispose()


def test_the_actor_is_the_token_subject_whatever_the_headers_say(platform):
    c, a, b = tree(platform)
    forged = {"X-Actor": "admin", "X-Ejia-Actor": "admin"}
    secretary = {**as_role("org_admin", a, "sec-a"), **forged}
    receiving = {**as_role("org_admin", b, "sec-b"), **forged}
    district = {**as_role("district_admin", subject="district-li"), **forged}

    platform.call("POST", f"/api/v1/orgs/{a}/rename", 200, headers=secretary, json={"name": "甲支部（新）"})
    member = platform.until("POST", "/api/v1/members", 201, headers=secretary, json=person(a, 21))["id"]
    platform.call("POST", f"/api/v1/members/{member}/status", 200, headers=secretary, json={
        "status": "lost_contact", "changed_on": TODAY.isoformat(), "reason": "联系不上"})
    platform.call("POST", f"/api/v1/members/{member}/status", 200, headers=secretary, json={
        "status": "active", "changed_on": TODAY.isoformat(), "reason": "已恢复联系"})
    platform.until("PUT", f"/api/v1/members/{member}/dues-base", 200, headers=secretary, json={
        "category": "employed", "base": "6800.00", "effective_month": f"{TODAY:%Y-%m}"})
    platform.call("POST", "/api/v1/dues/payments", 201, headers=secretary, json={
        "idempotency_key": "actor-test-1", "member_id": member, "months": [f"{TODAY:%Y-%m}"], "amount": "102.00"})
    transfer = platform.call("POST", "/api/v1/transfers", 201, headers=secretary, json={
        "member_id": member, "to_org_id": b, "scope": "in_city", "grounds": "employer_change"}).json()["id"]
    platform.call("POST", f"/api/v1/transfers/{transfer}/approve", 200, headers=secretary, json={})
    platform.call("POST", f"/api/v1/transfers/{transfer}/reject", 200, headers=receiving,
                  json={"reason": "接收单位不符合条件"})
    platform.call("POST", f"/api/v1/orgs/{c}/founding-requests", 201, headers=district, json={
        "proposed_name": "丙支部", "unit": {"name": "丙公司", "unit_type": "enterprise"}, "full_members": 3,
        "founding_members": [{"name": n} for n in ("王芳", "李强", "张伟")],
        "proposed_committee": [{"role": "secretary", "name": "王芳"}]})

    urls = platform.db_urls
    assert set(actors(urls["orgs"], a).values()) == {"district-admin", "sec-a"}  # created by the fixture's admin
    assert actors(urls["orgs"], a)["orgs.org_renamed"] == "sec-a"
    member_actors = actors(urls["members"], member)
    assert member_actors.pop("members.transfer_closed") == "sec-b"  # the receiving side rejected it
    assert set(member_actors.values()) == {"sec-a"}
    assert set(actors(urls["members"], transfer).values()) == {"sec-a", "sec-b"}
    assert actors(urls["members"], transfer)["transfers.rejected"] == "sec-b"
    dues = actors(urls["dues"], member)
    assert dues["dues.base_set"] == dues["dues.payment_recorded"] == "sec-a"

    history = platform.call("GET", f"/api/v1/members/{member}/history", 200, headers=secretary).json()
    assert [e["actor"] for e in history["items"]].count("sec-b") == 1
    timeline = platform.call("GET", f"/api/v1/transfers/{transfer}", 200, headers=secretary).json()["timeline"]
    assert [e["actor"] for e in timeline][-1] == "sec-b"
    org_history = platform.call("GET", f"/api/v1/orgs/{a}/history", 200, headers=secretary).json()["items"]
    assert org_history[-1]["actor"] == "sec-a"


def test_the_id_number_recovery_attack_no_longer_works(platform):
    """The attack: read a masked ID beside the birth date (about 9
    candidates left), then confirm each candidate with a PATCH that answers
    409 "already registered" for the right one. Now an outsider sees no birth
    date, cannot PATCH (403 before anything is compared), and a writer's 409
    names no one."""
    _, a, b = tree(platform)
    victim_body = person(a, 31)
    victim = platform.until("POST", "/api/v1/members", 201, json=victim_body)["id"]
    other = platform.until("POST", "/api/v1/members", 201, json=person(b, 33))["id"]

    for caller in (as_role("org_admin", b, "sec-b"), as_role("auditor"),
                   as_role("member", subject="someone", member_id=other), as_role("integration")):
        seen = platform.call("GET", f"/api/v1/members/{victim}", headers=caller)
        if seen.status_code == 200:
            record = seen.json()
            assert record["personal_revealed"] is False and record["birth_date"] is None
            assert victim_body["id_number"] not in seen.text and victim_body["id_number"][6:14] not in seen.text
        else:
            assert seen.status_code == 403
        listed = platform.call("GET", f"/api/v1/orgs/{a}/members", headers=caller)
        if listed.status_code == 200:  # a list row: no birth date, nor the ID number's birth digits
            assert listed.json()["items"] and all("birth_date" not in m for m in listed.json()["items"])
            assert victim_body["id_number"][6:14] not in listed.text
    for caller in (as_role("auditor"), as_role("member", subject="someone", member_id=other),
                   as_role("integration"), as_role("org_admin", a, "sec-a")):
        # The oracle: PATCH a member the caller may not write, with the victim's ID number.
        oracle = platform.call("PATCH", f"/api/v1/members/{other}", headers=caller,
                               json={"id_number": victim_body["id_number"]})
        assert oracle.status_code == 403, oracle.text

    writer = as_role("org_admin", b, "sec-b")
    conflict = platform.call("PATCH", f"/api/v1/members/{other}", 409, headers=writer,
                             json={"id_number": victim_body["id_number"]}).json()
    assert victim not in str(conflict) and victim_body["name"] not in str(conflict)

    own = platform.call("GET", f"/api/v1/members/{victim}", 200, headers=as_role("org_admin", a, "sec-a")).json()
    assert own["personal_revealed"] is True and own["id_number"] == victim_body["id_number"]
    assert own["birth_date"] == victim_body["birth_date"]
