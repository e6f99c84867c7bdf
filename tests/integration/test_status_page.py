"""The status page (the process-manager issue, "Status") on the real binary: its figures match
what the test did to the server (requests and connections counted, busy and idle workers,
the busy request's target in `?full`, slow requests, the listen queue), it is served to
loopback clients only and not through a proxy, and its HTML escapes what clients sent."""
import json
import socket

from background import in_background, titles_of, wait_for_busy_child
from conftest import wait_until
from http_client import get

SLEEPER = "/?sleep=3"


def start(server, **settings):
    settings = {"mode": "prefork", "pm": "static", "workers": 3, "status_path": "/status",
                **settings}
    srv = server(**settings)
    wait_until(lambda: len(srv.children()) == settings["workers"], message="a full pool")
    wait_until(lambda: "master started" in srv.log(), message="the master's loop")
    return srv


def status(srv, query="json"):
    response = get(srv.address, f"/status?{query}", timeout=30)
    assert response.status == 200, response
    assert response.header("Content-Type") == "application/json"
    return json.loads(response.body)


def busy_children(srv, target):
    return [pid for pid, title in titles_of(srv.children()).items()
            if title.endswith(f" busy GET {target}")]


def with_active(figures, count):
    return figures if figures["active_processes"] == count else None


def one_active(figures):
    return with_active(figures, 1)


def test_requests_and_accepted_connections_count_what_the_clients_did(server):
    srv = start(server)
    for _ in range(5):
        assert get(srv.address, "/").status == 200

    pages = []

    def counted_all_five():
        pages.append(status(srv))
        return pages[-1]["requests"] >= 5

    # A worker counts a request once its response is sent: the page may lag the client a bit.
    wait_until(counted_all_five, message="the five requests counted")
    figures = pages[-1]

    # Connections count when accepted: the five, the status pages before, and this one.
    assert figures["accepted_conn"] == 5 + len(pages)
    # Requests count when answered: this page's own is not yet.
    assert 5 <= figures["requests"] <= 5 + len(pages) - 1
    served = status(srv, "json&full")["processes"]
    assert 5 <= sum(process["requests"] for process in served) <= 5 + len(pages)
    assert figures["mode"] == "prefork" and figures["pm"] == "static"
    assert figures["degraded"] is False
    assert figures["generation"] == 0


def test_a_running_sleeper_counts_as_active_and_the_others_as_idle(server):
    srv = start(server)
    sleeper = in_background(get, srv.address, SLEEPER, timeout=60)
    wait_for_busy_child(srv, SLEEPER)

    # The title says busy a moment before the slot does.
    figures = wait_until(lambda: with_active(status(srv), 2), message="the sleeper's slot busy")

    # Busy: the sleeper and the worker making this page; idle: the third.
    assert figures["idle_processes"] == 1
    assert figures["total_processes"] == 3
    assert figures["max_active_processes"] >= 2
    assert sleeper.result(timeout=60).status == 200
    wait_until(lambda: status(srv)["idle_processes"] == 2,
               message="the sleeper's worker to be idle again")


def test_max_active_remembers_a_burst_that_has_ended(server):
    srv = start(server)
    sleepers = [in_background(get, srv.address, "/?sleep=2", timeout=60) for _ in range(2)]
    wait_until(lambda: len(busy_children(srv, "/?sleep=2")) == 2, message="two busy sleepers")
    assert all(sleeper.result(timeout=60).status == 200 for sleeper in sleepers)

    # Only the worker making the page is busy, once the sleepers' workers have noted the end.
    figures = wait_until(lambda: one_active(status(srv)), message="the sleepers' workers idle")

    assert figures["max_active_processes"] >= 2


def busy_in_full(srv, pid):
    """{pid: row} of status?full once `pid`'s slot says busy (its title says so a bit first)
    for at least a millisecond."""
    rows = {row["pid"]: row for row in status(srv, "json&full")["processes"]}
    row = rows.get(pid, {})
    return rows if row.get("state") == "busy" and row["request_duration_ms"] > 0 else None


def test_full_lists_every_worker_with_the_busy_request_and_its_target(server):
    srv = start(server)
    sleeper = in_background(get, srv.address, SLEEPER, timeout=60)
    busy_pid = wait_for_busy_child(srv, SLEEPER)

    processes = wait_until(lambda: busy_in_full(srv, busy_pid), message="the busy slot")

    assert set(processes) == set(srv.children())
    busy = processes[busy_pid]
    assert busy["state"] == "busy"
    assert busy["method"] == "GET"
    assert busy["target"] == SLEEPER
    assert busy["client"].startswith("127.0.0.1:")
    assert busy["role"] == "worker"
    assert 0 < busy["request_duration_ms"] < 3000
    assert sleeper.result(timeout=60).status == 200


def all_measured(rows):
    return rows if all(row["pss_kb"] > 0 for row in rows) else None


def test_full_shows_the_memory_of_every_worker(server):
    srv = start(server)

    # The master measures each worker's PSS once a second.
    rows = wait_until(lambda: all_measured(status(srv, "json&full")["processes"]),
                      message="every worker measured")

    assert all(row["pss_kb"] < 1024 * 1024 for row in rows), "a demo worker is far below 1 GiB"


def test_a_slow_request_is_counted_and_logged(server):
    srv = start(server, slow_request_log="300ms")
    assert get(srv.address, "/?sleep=1", timeout=30).status == 200

    wait_until(lambda: status(srv)["slow_requests"] == 1, message="the slow request counted")
    assert "slow request: GET /?sleep=1 took" in srv.log()


def test_connections_that_wait_for_a_worker_show_in_the_listen_queue(server):
    srv = start(server, workers=1)
    sleeper = in_background(get, srv.address, "/?sleep=4", timeout=60)
    wait_for_busy_child(srv, "/?sleep=4")
    waiting = [socket.create_connection(srv.address, timeout=30) for _ in range(2)]
    try:
        # The master reads the queue once a second, and the sleeper lasts four.
        assert sleeper.result(timeout=60).status == 200
        figures = status(srv)
    finally:
        for sock in waiting:
            sock.close()

    assert figures["max_listen_queue"] >= 2


def test_a_pool_with_every_worker_busy_counts_and_logs_max_workers_reached(server):
    srv = start(server, workers=2)
    sleepers = [in_background(get, srv.address, "/?sleep=2", timeout=60) for _ in range(2)]
    wait_until(lambda: len(busy_children(srv, "/?sleep=2")) == 2, message="two busy sleepers")
    wait_until(lambda: "server reached max_workers" in srv.log(), message="the full-pool warning")
    assert all(sleeper.result(timeout=60).status == 200 for sleeper in sleepers)

    assert status(srv)["max_workers_reached"] == 1


def test_a_request_through_a_proxy_is_refused_even_from_loopback(server):
    srv = start(server)

    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        value = "for=192.0.2.1" if header == "Forwarded" else "192.0.2.1"
        response = get(srv.address, "/status?json", headers={header: value})
        assert response.status == 403, header
    assert get(srv.address, "/status?json").status == 200


def test_the_html_page_escapes_what_clients_sent(server):
    srv = start(server)
    target = "/?sleep=3&x=<script>'&\""
    sleeper = in_background(get, srv.address, target, timeout=60)
    wait_until(lambda: any(p["target"] == target for p in status(srv, "json&full")["processes"]),
               message="the sleeper on the scoreboard")

    response = get(srv.address, "/status?full")

    assert response.status == 200
    assert response.header("Content-Type") == "text/html; charset=utf-8"
    page = response.body.decode()
    assert "<script>" not in page
    assert "/?sleep=3&amp;x=&lt;script&gt;&#39;&amp;&quot;" in page
    assert sleeper.result(timeout=60).status == 200


def test_the_status_page_is_off_unless_status_path_is_set(server):
    srv = server(mode="prefork", workers=1)

    assert get(srv.address, "/status?json").status == 404
