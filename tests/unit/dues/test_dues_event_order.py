"""Dues follow a member's events in version order whatever order they
arrive in (issue: out-of-order delivery misassessed dues). The events are
the members domain's own, as its store would publish them."""
import datetime as dt

from services.dues import commands, queries
from services.members.checks import OrgView
from services.members.domain import Member
from services.members.rules import rules_in_force
from shared.contracts.members import id_number_check_digit
from shared.envelope import Envelope

TODAY = dt.date(2024, 12, 2)
BRANCH = OrgView("branch-1", "branch", "active", "committee-1", "Nano Branch")


def member_events():
    """A probationary member admitted at the 2024-06-10 meeting, registered in
    July, whose profile is then corrected twice and status changed once."""
    first17 = "320506199505041" + "23"
    member = Member.register("m-1", rules=rules_in_force(dt.date(2024, 6, 10)), today=dt.date(2024, 7, 15),
                             branch=BRANCH, group=None, name="Li Ming", gender="male", birth_date=dt.date(1995, 5, 4),
                             ethnicity="Han", education="Master", employer="Nano Tech Co.",
                             id_number=first17 + id_number_check_digit(first17), phone="13812345678",
                             stage="probationary", admitted_on=dt.date(2024, 6, 10),
                             registered_on=dt.date(2024, 7, 15))
    member.update_profile(today=TODAY, current_personal={}, changes={"employer": "Bio Lab"})
    member.update_profile(today=TODAY, current_personal={}, changes={"education": "Doctorate"})
    member.change_status(rules_in_force(dt.date(2024, 10, 8)), today=TODAY, status="lost_contact",
                         changed_on=dt.date(2024, 10, 8), reason="no answer since October")
    occurred = dt.datetime(2024, 7, 15, tzinfo=dt.timezone.utc)
    return [Envelope(e.event_type, 1, "member", "m-1", version, e.payload, occurred_at=occurred)
            for version, e in enumerate(member.pending_events, start=1)]


def follow(uow, envelopes):
    for envelope in envelopes:
        with uow() as u:
            commands.follow_member_events(u, envelope)


def test_the_registration_delivered_last_still_opens_the_account_from_the_admission_month(uow, read):
    registered, *later = member_events()
    follow(uow, later[::-1] + [registered])
    assert read(queries.get_dues, "m-1", TODAY)["owes_from"] == "2024-06"


def test_any_delivery_order_ends_with_the_same_account(uow, read):
    events = member_events()
    follow(uow, [events[2], events[0], events[3], events[3], events[1], events[0]])
    assert read(queries.get_dues, "m-1", TODAY)["owes_from"] == "2024-06"
    assert read(queries.get_dues, "m-1", TODAY)["version"] == 1  # opened once, nothing else changed
