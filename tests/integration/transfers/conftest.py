import pytest
from sqlalchemy import create_engine

from services.members.service import MembersService
from services.members.vault import new_master_key
from services.orgs.service import OrgsService
from transfers_it_helpers import rpc_proxy

@pytest.fixture
def transfers_config(rabbit_config, pg_database_factory):
    """A throwaway RabbitMQ vhost and fresh PostgreSQL databases for members and orgs."""
    return {**rabbit_config, "max_workers": 20, "MASTER_KEY": new_master_key(),
            "DB_URIS": {"members": pg_database_factory("ejia_test_tmembers"),
                        "orgs": pg_database_factory("ejia_test_torgs")}}


@pytest.fixture
def start_members(transfers_config, container_factory):
    """start_members() -> a new, started MembersService container on the same
    vhost and database (the test may kill one and start another)."""
    def start():
        container = container_factory(MembersService, transfers_config)
        container.start()
        return container
    return start


@pytest.fixture
def containers(transfers_config, container_factory, start_members):
    orgs = container_factory(OrgsService, transfers_config)
    orgs.start()
    return {"orgs": orgs, "members": start_members()}


@pytest.fixture
def orgs(containers, transfers_config):
    with rpc_proxy("orgs", transfers_config) as proxy:
        yield proxy


@pytest.fixture
def members(containers, transfers_config):
    with rpc_proxy("members", transfers_config) as proxy:
        yield proxy


@pytest.fixture
def members_db(transfers_config):
    engine = create_engine(transfers_config["DB_URIS"]["members"])
    yield engine
    engine.dispose()


@pytest.fixture
def orgs_db(transfers_config):
    engine = create_engine(transfers_config["DB_URIS"]["orgs"])
    yield engine
    engine.dispose()
