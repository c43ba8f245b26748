"""The kernel's test services (ktest_services.py) in real nameko containers
on a throwaway RabbitMQ vhost and fresh PostgreSQL databases
(tests/platform_factory.py), and what the delivery tests publish and read
on the bus."""
import time
import uuid

from kombu import Connection, Exchange, Queue

from platform_factory import PlatformFixtures, publish
from platform_factory import provider, rabbitmqctl, wait_for  # noqa: F401  (the tests import them from here)
from shared.catalog import catalog
from shared.envelope import Envelope

from .ktest_services import ConsumerService, ProducerService

it = PlatformFixtures("kernel", ("ktest", "kconsumer"), (ProducerService, ConsumerService), max_workers=25)
nameko_platform, kernel_config = it.platform, it.config
running = it.containers
"""Both test services started, {name: container}."""


def thing_event(thing_id, version, name, event_id=None):
    envelope = Envelope(event_type="ktest.thing_named", event_version=1, aggregate_type="thing",
                        aggregate_id=thing_id, aggregate_version=version, payload={"name": name},
                        event_id=event_id or str(uuid.uuid4()))
    return catalog.to_wire(envelope)


def publish_raw(amqp_uri, bodies, exchange="ktest.events", routing_key="ktest.thing_named"):
    publish(amqp_uri, exchange, routing_key, *bodies)


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
