"""The ``TransfersApi`` gateway mixin, with the members service faked: one
route per action, each calling the members service as it should; bodies and
queries refused (400) before any call; a valid OpenAPI document."""
import json
from unittest import mock

import openapi_spec_validator
import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway.auth import Authenticator
from services.gateway.openapi import build_spec
from services.gateway.service import GatewayService
from services.gateway.transfers_api import ACTION_HANDLERS, TransfersApi
from shared.contracts.transfers import TRANSFER_ACTIONS
from shared.errors import Conflict, RuleViolation
from access_helpers import bearer, token
from unit.fixed_scope import FixedScope

SECRET = "transfers-unit-test-secret-" + "x" * 40
_bases = (GatewayService,) if issubclass(GatewayService, TransfersApi) else (GatewayService, TransfersApi)
TransfersGateway = type("TransfersGateway", _bases, {"name": "gateway", "__module__": __name__})


@pytest.fixture
def members():
    return mock.Mock(name="members")


@pytest.fixture
def call(members):
    gateway = worker_factory(TransfersGateway, orgs=mock.Mock(name="orgs"), members=members,
                             auth=Authenticator(SECRET), scope=FixedScope(), config={"GATEWAY_RPC_TIMEOUT": 1.0})

    def do(entrypoint, method, path, body=None, query=None, **path_values):
        builder = EnvironBuilder(method=method, path=path, query_string=query,
                                 data=json.dumps(body) if body is not None else None,
                                 content_type="application/json", headers=bearer(token(secret=SECRET)))
        response = getattr(gateway, entrypoint)(Request(builder.get_environ()), **path_values)
        return response.status_code, json.loads(response.get_data())

    return do


def test_every_action_has_a_route_that_calls_the_step(call, members):
    assert set(ACTION_HANDLERS) == set(TRANSFER_ACTIONS)
    members.transfer_step.return_value = {"id": "t-1", "state": "approved"}
    for action, handler in ACTION_HANDLERS.items():
        body = {"reason": "因故"} if action in ("reject", "return-for-correction") else {}
        status, reply = call(handler.__name__, "POST", f"/api/v1/transfers/t-1/{action}", body, transfer_id="t-1")
        assert (status, reply) == (200, {"id": "t-1", "state": "approved"}), action
        members.transfer_step.assert_called_with("t-1", action, body)


def test_request_get_and_lists(call, members):
    members.request_transfer.return_value = {"id": "t-1"}
    body = {"member_id": "m-1", "to_org_id": "b-2", "scope": "in_city", "grounds": "residence_change"}
    assert call("request_transfer", "POST", "/api/v1/transfers", body) == (201, {"id": "t-1"})
    members.request_transfer.assert_called_once_with(body)
    members.get_transfer.return_value = {"id": "t-1", "timeline": []}
    assert call("get_transfer", "GET", "/api/v1/transfers/t-1", transfer_id="t-1")[0] == 200
    members.list_org_transfers.return_value = members.list_member_transfers.return_value = {"items": []}
    call("list_org_transfers", "GET", "/api/v1/orgs/o-1/transfers", query={"state": "letter_expired",
                                                                            "side": "receiving"}, org_id="o-1")
    members.list_org_transfers.assert_called_once_with("o-1", state="letter_expired", side="receiving", limit=50,
                                                       offset=0, scope="subtree")
    call("list_member_transfers", "GET", "/api/v1/members/m-1/transfers", query={"limit": "5"}, member_id="m-1")
    members.list_member_transfers.assert_called_once_with("m-1", limit=5, offset=0)
    members.sweep_transfers.return_value = {"as_of": "2024-03-01"}
    call("sweep_transfers", "POST", "/api/v1/transfers/sweep", {"as_of": "2024-03-01"})
    members.sweep_transfers.assert_called_once_with(as_of="2024-03-01")


def test_refused_input_is_a_400_naming_the_field_and_nothing_is_called(call, members):
    status, reply = call("transfer_reject", "POST", "/api/v1/transfers/t-1/reject", {}, transfer_id="t-1")
    assert status == 400 and "reason" in reply["error"]["fields"]
    status, reply = call("request_transfer", "POST", "/api/v1/transfers", {"scope": "moon"})
    assert status == 400 and {"member_id", "to_org_id", "scope", "grounds"} <= set(reply["error"]["fields"])
    status, reply = call("list_org_transfers", "GET", "/api/v1/orgs/o-1/transfers", query={"side": "up"},
                         org_id="o-1")
    assert status == 400 and "side" in reply["error"]["fields"]
    assert not members.transfer_step.called and not members.request_transfer.called


def test_domain_errors_keep_their_status(call, members):
    members.transfer_step.side_effect = RuleViolation("members.transfer.letter_expired", "reissue it first")
    status, reply = call("transfer_accept", "POST", "/api/v1/transfers/t-1/accept", {}, transfer_id="t-1")
    assert status == 422 and reply["error"]["rule"] == "members.transfer.letter_expired"
    members.request_transfer.side_effect = Conflict("already has an open transfer", {"open_transfer_id": "t-0"})
    body = {"member_id": "m-1", "to_org_id": "b-2", "scope": "in_city", "grounds": "other"}
    assert call("request_transfer", "POST", "/api/v1/transfers", body)[0] == 409


def test_the_openapi_document_with_the_transfer_routes_is_valid():
    spec = build_spec(TransfersGateway)
    openapi_spec_validator.validate(spec)
    paths = spec["paths"]
    for action in TRANSFER_ACTIONS:
        operation = paths[f"/api/v1/transfers/{{transfer_id}}/{action}"]["post"]
        assert operation["tags"] == ["transfers"] and operation["summary"]
    assert {"/api/v1/transfers", "/api/v1/transfers/{transfer_id}", "/api/v1/orgs/{org_id}/transfers",
            "/api/v1/members/{member_id}/transfers", "/api/v1/transfers/sweep"} <= set(paths)
    assert paths["/api/v1/transfers"]["post"]["responses"].keys() >= {"201", "400", "409", "422"}
