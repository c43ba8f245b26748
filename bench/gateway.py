"""What do identity and the policy check cost at the gateway? ``GET /api/v1/me``
and an authorised write (``POST /api/v1/dues/payments`` by the branch's
org_admin) through a gateway checking the policy table, through a second
gateway with the check switched off (``BENCH_ONLY_POLICY_OFF``: the token is
still verified), and the most trivial nameko @http + one RPC, measured
interleaved in one run.

identity, orgs, members, dues, the two gateways and the trivial baseline
(``TrivialPayments`` + ``TrivialRpc``, bench/_trivial.py) each run as their
own `nameko run --config config/nameko.yaml` process, on a throwaway vhost
and fresh databases, all with the same JWT secret and master key. The setup
goes through the gateway with a district_admin token signed here: a
committee, two branches, --members full members in the first (each with a
dues base), then one member token per member and an org_admin token per
branch.

    .venv/bin/python bench/gateway.py [--members 300] [--requests 1000] [--payments 600] [--rounds 3] [--json]

Every answer is checked (each /me is 200 with the caller's own record and
dues; each payment 201 with the amount), and so is the policy-off gateway
being really off (the other branch's org_admin is refused on one, not on
the other). See bench/README.md.
"""
import argparse
import base64
import contextlib
import datetime as dt
import http.client
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

# _common first: it puts the repository root on sys.path for `shared` and `services`.
from _common import AMQP_URI, PG_ADMIN_URL, ROOT, fresh_database, print_table, run_id
from _platform import (BENCH_DIR, NAMEKO_CONFIG, JsonClient, Processes, free_port, latency_figures, percentile,
                       progress, throwaway_vhost, timed_clients)

from shared.access import MAX_ACCESS_SECONDS, Grant, Principal, issue_access_token
from shared.contracts.members import id_number_check_digit

V1 = "/api/v1"
SERVICES = ("identity", "orgs", "members", "dues")
CLIENTS = 10
WARM_UP = 100  # requests of each kind before the first timed run
ADVANCE_MONTHS = 12  # dues rules 2008: a month may be paid up to 12 months ahead
UNIT = {"name": "基准测试科技有限公司", "unit_type": "enterprise", "address": "1 Lake Road"}


# ---- the platform -------------------------------------------------------------------

def bench_config(logs: Path) -> str:
    """config/nameko.yaml, or (while it lacks them) a copy in ``logs`` with the
    keys this run needs: DB_URIS.identity and BENCH_ONLY_POLICY_OFF."""
    text = Path(NAMEKO_CONFIG).read_text()
    missing = []
    if "EJIA_IDENTITY_DB_URL" not in text:
        missing.append("DB_URIS.identity")
        text = text.replace("DB_URIS:\n", "DB_URIS:\n  identity: ${EJIA_IDENTITY_DB_URL:"
                            "postgresql+psycopg2://postgres@127.0.0.1:5432/ejia_identity}\n", 1)
    if "BENCH_ONLY_POLICY_OFF" not in text:
        missing.append("BENCH_ONLY_POLICY_OFF")
        text += "\nBENCH_ONLY_POLICY_OFF: ${EJIA_BENCH_ONLY_POLICY_OFF:}\n"
    if not missing:
        return NAMEKO_CONFIG
    progress(f"config/nameko.yaml has no {' or '.join(missing)}: running with a copy that has them")
    path = logs / "nameko.yaml"
    path.write_text(text)
    return str(path)


class Platform(Processes):
    """Every service, both gateways and the trivial baseline, each its own
    `nameko run` process; stopped on close."""

    def __init__(self, amqp_uri: str, databases: dict, logs: Path, secret: str):
        self.config = bench_config(logs)
        ports = {name: free_port() for name in ("on", "off", "trivial")}
        super().__init__(logs, {"EJIA_AMQP_URI": amqp_uri, "EJIA_JWT_SECRET": secret,
                                "EJIA_MASTER_KEY": secret_key(),
                                **{f"EJIA_{name.upper()}_DB_URL": url for name, url in databases.items()}})
        for name in SERVICES:
            self.start(name, f"services.{name}.service")
        self.start("gateway", "services.gateway.service", EJIA_GATEWAY_ADDRESS=f"127.0.0.1:{ports['on']}",
                   EJIA_BENCH_ONLY_POLICY_OFF="")
        self.start("gateway_policy_off", "services.gateway.service",
                   EJIA_GATEWAY_ADDRESS=f"127.0.0.1:{ports['off']}", EJIA_BENCH_ONLY_POLICY_OFF="true")
        self.start("trivial_rpc", "_trivial:TrivialRpc", cwd=BENCH_DIR)
        self.start("trivial_http", "_trivial:TrivialPayments", cwd=BENCH_DIR,
                   EJIA_GATEWAY_ADDRESS=f"127.0.0.1:{ports['trivial']}")
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        self.pids = {name: proc.pid for name, proc in self.running}

    def start(self, name: str, *services: str, cwd: Path = ROOT, **env):
        """As ``Processes.start``, with this run's config file."""
        with open(self.logs / f"{name}.log", "w") as log:
            self.running.append((name, subprocess.Popen(
                [self.nameko, "run", "--config", self.config, *services], cwd=cwd, env={**self.env, **env},
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)))


def secret_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


class Client(JsonClient):
    """``JsonClient`` sending a bearer token with each request."""

    def request(self, method: str, path: str, body=None, token: str | None = None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            return response.status, json.loads(response.read() or b"null")
        except (http.client.HTTPException, OSError, ValueError):
            self.connection.close()  # the next request reconnects
            raise


def call(url: str, method: str, path: str, body=None, token=None) -> tuple[int, dict]:
    with Client(url) as client:
        return client.request(method, path, body, token)


def expect(answer: tuple[int, dict], status: int, what: str) -> dict:
    if answer[0] != status:
        raise SystemExit(f"{what}: {answer[0]} {json.dumps(answer[1], ensure_ascii=False)[:600]}")
    return answer[1]


# ---- tokens and the setup -------------------------------------------------------------

def token(secret: str, subject: str, role: str, org_id=None, member_id=None) -> str:
    return issue_access_token(secret, Principal(subject, (Grant(role, org_id),), subject, member_id),
                              lifetime=MAX_ACCESS_SECONDS)


def id_number(seq: int) -> str:
    """A valid 18-digit ID number, distinct for every ``seq`` (up to 999 a day)."""
    born = dt.date(1980, 1, 1) + dt.timedelta(days=seq // 1000)
    first17 = "320506" + born.strftime("%Y%m%d") + f"{seq % 1000:03d}"
    return first17 + id_number_check_digit(first17)


def full_member(seq: int, org_id: str) -> dict:
    """As tests/integration/transfers/transfers_it_helpers.py ``full_member``."""
    number = id_number(seq)
    born = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    return {"name": f"党员{seq}", "gender": "female" if seq % 2 else "male", "birth_date": born,
            "ethnicity": "汉族", "education": "本科", "employer": "纳米科技有限公司", "id_number": number,
            "phone": "13812345678", "org_id": org_id, "stage": "full", "applied_on": "2013-12-01",
            "activist_on": "2014-03-01", "candidate_on": "2015-04-01", "admitted_on": "2015-07-01",
            "full_on": "2016-07-01"}


def wait_until_up(platform: Platform):
    def answers(url, method, path, status, **kwargs):
        return call(url, method, path, **kwargs)[0] == status

    platform.wait_until(lambda: answers(platform.urls["trivial"], "GET", f"{V1}/trivial/me?member_id=w", 200),
                        "the trivial @http + RPC", 120)
    for name in ("on", "off"):  # /health is 200 once every service behind the gateway answers
        platform.wait_until(lambda: answers(platform.urls[name], "GET", "/health", 200),
                            f"the gateway ({name}) and the services behind it", 120)


def set_up(platform: Platform, secret: str, admin: str, members: int) -> dict:
    gw = platform.urls["on"]
    suffix = uuid.uuid4().hex[:6]
    committee = expect(call(gw, "POST", f"{V1}/orgs", {"name": f"基准测试党工委{suffix}", "kind": "committee"},
                            admin), 201, "create the committee")
    branches = [expect(call(gw, "POST", f"{V1}/orgs", {
        "name": f"基准测试第{i + 1}党支部{suffix}", "kind": "branch", "parent_id": committee["id"], "unit": UNIT,
        "full_members": 5}, admin), 201, f"create branch {i + 1}")["id"] for i in range(2)]
    for branch in branches:
        platform.wait_until(lambda: call(gw, "GET", f"{V1}/orgs/{branch}/members?limit=1", token=admin)[0] == 200,
                            f"members to know branch {branch}", 120)
    branch, other = branches

    progress(f"registering {members:,} full members in one branch, {CLIENTS} clients")
    started = time.perf_counter()
    member_ids: dict[int, str] = {}

    def register(client, seq):
        member_ids[seq] = expect(client.request("POST", f"{V1}/members", full_member(seq, branch), admin), 201,
                                 f"register member {seq}")["id"]

    timed_clients(CLIENTS, list(range(members)), lambda: Client(gw), register)
    registered = time.perf_counter() - started
    ids = [member_ids[seq] for seq in range(members)]

    progress("setting each member's dues base (once dues has opened the account), reading the statements")
    month = dt.date.today().strftime("%Y-%m")
    statements: dict[str, dict] = {}

    def set_base(client, member_id):
        path = f"{V1}/members/{member_id}/dues-base"
        body = {"category": "employed", "base": "6000.00", "effective_month": month}
        deadline = time.monotonic() + 120
        while True:  # dues opens the account from members' event: 404 until it has
            status, answer = client.request("PUT", path, body, admin)
            if status != 404 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        expect((status, answer), 200, f"set the dues base of {member_id}")
        statements[member_id] = expect(client.request("GET", f"{V1}/members/{member_id}/dues", token=admin), 200,
                                       f"the dues statement of {member_id}")

    started = time.perf_counter()
    timed_clients(CLIENTS, ids, lambda: Client(gw), set_base)
    based = time.perf_counter() - started
    readers = max(1, len(ids) // 3)
    return {"committee": committee["id"], "branch": branch, "other_branch": other, "members": ids,
            "readers": ids[:readers], "payers": ids[readers:],
            "statements": statements, "seconds": {"register": registered, "dues_bases": based},
            "member_tokens": {mid: token(secret, f"member-{i}", "member", member_id=mid)
                              for i, mid in enumerate(ids)},
            "org_admin": token(secret, f"org-admin-{branch[:8]}", "org_admin", org_id=branch),
            "other_org_admin": token(secret, f"org-admin-{other[:8]}", "org_admin", org_id=other)}


def payment_slots(setup: dict) -> list[dict]:
    """Every (member, month) that can be paid once: this month and the 12
    ahead, one month a payment, the amount from the statement's schedule."""
    today = dt.date.today()
    months = [f"{today.year + (today.month - 1 + k) // 12:04d}-{(today.month - 1 + k) % 12 + 1:02d}"
              for k in range(ADVANCE_MONTHS + 1)]
    slots = []
    for k, month in enumerate(months):
        for member_id in setup["payers"]:
            amount = owed_for(setup["statements"][member_id], month)
            slots.append({"idempotency_key": f"bench-{uuid.uuid4()}", "member_id": member_id, "months": [month],
                          "amount": amount})
    return slots


def owed_for(statement: dict, month: str) -> str:
    """The amount owed for ``month``: the statement's schedule period that covers it."""
    for period in statement.get("schedule") or []:
        start, end = period.get("from_month"), period.get("to_month")
        if start and start <= month and (end is None or month <= end) and period.get("due") is not None:
            return period["due"]
    return statement["monthly_amount"]


# ---- what is timed ----------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and its reaped children), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / TICK


def cpu_by_command(names: tuple) -> float:
    """The CPU of every process whose command is one of ``names`` (postgres
    backends, RabbitMQ's beam): shared with whatever else uses the servers."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in names:
                    total += cpu_seconds(int(entry.name))
    return total


class CpuMeter:
    """CPU seconds of each platform process, the servers and this client
    between two readings."""

    def __init__(self, pids: dict):
        self.pids = pids

    def read(self) -> dict:
        reading = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        reading["postgres"] = cpu_by_command(("postgres",))
        reading["rabbitmq"] = cpu_by_command(("beam.smp",))
        reading["bench client"] = sum(os.times()[:2])
        return reading

    @staticmethod
    def per_request(before: dict, after: dict, requests: int) -> dict:
        return {name: (after[name] - before[name]) * 1000 / requests for name in after}


class Checks:
    """Each kind of request and the check of its answer."""

    def __init__(self, setup: dict):
        self.setup = setup

    @staticmethod
    def me(client, job):
        member_id, tok = job
        status, answer = client.request("GET", f"{V1}/me", token=tok)
        member = (answer or {}).get("member") or {}
        record = member.get("member") if isinstance(member.get("member"), dict) else member  # the shape changed
        dues = member.get("dues")
        if status != 200 or record.get("id") != member_id or not isinstance(dues, dict) \
                or dues.get("member_id", member_id) != member_id or answer.get("unavailable"):
            raise SystemExit(f"/me of {member_id}: {status} {json.dumps(answer, ensure_ascii=False)[:600]}")

    @staticmethod
    def trivial_me(client, job):
        member_id, tok = job
        status, answer = client.request("GET", f"{V1}/trivial/me?member_id={member_id}", token=tok)
        if status != 200 or answer["member"]["id"] != member_id:
            raise SystemExit(f"trivial /me: {status} {answer}")

    def pay(self, client, body):
        status, receipt = client.request("POST", f"{V1}/dues/payments", body, self.setup["org_admin"])
        if status != 201 or receipt.get("total") != body["amount"] or not receipt.get("payment_id"):
            raise SystemExit(f"payment {body}: {status} {json.dumps(receipt, ensure_ascii=False)[:600]}")

    def trivial_pay(self, client, body):
        status, answer = client.request("POST", f"{V1}/trivial/payments", body, self.setup["org_admin"])
        if status != 201 or answer["total"] != body["amount"]:
            raise SystemExit(f"trivial payment: {status} {answer}")


def check_policy_off(platform: Platform, setup: dict) -> dict:
    """The other branch's org_admin on a member of the first: refused (403)
    by the gateway checking the policy, let through by the other; a member
    token without a token at all is 401 on both (authentication still runs)."""
    member = setup["members"][0]
    path = f"{V1}/members/{member}/dues"
    seen = {}
    for name in ("on", "off"):
        seen[name] = {"other_branch_admin": call(platform.urls[name], "GET", path, token=setup["other_org_admin"])[0],
                      "bad_token": call(platform.urls[name], "GET", f"{V1}/me", token="not-a-token")[0],
                      "other_members_record": call(platform.urls[name], "GET", f"{V1}/members/{member}",
                                                   token=setup["member_tokens"][setup["members"][1]])[0]}
    expected = {"on": {"other_branch_admin": 403, "bad_token": 401, "other_members_record": 403},
                "off": {"other_branch_admin": 200, "bad_token": 401, "other_members_record": 200}}
    if seen != expected:
        raise SystemExit(f"the policy switch does not do what it says: {seen}, expected {expected}")
    return seen


def measure(members: int, requests: int, payments: int, rounds: int, amqp_uri: str, pg_admin_url: str,
            profile: float = 0) -> dict:
    rid = run_id()
    secret = secrets.token_urlsafe(48)  # >= 32 bytes
    admin = token(secret, "district-admin", "district_admin")
    slots_needed = 3 * rounds * payments + 2 * WARM_UP
    payers = members - max(1, members // 3)
    if slots_needed > payers * (ADVANCE_MONTHS + 1):
        raise SystemExit(f"{slots_needed} payments need more than the {payers} paying members x "
                         f"{ADVANCE_MONTHS + 1} payable months ({payers * (ADVANCE_MONTHS + 1)}): raise --members "
                         "or lower --payments / --rounds")
    with contextlib.ExitStack() as stack:
        vhost_uri = stack.enter_context(throwaway_vhost(amqp_uri, f"ejia-bench-{rid}"))
        databases = {name: stack.enter_context(fresh_database(pg_admin_url, f"ejia_bench{rid}_{name}"))
                     for name in SERVICES}
        logs = Path(tempfile.mkdtemp(prefix="ejia-bench-gateway-"))  # kept if the run fails
        platform = Platform(vhost_uri, databases, logs, secret)
        stack.callback(platform.close)
        progress(f"starting {', '.join(SERVICES)}, two gateways and the trivial baseline (logs in {logs})")
        wait_until_up(platform)
        started = time.perf_counter()
        setup = set_up(platform, secret, admin, members)
        progress(f"set up in {time.perf_counter() - started:.1f} s; checking the policy switch")
        switch = check_policy_off(platform, setup)

        checks = Checks(setup)
        urls = platform.urls
        # /me of members whose dues do not change during the run (what the gateway keeps of dues
        # serves them), and, once a round, of each paying member right after their payment
        me_jobs = [(mid, setup["member_tokens"][mid]) for mid in setup["readers"]]
        me_jobs = (me_jobs * (requests // len(me_jobs) + 1))[:requests]
        just_paid = [(mid, setup["member_tokens"][mid]) for mid in setup["payers"]]
        slots = payment_slots(setup)
        # months in order: a member's payments of one run are of different months, never the same one
        slot_iter = iter(slots)

        def take(n):
            return [next(slot_iter) for _ in range(n)]

        kinds = {
            "trivial_get": (urls["trivial"], Checks.trivial_me),
            "me_on": (urls["on"], Checks.me), "me_off": (urls["off"], Checks.me),
            "me_just_paid": (urls["on"], Checks.me),
            "trivial_post": (urls["trivial"], checks.trivial_pay),
            "pay_on": (urls["on"], checks.pay), "pay_off": (urls["off"], checks.pay),
        }

        def run(kind, jobs):
            url, fn = kinds[kind]
            return timed_clients(CLIENTS, jobs, lambda: Client(url), fn)

        progress("warming up")
        for kind in kinds:
            if kind.startswith("pay"):
                jobs = take(WARM_UP)
            elif kind == "trivial_post":
                jobs = [{"idempotency_key": f"warm-{i}", "amount": "1.00", "member_id": "w", "months": ["w"]}
                        for i in range(WARM_UP)]
            else:
                jobs = me_jobs[:WARM_UP]
            run(kind, jobs)

        trivial_bodies = [{**body, "idempotency_key": f"trivial-{i}"} for i, body in enumerate(slots[:payments])]
        runs = {kind: [] for kind in kinds}
        latencies = {kind: [] for kind in kinds}

        meter = CpuMeter(platform.pids)
        cpu = {kind: [] for kind in kinds}

        def timed(kind, jobs):
            before = meter.read()
            seconds, lat = run(kind, jobs)
            cpu[kind].append(CpuMeter.per_request(before, meter.read(), len(jobs)))
            runs[kind].append(latency_figures(len(jobs), seconds, lat))
            latencies[kind].extend(lat)
            return runs[kind][-1]

        profiler = Profiler(platform, logs) if profile else None
        paired = {"me": [], "write": []}
        progress(f"{rounds} rounds: /me x {requests:,} on each gateway, payments x {payments:,} on each, each "
                 f"run between two runs of the trivial baseline, {CLIENTS} clients")
        for r in range(rounds):
            first, second = ("on", "off") if r % 2 == 0 else ("off", "on")  # ABBA: neither always goes first
            if profiler and r == 0:
                profiler.start(profile)
            timed("trivial_get", me_jobs)
            a = timed(f"me_{first}", me_jobs)
            timed("trivial_get", me_jobs)
            b = timed(f"me_{second}", me_jobs)
            timed("trivial_get", me_jobs)
            timed("trivial_post", trivial_bodies)
            c = timed(f"pay_{first}", take(payments))
            timed("trivial_post", trivial_bodies)
            d = timed(f"pay_{second}", take(payments))
            timed("trivial_post", trivial_bodies)
            paired["me"].append(paired_run(urls, Checks.me, me_jobs))
            paired["write"].append(paired_run(urls, checks.pay, take(payments)))
            timed("me_just_paid", just_paid)  # every one of them paid a moment ago: dues read anew
            progress(f"round {r + 1}: /me {first} {a['per_second']:,.0f}/s, {second} {b['per_second']:,.0f}/s; "
                     f"pay {first} {c['per_second']:,.0f}/s, {second} {d['per_second']:,.0f}/s; trivial GET "
                     f"{runs['trivial_get'][-1]['per_second']:,.0f}/s, POST "
                     f"{runs['trivial_post'][-1]['per_second']:,.0f}/s")
        profiles = profiler.stop() if profiler else None
        platform.check_alive()
    if profiles is None:
        shutil.rmtree(logs, ignore_errors=True)
    return summarise(members, requests, payments, rounds, setup, switch, runs, latencies, profiles, cpu, paired)


class Pair:
    """A keep-alive connection to each gateway."""

    def __init__(self, urls: dict):
        self.on, self.off = Client(urls["on"]), Client(urls["off"])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.on.close()
        self.off.close()


def paired_run(urls: dict, check, jobs: list) -> dict:
    """``jobs`` with every client alternating between the policy-on and the
    policy-off gateway, request by request: both measured at the same moments,
    under the same load. p50 of each side."""
    sides = {"on": [], "off": []}

    def call(pair, job):
        index, body = job
        side = "on" if index % 2 == 0 else "off"
        started = time.perf_counter()
        check(getattr(pair, side), body)
        sides[side].append(time.perf_counter() - started)

    timed_clients(CLIENTS, list(enumerate(jobs)), lambda: Pair(urls), call)
    return {side: statistics.median(lat) * 1000 for side, lat in sides.items()}


class Profiler:
    """py-spy record of the gateway, members and dues processes during a run."""

    def __init__(self, platform: Platform, logs: Path):
        self.platform, self.logs, self.procs = platform, logs, []

    def start(self, seconds: float):
        spy = str(Path(sys.executable).parent / "py-spy")
        for name in ("gateway", "members", "dues", "trivial_http"):
            out = self.logs / f"profile-{name}.txt"
            self.procs.append((name, out, subprocess.Popen(
                [spy, "record", "--pid", str(self.platform.pids[name]), "--duration", str(int(seconds)),
                 "--format", "raw", "--rate", "100", "--output", str(out), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))

    def stop(self) -> dict:
        for _, _, proc in self.procs:
            proc.wait(timeout=120)
        return {name: str(out) for name, out, _ in self.procs}


def pooled(lat: list[float]) -> dict:
    return {"p50_ms": statistics.median(lat) * 1000, "p99_ms": percentile(lat, 0.99) * 1000}


def median_run(runs: list[dict]) -> dict:
    """The run of median throughput (of an even number, the faster middle one)."""
    return sorted(runs, key=lambda f: f["per_second"])[len(runs) // 2]


def summarise(members, requests, payments, rounds, setup, switch, runs, latencies, profiles, cpu, paired) -> dict:
    rows = {}
    for kind, figures in runs.items():
        best = median_run(figures)
        rows[kind] = {"per_second": best["per_second"], **pooled(latencies[kind]),
                      "runs_per_second": [f["per_second"] for f in figures],
                      "runs_p50_ms": [f["p50_ms"] for f in figures], "requests": len(latencies[kind])}

    def cost(on, off):
        per_round = [a / b - 1 for a, b in zip(rows[on]["runs_p50_ms"], rows[off]["runs_p50_ms"])]
        return {"pooled_p50": rows[on]["p50_ms"] / rows[off]["p50_ms"] - 1,
                "per_round_p50": per_round, "median_of_rounds": statistics.median(per_round),
                "throughput": rows[off]["per_second"] / rows[on]["per_second"] - 1}

    cpu_ms = {kind: {name: statistics.median(run[name] for run in runs_) for name in runs_[0]}
              for kind, runs_ in cpu.items()}
    paired_cost = {name: {"per_round_p50": [r["on"] / r["off"] - 1 for r in rounds_],
                          "median_of_rounds": statistics.median(r["on"] / r["off"] - 1 for r in rounds_),
                          "p50_ms": rounds_}
                   for name, rounds_ in paired.items()}
    return {
        "cpu_ms_per_request": cpu_ms, "policy_cost_paired": paired_cost,
        "members": members, "requests_per_round": requests, "payments_per_round": payments, "rounds": rounds,
        "clients": CLIENTS, "setup_seconds": setup["seconds"], "policy_switch_check": switch,
        "figures": rows,
        "ratios": {"me_on_over_trivial_get": rows["me_on"]["per_second"] / rows["trivial_get"]["per_second"],
                   "me_off_over_trivial_get": rows["me_off"]["per_second"] / rows["trivial_get"]["per_second"],
                   "me_just_paid_over_trivial_get": rows["me_just_paid"]["per_second"]
                   / rows["trivial_get"]["per_second"],
                   "pay_on_over_trivial_post": rows["pay_on"]["per_second"] / rows["trivial_post"]["per_second"],
                   "me_p50_over_trivial_p50": rows["me_on"]["p50_ms"] / rows["trivial_get"]["p50_ms"]},
        "policy_cost": {"me": cost("me_on", "me_off"), "write": cost("pay_on", "pay_off")},
        "profiles": profiles,
    }


LABELS = {"trivial_get": "trivial nameko @http GET + 1 RPC", "me_on": "GET /api/v1/me (policy on)",
          "me_off": "GET /api/v1/me (policy off)",
          "me_just_paid": "GET /api/v1/me right after paying (on)",
          "trivial_post": "trivial nameko @http POST + 1 RPC",
          "pay_on": "POST /api/v1/dues/payments, org_admin (policy on)",
          "pay_off": "POST /api/v1/dues/payments, org_admin (policy off)"}


def show(result: dict):
    f = result["figures"]
    print(f"\n{result['rounds']} rounds, {CLIENTS} concurrent keep-alive clients; /me x "
          f"{result['requests_per_round']:,} a run over {result['members']:,} member tokens, payments x "
          f"{result['payments_per_round']:,} a run (one month of one member each). requests/s: the median run; "
          "p50/p99: every request of that kind")
    print_table([(LABELS[k], f"{f[k]['per_second']:,.0f}", f"{f[k]['p50_ms']:.1f}", f"{f[k]['p99_ms']:.1f}",
                  ", ".join(f"{x:,.0f}" for x in f[k]["runs_per_second"])) for k in LABELS],
                ("what", "req/s", "p50 ms", "p99 ms", "runs req/s"))
    r, c = result["ratios"], result["policy_cost"]
    print(f"\n/me (policy on) / trivial GET: {r['me_on_over_trivial_get']:.2f} (target >= 0.50: "
          f"{'met' if r['me_on_over_trivial_get'] >= 0.5 else 'NOT met'}); policy off: "
          f"{r['me_off_over_trivial_get']:.2f}; /me right after paying (dues read anew): "
          f"{r['me_just_paid_over_trivial_get']:.2f}; payment / trivial POST: {r['pay_on_over_trivial_post']:.2f}")
    for name, label in (("me", "/me"), ("write", "payment")):
        x = c[name]
        print(f"policy check, {label}: p50 on / p50 off - 1 = {x['pooled_p50']:+.1%} (target < 5%: "
              f"{'met' if x['pooled_p50'] < 0.05 else 'NOT met'}); per round "
              + ", ".join(f"{v:+.1%}" for v in x["per_round_p50"]) + f"; throughput {x['throughput']:+.1%}")
    for name, label in (("me", "/me"), ("write", "payment")):
        x = result["policy_cost_paired"][name]
        print(f"  paired (each client alternating between the gateways), {label}: p50 on / off - 1, per round "
              + ", ".join(f"{v:+.1%}" for v in x["per_round_p50"]) + f"; median {x['median_of_rounds']:+.1%}")
    print("\nCPU ms per request, by process (median run; postgres and rabbitmq: every process of the server, "
          "shared with anything else using them):")
    names = list(next(iter(result["cpu_ms_per_request"].values())))
    print_table([(LABELS[k][:34], *(f"{result['cpu_ms_per_request'][k][n]:.1f}" for n in names)) for k in LABELS],
                ("what", *(n.replace("gateway_policy_off", "gw_off").replace("trivial_", "triv_") for n in names)))
    s = result["policy_switch_check"]
    print(f"policy switch checked: other branch's org_admin {s['on']['other_branch_admin']} on / "
          f"{s['off']['other_branch_admin']} off; invalid token {s['on']['bad_token']} / {s['off']['bad_token']}")
    print(f"setup: {result['members']:,} members registered in {result['setup_seconds']['register']:.1f} s, "
          f"dues bases set and statements read in {result['setup_seconds']['dues_bases']:.1f} s")
    if result["profiles"]:
        print("profiles (py-spy raw): " + ", ".join(result["profiles"].values()))
    print("\n" + json.dumps({k: result[k] for k in ("figures", "ratios", "policy_cost", "policy_cost_paired",
                                                     "cpu_ms_per_request")}, indent=1))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=600, help="members (and member tokens), default 600: a "
                        "third read /me, the others pay")
    parser.add_argument("--requests", type=int, default=1000, help="/me and trivial GETs per run (default 1000)")
    parser.add_argument("--payments", type=int, default=500, help="payments per run (default 500; each a month "
                        "of one member: 3 x --rounds x --payments + 200 <= 13 x the paying two thirds of --members)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--profile", type=float, default=0, metavar="SECONDS",
                        help="py-spy record the gateway, members, dues and the trivial @http for SECONDS from the first round")
    parser.add_argument("--amqp-uri", default=AMQP_URI, help="a broker whose management API makes a vhost")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="a PostgreSQL server for throwaway databases")
    parser.add_argument("--json", action="store_true", help="print only the results, as JSON")
    args = parser.parse_args(argv)
    result = measure(args.members, args.requests, args.payments, args.rounds, args.amqp_uri, args.pg_url,
                     args.profile)
    print(json.dumps(result, indent=2)) if args.json else show(result)


if __name__ == "__main__":
    main()
