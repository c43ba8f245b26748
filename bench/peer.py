"""eJia's event store beside the eventsourcing library, on the same PostgreSQL.

    .venv/bin/python bench/peer.py            # about a minute and a half here
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
at least 2x on reading the log. Nothing is printed unless every check holds:
each store holds exactly the events written, every aggregate created,
appended to or loaded has the expected version and name, and every read of
the log returns the whole log, decoded.
"""
import argparse
import datetime as dt
import json
import statistics
import time
import uuid
from importlib.metadata import version as package_version

import psycopg
from _common import PG_ADMIN_URL, fresh_database, print_table, run_id
from marshmallow import fields
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from shared.aggregate import Aggregate, when
from shared.catalog import catalog
from shared.database import Database
from shared.event import Event
from shared.store import EventStore, UnitOfWork

ROUNDS = 5
PAGE = 1000
LONG = 20  # events in each aggregate the load row loads
SAMPLE = 50  # aggregates of LONG events, cycled over by the load row
RENAMES = 4  # the append row: each new aggregate renamed this many times (1 event, then 2, ... 5)
DAY = dt.date(2026, 12, 2)
TARGETS = {"create": 1.0, "append": 1.0, "load": 1.0, "read_log": 2.0}


def first_name(i):
    return f"第{i}支部"


def new_name(i):
    return f"第{i}党小组"


class CheckFailed(SystemExit):
    pass


def check(condition, what):
    if not condition:
        raise CheckFailed(f"check failed: {what}")


# ---- the same aggregate in both ------------------------------------------------------------

class PeerThingNamed(Event):
    """A benchmark thing was named."""
    event_type = "peer.thing_named"
    name = fields.String(required=True)
    named_on = fields.Date(required=True)


class PeerThingRenamed(Event):
    """A benchmark thing was renamed."""
    event_type = "peer.thing_renamed"
    name = fields.String(required=True)
    renamed_on = fields.Date(required=True)


for _cls in (PeerThingNamed, PeerThingRenamed):
    if not catalog.knows(_cls.event_type):  # imported as __main__ and as a module
        catalog.register(_cls)


class Thing(Aggregate):
    aggregate_type = "peer_thing"

    def name_it(self, name):
        self.record(PeerThingNamed(name=name, named_on=DAY))

    def rename(self, name):
        self.record(PeerThingRenamed(name=name, renamed_on=DAY))

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
# Each side counts the events it wrote (``written``), and what the timed
# methods return is checked afterwards, outside the clock.

class EjiaSide:
    label = "eJia"

    def __init__(self, url):
        self.db = Database(url)
        self.store = EventStore("peer", catalog)
        self.written = 0

    def create(self, count):
        ids = []
        for i in range(count):
            thing_id = str(uuid.uuid4())
            with UnitOfWork(self.db, self.store) as uow:
                thing = uow.find(Thing, thing_id) or Thing(thing_id)
                thing.name_it(first_name(i))
                uow.save(thing)
            ids.append(thing_id)
        self.written += count
        return ids

    def append(self, ids):
        for i, thing_id in enumerate(ids):
            with UnitOfWork(self.db, self.store) as uow:
                thing = uow.load(Thing, thing_id)
                thing.rename(new_name(i))
                uow.save(thing)
        self.written += len(ids)

    def load(self, ids):
        loaded = []
        for thing_id in ids:
            with UnitOfWork(self.db, self.store) as uow:
                loaded.append(uow.find(Thing, thing_id))
        return loaded

    def fill(self, count):
        """``count`` aggregates of two events (named, renamed), 500 to a transaction: the log."""
        for start in range(0, count, 500):
            with UnitOfWork(self.db, self.store) as uow:
                for i in range(start, min(count, start + 500)):
                    thing = Thing(str(uuid.uuid4()))
                    thing.name_it(first_name(i))
                    thing.rename(new_name(i))
                    uow.save(thing)
        self.written += 2 * count

    def read_log(self):
        seen, after, last = 0, 0, None
        with self.db.connect() as conn:
            while page := self.store.read_log(conn, after, PAGE):
                after, seen, last = page[-1][0], seen + len(page), page[-1][1]
        return seen, last

    def raw_select(self):
        seen, after = 0, 0
        dbapi = self.db.engine.raw_connection()
        try:
            cursor = dbapi.cursor()
            while True:
                cursor.execute("SELECT * FROM events WHERE position > %s ORDER BY position LIMIT %s", (after, PAGE))
                rows = cursor.fetchall()
                if not rows:
                    break
                after, seen = rows[-1][0], seen + len(rows)
            dbapi.rollback()
        finally:
            dbapi.close()
        return seen

    @staticmethod
    def last_name(envelope):
        return envelope.payload["name"], envelope.payload.get("named_on") or envelope.payload["renamed_on"]

    def stored(self):
        """(events, outbox rows) in the database."""
        with self.db.connect() as conn:
            return (conn.execute(text("SELECT count(*) FROM events")).scalar_one(),
                    conn.execute(text("SELECT count(*) FROM outbox")).scalar_one())

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
        # No snapshots, no repository cache (the defaults); the default JSON transcoder.
        env = {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": parsed.database,
               "POSTGRES_HOST": parsed.host or "127.0.0.1", "POSTGRES_PORT": str(parsed.port or 5432),
               "POSTGRES_USER": parsed.username or "postgres", "POSTGRES_PASSWORD": parsed.password or "",
               "CREATE_TABLE": "y"}
        self.Thing = peer_classes()
        self.app = PeerApp(env=env)
        self.written = 0

    def create(self, count):
        ids = []
        for i in range(count):
            thing = self.Thing(first_name(i), DAY)
            self.app.save(thing)
            ids.append(thing.id)
        self.written += count
        return ids

    def append(self, ids):
        for i, thing_id in enumerate(ids):
            thing = self.app.repository.get(thing_id)
            thing.rename(new_name(i), DAY)
            self.app.save(thing)
        self.written += len(ids)

    def load(self, ids):
        return [self.app.repository.get(thing_id) for thing_id in ids]

    def fill(self, count):
        for start in range(0, count, 500):
            things = []
            for i in range(start, min(count, start + 500)):
                thing = self.Thing(first_name(i), DAY)
                thing.rename(new_name(i), DAY)
                things.append(thing)
            self.app.save(*things)
        self.written += 2 * count

    def read_log(self):
        recorder, mapper = self.app.recorder, self.app.mapper
        seen, start, last = 0, 1, None
        while True:
            notifications = recorder.select_notifications(start, PAGE)
            if not notifications:
                break
            for notification in notifications:
                last = mapper.to_domain_event(notification)
            seen += len(notifications)
            start = notifications[-1].id + 1
        return seen, last

    @staticmethod
    def last_name(domain_event):
        return domain_event.name, getattr(domain_event, "named_on", None) or domain_event.renamed_on

    def stored(self):
        recorder = self.app.recorder
        with recorder.datastore.get_connection() as conn:
            row = conn.execute(sql.SQL("SELECT count(*) AS n FROM {}.{}").format(
                sql.Identifier(recorder.datastore.schema or "public"),
                sql.Identifier(recorder.events_table_name))).fetchone()
        return row["n"], None

    def close(self):
        self.app.close()


def analyze(db):
    """ANALYZE the database both sides share, as autovacuum would have done
    within a minute of the fill: read straight after it, the planner has no
    statistics for the new rows and sorts a sequential scan of the whole
    table for each page (about 4x slower, on both sides) instead of walking
    the primary key."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


# ---- the checks (outside the clock) ---------------------------------------------------------------

def check_aggregate(side, thing_id, version, name):
    thing = side.load([thing_id])[0]
    check(thing is not None and thing.version == version and thing.name == name,
          f"{side.label}: {thing_id} is at version {getattr(thing, 'version', None)} "
          f"named {getattr(thing, 'name', None)!r}, expected {version} {name!r}")


def check_created(side, ids):
    check(len(set(ids)) == len(ids), f"{side.label}: created ids repeat")
    for i in (0, len(ids) - 1):
        check_aggregate(side, ids[i], 1, first_name(i))


def check_appended(side, base, targets):
    """``targets`` is ``base`` cycled: each aggregate renamed at its last place in the list."""
    last = {thing_id: i for i, thing_id in enumerate(targets)}
    each = len(targets) // len(base)
    for thing_id in base:
        check_aggregate(side, thing_id, 1 + each, new_name(last[thing_id]))


def check_loaded(side, loaded, chosen, long_ones):
    index = {thing_id: k for k, thing_id in enumerate(long_ones)}
    for thing, thing_id in zip(loaded, chosen, strict=True):
        check(thing.version == LONG and thing.name == new_name(index[thing_id]),
              f"{side.label}: a loaded aggregate at version {thing.version} named {thing.name!r}, "
              f"expected {LONG} {new_name(index[thing_id])!r}")


def check_log(side, seen, last):
    check(seen == side.written, f"{side.label}: the log read {seen} events, {side.written} were written")
    name, day = side.last_name(last)
    check(isinstance(name, str) and name.startswith("第") and day == DAY,
          f"{side.label}: the log's last event decoded as {name!r}, {day!r}")


def check_stored(side):
    events, outbox = side.stored()
    check(events == side.written, f"{side.label}: {events} events stored, {side.written} written")
    check(outbox in (None, events), f"{side.label}: {outbox} outbox rows for {events} events")


# ---- the run -----------------------------------------------------------------------------------

def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def measure(pg_admin_url: str, creates: int, appends: int, loads: int, log_events: int) -> dict:
    bench = run_id()
    rates = {op: {"eJia": [], "eventsourcing": []} for op in TARGETS}
    rates["read_log"]["raw SELECT"] = []
    with fresh_database(pg_admin_url, f"ejia_bench{bench}_ejia") as ejia_url, \
            fresh_database(pg_admin_url, f"ejia_bench{bench}_es") as es_url:
        sides = [EjiaSide(ejia_url), PeerSide(es_url)]
        try:
            # Warm up, and make the aggregates of 20 events the load row loads.
            long_ones = {}
            for side in sides:
                check_created(side, side.create(20))
                base = side.create(5)
                side.append(base * 2)
                check_appended(side, base, base * 2)
                ids = side.create(SAMPLE)
                for _ in range(LONG - 1):
                    side.append(ids)
                check_loaded(side, side.load(ids), ids, ids)
                long_ones[side.label] = ids
                check_log(side, *side.read_log())
            for round_ in range(ROUNDS):
                order = sides if round_ % 2 == 0 else sides[::-1]
                for side in order:
                    seconds, ids = timed(side.create, creates)
                    rates["create"][side.label].append(creates / seconds)
                    check_created(side, ids)
                for side in order:
                    base = side.create(max(1, appends // RENAMES))  # not timed
                    targets = base * RENAMES
                    seconds, _ = timed(side.append, targets)
                    rates["append"][side.label].append(len(targets) / seconds)
                    check_appended(side, base, targets)
                for side in order:
                    chosen = (long_ones[side.label] * (loads // SAMPLE + 1))[:loads]
                    seconds, loaded = timed(side.load, chosen)
                    rates["load"][side.label].append(loads * LONG / seconds)
                    check_loaded(side, loaded, chosen, long_ones[side.label])
            # Fill both logs to the same length (both sides wrote the same so far), then read them.
            check(sides[0].written == sides[1].written, f"the sides wrote {[s.written for s in sides]}")
            missing = log_events - sides[0].written
            for side in sides:
                if missing > 0:
                    side.fill((missing + 1) // 2)
                check_stored(side)
                check_log(side, *side.read_log())  # and warm
            analyze(sides[0].db)
            check(sides[0].raw_select() == sides[0].written, "the raw SELECT did not read every event")
            for round_ in range(ROUNDS):
                order = sides if round_ % 2 == 0 else sides[::-1]
                for side in order:
                    seconds, (seen, last) = timed(side.read_log)
                    rates["read_log"][side.label].append(seen / seconds)
                    check_log(side, seen, last)
                seconds, seen = timed(sides[0].raw_select)
                check(seen == sides[0].written, f"the raw SELECT read {seen} rows")
                rates["read_log"]["raw SELECT"].append(seen / seconds)
            counts = {side.label: side.written for side in sides}
        finally:
            for side in sides:
                side.close()
    medians = {op: {who: statistics.median(runs) for who, runs in by.items()} for op, by in rates.items()}
    ratios = {op: medians[op]["eJia"] / medians[op]["eventsourcing"] for op in TARGETS}
    return {"rounds": ROUNDS, "per_chunk": {"create": creates, "append": appends, "load": loads},
            "appended_aggregates_end_at": 1 + RENAMES, "events_per_loaded_aggregate": LONG,
            "events_in_log": counts, "page": PAGE,
            "versions": {"eventsourcing": package_version("eventsourcing"),
                         "psycopg": f"{psycopg.__version__} ({psycopg.pq.__impl__})",
                         "psycopg2": package_version("psycopg2-binary"),
                         "SQLAlchemy": package_version("SQLAlchemy")},
            "medians": medians, "runs": rates, "ratios": ratios,
            "read_log_per_raw_select": medians["read_log"]["eJia"] / medians["read_log"]["raw SELECT"],
            "targets": {op: {"at_least": t, "met": ratios[op] >= t} for op, t in TARGETS.items()}}


LABELS = {"create": "creating an aggregate (aggregates/s)", "append": "appending to one (events/s)",
          "load": f"loading one of {LONG} events (events/s)", "read_log": "reading the log, decoded (events/s)"}


def report(result):
    versions = result["versions"]
    print(f"median of {result['rounds']} interleaved rounds; chunks of {result['per_chunk']}; "
          f"logs of {result['events_in_log']['eJia']:,} events, pages of {result['page']:,}")
    print(f"eventsourcing {versions['eventsourcing']} on psycopg {versions['psycopg']}; "
          f"eJia on SQLAlchemy {versions['SQLAlchemy']} + psycopg2 {versions['psycopg2']}\n")
    print_table([(LABELS[op], f"{result['medians'][op]['eJia']:,.0f}",
                  f"{result['medians'][op]['eventsourcing']:,.0f}", f"{result['ratios'][op]:.2f}x",
                  f">= {target['at_least']:.1f}x", "met" if target["met"] else "NOT met")
                 for op, target in result["targets"].items()],
                ("operation", "eJia", "eventsourcing", "eJia / es", "target", ""))
    print(f"\nraw psycopg2 SELECT of eJia's rows: {result['medians']['read_log']['raw SELECT']:,.0f} events/s "
          f"(eJia's decoded read is {result['read_log_per_raw_select']:.2f}x of it)")
    print("\nrounds (per second):")
    for op, by in result["runs"].items():
        for who, runs in by.items():
            print(f"  {op:<9} {who:<14} " + "  ".join(f"{r:,.0f}" for r in runs))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="the server that gets two throwaway databases "
                        "(also EJIA_BENCH_PG_URL)")
    parser.add_argument("--creates", type=int, default=600, help="aggregates created per chunk (default 600)")
    parser.add_argument("--appends", type=int, default=600, help="events appended per chunk (default 600)")
    parser.add_argument("--loads", type=int, default=400,
                        help=f"aggregates of {LONG} events loaded per chunk (default 400)")
    parser.add_argument("--log-events", type=int, default=50000,
                        help="at least this many events in each log (default 50,000)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    result = measure(args.pg_url, args.creates, args.appends, args.loads, args.log_events)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)


if __name__ == "__main__":
    main()
