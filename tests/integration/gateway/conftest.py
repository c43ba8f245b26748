"""The whole platform in real nameko containers (identity, orgs, members,
dues, gateway) on a throwaway RabbitMQ vhost and fresh PostgreSQL databases,
driven over HTTP (``platform`` fixture)."""
import socket
import time

import pytest
import requests

from access_helpers import ADMIN, AUTH_CONFIG
from services.dues.service import DuesService
from services.gateway.service import GatewayService
from services.identity.service import IdentityService
from services.members.service import MembersService
from services.orgs.service import OrgsService

SERVICES = {"identity": IdentityService, "orgs": OrgsService, "members": MembersService, "dues": DuesService}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Platform(requests.Session):
    """A requests session on the gateway: ``call(method, path, expect, ...)``
    sends as district_admin unless ``headers`` say otherwise."""

    def __init__(self, address):
        super().__init__()
        self.base = f"http://{address}"

    def url(self, path):
        return self.base + path

    def call(self, method, path, expect=None, headers=None, **kwargs):
        response = self.request(method, self.url(path), timeout=30,
                                headers=ADMIN if headers is None else headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, (method, path, response.status_code, response.text)
        return response

    def until(self, method, path, expect, timeout=20, **kwargs):
        """Retry while the answer is not ``expect`` (a service learning of a
        new record from another's events)."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.call(method, path, **kwargs)
            if response.status_code == expect or time.monotonic() > deadline:
                assert response.status_code == expect, (method, path, response.status_code, response.text)
                return response.json()
            time.sleep(0.1)


@pytest.fixture
def platform(rabbit_config, pg_database_factory, container_factory):
    address = f"127.0.0.1:{free_port()}"
    config = {**rabbit_config, **AUTH_CONFIG, "WEB_SERVER_ADDRESS": address, "GATEWAY_RPC_TIMEOUT": 20,
              "DB_URIS": {name: pg_database_factory(f"ejia_test_gw{name[:3]}") for name in SERVICES}}
    containers = [container_factory(cls, config) for cls in (*SERVICES.values(), GatewayService)]
    for container in containers:
        container.start()
    session = Platform(address)
    session.db_urls = config["DB_URIS"]
    yield session
    session.close()
    for container in reversed(containers):
        container.kill()
