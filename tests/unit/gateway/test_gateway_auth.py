"""Bearer tokens: optional, HS256 with the configured secret; a bad one is a
401 whatever the route; the token's subject is the actor; tokens are never
logged or echoed."""
import datetime as dt
import logging
from unittest import mock

import jwt
import pytest
from nameko.exceptions import RemoteError

from gateway_helpers import SECRET, bearer, token
from services.gateway.auth import Auth, Authenticator, Caller, issue_token

ORG = {"name": "Dushu Lake Committee", "kind": "committee"}
NOW = dt.datetime.now(dt.timezone.utc)


def claims_token(claims, secret=SECRET, algorithm="HS256"):
    return jwt.encode(claims, secret, algorithm=algorithm)


def test_a_token_subject_is_the_actor_even_with_an_x_actor_header(call, gateway, orgs):
    orgs.create_org.return_value = {"id": "o1"}
    reply = call("create_org", "POST", "/api/v1/orgs", json_body=ORG,
                 headers={**bearer(token("organiser-li", roles=[])), "X-Actor": "someone-else"})
    assert reply.status == 201
    assert gateway.ctx.set.call_args.kwargs["actor"] == "organiser-li"


def test_without_a_token_the_x_actor_header_still_names_the_actor(call, gateway, orgs):
    orgs.get_org.return_value = {}
    call("get_org", "GET", "/api/v1/orgs/o1", org_id="o1", headers={"X-Actor": "clerk-2"})
    assert gateway.ctx.set.call_args.kwargs["actor"] == "clerk-2"


BAD_TOKENS = {
    "expired": claims_token({"sub": "a", "roles": ["admin"], "exp": NOW - dt.timedelta(minutes=5)}),
    "another secret": token(secret="another-secret-" + "y" * 32),
    "not a jwt": "not.a.token",
    "garbage": "%%%",
    "no exp": claims_token({"sub": "a", "roles": ["admin"]}),
    "no sub": claims_token({"roles": ["admin"], "exp": NOW + dt.timedelta(hours=1)}),
    "blank sub": claims_token({"sub": "  ", "roles": ["admin"], "exp": NOW + dt.timedelta(hours=1)}),
    "sub too long": claims_token({"sub": "a" * 101, "roles": [], "exp": NOW + dt.timedelta(hours=1)}),
    "roles not a list": claims_token({"sub": "a", "roles": "admin", "exp": NOW + dt.timedelta(hours=1)}),
    "roles not strings": claims_token({"sub": "a", "roles": [1], "exp": NOW + dt.timedelta(hours=1)}),
    "not yet valid": claims_token({"sub": "a", "roles": [], "exp": NOW + dt.timedelta(hours=2),
                                   "nbf": NOW + dt.timedelta(hours=1)}),
    "HS512": claims_token({"sub": "a", "roles": ["admin"], "exp": NOW + dt.timedelta(hours=1)},
                          algorithm="HS512"),
    "alg none": jwt.encode({"sub": "a", "roles": ["admin"], "exp": NOW + dt.timedelta(hours=1)},
                           None, algorithm="none"),
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


def test_an_expired_token_says_so(call):
    reply = call("get_member", "GET", "/api/v1/members/m1", member_id="m1", headers=bearer(BAD_TOKENS["expired"]))
    assert reply.error["message"] == "The bearer token has expired."


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
    value = claims_token({"sub": "a", "roles": ["admin"], "exp": now - dt.timedelta(seconds=5)})
    assert call("get_member", "GET", "/x", member_id="m1", headers=bearer(value)).status == 200
    members.get_member.assert_called_once_with("m1", reveal_personal=True)


def test_a_server_without_a_secret_refuses_tokens_but_serves_anonymous_callers(gateway, call, members):
    gateway.auth = Authenticator(None)
    members.get_member.return_value = {}
    assert call("get_member", "GET", "/x", member_id="m1").status == 200
    reply = call("get_member", "GET", "/x", member_id="m1", headers=bearer(token()))
    assert reply.status == 401 and "no JWT secret" in reply.error["message"]


def test_tokens_and_personal_data_never_reach_the_log(call, members, caplog):
    value = token()
    members.get_member.side_effect = RemoteError("KeyError", "boom")
    with caplog.at_level(logging.DEBUG):
        reply = call("get_member", "GET", "/x", member_id="m1", headers=bearer(value))
        call("get_member", "GET", "/x", member_id="m1", headers=bearer(value[:-2] + "xx"))
    assert reply.status == 500
    assert value not in caplog.text and value[:-2] not in caplog.text


def test_issue_token_refuses_a_short_secret_and_round_trips():
    with pytest.raises(ValueError):
        issue_token("short", "admin")
    value = issue_token(SECRET, "admin", ["admin"], expires_in=dt.timedelta(days=30))
    request = mock.Mock(headers={"Authorization": f"Bearer {value}"})
    assert Authenticator(SECRET).caller(request) == Caller("admin", frozenset({"admin"}))


@pytest.mark.parametrize("secret", [None, "", "too-short"])
def test_the_provider_warns_when_the_secret_is_missing_or_short(caplog, secret):
    provider = Auth()
    provider.container = mock.Mock(config={} if secret is None else {"JWT_SECRET": secret})
    with caplog.at_level(logging.WARNING):
        provider.setup()
    assert not provider.get_dependency(None).configured
    assert "JWT_SECRET" in caplog.text
    if secret:
        assert secret not in caplog.text


def test_the_provider_uses_the_configured_secret():
    provider = Auth()
    provider.container = mock.Mock(config={"JWT_SECRET": SECRET})
    provider.setup()
    request = mock.Mock(headers={"Authorization": f"Bearer {token('x', ['personal_data'])}"})
    caller = provider.get_dependency(None).caller(request)
    assert caller.subject == "x" and caller.may_see_personal_data
