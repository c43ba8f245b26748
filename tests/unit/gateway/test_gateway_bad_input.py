"""Input the contracts refuse (shared/contracts/common.py): each case is a 400
naming its field, and the service is never called, so nothing is stored.
Each was a 500 or was accepted before."""
import inspect

import pytest
from marshmallow import Schema

from shared.contracts import common, dues, identity, members, orgs, transfers

MEMBER = "5f0c1e2a-8d3b-4a6f-9c1e-7b2d4f6a8c0e"
PAYMENT = {"idempotency_key": "k-1", "member_id": MEMBER, "months": ["2026-01"], "amount": "12.00"}


def refused(reply, field, service_method):
    assert reply.status == 400, reply.text
    assert reply.error["code"] == "invalid_input"
    assert field in reply.error["fields"], reply.error
    service_method.assert_not_called()


def test_a_lone_surrogate_in_a_name_is_400_not_500(call, orgs):
    # the raw body the issue gives: JSON escapes that decode to an unpaired surrogate
    reply = call("create_org", "POST", "/api/v1/orgs", data='{"name":"x\\ud800y","kind":"committee"}')
    refused(reply, "name", orgs.create_org)
    assert reply.error["fields"]["name"] == [common.UNSAFE_TEXT]


@pytest.mark.parametrize("name", ["\u200b", "\u200b\u200c\ufeff", " \u3000 "], ids=["zwsp", "zero-widths", "blanks"])
def test_a_name_of_nothing_visible_is_refused(call, orgs, name):
    refused(call("create_org", "POST", "/api/v1/orgs", json_body={"name": name, "kind": "committee"}),
            "name", orgs.create_org)


@pytest.mark.parametrize("name", ["Lake\x00Works", "\x1b[31mLake\x1b[0m", "Lake \u202eskroW", "Lake\u2066Works",
                                  "Lake\x85Works", "Lake\nWorks"],
                         ids=["nul", "ansi-escape", "rtl-override", "bidi-isolate", "c1-control", "newline"])
def test_control_and_bidi_characters_in_a_name_are_refused(call, orgs, name):
    refused(call("create_org", "POST", "/api/v1/orgs", json_body={"name": name, "kind": "committee"}),
            "name", orgs.create_org)


def test_text_is_nfc_normalised_and_trimmed_where_the_service_loads_it():
    # the gateway checks a body and passes it on as sent; the service loads it with the same contract
    loaded = orgs.CreateOrgIn().load({"name": "Caf\u0065\u0301 Branch ", "kind": "committee"})
    assert loaded["name"] == "Caf\u00e9 Branch"


def test_multiline_text_keeps_its_line_breaks_and_refuses_the_rest():
    field = common.Text(multiline=True)
    assert field.deserialize("first line\n\tsecond") == "first line\n\tsecond"
    with pytest.raises(Exception, match="control characters"):
        field.deserialize("bell\x07")


def test_a_username_with_a_final_newline_is_refused():
    assert "username" in identity.CreateAccountIn().validate({"username": "li.ming\n", "password": "x" * 12,
                                                               "kind": "staff"})


@pytest.mark.parametrize("amount", ["\u0661\u0660\u0662.\u0660\u0660", "\uff11\uff10\uff12.\uff10\uff10"],
                         ids=["arabic-indic", "full-width"])
def test_money_in_other_scripts_digits_is_refused(call, dues, amount):
    refused(call("pay", "POST", "/api/v1/dues/payments", json_body={**PAYMENT, "amount": amount}),
            "amount", dues.pay)


def test_a_month_in_other_scripts_digits_is_refused(call, dues):
    refused(call("pay", "POST", "/api/v1/dues/payments",
                 json_body={**PAYMENT, "months": ["\u0662\u0660\u0662\u0666-\u0660\u0661"]}), "months", dues.pay)


@pytest.mark.parametrize("created_on", ["20261201", "2026-W48-2", "2026-12-1", "\uff12\uff10\uff12\uff16-12-01"])
def test_a_date_not_in_iso_form_is_refused(call, orgs, created_on):
    refused(call("create_org", "POST", "/api/v1/orgs",
                 json_body={"name": "Lake Works", "kind": "committee", "created_on": created_on}),
            "created_on", orgs.create_org)


@pytest.mark.parametrize("created_on", ["1899-12-31", "2101-01-01"])
def test_a_date_outside_the_window_is_refused(call, orgs, created_on):
    reply = call("create_org", "POST", "/api/v1/orgs",
                 json_body={"name": "Lake Works", "kind": "committee", "created_on": created_on})
    refused(reply, "created_on", orgs.create_org)
    assert reply.error["fields"]["created_on"] == ["Must be a date from 1900-01-01 to 2100-12-31."]


def test_a_month_far_in_the_future_is_400_not_500(call, dues):
    refused(call("set_dues_base", "PUT", f"/api/v1/members/{MEMBER}/dues-base", member_id=MEMBER,
                 json_body={"category": "employed", "base": "6800.00", "effective_month": "9999-12"}),
            "effective_month", dues.set_dues_base)


@pytest.mark.parametrize("month", ["\x95\xfc\x06\xe1", "20x6-01", ""], ids=["control", "letter", "empty"])
def test_a_month_of_any_other_shape_is_400_not_500(call, dues, month):
    """Found by schemathesis: the window check met values the shape check had refused."""
    reply = call("set_dues_base", "PUT", f"/api/v1/members/{MEMBER}/dues-base", member_id=MEMBER,
                 json_body={"category": "employed", "base": "6800.00", "effective_month": month})
    refused(reply, "effective_month", dues.set_dues_base)
    assert reply.error["fields"]["effective_month"] == ["Must be a month, YYYY-MM."]


def test_a_waiver_running_centuries_ahead_is_refused(call, dues):
    refused(call("record_reduction", "POST", f"/api/v1/members/{MEMBER}/dues/reductions", member_id=MEMBER,
                 json_body={"kind": "waiver", "from_month": "2026-01", "to_month": "3773-12",
                            "reason": "hardship", "decided_on": "2026-01-05"}),
            "to_month", dues.record_reduction)


@pytest.mark.parametrize("offset", [str(2 ** 63), str(common.MAX_OFFSET + 1)])
def test_an_offset_past_the_bound_is_400_not_500(call, orgs, offset):
    refused(call("list_orgs", "GET", "/api/v1/orgs", query={"offset": offset}), "offset", orgs.list_orgs)


def test_an_id_that_is_not_printable_ascii_is_refused(call, dues):
    refused(call("pay", "POST", "/api/v1/dues/payments", json_body={**PAYMENT, "member_id": "m\u00e9mber"}),
            "member_id", dues.pay)


def _schemas():
    for module in (common, dues, identity, members, orgs, transfers):
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Schema) and value.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", value


def test_every_offset_in_every_contract_is_bounded():
    offsets = {name: schema().fields["offset"] for name, schema in _schemas() if "offset" in schema().fields}
    assert offsets, "no contract has paging"
    for name, field in offsets.items():
        with pytest.raises(Exception, match="less than or equal"):
            field.deserialize(str(2 ** 63))
