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
for exactly --payments payments. See bench/README.md.
"""
import argparse
import contextlib
import datetime as dt
import json
import shutil
import statistics
import tempfile
import time
import uuid
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
WARM_UP_PER_CLIENT = 5
BASES = (("employed", "2800.00", "14.00"), ("employed", "3000.01", "30.00"), ("employed", "6000.00", "90.00"),
         ("employed", "12000.00", "240.00"), ("retired", "4000.00", "20.00"), ("student", None, "0.20"))


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
    (baseline figures, payment figures), one per run."""
    per_round = len(rounds[0])
    trivial_bodies = [{**body, "idempotency_key": f"trivial-{i}"} for i, body in enumerate(rounds[0])]
    timed_clients(clients, warm_up, via.payments_session, via.pay)
    timed_clients(clients, [{**body, "idempotency_key": f"warm-{i}"} for i, body in enumerate(warm_up)],
                  via.trivial_session, via.trivial)

    def baseline():
        return latency_figures(per_round, *timed_clients(clients, trivial_bodies, via.trivial_session, via.trivial))

    baselines, payments = [baseline()], []
    for index, bodies in enumerate(rounds):
        payments.append(latency_figures(len(bodies), *timed_clients(clients, bodies, via.payments_session,
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
        "ratio": payment["per_second"] / baseline["per_second"],
        "ratio_per_round": [p["per_second"] / max(before["per_second"], after["per_second"])
                            for p, before, after in zip(paid, baselines, baselines[1:])],
        "report": {"committee_rpc_ms": times["rpc_ms"], "committee_query_ms": times["query_ms"],
                   "branch_rpc_ms": branch["rpc_ms"], "branch_query_ms": branch["query_ms"],
                   "owed": totals["owed"], "collected": totals["collected"], "outstanding": totals["outstanding"]},
    }


def show(result: dict):
    b, p, r = result["baseline"], result["payments"], result["report"]
    baseline_label, payments_label = result["labels"]
    print(f"\n{result['rounds']} rounds of {result['payments_per_round']:,} payments (one month of one member "
          f"each), {result['clients']} concurrent clients, via {result['via']}; RabbitMQ + PostgreSQL, "
          f"{result['members']:,} accounts. Median run of each:")
    print_table([(baseline_label, f"{b['per_second']:,.0f}", f"{b['p50_ms']:.1f}", f"{b['p99_ms']:.1f}"),
                 (payments_label, f"{p['per_second']:,.0f}", f"{p['p50_ms']:.1f}", f"{p['p99_ms']:.1f}")],
                ("what", "calls/s", "p50 ms", "p99 ms"))
    print(f"\npayments / baseline: {result['ratio']:.2f} (target >= 0.30: "
          f"{'met' if result['ratio'] >= 0.30 else 'NOT met'})")
    print("  baseline runs: " + ", ".join(f"{x:,.0f}/s" for x in b["runs"]))
    print("  payment runs:  " + ", ".join(f"{x:,.0f}/s" for x in p["runs"]))
    print("  each round against the faster baseline beside it: "
          + ", ".join(f"{x:.2f}" for x in result["ratio_per_round"]))
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
    args = parser.parse_args(argv)
    result = measure(args.members, args.payments, args.rounds, args.clients, args.via, args.amqp_uri,
                     args.pg_url)
    print(json.dumps(result, indent=2)) if args.json else show(result)


if __name__ == "__main__":
    main()
