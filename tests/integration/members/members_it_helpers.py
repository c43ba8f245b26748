"""Helpers of the members integration tests (a uniquely named module: the
test folders have no __init__.py)."""
import time

from kombu import Connection

from shared import codec
from shared.bus import event_exchange
from shared.errors import NotFound


def wait_for(predicate, timeout=20.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def known_to_members(members, org_id) -> bool:
    """True once the members service has projected the organisation's creation."""
    try:
        members.list_members(org_id, limit=1)
        return True
    except NotFound:
        return False


def publish_raw(amqp_uri, body, exchange, routing_key):
    with Connection(amqp_uri) as conn:
        conn.Producer().publish(codec.dumps(body), exchange=event_exchange(exchange), routing_key=routing_key,
                                content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                                declare=[event_exchange(exchange)])
