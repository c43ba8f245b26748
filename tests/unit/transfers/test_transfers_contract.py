"""The transfer contract (shapes refused before any rule runs) and the
versioned rule data."""
import dataclasses
import datetime as dt

import pytest
from marshmallow import ValidationError

from services.members.transfers.rules import RULE_SETS, transfer_rules_in_force
from shared.contracts import transfers as contract
from shared.errors import InvalidInput


def errors(schema_cls, data):
    with pytest.raises(ValidationError) as refused:
        schema_cls().load(data)
    return refused.value.messages


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}])
def test_a_rejection_without_a_reason_is_refused_naming_the_field(body):
    assert "reason" in errors(contract.RejectTransferIn, body)


def test_a_request_names_what_is_missing():
    assert set(errors(contract.RequestTransferIn, {})) == {"member_id", "to_org_id", "scope", "grounds"}
    assert set(errors(contract.RequestTransferIn, {"member_id": "m", "to_org_id": "b", "scope": "moon",
                                                   "grounds": "whim"})) == {"scope", "grounds"}
    loaded = contract.RequestTransferIn().load({"member_id": "m", "to_org_id": "b", "scope": "in_city",
                                                "grounds": "residence_change"})
    assert loaded["requested_on"] is None and loaded["to_group_id"] is None


def test_a_letter_is_valid_after_its_issue_date_and_dues_months_are_months():
    assert "valid_until" in errors(contract.IssueLetterIn, {"issued_on": "2024-03-01", "valid_until": "2024-03-01"})
    assert "dues_paid_up_to" in errors(contract.ReissueLetterIn, {"dues_paid_up_to": "2024-13"})
    assert contract.IssueLetterIn().load({"dues_paid_up_to": "2024-02"})["dues_paid_up_to"] == "2024-02"


def test_list_filters_are_checked():
    assert set(errors(contract.TransferListIn, {"state": "lost", "side": "left"})) == {"state", "side"}
    assert contract.TransferListIn().load({"limit": "5"})["limit"] == 5


def test_every_action_has_a_schema_and_a_summary():
    for action, (schema, summary) in contract.TRANSFER_ACTIONS.items():
        assert issubclass(schema, contract.TransferStepIn) and summary, action


def test_the_rules_in_force_on_a_day():
    rules = transfer_rules_in_force(dt.date(2024, 3, 1))
    assert rules.version == "2014"
    assert rules.default_valid_until(dt.date(2024, 3, 1), "in_city") == dt.date(2024, 3, 11)
    assert rules.default_valid_until(dt.date(2024, 3, 1), "elsewhere") == dt.date(2024, 3, 31)
    assert rules.latest_valid_until(dt.date(2024, 11, 30)) == dt.date(2025, 2, 28)
    with pytest.raises(InvalidInput):
        transfer_rules_in_force(dt.date(2013, 12, 31))


def test_a_revision_is_a_data_change_judged_from_its_date():
    revised = dataclasses.replace(RULE_SETS[0], version="2030", effective_from=dt.date(2030, 1, 1),
                                  letter_days={"in_city": 15, "elsewhere": 45})
    sets = (*RULE_SETS, revised)
    assert transfer_rules_in_force(dt.date(2029, 12, 31), sets).version == "2014"
    assert transfer_rules_in_force(dt.date(2030, 1, 1), sets).letter_days["elsewhere"] == 45
