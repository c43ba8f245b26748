"""Slow clients cannot take the gateway down: a real GatewayService on a
real RabbitMQ (a throwaway vhost), no other service running (so /health may
well say "degraded": it answers, which is the point), and raw sockets that
send their bodies a byte at a time, or nothing at all.

Before the web server read bodies itself (services/gateway/server.py), each
such upload held one of the 10 workers for as long as the client liked."""
import base64
import os
import socket
import time

import eventlet
import pytest
import requests

from platform_factory import free_port
from services.gateway.service import GatewayService

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]

SLOW_CLIENTS = 50


@pytest.fixture
def gateway(rabbit_config, container_factory):
    """gateway(read_timeout) -> (host, port) of a running gateway."""

    def start(read_timeout):
        port = free_port()
        config = {**rabbit_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
                  "GATEWAY_READ_TIMEOUT": read_timeout, "GATEWAY_HEALTH_TIMEOUT": 0.5,
                  "GATEWAY_RPC_TIMEOUT": 2, "JWT_SECRET": "x" * 40,
                  "MASTER_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode()}
        container_factory(GatewayService, config).start()
        return "127.0.0.1", port

    return start


def url(address, path):
    return f"http://{address[0]}:{address[1]}{path}"


def assert_health_answers_quickly(address):
    started = time.monotonic()
    response = requests.get(url(address, "/health"), timeout=5)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"/health took {elapsed:.2f} s"
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["status"] in {"ok", "degraded"}


def slow_upload(address) -> socket.socket:
    """A connection announcing a 10000-byte JSON body and sending its first byte."""
    sock = socket.create_connection(address, timeout=5)
    sock.sendall(b"POST /api/v1/orgs HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 10000\r\n\r\n{" % (address[0].encode(), address[1]))
    return sock


def trickle(sockets, stop):
    """One more byte on every socket every 0.2 s, until ``stop`` is sent."""
    while not stop.ready():
        for sock in sockets:
            try:
                sock.send(b" ")
            except OSError:
                pass
        eventlet.sleep(0.2)


def read_answer(sock, seconds) -> bytes:
    """What the server sends within ``seconds`` (until it closes)."""
    sock.settimeout(seconds)
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except (TimeoutError, ConnectionResetError):
        pass
    return b"".join(chunks)


def test_slow_uploads_do_not_hold_the_gateway(gateway):
    read_timeout = 4.0
    address = gateway(read_timeout)
    assert_health_answers_quickly(address)

    opened = time.monotonic()
    sockets = [slow_upload(address) for _ in range(SLOW_CLIENTS)]
    stop = eventlet.event.Event()
    trickler = eventlet.spawn(trickle, sockets, stop)
    try:
        eventlet.sleep(0.5)  # every upload is now being read, none complete
        for _ in range(3):
            assert_health_answers_quickly(address)
        started = time.monotonic()
        response = requests.post(url(address, "/api/v1/orgs"), json={}, timeout=5)
        assert time.monotonic() - started < 2.0
        assert response.status_code < 500, response.text
        assert response.headers["Content-Type"].startswith("application/json")
        assert "error" in response.json() or response.json()

        # a byte every 0.2 s never makes one read wait the timeout; the whole
        # body still has to arrive within it: 408, and the connection closed
        eventlet.sleep(max(0.0, opened + read_timeout + 0.5 - time.monotonic()))
        stop.send()
        answers = [read_answer(sock, 2.0) for sock in sockets[:5]]
        for answer in answers:
            assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
            assert b'"request_timeout"' in answer
    finally:
        if not stop.ready():
            stop.send()
        trickler.wait()
        for sock in sockets:
            sock.close()
    assert_health_answers_quickly(address)


def test_a_connection_that_stalls_is_closed_after_the_read_timeout(gateway):
    address = gateway(1.0)

    # headers, then nothing of the announced body
    started = time.monotonic()
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(b"POST /api/v1/orgs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n")
        answer = read_answer(sock, 4.0)
    elapsed = time.monotonic() - started
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert 0.8 < elapsed < 3.0, elapsed

    # half a request line, then nothing: closed without an answer
    started = time.monotonic()
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(b"GET /hea")
        assert read_answer(sock, 4.0) == b""
    assert 0.8 < time.monotonic() - started < 3.0

    # headers trickling in a byte at a time: closed too
    started = time.monotonic()
    with socket.create_connection(address, timeout=5) as sock:
        for byte in b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 100:
            try:
                sock.send(bytes([byte]))
            except OSError:
                break
            eventlet.sleep(0.05)
            if time.monotonic() - started > 3:
                break
        assert read_answer(sock, 1.0) == b""
    assert time.monotonic() - started < 4.5

    assert_health_answers_quickly(address)
