"""Helpers of the members integration tests (a uniquely named module: the
test folders have no __init__.py)."""
from platform_factory import known_to_members, publish, wait_for  # noqa: F401  (the tests import them from here)


def publish_raw(amqp_uri, body, exchange, routing_key):
    publish(amqp_uri, exchange, routing_key, body)
