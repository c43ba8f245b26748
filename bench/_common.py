"""Helpers shared by the benchmarks: timing, a counted RabbitMQ sink queue,
a throwaway PostgreSQL database, and the result table."""
import contextlib
import os
import statistics
import sys
import time
import uuid
import warnings
from pathlib import Path

from kombu import Connection, Queue
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # as pytest's config does

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/x.py` from any venv
    sys.path.insert(0, str(ROOT))

from shared.bus import event_exchange  # noqa: E402

AMQP_URI = os.environ.get("EJIA_AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")
PG_ADMIN_URL = os.environ.get("EJIA_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def run_id() -> str:
    """Letters only, so it is valid in exchange, queue and database names."""
    return "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:8])


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def median_rate(events: int, seconds: list[float]) -> float:
    return events / statistics.median(seconds)


class Sink:
    """A topic exchange (declared as nameko and the kernel declare it) with one
    bound durable queue, so every benchmark can check what really arrived."""

    def __init__(self, amqp_uri: str, exchange: str, routing_key: str = "#"):
        self.exchange = event_exchange(exchange)
        self.queue = Queue(f"{exchange}.sink", exchange=self.exchange, routing_key=routing_key,
                           durable=True, auto_delete=False)
        self.connection = Connection(amqp_uri)
        self.channel = self.connection.channel()
        self.bound = self.queue(self.channel)
        self.bound.declare()

    def count(self) -> int:
        return self.bound.queue_declare(passive=True).message_count

    def purge(self):
        self.bound.purge()

    def expect(self, what: str, events: int):
        """Fail loudly if the queue does not hold exactly ``events`` messages, then empty it."""
        got = self.count()
        if got != events:
            raise SystemExit(f"{what}: {got} messages arrived, expected {events}")
        self.purge()

    def close(self):
        with contextlib.suppress(Exception):
            self.bound.delete()
            self.exchange(self.channel).delete()
        self.connection.release()


@contextlib.contextmanager
def fresh_database(admin_url: str, name: str):
    """A new PostgreSQL database (its URL), dropped on the way out."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def print_table(rows: list[tuple], headers: tuple):
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join("{:<%d}" % w if i == 0 else "{:>%d}" % w for i, w in enumerate(widths))
    print(line.format(*headers))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))
