"""The orgs roster keeps a member's latest state whatever order the member's
events arrive in: each carries the state after it, so an older one that
arrives late changes nothing (issue: out-of-order delivery)."""
from services.orgs import member_replica
from unit.members_feed import member_events


def test_the_registration_delivered_last_leaves_the_latest_state(db):
    events = member_events()
    for envelope in events[::-1] + events[:1]:
        with db.begin() as conn:
            member_replica.apply_member_event(conn, envelope)
    with db.connect() as conn:
        row = conn.execute(member_replica.member_roster.select()).one()
    latest = events[-1].payload
    assert (row.member_id, row.org_id, row.stage, row.status, row.version) == \
        ("m-1", latest["org_id"], "probationary", "lost_contact", len(events))
