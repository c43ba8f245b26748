"""IdentityService in a real nameko container on a throwaway RabbitMQ vhost
and a fresh PostgreSQL database (tests/platform_factory.py), throttling
sign-in after 3 failures. Its proxies call as ``caller``; ``event_tap`` is
bound to ``identity.events`` before anything is published and answers with
the bodies as published (the tests look for secrets in them)."""
from platform_factory import PlatformFixtures
from services.identity.service import IdentityService

it = PlatformFixtures("identity", ("identity",), (IdentityService,), SIGNIN_MAX_FAILURES_PER_USER=3)
nameko_platform, identity_config, caller = it.platform, it.config, it.caller
identity_proxy = it.opener("identity")
"""identity_proxy() -> another RPC proxy to the service (stopped after the test)."""
identity, event_tap = it.rpc("identity"), it.tap("identity", raw_bodies=True)
