"""Crash isolation under repeated crashes, in prefork and hybrid mode with two workers: a
worker that served requests before it crashed is replaced at once (only a worker that dies
before serving anything backs off), so crashes interleaved with normal requests never empty
the pool. Every crash answers 502, every other request 200, nothing is refused or answered
503, and the error log has one line per crash naming the signal, the request and the pid."""
import re

import pytest

from background import titles_of
from conftest import wait_until
from http_client import Connection, get

CRASH = "/__forkd_test/crash"
ROUNDS = 20
# The crash guard's 502 and the master's line come from the same death: the line names the
# worker, its pid, the signal, the request and how soon the worker comes back.
CRASH_LINE = re.compile(
    r"(?:worker|app) \d+ \(pid (\d+)\) killed by SIGSEGV \(signal 11\) serving GET (\S+) "
    r"(?:\(route (\S+)\) )?after (\d+) requests? \u2014 that request got 502; "
    r"restarting it (at once|in \d+ ms)")


def crash_lines(srv):
    return CRASH_LINE.findall(srv.log())


def start(server, mode):
    srv = server(mode=mode, pm="static", workers=2, io_workers=1, test_routes=True)
    prefix = "forkd: worker " if mode == "prefork" else "forkd: app "
    wait_until(lambda: sum(title.startswith(prefix) for title in titles_of(srv.children()).values())
               == 2, message="two workers")
    return srv


def ask(connection, target):
    connection.send(f"GET {target} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    return connection.read_response()


def serve_normal_requests(srv, mode):
    """Requests that workers answer 200. In prefork two kept-alive connections at once are
    served by the two workers, so both have served when the next crash comes. In hybrid the
    io worker hands `?sleep=0` (a blocking route) to an idle app worker."""
    if mode == "prefork":
        with Connection(srv.address) as first, Connection(srv.address) as second:
            return [ask(first, "/"), ask(second, "/")]
    return [get(srv.address, "/?sleep=0") for _ in range(3)]


@pytest.mark.parametrize("mode", ["prefork", "hybrid"])
def test_repeated_crashes_between_normal_requests_never_empty_the_pool(server, mode):
    srv = start(server, mode)

    for _ in range(ROUNDS):
        for response in serve_normal_requests(srv, mode):
            assert response.status == 200, response
        assert get(srv.address, CRASH).status == 502

    # The client has its 502 before the master reaps the worker: wait for the last lines.
    wait_until(lambda: len(crash_lines(srv)) >= ROUNDS, message="one crash line per crash")
    lines = crash_lines(srv)
    assert len(lines) == ROUNDS, lines
    assert len({pid for pid, *_ in lines}) == ROUNDS, "each line names the pid that died"
    for pid, target, route, served, restart in lines:
        assert target == CRASH
        assert (restart == "at once") == (int(served) > 0), \
            "only a worker that served nothing before its crash backs off"
    at_once = sum(restart == "at once" for *_, restart in lines)
    if mode == "prefork":
        assert at_once == ROUNDS, "both workers had served when each crash came"
    else:
        assert at_once > 0
    for response in serve_normal_requests(srv, mode):
        assert response.status == 200


@pytest.mark.parametrize("mode", ["prefork", "hybrid"])
def test_the_crash_line_names_the_route(server, mode):
    srv = start(server, mode)

    assert get(srv.address, CRASH + "?x").status == 502

    wait_until(lambda: crash_lines(srv), message="the crash line")
    [(_, target, route, _, _)] = crash_lines(srv)
    assert (target, route) == (CRASH + "?x", CRASH)
