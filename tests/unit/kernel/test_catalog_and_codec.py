import datetime as dt
import uuid
from decimal import Decimal

import pytest

from shared import codec
from shared.catalog import InvalidEvent
from shared.envelope import Envelope


def opened(version=2, payload=None):
    payload = payload if payload is not None else {
        "holder": "王芳", "balance": Decimal("12.30"), "opened_on": dt.date(2024, 5, 1)}
    return Envelope(event_type="unit.account_opened", event_version=version, aggregate_type="account",
                    aggregate_id="a1", aggregate_version=1, payload=payload)


def test_wire_round_trip_keeps_decimal_and_date_exact(catalog):
    wire = codec.to_jsonable(catalog.to_wire(opened()))
    assert wire["payload"] == {"holder": "王芳", "balance": "12.30", "opened_on": "2024-05-01"}
    back = catalog.from_wire(wire)
    assert back.payload["balance"] == Decimal("12.30")
    assert back.payload["opened_on"] == dt.date(2024, 5, 1)
    assert back.occurred_at.tzinfo is not None


def test_an_old_version_is_upcast_to_the_latest(catalog):
    old = codec.to_jsonable({**catalog.to_wire(opened()), "event_version": 1, "payload": {"holder": "李强"}})
    event = catalog.from_wire(old)
    assert event.event_version == 2
    assert event.payload == {"holder": "李强", "balance": Decimal("0.00"), "opened_on": dt.date(2014, 1, 1)}


@pytest.mark.parametrize("change, reason", [
    ({"event_version": 7}, "unknown event"),
    ({"event_type": "unit.never_heard_of"}, "unknown event"),
    ({"payload": {"holder": 5, "balance": "x", "opened_on": "2024-13-01"}}, "invalid"),
    ({"aggregate_version": 0}, "envelope is invalid"),
    ({"occurred_at": "2024-05-01T10:00:00"}, "envelope is invalid"),  # naive time
])
def test_an_event_that_does_not_match_the_catalog_is_refused(catalog, change, reason):
    wire = {**codec.to_jsonable(catalog.to_wire(opened())), **change}
    with pytest.raises(InvalidEvent, match=reason):
        catalog.from_wire(wire)


def test_a_bad_payload_cannot_be_published(catalog):
    with pytest.raises(InvalidEvent):
        catalog.to_wire(opened(payload={"holder": "王芳"}))


def test_codec_refuses_naive_datetimes_and_keeps_uuids():
    value = uuid.uuid4()
    assert codec.loads(codec.dumps({"id": value})) == {"id": str(value)}
    with pytest.raises(ValueError):
        codec.dumps(dt.datetime(2024, 1, 1))
    assert codec.dumps(Decimal("0.10")) == '"0.10"'


def test_the_catalog_describes_itself(catalog):
    described = {(e["event_type"], e["event_version"]) for e in catalog.describe()}
    assert described == {("unit.account_opened", 2), ("unit.deposit_made", 1)}
