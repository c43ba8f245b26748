"""Every refusal of the status machine pinned on what the branch is told:
its rule (or invalid_input), its message with the dates and numbers of the
rule set in force, and the fields it names."""
import datetime as dt

import pytest

from members_builders import TODAY, register
from services.members.rules import rules_in_force
from shared.errors import DomainError

D = dt.date


def full():
    return register(stage="full", admitted_on=D(2015, 7, 1), full_on=D(2016, 7, 1))


def change(member, status, on, **facts):
    member.change_status(rules_in_force(on), today=TODAY, status=status, changed_on=on,
                         reason="recorded by the branch", **facts)
    return member


def lost_on(day):
    return change(full(), "lost_contact", day)


def suspended_on(day):
    return change(lost_on(day - dt.timedelta(days=200)), "suspended", day)


REFUSALS = {
    "final status": (
        lambda: change(change(full(), "expelled", D(2024, 3, 1)), "active", D(2024, 4, 1)),
        {"code": "rule_violation", "rule": "members.status.transition",
         "message": "the member's status expelled is final",
         "fields": {"status": "active", "current_status": "expelled"}}),
    "no such transition": (
        lambda: change(full(), "active", D(2024, 4, 1)),
        {"code": "rule_violation", "rule": "members.status.transition",
         "message": "a member who is active cannot become active",
         "fields": {"status": "active", "current_status": "active"}}),
    "party members only": (
        lambda: change(register(), "expelled", D(2024, 4, 1)),
        {"code": "rule_violation", "rule": "members.status.party_members_only",
         "message": "only a probationary or full member can be expelled; this member is at stage applicant",
         "fields": {"status": "expelled", "stage": "applicant"}}),
    "changed in the future": (
        lambda: change(full(), "lost_contact", TODAY + dt.timedelta(days=1)),
        {"code": "invalid_input", "message": "changed_on 2027-01-05 is in the future",
         "fields": {"changed_on": "2027-01-05"}}),
    "changed before the last change": (
        lambda: change(lost_on(D(2024, 3, 1)), "active", D(2024, 2, 28)),
        {"code": "invalid_input", "message": "changed_on 2024-02-28 is before the last status change (2024-03-01)",
         "fields": {"changed_on": "2024-02-28"}}),
    "suspended without grounds": (
        lambda: change(full(), "suspended", D(2024, 7, 31)),
        {"code": "rule_violation", "rule": "members.status.suspension_grounds",
         "message": "suspension needs the member unreachable (lost contact) for at least 6 months, "
                    "or abroad for more than 5 years (give abroad_since)",
         "fields": {"status": "active"}}),
    "unreachable too briefly": (
        lambda: change(lost_on(D(2024, 1, 31)), "suspended", D(2024, 7, 30)),
        {"code": "rule_violation", "rule": "members.status.suspension_unreachable",
         "message": "suspension needs the member unreachable for at least 6 months (lost contact since 2024-01-31)",
         "fields": {"lost_contact_since": "2024-01-31"}}),
    "abroad too briefly": (
        lambda: change(full(), "suspended", D(2024, 3, 1), abroad_since=D(2019, 3, 1)),
        {"code": "rule_violation", "rule": "members.status.suspension_abroad",
         "message": "suspension on the abroad ground needs more than 5 years abroad (after 2024-03-01)",
         "fields": {"abroad_since": "2019-03-01"}}),
    "abroad after the change": (
        lambda: change(full(), "suspended", D(2024, 3, 1), abroad_since=D(2024, 3, 2)),
        {"code": "invalid_input", "message": "changed_on 2024-03-01 is before abroad_since (2024-03-02)",
         "fields": {"changed_on": "2024-03-01"}}),
    "lifted too late": (
        lambda: change(suspended_on(D(2022, 7, 10)), "active", D(2024, 7, 10)),
        {"code": "rule_violation", "rule": "members.status.suspension_lift_window",
         "message": "a suspension can be lifted only within 2 years (before 2024-07-10)",
         "fields": {"changed_on": "2024-07-10", "suspended_on": "2022-07-10"}}),
    "left too soon after the suspension": (
        lambda: change(suspended_on(D(2022, 7, 10)), "left", D(2024, 7, 9)),
        {"code": "rule_violation", "rule": "members.status.left_after_suspension",
         "message": "a suspended member is recorded as left once 2 years have passed (from 2024-07-10)",
         "fields": {"suspended_on": "2022-07-10"}}),
    "left with no inactivity date": (
        lambda: change(full(), "left", D(2024, 6, 30)),
        {"code": "rule_violation", "rule": "members.status.left_inactivity",
         "message": "leaving needs 6 months without organisational life or dues: give inactive_since",
         "fields": {"inactive_since": "required"}}),
    "left after too short an inactivity": (
        lambda: change(full(), "left", D(2024, 6, 30), inactive_since=D(2024, 1, 1)),
        {"code": "rule_violation", "rule": "members.status.left_inactivity",
         "message": "leaving needs 6 months without organisational life or dues (inactive since 2024-01-01)",
         "fields": {"inactive_since": "2024-01-01"}}),
    "left inactive only since the day itself": (
        lambda: change(full(), "left", D(2024, 6, 30), inactive_since=D(2024, 6, 30)),
        {"code": "rule_violation", "rule": "members.status.left_inactivity",
         "message": "leaving needs 6 months without organisational life or dues (inactive since 2024-06-30)",
         "fields": {"inactive_since": "2024-06-30"}}),
    "inactive after the change": (
        lambda: change(full(), "left", D(2024, 7, 1), inactive_since=D(2024, 7, 2)),
        {"code": "invalid_input", "message": "inactive_since is after changed_on",
         "fields": {"inactive_since": "2024-07-02"}}),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_status_change_says_which_rule_why_and_names_its_fields(case):
    act, expected = REFUSALS[case]
    with pytest.raises(DomainError) as refused:
        act()
    assert refused.value.to_dict() == expected
