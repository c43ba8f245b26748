"""Ordered consumption (shared/ordering.py): a stream's events reach the
consumer's apply in version order, whatever order they arrive in; a
redelivery changes nothing; what waits for a missing version is listed."""
import datetime as dt
from decimal import Decimal

from shared.envelope import Envelope
from shared.ordering import in_order, parked
from shared.tables import projection_versions

OPENED = {"holder": "Li Ming", "balance": Decimal("0.00"), "opened_on": dt.date(2024, 1, 2)}


def event(version, aggregate_id="acc-1"):
    if version == 1:
        return Envelope("unit.account_opened", 2, "account", aggregate_id, 1, OPENED)
    return Envelope("unit.deposit_made", 1, "account", aggregate_id, version, {"amount": Decimal(version)})


def deliver(db, catalog, *envelopes, consumer="unit.ledger"):
    """Each delivery in its own transaction, as a consumer's handler runs;
    the versions applied, in the order applied."""
    applied = []
    for envelope in envelopes:
        with db.begin() as conn:
            applied += [e.aggregate_version for e in in_order(conn, consumer, envelope, catalog=catalog)]
    return applied


def test_events_in_order_are_applied_as_they_come(db, catalog):
    assert deliver(db, catalog, event(1), event(2), event(3)) == [1, 2, 3]


def test_an_event_ahead_of_its_predecessors_waits_for_them(db, catalog):
    assert deliver(db, catalog, event(3), event(2)) == []
    assert deliver(db, catalog, event(1)) == [1, 2, 3]


def test_parked_events_come_back_as_they_were_sent(db, catalog):
    sent = event(2)
    deliver(db, catalog, sent)
    with db.begin() as conn:
        opened, deposit = in_order(conn, "unit.ledger", event(1), catalog=catalog)
    assert deposit == sent


def test_a_gap_releases_only_the_versions_that_follow_without_one(db, catalog):
    assert deliver(db, catalog, event(4), event(2), event(1)) == [1, 2]
    assert deliver(db, catalog, event(3)) == [3, 4]


def test_a_redelivered_event_is_applied_once(db, catalog):
    assert deliver(db, catalog, event(1), event(1), event(3), event(3), event(2), event(2), event(3)) == [1, 2, 3]


def test_each_consumer_and_each_aggregate_has_its_own_position(db, catalog):
    assert deliver(db, catalog, event(1, "acc-1"), event(2, "acc-2")) == [1]
    assert deliver(db, catalog, event(1, "acc-1"), consumer="unit.report") == [1]
    assert deliver(db, catalog, event(1, "acc-2")) == [1, 2]


def test_what_waits_is_listed_with_the_version_it_waits_behind(db, catalog):
    deliver(db, catalog, event(1), event(3), event(4), event(3, "acc-2"))
    with db.connect() as conn:
        waiting = parked(conn)
    assert [(w["consumer"], w["aggregate_id"], w["applied_version"], w["first_parked_version"], w["parked"])
            for w in waiting] == [("unit.ledger", "acc-1", 1, 3, 2), ("unit.ledger", "acc-2", 0, 3, 1)]
    assert all(isinstance(w["since"], dt.datetime) and w["since"].tzinfo for w in waiting)
    deliver(db, catalog, event(2))
    with db.connect() as conn:
        assert [w["aggregate_id"] for w in parked(conn, "unit.ledger")] == ["acc-2"]


def test_a_consumer_that_kept_a_version_mark_resumes_after_it(db, catalog):
    with db.begin() as conn:
        conn.execute(projection_versions.insert().values(projection="unit.old_mark", aggregate_id="acc-1", version=2))
    with db.begin() as conn:
        assert in_order(conn, "unit.ledger", event(2), seed_from="unit.old_mark", catalog=catalog) == []
        assert [e.aggregate_version for e in in_order(conn, "unit.ledger", event(3), seed_from="unit.old_mark",
                                                      catalog=catalog)] == [3]
