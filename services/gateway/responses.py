"""JSON responses, and the one place where an exception becomes an HTTP error.

| raised                                   | status | code                |
|------------------------------------------|--------|---------------------|
| ``HttpError`` (the gateway's own checks, | its    | its                 |
| e.g. 401 for a bad bearer token)         |        |                     |
| marshmallow ``ValidationError``          | 400    | invalid_input       |
| a domain error (``shared.errors``)       | its    | its (+ ``rule``)    |
| (401 adds WWW-Authenticate, 429 Retry-After) |    |                     |
| no answer in time, service or broker gone| 503    | service_unavailable |
| anything else (incl. ``RemoteError``)    | 500    | internal_error      |

The last two get a generic message and the traceback goes to the log,
never the request body.
"""
import logging
import socket

from amqp.exceptions import RecoverableConnectionError
from kombu.exceptions import OperationalError as BrokerUnavailable
from marshmallow import ValidationError
from nameko.exceptions import ContainerBeingKilled, RemoteError, UnknownService
from werkzeug.wrappers import Response

from shared import codec
from shared.errors import DomainError

log = logging.getLogger(__name__)

JSON_TYPE = "application/json; charset=utf-8"

# Exception types which, raised in a service and arriving as ``RemoteError``,
# mean "that service cannot work right now" rather than "it has a bug".
_REMOTE_UNAVAILABLE = frozenset({
    "ContainerBeingKilled", "OperationalError", "ConnectionError", "TimeoutError",
    "ReplyQueueExpiredWithPendingReplies",
})
_UNAVAILABLE = (UnknownService, ContainerBeingKilled, BrokerUnavailable,
                RecoverableConnectionError, ConnectionError, socket.timeout, TimeoutError)


class HttpError(Exception):
    """An error the gateway itself answers with (bad body, too large...)."""

    def __init__(self, status, code, message, fields=None, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}


class RpcTimedOut(Exception):
    """A service did not answer within the gateway's RPC timeout."""


class JsonText(str):
    """An answer a service sent already encoded as JSON (a page of list rows:
    ``members.list_members(..., as_json=True)``): sent on as it is, not
    decoded into a few hundred objects and encoded again."""


def json_response(payload, status=200, headers=None) -> Response:
    body = payload if isinstance(payload, JsonText) else codec.dumps(payload)
    return Response(body, status=status, headers=headers, content_type=JSON_TYPE)


def error_body(code, message, fields=None, rule=None) -> dict:
    error = {"code": code, "message": message, "fields": fields or {}}
    if rule is not None:
        error["rule"] = rule
    return {"error": error}


def error_response(status, code, message, fields=None, rule=None, headers=None) -> Response:
    return json_response(error_body(code, message, fields, rule), status, headers)


def response_for_exception(exc, where, correlation, headers=None) -> Response:
    """The JSON error response for ``exc``, raised while serving ``where``."""
    if isinstance(exc, HttpError):
        return error_response(exc.status, exc.code, exc.message, exc.fields,
                              headers={**(headers or {}), **exc.headers})
    if isinstance(exc, ValidationError):
        return error_response(400, "invalid_input", "The request is invalid; see fields.",
                              _fields(exc.messages), headers=headers)
    if isinstance(exc, DomainError):
        error = exc.to_dict()
        if exc.http_status == 429:  # throttled: say when to come back
            headers = {**(headers or {}), "Retry-After": str(int((exc.fields or {}).get("retry_after") or 1))}
        elif exc.http_status == 401:
            headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
        return error_response(exc.http_status, error.get("code", "domain_error"),
                              error.get("message") or str(exc), _fields(error.get("fields")),
                              error.get("rule"), headers=headers)
    if is_unavailable(exc):
        log.warning("%s: service unavailable (%s: %s) [correlation %s]",
                    where, type(exc).__name__, _short(exc), correlation)
        return error_response(503, "service_unavailable",
                              "A service is unavailable; try again shortly.", headers=headers)
    log.error("%s failed [correlation %s]", where, correlation, exc_info=exc)
    return error_response(500, "internal_error", "An internal error occurred.", headers=headers)


def is_unavailable(exc) -> bool:
    """The service or the broker cannot answer now (not: it answered with an error)."""
    if isinstance(exc, (RpcTimedOut,) + _UNAVAILABLE):
        return True
    return isinstance(exc, RemoteError) and exc.exc_type in _REMOTE_UNAVAILABLE


def _fields(value) -> dict:
    if isinstance(value, dict):
        return value
    if value:  # a schema-level message list
        return {"_schema": value if isinstance(value, list) else [str(value)]}
    return {}


def _short(exc) -> str:
    return str(exc)[:200]
