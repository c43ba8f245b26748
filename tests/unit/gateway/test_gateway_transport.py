"""The gateway's web server (services/gateway/server.py) over a real socket:
JSON bodies only (415), browser origins on writes (403), body size (413)
and time (408) limits, and log lines nobody can forge (shared/logsafe.py).

A small service on the gateway's ``http`` entrypoint stands in for the API,
so these tests do not depend on authentication or policy; the container
runs on kombu's in-memory transport (no broker)."""
import io
import json
import logging
import socket
import time

import eventlet
import pytest
import requests
from nameko.runners import ServiceRunner

from services.gateway.payload import MAX_BODY_BYTES, read_json_object
from services.gateway.responses import json_response
from services.gateway.server import http
from shared import logsafe
from shared.nameko_adapter import prepare_memory_transport

ALLOWED = "https://admin.example.org"
log = logging.getLogger("ejia.test.transport")


class EchoService:
    name = "transport_echo"

    @http("GET,POST,PUT,PATCH,DELETE", "/echo")
    def echo(self, request):
        return json_response({"method": request.method, "body": read_json_object(request),
                              "length": request.content_length})

    @http("GET", "/orgs/<org_id>")
    def get_org(self, request, org_id):
        log.warning("no organisation %s", org_id)
        raise RuntimeError(f"no organisation {org_id}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """(host, port) of a running EchoService."""
    prepare_memory_transport()
    port = free_port()
    runner = ServiceRunner({"AMQP_URI": "memory://", "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
                            "GATEWAY_READ_TIMEOUT": 1.0,
                            "GATEWAY_ALLOWED_ORIGINS": f"{ALLOWED}, http://localhost:3000"})
    runner.add_service(EchoService)
    runner.start()
    yield "127.0.0.1", port
    runner.kill()


@pytest.fixture
def url(server):
    return lambda path="/echo": f"http://{server[0]}:{server[1]}{path}"


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert set(body["error"]) >= {"code", "message", "fields"}
    assert response.headers["X-Correlation-Id"]
    return body["error"]


def raw_request(server, data: bytes, timeout=5.0) -> bytes:
    """Send ``data`` on a fresh connection; everything the server answers."""
    with socket.create_connection(server, timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


# -- JSON bodies only --------------------------------------------------------

@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_text_plain_body_is_415(url, method):
    response = requests.request(method, url(), data='{"a": 1}', headers={"Content-Type": "text/plain"}, timeout=5)
    error = assert_error(response, 415, "unsupported_media_type")
    assert list(error["fields"]) == ["Content-Type"]


def test_a_form_post_is_415(url):
    assert_error(requests.post(url(), data={"a": "1"}, timeout=5), 415, "unsupported_media_type")
    multipart = requests.post(url(), files={"f": ("f.txt", b"x")}, timeout=5)
    assert_error(multipart, 415, "unsupported_media_type")


def test_a_non_json_content_type_is_415_even_with_an_empty_body(url):
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""):
        response = requests.post(url(), data=b"", headers={"Content-Type": content_type}, timeout=5)
        assert_error(response, 415, "unsupported_media_type")


def test_a_body_without_content_type_is_415(server):
    answer = raw_request(server, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n"
                                 b"Connection: close\r\n\r\n{\"a\": 1}")
    assert answer.startswith(b"HTTP/1.1 415 "), answer[:200]
    assert b'"unsupported_media_type"' in answer


def test_json_is_accepted_with_or_without_charset_and_as_a_json_suffix(url):
    for content_type in ("application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8",
                         "application/merge-patch+json"):
        response = requests.post(url(), data='{"a": 1}', headers={"Content-Type": content_type}, timeout=5)
        assert response.status_code == 200, (content_type, response.text)
        assert response.json() == {"method": "POST", "body": {"a": 1}, "length": 8}


def test_json_in_another_charset_is_415(url):
    response = requests.post(url(), data='{"a": 1}', headers={"Content-Type": "application/json; charset=latin-1"},
                             timeout=5)
    assert_error(response, 415, "unsupported_media_type")


def test_an_empty_write_without_content_type_is_an_empty_object(url):
    for method in ("POST", "DELETE"):
        response = requests.request(method, url(), timeout=5)
        assert response.status_code == 200, response.text
        assert response.json()["body"] == {}


def test_reads_are_not_checked_for_a_content_type(url):
    response = requests.get(url(), headers={"Content-Type": "text/plain"}, timeout=5)
    assert response.status_code == 200


# -- origins -----------------------------------------------------------------

def test_a_same_origin_write_is_allowed(url, server):
    response = requests.post(url(), json={"a": 1}, headers={"Origin": f"http://{server[0]}:{server[1]}"}, timeout=5)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("origin", [ALLOWED, ALLOWED + "/", "https://ADMIN.example.org:443", "http://localhost:3000"])
def test_a_listed_origin_may_write(url, origin):
    response = requests.post(url(), json={"a": 1}, headers={"Origin": origin}, timeout=5)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://admin.example.org",
                                    "https://admin.example.org.evil.example", "http://localhost:3001", ""])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_foreign_origin_may_not_write(url, origin, method):
    response = requests.request(method, url(), json={"a": 1}, headers={"Origin": origin}, timeout=5)
    error = assert_error(response, 403, "origin_not_allowed")
    assert list(error["fields"]) == ["Origin"]


def test_the_origin_is_checked_before_the_content_type(url):
    response = requests.post(url(), data={"a": "1"}, headers={"Origin": "https://evil.example"}, timeout=5)
    assert_error(response, 403, "origin_not_allowed")


def test_a_write_without_origin_is_allowed(url):
    assert requests.post(url(), json={"a": 1}, timeout=5).status_code == 200


def test_a_read_from_a_foreign_origin_is_not_refused(url):
    response = requests.get(url(), headers={"Origin": "https://evil.example"}, timeout=5)
    assert response.status_code == 200


# -- size and time -----------------------------------------------------------

def test_an_announced_oversized_body_is_413_and_the_connection_is_reusable(url):
    body = b'{"a": "' + b"x" * (4 * MAX_BODY_BYTES) + b'"}'
    with requests.Session() as session:
        response = session.post(url(), data=body, headers={"Content-Type": "application/json"}, timeout=5)
        assert_error(response, 413, "payload_too_large")
        assert session.post(url(), json={"a": 1}, timeout=5).json()["body"] == {"a": 1}


def test_a_chunked_oversized_body_is_413(url):
    body = b'{"a": "' + b"x" * (2 * MAX_BODY_BYTES) + b'"}'
    chunks = (body[i:i + 8192] for i in range(0, len(body), 8192))
    response = requests.post(url(), data=chunks, headers={"Content-Type": "application/json"}, timeout=5)
    assert_error(response, 413, "payload_too_large")


def test_a_chunked_body_within_the_limit_reaches_the_handler_from_memory(url):
    body = json.dumps({"a": "y" * 1000}).encode()
    chunks = (body[i:i + 100] for i in range(0, len(body), 100))
    response = requests.post(url(), data=chunks, headers={"Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json() == {"method": "POST", "body": {"a": "y" * 1000}, "length": len(body)}


def test_a_body_at_the_limit_is_accepted(url):
    body = b'{"a": "' + b"x" * (MAX_BODY_BYTES - 10) + b'"}'
    assert len(body) <= MAX_BODY_BYTES
    response = requests.post(url(), data=body, headers={"Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 200, response.text


def test_a_body_trickling_in_past_the_read_timeout_is_408(server):
    started = time.monotonic()
    with socket.create_connection(server, timeout=5) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n")
        answer = b""
        for _ in range(40):  # a byte every 0.1 s: no single read waits the timeout
            try:
                sock.sendall(b" ")
            except OSError:
                break
            sock.settimeout(0.1)
            try:
                answer += sock.recv(65536)
            except TimeoutError:
                continue
            if answer:
                break
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b'"request_timeout"' in answer and b"Connection: close" in answer
    assert time.monotonic() - started < 3


def test_a_body_cut_short_is_not_handled(server):
    with socket.create_connection(server, timeout=5) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"a\": 1}")
        sock.shutdown(socket.SHUT_WR)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 400 ") and b'"incomplete_body"' in answer


# -- log lines ---------------------------------------------------------------

@pytest.fixture
def safe_log():
    """Every log record of the test, formatted by SafeFormatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logsafe.SafeFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_safe_formatter_escapes_control_characters_in_messages():
    formatter = logsafe.SafeFormatter("%(levelname)s %(message)s")
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "id %s", ("a\nFAKE\rB\x1b[31m\u2028\tc",), None)
    assert formatter.format(record) == "WARNING id a\\nFAKE\\rB\\x1b[31m\\u2028\tc"


def test_safe_formatter_keeps_the_newlines_of_a_traceback():
    formatter = logsafe.SafeFormatter("%(levelname)s %(message)s")
    try:
        raise ValueError("bad\nFAKE line")
    except ValueError:
        import sys
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed: %s", ("x\ny",), sys.exc_info())
    lines = formatter.format(record).split("\n")
    assert lines[0] == "ERROR failed: x\\ny"
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: bad\\nFAKE line"
    assert len(lines) > 3 and not any(line.startswith("FAKE") for line in lines)


def test_safe_formatter_takes_the_yaml_spelling_of_its_format():
    formatter = logsafe.SafeFormatter(format="%(name)s| %(message)s")
    record = logging.LogRecord("n", logging.INFO, __file__, 1, "a\nb", (), None)
    assert formatter.format(record) == "n| a\\nb"


def test_a_newline_in_a_request_cannot_forge_a_log_line(url, safe_log):
    response = requests.get(url("/orgs/x%0aFAKE%20ERROR%20line"), timeout=5)
    assert response.status_code == 500
    eventlet.sleep(0.2)  # the access line is written after the answer
    text = safe_log.getvalue()
    assert "x\\nFAKE ERROR line" in text  # the handler's own warning, escaped
    assert "ejia.access" in text and "/orgs/x%0AFAKE%20ERROR%20line" in text
    assert not [line for line in text.splitlines() if line.startswith("FAKE")], text


def test_a_malformed_request_line_is_logged_through_logging_escaped(server, safe_log, capsys):
    answer = raw_request(server, b"GET /orgs/x\rFAKE ERROR line HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")
    eventlet.sleep(0.2)
    text = safe_log.getvalue()
    assert "ejia.access" in text and "FAKE" in text
    assert not [line for line in text.splitlines() if line.startswith("FAKE")], text
    assert "FAKE" not in capsys.readouterr().err


def test_eventlet_access_lines_go_through_logging(url, safe_log):
    requests.get(url(), timeout=5)
    eventlet.sleep(0.2)
    lines = [line for line in safe_log.getvalue().splitlines() if "ejia.access" in line]
    assert lines and '"GET /echo HTTP/1.1" 200' in lines[-1]


def test_safe_formatter_ignores_a_traceback_another_handler_cached_unescaped():
    try:
        raise ValueError("bad\nFAKE line")
    except ValueError:
        import sys
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    plain = logging.Formatter("%(message)s").format(record)  # caches record.exc_text
    assert "\nFAKE line" in plain
    safe = logsafe.SafeFormatter("%(message)s").format(record)
    assert not any(line.startswith("FAKE") for line in safe.split("\n"))
    assert record.exc_text == plain.split("\n", 1)[1]  # the other handler's cache is left alone


def test_install_sets_the_root_logger_up_with_a_safe_formatter():
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        handler = logsafe.install(logging.INFO, stream)
        assert root.handlers == [handler] and root.level == logging.INFO
        logging.getLogger("ejia.test").warning("a\nFAKE")
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    assert stream.getvalue().endswith(" WARNING ejia.test: a\\nFAKE\n")
