"""Registering a member record and updating its profile (the aggregate, pure)."""
import datetime as dt

import pytest

from members_builders import BIRTH, BRANCH, GROUP, TODAY, make_id_number, register
from services.members.checks import OrgView
from services.members.domain import Member
from shared.errors import InvalidInput, RuleViolation

D = dt.date


def payload(member, index=-1):
    return member.pending_events[index].payload


def test_an_applicant_is_registered_with_the_talk_deadline():
    member = register(applied_on=D(2024, 1, 31), group=GROUP)
    [event] = member.pending_events
    assert event.event_type == "members.member_registered"
    p = event.payload
    assert (p["org_id"], p["group_id"], p["stage"], p["status"]) == ("branch-1", "group-1", "applicant", "active")
    assert p["talk_due_on"] == D(2024, 2, 29)  # one month: the 31st becomes the month's last day
    assert p["rules_version"] == "2014" and p["registered_on"] == TODAY
    assert "id_number" not in p and "phone" not in p
    assert make_id_number() not in str(p) and "13812345678" not in str(p)


def test_registered_at_later_stages_with_their_dates():
    activist = register(stage="activist", applied_on=D(2023, 1, 5), activist_on=D(2023, 3, 1))
    assert payload(activist)["candidate_eligible_on"] == D(2024, 3, 1)
    assert payload(activist)["next_assessment_due_on"] == D(2023, 9, 1)
    probationary = register(stage="probationary", admitted_on=D(2024, 7, 1))
    assert payload(probationary)["probation_ends_on"] == D(2025, 7, 1)
    full = register(stage="full", birth_date=D(1960, 2, 1), admitted_on=D(1990, 7, 1), full_on=D(1991, 7, 1))
    assert (payload(full)["rules_version"], full.stage, full.full_on) == (None, "full", D(1991, 7, 1))


@pytest.mark.parametrize("applied_on, ok", [
    (D(2018, 5, 3), False),  # the day before the 18th birthday: 17
    (D(2018, 5, 4), True),   # the birthday itself: 18
    (D(2018, 5, 5), True),
])
def test_an_applicant_is_at_least_18_on_the_application_date(applied_on, ok):
    birth = D(2000, 5, 4)
    if ok:
        assert register(birth_date=birth, applied_on=applied_on).stage == "applicant"
    else:
        with pytest.raises(RuleViolation) as refused:
            register(birth_date=birth, applied_on=applied_on)
        assert refused.value.rule == "members.pipeline.min_age"
        breaches = refused.value.fields.pop("breaches")
        assert refused.value.fields == {"applied_on": "2018-05-03", "age": 17}
        assert [b["rule"] for b in breaches] == ["members.pipeline.min_age"]


def test_age_on_a_recent_application():
    birth = D(2006, 8, 20)
    with pytest.raises(RuleViolation, match="at least 18"):
        register(birth_date=birth, applied_on=D(2024, 8, 19))
    assert register(birth_date=birth, applied_on=D(2024, 8, 20)).applied_on == D(2024, 8, 20)


def test_only_an_active_branch_or_a_group_inside_it():
    for org in (OrgView("c-1", "committee", "active"), OrgView("g-1", "group", "active", "branch-1"),
                OrgView("b-2", "branch", "dissolved"), OrgView("b-3", None, "active")):
        with pytest.raises(RuleViolation) as refused:
            register(branch=org)
        assert refused.value.rule == "members.registration.active_branch"
        assert refused.value.fields == {"org_id": org.id}
    assert register(branch=OrgView("j-1", "joint_branch", "active")).org_id == "j-1"
    for group in (OrgView("g-2", "group", "active", "branch-2"), OrgView("g-3", "group", "dissolved", "branch-1"),
                  OrgView("b-4", "branch", "active", "branch-1")):
        with pytest.raises(RuleViolation) as refused:
            register(group=group)
        assert (refused.value.rule, refused.value.fields) == ("members.registration.active_branch",
                                                              {"group_id": group.id})


def test_the_id_number_is_validated_without_repeating_it():
    def attempt(id_number, birth_date=BIRTH):
        with pytest.raises(InvalidInput) as refused:
            Member.register("m", rules=None, today=TODAY, branch=BRANCH, group=None, name="Li", gender="male",
                            birth_date=birth_date, ethnicity="Han", education="Master", employer="U",
                            id_number=id_number, phone="13812345678", stage="full", admitted_on=D(2010, 1, 1),
                            full_on=D(2011, 1, 1))
        assert id_number not in str(refused.value) and id_number not in str(refused.value.fields)
        return refused.value.fields["id_number"]

    good = make_id_number()
    wrong = good[:17] + ("1" if good[17] != "1" else "2")
    assert attempt(wrong) == "The ID number's check digit is wrong."
    assert attempt(good, birth_date=D(1995, 5, 5)) == "the birth date in the ID number does not match birth_date"
    assert attempt(good[:16]) == "An ID number has 18 characters."


def test_stage_dates_are_checked_in_the_domain_too():
    with pytest.raises(InvalidInput) as refused:
        register(stage="candidate", applied_on=D(2023, 1, 1), activist_on=D(2022, 6, 1),
                 candidate_on=D(2024, 1, 1))
    assert "activist_on" in refused.value.fields
    with pytest.raises(InvalidInput) as refused:
        register(applied_on=TODAY + dt.timedelta(days=1))
    assert "applied_on" in refused.value.fields
    with pytest.raises(InvalidInput):
        register(registered_on=TODAY + dt.timedelta(days=1))


def test_a_profile_update_records_what_changed():
    member = register()
    member.mark_saved(1)
    personal = {"id_number": make_id_number(), "phone": "13812345678"}
    assert member.update_profile(today=TODAY, current_personal=personal, changes={"name": "Li Ming"}) == []
    assert member.pending_events == []
    changed = member.update_profile(today=TODAY, current_personal=personal,
                                    changes={"name": "Li Xiaoming", "phone": "13987654321",
                                             "id_number": make_id_number(), "group_id": "group-1"}, group=GROUP)
    assert changed == ["name", "phone", "group_id"]
    p = payload(member)
    assert (p["name"], p["group_id"], p["changed"], p["personal_data_changed"], p["updated_on"]) == \
        ("Li Xiaoming", "group-1", ["name", "group_id"], ["phone"], TODAY)
    assert "13987654321" not in str(p)


def test_a_birth_date_change_must_agree_with_the_id_number():
    member = register()
    personal = {"id_number": make_id_number(), "phone": "13812345678"}
    with pytest.raises(InvalidInput) as refused:
        member.update_profile(today=TODAY, current_personal=personal, changes={"birth_date": D(1995, 5, 5)})
    assert "id_number" in refused.value.fields
    new_birth = D(1995, 5, 5)
    changed = member.update_profile(today=TODAY, current_personal=personal,
                                    changes={"birth_date": new_birth, "id_number": make_id_number(new_birth)})
    assert changed == ["birth_date", "id_number"]
    with pytest.raises(RuleViolation):
        member.update_profile(today=TODAY, current_personal=personal, changes={"group_id": "g-9"},
                              group=OrgView("g-9", "group", "active", "branch-2"))
