"""The platform started as a user would start it, driven over HTTP.

``distributed``: each service is its own ``nameko run`` process, with the
same command and EJIA_* variables as docker-compose.yml, on a throwaway
RabbitMQ vhost and fresh PostgreSQL databases. Requests are signed in: the
``api`` session carries a district_admin access token signed with the
secret the processes are given (EJIA_JWT_SECRET)."""
import base64
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
RABBIT_API = os.environ.get("EJIA_TEST_RABBIT_API", "http://127.0.0.1:15672/api")
RABBIT_AUTH = ("guest", "guest")
DISTRIBUTED_SERVICES = ("identity", "orgs", "members", "dues", "gateway")
DATABASES = ("identity", "orgs", "members", "dues")  # EJIA_<NAME>_DB_URL, as in config/nameko.yaml
JWT_SECRET = "e2e-jwt-secret-" + uuid.uuid4().hex + uuid.uuid4().hex
MASTER_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()  # the members service's, this run only


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(base_url, process_list, timeout=60):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        for name, proc in process_list:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}")
        try:
            response = requests.get(f"{base_url}/health", timeout=2)
            if response.status_code == 200:
                return
            last = response.text
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.3)
    raise RuntimeError(f"platform not healthy within {timeout}s: {last}")


@pytest.fixture(scope="session")
def rabbit_vhost():
    vhost = f"ejia-e2e-{uuid.uuid4().hex[:8]}"
    requests.put(f"{RABBIT_API}/vhosts/{vhost}", auth=RABBIT_AUTH, timeout=10).raise_for_status()
    requests.put(f"{RABBIT_API}/permissions/{vhost}/guest", auth=RABBIT_AUTH, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    yield vhost
    requests.delete(f"{RABBIT_API}/vhosts/{vhost}", auth=RABBIT_AUTH, timeout=10)


@pytest.fixture(scope="session")
def platform(rabbit_vhost, tmp_path_factory):
    """Start identity, orgs, members, dues and the gateway as separate `nameko run` processes;
    yield the base URL."""
    from sqlalchemy import create_engine, text
    suffix = uuid.uuid4().hex[:8]
    admin_url = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
    databases = {name: f"ejia_e2e_{name}_{suffix}" for name in DATABASES}
    port = free_port()
    env = {**os.environ,
           "EJIA_AMQP_URI": f"pyamqp://guest:guest@127.0.0.1:5672/{rabbit_vhost}",
           "EJIA_GATEWAY_ADDRESS": f"127.0.0.1:{port}",
           "EJIA_JWT_SECRET": JWT_SECRET,
           "EJIA_MASTER_KEY": MASTER_KEY,
           **{f"EJIA_{name.upper()}_DB_URL": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{db}"
              for name, db in databases.items()}}
    logs = tmp_path_factory.mktemp("e2e-logs")
    processes = []
    for name in DISTRIBUTED_SERVICES:
        log_file = open(logs / f"{name}.log", "w")
        command = [str(Path(sys.executable).parent / "nameko"), "run", "--config",
                   "config/nameko.yaml", f"services.{name}.service"]
        processes.append((name, subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file,
                                                 stderr=subprocess.STDOUT, start_new_session=True)))
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, processes)
        yield base_url
        for name, proc in processes:  # none may have died along the way
            assert proc.poll() is None, f"{name} exited with {proc.returncode}; log in {logs}"
    finally:
        for _, proc in processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name, proc in processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for db in databases.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        engine.dispose()


def access_token(subject="e2e-admin", role="district_admin", org_id=None, member_id=None) -> str:
    """An access token the platform accepts (signed with its EJIA_JWT_SECRET)."""
    from access_helpers import token
    return token(subject, role, org_id, member_id, secret=JWT_SECRET)


def auth_headers(**kwargs) -> dict:
    return {"Authorization": f"Bearer {access_token(**kwargs)}"}


@pytest.fixture
def api(platform):
    """Requests to the platform as district_admin ``e2e-tester`` (a fresh
    token per test: they live 15 minutes)."""
    session = requests.Session()
    session.headers.update(auth_headers(subject="e2e-tester"))

    class Api:
        base = platform

        def __getattr__(self, method):
            def call(path, **kwargs):
                kwargs.setdefault("timeout", 30)
                return session.request(method.upper(), f"{platform}{path}", **kwargs)
            return call

    return Api()


@pytest.fixture
def admin_token():
    """A district_admin's access token."""
    return access_token("e2e-admin")


@pytest.fixture
def token_for():
    """token_for(role, org_id=None, member_id=None, subject=None) -> headers."""
    def make(role, org_id=None, member_id=None, subject=None):
        return auth_headers(subject=subject or role.replace("_", "-"), role=role, org_id=org_id,
                            member_id=member_id)
    return make
