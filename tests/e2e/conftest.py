"""The platform started as a user would start it, driven over HTTP.

``distributed``: each service is its own ``nameko run`` process, with the
same command and EJIA_* variables as docker-compose.yml, on a throwaway
RabbitMQ vhost and fresh PostgreSQL databases. Requests are signed in: the
``api`` session carries a district_admin access token signed with the
secret the processes are given (EJIA_JWT_SECRET)."""
import base64
import os
import uuid

import pytest
import requests

from platform_factory import GatewaySession, free_port

from .cluster import ROOT, SERVICES, Cluster  # noqa: F401  (ROOT: the test modules import it from here)

RABBIT_API = os.environ.get("EJIA_TEST_RABBIT_API", "http://127.0.0.1:15672/api")
RABBIT_AUTH = ("guest", "guest")
DISTRIBUTED_SERVICES = SERVICES
JWT_SECRET = "e2e-jwt-secret-" + uuid.uuid4().hex + uuid.uuid4().hex
MASTER_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()  # the members service's, this run only


def make_vhost() -> str:
    vhost = f"ejia-e2e-{uuid.uuid4().hex[:8]}"
    requests.put(f"{RABBIT_API}/vhosts/{vhost}", auth=RABBIT_AUTH, timeout=10).raise_for_status()
    requests.put(f"{RABBIT_API}/permissions/{vhost}/guest", auth=RABBIT_AUTH, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    return vhost


def drop_vhost(vhost: str):
    requests.delete(f"{RABBIT_API}/vhosts/{vhost}", auth=RABBIT_AUTH, timeout=10)


@pytest.fixture(scope="session")
def rabbit_vhost():
    vhost = make_vhost()
    yield vhost
    drop_vhost(vhost)


def start_cluster(vhost, logs, replicas=None) -> Cluster:
    """Every service started (``replicas``: {service: how many}), healthy."""
    cluster = Cluster(vhost, free_port(), logs, JWT_SECRET, MASTER_KEY)
    try:
        for name in DISTRIBUTED_SERVICES:
            for replica in range(1, (replicas or {}).get(name, 1) + 1):
                cluster.start(name, replica)
        cluster.wait_until_healthy()
    except BaseException:
        cluster.stop()
        raise
    return cluster


@pytest.fixture(scope="session")
def platform(rabbit_vhost, tmp_path_factory):
    """identity, orgs, members, dues and the gateway as separate `nameko run` processes;
    yields the base URL."""
    cluster = start_cluster(rabbit_vhost, tmp_path_factory.mktemp("e2e-logs"))
    try:
        yield cluster.base_url
        for key, alive in cluster.alive().items():  # none may have died along the way
            assert alive, f"{key} exited; log in {cluster.logs}"
    finally:
        cluster.stop()


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
    with GatewaySession(platform, auth_headers(subject="e2e-tester")) as session:
        yield session


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
