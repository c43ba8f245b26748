"""The HTTP API (/api/v1) over the services' RPC.

The routes of each service are a mixin: ``orgs_api.OrgsApi``,
``members_api.MembersApi``, ``transfers_api.TransfersApi``,
``dues_api.DuesApi`` (nameko finds entrypoints and dependencies on
base classes). A new service's routes are one more mixin with its own
``RpcProxy``; /health probes every proxy it finds. Each route only calls a
service and returns its answer; authentication, reading, validating, errors
and JSON are in ``http.py`` and ``auth.py``, the OpenAPI document in
``openapi.py``, Swagger UI in ``docs.py``.
"""
import inspect

from nameko.dependency_providers import Config
from nameko.events import BROADCAST, event_handler
from nameko.web.handlers import HttpRequestHandler

from shared.nameko_adapter import CallContext

# The mixins are reached through their modules: `nameko run` takes every
# class with entrypoints found in this module's namespace for a service.
from . import docs, dues_api, identity_api, members_api, orgs_api, policy, spreadsheets_api, transfers_api
from . import health as health_check
from .auth import Auth
from .http import CORRELATION_HEADER, config_seconds, correlation_id, http
from .openapi import build_spec
from .responses import json_response, response_for_exception
from .dues_status import DuesStatus
from .scope import Scope


def _scope_events(source, event_type):
    """Each gateway replica hears every such event on its own queue (it keeps
    its own ``ScopeIndex``); one lost while it was away is read on demand."""
    return event_handler(source, event_type, handler_type=BROADCAST, reliable_delivery=False)


class GatewayService(identity_api.IdentityApi, orgs_api.OrgsApi, members_api.MembersApi,
                     transfers_api.TransfersApi, dues_api.DuesApi, spreadsheets_api.SpreadsheetsApi):
    name = "gateway"

    ctx = CallContext()
    config = Config()
    auth = Auth()
    scope = Scope()
    dues_status = DuesStatus()

    # -- the policy's read model (scope.py) --------------------------------
    @_scope_events("members", "members.#")
    def on_member_event(self, event):
        self.scope.apply(event)

    @_scope_events("members", "transfers.#")
    def on_transfer_event(self, event):
        self.scope.apply(event)

    @_scope_events("orgs", "orgs.founding_requested")
    def on_founding_requested(self, event):
        self.scope.apply(event)

    # -- what /me keeps of dues (dues_status.py) ---------------------------
    @_scope_events("dues", "dues.#")
    def on_dues_event(self, event):
        self.dues_status.apply(event)

    # -- operations ------------------------------------------------------
    @http("GET", "/health")
    def health(self, request):
        timeout = config_seconds(self, "GATEWAY_HEALTH_TIMEOUT", health_check.DEFAULT_TIMEOUT)
        return health_check.health_response(health_check.service_proxies(self), timeout, _headers(request))

    @http("GET", docs.SPEC_PATH)
    def openapi(self, request):
        return json_response(build_spec(type(self)), headers=_headers(request))

    @http("GET", docs.DOCS_PATH)
    def docs_page(self, request):
        return docs.page()

    @http("GET", docs.DOCS_PATH + "/<path:asset>")
    def docs_asset(self, request, asset):
        try:
            return docs.asset(asset)
        except Exception as exc:
            return response_for_exception(exc, "GET /docs", correlation_id(request))


def _headers(request):
    return {CORRELATION_HEADER: correlation_id(request)}


def http_routes(service_cls):
    """(method, path) of every HTTP entrypoint of ``service_cls``."""
    return [(entrypoint.method, entrypoint.url)
            for _, member in inspect.getmembers(service_cls, callable)
            for entrypoint in getattr(member, "nameko_entrypoints", ())
            if isinstance(entrypoint, HttpRequestHandler)]


# A route without a policy entry stops the gateway here, before it serves anything.
policy.check_routes(http_routes(GatewayService))
