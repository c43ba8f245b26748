"""JSON over HTTP for the gateway, on nameko's ``@http``.

- ``http``: nameko's HTTP entrypoint on a web server whose unknown routes
  (404) and wrong methods (405) answer in the API's JSON error shape;
- ``api``: the decorator every API route uses. It authenticates the caller
  (a bearer access token, ``auth.py``), sets who is acting (the token's
  subject: no header can name an actor) and the correlation id for the RPC
  calls and forwards the token, reads the request (JSON object body of at
  most 64 KiB, query parameters), checks the route's rule in the policy
  table (``policy.py``) before anything else happens, validates the body
  with the contract schema, runs the handler under a timeout, and turns its
  result or its error into a JSON response. The handler only calls the
  service and returns a value.

Every error body is ``{"error": {"code", "message", "fields"}}`` (plus
``rule`` for a rule violation).
"""
import functools
import inspect
import uuid
from dataclasses import dataclass

import eventlet
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from shared.errors import InvalidInput
from shared.idempotency import MAX_KEY_LENGTH

from . import policy
from . import payload
from .payload import read_json_object, read_query
from .responses import HttpError, RpcTimedOut, json_response, response_for_exception
# The web server (reading, checks, routing errors) is server.py; re-exported here.
from .server import (CORRELATION_HEADER, JsonHttpEntrypoint, JsonWebServer, JsonWsgiApp,  # noqa: F401
                     environ_correlation_id, http, routing_error_response)

V1 = "/api/v1"
DEFAULT_RPC_TIMEOUT = 30.0


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
    errors: tuple[int, ...] = ()
    """Statuses the route answers beyond those its shape implies (openapi.py), e.g. a sign-in's 401 and 429."""
    media: str | None = None
    """A document's media type (``application/pdf``) where the answer is not JSON: the handler returns
    a werkzeug ``Response``."""
    upload: tuple[str, ...] = ()
    """The media types of a file sent as the body itself (a roster): the handler reads it."""

    @property
    def methods(self):
        return tuple(self.method.split(","))


def api(method, path, *, summary, tag, body=None, query=None, response=None, many=False, status=200,
        example=None, description=None, errors=(), media=None, upload=()):
    """An ``@http`` entrypoint speaking JSON; see the module docstring.

    The handler is called as ``fn(self, **path_values, [data=body], **query,
    [caller=Principal|None], [request=Request])`` (``caller`` and
    ``request`` only if the handler has those parameters) and returns a
    JSON-able value (sent with ``status``). ``example`` is the request body
    example shown in the OpenAPI document. The route's rule is its entry in
    ``policy.POLICY``, checked before the body is validated or the handler runs.
    """
    if upload and not path.startswith(payload.UPLOAD_PATHS):
        raise ValueError(f"{method} {path}: an upload route lies under {payload.UPLOAD_PATHS}, where the web "
                         "server lets a large body of its media types through")
    route = Route(method, path, summary, tag, body, query, response, many, status, example, description,
                  tuple(errors), media, tuple(upload))
    body_schema = body() if body is not None else None
    query_schema = query() if query is not None else None
    rule = policy.POLICY.get(policy.route_key(method, path))  # check_routes refuses a gateway without one

    def decorate(fn):
        parameters = inspect.signature(fn).parameters
        wants_caller, wants_request = "caller" in parameters, "request" in parameters

        @functools.wraps(fn)
        def entrypoint(self, request, **path_values):
            correlation = correlation_id(request)
            headers = {CORRELATION_HEADER: correlation}
            try:
                caller, token = self.auth.caller(request)
                # The actor is the token's subject, whatever the headers say.
                self.ctx.set(actor=caller.subject if caller else None, correlation_id=correlation,
                             access_token=token)
                raw = read_json_object(request) if body_schema is not None else None
                query_values = read_query(request, query_schema) if query_schema is not None else {}
                if not self.auth.policy_off:
                    try:
                        policy.authorize(rule, caller, lambda: policy.Request(
                            path_values, raw, request.args, self.scope, getattr(self, "orgs", None),
                            getattr(self, "members", None)))
                    except InvalidInput:
                        # the scope's own field is missing or malformed: say all that is wrong
                        if body_schema is not None:
                            validated(raw, body_schema)
                        raise
                self.ctx.set_idempotency_key(idempotency_key(request, caller))
                kwargs = dict(path_values)
                if body_schema is not None:
                    kwargs["data"] = validated(raw, body_schema)
                kwargs.update(query_values)
                if wants_caller:
                    kwargs["caller"] = caller
                if wants_request:
                    kwargs["request"] = request
                with eventlet.Timeout(config_seconds(self, "GATEWAY_RPC_TIMEOUT", DEFAULT_RPC_TIMEOUT),
                                      RpcTimedOut):
                    result = fn(self, **kwargs)
                if isinstance(result, Response):  # a document (``media``)
                    result.headers.update(headers)
                    return result
                return json_response(result, status, headers)
            except Exception as exc:  # every failure becomes a JSON error
                return response_for_exception(exc, f"{request.method} {path}", correlation, headers)

        entrypoint.route = route
        entrypoint.rule = rule
        return http(method, path)(entrypoint)

    return decorate


def validated(data: dict, schema) -> dict:
    """The JSON object body, checked against the contract schema.

    The body is passed on as sent (the service loads it again with the same
    schema); the gateway only refuses what would be refused anyway, early
    and with every offending field named.
    """
    errors = schema.validate(data)
    if errors:
        raise ValidationError(errors)
    return data


def validated_body(request, schema) -> dict:
    return validated(read_json_object(request), schema)


def config_seconds(service, key: str, default: float) -> float:
    """A positive number of seconds from the service's config, else ``default``."""
    config = getattr(service, "config", None)
    try:
        value = float(config.get(key, default)) if isinstance(config, dict) else default
    except (TypeError, ValueError):
        return default
    return value if value > 0 else default


IDEMPOTENCY_HEADER = "Idempotency-Key"
CLIENT_KEY_MAX = MAX_KEY_LENGTH - 60  # room for the caller's username before the key


def idempotency_key(request, caller) -> str | None:
    """A POST's Idempotency-Key, scoped to the caller (two clients choosing
    the same key never see each other's result); without one, a key of the
    gateway's own for this HTTP request, so that a call the broker
    redelivers after a crash still runs once. None for other methods."""
    if request.method != "POST":
        return None
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return f"gateway:{uuid.uuid4()}"
    if not 1 <= len(key) <= CLIENT_KEY_MAX or not key.isprintable() or not key.isascii():
        raise InvalidInput(f"the {IDEMPOTENCY_HEADER} header is 1 to {CLIENT_KEY_MAX} printable "
                           "ASCII characters", {IDEMPOTENCY_HEADER: "invalid"})
    return f"{caller.subject if caller else 'anonymous'}:{key}"


def correlation_id(request) -> str:
    """The caller's X-Correlation-Id if well formed, else a new one (server.py decides)."""
    return environ_correlation_id(request.environ)


__all__ = ["api", "http", "json_response", "HttpError", "Route", "RpcTimedOut"]
