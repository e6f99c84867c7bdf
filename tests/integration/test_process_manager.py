"""The prefork process manager on the real binary (the process-manager issue, "Tests"):
dynamic pools grow under a burst and shrink when idle, ondemand pools start empty and let
idle workers go, workers are recycled after max_requests or past max_rss without a failed
request, request_timeout ends a request with 504, a crashing worker loses only its own
request and is replaced, a crash loop is throttled, and TTIN/TTOU resize a static pool."""
import json
import re
import signal
import time

import pytest

from background import in_background, is_gone, wait_for_busy_child
from client_loop import ClientLoop
from conftest import wait_until
from http_client import Connection, get, timed_get

CRASH = "/__forkd_test/crash"
ABORT = "/__forkd_test/abort"


def start(server, **settings):
    """A prefork server whose master loop runs (its signals are read from then on)."""
    settings.setdefault("mode", "prefork")
    srv = server(**settings)
    wait_until(lambda: "master started" in srv.log(), message="the master's loop")
    return srv


def status(srv):
    response = get(srv.address, "/status?json", timeout=30)
    assert response.status == 200, response
    return json.loads(response.body)


def pool_size_is(srv, count):
    return lambda: len(srv.children()) == count


# Dynamic and ondemand pools.


def test_a_dynamic_pool_grows_under_a_burst_and_shrinks_to_max_spare_when_idle(server):
    srv = start(server, pm="dynamic", workers=2, min_spare=1, max_spare=2, max_workers=6)
    wait_until(pool_size_is(srv, 2), message="the two workers of the start")

    sleepers = [in_background(get, srv.address, "/?sleep=3", timeout=60) for _ in range(5)]
    # Five busy workers and min_spare = 1 want six: exactly max_workers, never more.
    wait_until(pool_size_is(srv, 6), timeout=20, message="the pool to grow to max_workers")
    sizes = []
    wait_until(lambda: sizes.append(len(srv.children())) or all(s.done() for s in sleepers),
               timeout=60, message="every sleeper to be answered")
    assert all(sleeper.result().status == 200 for sleeper in sleepers)
    wait_until(pool_size_is(srv, 2), timeout=20, message="the idle pool to shrink to max_spare")

    assert max(sizes) == 6, f"the pool went past max_workers: {max(sizes)}"
    assert "retiring worker" in srv.log()
    assert get(srv.address, "/").status == 200


def test_a_dynamic_pool_starts_no_more_than_max_workers_whatever_workers_says(server):
    srv = start(server, pm="dynamic", max_workers=3)  # `workers` keeps its default, 8

    wait_until(pool_size_is(srv, 3), message="three workers")
    assert get(srv.address, "/").status == 200
    assert len(srv.children()) == 3


def test_an_ondemand_pool_starts_empty_forks_for_a_request_and_lets_it_go_when_idle(server):
    srv = start(server, pm="ondemand", max_workers=3, idle_timeout="1s")
    assert srv.children() == [], "an ondemand pool starts no worker"

    response, took = timed_get(srv.address, "/")

    assert response.status == 200
    assert response.body == b"this is server"
    assert took < 5, "the request should not wait long for its worker"
    worker = wait_until(lambda: srv.children(), message="the worker that served it")[0]
    wait_until(lambda: is_gone(worker), timeout=15, message="the idle worker to leave")
    assert srv.children() == []
    assert get(srv.address, "/").status == 200, "a later request gets a new worker"


def test_an_ondemand_pool_under_a_burst_never_passes_max_workers(server):
    srv = start(server, pm="ondemand", max_workers=2, idle_timeout="1s")
    sizes = []

    sleepers = [in_background(get, srv.address, "/?sleep=1", timeout=60) for _ in range(4)]
    wait_until(lambda: sizes.append(len(srv.children())) or all(s.done() for s in sleepers),
               timeout=30, message="every sleeper to be answered")

    assert all(sleeper.result().status == 200 for sleeper in sleepers)
    assert max(sizes) == 2, f"the pool should reach max_workers, never more: {max(sizes)}"
    wait_until(lambda: srv.children() == [], timeout=15, message="the idle workers to leave")


# Recycling: max_requests and max_rss.


def test_max_requests_recycles_workers_without_a_failed_request(server):
    srv = start(server, pm="static", workers=2, max_requests=5, max_requests_jitter=2)
    first_workers = set(wait_until(lambda: len(srv.children()) == 2 and srv.children()))

    with ClientLoop(srv.address) as clients:
        wait_until(clients.served_at_least(60), timeout=60, message="60 requests served")
        wait_until(lambda: not first_workers & set(srv.children()), timeout=30,
                   message="the first workers to be recycled")
    assert clients.failures == [], f"{len(clients.failures)} failed: {clients.failures[:3]}"

    assert "(max_requests): retiring" in srv.log()
    wait_until(pool_size_is(srv, 2), message="the pool to stay two workers")


def test_max_rss_recycles_a_worker_that_leaked_after_its_request(server):
    srv = start(server, pm="static", workers=1, max_rss="40m", test_routes=True)
    [worker] = wait_until(lambda: srv.children(), message="the worker")

    response = get(srv.address, "/__forkd_test/leak?mb=64")

    assert response.status == 200, "the request that leaked is answered before the recycling"
    wait_until(lambda: is_gone(worker), timeout=15, message="the leaking worker to be retired")
    assert re.search(rf"retiring worker 1 \(pid {worker}\): uses \d+ kB, over max_rss", srv.log())
    [replacement] = wait_until(lambda: srv.children(), message="its replacement")
    assert replacement != worker
    assert get(srv.address, "/").status == 200


# request_timeout.


def test_request_timeout_answers_504_and_replaces_the_worker(server):
    srv = start(server, pm="static", workers=2, request_timeout="500ms", test_routes=True)

    response, took = timed_get(srv.address, "/__forkd_test/hang?seconds=20")

    assert response.status == 504
    assert took < 10, "the hang should end at request_timeout, not after 20 s"
    wait_until(lambda: "ended a request at request_timeout; replacing it" in srv.log(),
               message="the master's log line")
    wait_until(pool_size_is(srv, 2), message="the pool to be full again")
    assert get(srv.address, "/").status == 200


def test_request_timeout_counts_from_the_start_of_each_request_not_the_first(server):
    # The timer is armed once and re-armed from its handler (os/request_guard.cpp): one left
    # over from the fast requests before must not cut the hang short, nor lapse for good.
    srv = start(server, pm="static", workers=1, request_timeout="1s", test_routes=True,
                keepalive_requests=1_000_000)
    with Connection(srv.address, timeout=30) as conn:
        began = time.monotonic()
        while time.monotonic() - began < 0.7:  # the first request's deadline is near
            conn.send(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            assert conn.read_response().status == 200
        hang_began = time.monotonic()
        conn.send(b"GET /__forkd_test/hang?seconds=20 HTTP/1.1\r\nHost: test\r\n\r\n")
        assert conn.read_response().status == 504
        took = time.monotonic() - hang_began
    assert 0.9 <= took < 10, f"the hang ended after {took:.2f} s, not request_timeout after it began"


# Crash isolation.


@pytest.mark.parametrize("route", [CRASH, ABORT], ids=["SIGSEGV", "SIGABRT"])
def test_a_crash_loses_only_its_own_request_and_the_worker_is_respawned(server, route):
    srv = start(server, pm="static", workers=2, test_routes=True)
    wait_until(pool_size_is(srv, 2), message="two workers")
    sleeper = in_background(get, srv.address, "/?sleep=3", timeout=60)
    sleeping_worker = wait_for_busy_child(srv, "/?sleep=3")
    [crashing_worker] = [pid for pid in srv.children() if pid != sleeping_worker]

    crashed = get(srv.address, route)

    assert crashed.status == 502
    wait_until(lambda: is_gone(crashing_worker), message="the crashed worker to be reaped")
    response = sleeper.result(timeout=60)
    assert response.status == 200, "the sleeper on the other worker is untouched"
    assert response.body == "繁忙等待".encode()
    assert sleeping_worker in srv.children()
    wait_until(pool_size_is(srv, 2), message="the crashed worker to be respawned")
    assert re.search(r"worker \d \(pid \d+\) .*restarting it in 100 ms", srv.log())


def test_in_fork_mode_a_crash_answers_502_and_a_hang_504_and_the_server_carries_on(server):
    srv = start(server, mode="fork", request_timeout="500ms", test_routes=True)

    assert get(srv.address, CRASH).status == 502
    assert get(srv.address, "/__forkd_test/hang?seconds=20").status == 504
    assert get(srv.address, "/").status == 200


def crash_delays(log):
    """{worker label: [restart delays in ms, in log order]} from the master's crash lines."""
    delays = {}
    pattern = r"(worker \d+) \(pid \d+\) .*; restarting it in (\d+) ms \((\d+) crashes in a row\)"
    for label, delay, _ in re.findall(pattern, log):
        delays.setdefault(label, []).append(int(delay))
    return delays


def test_a_crash_loop_backs_off_with_growing_delays_and_reports_degraded(server):
    # Only a worker that crashes before serving anything is in a crash loop (one that served
    # is restarted at once): max_requests = 1 retires each worker that answered the status
    # page, so every crash below meets a worker that has served nothing.
    srv = start(server, pm="static", workers=2, test_routes=True, status_path="/status",
                max_requests=1)
    wait_until(pool_size_is(srv, 2), message="two workers")

    degraded_seen = False
    for crashes in range(1, 13):
        assert get(srv.address, CRASH, timeout=60).status == 502
        # The client has its 502 before the master reaps the worker: wait for the master's
        # line, then ask the status page while that worker backs off.
        wait_until(lambda: sum(map(len, crash_delays(srv.log()).values())) == crashes,
                   message="the master to note the crash")
        degraded_seen = degraded_seen or status(srv)["degraded"]
        longest = max(map(len, crash_delays(srv.log()).values()))
        if degraded_seen and longest >= 4:
            break

    assert degraded_seen, "status should say degraded while a worker backs off"
    delays = crash_delays(srv.log())
    label, worst = max(delays.items(), key=lambda item: len(item[1]))
    assert len(worst) >= 4, delays
    assert worst[:4] == [100, 200, 400, 800], f"{label} should back off exponentially: {worst}"
    wait_until(lambda: not status(srv)["degraded"], timeout=30,
               message="degraded to clear once the back-off ends")
    wait_until(pool_size_is(srv, 2), message="the pool to be full again")
    assert get(srv.address, "/").status == 200


# SIGTTIN / SIGTTOU.


def test_ttin_and_ttou_grow_and_shrink_a_static_pool_by_one(server):
    srv = start(server, pm="static", workers=2)
    wait_until(pool_size_is(srv, 2), message="two workers")

    srv.signal(signal.SIGTTIN)
    wait_until(pool_size_is(srv, 3), message="a third worker")
    assert "pool size is now 3" in srv.log()

    srv.signal(signal.SIGTTOU)
    wait_until(pool_size_is(srv, 2), timeout=15, message="back to two workers")
    assert "pool size is now 2" in srv.log()
    assert get(srv.address, "/").status == 200
