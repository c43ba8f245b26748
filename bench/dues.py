"""How fast are dues payments recorded through the gateway, next to the most
trivial nameko @http + RPC measured in the same run, and how long does a
year's collection report for 6,000 members take?

dues and the gateway run as their own `nameko run` processes (as
docker-compose.yml runs them) on a throwaway RabbitMQ vhost and a fresh
PostgreSQL database. The accounts are opened the way production opens them:
--members ``members.admission_approved`` events (and the orgs events of a
committee with 10 branches) published on the bus and consumed by dues; then
each member's base is set by RPC. Payments come from --clients concurrent
clients, one month of one member each, each with its own idempotency key.

    .venv/bin/python bench/dues.py [--members 6000] [--payments 1500] [--rounds 3] [--clients 10] [--via gateway] [--json]

--via gateway (the default) posts to ``POST /api/v1/dues/payments``; the
baseline is a trivial nameko ``@http`` POST making one RPC to a trivial
service, the two in their own processes like the gateway and dues
(bench/_trivial.py). --via rpc calls ``dues.pay`` with nameko's standalone
RPC client beside an RPC to the trivial service. Every figure is checked:
each receipt, then the event store, the outbox and the report must account
for exactly --payments payments. Each run's CPU per call of every process is
printed too (from /proc).

    .venv/bin/python bench/dues.py --aged 300 [--age-months 120] [--rounds 3]

instead compares payments on new accounts with payments on accounts with
ten years of monthly payments behind them (their history written
in-process by the dues domain), read from their snapshots or whole. See
bench/README.md.
"""
import argparse
import concurrent.futures
import contextlib
import datetime as dt
import json
import os
import shutil
import statistics
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

# _common first: it puts the repository root on sys.path for `shared` and `services`.
from _common import AMQP_URI, PG_ADMIN_URL, fresh_database, print_table, run_id
from _platform import (BENCH_DIR, JsonClient, Processes, free_port, latency_figures, progress, throwaway_vhost,
                       member_headers, timed_clients)
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from shared import codec
from shared.bus import event_exchange
from shared.catalog import catalog
from shared.envelope import Envelope

BRANCHES = 10
TARGET_RATIO = 0.50  # payments / baseline (issue 12; it was 0.30)
WARM_UP_PER_CLIENT = 5
BASES = (("employed", "2800.00", "14.00"), ("employed", "3000.01", "30.00"), ("employed", "6000.00", "90.00"),
         ("employed", "12000.00", "240.00"), ("retired", "4000.00", "20.00"), ("student", None, "0.20"))


class CpuMeter:
    """CPU seconds of each process of the run, the servers (postgres and
    RabbitMQ: all their processes, so shared with whatever else uses them) and
    this client, from /proc: where a call's time goes, per process."""
    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, platform: "Platform"):
        self.pids = {name: proc.pid for name, proc in platform.running}

    @classmethod
    def seconds(cls, pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return 0.0
        return sum(int(x) for x in fields[11:15]) / cls.TICK

    @classmethod
    def of_command(cls, command: str) -> dict[int, float]:
        """Each process's CPU seconds, by pid (a server's processes come and go)."""
        out = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if (entry / "comm").read_text().strip() == command:
                        out[int(entry.name)] = cls.seconds(int(entry.name))
        return out

    def read(self) -> dict:
        reading = {name: self.seconds(pid) for name, pid in self.pids.items()}
        reading.update(postgres=self.of_command("postgres"), rabbitmq=self.of_command("beam.smp"),
                       client=sum(os.times()[:2]))
        return reading

    @staticmethod
    def spent(before, after) -> float:
        """CPU seconds between two readings; of a server, the processes alive at
        the second (one that ended meanwhile takes its share with it)."""
        if isinstance(after, dict):
            return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
        return after - before

    def timed(self, calls: int, run) -> dict:
        """``run()``'s latency figures, with ``cpu_ms``: CPU ms per call of each process."""
        before = self.read()
        figures = latency_figures(calls, *run())
        after = self.read()
        return {**figures, "cpu_ms": {name: self.spent(before[name], after[name]) * 1000 / calls for name in after}}


class Platform(Processes):
    """dues, the gateway (for --via gateway) and the trivial baseline services,
    each its own `nameko run` process; stopped on close."""

    def __init__(self, amqp_uri: str, dues_db: str, logs: Path, via: str):
        self.gateway_port, self.trivial_port = free_port(), free_port()
        super().__init__(logs, {"EJIA_AMQP_URI": amqp_uri, "EJIA_DUES_DB_URL": dues_db})
        self.start("dues", "services.dues.service")
        self.start("trivial_rpc", "_trivial:TrivialRpc", cwd=BENCH_DIR)
        if via == "gateway":
            self.start("gateway", "services.gateway.service", EJIA_GATEWAY_ADDRESS=f"127.0.0.1:{self.gateway_port}")
            self.start("trivial_http", "_trivial:TrivialPayments", cwd=BENCH_DIR,
                       EJIA_GATEWAY_ADDRESS=f"127.0.0.1:{self.trivial_port}")
        self.gateway = f"http://127.0.0.1:{self.gateway_port}"
        self.trivial = f"http://127.0.0.1:{self.trivial_port}"


# ---- accounts, as production opens them ---------------------------------------------

def publish_events(amqp_uri: str, year: int, members: int, admissions: list[dt.date] | None = None
                   ) -> tuple[str, list[str], list[tuple[str, str]]]:
    """A committee with BRANCHES branches (orgs events) and ``members`` members
    admitted on 10 January (members events), or on ``admissions`` (a date
    each), spread over the branches."""
    committee = f"committee-{uuid.uuid4().hex[:8]}"
    branches = [f"{committee}-branch-{i}" for i in range(BRANCHES)]
    admitted = dt.date(year, 1, 10)
    admissions = admissions or [admitted] * members
    people = [(str(uuid.uuid4()), branches[i % BRANCHES]) for i in range(members)]

    def envelope(event_type, aggregate_type, aggregate_id, payload):
        return codec.dumps(catalog.to_wire(Envelope(
            event_type=event_type, event_version=1, aggregate_type=aggregate_type, aggregate_id=aggregate_id,
            aggregate_version=1, payload=payload, actor="bench")))

    with Connection(amqp_uri) as conn:
        producer = conn.Producer()

        def publish(exchange_name, event_type, body):
            exchange = event_exchange(exchange_name)
            producer.publish(body, exchange=exchange, routing_key=event_type, content_type="application/json",
                             content_encoding="utf-8", delivery_mode=2, declare=[exchange])

        publish("orgs.events", "orgs.org_created", envelope("orgs.org_created", "organisation", committee, {
            "name": "基准测试党工委", "kind": "committee", "parent_id": None, "unit": None, "created_on": admitted}))
        for i, branch in enumerate(branches):
            publish("orgs.events", "orgs.branch_founded", envelope("orgs.branch_founded", "organisation", branch, {
                "name": f"基准测试第{i + 1}党支部", "kind": "branch", "parent_id": committee,
                "unit": {"name": f"公司{i + 1}", "unit_type": "enterprise", "address": None}, "covered_units": [],
                "full_members": 3, "probationary_members": 0, "founded_on": admitted, "founded_directly": True,
                "founding_request_id": None, "founding_member_ids": [], "rules_version": "2014"}))
        for (member_id, branch), on in zip(people, admissions):
            publish("members.events", "members.admission_approved", envelope(
                "members.admission_approved", "member", member_id, {
                    "org_id": branch, "group_id": None, "stage": "probationary", "status": "active",
                    "decided_by": "bench", "note": None, "rules_version": "bench", "approved_on": on,
                    "special": False, "admitted_on": on, "probation_ends_on": on.replace(year=on.year + 1)}))
    return committee, branches, people


def count_rows(db_url: str, query: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(query)).scalar_one()
    finally:
        engine.dispose()


def set_bases(amqp_uri: str, people, clients: int, month: str) -> tuple[dict[str, str], float]:
    """Each member's base (a mix of categories); returns (member id -> monthly
    amount, seconds)."""
    amounts = {}

    def call(cluster, job):
        index, (member_id, _) = job
        category, base, amount = BASES[index % len(BASES)]
        data = {"category": category, "effective_month": month, **({"base": base} if base else {})}
        answer = cluster.dues.set_dues_base(member_id, data)
        if answer["monthly_amount"] != amount:
            raise SystemExit(f"{category} {base}: {answer['monthly_amount']}, expected {amount}")
        amounts[member_id] = amount

    seconds, _ = timed_clients(clients, list(enumerate(people)),
                               lambda: ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=60), call)
    return amounts, seconds


# ---- payments and their baseline ---------------------------------------------------

class Via:
    """How payments and the baseline are sent: HTTP (the gateway beside the
    trivial @http + RPC), or nameko's standalone RPC client (dues.pay beside
    the trivial RPC). Every answer is checked."""

    def __init__(self, mode: str, amqp_uri: str, platform: Platform):
        self.mode, self.amqp_uri, self.platform = mode, amqp_uri, platform

    def payments_session(self):
        return self._session(self.platform.gateway)

    def trivial_session(self):
        return self._session(self.platform.trivial)

    def _session(self, base_url):
        if self.mode == "rpc":
            return ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, timeout=60)
        return JsonClient(base_url)

    def pay(self, session, body):
        if self.mode == "rpc":
            receipt = session.dues.pay(body)
        else:
            # the member pays their own dues, as members do from their phones
            status, receipt = session.request("POST", "/api/v1/dues/payments", body,
                                              headers=member_headers(body["member_id"]))
            if status != 201:
                raise SystemExit(f"payment refused: {status} {receipt}")
        if receipt["total"] != body["amount"] or not receipt["payment_id"]:
            raise SystemExit(f"receipt {receipt} for {body}")

    def trivial(self, session, body):
        if self.mode == "rpc":
            answer = session.bench_trivial_rpc.pay(body)
        else:
            status, answer = session.request("POST", "/api/v1/trivial/payments", body)
            if status != 201:
                raise SystemExit(f"trivial payment: {status} {answer}")
        if answer["total"] != body["amount"]:
            raise SystemExit(f"trivial answer {answer} for {body}")

    @property
    def labels(self) -> tuple[str, str]:
        if self.mode == "rpc":
            return "trivial nameko RPC", "dues.pay by RPC"
        return "trivial nameko @http + RPC", "POST /api/v1/dues/payments"

    def wait_until_up(self):
        with ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, timeout=60) as cluster:
            self.platform.wait_until(lambda: cluster.dues.ping() == "pong" and cluster.bench_trivial_rpc.pay(
                {"idempotency_key": "w", "amount": "1.00"}), "dues and the trivial RPC", 90)
        if self.mode == "rpc":
            return
        probe = {"idempotency_key": "w", "amount": "1.00"}

        def answers(session_factory, path, body, status):
            with session_factory() as session:
                return session.request("POST", path, body)[0] == status

        self.platform.wait_until(lambda: answers(self.trivial_session, "/api/v1/trivial/payments", probe, 201),
                                 "the trivial @http", 60)
        self.platform.wait_until(lambda: answers(self.payments_session, "/api/v1/dues/payments", {}, 400),
                                 "the gateway", 60)  # an empty body is refused: it is up


def report_times(amqp_uri: str, dues_db: str, org_id: str, year: int, repeat: int = 5) -> dict:
    """A year's report for ``org_id``: through RPC, and the queries alone in-process."""
    from services.dues import reports  # no nameko in it: safe to import here
    rpc_times, query_times = [], []
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=120) as cluster:
        answer = cluster.dues.dues_report(org_id, year)
        for _ in range(repeat):
            started = time.perf_counter()
            cluster.dues.dues_report(org_id, year)
            rpc_times.append(time.perf_counter() - started)
    engine = create_engine(dues_db)
    try:
        with engine.connect() as conn:
            for _ in range(repeat):
                started = time.perf_counter()
                reports.dues_report(conn, org_id, year, today=dt.date.today())
                query_times.append(time.perf_counter() - started)
    finally:
        engine.dispose()
    return {"rpc_ms": statistics.median(rpc_times) * 1000, "query_ms": statistics.median(query_times) * 1000,
            "report": answer}


def interleaved_rounds(via: Via, clients: int, warm_up: list[dict], rounds: list[list[dict]]
                       ) -> tuple[list[dict], list[dict]]:
    """Both warmed up (``warm_up`` payments, as many trivial calls), then
    baseline, payments, baseline, payments... baseline: each round of payments
    between two baseline runs, so the machine's noise falls on both. Returns
    (baseline figures, payment figures), one per run, each with the CPU per
    call of every process."""
    per_round = len(rounds[0])
    trivial_bodies = [{**body, "idempotency_key": f"trivial-{i}"} for i, body in enumerate(rounds[0])]
    timed_clients(clients, warm_up, via.payments_session, via.pay)
    timed_clients(clients, [{**body, "idempotency_key": f"warm-{i}"} for i, body in enumerate(warm_up)],
                  via.trivial_session, via.trivial)
    meter = CpuMeter(via.platform)

    def baseline():
        return meter.timed(per_round, lambda: timed_clients(clients, trivial_bodies, via.trivial_session,
                                                            via.trivial))

    baselines, payments = [baseline()], []
    for index, bodies in enumerate(rounds):
        payments.append(meter.timed(len(bodies), lambda: timed_clients(clients, bodies, via.payments_session,
                                                                       via.pay)))
        baselines.append(baseline())
        progress(f"round {index + 1}: payments {payments[-1]['per_second']:,.0f}/s, baseline "
                 f"{baselines[-2]['per_second']:,.0f}/s before, {baselines[-1]['per_second']:,.0f}/s after")
    return baselines, payments


def median_figures(runs: list[dict]) -> dict:
    """The run of median throughput, with its own latencies; of an even number
    of runs, the faster middle one (the harder bar for a baseline)."""
    return sorted(runs, key=lambda f: f["per_second"])[len(runs) // 2]


def measure(members: int, payments: int, rounds: int, clients: int, via: str, amqp_uri: str,
            pg_admin_url: str) -> dict:
    rid = run_id()
    today = dt.date.today()
    year, month = today.year, today.strftime("%Y-%m")
    warm_up = clients * WARM_UP_PER_CLIENT
    if payments * rounds + warm_up > members:
        raise SystemExit(f"--payments x --rounds + {warm_up} to warm up ({payments * rounds + warm_up}) is more "
                         f"than --members ({members}): each payment is one month of a distinct member")
    with contextlib.ExitStack() as stack:
        vhost_uri = stack.enter_context(throwaway_vhost(amqp_uri, f"ejia-bench-{rid}"))
        dues_db = stack.enter_context(fresh_database(pg_admin_url, f"ejia_bench{rid}_dues"))
        logs = Path(tempfile.mkdtemp(prefix="ejia-bench-dues-"))  # kept if the run fails
        platform = Platform(vhost_uri, dues_db, logs, via)
        stack.callback(platform.close)
        mode = Via(via, vhost_uri, platform)
        progress(f"starting dues{', the gateway' if via == 'gateway' else ''} and the trivial baseline "
                 f"(logs in {logs})")
        mode.wait_until_up()
        progress(f"publishing {members:,} admissions (members events) and the tree (orgs events)")
        started = time.perf_counter()
        committee, branches, people = publish_events(vhost_uri, year, members)
        platform.wait_until(lambda: count_rows(dues_db, "SELECT count(*) FROM dues_accounts") == members,
                            f"{members} accounts", 900)
        opened = time.perf_counter() - started
        progress(f"{members:,} accounts opened in {opened:.1f} s; setting the bases")
        amounts, based = set_bases(vhost_uri, people, clients, f"{year}-01")

        bodies = [{"idempotency_key": f"bench-{uuid.uuid4()}", "member_id": member_id, "months": [month],
                   "amount": amounts[member_id]} for member_id, _ in people[:payments * rounds + warm_up]]
        progress(f"{rounds} rounds of {payments:,} payments via {via}, {clients} clients, each between two runs "
                 "of the baseline")
        baselines, paid = interleaved_rounds(mode, clients, bodies[payments * rounds:],
                                             [bodies[i:payments * rounds:rounds] for i in range(rounds)])

        progress("checking: event store, outbox, report")
        recorded = count_rows(dues_db, "SELECT count(*) FROM events WHERE event_type = 'dues.payment_recorded'")
        if recorded != len(bodies):
            raise SystemExit(f"{recorded} payments in the event store, expected {len(bodies)}")
        platform.wait_until(lambda: count_rows(dues_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
                            == 0, "the outbox to drain", 120)
        times = report_times(vhost_uri, dues_db, committee, year)
        totals = times["report"]["totals"]
        if (totals["paid_months"], totals["members"]) != (len(bodies), members):
            raise SystemExit(f"the report counts {totals['paid_months']} payments of {totals['members']} "
                             f"members; expected {len(bodies)} of {members}")
        branch = report_times(vhost_uri, dues_db, branches[0], year)
    shutil.rmtree(logs, ignore_errors=True)
    baseline, payment = median_figures(baselines), median_figures(paid)
    return {
        "via": via, "members": members, "payments_per_round": payments, "rounds": rounds, "clients": clients,
        "year": year, "labels": mode.labels,
        "setup_seconds": {"accounts_from_events": opened, "bases_by_rpc": based},
        "baseline": {**baseline, "runs": [r["per_second"] for r in baselines]},
        "payments": {**payment, "runs": [r["per_second"] for r in paid]},
        "ratio": payment["per_second"] / baseline["per_second"], "target_ratio": TARGET_RATIO,
        "ratio_per_round": [p["per_second"] / max(before["per_second"], after["per_second"])
                            for p, before, after in zip(paid, baselines, baselines[1:])],
        "report": {"committee_rpc_ms": times["rpc_ms"], "committee_query_ms": times["query_ms"],
                   "branch_rpc_ms": branch["rpc_ms"], "branch_query_ms": branch["query_ms"],
                   "owed": totals["owed"], "collected": totals["collected"], "outstanding": totals["outstanding"]},
    }


# ---- old accounts (--aged): what ten years of history cost a payment ------------------------

AGED_KINDS = ("new", "aged", "aged, snapshots dropped")


def write_history(dues_db: str, member_ids: list[str], paying: set[str], today: dt.date) -> dict[str, dict[int, str]]:
    """Each account's years as they went by, written in-process by the dues
    domain itself: the base set at opening and each January (a raise each
    year), and for those ``paying``, every month paid in its month, up to last
    month; one transaction an account, with the snapshots due. It is history from before this run, so
    its outbox rows are marked published in that transaction (else the relay
    would send ~130 events an account to the gateway while payments are
    timed). Returns each account's amount owed for each of the next 12 months."""
    from services.dues import ledger, projections
    from services.dues.domain import DuesAccount
    from shared.database import Database
    from shared.store import EventStore, UnitOfWork
    from shared.tables import outbox

    db = Database(dues_db, projections.metadata)
    store = EventStore("dues", catalog, [projections.project])
    now, owed = ledger.month_of(today), {}

    def write(member_id):
        with UnitOfWork(db, store) as uow:
            account = uow.load(DuesAccount, member_id)
            start = account.owes_from
            for month in range(start, max(now, start + 1)):
                day = ledger.first_day(month) + dt.timedelta(days=14)
                if month == start or (month % 12 == 0 and member_id in paying):
                    account.set_base(category="employed", base=Decimal("5000.00") + 100 * ((month - start) // 12),
                                     amount=None, effective_month=month, policy="from_month_of_change", set_on=day)
                if month < now and member_id in paying:
                    due = ledger.period_at(account.schedule(), month).due
                    account.pay(payment_id=str(uuid.uuid4()), idempotency_key=f"history-{member_id}-{month}",
                                months=[month], amount=due, voluntary_extra=None, paid_by=None, paid_on=day,
                                today=day)
            saved = uow.save(account)
            uow.conn.execute(outbox.update().where(outbox.c.event_id.in_([e.event_id for e in saved]))
                             .values(published_at=codec.utcnow()))
            periods = account.schedule()
            owed[member_id] = {m: str(ledger.period_at(periods, m).due) for m in range(now, now + 12)}

    try:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(write, member_ids))
        with db.engine.connect() as conn:  # as autovacuum would, before anything is timed
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    finally:
        db.dispose()
    return owed


def drop_snapshots(dues_db: str, member_ids: list[str]):
    """As if these accounts had never been snapshotted: their next load reads the whole stream."""
    from services.dues.tables import account_snapshots
    engine = create_engine(dues_db)
    try:
        with engine.begin() as conn:
            conn.execute(account_snapshots.delete().where(account_snapshots.c.aggregate_id.in_(member_ids)))
    finally:
        engine.dispose()


def load_times(dues_db: str, kinds: dict[str, list[str]], repeat: int = 200) -> dict[str, dict]:
    """``UnitOfWork.find`` of each kind's accounts in-process, one transaction
    each (median ms), and the events each stream holds; "aged, whole stream":
    the same accounts read as without snapshots."""
    from services.dues import projections
    from services.dues.domain import DuesAccount
    from shared.database import Database
    from shared.store import EventStore, UnitOfWork

    class WholeStream(DuesAccount):
        snapshots = None

    db = Database(dues_db, projections.metadata)
    store = EventStore("dues", catalog, [projections.project])
    out = {}
    try:
        for member_id in kinds["new"][:20] + kinds["aged"][:20]:  # the pool's connections, and their statements
            with UnitOfWork(db, store) as uow:
                uow.find(DuesAccount, member_id)
        for label, ids, cls in (("new", kinds["new"], DuesAccount), ("aged", kinds["aged"], DuesAccount),
                                ("aged, whole stream", kinds["aged"], WholeStream)):
            times, versions = [], []
            for member_id in (ids * (repeat // len(ids) + 1))[:repeat]:
                started = time.perf_counter()
                with UnitOfWork(db, store) as uow:
                    versions.append(uow.find(cls, member_id).version)
                times.append(time.perf_counter() - started)
            out[label] = {"ms": statistics.median(times) * 1000, "events": statistics.median(versions)}
    finally:
        db.dispose()
    return out


def measure_aged(accounts: int, age_months: int, rounds: int, clients: int, amqp_uri: str,
                 pg_admin_url: str) -> dict:
    """``accounts`` new accounts (opened this January) and twice as many
    ``age_months`` old, their history written as it went by; then rounds of
    payments through the gateway, one month of each account a round (this
    month, then the next ones: paid in advance): new, aged, aged with their
    snapshots dropped first (the whole stream read, as before snapshots);
    who goes first rotates by round."""
    from services.dues.ledger import month_of, month_text
    if not 1 <= rounds <= 12:
        raise SystemExit("--rounds: 1 to 12 (a month may be paid at most 12 months ahead)")
    rid, today = run_id(), dt.date.today()
    now = month_of(today)
    old = month_of(today) - age_months
    warm_up = clients * WARM_UP_PER_CLIENT
    total = accounts * 3 + warm_up
    admissions = [dt.date(today.year, 1, 10)] * (accounts + warm_up) + \
        [dt.date(old // 12, old % 12 + 1, 10)] * (accounts * 2)
    with contextlib.ExitStack() as stack:
        vhost_uri = stack.enter_context(throwaway_vhost(amqp_uri, f"ejia-bench-{rid}"))
        dues_db = stack.enter_context(fresh_database(pg_admin_url, f"ejia_bench{rid}_dues"))
        logs = Path(tempfile.mkdtemp(prefix="ejia-bench-dues-"))
        platform = Platform(vhost_uri, dues_db, logs, "gateway")
        stack.callback(platform.close)
        mode = Via("gateway", vhost_uri, platform)
        progress(f"starting dues, the gateway and the trivial baseline (logs in {logs})")
        mode.wait_until_up()
        _, _, people = publish_events(vhost_uri, today.year, total, admissions)
        platform.wait_until(lambda: count_rows(dues_db, "SELECT count(*) FROM dues_accounts") == total,
                            f"{total} accounts", 900)
        ids = [member_id for member_id, _ in people]
        warm, new, aged = ids[:warm_up], ids[warm_up:warm_up + accounts], ids[warm_up + accounts:]
        kinds = {"new": new, "aged": aged[:accounts], "aged, snapshots dropped": aged[accounts:]}
        progress(f"writing {len(aged):,} accounts' {age_months} months of history in-process")
        started = time.perf_counter()
        owed = write_history(dues_db, ids, set(aged), today)
        history = time.perf_counter() - started
        progress(f"history written in {history:.1f} s; loading accounts in-process")
        loads = load_times(dues_db, kinds)

        def bodies(member_ids, month):
            return [{"idempotency_key": f"bench-{uuid.uuid4()}", "member_id": m, "months": [month_text(month)],
                     "amount": owed[m][month]} for m in member_ids]

        timed_clients(clients, bodies(warm, now), mode.payments_session, mode.pay)
        meter, runs = CpuMeter(platform), {kind: [] for kind in AGED_KINDS}
        for index in range(rounds):
            order = AGED_KINDS[index % 3:] + AGED_KINDS[:index % 3]
            for kind in order:
                if kind == "aged, snapshots dropped":
                    drop_snapshots(dues_db, kinds[kind])
                jobs = bodies(kinds[kind], now + index)
                runs[kind].append(meter.timed(len(jobs), lambda: timed_clients(clients, jobs, mode.payments_session,
                                                                                mode.pay)))
            progress(f"round {index + 1}: " + ", ".join(f"{kind} {runs[kind][-1]['per_second']:,.0f}/s"
                                                      for kind in AGED_KINDS))
        progress("checking: event store, outbox")
        paid = count_rows(dues_db, "SELECT count(*) FROM events WHERE event_type = 'dues.payment_recorded' "
                                   "AND payload NOT LIKE '%history-%'")
        if paid != warm_up + accounts * 3 * rounds:
            raise SystemExit(f"{paid} payments in the event store, expected {warm_up + accounts * 3 * rounds}")
        platform.wait_until(lambda: count_rows(dues_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
                            == 0, "the outbox to drain", 120)
    shutil.rmtree(logs, ignore_errors=True)
    return {"accounts": accounts, "age_months": age_months, "rounds": rounds, "clients": clients,
            "history_seconds": history, "loads": loads,
            "payments": {kind: {**median_figures(r), "runs": [x["per_second"] for x in r]} for kind, r in runs.items()}}


def show_aged(result: dict):
    loads, payments = result["loads"], result["payments"]
    print(f"\n{result['accounts']:,} accounts of each kind: new (opened this January) and "
          f"{result['age_months']} months old (paid every month, a raise each January); {result['rounds']} rounds "
          f"of one month each through the gateway, {result['clients']} clients. Loading in-process, median of 200:")
    print_table([(kind, f"{loads[kind]['events']:.0f}", f"{loads[kind]['ms']:.2f}") for kind in loads],
                ("account", "events", "UnitOfWork.find ms"))
    print("\nPOST /api/v1/dues/payments, median run of each (CPU ms per payment: dues, postgres):")
    print_table([(kind, f"{f['per_second']:,.0f}", f"{f['p50_ms']:.1f}", f"{f['p99_ms']:.1f}",
                  f"{f['cpu_ms']['dues']:.2f}", f"{f['cpu_ms']['postgres']:.2f}") for kind, f in payments.items()],
                ("account", "calls/s", "p50 ms", "p99 ms", "dues CPU", "postgres CPU"))
    print("  runs: " + "; ".join(f"{kind} " + ", ".join(f"{x:,.0f}/s" for x in f["runs"])
                                 for kind, f in payments.items()))
    print(f"\nhistory written in {result['history_seconds']:.1f} s")


def show(result: dict):
    b, p, r = result["baseline"], result["payments"], result["report"]
    baseline_label, payments_label = result["labels"]
    print(f"\n{result['rounds']} rounds of {result['payments_per_round']:,} payments (one month of one member "
          f"each), {result['clients']} concurrent clients, via {result['via']}; RabbitMQ + PostgreSQL, "
          f"{result['members']:,} accounts. Median run of each:")
    print_table([(baseline_label, f"{b['per_second']:,.0f}", f"{b['p50_ms']:.1f}", f"{b['p99_ms']:.1f}"),
                 (payments_label, f"{p['per_second']:,.0f}", f"{p['p50_ms']:.1f}", f"{p['p99_ms']:.1f}")],
                ("what", "calls/s", "p50 ms", "p99 ms"))
    print(f"\npayments / baseline: {result['ratio']:.2f} (target >= {TARGET_RATIO:.2f}: "
          f"{'met' if result['ratio'] >= TARGET_RATIO else 'NOT met'})")
    print("  baseline runs: " + ", ".join(f"{x:,.0f}/s" for x in b["runs"]))
    print("  payment runs:  " + ", ".join(f"{x:,.0f}/s" for x in p["runs"]))
    print("  each round against the faster baseline beside it: "
          + ", ".join(f"{x:.2f}" for x in result["ratio_per_round"]))
    names = list(b["cpu_ms"])
    print("\nCPU ms per call (median run of each; postgres and rabbitmq: all their processes):")
    print_table([(label, *(f"{figures['cpu_ms'][n]:.2f}" for n in names))
                 for label, figures in ((baseline_label, b), (payments_label, p))], ("what", *names))
    print(f"\nyear {result['year']} collection report:")
    print_table([(f"committee subtree, {result['members']:,} members", f"{r['committee_rpc_ms']:.1f}",
                  f"{r['committee_query_ms']:.1f}"),
                 (f"one branch, {result['members'] // BRANCHES:,} members", f"{r['branch_rpc_ms']:.1f}",
                  f"{r['branch_query_ms']:.1f}")],
                ("report", "via RPC ms", "queries ms"))
    print(f"  owed {r['owed']}, collected {r['collected']}, outstanding {r['outstanding']}")
    s = result["setup_seconds"]
    print(f"\nsetup: {result['members']:,} accounts opened from members events in {s['accounts_from_events']:.1f} s, "
          f"bases set by RPC in {s['bases_by_rpc']:.1f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=6000, help="accounts (default 6000)")
    parser.add_argument("--payments", type=int, default=1500, help="payments per round (default 1500)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of payments, each between two baseline "
                        "runs (default 3; --payments x --rounds <= --members)")
    parser.add_argument("--clients", type=int, default=10, help="concurrent clients (default 10)")
    parser.add_argument("--via", choices=("gateway", "rpc"), default="gateway")
    parser.add_argument("--amqp-uri", default=AMQP_URI, help="a broker whose management API makes a vhost")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="a PostgreSQL server for a throwaway database")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--aged", type=int, metavar="ACCOUNTS", default=0,
                        help="instead: payments on ACCOUNTS new and 2 x ACCOUNTS old accounts (see --age-months)")
    parser.add_argument("--age-months", type=int, default=120, help="with --aged: their age (default 120)")
    args = parser.parse_args(argv)
    if args.aged:
        result = measure_aged(args.aged, args.age_months, args.rounds, args.clients, args.amqp_uri, args.pg_url)
        print(json.dumps(result, indent=2)) if args.json else show_aged(result)
        return
    result = measure(args.members, args.payments, args.rounds, args.clients, args.via, args.amqp_uri,
                     args.pg_url)
    print(json.dumps(result, indent=2)) if args.json else show(result)


if __name__ == "__main__":
    main()
