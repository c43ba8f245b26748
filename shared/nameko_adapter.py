"""Everything that ties the kernel to nameko and eventlet lives here, so that
the store, outbox, inbox and the services' domain code never import them.

- ``EventSourcing``: a dependency provider handing each worker a unit of
  work and an inbox, and running the outbox relay (after each commit, and on
  a timer sweep that catches up after a broker outage);
- ``event_consumer``: an event handler that validates against the catalog,
  retries a failing message a bounded number of times, then parks it on a
  dead-letter queue with the reason, and goes on with the next one;
- ``domain_rpc``: ``@rpc`` whose domain errors travel to the caller intact;
- ``CallContext``: the actor and correlation id carried across RPC calls;
- ``prepare_memory_transport``: the two fixes embedded mode needs.
"""
import logging
import threading
import uuid

import eventlet
from nameko.events import SERVICE_POOL, EventHandler
from nameko.exceptions import deserialize_to_instance
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from . import codec, readmodel
from .access import TokenInvalid, verify_access_token
from .bus import Message, PublishFailed, Publisher
from .catalog import InvalidEvent, catalog
from .database import Database
from .envelope import CommandContext, Envelope
from .errors import DOMAIN_ERRORS
from .idempotency import once
from .inbox import Inbox
from .outbox import OutboxRelay
from .store import EventStore, UnitOfWork

log = logging.getLogger(__name__)

for _error in DOMAIN_ERRORS:
    deserialize_to_instance(_error)

domain_rpc = rpc(expected_exceptions=DOMAIN_ERRORS)

ACTOR_KEY = "ejia_actor"
CORRELATION_KEY = "ejia_correlation_id"
TOKEN_KEY = "ejia_access_token"  # the caller's access token, forwarded so services verify it themselves
IDEMPOTENCY_KEY = "ejia_idempotency_key"  # the HTTP request's Idempotency-Key (idempotency.py)
ATTEMPT_HEADER = "x-ejia-attempt"


def db_url(config, service):
    try:
        return config["DB_URIS"][service]
    except KeyError:
        raise RuntimeError(f"config has no DB_URIS.{service}: set EJIA_{service.upper()}_DB_URL") from None


class CallContext(DependencyProvider):
    """Reads and sets who is acting, carried in nameko's context data.

    The gateway also forwards the caller's access token; ``principal()``
    verifies it with this container's ``JWT_SECRET``, so a service that
    decides on personal data trusts a signature, not whoever sent the
    message on the broker."""

    def get_dependency(self, worker_ctx):
        return _CallContext(worker_ctx, self.container.config.get("JWT_SECRET"))


class _CallContext:
    def __init__(self, worker_ctx, secret=None):
        self._data = worker_ctx.data  # not .context_data: that is a copy, and set() must reach the headers
        self._call_id = worker_ctx.call_id
        self._secret = secret

    def set(self, actor=None, correlation_id=None, access_token=None):
        self._data[ACTOR_KEY] = actor
        self._data[CORRELATION_KEY] = correlation_id or str(uuid.uuid4())
        if access_token is not None:
            self._data[TOKEN_KEY] = access_token

    def set_idempotency_key(self, key: str | None):
        """Carried to every call this worker makes; only ``Kernel.once`` reads it."""
        if key is not None:
            self._data[IDEMPOTENCY_KEY] = key

    def idempotency_key(self) -> str | None:
        return self._data.get(IDEMPOTENCY_KEY)

    def principal(self):
        """The verified ``shared.access.Principal`` of the forwarded token, or
        None: no token (a service's own call, a timer), or one that does not
        verify here."""
        token = self._data.get(TOKEN_KEY)
        if not token:
            return None
        try:
            return verify_access_token(self._secret, token)
        except TokenInvalid:
            return None

    def command_context(self) -> CommandContext:
        return CommandContext(actor=self._data.get(ACTOR_KEY),
                              correlation_id=self._data.get(CORRELATION_KEY) or self._call_id)


class Kernel:
    """What a worker gets: units of work, the inbox, and direct reads."""

    def __init__(self, provider, worker_ctx):
        self._provider = provider
        self.db = provider.db
        self.store = provider.store
        self.inbox = provider.inbox
        call = _CallContext(worker_ctx)
        self.context = call.command_context()
        self.idempotency_key = call.idempotency_key()

    def unit_of_work(self, context: CommandContext | None = None) -> UnitOfWork:
        return UnitOfWork(self.db, self.store, context or self.context,
                          on_commit=self._provider.kick_relay)

    def once(self, command: str, request, run) -> str:
        """``run(uow)`` once per the caller's idempotency key (idempotency.py):
        the id it returned, the first time or on any retry."""
        return once(self.unit_of_work, self.db.connect, command, self.idempotency_key, request, run,
                    self._provider.digest_key)

    def handle_once(self, consumer: str, envelope: Envelope, apply) -> bool:
        return self.inbox.handle(consumer, envelope, apply)

    def feed(self, model: readmodel.ReadModel, envelope: Envelope) -> bool:
        """Apply another service's event to one of this service's declared
        read models, once: through the inbox, under the consumer name the
        declaration gives (``<service>.<read model>``). False if it was a
        redelivery, or an event the read model has no handler for."""
        return readmodel.feed(self.inbox, self.store.service, model, envelope)


class EventSourcing(DependencyProvider):
    """``read_models``: the service's declared read models (shared/readmodel.py);
    the inline ones are fed by the store, and any whose version changed is
    rebuilt from the events before the service starts. ``projectors`` and
    ``metadatas``: undeclared projections and the tables of data that is not
    derived from events."""

    def __init__(self, service: str, projectors=(), metadatas=(), read_models=(), sweep_interval: float = 1.0):
        self.service = service
        self.read_models = tuple(read_models)
        inline = [model for model in self.read_models if model.source is None]
        self.projectors = [*inline, *projectors]
        self.metadatas = metadatas
        self.sweep_interval = sweep_interval

    def setup(self):
        config = self.container.config
        self.db = Database(db_url(config, self.service), *self.metadatas)
        self.store = EventStore(self.service, catalog, self.projectors)
        readmodel.ensure(self.db, self.store, self.read_models)
        self.inbox = Inbox(self.db)
        self.publisher = Publisher(config["AMQP_URI"])
        self.relay = OutboxRelay(self.db, self.publisher)
        self.digest_key = config.get("JWT_SECRET")  # keys the digests of idempotent requests
        self._wake = threading.Event()
        self._running = False
        self._thread = None

    def start(self):
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._relay_loop)

    def stop(self):
        self._running = False
        self._wake.set()
        if self._thread is not None:
            self._thread.wait()
        self.publisher.close()
        self.db.dispose()

    def kill(self):
        self._running = False
        if self._thread is not None:
            self._thread.kill()
        self.publisher.close()

    def kick_relay(self):
        self._wake.set()

    def _relay_loop(self):
        while self._running:
            self._wake.wait(self.sweep_interval)
            self._wake.clear()
            if not self._running:
                break
            try:
                self.relay.publish_pending()
            except PublishFailed as exc:
                log.warning("%s outbox: broker unavailable (%s); will retry", self.service, exc)
            except Exception:
                log.exception("%s outbox relay failed; will retry", self.service)
            eventlet.sleep(0)

    def get_dependency(self, worker_ctx):
        return Kernel(self, worker_ctx)


class ReliableEventHandler(EventHandler):
    """An event handler that is given a validated, upcast ``Envelope``.

    A message that is not a valid event is dead-lettered at once; one whose
    handler raises is retried (re-queued at the back) up to ``max_attempts``
    times, then dead-lettered with the error. Either way it is acked and the
    consumer goes on.
    """

    max_attempts = 3

    def __init__(self, source_service, event_type, **kwargs):
        kwargs.setdefault("handler_type", SERVICE_POOL)
        super().__init__(source_service, event_type, reliable_delivery=True,
                         requeue_on_error=False, **kwargs)

    def setup(self):
        super().setup()
        self.consumer_name = f"{self.container.service_name}.{self.method_name}"
        self._publisher = Publisher(self.container.config["AMQP_URI"])

    def stop(self):
        super().stop()
        self._publisher.close()

    def handle_message(self, body, message):
        try:
            envelope = catalog.from_wire(body)
        except InvalidEvent as exc:
            self._dead_letter(body, message, f"invalid event: {exc}")
            return
        super().handle_message(envelope, message)

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is not None:
            attempt = int(message.headers.get(ATTEMPT_HEADER, 1))
            error = f"{exc_info[0].__name__}: {exc_info[1]}"
            if attempt < self.max_attempts:
                log.warning("%s failed on attempt %s (%s); retrying", self.consumer_name, attempt, error)
                try:
                    self._publisher.publish_batch([Message(
                        "", self.queue.name, codec.dumps(message.payload),
                        message_id=message.properties.get("message_id"),
                        headers={ATTEMPT_HEADER: attempt + 1})])
                except PublishFailed:
                    self.queue_consumer.requeue_message(message)
                    return
            elif not self._dead_letter(message.payload, message,
                                       f"failed {attempt} times: {error}", ack=False):
                return
        self.queue_consumer.ack_message(message)

    def handle_undecodable(self, message, exc):
        self._dead_letter(message.body, message, f"undecodable body: {exc}")

    def _dead_letter(self, body, message, reason, ack=True):
        try:
            self._publisher.send_dead_letter(self.consumer_name, body, reason)
            log.error("%s dead-lettered a message: %s", self.consumer_name, reason)
        except Exception:
            log.exception("%s could not dead-letter; requeueing", self.consumer_name)
            self.queue_consumer.requeue_message(message)
            return False
        if ack:
            self.queue_consumer.ack_message(message)
        return True


event_consumer = ReliableEventHandler.decorator


class _ExpectedErrorsOnOneLine(logging.Filter):
    """nameko logs every expected error (a domain error: a refused rule, a
    404, a 409, the caller's 4xx) with its traceback. It is an answer, not a
    fault: keep it as one line naming the error, without the traceback."""

    def filter(self, record):
        if record.exc_info and str(record.msg).startswith("(expected)"):
            error = record.exc_info[1]
            worker = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.msg = "(expected) error handling worker %s: %s %s"
            record.args = (worker, getattr(error, "code", type(error).__name__), str(error)[:300])
            record.exc_info = record.exc_text = None
        return True


logging.getLogger("nameko.containers").addFilter(_ExpectedErrorsOnOneLine())


def _route_decode_errors_to_dead_letters():
    """kombu acks and drops a message whose body it cannot decode; give it to
    the reliable handler that consumed it instead, which dead-letters it."""
    from nameko.messaging import QueueConsumer

    original = QueueConsumer.on_decode_error

    def on_decode_error(self, message, exc):
        tag = message.delivery_info.get("consumer_tag")
        for provider, consumer in list(self._consumers.items()):
            if isinstance(provider, ReliableEventHandler) and tag in consumer._active_tags.values():
                provider.handle_undecodable(message, exc)
                return
        original(self, message, exc)

    QueueConsumer.on_decode_error = on_decode_error


_route_decode_errors_to_dead_letters()


def _survive_a_lost_broker_connection():
    """nameko 2.14 kills the whole container when a worker cannot ack, requeue
    or answer a message because the broker connection went away (a broker
    restart with RPC calls in flight): it ignores only amqp's own
    ConnectionError, not the socket errors py-amqp 5 raises, and lets a
    failed RPC reply escape the worker. Both are harmless: the broker
    redelivers a lost connection's unacked messages, and a caller that got no
    reply calls again. Log them and go on instead."""
    from amqp.exceptions import ConnectionError as AmqpConnectionError
    from kombu.exceptions import OperationalError
    from nameko.messaging import QueueConsumer
    from nameko.rpc import RpcConsumer

    lost = (OSError, AmqpConnectionError, OperationalError)

    def tolerant(original, what):
        def method(self, message):
            try:
                return original(self, message)
            except lost as exc:
                log.warning("could not %s a message, the broker connection is gone (%s): "
                            "the broker redelivers it", what, exc)
        return method

    QueueConsumer.ack_message = tolerant(QueueConsumer.ack_message, "ack")
    QueueConsumer.requeue_message = tolerant(QueueConsumer.requeue_message, "requeue")
    reply = RpcConsumer.handle_result

    def handle_result(self, message, result, exc_info):
        try:
            return reply(self, message, result, exc_info)
        except lost as exc:
            log.warning("could not answer an RPC call, the broker connection is gone (%s): "
                        "the request is redelivered", exc)
            self.queue_consumer.requeue_message(message)
            return result, exc_info

    RpcConsumer.handle_result = handle_result


_survive_a_lost_broker_connection()


def _replies_without_confirms():
    """An RPC reply is published without waiting for the broker's confirm.
    Waiting costs every call a round trip to the broker and a quarter of a
    read's CPU, and buys little: a reply the broker drops (it died at that
    moment) leaves the caller to time out and answer 503, as a reply lost
    after a confirm does; what the call did is in its service's store and
    outbox either way. Requests keep their confirms: nameko relies on them
    to tell at once that no service is listening (UnknownService)."""
    from nameko.amqp.publish import Publisher as NamekoPublisher
    from nameko.rpc import Responder

    class ReplyPublisher(NamekoPublisher):
        use_confirms = False

    Responder.publisher_cls = ReplyPublisher


_replies_without_confirms()


def prepare_memory_transport(polling_interval: float = 0.005):
    """Make nameko usable over kombu's memory:// transport (docs/architecture.md, Stack notes):
    poll fast, and give RPC replies the content type nameko looks for."""
    from kombu.transport import virtual
    from nameko import rpc as nameko_rpc

    virtual.Transport.polling_interval = polling_interval
    if getattr(nameko_rpc.Responder, "_ejia_patched", False):
        return
    original = nameko_rpc.Responder.send_response

    def send_response(self, result, exc_info):
        properties = self.message.properties
        if "content_type" not in properties:
            properties["content_type"] = self.message.content_type
        return original(self, result, exc_info)

    nameko_rpc.Responder.send_response = send_response
    nameko_rpc.Responder._ejia_patched = True
