"""Publishing to RabbitMQ (or kombu's memory:// transport) with kombu.

On AMQP a batch is published on a channel in confirm mode, framed into a few
large socket writes, and the broker's acks are awaited once for the whole
batch, instead of one round trip per message; a nack or a lost connection
fails the whole batch, which the outbox then publishes again (consumers are
idempotent).
"""
import logging
import threading

import amqp
from amqp import spec
from amqp.method_framing import frame_writer
from amqp.serialization import dumps
from kombu import Connection, Exchange, Producer, Queue

log = logging.getLogger(__name__)

DEAD_LETTER_EXCHANGE = "ejia.dead_letters"
WRITE_CHUNK = 64 * 1024  # bytes per socket write: the broker starts on a batch while it is framed


class PublishFailed(Exception):
    pass


def event_exchange(name: str) -> Exchange:
    """A service's topic exchange, declared exactly as nameko declares it."""
    return Exchange(name, type="topic", durable=True, auto_delete=False, delivery_mode=2)


def dead_letter_queue(consumer: str) -> Queue:
    exchange = Exchange(DEAD_LETTER_EXCHANGE, type="topic", durable=True, delivery_mode=2)
    return Queue(f"{DEAD_LETTER_EXCHANGE}.{consumer}", exchange=exchange, routing_key=consumer,
                 durable=True, auto_delete=False)


class Message:
    __slots__ = ("exchange", "routing_key", "body", "message_id", "headers")

    def __init__(self, exchange, routing_key, body, message_id=None, headers=None):
        self.exchange, self.routing_key, self.body = exchange, routing_key, body
        self.message_id, self.headers = message_id, headers or {}


class _Buffer:
    """A transport stand-in for py-amqp's frame writer: collects the frames."""
    __slots__ = ("write",)

    def __init__(self, buffer: bytearray):
        self.write = buffer.extend


class Publisher:
    def __init__(self, amqp_uri: str, confirm_timeout: float = 10.0, connect_timeout: float = 5.0):
        self.amqp_uri = amqp_uri
        self.confirm_timeout = confirm_timeout
        self.connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._connection = None
        self._channel = None
        self._declared = set()
        self._published = self._confirmed = 0
        self._early: set[int] = set()
        self._nacked = False

    @property
    def confirms(self) -> bool:
        return not self.amqp_uri.startswith("memory://")

    def _connect(self):
        if self._channel is not None:
            return
        connection = Connection(self.amqp_uri, connect_timeout=self.connect_timeout)
        connection.ensure_connection(max_retries=1)
        channel = connection.channel()
        if self.confirms:
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
        self._connection, self._channel = connection, channel
        self._declared.clear()
        self._published = self._confirmed = 0  # delivery tags start again on a new channel
        self._early = set()

    def _on_ack(self, delivery_tag, multiple):
        """Every delivery tag up to ``_confirmed`` is confirmed. The broker may
        confirm out of order, so a single ack above that mark waits in
        ``_early`` until the tags below it are confirmed too."""
        if multiple:
            self._confirmed = max(self._confirmed, delivery_tag)
            if self._early:
                self._early = {tag for tag in self._early if tag > self._confirmed}
        elif delivery_tag > self._confirmed:
            self._early.add(delivery_tag)
        while self._confirmed + 1 in self._early:
            self._confirmed += 1
            self._early.remove(self._confirmed)

    def _on_nack(self, delivery_tag, multiple):
        self._nacked = True

    def close(self):
        with self._lock:
            self._reset()

    def _reset(self):
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # the connection is already gone
                pass

    def declare(self, entity):
        entity(self._channel).declare()

    def publish_batch(self, messages: list[Message]):
        """Publish all ``messages``, persistent; return when the broker confirmed them all."""
        if not messages:
            return
        with self._lock:
            try:
                self._connect()
                self._nacked = False
                for exchange in {message.exchange for message in messages} - self._declared:
                    event_exchange(exchange)(self._channel).declare()
                    self._declared.add(exchange)
                if self.confirms:
                    self._write_batch(messages)
                    self._await_confirms()
                else:
                    producer = Producer(self._channel)
                    for message in messages:
                        producer.publish(message.body, exchange=message.exchange,
                                         routing_key=message.routing_key, delivery_mode=2,
                                         content_type="application/json",
                                         content_encoding="utf-8",
                                         message_id=message.message_id,
                                         headers=message.headers, retry=False)
            except Exception as exc:
                self._reset()
                raise PublishFailed(str(exc) or type(exc).__name__) from exc

    def _write_batch(self, messages: list[Message]):
        """Frame the batch with py-amqp's own frame writer into a buffer, sent
        WRITE_CHUNK bytes at a time.

        Per message, kombu's ``Producer.publish`` and py-amqp's ``basic_publish``
        cost more than the broker does: one socket write each, plus a
        non-blocking read (the connection.blocked check, an exception when
        there is nothing to read). Here the frames on the wire are the same,
        the properties are those ``Producer.publish`` sets, and a blocked
        broker still shows: its confirms do not come and the batch times out.
        """
        connection = self._channel.connection
        channel_id = self._channel.channel_id
        buffer = bytearray()
        write_frame = frame_writer(connection, _Buffer(buffer))
        for message in messages:
            body = message.body
            content = amqp.Message(body.encode("utf-8") if isinstance(body, str) else body,
                                   content_type="application/json", content_encoding="utf-8",
                                   application_headers=message.headers, delivery_mode=2,
                                   priority=0, message_id=message.message_id)
            args = dumps("Bssbb", (0, message.exchange, message.routing_key, False, False))
            write_frame(1, channel_id, spec.Basic.Publish, args, content)
            if len(buffer) >= WRITE_CHUNK:
                connection.transport.write(buffer)
                buffer.clear()
        connection.transport.write(buffer)
        self._published += len(messages)

    def _await_confirms(self):
        connection = self._connection.connection
        while self._confirmed < self._published:
            connection.drain_events(timeout=self.confirm_timeout)
            if self._nacked:
                raise PublishFailed("the broker refused (nacked) a message")

    def send_dead_letter(self, consumer: str, body, reason: str, headers=None):
        """Park a message that cannot be handled, with the reason, on its consumer's dead-letter queue."""
        with self._lock:
            try:
                self._connect()
                self._nacked = False
                queue = dead_letter_queue(consumer)
                queue(self._channel).declare()
                raw = isinstance(body, (bytes, str))
                if isinstance(body, str):
                    body = body.encode("utf-8")
                Producer(self._channel).publish(
                    body, exchange=queue.exchange, routing_key=consumer, delivery_mode=2,
                    **({"content_type": "application/octet-stream", "content_encoding": "binary"}
                       if raw else {"serializer": "json"}),
                    headers={**(headers or {}), "x-ejia-dead-letter-reason": reason[:1000],
                             "x-ejia-consumer": consumer},
                    retry=False)
                self._published += 1
                if self.confirms:
                    self._await_confirms()
            except Exception:
                self._reset()
                raise
