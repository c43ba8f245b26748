"""The whole platform in real nameko containers (identity, orgs, members,
dues, gateway) on a throwaway RabbitMQ vhost and fresh PostgreSQL databases
(tests/platform_factory.py), driven over HTTP (``platform`` fixture)."""
import time

import pytest
import requests

from access_helpers import ADMIN, AUTH_CONFIG
from platform_factory import NamekoPlatform, free_port
from services.dues.service import DuesService
from services.gateway.service import GatewayService
from services.identity.service import IdentityService
from services.members.service import MembersService
from services.orgs.service import OrgsService

SERVICES = {"identity": IdentityService, "orgs": OrgsService, "members": MembersService, "dues": DuesService}


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
    with NamekoPlatform(rabbit_config, pg_database_factory, container_factory, SERVICES,
                        (*SERVICES.values(), GatewayService), "gw", **AUTH_CONFIG,
                        WEB_SERVER_ADDRESS=address, GATEWAY_RPC_TIMEOUT=20) as services:
        services.running()
        session = Platform(address)
        session.db_urls = services.config["DB_URIS"]
        yield session
        session.close()
