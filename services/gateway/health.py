"""GET /health: the gateway is up, and each service it composes (every
``RpcProxy`` of the gateway) answers an RPC within a short timeout
("degraded", 503, when one does not). The services are probed at once, so
the answer takes one timeout at most, however many there are."""
import inspect
import logging

import eventlet
from nameko.exceptions import MethodNotFound
from nameko.rpc import RpcProxy

from .responses import json_response

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 2.0


class Readiness:
    """Whether the process is still starting. A runner that does more than
    start containers (the embedded run loads its demo data and redelivers
    what a crash left undelivered) says so, and /health answers 503
    "starting" until it is done; a gateway on its own is ready once started."""

    def __init__(self):
        self.detail = None

    @property
    def starting(self) -> bool:
        return self.detail is not None

    def starting_because(self, detail: str):
        self.detail = detail

    def ready(self):
        self.detail = None


readiness = Readiness()
PROBE_METHOD = "ping"


class _NoAnswer(Exception):
    pass


def probe(proxy, timeout: float) -> str:
    """"ok" when the service behind ``proxy`` answers ``ping()`` in time.

    A service without a ``ping`` method still proves it is consuming its
    queue by answering MethodNotFound, so that counts as an answer too.
    """
    try:
        with eventlet.Timeout(timeout, _NoAnswer):
            getattr(proxy, PROBE_METHOD)()
    except MethodNotFound:
        return "ok"
    except _NoAnswer:
        return "timeout"
    except Exception as exc:
        log.warning("health probe failed: %s: %s", type(exc).__name__, str(exc)[:200])
        return "unavailable"
    return "ok"


def service_proxies(service) -> dict:
    """{service name: the worker's proxy} for each ``RpcProxy`` declared on
    the service class (or its mixins)."""
    return {provider.target_service: getattr(service, attr)
            for attr, provider in inspect.getmembers(type(service), lambda m: isinstance(m, RpcProxy))}


def health_response(proxies: dict, timeout: float, headers=None):
    if readiness.starting:
        return json_response({"status": "starting", "service": "gateway", "detail": readiness.detail}, 503,
                             headers)
    pool = eventlet.GreenPool(max(1, len(proxies)))
    probes = {name: pool.spawn(probe, proxy, timeout) for name, proxy in proxies.items()}
    services = {name: thread.wait() for name, thread in sorted(probes.items())}
    ok = all(state == "ok" for state in services.values())
    body = {"status": "ok" if ok else "degraded", "service": "gateway", "services": services}
    return json_response(body, 200 if ok else 503, headers)
