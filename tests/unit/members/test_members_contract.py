"""The published schemas: ID numbers (GB 11643 check digit), masking, stage
dates and vote counts refused before any rule runs; messages never repeat
personal data."""
import datetime as dt

import pytest
from marshmallow import ValidationError

from members_builders import make_id_number
from stage_history import history, history_json
from shared.contracts import members as contract
from shared.contracts.members import (id_number_check_digit, id_number_problem, mask_id_number, mask_phone,
                                      stage_date_problems)

STANDARD_SAMPLE = "11010519491231002X"  # the example of GB 11643-1999: check character X


def errors(schema_cls, data):
    with pytest.raises(ValidationError) as refused:
        schema_cls().load(data)
    return refused.value.messages


def registration(**changes):
    data = {"name": "李明", "gender": "male", "birth_date": "1995-05-04", "ethnicity": "汉族",
            "education": "硕士研究生", "id_number": make_id_number(), "phone": "13812345678",
            "employer": "纳米科技有限公司", "org_id": "branch-1", "stage": "applicant", "applied_on": "2022-01-10"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# ---- ID numbers -----------------------------------------------------------------

def test_a_valid_id_number_passes():
    value = make_id_number(dt.date(1995, 5, 4), seq="123", region="320506")
    assert len(value) == 18 and id_number_problem(value) is None


def test_the_check_character_x():
    assert id_number_check_digit(STANDARD_SAMPLE[:17]) == "X"
    assert id_number_problem(STANDARD_SAMPLE) is None
    assert id_number_problem(STANDARD_SAMPLE.lower()) is None  # read as upper case
    assert contract.RegisterMemberIn().load(registration(
        id_number=STANDARD_SAMPLE.lower(), birth_date="1949-12-31"))["id_number"] == STANDARD_SAMPLE


def test_a_wrong_check_digit_is_refused():
    good = make_id_number()
    for digit in "0123456789X":
        if digit != good[-1]:
            assert id_number_problem(good[:17] + digit) == "The ID number's check digit is wrong."
    assert id_number_problem(STANDARD_SAMPLE[:17] + "0") is not None


@pytest.mark.parametrize("value, problem", [
    ("11010519491231002", "An ID number has 18 characters."),
    ("11010519491231002XX", "An ID number has 18 characters."),
    ("1101051949123100AX", "An ID number is 17 digits and a check digit (0-9 or X)."),
    ("110105194913310025", "The ID number does not contain a valid birth date."),
])
def test_malformed_id_numbers(value, problem):
    assert id_number_problem(value) == problem


def test_validation_messages_never_repeat_the_id_number_or_phone():
    bad_id = make_id_number()[:17] + ("0" if make_id_number()[-1] != "0" else "1")
    messages = errors(contract.RegisterMemberIn, registration(id_number=bad_id, phone="99999"))
    assert set(messages) >= {"id_number", "phone"}
    assert bad_id not in str(messages) and "99999" not in str(messages)


def test_the_birth_date_in_the_id_number_must_match():
    messages = errors(contract.RegisterMemberIn, registration(birth_date="1995-05-05"))
    assert messages["id_number"] == ["The birth date in the ID number does not match birth_date."]


# ---- masking ---------------------------------------------------------------------

def test_masking():
    assert mask_id_number("320506199505041236") == "3205**********1236"
    assert mask_id_number(STANDARD_SAMPLE) == "1101**********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0512-62345678") == "051******5678"
    assert mask_phone("+8613812345678") == "+86*******5678"
    assert (mask_id_number(None), mask_phone(None)) == (None, None)


@pytest.mark.parametrize("phone, ok", [("13812345678", True), ("+8613812345678", True), ("0512-62345678", True),
                                       ("051262345678", True), ("12812345678", False), ("1381234567", False),
                                       ("phone", False)])
def test_phone_numbers(phone, ok):
    if ok:
        assert contract.RegisterMemberIn().load(registration(phone=phone))["phone"] == phone
    else:
        assert "phone" in errors(contract.RegisterMemberIn, registration(phone=phone))


# ---- stage dates -------------------------------------------------------------------

def test_each_stage_requires_its_date_and_forbids_later_ones():
    assert "applied_on" in errors(contract.RegisterMemberIn, registration(applied_on=None))
    assert "activist_on" in errors(contract.RegisterMemberIn, registration(stage="activist"))
    messages = errors(contract.RegisterMemberIn, registration(stage="full", applied_on=None, full_on="2020-01-01"))
    assert set(messages) == {"applied_on", "activist_on", "candidate_on", "admitted_on"}, "every earlier step"
    assert "candidate_on" in errors(contract.RegisterMemberIn, registration(candidate_on="2023-01-01"))
    loaded = contract.RegisterMemberIn().load(registration(stage="full", **history_json("full", full_on="2011-07-01")))
    assert loaded["group_id"] is None and loaded["full_on"] == dt.date(2011, 7, 1)


def test_stage_dates_are_in_pipeline_order():
    D = dt.date
    assert stage_date_problems("candidate", {"applied_on": D(2022, 1, 1), "activist_on": D(2021, 12, 31),
                                             "candidate_on": D(2023, 1, 1)}) == \
        {"activist_on": "Must be on or after applied_on."}
    assert stage_date_problems("full", history("full", admitted_on=D(2020, 1, 1), full_on=D(2020, 1, 1))) == \
        {"full_on": "Must be after admitted_on."}
    assert stage_date_problems("applicant", {"applied_on": D(1995, 5, 4)}, birth_date=D(1995, 5, 4)) == \
        {"applied_on": "Must be after the birth date."}
    assert stage_date_problems("activist", {"applied_on": D(2022, 1, 1), "activist_on": D(2022, 1, 1)}) == {}


# ---- other commands -------------------------------------------------------------------

def test_an_update_needs_a_field():
    assert "_schema" in errors(contract.UpdateMemberIn, {"expected_version": 3})
    assert contract.UpdateMemberIn().load({"group_id": None}) == {"group_id": None, "updated_on": None,
                                                                 "expected_version": None}


@pytest.mark.parametrize("counts, field", [
    ({"eligible_voters": 10, "present_voters": 11, "yes": 6, "no": 0, "abstain": 0}, "present_voters"),
    ({"eligible_voters": 10, "present_voters": 6, "yes": 6, "no": 1, "abstain": 0}, "yes"),
    ({"eligible_voters": 0, "present_voters": 0, "yes": 0, "no": 0, "abstain": 0}, "eligible_voters"),
    ({"eligible_voters": 10, "present_voters": 6, "yes": -1, "no": 0, "abstain": 0}, "yes"),
])
def test_vote_counts_must_add_up(counts, field):
    assert field in errors(contract.AdmissionVoteIn, {"meeting_date": "2024-03-01", **counts})


def test_training_needs_days_or_hours_and_a_notice_both_ends():
    assert "days" in errors(contract.RecordTrainingIn, {})
    assert contract.RecordTrainingIn().load({"class_hours": 24})["days"] == 0
    assert "public_notice_to" in errors(contract.ApproveCandidateIn, {"public_notice_from": "2024-03-01"})
    assert "public_notice_to" in errors(contract.ApproveCandidateIn, {"public_notice_from": "2024-03-05",
                                                                      "public_notice_to": "2024-03-01"})


def test_every_pipeline_step_has_a_schema_and_a_summary():
    assert list(contract.PIPELINE_STEPS) == [
        "record-talk", "designate-activist", "assign-contacts", "record-assessment", "approve-candidate",
        "assign-sponsors", "record-political-review", "record-training", "admission-vote", "approve-admission",
        "confirm-full", "extend-probation", "cancel-probation"]
    for step, (schema_cls, summary) in contract.PIPELINE_STEPS.items():
        assert issubclass(schema_cls, contract.StepIn) and summary, step
        assert {"decided_by", "note", "expected_version"} <= set(schema_cls().fields)


def test_responses_dump_dates_as_iso_strings():
    out = contract.MemberOut().dump({"id": "m", "birth_date": dt.date(1995, 5, 4),
                                     "talk": {"talked_on": "2022-01-20", "talked_by": "W", "due_on": None,
                                              "late": False}})
    assert out["birth_date"] == "1995-05-04" and out["talk"]["talked_on"] == "2022-01-20"


def test_a_value_too_short_to_keep_eight_characters_is_masked_entirely():
    assert mask_id_number("12345678") == "********"
    assert mask_id_number("123456789") == "1234*6789"
    assert mask_id_number("") == ""


def test_an_invalid_id_number_is_refused_with_what_is_wrong_with_it():
    assert errors(contract.RegisterMemberIn, registration(id_number="3205"))["id_number"] == \
        ["An ID number has 18 characters."]


def test_a_missing_stage_date_is_named_with_the_stage():
    assert stage_date_problems("candidate", {"applied_on": dt.date(2022, 1, 1)}) == \
        {"activist_on": "Required for a member at stage candidate.",
         "candidate_on": "Required for a member at stage candidate."}
