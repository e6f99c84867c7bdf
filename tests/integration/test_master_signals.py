"""The master's signals (docs/signals.md) in fork, prefork and hybrid mode: TERM and QUIT
stop gracefully, INT stops at once, Ctrl-C on a terminal leaves no orphan, a master killed
with SIGKILL takes its children with it, and the pid file lives as long as the master."""
import os
import signal
import socket
import time

import pytest

from background import in_background, is_gone, wait_for_busy_child
from conftest import CONCURRENT_MODES, process_state, wait_until
from http_client import get, timed_get

SLEEPER = "/?sleep=2"


def assert_cut_short(sleeper, timeout):
    """A stop that kills an in-flight request closes its connection, or (hybrid mode, where
    the io worker may outlive the app worker by a moment) answers 502."""
    try:
        response = sleeper.result(timeout=timeout)
    except (EOFError, ConnectionError):
        return
    if isinstance(response, tuple):  # timed_get: (response, seconds)
        response = response[0]
    assert response.status == 502, f"expected a close or 502, got {response.status}"


def start(server, mode, **settings):
    """A server whose master reads its signals (a small pool in prefork mode, so that the
    machine is not crowded)."""
    if mode == "prefork":
        settings.setdefault("workers", 2)
    srv = server(mode=mode, **settings)
    # "listening on" comes before the master blocks its signals; until "master started",
    # a signal would still get its default action.
    wait_until(lambda: "master started" in srv.log(), message="the master's loop")
    return srv


def refuses_connections(srv):
    """True when a connection to srv is refused (a reset means it was queued, then dropped:
    the stop is still under way)."""
    try:
        socket.create_connection(srv.address, timeout=5).close()
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:
        return False
    return False


def port_can_be_bound(srv):
    probe = socket.socket()
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(srv.address)
        probe.listen()
        return True
    except OSError:
        return False
    finally:
        probe.close()


# Graceful stop: TERM (what systemd, Docker and Kubernetes send) and QUIT.


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGQUIT], ids=["TERM", "QUIT"])
@pytest.mark.parametrize("mode", CONCURRENT_MODES)
def test_a_graceful_stop_lets_the_request_in_flight_finish(server, mode, signum):
    srv = start(server, mode)
    sleeper = in_background(get, srv.address, "/?sleep=3", timeout=30)
    wait_for_busy_child(srv, "/?sleep=3")

    srv.signal(signum)

    wait_until(lambda: refuses_connections(srv), message="new connections to be refused")
    assert not sleeper.done(), "the stop should refuse newcomers while the sleeper still runs"
    response = sleeper.result(timeout=30)
    assert response.status == 200
    assert response.body == "繁忙等待".encode()
    assert srv.wait_exit(timeout=30) == 0
    assert "graceful stop" in srv.log()


@pytest.mark.parametrize("mode", CONCURRENT_MODES)
def test_with_shutdown_delay_new_connections_are_served_and_told_503_before_any_is_refused(
        server, mode):
    # What a load balancer's health check sees of a stopping instance: first a plain 503 on a
    # new connection, while requests are still served; only after shutdown_delay a refusal.
    srv = start(server, mode, health_path="/healthz", shutdown_delay="3s")
    assert get(srv.address, "/healthz").status == 200

    srv.signal(signal.SIGTERM)

    wait_until(lambda: get(srv.address, "/healthz").status == 503,
               message="the health check to say 503 on a new connection")
    assert not refuses_connections(srv), "the listeners stay open during shutdown_delay"
    response = get(srv.address, "/")
    assert (response.status, response.body) == (200, b"this is server")
    wait_until(lambda: refuses_connections(srv), timeout=15,
               message="new connections refused once shutdown_delay is over")
    assert srv.wait_exit(timeout=30) == 0
    assert "serving on for shutdown_delay" in srv.log()


@pytest.mark.parametrize("mode", CONCURRENT_MODES)
def test_a_graceful_stop_kills_a_request_that_outlives_graceful_timeout(server, mode):
    srv = start(server, mode, graceful_timeout="1s")
    sleeper = in_background(timed_get, srv.address, "/?sleep=5", timeout=30)
    wait_for_busy_child(srv, "/?sleep=5")
    children = srv.children()

    signal_sent = time.monotonic()
    srv.signal(signal.SIGTERM)

    assert srv.wait_exit(timeout=30) == 0
    assert time.monotonic() - signal_sent < 4, "the master should not wait for the sleeper"
    assert_cut_short(sleeper, timeout=30)
    assert all(is_gone(child) for child in children)
    assert "SIGKILL" in srv.log()


# Fast stop: INT.


@pytest.mark.parametrize("mode", CONCURRENT_MODES)
def test_sigint_stops_at_once_even_with_a_request_in_flight(server, mode):
    srv = start(server, mode)
    sleeper = in_background(get, srv.address, "/?sleep=20", timeout=60)
    wait_for_busy_child(srv, "/?sleep=20")
    children = srv.children()

    srv.signal(signal.SIGINT)

    assert srv.wait_exit(timeout=10) == 0
    wait_until(lambda: all(is_gone(child) for child in children), timeout=5,
               message="every child to be gone")
    assert_cut_short(sleeper, timeout=10)
    assert refuses_connections(srv)


@pytest.mark.parametrize("mode", CONCURRENT_MODES)
def test_ctrl_c_on_a_terminal_leaves_no_orphan(server, mode):
    srv = start(server, mode, new_session=True)  # the master leads its group, as in a shell
    sleeper = in_background(get, srv.address, SLEEPER, timeout=30)
    wait_for_busy_child(srv, SLEEPER)
    children = srv.children()
    assert children

    os.killpg(srv.pid, signal.SIGINT)  # what the terminal does on Ctrl-C

    assert srv.wait_exit(timeout=10) == 0
    wait_until(lambda: all(process_state(child) is None for child in children), timeout=5,
               message="every child to be gone (exited and reaped by the master)")
    assert_cut_short(sleeper, timeout=10)


# The master's death: SIGKILL leaves nothing behind.


@pytest.mark.parametrize("mode", CONCURRENT_MODES)
def test_children_die_with_a_master_killed_by_sigkill_and_free_the_port(server, mode):
    srv = start(server, mode)
    sleeper = in_background(get, srv.address, "/?sleep=20", timeout=60)
    wait_for_busy_child(srv, "/?sleep=20")
    children = srv.children()

    srv.signal(signal.SIGKILL)
    srv.wait_exit(timeout=10)

    wait_until(lambda: all(is_gone(child) for child in children), timeout=1.0,
               message="every child to die within a second of the master")
    wait_until(lambda: port_can_be_bound(srv), timeout=1.0, message="the port to be free")
    assert_cut_short(sleeper, timeout=10)


# The pid file.


@pytest.mark.parametrize("mode", CONCURRENT_MODES)
def test_the_pid_file_holds_the_masters_pid_and_is_removed_at_exit(server, mode, tmp_path):
    pid_file = tmp_path / "forkd.pid"
    srv = start(server, mode, pid_file=str(pid_file))

    wait_until(lambda: pid_file.exists() and pid_file.read_text() == f"{srv.pid}\n",
               message="the pid file with the master's pid")

    srv.signal(signal.SIGTERM)
    assert srv.wait_exit(timeout=30) == 0
    assert not pid_file.exists()
