import socket
import uuid

import pytest
from kombu import Connection, Queue
from nameko.standalone.rpc import ServiceRpcProxy

from services.orgs.service import OrgsService
from shared import codec
from shared.bus import event_exchange
from shared.nameko_adapter import ACTOR_KEY, CORRELATION_KEY


@pytest.fixture
def orgs_config(rabbit_config, pg_database_factory):
    """A throwaway RabbitMQ vhost and a fresh PostgreSQL database (both dropped afterwards)."""
    return {**rabbit_config, "DB_URIS": {"orgs": pg_database_factory("ejia_test_orgs")}}


@pytest.fixture
def caller():
    """Who the test calls as, and the conversation its calls belong to."""
    return {"actor": "district-admin", "correlation_id": f"orgs-test-{uuid.uuid4().hex[:8]}"}


@pytest.fixture
def orgs(container_factory, orgs_config, caller):
    """An RPC proxy to the orgs service running in a real nameko container."""
    container = container_factory(OrgsService, orgs_config)
    container.start()
    context = {ACTOR_KEY: caller["actor"], CORRELATION_KEY: caller["correlation_id"]}
    with ServiceRpcProxy("orgs", orgs_config, context_data=context, timeout=20) as proxy:
        yield proxy


class EventTap:
    """A queue bound to ``orgs.events`` before anything is published."""

    def __init__(self, amqp_uri):
        self.connection = Connection(amqp_uri)
        channel = self.connection.default_channel
        exchange = event_exchange("orgs.events")
        exchange(channel).declare()
        self.queue = Queue(f"orgs-test-tap-{uuid.uuid4().hex[:8]}", exchange=exchange, routing_key="orgs.#",
                           exclusive=True, auto_delete=True)(channel)
        self.queue.declare()

    def until(self, event_type, timeout=20.0):
        """Collect messages until one of ``event_type`` arrives; return them as (body, message)."""
        received = []

        def on_message(body, message):
            received.append((codec.loads(message.body), message))
            message.ack()

        with self.connection.Consumer(self.queue, callbacks=[on_message], accept=["json"]):
            while not any(body["event_type"] == event_type for body, _ in received):
                try:
                    self.connection.drain_events(timeout=timeout)
                except socket.timeout:
                    seen = [body["event_type"] for body, _ in received]
                    raise AssertionError(f"no {event_type} on orgs.events within {timeout}s; got {seen}")
        return received

    def close(self):
        self.connection.release()


@pytest.fixture
def event_tap(orgs_config):
    tap = EventTap(orgs_config["AMQP_URI"])
    yield tap
    tap.close()
