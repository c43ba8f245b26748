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
from nameko.dependency_providers import Config

from shared.nameko_adapter import CallContext

# The mixins are reached through their modules: `nameko run` takes every
# class with entrypoints found in this module's namespace for a service.
from . import docs, dues_api, members_api, orgs_api, transfers_api
from . import health as health_check
from .auth import Auth
from .http import CORRELATION_HEADER, config_seconds, correlation_id, http
from .openapi import build_spec
from .responses import json_response, response_for_exception


class GatewayService(orgs_api.OrgsApi, members_api.MembersApi, transfers_api.TransfersApi, dues_api.DuesApi):
    name = "gateway"

    ctx = CallContext()
    config = Config()
    auth = Auth()

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
