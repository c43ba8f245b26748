"""Bearer access tokens (shared/access.py): HS256 with the configured secret,
issuer, audience, subject, issue and expiry times all required, at most an
hour of life; a bad one is a 401 whatever the route and the service is not
called; no token reaches only the public routes; the token's subject is the
actor; the policy table answers 403 outside the caller's scope; tokens are
never logged or echoed; the gateway will not start without its secrets."""
import datetime as dt
import logging
from unittest import mock

import jwt
import pytest
from nameko.exceptions import RemoteError

from gateway_helpers import AUTH_CONFIG, SECRET, as_role, bearer, claims_token, principal, standard_claims, token
from services.gateway.auth import Auth, Authenticator
from shared.access import MAX_ACCESS_SECONDS, issue_access_token

ORG = {"name": "Dushu Lake Committee", "kind": "committee"}
NOW = dt.datetime.now(dt.timezone.utc)


def claims(**overrides):
    return claims_token(standard_claims(NOW, **overrides))


# -- who acts ---------------------------------------------------------------

def test_a_token_subject_is_the_actor_even_with_an_x_actor_header(call, gateway, orgs):
    orgs.create_org.return_value = {"id": "o1"}
    value = token("organiser-li")
    reply = call("create_org", "POST", "/api/v1/orgs", json_body=ORG,
                 headers={**bearer(value), "X-Actor": "someone-else"})
    assert reply.status == 201
    assert gateway.ctx.set.call_args.kwargs["actor"] == "organiser-li"
    assert gateway.ctx.set.call_args.kwargs["access_token"] == value  # forwarded for the services to verify


def test_without_a_token_an_x_actor_header_names_no_one(call, gateway, orgs):
    reply = call("get_org", "GET", "/api/v1/orgs/o1", org_id="o1", headers={"X-Actor": "clerk-2"}, anonymous=True)
    assert reply.status == 401 and reply.error["code"] == "unauthorized"
    orgs.get_org.assert_not_called()
    assert gateway.ctx.set.call_args.kwargs["actor"] is None


def test_an_anonymous_caller_reaches_the_public_routes_only(call, gateway, identity, orgs, members):
    identity.sign_in.return_value = {"account": {"username": "secretary-demo", "display_name": "秘书",
                                                 "roles": [{"role": "org_admin", "org_id": "b1"}]},
                                     "refresh_token": "r-1"}
    reply = call("sign_in", "POST", "/api/v1/auth/token", anonymous=True,
                 json_body={"username": "secretary-demo", "password": "ejia-demo"})
    assert reply.status == 200
    assert reply.json["token_type"] == "bearer" and reply.json["refresh_token"] == "r-1"
    signed_in, _ = Authenticator(SECRET).caller(mock.Mock(headers=bearer(reply.json["access_token"])))
    assert (signed_in.subject, signed_in.display_name, signed_in.admin_orgs) == ("secretary-demo", "秘书", {"b1"})
    assert call("docs_page", "GET", "/docs", anonymous=True).status == 200
    for entrypoint, path, values in [("get_org", "/api/v1/orgs/o1", {"org_id": "o1"}),
                                     ("list_orgs", "/api/v1/orgs", {}),
                                     ("get_member", "/api/v1/members/m1", {"member_id": "m1"}),
                                     ("me", "/api/v1/me", {})]:
        reply = call(entrypoint, "GET", path, anonymous=True, **values)
        assert reply.status == 401 and reply.error["code"] == "unauthorized", entrypoint
    orgs.get_org.assert_not_called()
    orgs.list_orgs.assert_not_called()
    members.get_member.assert_not_called()


# -- bad tokens -------------------------------------------------------------

BAD_TOKENS = {
    "expired": claims(iat=NOW - dt.timedelta(minutes=20), exp=NOW - dt.timedelta(minutes=5)),
    "another secret": token(secret="another-secret-" + "y" * 32),
    "not a jwt": "not.a.token",
    "garbage": "%%%",
    "no exp": claims(exp=None),
    "no iat": claims(iat=None),
    "no iss": claims(iss=None),
    "no aud": claims(aud=None),
    "no sub": claims(sub=None),
    "wrong audience": claims(aud="another-api"),
    "wrong issuer": claims(iss="someone-else"),
    "lifetime over an hour": claims(exp=NOW + dt.timedelta(seconds=MAX_ACCESS_SECONDS + 60)),
    "issued long ago, expiring late": claims(iat=NOW - dt.timedelta(days=1), exp=NOW + dt.timedelta(minutes=5)),
    "blank sub": claims(sub="  "),
    "sub too long": claims(sub="a" * 101),
    "sub not a string": claims(sub=7),
    "roles not a list": claims(roles="district_admin"),
    "roles as strings (the old form)": claims(roles=["admin"]),
    "roles with an unknown role": claims(roles=[{"role": "admin", "org_id": None}]),
    "roles with a numeric org_id": claims(roles=[{"role": "org_admin", "org_id": 7}]),
    "not yet valid": claims(nbf=NOW + dt.timedelta(minutes=10)),
    "HS512": claims_token(standard_claims(NOW), algorithm="HS512"),
    "alg none": jwt.encode(standard_claims(NOW), None, algorithm="none"),
}


@pytest.mark.parametrize("name", sorted(BAD_TOKENS))
def test_a_bad_token_is_401_and_the_service_is_not_called(call, members, name):
    value = BAD_TOKENS[name]
    reply = call("get_member", "GET", "/api/v1/members/m1", member_id="m1", headers=bearer(value))
    assert reply.status == 401
    assert reply.json["error"]["code"] == "unauthorized" and reply.json["error"]["fields"] == {}
    assert reply.headers["WWW-Authenticate"].startswith("Bearer ")
    assert value not in reply.text
    members.get_member.assert_not_called()


@pytest.mark.parametrize("name", ["expired", "wrong audience", "alg none"])
def test_a_bad_token_is_401_on_a_public_route_too(call, identity, name):
    """Present but invalid is never treated as anonymous."""
    reply = call("sign_in", "POST", "/api/v1/auth/token", headers=bearer(BAD_TOKENS[name]),
                 json_body={"username": "u", "password": "p"})
    assert reply.status == 401
    identity.sign_in.assert_not_called()


def test_an_expired_token_says_so(call):
    reply = call("get_member", "GET", "/api/v1/members/m1", member_id="m1", headers=bearer(BAD_TOKENS["expired"]))
    assert reply.error["message"] == "The bearer token has expired."


def test_a_token_claiming_too_long_a_life_says_so(call):
    reply = call("get_member", "GET", "/api/v1/members/m1", member_id="m1",
                 headers=bearer(BAD_TOKENS["lifetime over an hour"]))
    assert reply.status == 401 and "longer lifetime" in reply.error["message"]


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "Token abc", ""])
def test_an_authorization_header_that_is_not_a_bearer_token_is_401(call, orgs, header):
    reply = call("get_org", "GET", "/api/v1/orgs/o1", org_id="o1", headers={"Authorization": header})
    assert reply.status == 401
    orgs.get_org.assert_not_called()


def test_a_bad_token_is_401_before_the_body_is_looked_at(call, orgs):
    reply = call("create_org", "POST", "/api/v1/orgs", data="{not json", headers=bearer("x.y.z"))
    assert reply.status == 401
    orgs.create_org.assert_not_called()


def test_a_token_expired_within_the_leeway_is_accepted(call, members):
    members.get_member.return_value = {}
    now = dt.datetime.now(dt.timezone.utc)  # not NOW: the module may have been imported a while ago
    value = claims_token(standard_claims(now, iat=now - dt.timedelta(minutes=15), exp=now - dt.timedelta(seconds=5)))
    assert call("get_member", "GET", "/x", member_id="m1", headers=bearer(value)).status == 200
    members.get_member.assert_called_once_with("m1")


def test_a_token_of_exactly_the_maximum_lifetime_is_accepted(call, orgs):
    orgs.get_org.return_value = {}
    value = token(lifetime=MAX_ACCESS_SECONDS)
    assert call("get_org", "GET", "/x", org_id="o1", headers=bearer(value)).status == 200


def test_a_server_without_a_secret_refuses_every_token_and_anonymous_callers(gateway, call, members):
    gateway.auth = Authenticator(None)
    assert not gateway.auth.configured
    assert call("get_member", "GET", "/x", member_id="m1", anonymous=True).status == 401
    reply = call("get_member", "GET", "/x", member_id="m1", headers=bearer(token()))
    assert reply.status == 401 and "no JWT secret" in reply.error["message"]
    members.get_member.assert_not_called()


def test_tokens_and_personal_data_never_reach_the_log(call, members, caplog):
    value = token()
    members.get_member.side_effect = RemoteError("KeyError", "boom")
    with caplog.at_level(logging.DEBUG):
        reply = call("get_member", "GET", "/x", member_id="m1", headers=bearer(value))
        bad = call("get_member", "GET", "/x", member_id="m1", headers=bearer(value[:-2] + "xx"))
    assert reply.status == 500 and bad.status == 401
    assert value not in caplog.text and value[:-2] not in caplog.text


# -- the policy table: 403 outside the caller's scope ----------------------
# (FixedScope: every organisation is directly under d0, every member in b1.)

def test_an_org_admin_acts_in_their_subtree_only(call, orgs):
    orgs.rename_org.return_value = {"id": "b1"}
    for org_id, status in [("b1", 200), ("b2", 403)]:
        reply = call("rename_org", "PATCH", f"/api/v1/orgs/{org_id}/rename", org_id=org_id,
                     json_body={"name": "新名"}, headers=as_role("org_admin", "b1"))
        assert reply.status == status, org_id
    assert call("rename_org", "PATCH", "/api/v1/orgs/b2/rename", org_id="b2", json_body={"name": "新名"},
                headers=as_role("org_admin", "d0")).status == 200  # the committee above it
    assert [c.args[0] for c in orgs.rename_org.call_args_list] == ["b1", "b2"]


def test_out_of_scope_is_403_before_the_body_is_validated_and_the_service_is_not_called(call, members):
    reply = call("update_member", "PATCH", "/api/v1/members/m1", member_id="m1", json_body={},
                 headers=as_role("org_admin", "b2"))
    assert reply.status == 403 and reply.error["code"] == "forbidden"
    members.update_member.assert_not_called()


def test_a_member_reads_their_own_record_and_no_one_elses(call, members):
    members.get_member.return_value = {"id": "m1"}
    mine = as_role("member", member_id="m1", subject="member-li")
    assert call("get_member", "GET", "/x", member_id="m1", headers=mine).status == 200
    assert call("get_member", "GET", "/x", member_id="m2", headers=mine).status == 403
    assert call("update_member", "PATCH", "/x", member_id="m1", headers=mine,
                json_body={"employer": "x", "expected_version": 1}).status == 403
    members.get_member.assert_called_once_with("m1")
    members.update_member.assert_not_called()


def test_an_auditor_reads_but_never_writes(call, members, orgs):
    members.get_member.return_value = {"id": "m1"}
    auditor = as_role("auditor")
    assert call("get_member", "GET", "/x", member_id="m1", headers=auditor).status == 200
    assert call("create_org", "POST", "/api/v1/orgs", json_body=ORG, headers=auditor).status == 403
    orgs.create_org.assert_not_called()


def test_an_integration_account_reaches_no_member(call, members):
    reply = call("get_member", "GET", "/x", member_id="m1", headers=as_role("integration"))
    assert reply.status == 403
    members.get_member.assert_not_called()


def test_district_wide_acts_are_the_district_admins(call, orgs):
    orgs.create_org.return_value = {"id": "o9"}
    assert call("create_org", "POST", "/api/v1/orgs", json_body=ORG, headers=as_role("org_admin", "b1")).status == 403
    assert call("create_org", "POST", "/api/v1/orgs", json_body=ORG).status == 201  # district_admin
    orgs.create_org.assert_called_once_with(ORG)


# -- issuing, and the provider ------------------------------------------------

def test_issue_refuses_a_short_secret_and_round_trips():
    with pytest.raises(ValueError):
        issue_access_token("short", principal())
    answer = Authenticator(SECRET, lifetime=600).issue(principal("org-li", "org_admin", "b1"))
    assert answer["token_type"] == "bearer" and answer["expires_in"] == 600
    request = mock.Mock(headers=bearer(answer["access_token"]))
    caller, raw = Authenticator(SECRET).caller(request)
    assert caller == principal("org-li", "org_admin", "b1") and raw == answer["access_token"]
    decoded = jwt.decode(raw, SECRET, algorithms=["HS256"], audience="ejia-api")
    assert decoded["exp"] - decoded["iat"] == 600 and decoded["iss"] == "ejia"


def test_no_authorization_header_is_no_caller():
    assert Authenticator(SECRET).caller(mock.Mock(headers={})) == (None, None)


@pytest.mark.parametrize("config, named", [
    ({"MASTER_KEY": AUTH_CONFIG["MASTER_KEY"]}, "JWT_SECRET"),
    ({"JWT_SECRET": "", "MASTER_KEY": AUTH_CONFIG["MASTER_KEY"]}, "JWT_SECRET"),
    ({"JWT_SECRET": "too-short", "MASTER_KEY": AUTH_CONFIG["MASTER_KEY"]}, "JWT_SECRET"),
    ({"JWT_SECRET": SECRET}, "MASTER_KEY"),
    ({"JWT_SECRET": SECRET, "MASTER_KEY": ""}, "MASTER_KEY"),
    ({"JWT_SECRET": SECRET, "MASTER_KEY": AUTH_CONFIG["MASTER_KEY"], "ACCESS_TOKEN_SECONDS": 7200},
     "ACCESS_TOKEN_SECONDS"),
])
def test_the_provider_refuses_to_start_without_its_secrets(config, named):
    provider = Auth()
    provider.container = mock.Mock(config=config)
    with pytest.raises(RuntimeError) as refused:
        provider.setup()
    assert named in str(refused.value)
    if config.get("JWT_SECRET"):
        assert config["JWT_SECRET"] not in str(refused.value)


def test_the_provider_uses_the_configured_secret_and_lifetime():
    provider = Auth()
    provider.container = mock.Mock(config={**AUTH_CONFIG, "ACCESS_TOKEN_SECONDS": "300"})
    provider.setup()
    authenticator = provider.get_dependency(None)
    assert authenticator.configured and authenticator.lifetime == 300 and not authenticator.policy_off
    caller, _ = authenticator.caller(mock.Mock(headers=bearer(token("x", "auditor"))))
    assert caller.subject == "x" and caller.audits_district
    assert not caller.may_see_personal_data("m1", ("b1", "d0"))
