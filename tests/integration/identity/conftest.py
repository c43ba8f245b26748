import socket
import uuid

import pytest
from kombu import Connection, Queue
from nameko.standalone.rpc import ServiceRpcProxy

from services.identity.service import IdentityService
from shared import codec
from shared.bus import event_exchange
from shared.nameko_adapter import ACTOR_KEY, CORRELATION_KEY


@pytest.fixture
def identity_config(rabbit_config, pg_database_factory):
    """A throwaway RabbitMQ vhost and a fresh PostgreSQL database (both dropped afterwards)."""
    return {**rabbit_config, "DB_URIS": {"identity": pg_database_factory("ejia_test_identity")},
            "SIGNIN_MAX_FAILURES_PER_USER": 3}


@pytest.fixture
def caller():
    return {"actor": "district-admin", "correlation_id": f"identity-test-{uuid.uuid4().hex[:8]}"}


@pytest.fixture
def identity_proxy(container_factory, identity_config, caller):
    """A factory of RPC proxies to the identity service in a real nameko container."""
    container = container_factory(IdentityService, identity_config)
    container.start()
    context = {ACTOR_KEY: caller["actor"], CORRELATION_KEY: caller["correlation_id"]}
    proxies = []

    def make():
        proxy = ServiceRpcProxy("identity", identity_config, context_data=context, timeout=20)
        proxies.append(proxy)
        return proxy.start()

    yield make
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def identity(identity_proxy):
    return identity_proxy()


class EventTap:
    """A queue bound to ``identity.events`` before anything is published."""

    def __init__(self, amqp_uri):
        self.connection = Connection(amqp_uri)
        channel = self.connection.default_channel
        exchange = event_exchange("identity.events")
        exchange(channel).declare()
        self.queue = Queue(f"identity-test-tap-{uuid.uuid4().hex[:8]}", exchange=exchange,
                           routing_key="identity.#", exclusive=True, auto_delete=True)(channel)
        self.queue.declare()

    def until(self, event_type, count=1, timeout=20.0):
        """Collect messages until ``count`` of ``event_type`` arrived; return them as (raw body, message)."""
        received = []

        def on_message(body, message):
            received.append((message.body, message))
            message.ack()

        def seen(kind):
            return sum(codec.loads(raw)["event_type"] == kind for raw, _ in received)

        with self.connection.Consumer(self.queue, callbacks=[on_message], accept=["json"]):
            while seen(event_type) < count:
                try:
                    self.connection.drain_events(timeout=timeout)
                except socket.timeout:
                    types = [codec.loads(raw)["event_type"] for raw, _ in received]
                    raise AssertionError(f"no {event_type} on identity.events within {timeout}s; got {types}")
        return received

    def close(self):
        self.connection.release()


@pytest.fixture
def event_tap(identity_config):
    tap = EventTap(identity_config["AMQP_URI"])
    yield tap
    tap.close()
