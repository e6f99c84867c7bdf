"""No file descriptor leaks, in every mode: each long-lived process (the master or the single
process, prefork's workers, hybrid's io and app workers) holds as many fds after ten
thousand requests of every kind as before them. Every kind ends a connection along another
path of the code: a keep-alive or pipelined exchange, an error and its close (400, 404, 413),
a timeout (408), an idle keep-alive closed by the server, a client that vanishes halfway
through its request or resets the connection, and a client gone while its blocking request
waits or runs. A path that forgets to close shows as a count that never comes back.

The counts are polled until they settle (connections linger, keep-alives time out), with
short timeouts so that settling takes seconds."""
import socket
import struct
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import MODES, wait_until
from http_client import Connection
from process_facts import (long_lived_processes, settled_fd_counts, wait_for_fd_counts,
                           wait_for_pool)

SETTINGS = {
    "workers": 4, "io_workers": 2, "client_header_timeout": "300ms",
    "client_body_timeout": "300ms", "keepalive_timeout": "1s", "lingering_timeout": "300ms",
    "max_body_size": "1k", "demo__sleep_seconds": 1,
}
DEMO_BODY = b"this is server"


def get(target, close=False):
    return (f"GET {target} HTTP/1.1\r\nHost: test\r\n"
            + ("Connection: close\r\n" if close else "") + "\r\n").encode()


def exchange(address, requests, expected):
    """Sends `requests` on one connection (pipelined) and checks the statuses that come back."""
    with Connection(address, timeout=30) as conn:
        conn.send(b"".join(requests))
        statuses = [conn.read_response().status for _ in expected]
        assert statuses == expected
        assert conn.is_closed_by_server(timeout=10)
    return len(requests)


def keep_alive(address, count):
    """`count` requests one after another on one connection: `/`, a 404, a blocking route."""
    targets = ["/", "/missing", "/?sleep=0"]
    with Connection(address, timeout=30) as conn:
        for i in range(count):
            conn.send(get(targets[i % 3], close=i == count - 1))
            assert conn.read_response().status == (404 if i % 3 == 1 else 200)
        assert conn.is_closed_by_server(timeout=10)
    return count


def pipelined(address, count):
    requests = [get("/") for _ in range(count - 1)] + [get("/missing", close=True)]
    return exchange(address, requests, [200] * (count - 1) + [404])


def rejected(address, raw, status):
    return exchange(address, [raw], [status])


def timed_out(address):
    """Half a head, then silence: 408 at client_header_timeout, then a close."""
    return exchange(address, [b"GET / HTTP/1.1\r\nHost: te"], [408])


def idle_after_one_request(address):
    """One request, then an idle keep-alive connection the server closes at keepalive_timeout."""
    return exchange(address, [get("/")], [200])


def vanish(address, raw, reset):
    """Sends `raw` (a part of a request, or a whole one) and disappears: a FIN, or an RST."""
    sock = socket.create_connection(address, timeout=10)
    sock.sendall(raw)
    if reset:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    return 1


def batch(address, serial):
    """About ten thousand requests of every kind, 16 at a time. Returns how many were sent.
    A `serial` server (single mode) waits out each timeout and sleep in turn: fewer of those."""
    slow = 3 if serial else 20
    post = b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n"
    jobs = (
        [(pipelined, address, 100)] * 60
        + [(keep_alive, address, 60)] * 50
        + [(exchange, address, [get("/", close=True)], [200])] * 600
        + [(rejected, address, b"GET / HTTP/1.1\r\nHost: test\r\nX: a\r\n b\r\n\r\n", 400)] * 100
        + [(rejected, address, post % 2000 + b"x" * 2000, 413)] * 100
        + [(exchange, address, [post % 5 + b"hello", get("/", close=True)], [405, 200])] * 100
        + [(timed_out, address)] * slow
        + [(idle_after_one_request, address)] * slow
        + [(vanish, address, b"GET / HTTP/1.1\r\nHo", False)] * 100
        + [(vanish, address, post % 100 + b"x" * 10, False)] * 100
        + [(vanish, address, get("/"), True)] * 100
        + [(vanish, address, get("/?sleep=1"), False)] * (slow // 2)
        + [(vanish, address, get("/?sleep=1"), True)] * (slow // 2)
    )
    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(job, *args) for job, *args in jobs]
        return sum(future.result() for future in futures)


@pytest.mark.parametrize("mode", MODES)
def test_every_long_lived_process_holds_as_many_fds_after_ten_thousand_requests(server, mode):
    srv = server(mode=mode, **SETTINGS)
    wanted = {"single": 0, "fork": 0, "prefork": 4, "hybrid": 6}[mode]
    wait_for_pool(srv, wanted)
    # Warm up every path once, so that whatever a process opens once and keeps (a lazily
    # opened file) is part of the baseline rather than counted as a leak.
    assert keep_alive(srv.address, 6) == 6
    assert rejected(srv.address, get("/", close=True).replace(b"Host", b"Ho st"), 400)
    processes = wait_for_pool(srv, wanted)
    if mode == "fork":
        wait_until(lambda: not srv.children(), message="the warm-up's children to exit")
    before = settled_fd_counts(processes)

    sent = batch(srv.address, serial=mode == "single")

    assert sent >= 10_000
    wait_for_fd_counts(processes, before, timeout=30,
                       message="fd counts back to their baseline after the batch")
    # Polled: a title read while a process rewrites it may not parse for a moment.
    wait_until(lambda: long_lived_processes(srv).keys() == processes.keys(), timeout=5,
               message="the same processes as before: none died or was replaced")
    if mode == "fork":
        wait_until(lambda: not srv.children(), timeout=15, message="every connection child gone")
    with Connection(srv.address) as conn:
        conn.send(get("/", close=True))
        response = conn.read_response()
        assert (response.status, response.body) == (200, DEMO_BODY)
