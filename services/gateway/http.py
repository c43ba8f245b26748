"""JSON over HTTP for the gateway, on nameko's ``@http``.

- ``http``: nameko's HTTP entrypoint on a web server whose unknown routes
  (404) and wrong methods (405) answer in the API's JSON error shape;
- ``api``: the decorator every API route uses. It authenticates the caller
  (an optional bearer token, ``auth.py``), reads and validates the request
  (JSON object body of at most 64 KiB, contract schema, query parameters),
  sets who is acting (the token's subject, else the X-Actor header) and the
  correlation id for the RPC calls, runs the handler under a timeout, and
  turns its result or its error into a JSON response. The handler only
  calls the service and returns a value.

Every error body is ``{"error": {"code", "message", "fields"}}`` (plus
``rule`` for a rule violation).
"""
import functools
import inspect
import re
import uuid
from dataclasses import dataclass

import eventlet
from marshmallow import ValidationError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from .payload import read_json_object, read_query
from .responses import HttpError, RpcTimedOut, error_response, json_response, response_for_exception

V1 = "/api/v1"
CORRELATION_HEADER = "X-Correlation-Id"
ACTOR_HEADER = "X-Actor"
DEFAULT_RPC_TIMEOUT = 30.0
_CORRELATION_RE = re.compile(r"[A-Za-z0-9._:\-]{1,128}")  # the event stores keep 200
MAX_ACTOR = 100  # the event stores keep 100


class JsonWsgiApp(WsgiApp):
    """nameko's WSGI app, with routing errors as JSON instead of HTML."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values
            response = provider.handle_request(request)
        except RequestRedirect as exc:
            response = exc
        except HTTPException as exc:
            response = routing_error_response(exc, correlation_id(request))
        return response(environ, start_response)


def routing_error_response(exc: HTTPException, correlation: str) -> Response:
    headers = {CORRELATION_HEADER: correlation}
    if isinstance(exc, MethodNotAllowed):
        headers["Allow"] = ", ".join(sorted(exc.valid_methods or ()))
        return error_response(405, "method_not_allowed",
                              "This method is not allowed on this resource.", headers=headers)
    if exc.code == 404:
        return error_response(404, "not_found", "No such resource.", headers=headers)
    return error_response(exc.code or 500, "http_error", exc.description or exc.name, headers=headers)


class JsonWebServer(WebServer):
    def get_wsgi_app(self):
        return JsonWsgiApp(self)


class JsonHttpEntrypoint(HttpRequestHandler):
    """``@http`` whose own failures (outside the worker) are JSON as well."""

    server = JsonWebServer()

    def response_from_exception(self, exc):
        return response_for_exception(exc, f"{self.method} {self.url}", str(uuid.uuid4()))


http = JsonHttpEntrypoint.decorator


@dataclass(frozen=True)
class Route:
    """What the OpenAPI document says about one API entrypoint."""
    method: str
    path: str
    summary: str
    tag: str
    body: type | None = None
    query: type | None = None
    response: type | None = None
    many: bool = False
    status: int = 200
    example: dict | None = None
    description: str | None = None

    @property
    def methods(self):
        return tuple(self.method.split(","))


def api(method, path, *, summary, tag, body=None, query=None, response=None, many=False, status=200,
        example=None, description=None):
    """An ``@http`` entrypoint speaking JSON; see the module docstring.

    The handler is called as ``fn(self, **path_values, [data=body], **query,
    [caller=Caller])`` (``caller`` only if the handler has that parameter)
    and returns a JSON-able value (sent with ``status``). ``example`` is the
    request body example shown in the OpenAPI document.
    """
    route = Route(method, path, summary, tag, body, query, response, many, status, example, description)
    body_schema = body() if body is not None else None
    query_schema = query() if query is not None else None

    def decorate(fn):
        wants_caller = "caller" in inspect.signature(fn).parameters

        @functools.wraps(fn)
        def entrypoint(self, request, **path_values):
            correlation = correlation_id(request)
            headers = {CORRELATION_HEADER: correlation}
            try:
                caller = self.auth.caller(request)
                kwargs = dict(path_values)
                if body_schema is not None:
                    kwargs["data"] = validated_body(request, body_schema)
                if query_schema is not None:
                    kwargs.update(read_query(request, query_schema))
                if wants_caller:
                    kwargs["caller"] = caller
                self.ctx.set(actor=caller.subject if caller.authenticated else actor(request),
                             correlation_id=correlation)
                with eventlet.Timeout(config_seconds(self, "GATEWAY_RPC_TIMEOUT", DEFAULT_RPC_TIMEOUT),
                                      RpcTimedOut):
                    result = fn(self, **kwargs)
                return json_response(result, status, headers)
            except Exception as exc:  # every failure becomes a JSON error
                return response_for_exception(exc, f"{request.method} {path}", correlation, headers)

        entrypoint.route = route
        return http(method, path)(entrypoint)

    return decorate


def validated_body(request, schema) -> dict:
    """The JSON object body, checked against the contract schema.

    The body is passed on as sent (the service loads it again with the same
    schema); the gateway only refuses what would be refused anyway, early
    and with every offending field named.
    """
    data = read_json_object(request)
    errors = schema.validate(data)
    if errors:
        raise ValidationError(errors)
    return data


def config_seconds(service, key: str, default: float) -> float:
    """A positive number of seconds from the service's config, else ``default``."""
    config = getattr(service, "config", None)
    try:
        value = float(config.get(key, default)) if isinstance(config, dict) else default
    except (TypeError, ValueError):
        return default
    return value if value > 0 else default


def correlation_id(request) -> str:
    value = request.headers.get(CORRELATION_HEADER, "").strip()
    return value if _CORRELATION_RE.fullmatch(value) else str(uuid.uuid4())


def actor(request) -> str:
    """Who is acting, for a caller without a token (X-Actor); refused rather
    than cut when too long (two actors must never be recorded as one)."""
    value = request.headers.get(ACTOR_HEADER, "").strip()
    if len(value) > MAX_ACTOR:
        raise HttpError(400, "invalid_input", "The X-Actor header is too long.",
                        {ACTOR_HEADER: [f"Longer than {MAX_ACTOR} characters."]})
    return value or "anonymous"


__all__ = ["api", "http", "json_response", "HttpError", "Route", "RpcTimedOut"]
