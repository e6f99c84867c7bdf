"""Many instances as one service (docs/operations.md, "Rolling restarts"): two forkd
instances behind a real haproxy running deploy/haproxy/forkd.cfg (health checks on
`health_path`), under a steady client loop through haproxy, are restarted one at a time,
and no client request fails:

- a restart: SIGTERM (health_path answers 503 for shutdown_delay, haproxy takes the instance
  out), the instance exits, a new one starts on the same address, haproxy sees it healthy,
  then the next instance;
- a binary upgrade of each in turn (SIGUSR2, the new master serves beside the old one,
  SIGWINCH and SIGQUIT to the old master): the address never stops answering, so haproxy
  never takes the instance out.
"""
import os
import signal

import pytest

from background import is_gone
from client_loop import ClientLoop
from conftest import child_pids, wait_until
from haproxy_front import HAPROXY, HAPROXY_CFG, Haproxy, asked_shutdown_delay, keyword, sections
from haproxy_front import seconds

# Health checks every second, two to change state (deploy/haproxy/forkd.cfg): a restarted
# instance is back in haproxy's pool about two seconds after it listens.
BACK_IN_POOL = 15


@pytest.fixture
def balanced(server, tmp_path):
    """Two hybrid instances set as the haproxy config's header asks, haproxy in front, and a
    start(port, name) that starts one more on a given port."""
    if HAPROXY is None:
        pytest.skip("haproxy is not installed")
    text = HAPROXY_CFG.read_text()
    settings = {"mode": "hybrid", "io_workers": 1, "workers": 2,
                "health_path": keyword(sections(text)["backend forkd"], "option httpchk").split()[-1],
                "shutdown_delay": asked_shutdown_delay(text)}
    started = []

    def start(port=0, name="a", **more):
        srv = server(new_session=True, listen=[f"127.0.0.1:{port}"],
                     access_log=str(tmp_path / f"access-{name}-{len(started)}.log"),
                     pid_file=str(tmp_path / f"forkd-{name}.pid"), **settings, **more)
        srv.access_log = tmp_path / f"access-{name}-{len(started)}.log"
        started.append(srv)
        return srv

    instances = [start(name="a"), start(name="b")]
    balancer = Haproxy(tmp_path, [srv.address for srv in instances])
    wait_until(lambda: balancer.up() == {"s0": True, "s1": True}, timeout=BACK_IN_POOL,
               message="both instances up by their health checks")
    yield balancer, instances, start, settings
    balancer.stop()


def served(srv):
    """Requests for / the instance logged (health checks aside)."""
    if not srv.access_log.exists():
        return 0
    return srv.access_log.read_text().count('"GET / HTTP/1.1"')


def test_restarting_each_instance_in_turn_fails_no_request(balanced):
    balancer, instances, start, settings = balanced
    delay = seconds(settings["shutdown_delay"])
    with ClientLoop(("127.0.0.1", balancer.port), threads=3, pause=0.002) as clients:
        wait_until(clients.served_at_least(50), timeout=30, message="load on both instances")
        for number, name in enumerate(("a", "b")):
            old = instances[number]
            server_name = f"s{number}"
            # Drain: out of haproxy's pool while it still serves, then gone.
            old.signal(signal.SIGTERM)
            wait_until(lambda: balancer.up().get(server_name) is False, timeout=delay + 5,
                       message=f"haproxy to take {name} out")
            assert old.proc.poll() is None, f"{name} stopped before haproxy took it out"
            assert old.wait_exit(timeout=30) == 0
            # Start: the same address, and back in the pool once healthy.
            new = start(port=old.port, name=name)
            wait_until(lambda: balancer.up().get(server_name) is True, timeout=BACK_IN_POOL,
                       message=f"haproxy to see the new {name} healthy")
            instances[number] = new
            wait_until(lambda: served(new) >= 10, timeout=30,
                       message=f"the new {name} to take its share")
        wait_until(clients.served_at_least(50), timeout=30, message="load after the roll")
    assert clients.failures == [], f"{len(clients.failures)} failed: {clients.failures[:3]}"


def live_children(pid):
    return [child for child in child_pids(pid) if not is_gone(child)]


def stop_by_pid(pid):
    """Stops a master that is not the test's child (its parent was the old master)."""
    if is_gone(pid):
        return
    os.kill(pid, signal.SIGQUIT)
    try:
        wait_until(lambda: is_gone(pid), timeout=30, message=f"master {pid} to exit")
    except AssertionError:
        os.kill(pid, signal.SIGKILL)
        raise


def pid_in(path):
    try:
        return int(path.read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def test_upgrading_each_instance_in_turn_fails_no_request(balanced, tmp_path):
    balancer, instances, _, settings = balanced
    children = settings["io_workers"] + settings["workers"]
    new_masters = []
    try:
        with ClientLoop(("127.0.0.1", balancer.port), threads=3, pause=0.002) as clients:
            wait_until(clients.served_at_least(50), timeout=30, message="load on both instances")
            for number, name in enumerate(("a", "b")):
                old = instances[number]
                pid_file = tmp_path / f"forkd-{name}.pid"
                old.signal(signal.SIGUSR2)
                new_master = wait_until(lambda: pid_in(pid_file) not in (0, old.pid) and
                                        pid_in(pid_file), timeout=20,
                                        message=f"{name}'s new master")
                new_masters.append(new_master)
                wait_until(lambda: len(live_children(new_master)) == children, timeout=20,
                           message=f"{name}'s new master's workers")
                os.kill(old.pid, signal.SIGWINCH)
                wait_until(lambda: live_children(old.pid) == [new_master], timeout=30,
                           message=f"{name}'s old workers to leave")
                os.kill(old.pid, signal.SIGQUIT)
                assert old.wait_exit(timeout=30) == 0
                wait_until(clients.served_at_least(50), timeout=30,
                           message=f"load on {name}'s new master")
            assert balancer.up() == {"s0": True, "s1": True}
        assert clients.failures == [], f"{len(clients.failures)} failed: {clients.failures[:3]}"
        # The address answered throughout: haproxy never took an instance out.
        log = (tmp_path / "haproxy.log").read_text(errors="replace")
        assert " is DOWN" not in log, log
    finally:
        for pid in new_masters:
            stop_by_pid(pid)
