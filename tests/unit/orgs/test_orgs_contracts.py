"""The published command schemas refuse bad input before any rule runs."""
import datetime as dt

import pytest
from marshmallow import ValidationError

from shared.contracts import orgs as contract

FOUNDING = {"proposed_name": "Nano Branch", "unit": {"name": "Nano Co.", "unit_type": "enterprise"},
            "full_members": 3, "founding_members": [{"name": "A"}, {"name": "B"}, {"name": "C"}],
            "proposed_committee": [{"role": "secretary", "name": "A"}]}


def errors(schema_cls, data):
    with pytest.raises(ValidationError) as refused:
        schema_cls().load(data)
    return refused.value.messages


def test_names_are_trimmed_and_must_not_be_blank():
    assert contract.RenameOrgIn().load({"name": "  Lake Branch "})["name"] == "Lake Branch"
    assert "name" in errors(contract.RenameOrgIn, {"name": "   "})
    assert "name" in errors(contract.RenameOrgIn, {"name": "x" * 101})


def test_a_rejection_reason_is_mandatory():
    assert "reason" in errors(contract.RejectFoundingIn, {})
    assert "reason" in errors(contract.RejectFoundingIn, {"reason": " \n "})
    assert contract.RejectFoundingIn().load({"reason": "no unit"})["reason"] == "no unit"


def test_a_directly_founded_branch_declares_unit_and_members():
    messages = errors(contract.CreateOrgIn, {"name": "B", "kind": "branch", "parent_id": "p"})
    assert set(messages) == {"unit", "full_members"}
    loaded = contract.CreateOrgIn().load({"name": "Root", "kind": "committee"})
    assert loaded["parent_id"] is None and loaded["covered_units"] == []


@pytest.mark.parametrize("field, value", [
    ("kind", "group"), ("full_members", -1), ("full_members", "3"), ("requested_on", "31/01/2024"),
    ("proposed_committee", []), ("founding_members", []), ("unknown", 1),
])
def test_founding_request_fields_are_validated(field, value):
    assert field in errors(contract.FoundingRequestIn, {**FOUNDING, field: value})


def test_enumerations_are_closed():
    seat = {"role": "treasurer", "name": "A"}
    assert "seats" in errors(contract.ElectCommitteeIn, {"elected_on": "2024-03-01", "seats": [seat]})
    unit = {"name": "U", "unit_type": "farm"}
    assert "unit" in errors(contract.FoundingRequestIn, {**FOUNDING, "unit": unit})


@pytest.mark.parametrize("limit, offset, ok", [(0, 0, False), (1, 0, True), (200, 0, True), (201, 0, False),
                                               (50, -1, False), ("20", "40", True)])
def test_page_bounds(limit, offset, ok):
    if ok:
        assert contract.PageIn().load({"limit": limit, "offset": offset})["limit"] == int(limit)
    else:
        assert errors(contract.PageIn, {"limit": limit, "offset": offset})


def test_responses_dump_dates_as_iso_strings():
    out = contract.CommitteeOut().dump({"org_id": "o", "elected_on": dt.date(2024, 3, 1),
                                        "term_ends_on": dt.date(2027, 3, 1), "seats": []})
    assert out["term_ends_on"] == "2027-03-01"
