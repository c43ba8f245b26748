import uuid

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import create_engine

from services.members.service import MembersService
from services.members.vault import new_master_key
from services.orgs.service import OrgsService
from shared.access import issue_access_token
from shared.nameko_adapter import ACTOR_KEY, CORRELATION_KEY, TOKEN_KEY

JWT_SECRET = "members-integration-secret-" + uuid.uuid4().hex


@pytest.fixture
def members_config(rabbit_config, pg_database_factory):
    """A throwaway RabbitMQ vhost and fresh PostgreSQL databases for members
    and orgs; the members service's master key and token secret."""
    return {**rabbit_config, "MASTER_KEY": new_master_key(), "JWT_SECRET": JWT_SECRET,
            "DB_URIS": {"members": pg_database_factory("ejia_test_members"),
                        "orgs": pg_database_factory("ejia_test_morgs")}}


@pytest.fixture
def containers(members_config, container_factory):
    """MembersService and OrgsService in real nameko containers (stopped
    before their databases are dropped)."""
    started = {}
    for cls in (MembersService, OrgsService):
        container = container_factory(cls, members_config)
        container.start()
        started[cls.name] = container
    return started


def _proxy(service, config, principal=None):
    context = {ACTOR_KEY: "district-admin", CORRELATION_KEY: f"members-test-{uuid.uuid4().hex[:8]}"}
    if principal is not None:
        context[TOKEN_KEY] = issue_access_token(config["JWT_SECRET"], principal)
    return ServiceRpcProxy(service, config, context_data=context, timeout=20)


@pytest.fixture
def members_as(containers, members_config):
    """members_as(principal) -> an RPC proxy to members calling with that
    principal's signed access token (closed after the test)."""
    opened = []

    def open_as(principal):
        proxy = _proxy("members", members_config, principal)
        opened.append(proxy)
        return proxy.start()
    yield open_as
    for proxy in opened:
        proxy.stop()


@pytest.fixture
def orgs(containers, members_config):
    with _proxy("orgs", members_config) as proxy:
        yield proxy


@pytest.fixture
def members(containers, members_config):
    with _proxy("members", members_config) as proxy:
        yield proxy


@pytest.fixture
def members_db(members_config):
    engine = create_engine(members_config["DB_URIS"]["members"])
    yield engine
    engine.dispose()


@pytest.fixture
def orgs_db(members_config):
    engine = create_engine(members_config["DB_URIS"]["orgs"])
    yield engine
    engine.dispose()
