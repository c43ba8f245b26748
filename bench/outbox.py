"""How fast do events leave through the outbox, next to nameko and raw kombu?

One run on RabbitMQ and PostgreSQL; every figure is a median of --repeat
runs of --events events, the methods interleaved round by round so that
noise from a shared machine falls on all of them alike. Each run checks
that its sink queue holds exactly --events messages before it counts.

    .venv/bin/python bench/outbox.py [--events 1000] [--repeat 3] [--json]

See bench/README.md for what each row means.
"""
import argparse
import json
import threading
import uuid

# _common first: it puts the repository root on sys.path for `shared`.
from _common import (AMQP_URI, PG_ADMIN_URL, Sink, fresh_database, median_rate, print_table,
                     run_id, timed)
from kombu import Connection
from marshmallow import fields
from nameko.standalone.events import event_dispatcher
from sqlalchemy import text

from shared import codec
from shared.aggregate import Aggregate, when
from shared.bus import Publisher, event_exchange
from shared.catalog import catalog
from shared.database import Database
from shared.envelope import Envelope
from shared.event import Event
from shared.outbox import OutboxRelay
from shared.store import EventStore, UnitOfWork

EVENT_TYPE = "bench.thing_named"


class ThingNamed(Event):
    """A benchmark thing was given a name."""
    event_type = EVENT_TYPE
    name = fields.String(required=True)


if not catalog.knows(ThingNamed.event_type):  # imported as __main__ and as a module
    catalog.register(ThingNamed)


class Thing(Aggregate):
    aggregate_type = "thing"

    def name_it(self, name):
        self.record(ThingNamed(name=name))

    @when(ThingNamed)
    def when_thing_named(self, payload):
        self.name = payload["name"]


class RelayThread(threading.Thread):
    """The relay loop of shared.nameko_adapter.EventSourcing, on a plain thread:
    woken after each commit (and every second), it publishes what is pending."""

    def __init__(self, relay: OutboxRelay, target: int):
        super().__init__(daemon=True)
        self.relay, self.target = relay, target
        self.published, self.error = 0, None
        self.wake, self.done = threading.Event(), threading.Event()

    def run(self):
        try:
            while self.published < self.target:
                self.wake.wait(1.0)
                self.wake.clear()
                self.published += self.relay.publish_pending()
        except Exception as exc:  # reported by end_to_end
            self.error = exc
        self.done.set()


class OutboxBench:
    def __init__(self, events: int, amqp_uri: str, db_url: str, service: str):
        self.events, self.amqp_uri = events, amqp_uri
        self.exchange = f"{service}.events"
        self.sink = Sink(amqp_uri, self.exchange)
        self.db = Database(db_url)
        self.store = EventStore(service, catalog)
        self.publisher = Publisher(amqp_uri)
        self.relay = OutboxRelay(self.db, self.publisher)
        # nameko's dispatcher publishes to "<service>.events", the same exchange.
        self.service = service
        self.dispatch = event_dispatcher({"AMQP_URI": amqp_uri})
        self.body = codec.dumps(catalog.to_wire(Envelope(
            event_type=EVENT_TYPE, event_version=1, aggregate_type="thing",
            aggregate_id=str(uuid.uuid4()), aggregate_version=1, payload={"name": "第一支部"})))
        self._warm_up()

    def _warm_up(self):
        """Connect everything and fill the caches once, outside the timings."""
        self.dispatch(self.service, EVENT_TYPE, codec.loads(self.body))
        self.commands(1)
        self.relay.publish_pending()
        self._reset()

    def _reset(self):
        self.sink.purge()
        with self.db.begin() as conn:
            conn.execute(text("TRUNCATE events, outbox RESTART IDENTITY"))

    def close(self):
        self.publisher.close()
        self.sink.close()
        self.db.dispose()

    # --- the baselines -----------------------------------------------------
    def raw_confirm(self) -> float:
        """kombu Producer.publish, persistent, each message confirmed before the next."""
        with Connection(self.amqp_uri, transport_options={"confirm_publish": True}) as conn:
            producer = conn.Producer()
            exchange = event_exchange(self.exchange)

            def publish(count):
                for _ in range(count):
                    producer.publish(self.body, exchange=exchange, routing_key=EVENT_TYPE,
                                     delivery_mode=2, content_type="application/json",
                                     content_encoding="utf-8", retry=False)
            publish(1)  # connect and select confirm mode
            self.sink.purge()
            seconds = timed(publish, self.events)
        self.sink.expect("raw kombu publish", self.events)
        return seconds

    def nameko_dispatcher(self) -> float:
        payload = codec.loads(self.body)

        def dispatch_all():
            for _ in range(self.events):
                self.dispatch(self.service, EVENT_TYPE, payload)
        seconds = timed(dispatch_all)
        self.sink.expect("nameko EventDispatcher", self.events)
        return seconds

    # --- the project -------------------------------------------------------
    def commands(self, count: int, on_commit=None):
        """``count`` commands, one event each, each its own transaction, as the
        services' command handlers do (look the aggregate up, record, save)."""
        for i in range(count):
            thing_id = str(uuid.uuid4())
            with UnitOfWork(self.db, self.store, on_commit=on_commit) as uow:
                thing = uow.find(Thing, thing_id) or Thing(thing_id)
                thing.name_it(f"thing {i}")
                uow.save(thing)

    def append_then_relay(self) -> tuple[float, float]:
        """(append-only seconds, relay-only seconds draining that backlog)."""
        self._reset()
        append = timed(self.commands, self.events)
        published = []
        relay = timed(lambda: published.append(self.relay.publish_pending()))
        if published != [self.events] or self.relay.backlog():
            raise SystemExit(f"relay published {published}, expected {self.events}")
        self.sink.expect("outbox relay", self.events)
        return append, relay

    # --- reading the log ------------------------------------------------------
    LOG_PAGE = 1000

    def fill_log(self, count: int):
        """``count`` events in the store, in transactions of 1,000 (what the
        reading rows read; the commands above are timed elsewhere)."""
        self._reset()
        for start in range(0, count, self.LOG_PAGE):
            with UnitOfWork(self.db, self.store) as uow:
                for i in range(start, min(count, start + self.LOG_PAGE)):
                    thing = Thing(str(uuid.uuid4()))
                    thing.name_it(f"第{i}支部")
                    uow.save(thing)

    def read_log(self, count: int) -> float:
        """The whole log in order, pages of 1,000, decoded to envelopes."""
        def read():
            seen, after = 0, 0
            with self.db.connect() as conn:
                while page := self.store.read_log(conn, after, self.LOG_PAGE):
                    after, seen = page[-1][0], seen + len(page)
            if seen != count:
                raise SystemExit(f"read the log: {seen} events, expected {count}")
        return timed(read)

    def raw_select(self, count: int) -> float:
        """The same rows and pages by plain psycopg2, fetched and not decoded: the floor."""
        def read():
            seen, after = 0, 0
            dbapi = self.db.engine.raw_connection()
            try:
                cursor = dbapi.cursor()
                while True:
                    cursor.execute("SELECT * FROM events WHERE position > %s ORDER BY position LIMIT %s",
                                   (after, self.LOG_PAGE))
                    rows = cursor.fetchall()
                    if not rows:
                        break
                    after, seen = rows[-1][0], seen + len(rows)
                dbapi.rollback()
            finally:
                dbapi.close()
            if seen != count:
                raise SystemExit(f"raw select: {seen} rows, expected {count}")
        return timed(read)

    def end_to_end(self) -> float:
        """Commands with the relay running beside them, until the last event is confirmed."""
        self._reset()
        relay = RelayThread(self.relay, self.events)

        def run():
            relay.start()
            self.commands(self.events, on_commit=relay.wake.set)
            relay.done.wait(timeout=120)
        seconds = timed(run)
        relay.join(timeout=1)
        if relay.error is not None:
            raise SystemExit(f"end to end: the relay failed: {relay.error!r}")
        if relay.published != self.events or self.relay.backlog():
            raise SystemExit(f"end to end published {relay.published}, expected {self.events}")
        self.sink.expect("append + relay", self.events)
        return seconds


ROWS = [
    ("raw_confirm", "raw kombu publish, confirm per message"),
    ("nameko", "nameko EventDispatcher (standalone)"),
    ("end_to_end", "eJia append + relay, end to end"),
    ("relay", "eJia relay only (drain backlog)"),
    ("append", "eJia append only (1 event/command)"),
]
LOG_ROWS = [
    ("read_log", "eJia reading the log, decoded"),
    ("raw_select", "raw psycopg2 SELECT of the same rows"),
]
RATIOS = [
    ("relay / EventDispatcher", "relay", "nameko"),
    ("relay / raw confirm", "relay", "raw_confirm"),
    ("end-to-end / EventDispatcher", "end_to_end", "nameko"),
    ("read log / raw SELECT", "read_log", "raw_select"),
]
TARGETS = {"relay / EventDispatcher": 2.0, "end-to-end / EventDispatcher": 0.6, "read log / raw SELECT": 0.3}


def measure(events: int, repeat: int, amqp_uri: str, pg_admin_url: str, log_events: int) -> dict:
    service = f"bench{run_id()}"
    seconds = {key: [] for key, _ in ROWS + LOG_ROWS}
    with fresh_database(pg_admin_url, f"ejia_{service}") as db_url:
        bench = OutboxBench(events, amqp_uri, db_url, service)
        try:
            for _ in range(repeat):
                seconds["raw_confirm"].append(bench.raw_confirm())
                seconds["nameko"].append(bench.nameko_dispatcher())
                append, relay = bench.append_then_relay()
                seconds["append"].append(append)
                seconds["relay"].append(relay)
                seconds["end_to_end"].append(bench.end_to_end())
            bench.fill_log(log_events)
            for _ in range(repeat):  # interleaved, so noise falls on both
                seconds["read_log"].append(bench.read_log(log_events))
                seconds["raw_select"].append(bench.raw_select(log_events))
        finally:
            bench.close()
    rates = {key: median_rate(log_events if key in dict(LOG_ROWS) else events, runs)
             for key, runs in seconds.items()}
    ratios = {name: rates[a] / rates[b] for name, a, b in RATIOS}
    return {"events": events, "log_events": log_events, "repeat": repeat, "rates": rates, "seconds": seconds,
            "ratios": ratios, "targets": TARGETS,
            "targets_met": {name: ratios[name] >= target for name, target in TARGETS.items()}}


def report(result: dict):
    print(f"{result['events']} events per run, median of {result['repeat']} runs "
          f"(RabbitMQ + PostgreSQL, persistent, publisher confirms)\n")
    print_table([(label, f"{result['rates'][key]:,.0f}",
                  " ".join(f"{s:.2f}" for s in result["seconds"][key])) for key, label in ROWS + LOG_ROWS],
                ("method", "events/s", "runs (s)"))
    print(f"(reading: a log of {result['log_events']:,} events, pages of {OutboxBench.LOG_PAGE:,})\n")
    print_table([(name, f"{value:.2f}x",
                  f">= {result['targets'][name]}x" if name in result["targets"] else "",
                  ("met" if result["targets_met"][name] else "NOT MET") if name in result["targets"] else "")
                 for name, value in result["ratios"].items()],
                ("ratio", "value", "target", ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1000, help="events per run (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per method; the median counts")
    parser.add_argument("--log-events", type=int, default=20000,
                        help="events in the log the reading rows read (default 20,000)")
    parser.add_argument("--amqp-uri", default=AMQP_URI)
    parser.add_argument("--pg-url", default=PG_ADMIN_URL,
                        help="a PostgreSQL URL whose server gets a throwaway database")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    result = measure(args.events, args.repeat, args.amqp_uri, args.pg_url, args.log_events)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)


if __name__ == "__main__":
    main()
