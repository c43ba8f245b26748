"""The transfer routes (``services.gateway.transfers_api.TransfersApi``) over
HTTP, with the gateway, members and orgs in real nameko containers on
RabbitMQ and PostgreSQL: the scenarios of tests/e2e/test_transfers.py, run
here against ``GatewayService`` with the ``TransfersApi`` mixin (whether or
not the gateway already includes it), as a signed-in district_admin."""
import importlib.util
from pathlib import Path

import pytest

from access_helpers import ADMIN, AUTH_CONFIG
from platform_factory import GatewaySession, free_port
from services.gateway.service import GatewayService
from services.gateway.transfers_api import TransfersApi
from services.members.service import MembersService
from services.members.vault import new_master_key
from services.orgs.service import OrgsService

pytestmark = pytest.mark.integration

_E2E = Path(__file__).resolve().parents[2] / "e2e" / "test_transfers.py"
_spec = importlib.util.spec_from_file_location("e2e_transfer_scenarios", _E2E)
scenarios = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scenarios)

_bases = (GatewayService,) if issubclass(GatewayService, TransfersApi) else (GatewayService, TransfersApi)
TransfersGateway = type("TransfersGateway", _bases, {"name": "gateway", "__module__": __name__})


@pytest.fixture
def api(rabbit_config, pg_database_factory, container_factory):
    address = f"127.0.0.1:{free_port()}"
    config = {**rabbit_config, **AUTH_CONFIG, "WEB_SERVER_ADDRESS": address, "GATEWAY_RPC_TIMEOUT": 20,
              "max_workers": 20,
              "MASTER_KEY": new_master_key(),
              "DB_URIS": {"orgs": pg_database_factory("ejia_test_tho"),
                          "members": pg_database_factory("ejia_test_thm")}}
    for cls in (OrgsService, MembersService, TransfersGateway):
        container_factory(cls, config).start()
    with GatewaySession(f"http://{address}", ADMIN) as session:
        yield session


for _name in dir(scenarios):
    if _name.startswith("test_"):
        globals()[_name] = getattr(scenarios, _name)
