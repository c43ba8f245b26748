"""How fast are dues payments recorded, next to the most trivial nameko call
measured in the same run, and how long does a year's collection report for
6,000 members take?

The dues service runs as its own `nameko run` process (as docker-compose.yml
runs it) on a throwaway RabbitMQ vhost and a fresh PostgreSQL database. Its
accounts are opened the way production opens them: --members
``members.admission_approved`` events (and the orgs events of a committee
with 10 branches) published on the bus and consumed by the service; then
each member's base is set by RPC. Payments come from --clients concurrent
clients, one month each, each with its own idempotency key.

    .venv/bin/python bench/dues.py [--members 6000] [--payments 2000] [--clients 10] [--via auto] [--json]

--via gateway posts to ``POST /api/v1/dues/payments`` and the baseline is a
trivial nameko ``@http`` endpoint making one RPC to a trivial service: the
gateway service itself once it serves the route, else (while the gateway's
``DuesApi`` routes are written but not yet part of ``GatewayService``) those
routes and the gateway's HTTP layer run as ``BenchDuesGateway`` below.
--via rpc calls ``dues.pay`` with nameko's standalone RPC client and the
baseline is an RPC to a trivial service. ``auto``: the gateway if either
exists. Every figure is checked: the event store, the outbox and the report
must account for exactly --payments payments.
"""
import argparse
import contextlib
import datetime as dt
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

# _common first: it puts the repository root on sys.path for `shared` and `services`.
from _common import AMQP_URI, PG_ADMIN_URL, ROOT, fresh_database, print_table, run_id
import requests
from kombu import Connection
from nameko.rpc import RpcProxy, rpc
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.web.handlers import http
from sqlalchemy import create_engine, text

from shared import codec
from shared.bus import event_exchange
from shared.catalog import catalog
from shared.envelope import Envelope

RABBIT_API = os.environ.get("EJIA_BENCH_RABBIT_API", "http://127.0.0.1:15672/api")
RABBIT_AUTH = ("guest", "guest")
BRANCHES = 10
BASES = (("employed", "2800.00", "14.00"), ("employed", "3000.01", "30.00"), ("employed", "6000.00", "90.00"),
         ("employed", "12000.00", "240.00"), ("retired", "4000.00", "20.00"), ("student", None, "0.20"))


# ---- the baseline services (run by `nameko run dues:...` in bench/) ---------------

class BenchTrivialRpc:
    name = "bench_trivial_rpc"

    @rpc
    def pay(self, data):
        return {"payment_id": data["idempotency_key"], "total": data["amount"]}


class BenchTrivialHttp:
    name = "bench_trivial_http"
    trivial = RpcProxy("bench_trivial_rpc")

    @http("POST", "/api/v1/trivial/payments")
    def pay(self, request):
        result = self.trivial.pay(json.loads(request.get_data(as_text=True)))
        return 201, {"Content-Type": "application/json"}, json.dumps(result)


try:  # the gateway's dues routes, with the gateway's own HTTP layer and auth
    from nameko.dependency_providers import Config

    from services.gateway.auth import Auth
    from services.gateway.dues_api import DuesApi
    from shared.nameko_adapter import CallContext

    class BenchDuesGateway(DuesApi):
        name = "gateway"
        ctx = CallContext()
        config = Config()
        auth = Auth()
except ImportError:
    BenchDuesGateway = None


def gateway_target(via: str) -> tuple[str, str | None, Path]:
    """(mode, what `nameko run` runs for the gateway, its working directory)."""
    if via != "rpc":
        with contextlib.suppress(ImportError):
            from services.gateway.openapi import build_spec
            from services.gateway.service import GatewayService
            if "/api/v1/dues/payments" in build_spec(GatewayService)["paths"]:
                return "gateway", "services.gateway.service", ROOT
        if BenchDuesGateway is not None:
            return "gateway (DuesApi routes)", "dues:BenchDuesGateway", ROOT / "bench"
    if via == "gateway":
        raise SystemExit("no gateway route for POST /api/v1/dues/payments")
    return "rpc", None, ROOT


# ---- the platform ------------------------------------------------------------------

def progress(message: str):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


@contextlib.contextmanager
def throwaway_vhost(amqp_uri: str, name: str):
    requests.put(f"{RABBIT_API}/vhosts/{name}", auth=RABBIT_AUTH, timeout=10).raise_for_status()
    requests.put(f"{RABBIT_API}/permissions/{name}/guest", auth=RABBIT_AUTH, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    try:
        yield amqp_uri.rstrip("/") + "/" + name
    finally:
        requests.delete(f"{RABBIT_API}/vhosts/{name}", auth=RABBIT_AUTH, timeout=10)


class Platform:
    """dues (and the gateway) as `nameko run` processes, plus the trivial
    baseline services as one more; their process groups are stopped on close."""

    def __init__(self, amqp_uri: str, dues_db: str, logs: Path, gateway: str | None, gateway_cwd: Path):
        self.gateway_port, self.trivial_port = free_port(), free_port()
        self.logs, self.processes = logs, []
        env = {**os.environ, "EJIA_AMQP_URI": amqp_uri, "EJIA_DUES_DB_URL": dues_db,
               "EJIA_GATEWAY_ADDRESS": f"127.0.0.1:{self.gateway_port}"}
        nameko = str(Path(sys.executable).parent / "nameko")
        config = str(ROOT / "config" / "nameko.yaml")
        self._start("dues", [nameko, "run", "--config", config, "services.dues.service"], ROOT, env)
        if gateway:
            self._start("gateway", [nameko, "run", "--config", config, gateway], gateway_cwd, env)
        self._start("trivial", [nameko, "run", "--config", config, "dues:BenchTrivialRpc", "dues:BenchTrivialHttp"],
                    ROOT / "bench", {**env, "EJIA_GATEWAY_ADDRESS": f"127.0.0.1:{self.trivial_port}"})
        self.gateway = f"http://127.0.0.1:{self.gateway_port}"
        self.trivial = f"http://127.0.0.1:{self.trivial_port}"

    def _start(self, name, command, cwd, env):
        log = open(self.logs / f"{name}.log", "w")
        self.processes.append((name, subprocess.Popen(command, cwd=cwd, env=env, stdout=log,
                                                      stderr=subprocess.STDOUT, start_new_session=True)))

    def check_alive(self):
        for name, proc in self.processes:
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited with {proc.returncode}: see {self.logs / (name + '.log')}")

    def close(self):
        for _, proc in self.processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _, proc in self.processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def wait_until(predicate, what: str, platform: Platform, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        platform.check_alive()
        with contextlib.suppress(Exception):
            if predicate():
                return
        time.sleep(0.3)
    raise SystemExit(f"timed out after {timeout}s waiting for {what}: see {platform.logs}")


# ---- accounts, as production opens them ---------------------------------------------

def publish_events(amqp_uri: str, year: int, members: int) -> tuple[str, list[str], list[tuple[str, str]]]:
    """A committee with BRANCHES branches (orgs events) and ``members`` members
    admitted on 10 January (members events), spread over the branches."""
    committee = f"committee-{uuid.uuid4().hex[:8]}"
    branches = [f"{committee}-branch-{i}" for i in range(BRANCHES)]
    admitted = dt.date(year, 1, 10)
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
                "founding_request_id": None, "rules_version": "2014"}))
        for member_id, branch in people:
            publish("members.events", "members.admission_approved", envelope(
                "members.admission_approved", "member", member_id, {
                    "org_id": branch, "group_id": None, "stage": "probationary", "status": "active",
                    "decided_by": "bench", "note": None, "rules_version": "bench", "approved_on": admitted,
                    "special": False, "admitted_on": admitted, "probation_ends_on": admitted.replace(year=year + 1)}))
    return committee, branches, people


def count_rows(db_url: str, query: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(query)).scalar_one()
    finally:
        engine.dispose()


def timed_clients(clients: int, jobs: list, session_factory, call) -> tuple[float, list[float]]:
    """``clients`` threads, each with its own session (an RPC client or an HTTP
    connection), taking ``jobs`` in turn (client i: jobs i, i + clients...);
    each job is ``call(session, job)``. Returns (seconds, latencies)."""
    latencies: list[float] = []
    errors: list[BaseException] = []
    ready = threading.Barrier(clients + 1)
    lock = threading.Lock()

    def client(index):
        try:
            with session_factory() as session:
                ready.wait()
                mine = []
                for job in jobs[index::clients]:
                    started = time.perf_counter()
                    call(session, job)
                    mine.append(time.perf_counter() - started)
                with lock:
                    latencies.extend(mine)
        except BaseException as exc:  # reported below
            errors.append(exc)
            with contextlib.suppress(threading.BrokenBarrierError):
                ready.abort()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise SystemExit(f"a client failed: {errors[0]!r}")
    return seconds, latencies


def set_bases(amqp_uri: str, people, clients: int, month: str) -> dict[str, str]:
    """Each member's base (a mix of categories); returns member id -> monthly amount."""
    amounts = {}

    def call(cluster, job):
        index, (member_id, _) = job
        category, base, amount = BASES[index % len(BASES)]
        data = {"category": category, "effective_month": month, **({"base": base} if base else {})}
        answer = cluster.dues.set_dues_base(member_id, data)
        if answer["monthly_amount"] != amount:
            raise SystemExit(f"{category} {base}: {answer['monthly_amount']}, expected {amount}")
        amounts[member_id] = amount

    timed_clients(clients, list(enumerate(people)), lambda: ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=60),
                  call)
    return amounts


# ---- payments and their baseline ---------------------------------------------------

class Via:
    """How payments and the baseline are sent: nameko's standalone RPC client, or HTTP."""

    def __init__(self, mode: str, amqp_uri: str, platform: Platform):
        self.mode = "rpc" if mode == "rpc" else "http"
        self.amqp_uri, self.platform = amqp_uri, platform

    def session(self):
        if self.mode == "rpc":
            return ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, timeout=60)
        return requests.Session()

    def pay(self, session, body):
        if self.mode == "rpc":
            receipt = session.dues.pay(body)
        else:
            response = session.post(self.platform.gateway + "/api/v1/dues/payments", json=body, timeout=60)
            if response.status_code not in (200, 201):
                raise SystemExit(f"payment refused: {response.status_code} {response.text}")
            receipt = response.json()
        if receipt["total"] != body["amount"]:
            raise SystemExit(f"receipt {receipt} for {body}")

    def trivial(self, session, body):
        if self.mode == "rpc":
            answer = session.bench_trivial_rpc.pay(body)
        else:
            response = session.post(self.platform.trivial + "/api/v1/trivial/payments", json=body, timeout=60)
            response.raise_for_status()
            answer = response.json()
        if answer["total"] != body["amount"]:
            raise SystemExit(f"trivial answer {answer} for {body}")

    @property
    def baseline_label(self) -> str:
        return "trivial nameko RPC" if self.mode == "rpc" else "trivial nameko @http + RPC"


def figures(count: int, seconds: float, latencies: list[float]) -> dict:
    return {"count": count, "seconds": seconds, "per_second": count / seconds,
            "p50_ms": statistics.median(latencies) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000}


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


def measure(members: int, payments: int, clients: int, via: str, amqp_uri: str, pg_admin_url: str) -> dict:
    rid = run_id()
    today = dt.date.today()
    year, month = today.year, today.strftime("%Y-%m")
    payments = min(payments, members)
    with contextlib.ExitStack() as stack:
        vhost_uri = stack.enter_context(throwaway_vhost(amqp_uri, f"ejia-bench-{rid}"))
        dues_db = stack.enter_context(fresh_database(pg_admin_url, f"ejia_bench{rid}_dues"))
        logs = Path(tempfile.mkdtemp(prefix="ejia-bench-dues-"))
        via, gateway, gateway_cwd = gateway_target(via)
        platform = Platform(vhost_uri, dues_db, logs, gateway, gateway_cwd)
        stack.callback(platform.close)
        progress(f"starting dues{'' if via == 'rpc' else ', ' + via} and the trivial baseline (logs in {logs})")
        with ClusterRpcProxy({"AMQP_URI": vhost_uri}, timeout=60) as cluster:
            wait_until(lambda: cluster.dues.ping() == "pong" and cluster.bench_trivial_rpc.pay(
                {"idempotency_key": "w", "amount": "1.00"}), "the services", platform, 90)
        if via != "rpc":
            wait_until(lambda: requests.post(platform.trivial + "/api/v1/trivial/payments", timeout=5, json={
                "idempotency_key": "w", "amount": "1.00"}).ok, "the trivial @http", platform, 60)
            wait_until(lambda: requests.post(platform.gateway + "/api/v1/dues/payments", json={},  # 400: it is up
                                             timeout=5).status_code == 400, "the gateway", platform, 60)
        progress(f"publishing {members:,} admissions (members events) and the tree (orgs events)")
        started = time.perf_counter()
        committee, branches, people = publish_events(vhost_uri, year, members)
        wait_until(lambda: count_rows(dues_db, "SELECT count(*) FROM dues_accounts") == members,
                   f"{members} accounts", platform, 900)
        opened = time.perf_counter() - started
        progress(f"{members:,} accounts opened in {opened:.1f} s; setting the bases")
        started = time.perf_counter()
        amounts = set_bases(vhost_uri, people, clients, f"{year}-01")
        based = time.perf_counter() - started

        mode = Via(via, vhost_uri, platform)
        bodies = [{"idempotency_key": f"bench-{uuid.uuid4()}", "member_id": member_id, "months": [month],
                   "amount": amounts[member_id]} for member_id, _ in people[:payments]]
        trivial_bodies = [{**body, "idempotency_key": f"trivial-{i}"} for i, body in enumerate(bodies)]
        progress(f"{payments:,} payments via {via}, {clients} clients, between two runs of the baseline")
        warm = [{**b, "idempotency_key": f"warm-{i}"} for i, b in enumerate(trivial_bodies[:clients * 5])]
        timed_clients(clients, warm, mode.session, mode.trivial)
        baseline_runs = [figures(payments, *timed_clients(clients, trivial_bodies, mode.session, mode.trivial))]
        paid = figures(payments, *timed_clients(clients, bodies, mode.session, mode.pay))
        baseline_runs.append(figures(payments, *timed_clients(clients, trivial_bodies, mode.session, mode.trivial)))
        baseline = max(baseline_runs, key=lambda f: f["per_second"])  # the harder bar

        progress("checking: event store, outbox, report")
        recorded = count_rows(dues_db, "SELECT count(*) FROM events WHERE event_type = 'dues.payment_recorded'")
        if recorded != payments:
            raise SystemExit(f"{recorded} payments in the event store, expected {payments}")
        wait_until(lambda: count_rows(dues_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0,
                   "the outbox to drain", platform, 120)
        times = report_times(vhost_uri, dues_db, committee, year)
        totals = times["report"]["totals"]
        if (totals["paid_months"], totals["members"]) != (payments, members):
            raise SystemExit(f"the report counts {totals['paid_months']} payments of {totals['members']} "
                             f"members; expected {payments} of {members}")
        branch = report_times(vhost_uri, dues_db, branches[0], year)
    with contextlib.suppress(OSError):
        for path in logs.iterdir():
            path.unlink()
        logs.rmdir()
    return {
        "via": via, "members": members, "payments": payments, "clients": clients, "year": year,
        "setup_seconds": {"accounts_from_events": opened, "bases_by_rpc": based},
        "baseline": {"label": mode.baseline_label, **baseline, "runs": [r["per_second"] for r in baseline_runs]},
        "dues_payments": paid,
        "ratio": paid["per_second"] / baseline["per_second"],
        "report": {"committee_rpc_ms": times["rpc_ms"], "committee_query_ms": times["query_ms"],
                   "branch_rpc_ms": branch["rpc_ms"], "branch_query_ms": branch["query_ms"],
                   "owed": totals["owed"], "collected": totals["collected"], "outstanding": totals["outstanding"]},
    }


def show(result: dict):
    b, p, r = result["baseline"], result["dues_payments"], result["report"]
    print(f"\n{result['payments']:,} payments, one month each, {result['clients']} concurrent clients via "
          f"{result['via']} (RabbitMQ + PostgreSQL); {result['members']:,} accounts")
    print_table([(b["label"], f"{b['per_second']:,.0f}", f"{b['p50_ms']:.1f}", f"{b['p99_ms']:.1f}"),
                 (f"dues.pay ({result['via']})", f"{p['per_second']:,.0f}", f"{p['p50_ms']:.1f}",
                  f"{p['p99_ms']:.1f}")],
                ("what", "calls/s", "p50 ms", "p99 ms"))
    print(f"\npayments / baseline: {result['ratio']:.2f} (target >= 0.30: "
          f"{'met' if result['ratio'] >= 0.30 else 'NOT met'}); baseline runs: "
          + ", ".join(f"{x:,.0f}/s" for x in b["runs"]))
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
    parser.add_argument("--members", type=int, default=6000)
    parser.add_argument("--payments", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--via", choices=("auto", "gateway", "rpc"), default="auto")
    parser.add_argument("--amqp-uri", default=AMQP_URI)
    parser.add_argument("--pg-url", default=PG_ADMIN_URL)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.members, args.payments, args.clients, args.via, args.amqp_uri, args.pg_url)
    print(json.dumps(result, indent=2)) if args.json else show(result)


if __name__ == "__main__":
    main()
