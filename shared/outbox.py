"""The outbox relay: publishes committed events that are not yet published.

It runs right after each commit and on a timer sweep, so an event committed
while the broker is down is published when the broker is back. Rows are
marked published in a transaction that commits only after the broker
confirmed them: delivery is at-least-once, and consumers' inboxes make it
effectively once.
"""
import logging

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from . import codec
from .bus import Message, Publisher
from .tables import outbox, outbox_checkpoints

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, db, publisher: Publisher, batch_size: int = 500):
        self.db = db
        self.publisher = publisher
        self.batch_size = batch_size
        # One statement claims a batch: the oldest unpublished rows are marked
        # published and returned, in a transaction that commits only once the
        # broker has confirmed them (a failed publish rolls the mark back). On
        # PostgreSQL, FOR UPDATE SKIP LOCKED: replicas share the outbox, each
        # takes rows the others are not relaying.
        pending = (select(outbox.c.id).where(outbox.c.published_at.is_(None))
                   .order_by(outbox.c.id).limit(bindparam("batch")))
        if not db.is_sqlite:
            pending = pending.with_for_update(skip_locked=True)
        self._claim = (update(outbox).where(outbox.c.id.in_(pending.scalar_subquery()))
                       .values(published_at=bindparam("now"))
                       .returning(outbox.c.id, outbox.c.event_id, outbox.c.exchange, outbox.c.routing_key,
                                  outbox.c.body))

    def publish_pending(self, max_batches: int | None = None) -> int:
        """Publish unpublished rows in batches; return how many were published."""
        published = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            with self.db.begin() as conn:
                rows = sorted(conn.execute(self._claim, {"batch": self.batch_size, "now": codec.utcnow()}).all())
                if not rows:
                    break
                self.publisher.publish_batch([
                    Message(row.exchange, row.routing_key, row.body, message_id=row.event_id)
                    for row in rows])
            published += len(rows)
            batches += 1
            if len(rows) < self.batch_size:
                break
        return published

    def backlog(self) -> int:
        with self.db.connect() as conn:
            return conn.execute(select(func.count()).where(outbox.c.published_at.is_(None))).scalar_one()


# ---- the delivery checkpoint (embedded mode) -------------------------------------------
# On RabbitMQ a published message is the broker's to keep. On memory:// it is
# gone with the process: rows marked published may never have reached their
# consumers. The embedded runner records, whenever the platform is idle (no
# message queued or in a worker, nothing unpublished), the last outbox row
# every consumer has; a start makes every later row unpublished again, the
# relay sends them, and the consumers' inboxes drop what they already had.
DELIVERED = "delivered"


def last_outbox_id(conn) -> int:
    return conn.execute(select(func.max(outbox.c.id))).scalar() or 0


def delivered_through(conn) -> int:
    return conn.execute(select(outbox_checkpoints.c.outbox_id)
                        .where(outbox_checkpoints.c.name == DELIVERED)).scalar() or 0


def mark_delivered_through(conn, outbox_id: int):
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(outbox_checkpoints).values(name=DELIVERED, outbox_id=outbox_id,
                                                          set_at=codec.utcnow())
    conn.execute(statement.on_conflict_do_update(
        index_elements=["name"], set_={"outbox_id": outbox_id, "set_at": statement.excluded.set_at},
        where=outbox_checkpoints.c.outbox_id < outbox_id))


def redeliver_after_checkpoint(conn) -> int:
    """Mark every row past the checkpoint unpublished again; how many."""
    return conn.execute(update(outbox).where(outbox.c.id > delivered_through(conn),
                                             outbox.c.published_at.is_not(None))
                        .values(published_at=None)).rowcount
