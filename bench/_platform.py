"""The harness of the benchmarks that run the platform as docker-compose.yml
runs it (bench/members.py, bench/dues.py): a throwaway RabbitMQ vhost,
services as `nameko run` processes, concurrent timed clients, a lean HTTP
client, and latency percentiles. Every API request is signed in: a
district_admin access token signed with the secret the processes are given
(EJIA_JWT_SECRET, one per run unless set)."""
import base64
import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

from _common import ROOT

RABBIT_API = os.environ.get("EJIA_BENCH_RABBIT_API", "http://127.0.0.1:15672/api")
RABBIT_AUTH = ("guest", "guest")
NAMEKO_CONFIG = str(ROOT / "config" / "nameko.yaml")
BENCH_DIR = ROOT / "bench"
JWT_SECRET = os.environ.get("EJIA_JWT_SECRET") or secrets.token_urlsafe(48)
"""The gateway's signing secret for this run (given to every process)."""
TOKEN_SECONDS = 60 * 60  # the longest life a token may claim; renewed well before it ends


def progress(message: str):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_token = {"value": None, "at": 0.0}


def admin_headers() -> dict:
    """Headers of a district_admin's request (the bench's own account),
    signed with ``JWT_SECRET``; one token, renewed every half hour."""
    if _token["value"] is None or time.monotonic() - _token["at"] > TOKEN_SECONDS / 2:
        from shared.access import Grant, Principal, issue_access_token
        principal = Principal("bench-admin", (Grant("district_admin"),), "bench-admin")
        _token.update(value=issue_access_token(JWT_SECRET, principal, TOKEN_SECONDS), at=time.monotonic())
    return {"Authorization": f"Bearer {_token['value']}"}


_member_tokens: dict = {}


def member_headers(member_id: str) -> dict:
    """Headers of the member's own request (their account, role member)."""
    if member_id not in _member_tokens:
        from shared.access import Grant, Principal, issue_access_token
        principal = Principal(f"member-{member_id[:8]}", (Grant("member"),), None, member_id)
        _member_tokens[member_id] = issue_access_token(JWT_SECRET, principal, TOKEN_SECONDS)
    return {"Authorization": f"Bearer {_member_tokens[member_id]}"}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def latency_figures(count: int, seconds: float, latencies: list[float]) -> dict:
    return {"count": count, "seconds": seconds, "per_second": count / seconds,
            "p50_ms": statistics.median(latencies) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000}


@contextlib.contextmanager
def throwaway_vhost(amqp_uri: str, name: str):
    """A RabbitMQ vhost for this run (its AMQP URI), deleted on the way out."""
    requests.put(f"{RABBIT_API}/vhosts/{name}", auth=RABBIT_AUTH, timeout=10).raise_for_status()
    requests.put(f"{RABBIT_API}/permissions/{name}/guest", auth=RABBIT_AUTH, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    try:
        yield amqp_uri.rstrip("/") + "/" + name
    finally:
        requests.delete(f"{RABBIT_API}/vhosts/{name}", auth=RABBIT_AUTH, timeout=10)


class Processes:
    """`nameko run --config config/nameko.yaml ...` processes, one log file each
    in ``logs``; their process groups are stopped on close."""

    def __init__(self, logs: Path, env: dict):
        # the members service refuses to start without a master key: a throwaway one per run
        # and the gateway without a JWT secret: the run's, which admin_headers() signs with
        self.logs, self.env = logs, {"EJIA_MASTER_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
                                     **os.environ, "EJIA_JWT_SECRET": JWT_SECRET, **env}
        self.running: list[tuple[str, subprocess.Popen]] = []
        self.nameko = str(Path(sys.executable).parent / "nameko")

    def start(self, name: str, *services: str, cwd: Path = ROOT, **env):
        """Run ``services`` (``module`` or ``module:Class``, found from ``cwd``)."""
        with open(self.logs / f"{name}.log", "w") as log:
            self.running.append((name, subprocess.Popen(
                [self.nameko, "run", "--config", NAMEKO_CONFIG, *services], cwd=cwd, env={**self.env, **env},
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)))

    def check_alive(self):
        for name, proc in self.running:
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited with {proc.returncode}: see {self.logs / (name + '.log')}")

    def wait_until(self, predicate, what: str, timeout: float = 300):
        """Poll ``predicate`` (exceptions count as not yet) while every process lives."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(Exception):
                if predicate():
                    return
            time.sleep(0.3)
        raise SystemExit(f"timed out after {timeout}s waiting for {what}: see {self.logs}")

    def close(self):
        for _, proc in self.running:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _, proc in self.running:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


class JsonClient:
    """One keep-alive HTTP/1.1 connection sending JSON: http.client, not
    requests, so the load generator costs little of the CPU it shares with
    what it measures."""

    def __init__(self, base_url: str, timeout: float = 60):
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
        """As the bench's district_admin unless ``headers`` say who."""
        data = None if body is None else json.dumps(body).encode()
        headers = {**(headers or admin_headers()), **({"Content-Type": "application/json"} if data is not None else {})}
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            return response.status, json.loads(response.read() or b"null")
        except Exception:
            self.connection.close()  # the next request reconnects
            raise

    def close(self):
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def timed_clients(clients: int, jobs: list, session_factory, call, warm_up=None) -> tuple[float, list[float]]:
    """``clients`` threads, each with its own session (an RPC client or an HTTP
    connection, a context manager), taking the next of ``jobs`` until none is
    left; each job is ``call(session, job)``. The clock starts once every
    session is open (and ``warm_up(session)`` done). Returns (seconds,
    latencies)."""
    latencies: list[float] = []
    errors: list[BaseException] = []
    ready = threading.Barrier(clients + 1)
    lock = threading.Lock()
    queue = iter(jobs)

    def client():
        try:
            with session_factory() as session:
                if warm_up is not None:
                    warm_up(session)
                ready.wait()
                mine = []
                while not errors:
                    with lock:
                        job = next(queue, None)
                    if job is None:
                        break
                    started = time.perf_counter()
                    call(session, job)
                    mine.append(time.perf_counter() - started)
                with lock:
                    latencies.extend(mine)
        except BaseException as exc:  # reported below
            errors.append(exc)
            with contextlib.suppress(threading.BrokenBarrierError):
                ready.abort()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
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
