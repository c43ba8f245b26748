"""OrgsService in a real nameko container on a throwaway RabbitMQ vhost and
a fresh PostgreSQL database (tests/platform_factory.py); ``orgs`` calls as
``caller``, and ``event_tap`` is bound to ``orgs.events`` before anything is
published."""
from platform_factory import PlatformFixtures
from services.orgs.service import OrgsService

it = PlatformFixtures("orgs", ("orgs",), (OrgsService,))
nameko_platform, orgs_config, caller = it.platform, it.config, it.caller
orgs, event_tap = it.rpc("orgs"), it.tap("orgs")
