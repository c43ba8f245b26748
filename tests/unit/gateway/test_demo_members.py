"""The demo members `make run` loads: valid for the members contracts and
consistent with the pipeline rules, deterministic, spread over every stage."""
import collections
import datetime as dt

import pytest

from services.demo import DEMO_MEMBERS
from services.demo_members import DemoBranch, add_months, id_number, people
from shared.contracts.members import RegisterMemberIn, id_number_birth_date, id_number_problem

TODAY = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def crowd():
    branches = [DemoBranch(f"b{i}", name, "research_institute" if i % 2 else "enterprise", employers, size,
                           (f"g{i}",) if i % 3 == 0 else ())
                for i, (name, (size, employers)) in enumerate(DEMO_MEMBERS.items())]
    return people(branches, TODAY)


def _date(person, name):
    value = person.data.get(name)
    return dt.date.fromisoformat(value) if value else None


def test_a_few_hundred_at_every_stage_and_in_a_few_statuses(crowd):
    assert 250 <= len(crowd) <= 400
    stages = collections.Counter(p.data["stage"] for p in crowd)
    assert set(stages) == {"applicant", "activist", "candidate", "probationary", "full"}
    assert min(stages.values()) >= 10
    statuses = collections.Counter(p.status for p in crowd)
    assert {"active", "lost_contact", "suspended"} <= set(statuses)


def test_every_person_is_accepted_by_the_contract(crowd):
    schema = RegisterMemberIn()
    for person in crowd:
        assert schema.validate(person.data) == {}, person.data["name"]


def test_id_numbers_are_unique_valid_and_code_birth_date_and_gender(crowd):
    numbers = [p.data["id_number"] for p in crowd]
    assert len(set(numbers)) == len(numbers)
    for person in crowd:
        value = person.data["id_number"]
        assert id_number_problem(value) is None
        assert id_number_birth_date(value) == _date(person, "birth_date")
        assert int(value[16]) % 2 == (1 if person.data["gender"] == "male" else 0)


def test_dates_follow_the_pipeline_rules(crowd):
    for person in crowd:
        birth, applied = _date(person, "birth_date"), _date(person, "applied_on")
        assert applied >= add_months(birth, 18 * 12), "18 on the application date"
        dates = [d for d in (_date(person, n) for n in ("applied_on", "activist_on", "candidate_on",
                                                        "admitted_on", "full_on")) if d]
        assert dates == sorted(dates) and dates[-1] <= TODAY
        if _date(person, "candidate_on"):
            assert _date(person, "candidate_on") >= add_months(_date(person, "activist_on"), 12)
        if _date(person, "full_on"):
            assert _date(person, "full_on") == add_months(_date(person, "admitted_on"), 12)
        for change in person.status_changes:
            assert dt.date.fromisoformat(change["changed_on"]) <= TODAY


def test_names_are_chinese_and_the_data_is_deterministic(crowd):
    assert all(2 <= len(p.data["name"]) <= 3 and all("\u4e00" <= ch <= "\u9fff" for ch in p.data["name"])
               for p in crowd)
    branches = [DemoBranch("b0", "x", "enterprise", ("E",), 40)]
    assert [p.data for p in people(branches, TODAY)] == [p.data for p in people(branches, TODAY)]


def test_id_number_check_digit_example():
    # GB 11643 worked example: 11010519491231002 -> X
    assert id_number("110105", dt.date(1949, 12, 31), 2) == "11010519491231002X"
