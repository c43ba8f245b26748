"""eJia's event store beside the eventsourcing library, on the same PostgreSQL.

    .venv/bin/python bench/peer.py            # about a minute here
    .venv/bin/python bench/peer.py --json

Four operations, each run by both libraries in chunks, interleaved (who goes
first alternates by round), 5 rounds; each figure is the median round:

- create: a new aggregate with one event, saved in its own transaction.
  eJia as a command does it: ``uow.find`` (the id is looked up), record, save
  (the events and outbox rows). eventsourcing: ``Thing(name)``, ``app.save``.
- append: load an aggregate, record one more event, save: eJia ``uow.load``,
  eventsourcing ``app.repository.get``; cycling over aggregates of a few events.
- load: an aggregate of 20 events, in a read transaction: eJia ``uow.find``
  (what a command does), eventsourcing ``app.repository.get`` (no cache, no
  snapshots). Events/s loaded.
- read the log: every event in order, pages of 1,000, decoded: eJia
  ``EventStore.read_log``, eventsourcing ``recorder.select_notifications``
  mapped through ``mapper.to_domain_event``. Beside them, a raw psycopg2
  SELECT of eJia's rows (the floor).

eventsourcing 9.5.6 runs on psycopg 3 with its binary driver (its own
choice), eJia on SQLAlchemy + psycopg2. Targets: eJia at least 1.0x on each,
at least 2x on reading the log.
"""
import argparse
import datetime as dt
import json
import os
import statistics
import time
import uuid

from _common import PG_ADMIN_URL, fresh_database, print_table, run_id
from marshmallow import fields
from sqlalchemy.engine import make_url

from shared.aggregate import Aggregate, when
from shared.catalog import catalog
from shared.database import Database
from shared.event import Event
from shared.store import EventStore, UnitOfWork

ROUNDS = 5


# ---- the same aggregate in both ------------------------------------------------------------

class PeerThingNamed(Event):
    """A benchmark thing was named."""
    event_type = "peer.thing_named"
    name = fields.String(required=True)
    named_on = fields.Date(required=True)


class PeerThingRenamed(Event):
    event_type = "peer.thing_renamed"
    name = fields.String(required=True)
    renamed_on = fields.Date(required=True)


for _cls in (PeerThingNamed, PeerThingRenamed):
    if not catalog.knows(_cls.event_type):
        catalog.register(_cls)


class Thing(Aggregate):
    aggregate_type = "peer_thing"

    def name_it(self, name):
        self.record(PeerThingNamed(name=name, named_on=dt.date(2026, 12, 2)))

    def rename(self, name):
        self.record(PeerThingRenamed(name=name, renamed_on=dt.date(2026, 12, 2)))

    @when(PeerThingNamed, PeerThingRenamed)
    def when_named(self, payload):
        self.name = payload["name"]


def peer_classes():
    from eventsourcing.domain import Aggregate as EsAggregate, event

    class EsThing(EsAggregate):
        @event("Named")
        def __init__(self, name: str, named_on: dt.date):
            self.name = name

        @event("Renamed")
        def rename(self, name: str, renamed_on: dt.date):
            self.name = name
    return EsThing


# ---- the two sides ---------------------------------------------------------------------------

class EjiaSide:
    label = "eJia"

    def __init__(self, url):
        self.db = Database(url)
        self.store = EventStore("peer", catalog)

    def create(self, count):
        ids = []
        for i in range(count):
            thing_id = str(uuid.uuid4())
            with UnitOfWork(self.db, self.store) as uow:
                thing = uow.find(Thing, thing_id) or Thing(thing_id)
                thing.name_it(f"第{i}支部")
                uow.save(thing)
            ids.append(thing_id)
        return ids

    def append(self, ids):
        for i, thing_id in enumerate(ids):
            with UnitOfWork(self.db, self.store) as uow:
                thing = uow.load(Thing, thing_id)
                thing.rename(f"第{i}党小组")
                uow.save(thing)

    def load(self, ids):
        for thing_id in ids:
            with UnitOfWork(self.db, self.store) as uow:
                thing = uow.find(Thing, thing_id)
        return thing.version

    def read_log(self):
        seen, after = 0, 0
        with self.db.connect() as conn:
            while page := self.store.read_log(conn, after, 1000):
                after, seen = page[-1][0], seen + len(page)
        return seen

    def raw_select(self):
        seen, after = 0, 0
        dbapi = self.db.engine.raw_connection()
        try:
            cursor = dbapi.cursor()
            while True:
                cursor.execute("SELECT * FROM events WHERE position > %s ORDER BY position LIMIT 1000", (after,))
                rows = cursor.fetchall()
                if not rows:
                    break
                after, seen = rows[-1][0], seen + len(rows)
            dbapi.rollback()
        finally:
            dbapi.close()
        return seen

    def close(self):
        self.db.dispose()


class PeerSide:
    label = "eventsourcing"

    def __init__(self, url):
        from eventsourcing.application import Application
        from eventsourcing.persistence import Transcoding

        class DateAsISO(Transcoding):  # the library has one for datetimes, not for dates
            type, name = dt.date, "date_iso"

            def encode(self, obj):
                return obj.isoformat()

            def decode(self, data):
                return dt.date.fromisoformat(data)

        class PeerApp(Application):
            def register_transcodings(self, transcoder):
                super().register_transcodings(transcoder)
                transcoder.register(DateAsISO())
        parsed = make_url(url)
        env = {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": parsed.database,
               "POSTGRES_HOST": parsed.host or "127.0.0.1", "POSTGRES_PORT": str(parsed.port or 5432),
               "POSTGRES_USER": parsed.username or "postgres", "POSTGRES_PASSWORD": parsed.password or "",
               "CREATE_TABLE": "y"}
        self.Thing = peer_classes()
        self.app = PeerApp(env=env)

    def create(self, count):
        ids = []
        for i in range(count):
            thing = self.Thing(f"第{i}支部", dt.date(2026, 12, 2))
            self.app.save(thing)
            ids.append(thing.id)
        return ids

    def append(self, ids):
        for i, thing_id in enumerate(ids):
            thing = self.app.repository.get(thing_id)
            thing.rename(f"第{i}党小组", dt.date(2026, 12, 2))
            self.app.save(thing)

    def load(self, ids):
        for thing_id in ids:
            thing = self.app.repository.get(thing_id)
        return thing.version

    def read_log(self):
        recorder, mapper = self.app.recorder, self.app.mapper
        seen, start = 0, 1
        while True:
            notifications = recorder.select_notifications(start, 1000)
            if not notifications:
                break
            for notification in notifications:
                mapper.to_domain_event(notification)
            seen += len(notifications)
            start = notifications[-1].id + 1
        return seen

    def close(self):
        self.app.close()


# ---- the run -----------------------------------------------------------------------------------

def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def measure(pg_admin_url: str, creates: int, appends: int, loads: int, log_events: int) -> dict:
    bench = run_id()
    rates = {op: {"eJia": [], "eventsourcing": []} for op in ("create", "append", "load", "read_log")}
    rates["read_log"]["raw SELECT"] = []
    with fresh_database(pg_admin_url, f"ejia_bench{bench}_ejia") as ejia_url, \
            fresh_database(pg_admin_url, f"ejia_bench{bench}_es") as es_url:
        sides = [EjiaSide(ejia_url), PeerSide(es_url)]
        try:
            # Warm up, and the aggregates the append and load rows use.
            long_ones = {}
            for side in sides:
                side.create(20)
                side.append(side.create(5))
                ids = side.create(50)
                for _ in range(19):
                    side.append(ids)
                long_ones[side.label] = ids
            for round_ in range(ROUNDS):
                order = sides if round_ % 2 == 0 else sides[::-1]
                for side in order:
                    seconds, ids = timed(side.create, creates)
                    rates["create"][side.label].append(creates / seconds)
                for side in order:
                    targets = (side.create(appends // 4)) * 4
                    seconds, _ = timed(side.append, targets)
                    rates["append"][side.label].append(len(targets) / seconds)
                for side in order:
                    chosen = (long_ones[side.label] * (loads // 50 + 1))[:loads]
                    seconds, version = timed(side.load, chosen)
                    if version != 20:
                        raise SystemExit(f"{side.label}: a loaded aggregate is at version {version}, not 20")
                    rates["load"][side.label].append(loads * 20 / seconds)
            # Fill both logs to the same length, then read them, interleaved.
            for side in sides:
                have = side.read_log()
                if have < log_events:
                    side.append(side.create(max(1, (log_events - have) // 2)))
            counts = {side.label: side.read_log() for side in sides}
            for round_ in range(ROUNDS):
                order = sides if round_ % 2 == 0 else sides[::-1]
                for side in order:
                    seconds, seen = timed(side.read_log)
                    rates["read_log"][side.label].append(seen / seconds)
                seconds, seen = timed(sides[0].raw_select)
                rates["read_log"]["raw SELECT"].append(seen / seconds)
        finally:
            for side in sides:
                side.close()
    medians = {op: {who: statistics.median(runs) for who, runs in by.items()} for op, by in rates.items()}
    ratios = {op: medians[op]["eJia"] / medians[op]["eventsourcing"] for op in medians}
    targets = {"create": 1.0, "append": 1.0, "load": 1.0, "read_log": 2.0}
    return {"rounds": ROUNDS, "events_in_log": counts, "medians": medians, "runs": rates, "ratios": ratios,
            "read_log_per_raw_select": medians["read_log"]["eJia"] / medians["read_log"]["raw SELECT"],
            "targets": {op: {"at_least": t, "met": ratios[op] >= t} for op, t in targets.items()}}


LABELS = {"create": "creating an aggregate (aggregates/s)", "append": "appending to one (events/s)",
          "load": "loading one of 20 events (events/s)", "read_log": "reading the log, decoded (events/s)"}


def report(result):
    print(f"median of {result['rounds']} interleaved rounds; logs of {result['events_in_log']} events\n")
    print_table([(LABELS[op], f"{m['eJia']:,.0f}", f"{m['eventsourcing']:,.0f}", f"{result['ratios'][op]:.2f}x",
                  f">= {result['targets'][op]['at_least']:.1f}x",
                  "met" if result["targets"][op]["met"] else "NOT met")
                 for op, m in result["medians"].items()],
                ("operation", "eJia", "eventsourcing", "eJia / es", "target", ""))
    print(f"\nraw psycopg2 SELECT of eJia's rows: {result['medians']['read_log']['raw SELECT']:,.0f} events/s "
          f"(eJia's decoded read is {result['read_log_per_raw_select']:.2f}x of it)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="the server that gets two throwaway databases")
    parser.add_argument("--creates", type=int, default=400, help="aggregates created per chunk")
    parser.add_argument("--appends", type=int, default=400, help="events appended per chunk")
    parser.add_argument("--loads", type=int, default=300, help="aggregates of 20 events loaded per chunk")
    parser.add_argument("--log-events", type=int, default=20000, help="at least this many events in each log")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("EVENTSOURCING_DISABLE_WARNINGS", "1")
    result = measure(args.pg_url, args.creates, args.appends, args.loads, args.log_events)
    print(json.dumps(result, indent=2, default=float) if args.json else "", end="")
    if not args.json:
        report(result)


if __name__ == "__main__":
    main()
