"""Slow, stalled and idle clients in every mode: each is answered 408 or closed once its
timeout passes, so that it cannot hold a process forever. Timeouts are 300ms here; the
bounds below are generous on the slow side only."""
import socket
import time

import pytest

from conftest import MODES

SHORT = "300ms"    # client_header_timeout and client_body_timeout
KEEPALIVE = "800ms"  # longer, to tell the two apart
AT_LEAST = 0.2     # seconds: not closed before a 300ms timeout (slack for a busy machine)
AT_MOST = 4.0      # seconds: closed well before anyone would notice


@pytest.fixture(params=MODES)
def srv(request, server):
    return server(mode=request.param, client_header_timeout=SHORT, client_body_timeout=SHORT,
                  keepalive_timeout=KEEPALIVE, lingering_timeout=SHORT)


def assert_timed_out_with_408_then_closed(conn, start):
    response = conn.read_response()
    elapsed = time.monotonic() - start
    assert response.status == 408
    assert response.header("Connection").lower() == "close"
    assert conn.is_closed_by_server()
    assert AT_LEAST <= elapsed < AT_MOST


def test_a_stalled_half_header_gets_408_then_a_close(srv):
    with srv.open() as conn:
        start = time.monotonic()
        conn.send(b"GET / HTTP/1.1\r\nHost: te")
        assert_timed_out_with_408_then_closed(conn, start)


def test_a_connection_that_sends_nothing_is_closed_without_a_response(srv):
    with srv.open() as conn:
        start = time.monotonic()
        assert conn.read_to_close() == b""
        assert AT_LEAST <= time.monotonic() - start < AT_MOST


def test_an_idle_keep_alive_connection_is_closed_after_keepalive_timeout(srv):
    with srv.open() as conn:
        conn.send(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        assert conn.read_response().status == 200
        start = time.monotonic()
        assert conn.read_to_close() == b""
        assert 0.6 <= time.monotonic() - start < AT_MOST  # keepalive_timeout, not the header's


def test_a_stalled_body_gets_408_then_a_close(srv):
    with srv.open() as conn:
        conn.send(b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc")
        start = time.monotonic()
        assert_timed_out_with_408_then_closed(conn, start)


def test_a_header_trickled_byte_by_byte_still_times_out(srv):
    # Slowloris: every byte arrives before a read would time out, but the header as a
    # whole must complete within client_header_timeout.
    request = b"GET / HTTP/1.1\r\nHost: test\r\nX-Slow: " + b"z" * 200
    with srv.open() as conn:
        start = time.monotonic()
        conn.sock.settimeout(0.05)
        answered = b""
        for byte in request:
            try:
                conn.send(bytes([byte]))
                answered = conn.sock.recv(65536)
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            break
        assert answered.startswith(b"HTTP/1.1 408 ")
        assert AT_LEAST <= time.monotonic() - start < AT_MOST


def test_keepalive_requests_caps_the_requests_of_one_connection(server):
    srv = server(mode="single", keepalive_requests=2)
    with srv.open() as conn:
        conn.send(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n" * 3)
        first, second = conn.read_response(), conn.read_response()
        assert (first.status, second.status) == (200, 200)
        assert second.header("Connection").lower() == "close"
        assert conn.is_closed_by_server()
