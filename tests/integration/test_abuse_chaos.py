"""Chaos: while a steady client loop runs, a random worker is killed with SIGKILL every
100 ms for 20 s (prefork's workers, hybrid's app workers, hybrid's io workers). The master
must replace every one at once, reap every one (no zombie lingers), keep its one listening
socket (none leaked, none re-created), and lose no request but those the killed workers
held: each kill may cost the request in flight on that worker, never more. At the end the
pool is full and every request succeeds."""
import os
import random
import signal
import subprocess
import time

import pytest

from background import titles_of
from client_loop import ClientLoop
from conftest import wait_until
from http_client import Connection
from process_facts import (ZombieWatch, fd_count, listeners_held, listening_inodes,
                           settled_fd_counts, zombie_children)

DEMO_BODY = b"this is server"
BUSY_BODY = "繁忙等待".encode()
SECONDS = 20
PERIOD = 0.1
CLIENTS = 4

# (mode, victims' title prefix, pool size, a target served by the victims, its body)
SCENARIOS = {
    "prefork_workers": ("prefork", "forkd: worker ", 4, "/", DEMO_BODY),
    # `/?sleep=0` is a blocking route: every request goes through an app worker.
    "hybrid_app_workers": ("hybrid", "forkd: app ", 4, "/?sleep=0", BUSY_BODY),
    "hybrid_io_workers": ("hybrid", "forkd: io ", 2, "/", DEMO_BODY),
}


def pool(srv, prefix):
    return [pid for pid, title in titles_of(srv.children()).items() if title.startswith(prefix)]


def listening_sockets_in_ss(port):
    out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True,
                         check=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def kill_at_random(srv, prefix, watch):
    """SIGKILLs a random member of the pool every PERIOD for SECONDS; returns the victims."""
    victims = []
    start = time.monotonic()
    next_kill = start
    while time.monotonic() < start + SECONDS:
        watch.sample()
        if time.monotonic() >= next_kill:
            next_kill += PERIOD
            candidates = pool(srv, prefix)
            if candidates:
                victim = random.choice(candidates)
                try:
                    os.kill(victim, signal.SIGKILL)
                    victims.append(victim)
                except ProcessLookupError:
                    pass  # it exited on its own in between
        # Until the next kill is due: the cadence is the behaviour under test.
        time.sleep(max(0.0, min(next_kill, start + SECONDS) - time.monotonic()))
    return victims


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_workers_killed_every_100ms_are_replaced_and_cost_only_their_own_requests(server,
                                                                                  scenario):
    mode, prefix, size, target, body = SCENARIOS[scenario]
    srv = server(mode=mode, workers=4, io_workers=2)
    wait_until(lambda: len(pool(srv, prefix)) == size, message="a full pool")
    wait_until(lambda: "master started" in srv.log(), message="the master's loop")
    listeners_before = listening_inodes(srv.port)
    master_fds_before = settled_fd_counts([srv.pid])[srv.pid]
    assert listeners_held(srv.pid, srv.port) == 1
    watch = ZombieWatch(srv.pid)

    with ClientLoop(srv.address, threads=CLIENTS, target=target, expected_body=body) as clients:
        wait_until(clients.served_at_least(20), message="the client loop running")
        victims = kill_at_random(srv, prefix, watch)
        wait_until(lambda: len(pool(srv, prefix)) == size, timeout=10,
                   message="the pool refilled after the last kill")
        wait_until(clients.served_at_least(100), timeout=20, message="requests after the chaos")
    failures = clients.failures

    # Replaced at once: nearly every tick found a live worker to kill.
    assert len(victims) >= SECONDS / PERIOD / 2, f"only {len(victims)} kills: slow respawns"
    wait_until(lambda: all(f"(pid {pid}) killed by SIGKILL" in srv.log() for pid in victims),
               timeout=10, message="the master to report every killed worker")
    # Only requests in flight on a killed worker fail, and as a lost connection or a 502 (a
    # hybrid app worker dead before answering), never as a 503 or a timeout.
    assert len(failures) <= len(victims), (len(failures), len(victims), failures[:5])
    for failure in failures:
        if hasattr(failure, "status"):
            assert failure.status == 502 and prefix == "forkd: app ", failure
        else:
            assert isinstance(failure, (ConnectionError, EOFError)), repr(failure)
    # Reaped: no zombie outlived a few master ticks, and none is left.
    assert watch.longest < 2.0, f"a killed worker stayed a zombie for {watch.longest:.1f}s"
    wait_until(lambda: not zombie_children(srv.pid), message="no zombie children")
    # One listening socket, the same one, and the master's fds as before.
    assert listening_inodes(srv.port) == listeners_before
    assert len(listening_sockets_in_ss(srv.port)) == 1
    assert listeners_held(srv.pid, srv.port) == 1
    wait_until(lambda: fd_count(srv.pid) == master_fds_before, timeout=10,
               message=f"the master's fds back to {master_fds_before}")
    # Fully healthy.
    for _ in range(20):
        with Connection(srv.address) as conn:
            conn.send(f"GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode())
            response = conn.read_response()
            assert (response.status, response.body) == (200, body)
