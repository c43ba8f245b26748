import subprocess
import time
import uuid

import pytest
from kombu import Connection, Exchange, Queue

from shared import codec
from shared.bus import event_exchange
from shared.catalog import catalog
from shared.envelope import Envelope

from .ktest_services import ConsumerService, ProducerService


@pytest.fixture
def kernel_config(rabbit_config, pg_database_factory):
    return {**rabbit_config, "max_workers": 25,
            "DB_URIS": {"ktest": pg_database_factory("ejia_test_ktest"),
                        "kconsumer": pg_database_factory("ejia_test_kconsumer")}}


@pytest.fixture
def running(container_factory, kernel_config):
    """Both test services started on a throwaway vhost and fresh databases."""
    containers = {}
    for cls in (ProducerService, ConsumerService):
        container = container_factory(cls, kernel_config)
        container.start()
        containers[cls.name] = container
    return containers


def provider(container, name="kernel"):
    return next(d for d in container.dependencies if d.attr_name == name)


def wait_for(predicate, timeout=30.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def thing_event(thing_id, version, name, event_id=None):
    envelope = Envelope(event_type="ktest.thing_named", event_version=1, aggregate_type="thing",
                        aggregate_id=thing_id, aggregate_version=version, payload={"name": name},
                        event_id=event_id or str(uuid.uuid4()))
    return catalog.to_wire(envelope)


def publish_raw(amqp_uri, bodies, exchange="ktest.events", routing_key="ktest.thing_named"):
    with Connection(amqp_uri) as conn:
        producer = conn.Producer()
        for body in bodies:
            producer.publish(body if isinstance(body, (str, bytes)) else codec.dumps(body),
                             exchange=event_exchange(exchange), routing_key=routing_key,
                             content_type="application/json", content_encoding="utf-8",
                             delivery_mode=2, declare=[event_exchange(exchange)])


def drain_dead_letters(amqp_uri, consumer, expected, timeout=30.0):
    queue = Queue(f"ejia.dead_letters.{consumer}",
                  exchange=Exchange("ejia.dead_letters", type="topic", durable=True),
                  routing_key=consumer, durable=True)
    got = []
    deadline = time.monotonic() + timeout
    with Connection(amqp_uri) as conn:
        bound = queue(conn.default_channel)
        bound.declare()
        while len(got) < expected and time.monotonic() < deadline:
            message = bound.get(no_ack=True)
            if message is None:
                time.sleep(0.1)
                continue
            got.append(message)
    return got


def rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)
