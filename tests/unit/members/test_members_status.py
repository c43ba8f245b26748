"""The status machine (docs/domain.md §2) and its time limits, at both sides of
each bound."""
import datetime as dt

import pytest

from members_builders import TODAY, register
from services.members.rules import rules_in_force
from shared.errors import InvalidInput, RuleViolation

D = dt.date


def full(**kwargs):
    return register(stage="full", admitted_on=D(2015, 7, 1), full_on=D(2016, 7, 1), **kwargs)


def change(member, status, on, reason="recorded by the branch", **facts):
    member.change_status(rules_in_force(on), today=TODAY, status=status, changed_on=on, reason=reason, **facts)
    return member.pending_events[-1].payload


def refused(member, status, on, **facts):
    with pytest.raises(RuleViolation) as error:
        change(member, status, on, **facts)
    return error.value.rule


def test_every_change_is_an_event_with_the_state_after_it():
    member = full()
    p = change(member, "lost_contact", D(2024, 1, 15), reason="no reply since the new year")
    assert (p["status"], p["previous_status"], p["stage"], p["org_id"]) == ("lost_contact", "active", "full", "branch-1")
    assert (p["changed_on"], p["grounds"], p["rules_version"]) == (D(2024, 1, 15), None, "2014")
    p = change(member, "active", D(2024, 2, 1))
    assert (p["status"], p["previous_status"]) == ("active", "lost_contact")
    assert member.lost_contact_since is None


def test_suspension_when_unreachable_for_six_months():
    member = full()
    change(member, "lost_contact", D(2024, 1, 31))
    assert refused(member, "suspended", D(2024, 7, 30)) == "members.status.suspension_unreachable"
    p = change(member, "suspended", D(2024, 7, 31))  # six months: 31 January -> 31 July
    assert (p["grounds"], p["grounds_since"]) == ("unreachable", D(2024, 1, 31))


def test_suspension_needs_grounds():
    member = full()
    assert refused(member, "suspended", D(2024, 7, 31)) == "members.status.suspension_grounds"


def test_suspension_when_abroad_for_more_than_five_years():
    member = full()
    since = D(2019, 3, 1)
    assert refused(member, "suspended", D(2024, 3, 1), abroad_since=since) == "members.status.suspension_abroad"
    p = change(member, "suspended", D(2024, 3, 2), abroad_since=since)
    assert (p["grounds"], p["grounds_since"]) == ("abroad", since)


def test_a_suspension_is_lifted_only_within_two_years():
    member = full()
    change(member, "lost_contact", D(2022, 1, 10))
    change(member, "suspended", D(2022, 7, 10))
    assert refused(member, "active", D(2024, 7, 10)) == "members.status.suspension_lift_window"
    other = full()
    change(other, "lost_contact", D(2022, 1, 10))
    change(other, "suspended", D(2022, 7, 10))
    assert change(other, "active", D(2024, 7, 9))["status"] == "active"
    assert other.suspended_on is None


def test_left_two_years_after_the_suspension():
    member = full()
    change(member, "lost_contact", D(2022, 1, 10))
    change(member, "suspended", D(2022, 7, 10))
    assert refused(member, "left", D(2024, 7, 9)) == "members.status.left_after_suspension"
    p = change(member, "left", D(2024, 7, 10))
    assert (p["grounds"], p["grounds_since"]) == ("after_suspension", D(2022, 7, 10))


def test_left_after_six_months_without_organisational_life_or_dues():
    member = full()
    assert refused(member, "left", D(2024, 6, 30)) == "members.status.left_inactivity"  # no date given
    assert refused(member, "left", D(2024, 6, 30), inactive_since=D(2024, 1, 1)) == "members.status.left_inactivity"
    p = change(member, "left", D(2024, 7, 1), inactive_since=D(2024, 1, 1))
    assert (p["grounds"], p["grounds_since"]) == ("inactivity", D(2024, 1, 1))
    lost = full()
    change(lost, "lost_contact", D(2024, 1, 1))
    assert change(lost, "left", D(2024, 7, 1))["grounds_since"] == D(2024, 1, 1)  # since contact was lost
    with pytest.raises(InvalidInput):
        change(full(), "left", D(2024, 7, 1), inactive_since=D(2024, 8, 1))


@pytest.mark.parametrize("final", ["expelled", "deceased"])
def test_expelled_and_deceased_are_final(final):
    member = full()
    change(member, final, D(2024, 3, 1))
    for status in ("active", "lost_contact", "suspended", "left", "expelled", "deceased"):
        assert refused(member, status, D(2024, 4, 1)) == "members.status.transition"


def test_left_is_final_too():
    member = full()
    change(member, "left", D(2024, 7, 1), inactive_since=D(2024, 1, 1))
    assert refused(member, "active", D(2024, 8, 1)) == "members.status.transition"


def test_transitions_that_do_not_exist():
    member = full()
    assert refused(member, "active", D(2024, 1, 1)) == "members.status.transition"
    change(member, "lost_contact", D(2024, 1, 1))
    assert refused(member, "lost_contact", D(2024, 2, 1)) == "members.status.transition"
    change(member, "suspended", D(2024, 7, 1))
    assert refused(member, "lost_contact", D(2024, 8, 1)) == "members.status.transition"


def test_suspension_leaving_and_expulsion_concern_party_members_only():
    applicant = register()
    for status in ("suspended", "left", "expelled"):
        assert refused(applicant, status, D(2024, 1, 1), abroad_since=D(2010, 1, 1),
                       inactive_since=D(2020, 1, 1)) == "members.status.party_members_only"
    assert change(applicant, "lost_contact", D(2024, 1, 1))["stage"] == "applicant"
    assert change(register(member_id="m-2"), "deceased", D(2024, 1, 1))["status"] == "deceased"


def test_changes_are_dated_in_order_and_not_in_the_future():
    member = full()
    change(member, "lost_contact", D(2024, 3, 1))
    with pytest.raises(InvalidInput) as error:
        change(member, "active", D(2024, 2, 28))
    assert "changed_on" in error.value.fields
    with pytest.raises(InvalidInput):
        change(member, "active", TODAY + dt.timedelta(days=1))
