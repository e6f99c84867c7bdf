"""The tutorial's process models on the real binary: a slow request no longer blocks the
others in fork and prefork mode; fork mode caps its children and reaps every one; prefork
keeps its pool full; every process says in its title what it is and what it is doing, and
runs in a process group of its own."""
import os
import re
import select
import signal
from concurrent import futures

import pytest

from background import in_background, titles_of, wait_for_busy_child
from conftest import CONCURRENT_MODES, child_pids, process_state, process_title, wait_until
from http_client import Connection, get

SLEEPER = "/?sleep=2"


def request_bytes(target):
    return f"GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode()


# The tutorial's experiment: one browser tab opens /?sleep, another opens /.


@pytest.mark.parametrize("mode", CONCURRENT_MODES)
def test_a_quick_request_is_answered_while_a_sleeper_is_in_flight(server, mode):
    srv = server(mode=mode, workers=2) if mode == "prefork" else server(mode=mode)
    sleeper = in_background(get, srv.address, SLEEPER, timeout=30)
    wait_for_busy_child(srv, SLEEPER)

    response = get(srv.address, "/")

    assert response.status == 200
    assert response.body == b"this is server"
    assert not sleeper.done(), "/ should be answered well before the sleeper"
    assert sleeper.result(timeout=30).status == 200


def test_in_single_mode_a_quick_request_still_waits_behind_the_sleeper(server):
    srv = server(mode="single")
    sleeper = in_background(get, srv.address, SLEEPER, timeout=30)
    busy_title = f"forkd: single busy GET {SLEEPER}"
    wait_until(lambda: process_title(srv.pid) == busy_title,
               message="the single process busy with the sleeper")

    with Connection(srv.address, timeout=30) as quick:
        quick.send(request_bytes("/"))
        # Look for the answer first, then at the title: an answer seen before a title that
        # still names the sleeper came while the sleeper was being served.
        while True:
            answered = has_data(quick)
            if process_title(srv.pid) != busy_title:
                break
            assert not answered, "/ was answered while the sleeper was still served"
        assert quick.read_response().status == 200
    assert sleeper.result(timeout=30).status == 200


def has_data(connection):
    readable, _, _ = select.select([connection.sock], [], [], 0.02)
    return bool(readable)


# Fork mode: one child per connection, at most max_children, every one reaped.


def test_fork_mode_never_runs_more_children_than_max_children(server):
    srv = server(mode="fork", max_children=4)
    clients = [in_background(get, srv.address, "/?sleep=1", timeout=60) for _ in range(10)]

    peak = 0
    while not all(client.done() for client in clients):
        peak = max(peak, len(srv.children()))
        futures.wait(clients, timeout=0.01)  # the sampling period
    statuses = [client.result().status for client in clients]

    assert statuses == [200] * 10
    assert peak <= 4, f"saw {peak} children with max_children=4"
    assert peak == 4, "ten sleepers should have filled all four places"
    wait_until(lambda: "server reached max_children" in srv.log(),
               message="the max_children warning in the log")


def test_fork_mode_leaves_no_zombie_after_thousands_of_short_connections(server):
    srv = server(mode="fork", max_children=64)

    def short_connections(count):
        return [get(srv.address, "/").status for _ in range(count)]

    batches = [in_background(short_connections, 500) for _ in range(4)]
    statuses = [status for batch in batches for status in batch.result(timeout=300)]

    assert statuses == [200] * 2000

    def zombies():
        return [pid for pid in child_pids(srv.pid) if process_state(pid) == "Z"]

    wait_until(lambda: not zombies(), timeout=10, message="every exited child to be reaped")
    assert process_state(srv.pid) not in (None, "Z"), "the master should still run"
    assert get(srv.address, "/").status == 200


# Prefork mode: a static pool the master keeps full.


def test_prefork_replaces_a_worker_killed_with_sigkill(server):
    srv = server(mode="prefork", workers=3)
    workers = wait_until(lambda: len(srv.children()) == 3 and srv.children(),
                         message="three workers")
    titles_before = sorted(wait_until(lambda: all_idle(srv, 3), message="three idle workers"))
    victim = workers[0]

    os.kill(victim, signal.SIGKILL)

    def replaced():
        children = srv.children()
        return victim not in children and len(children) == 3 and children

    new_workers = wait_until(replaced, message="a new worker in place of the killed one")
    assert victim not in new_workers
    titles_after = sorted(wait_until(lambda: all_idle(srv, 3), message="three idle workers"))
    assert titles_after == titles_before, "the new worker takes the dead worker's slot"
    assert get(srv.address, "/").status == 200
    assert re.search(rf"pid {victim}\).*SIGKILL", srv.log())


def all_idle(srv, count):
    """The titles of srv's children when there are `count` of them, all idle; else None."""
    titles = list(titles_of(srv.children()).values())
    if len(titles) == count and all(title.endswith(" idle") for title in titles):
        return titles
    return None


# Process titles: what `ps -ef | grep forkd` shows.


@pytest.mark.parametrize("mode", CONCURRENT_MODES)
def test_the_master_is_titled_forkd_master(server, mode):
    srv = server(mode=mode)
    wait_until(lambda: process_title(srv.pid) == "forkd: master", message="the master's title")


def test_prefork_workers_are_titled_by_number_and_state(server):
    srv = server(mode="prefork", workers=3)
    titles = wait_until(lambda: all_idle(srv, 3), message="three idle workers")
    assert sorted(titles) == [f"forkd: worker {n} idle" for n in (1, 2, 3)]

    sleeper = in_background(get, srv.address, SLEEPER, timeout=30)
    busy = wait_for_busy_child(srv, SLEEPER)

    title = re.fullmatch(r"forkd: worker ([123]) busy GET /\?sleep=2", process_title(busy))
    assert title, process_title(busy)
    assert sleeper.result(timeout=30).status == 200
    wait_until(lambda: process_title(busy) == f"forkd: worker {title.group(1)} idle",
               message="the worker idle again after the sleeper")


def test_a_fork_child_is_titled_with_its_client_and_request(server):
    srv = server(mode="fork")
    with Connection(srv.address, timeout=30) as client:
        client_port = client.sock.getsockname()[1]
        client.send(request_bytes(SLEEPER))
        busy = wait_for_busy_child(srv, SLEEPER)

        assert process_title(busy) == f"forkd: conn 127.0.0.1:{client_port} busy GET {SLEEPER}"
        assert client.read_response().status == 200


# Process groups: a terminal's Ctrl-C reaches only the master.


@pytest.mark.parametrize("mode", CONCURRENT_MODES)
def test_every_child_runs_in_its_own_process_group_and_the_master_does_not(server, mode):
    srv = server(mode=mode, workers=2) if mode == "prefork" else server(mode=mode)
    sleeper = in_background(get, srv.address, SLEEPER, timeout=30)
    wait_for_busy_child(srv, SLEEPER)

    children = srv.children()
    assert children
    for child in children:
        assert os.getpgid(child) == child, f"child {child} shares a process group"
    assert os.getpgid(srv.pid) != srv.pid, "the master stays in the group it was started in"
    assert os.getpgid(srv.pid) == os.getpgid(0)
    assert sleeper.result(timeout=30).status == 200


# A setting that the chosen mode does not use is named in a warning.


@pytest.mark.parametrize("mode, key, value", [("fork", "workers", 3),
                                              ("prefork", "max_children", 10)])
def test_a_setting_that_does_not_apply_to_the_mode_is_named_in_a_warning(server, mode, key,
                                                                          value):
    srv = server(mode=mode, **{key: value})
    warnings = [line for line in srv.log().splitlines() if "[warn" in line]
    assert any(key in line and mode in line for line in warnings), srv.log()
    assert get(srv.address, "/").status == 200
