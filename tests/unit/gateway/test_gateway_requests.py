"""Reading requests: JSON object bodies, size limit, contract validation,
query parameters, actor (the token's subject) and correlation id."""
import uuid

import pytest

from gateway_helpers import SECRET, bearer, token
from services.gateway.payload import MAX_BODY_BYTES
from shared.access import Principal, issue_access_token

ORG = {"name": "Dushu Lake Committee", "kind": "committee"}


def test_a_valid_body_reaches_the_service_as_sent_and_answers_201(call, orgs, gateway):
    orgs.create_org.return_value = {"id": "o1", **ORG}
    value = token("admin-7")
    reply = call("create_org", "POST", "/api/v1/orgs", json_body=ORG,
                 headers={**bearer(value), "X-Correlation-Id": "req-42"})
    assert reply.status == 201
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.json == {"id": "o1", **ORG}
    orgs.create_org.assert_called_once_with(ORG)
    gateway.ctx.set.assert_called_once_with(actor="admin-7", correlation_id="req-42", access_token=value)
    assert reply.headers["X-Correlation-Id"] == "req-42"


def test_without_a_correlation_header_one_is_made_and_the_actor_is_the_token_subject(call, gateway, orgs):
    orgs.get_org.return_value = {"id": "o1"}
    reply = call("get_org", "GET", "/api/v1/orgs/o1", org_id="o1")  # a district-admin token, no other header
    assert reply.status == 200
    kwargs = gateway.ctx.set.call_args.kwargs
    assert kwargs["actor"] == "district-admin"
    assert uuid.UUID(kwargs["correlation_id"])
    assert reply.headers["X-Correlation-Id"] == kwargs["correlation_id"]
    orgs.get_org.assert_called_once_with("o1")


def test_an_unusable_correlation_id_is_replaced(call, gateway, orgs):
    orgs.get_org.return_value = {}
    reply = call("get_org", "GET", "/api/v1/orgs/o1", org_id="o1",
                 headers={"X-Correlation-Id": "has spaces; and=junk"})
    assert uuid.UUID(reply.headers["X-Correlation-Id"])


@pytest.mark.parametrize("raw", ['{"name": ', "not json", "{'single': 1}", '{"a": NaN}',
                                 b'{"name": "\xff\xfe"}', "[" * 100_000 + "]" * 100_000])
def test_malformed_json_is_400_malformed_json(call, orgs, raw):
    if isinstance(raw, str) and len(raw) > MAX_BODY_BYTES:
        raw = "[" * 30_000 + "]" * 30_000  # deep nesting, still under the size limit
    reply = call("create_org", "POST", "/api/v1/orgs", data=raw)
    assert reply.status == 400
    assert reply.json == {"error": {"code": "malformed_json",
                                    "message": "The request body is not valid JSON.", "fields": {}}}
    orgs.create_org.assert_not_called()


@pytest.mark.parametrize("raw", ["[]", '["a"]', '"text"', "42", "null", "true"])
def test_a_body_that_is_not_an_object_is_400_invalid_input(call, orgs, raw):
    reply = call("create_org", "POST", "/api/v1/orgs", data=raw)
    assert reply.status == 400
    assert reply.error["code"] == "invalid_input"
    assert reply.error["fields"] == {"_schema": ["Must be a JSON object."]}
    orgs.create_org.assert_not_called()


def test_a_body_announced_over_64_kib_is_413(call, orgs):
    body = '{"name": "' + "x" * MAX_BODY_BYTES + '"}'
    reply = call("create_org", "POST", "/api/v1/orgs", data=body)
    assert reply.status == 413
    assert reply.json["error"]["code"] == "payload_too_large"
    orgs.create_org.assert_not_called()


def test_a_body_found_over_64_kib_while_reading_is_413(call, orgs):
    body = '{"name": "' + "x" * MAX_BODY_BYTES + '"}'
    reply = call("create_org", "POST", "/api/v1/orgs", data=body, chunked=True)
    assert reply.status == 413
    assert reply.error["code"] == "payload_too_large"
    orgs.create_org.assert_not_called()


def test_a_body_of_exactly_64_kib_is_read(call, orgs):
    head = '{"name": "N", "kind": "committee"}'
    body = head + " " * (MAX_BODY_BYTES - len(head))
    orgs.create_org.return_value = {"id": "o1"}
    assert call("create_org", "POST", "/api/v1/orgs", data=body).status == 201
    assert call("create_org", "POST", "/api/v1/orgs", data=body, chunked=True).status == 201


def test_a_chunked_body_is_read(call, orgs):
    orgs.create_org.return_value = {"id": "o1"}
    reply = call("create_org", "POST", "/api/v1/orgs", json_body=ORG, chunked=True)
    assert reply.status == 201
    orgs.create_org.assert_called_once_with(ORG)


def test_schema_errors_name_each_field_and_the_service_is_not_called(call, orgs):
    reply = call("create_org", "POST", "/api/v1/orgs",
                 json_body={"kind": "castle", "full_members": "many", "colour": "red"})
    assert reply.status == 400
    assert reply.error["code"] == "invalid_input"
    fields = reply.error["fields"]
    assert set(fields) == {"name", "kind", "full_members", "colour"}
    assert all(isinstance(messages, list) and messages for messages in fields.values())
    orgs.create_org.assert_not_called()


def test_nested_schema_errors_name_the_nested_field(call, orgs):
    reply = call("request_founding", "POST", "/api/v1/orgs/o1/founding-requests", org_id="o1",
                 json_body={"proposed_name": "B", "unit": {"name": "U"}, "full_members": 3,
                            "founding_members": [{"name": "A"}], "proposed_committee": [{"role": "king"}]})
    assert reply.status == 400
    fields = reply.error["fields"]
    assert "unit_type" in fields["unit"]
    assert set(fields["proposed_committee"]["0"]) == {"role", "name"}


def test_reject_without_reason_names_reason(call, orgs):
    reply = call("reject_founding", "POST", "/api/v1/founding-requests/f1/reject", request_id="f1",
                 json_body={})
    assert reply.status == 400
    assert list(reply.error["fields"]) == ["reason"]
    orgs.reject_founding.assert_not_called()


def test_an_empty_body_is_an_empty_object(call, orgs):
    orgs.approve_founding.return_value = {"id": "f1", "state": "approved"}
    reply = call("approve_founding", "POST", "/api/v1/founding-requests/f1/approve", request_id="f1")
    assert reply.status == 200
    orgs.approve_founding.assert_called_once_with("f1", {})


def test_path_values_and_body_reach_the_service(call, orgs):
    orgs.rename_org.return_value = {"id": "o1", "name": "New"}
    reply = call("rename_org", "PATCH", "/api/v1/orgs/o1/rename", org_id="o1", json_body={"name": "New"})
    assert reply.json == {"id": "o1", "name": "New"}
    orgs.rename_org.assert_called_once_with("o1", {"name": "New"})


def test_removing_an_alliance_member_passes_the_org_id_as_data(call, orgs):
    orgs.remove_alliance_member.return_value = {"id": "a1"}
    reply = call("remove_alliance_member", "DELETE", "/api/v1/alliances/a1/members/o2",
                 alliance_id="a1", org_id="o2")
    assert reply.status == 200
    orgs.remove_alliance_member.assert_called_once_with("a1", {"org_id": "o2"})


# -- query parameters -------------------------------------------------------

def test_paging_defaults(call, orgs):
    orgs.list_children.return_value = {"items": [], "total": 0, "limit": 50, "offset": 0}
    call("list_children", "GET", "/api/v1/orgs/o1/children", org_id="o1")
    orgs.list_children.assert_called_once_with("o1", limit=50, offset=0, include_dissolved=False)


def test_include_dissolved_is_a_boolean(call, orgs):
    orgs.get_tree.return_value = {"id": "o1", "children": []}
    call("get_tree", "GET", "/api/v1/orgs/o1/tree", org_id="o1", query={"include_dissolved": "true"})
    orgs.get_tree.assert_called_once_with("o1", include_dissolved=True)
    reply = call("get_tree", "GET", "/api/v1/orgs/o1/tree", org_id="o1", query={"include_dissolved": "maybe"})
    assert reply.status == 400 and list(reply.error["fields"]) == ["include_dissolved"]


def test_paging_values_are_typed(call, orgs):
    orgs.list_alliances.return_value = {"items": []}
    call("list_alliances", "GET", "/api/v1/alliances", query={"limit": "200", "offset": "10"})
    orgs.list_alliances.assert_called_once_with(limit=200, offset=10)


@pytest.mark.parametrize("query, field", [
    ({"limit": "0"}, "limit"), ({"limit": "201"}, "limit"), ({"limit": "ten"}, "limit"),
    ({"limit": "1.5"}, "limit"), ({"offset": "-1"}, "offset"), ({"offset": ""}, "offset"),
    ({"page": "2"}, "page"),
])
def test_bad_paging_is_400_naming_the_parameter(call, orgs, query, field):
    reply = call("org_history", "GET", "/api/v1/orgs/o1/history", org_id="o1", query=query)
    assert reply.status == 400
    assert reply.error["code"] == "invalid_input"
    assert list(reply.error["fields"]) == [field]
    orgs.org_history.assert_not_called()


def test_founding_requests_filter_by_state(call, orgs):
    orgs.list_founding_requests.return_value = {"items": []}
    call("list_founding_requests", "GET", "/api/v1/orgs/o1/founding-requests", org_id="o1",
         query={"state": "approved", "limit": "5"})
    orgs.list_founding_requests.assert_called_once_with("o1", state="approved", limit=5, offset=0, scope="subtree")
    reply = call("list_founding_requests", "GET", "/api/v1/orgs/o1/founding-requests", org_id="o1",
                 query={"state": "pending"})
    assert reply.status == 400 and list(reply.error["fields"]) == ["state"]


def test_due_elections_within_days(call, orgs):
    orgs.due_elections.return_value = []
    call("due_elections", "GET", "/api/v1/orgs/o1/due-elections", org_id="o1", query={"within_days": "30"})
    orgs.due_elections.assert_called_once_with("o1", within_days=30)
    reply = call("due_elections", "GET", "/api/v1/orgs/o1/due-elections", org_id="o1",
                 query={"within_days": "soon"})
    assert reply.status == 400 and list(reply.error["fields"]) == ["within_days"]


def test_an_actor_too_long_to_record_is_refused_not_cut(call, orgs):
    """The events keep 100 characters of actor: a token whose subject is
    longer is refused (it could never be recorded whole)."""
    orgs.get_org.return_value = {}
    ok = call("get_org", "GET", "/x", org_id="o1", headers=bearer(token("a" * 100)))
    assert ok.status == 200
    long_subject = issue_access_token(SECRET, Principal("a" * 101, ()))
    reply = call("get_org", "GET", "/api/v1/orgs/o1", org_id="o1", headers=bearer(long_subject))
    assert reply.status == 401 and reply.error["code"] == "unauthorized"
    assert orgs.get_org.call_count == 1


def test_an_x_actor_header_is_ignored(call, gateway, orgs):
    orgs.get_org.return_value = {}
    reply = call("get_org", "GET", "/x", org_id="o1", headers={"X-Actor": "a" * 101})
    assert reply.status == 200
    assert gateway.ctx.set.call_args.kwargs["actor"] == "district-admin"


def test_a_correlation_id_up_to_128_characters_is_kept(call, gateway, orgs):
    orgs.get_org.return_value = {}
    kept = "c" * 128
    assert call("get_org", "GET", "/x", org_id="o1", headers={"X-Correlation-Id": kept}) \
        .headers["X-Correlation-Id"] == kept
    replaced = call("get_org", "GET", "/x", org_id="o1", headers={"X-Correlation-Id": "c" * 129})
    assert replaced.headers["X-Correlation-Id"] != "c" * 129


def test_a_posts_idempotency_key_is_forwarded_scoped_to_the_caller(call, orgs, gateway):
    orgs.create_org.return_value = {"id": "o1", **ORG}
    call("create_org", "POST", "/api/v1/orgs", json_body=ORG,
         headers={**bearer(token("admin-7")), "Idempotency-Key": "2f1c-retry-safe"})
    gateway.ctx.set_idempotency_key.assert_called_once_with("admin-7:2f1c-retry-safe")


def test_a_post_without_a_key_gets_one_of_the_gateways_own_per_request(call, orgs, gateway):
    orgs.create_org.return_value = {"id": "o1", **ORG}
    call("create_org", "POST", "/api/v1/orgs", json_body=ORG)
    call("create_org", "POST", "/api/v1/orgs", json_body=ORG)
    first, second = [c.args[0] for c in gateway.ctx.set_idempotency_key.call_args_list]
    assert first.startswith("gateway:") and uuid.UUID(first.removeprefix("gateway:")) and first != second


def test_a_read_carries_no_idempotency_key(call, orgs, gateway):
    orgs.get_org.return_value = {"id": "o1"}
    call("get_org", "GET", "/api/v1/orgs/o1", org_id="o1", headers={"Idempotency-Key": "k"})
    gateway.ctx.set_idempotency_key.assert_called_once_with(None)


@pytest.mark.parametrize("key", ["", "x" * 141, "with\ttab", "键"])
def test_an_unusable_idempotency_key_is_400_naming_the_header(call, orgs, key):
    reply = call("create_org", "POST", "/api/v1/orgs", json_body=ORG, headers={"Idempotency-Key": key})
    assert reply.status == 400
    assert reply.json["error"]["code"] == "invalid_input"
    assert reply.json["error"]["fields"] == {"Idempotency-Key": "invalid"}
    orgs.create_org.assert_not_called()
