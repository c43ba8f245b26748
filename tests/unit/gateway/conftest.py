"""Gateway unit tests: entrypoints called directly (nameko's worker_factory)
with werkzeug requests, fake orgs, members, dues and identity RPC proxies, a
real ``Authenticator`` (the tests' secret) and a fixed scope index; or the
gateway in a container over kombu's in-memory transport (no broker).

``call`` sends a district_admin's token unless the test gives its own
Authorization header or asks for an ``anonymous`` request."""
import io
import json
import socket
from unittest import mock

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from unit.fixed_scope import DISTRICT_ROOT, FixedScope  # noqa: F401
from gateway_helpers import ADMIN, AUTH_CONFIG, SECRET
from services.gateway.auth import Authenticator
from services.gateway.service import GatewayService
from shared.nameko_adapter import prepare_memory_transport


def make_request(method="GET", path="/", *, json_body=None, data=None, headers=None,
                 query=None, chunked=False):
    """A werkzeug Request as nameko hands it to an entrypoint."""
    if json_body is not None:
        data = json.dumps(json_body)
    if isinstance(data, str):
        data = data.encode("utf-8")
    builder = EnvironBuilder(method=method, path=path, query_string=query, headers=headers or {},
                             data=None if chunked else data, content_type="application/json")
    environ = builder.get_environ()
    if chunked:  # no Content-Length: the server terminates the stream (eventlet)
        environ.pop("CONTENT_LENGTH", None)
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input"] = io.BytesIO(data or b"")
    return Request(environ)


class Reply:
    """A response's status, headers and decoded JSON body."""

    def __init__(self, response):
        self.response = response
        self.status = response.status_code
        self.headers = response.headers
        self.text = response.get_data().decode("utf-8", errors="replace")
        is_json = response.mimetype == "application/json"
        self.json = json.loads(self.text) if is_json else None

    @property
    def error(self):
        return self.json["error"]


def _rpc_double(service):
    """A fixture named for the service: a Mock in place of its RPC proxy."""
    return pytest.fixture(name=service)(lambda: mock.Mock(name=service))


orgs, members, dues, identity = (_rpc_double(service) for service in ("orgs", "members", "dues", "identity"))


@pytest.fixture
def scope():
    return FixedScope()


@pytest.fixture
def gateway(orgs, members, dues, identity, scope):
    return worker_factory(GatewayService, orgs=orgs, members=members, dues=dues, identity=identity,
                          auth=Authenticator(SECRET), scope=scope,
                          config={"GATEWAY_RPC_TIMEOUT": 1.0, **AUTH_CONFIG})


@pytest.fixture
def call(gateway):
    """call("create_org", "POST", "/api/v1/orgs", json_body={...}, org_id=...) -> Reply.

    As a district_admin unless ``headers`` has its own Authorization or
    ``anonymous=True``."""

    def do(entrypoint, method="GET", path="/", *, json_body=None, data=None, headers=None,
           query=None, chunked=False, anonymous=False, **path_values):
        headers = dict(headers or {})
        if not anonymous and "Authorization" not in headers:
            headers = {**ADMIN, **headers}
        request = make_request(method, path, json_body=json_body, data=data, headers=headers,
                               query=query, chunked=chunked)
        return Reply(getattr(gateway, entrypoint)(request, **path_values))

    return do


@pytest.fixture(scope="session")
def memory_config():
    """memory_config() -> a container config: in-memory AMQP, a free web port."""

    def make():
        prepare_memory_transport()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        return {"AMQP_URI": "memory://", "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
                "GATEWAY_HEALTH_TIMEOUT": 0.5, "GATEWAY_RPC_TIMEOUT": 5, **AUTH_CONFIG}

    return make
