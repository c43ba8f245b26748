"""MembersService and OrgsService in real nameko containers on a throwaway
RabbitMQ vhost and fresh PostgreSQL databases (tests/platform_factory.py);
``start_members()`` starts another MembersService on the same ones."""
import pytest

from platform_factory import PlatformFixtures
from services.members.service import MembersService
from services.members.vault import new_master_key
from services.orgs.service import OrgsService

it = PlatformFixtures("transfers", ("members", "orgs"), (OrgsService, MembersService), max_workers=20,
                      MASTER_KEY=new_master_key)
nameko_platform, transfers_config, containers = it.platform, it.config, it.containers
members, orgs = it.rpc("members", timeout=30), it.rpc("orgs", timeout=30)
members_db, orgs_db = it.db("members"), it.db("orgs")


@pytest.fixture
def start_members(nameko_platform):
    """start_members() -> a new, started MembersService container on the same
    vhost and database (the test may kill one and start another)."""
    return lambda: nameko_platform.start(MembersService)
