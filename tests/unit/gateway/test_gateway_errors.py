"""Errors raised while serving a request become the API's JSON error shape."""
import logging
import time

import pytest
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, UnknownService

from shared.errors import Conflict, InvalidInput, NotFound, RuleViolation

SECRET = "id-number-320501199001011234"


@pytest.mark.parametrize("error, status, body", [
    (InvalidInput("bad date", {"created_on": ["Not a valid date."]}), 400,
     {"code": "invalid_input", "message": "bad date", "fields": {"created_on": ["Not a valid date."]}}),
    (NotFound("no organisation o9", {"parent_id": ["No such organisation."]}), 404,
     {"code": "not_found", "message": "no organisation o9", "fields": {"parent_id": ["No such organisation."]}}),
    (NotFound("no organisation o9"), 404,
     {"code": "not_found", "message": "no organisation o9", "fields": {}}),
    (Conflict("changed meanwhile"), 409,
     {"code": "conflict", "message": "changed meanwhile", "fields": {}}),
    (RuleViolation("orgs.founding.min_full_members", "needs 3 full members", {"full_members": ["at least 3"]}),
     422, {"code": "rule_violation", "message": "needs 3 full members",
           "fields": {"full_members": ["at least 3"]}, "rule": "orgs.founding.min_full_members"}),
])
def test_domain_errors_keep_their_status_and_body(call, orgs, error, status, body):
    orgs.create_org.side_effect = error
    reply = call("create_org", "POST", "/api/v1/orgs", json_body={"name": "N", "kind": "committee"},
                 headers={"X-Correlation-Id": "c-1"})
    assert reply.status == status
    assert reply.json == {"error": body}
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.headers["X-Correlation-Id"] == "c-1"


def test_an_unexpected_error_is_500_with_a_generic_message_and_logged_without_the_body(call, orgs, caplog):
    orgs.create_org.side_effect = RemoteError("KeyError", f"'{SECRET}'")
    with caplog.at_level(logging.DEBUG):
        reply = call("create_org", "POST", "/api/v1/orgs",
                     json_body={"name": SECRET, "kind": "committee"}, headers={"X-Correlation-Id": "c-9"})
    assert reply.status == 500
    assert reply.json == {"error": {"code": "internal_error", "message": "An internal error occurred.",
                                    "fields": {}}}
    assert SECRET not in reply.text
    record = next(r for r in caplog.records if r.levelno >= logging.ERROR)
    assert record.exc_info is not None and "c-9" in record.getMessage()
    assert "POST /api/v1/orgs" in record.getMessage()
    assert SECRET not in record.getMessage()


def test_a_bug_in_the_gateway_is_500(call, orgs):
    orgs.get_org.side_effect = ZeroDivisionError
    assert call("get_org", "GET", "/api/v1/orgs/o1", org_id="o1").error["code"] == "internal_error"


def test_a_result_that_is_not_json_is_500(call, orgs):
    orgs.get_org.return_value = object()
    assert call("get_org", "GET", "/api/v1/orgs/o1", org_id="o1").status == 500


@pytest.mark.parametrize("error", [
    UnknownService("orgs"),
    OperationalError("broker down"),
    ConnectionRefusedError(111, "refused"),
    RemoteError("OperationalError", "could not connect to server"),
    RemoteError("ContainerBeingKilled", ""),
])
def test_an_unavailable_service_is_503(call, orgs, error):
    orgs.get_org.side_effect = error
    reply = call("get_org", "GET", "/api/v1/orgs/o1", org_id="o1")
    assert reply.status == 503
    assert reply.json == {"error": {"code": "service_unavailable",
                                    "message": "A service is unavailable; try again shortly.", "fields": {}}}


def test_no_answer_within_the_rpc_timeout_is_503(gateway, orgs, call):
    gateway.config["GATEWAY_RPC_TIMEOUT"] = 0.05
    orgs.get_org.side_effect = lambda org_id: time.sleep(5)
    started = time.monotonic()
    reply = call("get_org", "GET", "/api/v1/orgs/o1", org_id="o1")
    assert reply.status == 503
    assert reply.error["code"] == "service_unavailable"
    assert time.monotonic() - started < 2


def test_failures_outside_the_worker_are_json_too():
    """e.g. a request arriving while the container shuts down."""
    from nameko.exceptions import ContainerBeingKilled, IncorrectSignature

    from services.gateway.http import JsonHttpEntrypoint

    entrypoint = JsonHttpEntrypoint("GET", "/api/v1/orgs/<org_id>")
    response = entrypoint.response_from_exception(ContainerBeingKilled())
    assert response.status_code == 503 and response.mimetype == "application/json"
    response = entrypoint.response_from_exception(IncorrectSignature("bad"))
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
