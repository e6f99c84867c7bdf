"""Running out on purpose: more connections than the open-files limit, more than
`worker_connections`, ten thousand connections opened and dropped without a request, and a
1 GiB request body. Each time the server must refuse or defer gracefully (a connection
waits in the listen queue, or gets a status and a close), say so in its log, lose no
process, hold no memory or fd for what it refused, and serve normally afterwards."""
import select
import socket
import struct
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import CONCURRENT_MODES, MODES, wait_until
from http_client import Connection, get
from process_facts import (fd_count, long_lived_processes, memory_kb, settled_fd_counts,
                           wait_for_fd_counts, wait_for_pool)

DEMO_BODY = b"this is server"
BUSY_BODY = "繁忙等待".encode()
GET_ROOT = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"


def hybrid(server, **settings):
    """One io worker (so that every connection goes to it) and a small app-worker pool."""
    srv = server(mode="hybrid", io_workers=1, workers=2, max_workers=4, **settings)
    wait_for_pool(srv, 3)
    return srv


def io_worker(srv):
    [pid] = [pid for pid, title in long_lived_processes(srv).items() if "forkd: io " in title]
    return pid


def answered(connections, wait, first_wait=None):
    """The connections among `connections` that have something to read (a response or the
    server's close), the first within `first_wait` seconds, each next one within `wait`
    seconds of the one before."""
    ready = set()
    while True:
        pending = [conn.sock for conn in connections if conn.sock not in ready]
        timeout = first_wait if first_wait is not None and not ready else wait
        readable = select.select(pending, [], [], timeout)[0] if pending else []
        if not readable:
            return [conn for conn in connections if conn.sock in ready]
        ready.update(readable)


def assert_served(conn, body=DEMO_BODY):
    response = conn.read_response()
    assert (response.status, response.body) == (200, body)


def assert_serves_normally(srv):
    response = get(srv.address, "/")
    assert (response.status, response.body) == (200, DEMO_BODY)
    response = get(srv.address, "/?sleep=0")
    assert (response.status, response.body) == (200, BUSY_BODY)


def test_past_the_open_files_limit_connections_wait_and_none_is_dropped(server):
    # 256 fds for every process (prlimit execs forkd with the limit; forkd raises its soft
    # limit to the hard one, which is 256 too). The io worker fills up with idle keep-alive
    # connections; the rest must wait in the listen queue, not be reset.
    srv = hybrid(server, command_prefix=["prlimit", "--nofile=256"], keepalive_timeout="60s")
    processes = wait_for_pool(srv, 3)
    before = settled_fd_counts(processes)
    connections = [Connection(srv.address, timeout=20) for _ in range(400)]
    for conn in connections:
        conn.send(GET_ROOT)

    held = answered(connections, wait=1.0, first_wait=10)
    waiting = [conn for conn in connections if conn not in held]
    assert 100 <= len(held) < 256 and len(waiting) >= 144
    for conn in held:
        assert_served(conn)
    assert fd_count(io_worker(srv)) == 256
    wait_until(lambda: "Too many open files" in srv.log(), message="the io worker's warning")
    assert not answered(waiting, wait=0.5), "a connection beyond the limit was closed"

    # Out of fds, a blocking request cannot get the socket pair of a first link with an app
    # worker (none was handed a request yet): it waits in the queue instead of killing the
    # io worker with every connection it holds.
    blocking = held[0]
    blocking.send(b"GET /?sleep=0 HTTP/1.1\r\nHost: test\r\n\r\n")
    assert not answered([blocking], wait=0.5)
    wait_until(lambda: "cannot hand a request off" in srv.log(), message="the hand-off warning")
    for conn in held[1:]:
        conn.close()
    assert_served(blocking, BUSY_BODY)
    for conn in waiting:
        assert_served(conn)

    for conn in [blocking, *waiting]:
        conn.close()
    # Polled: a title read while a process rewrites it may not parse for a moment.
    wait_until(lambda: long_lived_processes(srv).keys() == processes.keys(), timeout=5,
               message="the same processes as before: none died or was replaced")
    wait_for_fd_counts(processes, before, timeout=10, message="fd counts back to their baseline")
    assert_serves_normally(srv)


def test_beyond_worker_connections_hundreds_of_connections_wait_their_turn(server):
    srv = hybrid(server, worker_connections=50, keepalive_timeout="60s")
    connections = [Connection(srv.address, timeout=20) for _ in range(150)]
    for conn in connections:
        conn.send(GET_ROOT)

    # Fifty at a time: each fifty served once the fifty before them leave.
    for _ in range(3):
        batch = answered(connections, wait=1.0, first_wait=10)
        assert len(batch) == 50, f"{len(batch)} connections served at once"
        for conn in batch:
            assert_served(conn)
            conn.close()
            connections.remove(conn)
    assert connections == []
    assert "worker_connections (50) reached" in srv.log()
    assert_serves_normally(srv)


def open_and_drop(address, count):
    """Opens `count` connections one after another and drops each without a request: every
    other one with a FIN, the rest with an RST."""
    for i in range(count):
        sock = socket.create_connection(address, timeout=10)
        if i % 2:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    return count


@pytest.mark.parametrize("mode", CONCURRENT_MODES)
def test_ten_thousand_connections_dropped_without_a_request_leave_nothing_behind(server, mode):
    srv = server(mode=mode, workers=4, io_workers=2)
    size = {"fork": 0, "prefork": 4, "hybrid": 6}[mode]
    processes = wait_for_pool(srv, size)
    before = settled_fd_counts(processes)

    with ThreadPoolExecutor(50) as pool:
        assert sum(pool.map(open_and_drop, [srv.address] * 50, [200] * 50)) == 10_000

    # Polled: a title read while a process rewrites it may not parse for a moment.
    wait_until(lambda: long_lived_processes(srv).keys() == processes.keys(), timeout=5,
               message="the same processes as before: none died or was replaced")
    wait_for_fd_counts(processes, before, timeout=15, message="fd counts back to their baseline")
    wait_until(lambda: not srv.children() if mode == "fork" else True, timeout=15,
               message="every connection child gone")
    assert_serves_normally(srv)


GIB = 1 << 30
HUGE_BODIES = {
    "content_length": b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n" % GIB,
    "chunked": b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % GIB,
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framing", HUGE_BODIES)
def test_a_1_gib_body_gets_413_at_once_and_is_never_buffered(server, mode, framing):
    srv = server(mode=mode, workers=2, io_workers=1, max_body_size="1m")
    processes = wait_for_pool(srv, {"prefork": 2, "hybrid": 3}.get(mode, 0))
    before = {pid: (memory_kb(pid), memory_kb(pid, "VmSize")) for pid in processes}

    with Connection(srv.address, timeout=5) as conn:
        # The head and 64 KiB of the body: a server that waits for the rest, or reserves
        # room for it, shows here. (Nobody sends the 1 GiB.)
        conn.send(HUGE_BODIES[framing] + b"x" * 65536)
        response = conn.read_response()  # within the 5 s timeout: at once
        assert response.status == 413
        assert response.header("Connection").lower() == "close"
        assert conn.is_closed_by_server(timeout=10)

    for pid, (rss, size) in before.items():
        assert memory_kb(pid) - rss < 8 * 1024, f"{processes[pid]} grew its RSS"
        assert memory_kb(pid, "VmSize") - size < 64 * 1024, f"{processes[pid]} reserved memory"
    assert_serves_normally(srv)
