"""Slow-client attacks with slowhttptest (Debian package `slowhttptest`): slowloris, which
trickles header lines, and slow body (R-U-Dead-Yet), which trickles a POST body, each with
hundreds of connections for 15 s while a probe requests `/` over and over.

Hybrid mode's io workers hold every attacking connection in their event loop, so every
probe is answered at once. Prefork's workers each hold one connection: the attack takes them
all, as it takes Apache prefork's, and what saves the server is its timeouts. There the test
checks that the timeouts fire (408s in the access log) and that the service recovers as
soon as the attack stops. A trickled header on a raw socket is in
test_limits_and_timeouts.py."""
import shutil
import subprocess
import time
from collections import Counter

import pytest

from conftest import wait_until
from http_client import get, timed_get
from process_facts import fd_count, long_lived_processes, wait_for_pool

SLOWHTTPTEST = shutil.which("slowhttptest")
pytestmark = pytest.mark.skipif(SLOWHTTPTEST is None,
                                reason="slowhttptest is not installed (scripts/install-deps)")

SECONDS = 15
CONNECTIONS = 750  # opened at 50 a second: the whole attack long
DEMO_BODY = b"this is server"


def start_attack(srv, kind, interval, pool_size):
    """slowhttptest against `/`: -H slowloris, -B slow body; a follow-up every `interval` s.
    Starts once the master's pool (`pool_size` processes) runs."""
    wait_for_pool(srv, pool_size)
    command = [SLOWHTTPTEST, kind, "-c", str(CONNECTIONS), "-r", "50", "-i", str(interval),
               "-l", str(SECONDS), "-s", "8192", "-x", "24", "-p", "3",
               "-u", f"http://127.0.0.1:{srv.port}/"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)


def probe_during(attack, srv, timeout):
    """Requests `/` one after another until the attack ends; returns the outcomes and the
    most fds any io worker or worker held meanwhile (how many attacking connections the
    server took in)."""
    outcomes, most_fds = [], 0
    workers = [pid for pid in long_lived_processes(srv) if pid != srv.pid]
    while attack.poll() is None:
        try:
            response, elapsed = timed_get(srv.address, "/", timeout=timeout)
            outcomes.append((response.status, response.body, elapsed))
        except OSError as error:
            outcomes.append((repr(error), b"", None))
        most_fds = max([most_fds] + [fd_count(pid) or 0 for pid in workers])
        try:
            attack.wait(timeout=0.05)  # the next probe, unless the attack ends first
        except subprocess.TimeoutExpired:
            pass
    return outcomes, most_fds


def statuses_in(access_log):
    return Counter(line.split('"')[2].split()[0] for line in access_log.read_text().splitlines())


@pytest.mark.parametrize("kind", ["-H", "-B"], ids=["slowloris", "slow_body"])
def test_hybrid_answers_every_probe_while_slow_clients_hold_hundreds_of_connections(server,
                                                                                     kind):
    # A follow-up every second: no timeout ever fires for slow-body connections, they are
    # held for the whole attack, and still cost an io worker only a few hundred bytes each.
    srv = server(mode="hybrid", io_workers=1, workers=2, client_header_timeout="5s",
                 client_body_timeout="5s")
    attack = start_attack(srv, kind, interval=1, pool_size=3)
    try:
        outcomes, most_fds = probe_during(attack, srv, timeout=5)
    finally:
        attack.kill()
        attack.wait()

    assert most_fds >= 200, f"the attack held only {most_fds} fds: it did not take"
    assert len(outcomes) >= SECONDS * 5, f"only {len(outcomes)} probes in {SECONDS}s"
    failed = [outcome for outcome in outcomes if outcome[:2] != (200, DEMO_BODY)]
    assert not failed, failed[:5]
    assert max(outcome[2] for outcome in outcomes) < 2.0, "a probe waited behind the attack"


@pytest.mark.parametrize("kind", ["-H", "-B"], ids=["slowloris", "slow_body"])
def test_prefork_times_slow_clients_out_and_recovers_as_soon_as_they_stop(server, tmp_path,
                                                                          kind):
    # Slow body: a follow-up every 3 s, slower than client_body_timeout, so that it fires.
    # (One within the timeout holds a prefork worker for as long as the body takes.)
    access_log = tmp_path / "access.log"
    srv = server(mode="prefork", workers=4, client_header_timeout="3s",
                 client_body_timeout="2s", access_log=str(access_log))
    attack = start_attack(srv, kind, interval=1 if kind == "-H" else 3, pool_size=4)
    try:
        probe_during(attack, srv, timeout=60)
    finally:
        attack.kill()
        attack.wait()

    # The timeouts fired: every worker was freed again and again.
    assert statuses_in(access_log)["408"] >= 8
    # The attack is over: its queued connections are gone at once, and `/` is answered.
    start = time.monotonic()
    response = get(srv.address, "/", timeout=10)
    assert (response.status, response.body) == (200, DEMO_BODY)
    assert time.monotonic() - start < 5
    wait_until(lambda: all(title.endswith(" idle")
                           for pid, title in long_lived_processes(srv).items() if pid != srv.pid),
               timeout=10, message="every worker idle again")
