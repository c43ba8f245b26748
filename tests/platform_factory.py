"""The one factory of the integration tests' platform (a uniquely named module
in tests/, on sys.path through the root conftest's rootdir), as
tests/unit/unit_kernel.py is the unit tests' (the e2e tests, which start
``nameko run`` processes instead, share its PostgreSQL and port helpers):
real services in nameko
containers on the throwaway RabbitMQ vhost of nameko's ``rabbit_config``
fixture, with fresh PostgreSQL databases from the root conftest's
``pg_database_factory``. A test folder's conftest asks for its own with

    it = PlatformFixtures("members", databases=("members", "orgs"), services=(MembersService, OrgsService),
                          MASTER_KEY=new_master_key, JWT_SECRET=SECRET)
    nameko_platform, members_config, containers = it.platform, it.config, it.containers
    members, orgs, members_db = it.rpc("members"), it.rpc("orgs"), it.db("members")

(``nameko_platform`` must be bound to that name: the other fixtures ask for
it by it), or, in a fixture of its own, ``with NamekoPlatform(rabbit_config,
pg_database_factory, container_factory, databases, services, label,
**config) as platform``.

A ``NamekoPlatform`` offers
- ``config``: the vhost's AMQP_URI, DB_URIS (one fresh database per name in
  ``databases``) and the extra config (a callable value is called, so each
  test gets e.g. a master key of its own);
- ``running()``: the folder's ``services`` started once, in order, as
  {service name: container};
- ``start(ServiceClass)``: one more started container on the same vhost and
  databases (a test may kill one and start another);
- ``rpc(service, principal=None, actor=..., correlation_id=...)``: a
  ServiceRpcProxy to use with ``with``, calling as ``actor`` in the test's
  conversation (``caller``), with ``principal``'s signed access token if
  given; ``actor=None``: no context at all;
- ``open_rpc(...)``: the same, started, and stopped at teardown;
- ``db(database)``: an engine on one of its databases;
- ``tap(service)``: an ``EventTap`` on ``<service>.events``.

Closing it (the fixture's teardown) stops the proxies, deletes the taps,
disposes the engines and kills the containers, the latest made first:
before the databases are dropped (the root conftest would otherwise drop
them under running services) and before nameko's plugin deletes the vhost.

Also here, for the folders' conftests and helpers alike: ``wait_for``,
``Publisher``/``publish``, ``provider``, ``known_to_members``, ``free_port``,
``GatewaySession`` (HTTP on a running gateway) and ``rabbitmqctl``; and the PostgreSQL server the tests make their
databases on (``PG_ADMIN_URL``, ``pg_database_url``, ``create_database``,
``drop_databases``), for the root conftest's ``pg_database_factory`` and
the e2e cluster alike.
"""
import os
import socket
import subprocess
import time
import uuid
from contextlib import ExitStack, closing, contextmanager

import pytest
import requests
from kombu import Connection, Queue
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import create_engine, text

from shared import codec
from shared.access import issue_access_token
from shared.bus import event_exchange
from shared.errors import NotFound
from shared.nameko_adapter import ACTOR_KEY, CORRELATION_KEY, TOKEN_KEY

PG_ADMIN_URL = os.environ.get("EJIA_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
"""The admin database of the PostgreSQL server the tests make theirs on."""

ADMIN_ACTOR = "district-admin"
"""Who the tests call as unless they say otherwise."""


def rpc_proxy(service, config, principal=None, actor=ADMIN_ACTOR, correlation_id=None, timeout=20):
    """A ServiceRpcProxy (not started: use it with ``with``) calling as
    ``actor`` in conversation ``correlation_id`` (a new one if not given),
    carrying ``principal``'s access token signed with config["JWT_SECRET"]."""
    context = {}
    if actor is not None:
        context = {ACTOR_KEY: actor, CORRELATION_KEY: correlation_id or f"test-{uuid.uuid4().hex[:8]}"}
    if principal is not None:
        context[TOKEN_KEY] = issue_access_token(config["JWT_SECRET"], principal)
    return ServiceRpcProxy(service, config, context_data=context or None, timeout=timeout)


class NamekoPlatform(ExitStack):
    """Services of one test in nameko containers, their config, proxies,
    engines and taps (see the module's docstring). It is the ExitStack of
    what it made: closing it undoes each, the latest first, every one even
    if another fails."""

    def __init__(self, rabbit_config, pg_database_factory, container_factory, databases=(), services=(),
                 label="it", **extra_config):
        self.services = tuple(services)
        self.config = {**rabbit_config,
                       **{key: value() if callable(value) else value for key, value in extra_config.items()},
                       "DB_URIS": {name: pg_database_factory(f"ejia_test_{label}_{name}") for name in databases}}
        # Who the test calls as, and the conversation its calls belong to:
        self.caller = {"actor": ADMIN_ACTOR, "correlation_id": f"{label}-test-{uuid.uuid4().hex[:8]}"}
        self._container_factory = container_factory
        self._running = None
        super().__init__()

    @property
    def amqp_uri(self):
        return self.config["AMQP_URI"]

    def start(self, service_cls, config=None):
        """A new, started container of ``service_cls`` (on this platform's config unless ``config``)."""
        container = self._container_factory(service_cls, config or self.config)
        self.callback(container.kill)
        container.start()
        return container

    def running(self):
        """The platform's services, started on first call: {service name: container}."""
        if self._running is None:
            self._running = {cls.name: self.start(cls) for cls in self.services}
        return self._running

    def rpc(self, service, principal=None, actor=ADMIN_ACTOR, correlation_id=None, timeout=20):
        return rpc_proxy(service, self.config, principal, actor,
                         correlation_id or self.caller["correlation_id"], timeout)

    def open_rpc(self, service, principal=None, **kwargs):
        proxy = self.rpc(service, principal, **kwargs)
        started = proxy.start()
        self.callback(proxy.stop)
        return started

    def db(self, database):
        engine = create_engine(self.config["DB_URIS"][database])
        self.callback(engine.dispose)
        return engine

    def tap(self, service, raw_bodies=False):
        tap = EventTap(self.amqp_uri, service, raw_bodies)
        self.callback(tap.close)
        return tap


class PlatformFixtures:
    """The fixtures of one folder's platform (its label, databases, services
    and extra config), to bind to names in its conftest: ``platform`` (bind
    it to ``nameko_platform``: every other one asks for it by that name),
    ``config``, ``containers`` (the services, started), ``caller``,
    ``rpc(service, **rpc_kwargs)`` (a proxy for the test, the services
    started first), ``opener(service)`` (``open(principal=None)`` -> one
    more started proxy), ``db(database)`` and ``tap(service)``."""

    def __init__(self, label, databases=(), services=(), **extra_config):
        @pytest.fixture
        def platform(rabbit_config, pg_database_factory, container_factory):
            with NamekoPlatform(rabbit_config, pg_database_factory, container_factory, databases, services,
                                label, **extra_config) as made:
                yield made
        self.platform = platform

    @staticmethod
    def _of(read):
        @pytest.fixture
        def fixture(nameko_platform):
            return read(nameko_platform)
        return fixture

    @property
    def config(self):
        return self._of(lambda platform: platform.config)

    @property
    def containers(self):
        return self._of(NamekoPlatform.running)

    @property
    def caller(self):
        return self._of(lambda platform: platform.caller)

    def db(self, database):
        return self._of(lambda platform: platform.db(database))

    def tap(self, service, raw_bodies=False):
        return self._of(lambda platform: platform.tap(service, raw_bodies))

    def opener(self, service, **kwargs):
        """A fixture: ``open(principal=None)`` -> a started proxy to ``service`` (stopped at teardown)."""
        def opener(platform):
            platform.running()
            return lambda principal=None: platform.open_rpc(service, principal, **kwargs)
        return self._of(opener)

    @staticmethod
    def rpc(service, **kwargs):
        @pytest.fixture
        def proxy(nameko_platform):
            nameko_platform.running()
            with nameko_platform.rpc(service, **kwargs) as started:
                yield started
        return proxy


class EventTap:
    """A queue bound to ``<service>.events`` (all of the service's routing
    keys), declared when made, so before the test publishes anything: what
    other systems receive. It is durable and read one message at a time on a
    connection of its own per call, so it outlives a broker restart
    (tests/integration/dues/test_dues_broker_restart.py). What it received
    accumulates over calls. ``raw_bodies``: ``until`` answers with the bodies
    as they went over the wire (to look for what must never be published)."""

    def __init__(self, amqp_uri, service, raw_bodies=False):
        self.amqp_uri, self.raw_bodies = amqp_uri, raw_bodies
        self.exchange = f"{service}.events"
        self.queue = Queue(f"{service}-test-tap-{uuid.uuid4().hex[:8]}", exchange=event_exchange(self.exchange),
                           routing_key=f"{service}.#", durable=True, auto_delete=False)
        self.bodies: list[dict] = []
        self.messages: list = []
        self.declare()

    def declare(self):
        with Connection(self.amqp_uri) as conn:
            self.queue(conn.default_channel).declare()

    def _collect(self, done, timeout, what):
        deadline = time.monotonic() + timeout
        with Connection(self.amqp_uri) as conn:
            bound = self.queue(conn.default_channel)
            while not done():
                message = bound.get(no_ack=True)
                if message is None:
                    if time.monotonic() > deadline:
                        types = [body["event_type"] for body in self.bodies]
                        raise AssertionError(f"no {what} on {self.exchange} within {timeout}s; "
                                             f"{len(types)} events: {types[:50]}")
                    time.sleep(0.05)
                    continue
                self.messages.append(message)
                self.bodies.append(codec.loads(message.body))

    def drain(self, until, timeout=30.0):
        """Collect until ``until(bodies)`` is true; return the decoded bodies."""
        self._collect(lambda: until(self.bodies), timeout, "events that do")
        return self.bodies

    def until(self, event_type, count=1, timeout=30.0):
        """Collect until ``count`` of ``event_type`` arrived; return [(body, message)]."""
        self._collect(lambda: sum(body["event_type"] == event_type for body in self.bodies) >= count,
                      timeout, f"{count} {event_type}")
        if self.raw_bodies:
            return [(message.body, message) for message in self.messages]
        return list(zip(self.bodies, self.messages))

    def close(self):
        try:
            with Connection(self.amqp_uri) as conn:
                self.queue(conn.default_channel).delete()
        except OSError:
            pass


class Publisher:
    """Publishes on a service's event exchange as its outbox relay does
    (persistent JSON, the exchange declared first), on one connection."""

    def __init__(self, amqp_uri):
        self.connection = Connection(amqp_uri)
        self.producer = self.connection.Producer()

    def publish(self, exchange, routing_key, *bodies):
        """Each body as it is if str or bytes (a malformed message), else encoded."""
        declared = event_exchange(exchange)
        for body in bodies:
            self.producer.publish(body if isinstance(body, (str, bytes)) else codec.dumps(body),
                                  exchange=declared, routing_key=routing_key, content_type="application/json",
                                  content_encoding="utf-8", delivery_mode=2, declare=[declared])

    def close(self):
        self.connection.release()


def publish(amqp_uri, exchange, routing_key, *bodies):
    with closing(Publisher(amqp_uri)) as publisher:
        publisher.publish(exchange, routing_key, *bodies)


def wait_for(predicate, timeout=30.0, interval=0.05, what="condition"):
    """Poll ``predicate`` until it returns something true, and return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def provider(container, name="kernel"):
    """A container's dependency provider by attribute (the kernel: its database, store and relay)."""
    return next(d for d in container.dependencies if d.attr_name == name)


def known_to_members(members, org_id) -> bool:
    """True once the members service has projected the organisation's creation."""
    try:
        members.list_members(org_id, limit=1)
        return True
    except NotFound:
        return False


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GatewaySession(requests.Session):
    """A requests session on a running gateway at ``base`` (e.g.
    ``http://127.0.0.1:8123`` or ``.../api/v1``), sending ``headers`` (a
    bearer token) on every request: ``api.get("/orgs")`` resolves a path
    against ``base``, ``api.url(path)`` spells it out, and every request
    has a timeout, so a hung gateway fails the test instead of holding it."""

    def __init__(self, base, headers=(), timeout=30):
        super().__init__()
        self.base, self.timeout = base, timeout
        self.headers.update(headers)

    def url(self, path):
        return self.base + path

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, self.url(url) if url.startswith("/") else url, **kwargs)


def rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


def pg_database_url(name):
    """The URL of database ``name`` on the tests' PostgreSQL server."""
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


@contextmanager
def pg_admin():
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def create_database(name):
    with pg_admin() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))


def drop_databases(names):
    """Drop them even while something is still connected."""
    with pg_admin() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
