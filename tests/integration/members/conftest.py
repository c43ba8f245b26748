"""MembersService and OrgsService in real nameko containers on a throwaway
RabbitMQ vhost and fresh PostgreSQL databases (tests/platform_factory.py),
with the members service's master key (a fresh one per test) and token
secret."""
import uuid

from platform_factory import PlatformFixtures
from services.members.service import MembersService
from services.members.vault import new_master_key
from services.orgs.service import OrgsService

JWT_SECRET = "members-integration-secret-" + uuid.uuid4().hex

it = PlatformFixtures("members", ("members", "orgs"), (MembersService, OrgsService),
                      MASTER_KEY=new_master_key, JWT_SECRET=JWT_SECRET)
nameko_platform, members_config, containers = it.platform, it.config, it.containers
members, orgs = it.rpc("members"), it.rpc("orgs")
members_db, orgs_db = it.db("members"), it.db("orgs")
members_as = it.opener("members")
"""members_as(principal) -> an RPC proxy to members calling with that
principal's signed access token (closed after the test)."""
