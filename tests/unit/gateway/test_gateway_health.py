"""/health: "ok" when every service answers in time, else "degraded" (503)."""
import time

import requests
from nameko.exceptions import MethodNotFound, UnknownService

from services.gateway import health
from services.gateway.service import GatewayService


class Proxy:
    def __init__(self, ping):
        self.ping = ping


def _raise(exc):
    def ping():
        raise exc
    return ping


def test_a_service_answering_ping_or_method_not_found_is_ok():
    assert health.probe(Proxy(lambda: "pong"), 0.5) == "ok"
    assert health.probe(Proxy(_raise(MethodNotFound("ping"))), 0.5) == "ok"


def test_a_service_too_slow_or_unknown_is_not_ok():
    assert health.probe(Proxy(lambda: time.sleep(3)), 0.05) == "timeout"
    assert health.probe(Proxy(_raise(UnknownService("orgs"))), 0.5) == "unavailable"


def test_health_is_degraded_when_no_service_answers_and_probes_them_at_once(container_factory,
                                                                            memory_config):
    config = memory_config()  # no service runs in this test
    container_factory(GatewayService, config).start()
    started = time.monotonic()
    response = requests.get("http://" + config["WEB_SERVER_ADDRESS"] + "/health", timeout=10)
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "service": "gateway",
                               "services": {"dues": "timeout", "identity": "timeout",
                                                "members": "timeout", "orgs": "timeout"}}
    assert time.monotonic() - started < 0.5 * 2  # one timeout (0.5 s), not one per service


def test_every_rpc_proxy_of_the_gateway_is_probed(gateway, orgs, members, dues, identity):
    assert health.service_proxies(gateway) == {"orgs": orgs, "members": members, "dues": dues,
                                               "identity": identity}


def test_one_service_down_is_named(gateway, orgs, members, dues, identity):
    orgs.ping.return_value = "pong"
    dues.ping.return_value = "pong"
    identity.ping.return_value = "pong"
    members.ping.side_effect = UnknownService("members")
    response = health.health_response(health.service_proxies(gateway), 0.5)
    assert response.status_code == 503
    assert response.get_json()["services"] == {"dues": "ok", "identity": "ok", "members": "unavailable",
                                               "orgs": "ok"}
