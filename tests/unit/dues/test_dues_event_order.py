"""Dues follow a member's events in version order whatever order they
arrive in (issue: out-of-order delivery misassessed dues). The events are
the members domain's own, as its store would publish them."""
from services.dues import commands, queries
from unit.members_feed import TODAY, member_events


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
