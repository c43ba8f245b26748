"""The identity service in a real nameko container, over RabbitMQ and
PostgreSQL, driven by RPC as the gateway drives it."""
import pytest
from sqlalchemy import create_engine, text

from shared import codec
from shared.access import Principal
from shared.errors import Conflict, InvalidInput, NotFound, TooManyRequests, Unauthorized

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


def create(identity, username="li.ming", **extra):
    return identity.create_account({"username": username, "display_name": "Li Ming", "password": PASSWORD,
                                    "kind": "staff", "roles": [{"role": "org_admin", "org_id": "org-1"}], **extra})


def test_accounts_sessions_and_the_events_they_publish(identity, identity_config, event_tap, caller):
    assert identity.ping() == "pong"
    account = create(identity)
    assert account["roles"] == [{"role": "org_admin", "org_id": "org-1"}] and account["version"] == 2
    assert Principal.from_account(account).admin_orgs == {"org-1"}
    with pytest.raises(Conflict) as err:
        create(identity)
    assert err.value.fields == {"username": "li.ming"}

    session = identity.sign_in("li.ming", PASSWORD, "10.0.0.1")
    assert session["account"]["username"] == "li.ming" and session["refresh_expires_in"] == 14 * 24 * 3600
    identity.grant_role("li.ming", {"role": "auditor", "org_id": None})
    renewed = identity.refresh(session["refresh_token"])
    assert {"role": "auditor", "org_id": None} in renewed["account"]["roles"]
    with pytest.raises(Unauthorized):
        identity.refresh(session["refresh_token"])  # a replay ...
    with pytest.raises(Unauthorized):
        identity.refresh(renewed["refresh_token"])  # ... ended the whole family

    again = identity.sign_in("li.ming", PASSWORD, "10.0.0.1")
    assert identity.logout(again["refresh_token"]) == {"revoked": True}
    assert identity.logout(again["refresh_token"]) == {"revoked": False}
    with pytest.raises(Unauthorized):
        identity.refresh(again["refresh_token"])

    identity.change_password("li.ming", {"new_password": "a brand new secret"})
    identity.disable_account("li.ming", {"reason": "left the district"})
    received = event_tap.until("identity.account_disabled")
    bodies = [codec.loads(raw) for raw, _ in received]
    assert [b["event_type"] for b in bodies] == [
        "identity.account_created", "identity.role_granted", "identity.role_granted",
        "identity.password_changed", "identity.account_disabled"]
    assert {(b["aggregate_type"], b["aggregate_id"]) for b in bodies} == {("account", account["id"])}
    assert {(b["actor"], b["correlation_id"]) for b in bodies} == {(caller["actor"], caller["correlation_id"])}
    assert bodies[3]["payload"] == {}

    engine = create_engine(identity_config["DB_URIS"]["identity"])
    try:
        with engine.connect() as conn:
            password_hash = conn.execute(text("SELECT password_hash FROM credentials")).scalar_one()
    finally:
        engine.dispose()
    for raw, _ in received:
        for secret in (PASSWORD, "a brand new secret", password_hash, "argon2"):
            assert secret not in raw.decode() if isinstance(raw, bytes) else secret not in raw
    with pytest.raises(Unauthorized) as err:
        identity.sign_in("li.ming", "a brand new secret", "10.0.0.1")
    assert err.value.message == "wrong username or password"


def test_errors_keep_their_type_across_rpc(identity):
    create(identity, "wang.fang")
    with pytest.raises(Unauthorized) as wrong:
        identity.sign_in("wang.fang", "not the password", "10.0.0.2")
    with pytest.raises(Unauthorized) as unknown:
        identity.sign_in("nobody.here", "not the password", "10.0.0.2")
    assert wrong.value.args == unknown.value.args
    for _ in range(2):
        with pytest.raises(Unauthorized):
            identity.sign_in("wang.fang", "not the password", "10.0.0.2")
    with pytest.raises(TooManyRequests) as err:  # SIGNIN_MAX_FAILURES_PER_USER is 3 here
        identity.sign_in("wang.fang", PASSWORD, "10.0.0.2")
    assert 0 < int(err.value.fields["retry_after"]) <= 900  # nameko stringifies error args
    with pytest.raises(InvalidInput) as err:
        identity.create_account({"username": "x", "display_name": "X", "password": "short", "kind": "staff",
                                 "extra": 1})
    assert set(err.value.fields) == {"username", "password", "extra"}
    with pytest.raises(NotFound):
        identity.get_account("nobody.here")
    with pytest.raises(NotFound):
        identity.revoke_role("wang.fang", {"role": "auditor"})


def test_accounts_are_listed_and_filtered_by_organisation(identity):
    create(identity, "wang.fang")
    identity.create_account({"username": "m.0001", "display_name": "Zhao Lei", "password": PASSWORD,
                             "kind": "member", "member_id": "m-1"})
    page = identity.list_accounts()
    assert [a["username"] for a in page["items"]] == ["m.0001", "wang.fang"] and page["total"] == 2
    assert identity.list_accounts(org_id="org-1")["total"] == 1
    assert identity.get_account("m.0001")["roles"] == [{"role": "member", "org_id": None}]


def test_of_two_concurrent_refreshes_only_one_wins(identity, identity_proxy):
    create(identity)
    token = identity.sign_in("li.ming", PASSWORD, None)["refresh_token"]
    other = identity_proxy()
    replies = [identity.refresh.call_async(token), other.refresh.call_async(token)]
    outcomes = []
    for reply in replies:
        try:
            outcomes.append(bool(reply.result()["refresh_token"]))
        except Unauthorized:
            outcomes.append(False)
    assert sorted(outcomes) == [False, True]
