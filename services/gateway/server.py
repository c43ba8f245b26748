"""The gateway's web server: nameko's ``@http`` on eventlet's WSGI server,
hardened for clients on the open internet.

nameko serves each connection in a green thread of its own (unbounded, not
the worker pool) and hands each request to a worker of the pool
(``max_workers``, 10 by default), where the handler used to read the body:
ten slow uploads held every worker. Here the connection's own green thread
does all the reading and the checks before a worker is asked for:

- headers and body are read under a deadline (config ``GATEWAY_READ_TIMEOUT``,
  10 s by default): a socket read that waits that long closes the
  connection, and a body not complete by then is a 408 ``request_timeout``
  (a client trickling a byte a second cannot hold a connection either);
- the body is read into memory, at most ``payload.MAX_BODY_BYTES`` (413
  ``payload_too_large`` past it, announced or chunked), and handed on as
  ``wsgi.input`` of exactly that length: the handler reads from memory;
- writes (POST, PUT, PATCH, DELETE) carry JSON or nothing: a Content-Type
  that is not ``application/json`` (or ``application/*+json``; charset
  UTF-8 only), or a body without one, is a 415 ``unsupported_media_type``;
  forms and ``text/plain`` posts from web pages never reach a handler;
- a write from a browser (an ``Origin`` header) comes from the gateway's own
  origin or one listed in ``GATEWAY_ALLOWED_ORIGINS`` (comma-separated),
  else 403 ``origin_not_allowed``; no Origin header (not a browser) is fine;
- unknown routes (404) and wrong methods (405) answer in JSON.

A request refused before its body was read has it drained (a little, for a
while) so the client reads the answer; a bigger one has the connection
closed after the answer, lingering (FIN sent, what still comes read and
dropped, within bounds) so that even a client that sends its whole body
before reading (urllib, requests) gets its 413 instead of a reset.

eventlet's access log and its own errors go through the logging module
(logger ``ejia.access``), so ``shared.logsafe.SafeFormatter`` escapes
whatever a client put in them.
"""
import contextlib
import io
import logging
import re
import socket
import sys
import time
import uuid
from urllib.parse import urlsplit

import eventlet
from eventlet import wsgi
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from . import payload
from .responses import HttpError, error_response, response_for_exception

CORRELATION_HEADER = "X-Correlation-Id"
_CORRELATION_RE = re.compile(r"[A-Za-z0-9._:\-]{1,128}")  # the event stores keep 200

READ_TIMEOUT_KEY = "GATEWAY_READ_TIMEOUT"
ALLOWED_ORIGINS_KEY = "GATEWAY_ALLOWED_ORIGINS"
DEFAULT_READ_TIMEOUT = 10.0
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DRAIN_LIMIT = 1024 * 1024  # what is read of a refused body so the client sees the answer
LINGER_SECONDS = 2.0  # a connection closed on a refused body waits this long for the client to stop sending
LINGER_BYTES = 64 * 1024 * 1024  # and reads (and drops) at most this much of it
ACCESS_LOGGER = "ejia.access"
CLOSE_CONNECTION_KEY = "ejia.close_connection"  # environ: a callable, set by the protocol
_DEFAULT_PORTS = {"http": 80, "https": 443}


# -- the WSGI app ----------------------------------------------------------

class JsonWsgiApp(WsgiApp):
    """nameko's WSGI app, reading and checking the request before a worker
    runs (see the module docstring); routing errors as JSON."""

    def __init__(self, server):
        super().__init__(server)
        config = _config(server)
        self.read_timeout = read_timeout(config)
        self.allowed_origins = allowed_origins(config)

    def __call__(self, environ, start_response):
        correlation = environ_correlation_id(environ)
        headers = {CORRELATION_HEADER: correlation}
        started = time.monotonic()
        try:
            adapter = self.url_map.bind_to_environ(environ)
            try:
                provider, values = adapter.match()
            except RequestRedirect as exc:
                response = exc
            except HTTPException as exc:
                response = routing_error_response(exc, correlation)
            else:
                self.check_request(environ)
                self.buffer_body(environ, started)
                request = Request(environ, shallow=True)
                request.path_values = values
                response = provider.handle_request(request)
        except HttpError as exc:
            response = response_for_exception(exc, environ.get("REQUEST_METHOD", "?"), correlation, headers)
        if payload.BODY_ENVIRON_KEY not in environ:
            self.finish_unread_body(environ, started)
        return response(environ, start_response)

    # -- checks before the body is read --------------------------------------
    def check_request(self, environ):
        if environ.get("REQUEST_METHOD", "").upper() not in WRITE_METHODS:
            return
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not self.origin_allowed(origin, environ):
            raise HttpError(403, "origin_not_allowed", "Requests from this origin are not allowed.",
                            {"Origin": ["Not this API's origin, nor an allowed one."]})
        content_type = sent_content_type(environ)
        if content_type is not None:
            upload = environ.get("PATH_INFO", "").startswith(payload.UPLOAD_PATHS)
            problem = (payload.upload_media_problem if upload else payload.json_media_type_problem)(content_type)
            if problem:
                raise unsupported_media_type(problem)

    def origin_allowed(self, origin: str, environ) -> bool:
        normal = normalize_origin(origin)
        if normal is None:
            return False
        return normal == own_origin(environ) or normal in self.allowed_origins

    # -- the body ------------------------------------------------------------
    def buffer_body(self, environ, started: float):
        """Read the whole body now, into memory; downstream reads it from there."""
        body = read_request_body(environ, self.read_timeout - (time.monotonic() - started))
        if (body and sent_content_type(environ) is None
                and environ.get("REQUEST_METHOD", "").upper() in WRITE_METHODS):
            raise unsupported_media_type("Missing; must be application/json.")
        environ[payload.BODY_ENVIRON_KEY] = body
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)

    def finish_unread_body(self, environ, started: float):
        """After an answer given without reading the body: read (and drop) it
        if it is small and quick to come, so that the client, still sending,
        reads the answer and the connection can serve the next request;
        else close the connection after the answer."""
        if not has_body(environ):
            return
        stream = environ.get("eventlet.input")
        if stream is None:  # not on eventlet: nothing to protect
            return
        if getattr(stream, "should_send_hundred_continue", False):
            return  # the client waits for 100 Continue; eventlet closes the connection
        remaining = self.read_timeout - (time.monotonic() - started)
        length = content_length(environ)
        if environ.get("ejia.read_failed") or (length is not None and length > DRAIN_LIMIT) \
                or not drain(stream, DRAIN_LIMIT, remaining):
            close_connection(environ)


def read_request_body(environ, seconds: float) -> bytes:
    """The body, read within ``seconds``: 413 past ``payload.body_limit`` (an upload's is larger),
    408 when it does not arrive in time, 400 when it is cut short."""
    length, limit = content_length(environ), payload.body_limit(environ.get("PATH_INFO", ""))
    if length is not None and length > limit:
        raise payload.too_large(limit)
    if not has_body(environ):
        return b""
    stream = environ["wsgi.input"]
    if not payload.is_chunked(environ):
        stream = _Bounded(stream, length)
    if seconds <= 0:
        environ["ejia.read_failed"] = True
        raise request_timeout()
    timer = eventlet.Timeout(seconds)
    try:
        body = payload.read_stream(stream, limit)
    except eventlet.Timeout as exc:
        if exc is not timer:
            raise
        environ["ejia.read_failed"] = True
        raise request_timeout() from None
    except TimeoutError:  # socket.timeout: one read waited GATEWAY_READ_TIMEOUT
        environ["ejia.read_failed"] = True
        raise request_timeout() from None
    except (OSError, ValueError):  # the client went away; a malformed chunk (ChunkReadError)
        environ["ejia.read_failed"] = True
        raise incomplete_body() from None
    finally:
        timer.cancel()
    if length is not None and len(body) < length:
        environ["ejia.read_failed"] = True
        raise incomplete_body()
    return body


class _Bounded:
    """A stream giving at most ``length`` bytes of ``stream``."""

    def __init__(self, stream, length: int):
        self.stream, self.left = stream, length

    def read(self, size: int) -> bytes:
        if self.left <= 0:
            return b""
        chunk = self.stream.read(min(size, self.left))
        self.left -= len(chunk)
        return chunk


def drain(stream, limit: int, seconds: float) -> bool:
    """Read and drop what is left of ``stream``: True when it ended within
    ``limit`` bytes and ``seconds``."""
    if seconds <= 0:
        return False
    timer = eventlet.Timeout(seconds)
    try:
        read = 0
        while read <= limit:
            chunk = stream.read(16 * 1024)
            if not chunk:
                return True
            read += len(chunk)
        return False
    except eventlet.Timeout as exc:
        if exc is not timer:
            raise
        return False
    except (OSError, ValueError):
        return False
    finally:
        timer.cancel()


def close_connection(environ):
    close = environ.get(CLOSE_CONNECTION_KEY)
    if close is not None:
        close()


# -- the errors ------------------------------------------------------------

def routing_error_response(exc: HTTPException, correlation: str) -> Response:
    headers = {CORRELATION_HEADER: correlation}
    if isinstance(exc, MethodNotAllowed):
        headers["Allow"] = ", ".join(sorted(exc.valid_methods or ()))
        return error_response(405, "method_not_allowed",
                              "This method is not allowed on this resource.", headers=headers)
    if exc.code == 404:
        return error_response(404, "not_found", "No such resource.", headers=headers)
    return error_response(exc.code or 500, "http_error", exc.description or exc.name, headers=headers)


def unsupported_media_type(problem: str) -> HttpError:
    return HttpError(415, "unsupported_media_type",
                     "The request body is not of a type this route takes (JSON, sent as Content-Type: "
                     "application/json; a roster upload: an XLSX or CSV file).", {"Content-Type": [problem]})


def request_timeout() -> HttpError:
    return HttpError(408, "request_timeout", "The request body did not arrive in time.")


def incomplete_body() -> HttpError:
    return HttpError(400, "incomplete_body", "The request body could not be read in full.")


# -- what the request says -------------------------------------------------

def environ_correlation_id(environ) -> str:
    value = environ.get("HTTP_X_CORRELATION_ID", "").strip()
    return value if _CORRELATION_RE.fullmatch(value) else str(uuid.uuid4())


def content_length(environ) -> int | None:
    try:
        value = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return value if value >= 0 else None


def has_body(environ) -> bool:
    return payload.is_chunked(environ) or bool(content_length(environ))


def sent_content_type(environ) -> str | None:
    """The Content-Type the client sent, None when it sent none (eventlet
    fills CONTENT_TYPE in with text/plain then; its raw headers tell)."""
    raw = environ.get("headers_raw")
    if raw is not None:
        values = [value for name, value in raw if name.strip().lower() == "content-type"]
        return values[0] if values else None
    return environ.get("CONTENT_TYPE") or None


def normalize_origin(value: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port; None
    for anything else (``null``, a path, another scheme)."""
    value = value.strip().lower().rstrip("/")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path or parts.query \
            or parts.fragment or parts.username is not None or parts.password is not None:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}"


def own_origin(environ) -> str | None:
    """The origin this request was sent to: its scheme and Host header."""
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    return normalize_origin(f"{environ.get('wsgi.url_scheme', 'http')}://{host}")


# -- config ----------------------------------------------------------------

def _config(server) -> dict:
    config = getattr(getattr(server, "container", None), "config", None)
    return config if isinstance(config, dict) else {}


def read_timeout(config: dict) -> float:
    try:
        value = float(config.get(READ_TIMEOUT_KEY, DEFAULT_READ_TIMEOUT))
    except (TypeError, ValueError):
        return DEFAULT_READ_TIMEOUT
    return value if value > 0 else DEFAULT_READ_TIMEOUT


def allowed_origins(config: dict) -> frozenset:
    """``GATEWAY_ALLOWED_ORIGINS``: a comma-separated string or a list."""
    value = config.get(ALLOWED_ORIGINS_KEY) or ()
    items = value.split(",") if isinstance(value, str) else value
    origins = (normalize_origin(str(item)) for item in items if str(item).strip())
    return frozenset(origin for origin in origins if origin)


# -- the server ------------------------------------------------------------

class JsonHttpProtocol(HttpOnlyProtocol):
    """nameko's protocol, with the request line and headers read under the
    read deadline, a way for the app to close the connection after its
    answer (``environ[CLOSE_CONNECTION_KEY]()``), and http.server's own log
    lines through ``logging``."""

    def setup(self):
        super().setup()
        # No Nagle: eventlet writes a response's headers, then a body too big
        # for its 16 KiB buffer, as two sends; Nagle held the second until
        # the client's delayed ACK of the first (~40 ms on every answer of
        # 16-64 KiB, e.g. a page of 200 list rows: bench/members.py).
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _read_request_line(self):
        return self._within_deadline(super()._read_request_line, "")

    def parse_request(self):
        return self._within_deadline(super().parse_request, False)

    def _within_deadline(self, read, timed_out):
        seconds = getattr(self.server, "header_timeout", None)
        if not seconds:
            return read()
        timer = eventlet.Timeout(seconds)
        try:
            return read()
        except eventlet.Timeout as exc:
            if exc is not timer:
                raise
            self.close_connection = 1
            return timed_out
        finally:
            timer.cancel()

    def log_message(self, format, *args):
        # http.server's own lines (a malformed request's 400) went to stderr
        logging.getLogger(ACCESS_LOGGER).info("%s %s", self.address_string(), format % args)

    def get_environ(self):
        environ = super().get_environ()
        environ[CLOSE_CONNECTION_KEY] = self._close_after_response
        return environ

    _linger = False

    def _close_after_response(self):
        """Close once the answer is sent, lingering first: a client still
        sending a body the gateway refused unread (a 413 over
        ``DRAIN_LIMIT``, say) reads its answer instead of a connection reset."""
        self.close_connection = 1
        self._linger = True

    def finish(self):
        if self._linger:
            self._lingering_close()
        super().finish()

    def _lingering_close(self):
        """Send what is left of the answer, stop sending (FIN), then read and
        drop what the client still sends until it stops, for at most
        ``LINGER_SECONDS`` and ``LINGER_BYTES`` (as web servers do on close:
        closing with unread data in the receive buffer sends an RST, and a
        client that has not finished sending loses the answer with it)."""
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
        timer, read = eventlet.Timeout(LINGER_SECONDS), 0
        try:
            while read < LINGER_BYTES:
                data = self.connection.recv(65536)
                if not data:
                    break
                read += len(data)
        except (eventlet.Timeout, OSError) as exc:
            if isinstance(exc, eventlet.Timeout) and exc is not timer:
                raise
        finally:
            timer.cancel()


SEARCH_TERM = re.compile(r"([?&]q=)[^&\s]*")
"""A search term in a request line: a name, an ID number or a phone, never logged."""


class AccessLog:
    """eventlet.wsgi's log (access lines, its errors) through ``logging``,
    with any search term withheld (``GET /api/v1/members?q=...``)."""

    def __init__(self, logger: logging.Logger):
        self.logger = logger

    def info(self, msg, *args, **kwargs):
        self._log(logging.INFO, msg, args)

    def debug(self, msg, *args, **kwargs):
        self._log(logging.DEBUG, msg, args)

    def error(self, msg, *args, **kwargs):
        self._log(logging.ERROR, msg, args)

    def write(self, msg, *args):
        self._log(logging.INFO, msg, args)

    def _log(self, level, msg, args):
        text = str(msg)
        if args:
            try:
                text = text % args
            except (TypeError, ValueError):
                text = f"{text} {args!r}"
        text = SEARCH_TERM.sub(r"\1[withheld]", text.rstrip("\n"))
        if text.startswith("Traceback (most recent call last)") and sys.exc_info()[1] is not None:
            # eventlet logs an app's failure as a formatted traceback: keep it one
            self.logger.error("error serving a request", exc_info=True)
            return
        self.logger.log(level, "%s", text)


class JsonWebServer(WebServer):
    def get_wsgi_app(self):
        return JsonWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, protocol=JsonHttpProtocol, debug=False):
        # nameko accepts connections itself and serves each one in a managed
        # thread (no pool of eventlet's to fill); the socket timeout applies
        # to each read of a connection, the deadlines to the whole.
        timeout = read_timeout(_config(self))
        server = wsgi.Server(sock, sock.getsockname(), wsgi_app, protocol=protocol, debug=debug,
                             log=AccessLog(logging.getLogger(ACCESS_LOGGER)), socket_timeout=timeout)
        server.header_timeout = timeout
        return server


class JsonHttpEntrypoint(HttpRequestHandler):
    """``@http`` whose own failures (outside the worker) are JSON as well."""

    server = JsonWebServer()

    def response_from_exception(self, exc):
        return response_for_exception(exc, f"{self.method} {self.url}", str(uuid.uuid4()))


http = JsonHttpEntrypoint.decorator
