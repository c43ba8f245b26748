import datetime as dt
import time
import uuid

import pytest
from kombu import Connection, Queue
from nameko.standalone.rpc import ServiceRpcProxy

from services.dues.service import DuesService
from shared import codec
from shared.bus import event_exchange
from shared.catalog import catalog
from shared.envelope import Envelope


@pytest.fixture
def dues_config(rabbit_config, pg_database_factory):
    """A throwaway RabbitMQ vhost and a fresh PostgreSQL database (both dropped afterwards)."""
    return {**rabbit_config, "max_workers": 20, "DB_URIS": {"dues": pg_database_factory("ejia_test_dues")}}


@pytest.fixture
def dues_container(container_factory, dues_config):
    container = container_factory(DuesService, dues_config)
    container.start()
    yield container
    container.kill()  # before the database is dropped


@pytest.fixture
def dues(dues_container, dues_config):
    """An RPC proxy to the dues service running in a real nameko container."""
    with ServiceRpcProxy("dues", dues_config, timeout=30) as proxy:
        yield proxy


def kernel_of(container):
    return next(d for d in container.dependencies if d.attr_name == "kernel")


def wait_for(predicate, timeout=30.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class EventFeed:
    """Publishes events as the members and orgs services do: catalog-valid
    envelopes on their exchanges, routed by event type."""

    def __init__(self, amqp_uri):
        self.connection = Connection(amqp_uri)
        self.producer = self.connection.Producer()
        self.versions: dict[str, int] = {}

    def publish(self, service, aggregate_type, aggregate_id, event_type, payload):
        version = self.versions[aggregate_id] = self.versions.get(aggregate_id, 0) + 1
        envelope = Envelope(event_type=event_type, event_version=1, aggregate_type=aggregate_type,
                            aggregate_id=aggregate_id, aggregate_version=version, payload=payload,
                            actor="test-feed", correlation_id=f"feed-{uuid.uuid4().hex[:8]}")
        exchange = event_exchange(f"{service}.events")
        self.producer.publish(codec.dumps(catalog.to_wire(envelope)), exchange=exchange, routing_key=event_type,
                              content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                              declare=[exchange])
        return envelope

    def admitted(self, member_id, org_id, admitted_on: dt.date):
        return self.publish("members", "member", member_id, "members.admission_approved", {
            "org_id": org_id, "group_id": None, "stage": "probationary", "status": "active",
            "decided_by": "committee", "note": None, "rules_version": "test", "approved_on": admitted_on,
            "special": False, "admitted_on": admitted_on,
            "probation_ends_on": admitted_on.replace(year=admitted_on.year + 1)})

    def status_changed(self, member_id, org_id, status, previous, changed_on: dt.date, stage="probationary"):
        return self.publish("members", "member", member_id, "members.status_changed", {
            "org_id": org_id, "group_id": None, "stage": stage, "status": status, "previous_status": previous,
            "changed_on": changed_on, "reason": "test", "grounds": None, "grounds_since": None,
            "rules_version": "test"})

    def org(self, org_id, parent_id, kind, name=None, on=dt.date(2020, 1, 1)):
        if kind in ("branch", "joint_branch"):
            unit = {"name": f"{org_id} unit", "unit_type": "enterprise", "address": None}
            payload = {"name": name or org_id, "kind": kind, "parent_id": parent_id, "unit": unit,
                       "covered_units": [], "full_members": 5, "probationary_members": 0, "founded_on": on,
                       "founded_directly": True, "founding_request_id": None, "rules_version": "2014"}
            return self.publish("orgs", "organisation", org_id, "orgs.branch_founded", payload)
        return self.publish("orgs", "organisation", org_id, "orgs.org_created", {
            "name": name or org_id, "kind": kind, "parent_id": parent_id, "unit": None, "created_on": on})

    def close(self):
        self.connection.release()


@pytest.fixture
def feed(dues_container, dues_config):
    """Publishes after the service's queues are bound (the container is started)."""
    events = EventFeed(dues_config["AMQP_URI"])
    yield events
    events.close()


class EventTap:
    """A durable queue bound to ``dues.events``: what other systems receive;
    it survives a broker restart."""

    def __init__(self, amqp_uri):
        self.amqp_uri = amqp_uri
        exchange = event_exchange("dues.events")
        self.queue = Queue(f"dues-test-tap-{uuid.uuid4().hex[:8]}", exchange=exchange, routing_key="dues.#",
                           durable=True, auto_delete=False)
        self.received: list[dict] = []

    def declare(self):
        with Connection(self.amqp_uri) as conn:
            self.queue(conn.default_channel).declare()

    def drain(self, until, timeout=30.0):
        """Collect event bodies until ``until(received)`` is true."""
        deadline = time.monotonic() + timeout
        with Connection(self.amqp_uri) as conn:
            bound = self.queue(conn.default_channel)
            while not until(self.received):
                message = bound.get(no_ack=True)
                if message is None:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"dues.events: {len(self.received)} events after {timeout}s")
                    time.sleep(0.05)
                    continue
                self.received.append(codec.loads(message.body))
        return self.received

    def close(self):
        try:
            with Connection(self.amqp_uri) as conn:
                self.queue(conn.default_channel).delete()
        except OSError:
            pass


@pytest.fixture
def event_tap(dues_config):
    tap = EventTap(dues_config["AMQP_URI"])
    tap.declare()
    yield tap
    tap.close()


@pytest.fixture
def wait():
    """``wait(predicate, timeout=30, what=...)``: poll until it returns something true."""
    return wait_for


@pytest.fixture
def dues_kernel(dues_container):
    """The service's EventSourcing provider: its database and outbox relay."""
    return kernel_of(dues_container)
