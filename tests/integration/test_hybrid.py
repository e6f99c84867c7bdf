"""Hybrid mode (issue 5, DESIGN.md "Hybrid hand-off") on the real binary: io workers keep
every connection and answer inline routes; blocking routes go to app workers that are known
to be idle, through a bounded queue the io worker owns. Request bodies beyond
body_buffer_size wait in an unlinked temp file, and a reload hands idle connections to the
new io workers. The tests check ordering, never speed: what is answered while what else is
still in flight.

The demo's `/` is inline and `/?sleep=N` blocking; `test_routes` adds blocking routes that
crash or hang an app worker, and two that describe the body they got (length and CRC-32):
`/__forkd_test/body` (blocking) and `/__forkd_test/body-inline`."""
import itertools
import json
import os
import select
import signal
import time
import zlib

import pytest

from background import (in_background, is_gone, open_files_in, resident_kb, socket_holders,
                        titles_of, wait_for_busy_child)
from client_loop import ClientLoop
from conftest import wait_until
from http_client import Connection, get

DEMO_BODY = b"this is server"
BUSY_BODY = "繁忙等待".encode()


def without_asan_quarantine():
    """Under `make test-asan`, freed memory waits in ASan's quarantine (up to 256 MiB) before
    reuse, which would read as growth in a test of flat memory: turn it off there."""
    if "ASAN_OPTIONS" not in os.environ:
        return ()
    return ("env", f"ASAN_OPTIONS={os.environ['ASAN_OPTIONS']}:quarantine_size_mb=0")


def hybrid(server, **settings):
    """A hybrid server with one io worker and two app workers unless the test says more,
    once every one of its processes runs."""
    settings = {"mode": "hybrid", "io_workers": 1, "workers": 2, **settings}
    srv = server(**settings)
    wait_until(lambda: "master started" in srv.log(), message="the master's loop")
    wait_until(lambda: len(app_workers(srv)) == settings["workers"] and io_workers(srv),
               message="the io worker and a full app-worker pool")
    return srv


def titles(srv):
    return titles_of(srv.children())


def app_workers(srv):
    return [pid for pid, title in titles(srv).items() if title.startswith("forkd: app ")]


def io_workers(srv):
    return [pid for pid, title in titles(srv).items() if title.startswith("forkd: io ")]


def request(target, method="GET", close=False, body=b"", headers=()):
    lines = [f"{method} {target} HTTP/1.1", "Host: test", *headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def keep_alive_get(conn, target):
    conn.send(request(target))
    return conn.read_response()


def has_data(conn, wait=0.0):
    if conn.buffer:
        return True
    readable, _, _ = select.select([conn.sock], [], [], wait)
    return bool(readable)


def io_worker_has_read_everything_sent_so_far(srv):
    """One request on a new connection, answered. The io worker handles every ready fd of
    an epoll round before the next one, and bytes on loopback are in the server's socket
    when send() returns: so whatever another connection sent before this is now read."""
    assert get(srv.address, "/").status == 200


def access_lines(path):
    return path.read_text().splitlines() if path.exists() else []


# The tutorial's scenario: every app worker sleeps, `/` is still answered.


def test_slash_is_answered_by_the_io_worker_while_every_app_worker_sleeps(server):
    srv = hybrid(server, workers=2)
    sleepers = [in_background(get, srv.address, f"/?sleep=4&n={n}", timeout=30) for n in (1, 2)]
    for n in (1, 2):
        wait_for_busy_child(srv, f"/?sleep=4&n={n}")

    response = get(srv.address, "/")

    assert response.status == 200 and response.body == DEMO_BODY
    shown = sorted(titles(srv).values())
    assert "forkd: io 1 serving" in shown
    assert sum(t.startswith("forkd: app ") and " busy GET /?sleep=4&n=" in t for t in shown) == 2
    assert not any(sleeper.done() for sleeper in sleepers), "/ came before both sleepers"
    assert [sleeper.result(timeout=30).body for sleeper in sleepers] == [BUSY_BODY] * 2


# Overload: the io worker's own bounded queue.


def test_a_blocking_request_beyond_a_full_queue_gets_503_with_retry_after(server):
    srv = hybrid(server, workers=1, queue_size=1)
    sleeper = in_background(get, srv.address, "/?sleep=4", timeout=30)
    wait_for_busy_child(srv, "/?sleep=4")
    with srv.open(timeout=30) as queued:
        queued.send(request("/?sleep=0&queued", close=True))
        io_worker_has_read_everything_sent_so_far(srv)

        overflow = get(srv.address, "/?sleep=0&overflow")

        assert overflow.status == 503
        assert overflow.header("Retry-After") is not None
        assert not sleeper.done() and not has_data(queued), "503 while the queued one waited"
        assert sleeper.result(timeout=30).status == 200
        assert queued.read_response().status == 200, "the queued request ran once a worker freed"


def test_past_queue_timeout_a_queued_request_gets_503_although_no_worker_frees_up(server):
    srv = hybrid(server, workers=1, queue_timeout="1s")
    sleeper = in_background(get, srv.address, "/?sleep=8", timeout=30)
    wait_for_busy_child(srv, "/?sleep=8")

    late = get(srv.address, "/?sleep=0&late", timeout=30)

    assert late.status == 503
    assert late.header("Retry-After") is not None
    assert not sleeper.done(), "the 503 came at queue_timeout, not when the worker freed up"
    assert "busy GET /?sleep=8" in " ".join(titles(srv).values())
    assert sleeper.result(timeout=30).status == 200


def test_a_queued_request_whose_client_hung_up_is_never_run(server, tmp_path):
    log = tmp_path / "access.log"
    srv = hybrid(server, workers=1, access_log=str(log), status_path="/status")
    sleeper = in_background(get, srv.address, "/?sleep=3", timeout=30)
    wait_for_busy_child(srv, "/?sleep=3")
    with Connection(srv.address) as gone:
        gone.send(request("/?sleep=0&gone=1"))
        io_worker_has_read_everything_sent_so_far(srv)  # so it is queued before the hang-up
    assert sleeper.result(timeout=30).status == 200

    after = get(srv.address, "/?sleep=0&after=1")

    assert after.status == 200
    wait_until(lambda: any("after=1" in line for line in access_lines(log)),
               message="the follow-up request in the access log")
    assert not any("gone=1" in line for line in access_lines(log)), "the dropped request ran"
    status = json.loads(get(srv.address, "/status?json&full").body)
    app_rows = [row for row in status["processes"] if row["role"] != "io"]
    assert sum(row["requests"] for row in app_rows) == 2, "the sleeper and the follow-up only"


# App workers that fail.


def test_a_crashing_blocking_route_gets_502_and_the_io_worker_keeps_serving(server):
    srv = hybrid(server, workers=1, test_routes=True)
    io_before = io_workers(srv)

    crashed = get(srv.address, "/__forkd_test/crash")

    assert crashed.status == 502
    assert get(srv.address, "/").body == DEMO_BODY
    after_respawn = get(srv.address, "/?sleep=0", timeout=30)
    assert after_respawn.status == 200 and after_respawn.body == BUSY_BODY
    assert io_workers(srv) == io_before, "the io worker was never replaced"


def test_a_hung_app_worker_killed_by_request_timeout_gets_504_from_the_io_worker(server):
    srv = hybrid(server, workers=1, test_routes=True, request_timeout="1s")

    hung = get(srv.address, "/__forkd_test/hang?seconds=20", timeout=30)

    assert hung.status == 504
    assert get(srv.address, "/?sleep=0", timeout=30).status == 200, "a new app worker serves"


# One connection, many requests.


def test_pipelined_inline_and_blocking_requests_come_back_in_order(server):
    srv = hybrid(server, workers=2)
    targets = ["/", "/?sleep=1", "/missing", "/?sleep=0", "/"]
    with srv.open(timeout=30) as conn:
        conn.send(b"".join(request(t, close=(i == len(targets) - 1))
                           for i, t in enumerate(targets)))
        responses = [conn.read_response() for _ in targets]
        assert conn.is_closed_by_server()

    assert [r.status for r in responses] == [200, 200, 404, 200, 200]
    assert [r.body for r in responses[:2]] == [DEMO_BODY, BUSY_BODY]
    assert [r.body for r in responses[3:]] == [BUSY_BODY, DEMO_BODY]


def test_a_body_sent_slowly_reaches_the_handler_whole(server):
    srv = hybrid(server, client_body_timeout="5s")
    body = b"x" * 3000
    for target in ("/", "/?sleep=0"):  # inline, then handed to an app worker
        with srv.open(timeout=30) as conn:
            conn.send(request(target, method="POST", body=body)[:-len(body)])
            for piece in range(3):
                assert not has_data(conn), "answered before the whole body came"
                time.sleep(0.3)  # the slow client under test, well inside client_body_timeout
                conn.send(body[piece * 1000:(piece + 1) * 1000])

            refused = conn.read_response()
            follow_up = keep_alive_get(conn, "/")

        assert refused.status == 405, target
        assert follow_up.status == 200 and follow_up.body == DEMO_BODY, target


def test_a_body_larger_than_body_buffer_size_is_handed_over_in_a_file(server):
    srv = hybrid(server, body_buffer_size="16k")
    body = bytes(range(256)) * 400  # 100 kB
    with srv.open(timeout=30) as conn:
        conn.send(request("/?sleep=0", method="POST", body=body))
        refused = conn.read_response()
        follow_up = keep_alive_get(conn, "/?sleep=0")

    assert refused.status == 405
    assert follow_up.status == 200 and follow_up.body == BUSY_BODY


def test_a_body_buffer_size_beyond_a_socket_buffer_still_hands_large_bodies_over(server):
    srv = hybrid(server, body_buffer_size="1m", max_body_size="2m", queue_timeout="20s")
    body = b"y" * 500_000  # more than one dispatch message can carry
    with srv.open(timeout=30) as conn:
        conn.send(request("/?sleep=0", method="POST", body=body))
        refused = conn.read_response()
        follow_up = keep_alive_get(conn, "/?sleep=0")

    assert refused.status == 405
    assert follow_up.status == 200 and follow_up.body == BUSY_BODY
    assert "hand-off to the app worker" not in srv.log()


def test_idle_keep_alive_connections_beyond_the_app_workers_all_stay_served(server):
    srv = hybrid(server, workers=2)
    conns = [srv.open(timeout=30) for _ in range(20)]
    try:
        first = [keep_alive_get(conn, "/?sleep=0") for conn in conns]
        # Twenty connections now sit idle on two app workers; each asks again.
        second = [keep_alive_get(conn, target) for conn in conns for target in ("/", "/?sleep=0")]
    finally:
        for conn in conns:
            conn.close()

    assert [r.status for r in first + second] == [200] * 60
    assert [r.body for r in second] == [DEMO_BODY, BUSY_BODY] * 20


# Health, limits, reload and stop.


def test_health_path_answers_200_and_503_once_a_graceful_stop_began(server):
    srv = hybrid(server, health_path="/health")
    assert get(srv.address, "/health").status == 200
    sleeper = in_background(get, srv.address, "/?sleep=3", timeout=30)
    wait_for_busy_child(srv, "/?sleep=3")
    with srv.open(timeout=30) as probe:
        probe.send(b"GET /health HTTP/1.1\r\nHost: test\r\n")  # half a request: not idle
        io_worker_has_read_everything_sent_so_far(srv)

        srv.signal(signal.SIGTERM)
        wait_until(lambda: "forkd: io 1 stopping" in titles(srv).values(),
                   message="the io worker stopping")
        probe.send(b"\r\n")
        health = probe.read_response()

    assert health.status == 503
    assert health.header("Connection") == "close"
    assert not sleeper.done(), "503 while the sleeper is still in flight"
    assert sleeper.result(timeout=30).status == 200
    assert srv.wait_exit(timeout=30) == 0


def test_a_connection_accepted_before_a_graceful_stop_still_gets_its_first_request_answered(
        server):
    srv = hybrid(server)
    sleeper = in_background(get, srv.address, "/?sleep=3", timeout=30)
    wait_for_busy_child(srv, "/?sleep=3")
    with srv.open(timeout=30) as fresh:
        io_worker_has_read_everything_sent_so_far(srv)  # `fresh` is accepted, with no request

        srv.signal(signal.SIGTERM)
        wait_until(lambda: "forkd: io 1 stopping" in titles(srv).values(),
                   message="the io worker stopping")
        fresh.send(request("/"))
        response = fresh.read_response()

        assert response.status == 200 and response.body == DEMO_BODY
        assert response.header("Connection") == "close"
        assert fresh.is_closed_by_server()
    assert sleeper.result(timeout=30).status == 200


def test_beyond_worker_connections_new_connections_wait_until_one_closes(server):
    srv = hybrid(server, worker_connections=3)
    held = [srv.open(timeout=30) for _ in range(3)]
    for conn in held:
        assert keep_alive_get(conn, "/").status == 200
    with srv.open(timeout=30) as waiting:
        waiting.send(request("/"))
        wait_until(lambda: "worker_connections (3) reached" in srv.log(),
                   message="the io worker logging its limit")
        assert keep_alive_get(held[1], "/?sleep=0").status == 200
        assert not has_data(waiting), "a fourth connection was served beyond the limit"

        held[0].close()
        response = waiting.read_response()

    assert response.status == 200 and response.body == DEMO_BODY
    for conn in held[1:]:
        conn.close()


def test_a_reload_under_load_replaces_io_and_app_workers_without_a_failed_request(server):
    srv = hybrid(server, workers=2)
    old = set(srv.children())

    with ClientLoop(srv.address) as clients:
        wait_until(clients.served_at_least(20), timeout=30, message="load before the reload")
        srv.signal(signal.SIGHUP)
        wait_until(lambda: not old & set(srv.children()), timeout=30,
                   message="every old io and app worker gone")
        wait_until(lambda: io_workers(srv) and len(app_workers(srv)) == 2, timeout=30,
                   message="a new io worker and two new app workers")
        wait_until(clients.served_at_least(20), timeout=30, message="load after the reload")
        assert get(srv.address, "/?sleep=0").status == 200
    assert clients.failures == [], f"{len(clients.failures)} failed: {clients.failures[:3]}"


def test_reloads_under_blocking_load_fail_no_request(server):
    """An app worker told to leave while an io worker is handing it a request serves that
    request first: several reloads under steady blocking load, so that the moment comes."""
    srv = hybrid(server, workers=2)

    with ClientLoop(srv.address, threads=3, pause=0.001, target="/?sleep=0",
                    expected_body=BUSY_BODY) as clients:
        for generation in range(1, 6):
            wait_until(clients.served_at_least(30), timeout=30, message="load before a reload")
            srv.signal(signal.SIGHUP)
            wait_until(lambda: f"configuration generation {generation} in force" in srv.log(),
                       timeout=30, message=f"generation {generation}")
        wait_until(clients.served_at_least(30), timeout=30, message="load after the reloads")
    assert clients.failures == [], f"{len(clients.failures)} failed: {clients.failures[:3]}"


def test_a_graceful_stop_finishes_the_blocking_request_and_closes_idle_connections(server):
    srv = hybrid(server)
    idle = srv.open(timeout=30)
    assert keep_alive_get(idle, "/").status == 200
    sleeper = in_background(get, srv.address, "/?sleep=3", timeout=30)
    wait_for_busy_child(srv, "/?sleep=3")

    srv.signal(signal.SIGTERM)

    assert idle.is_closed_by_server(timeout=10), "the idle keep-alive connection was closed"
    assert not sleeper.done()
    finished = sleeper.result(timeout=30)
    assert finished.status == 200 and finished.body == BUSY_BODY
    assert srv.wait_exit(timeout=30) == 0
    idle.close()


def test_a_graceful_stop_serves_the_requests_still_queued_before_the_app_workers_leave(server):
    srv = hybrid(server, workers=1, queue_timeout="20s")
    sleeper = in_background(get, srv.address, "/?sleep=2", timeout=30)
    wait_for_busy_child(srv, "/?sleep=2")
    queued = in_background(get, srv.address, "/?sleep=1", timeout=30)
    io_worker_has_read_everything_sent_so_far(srv)

    srv.signal(signal.SIGTERM)

    assert sleeper.result(timeout=30).status == 200
    waited = queued.result(timeout=30)
    assert waited.status == 200 and waited.body == BUSY_BODY, \
        "the queued request found its app worker gone"
    assert srv.wait_exit(timeout=30) == 0


# Request bodies: memory up to body_buffer_size, then an unlinked temp file.

MiB = 1024 * 1024
BLOCK = bytes(range(256)) * 4096  # 1 MiB holding every byte value


def described(body):
    """What /__forkd_test/body answers for `body`."""
    return f"{len(body)} {zlib.crc32(body):08x}\n".encode()


def chunked_request(target, pieces):
    head = f"POST {target} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
    return head.encode() + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_100_mib_upload_waits_in_a_temp_file_and_the_io_worker_memory_stays_flat(
        server, tmp_path, framing):
    spool = tmp_path / "bodies"
    spool.mkdir()
    srv = hybrid(server, test_routes=True, max_body_size="200m", body_temp_path=str(spool),
                 client_body_timeout="30s", command_prefix=without_asan_quarantine())
    [io] = io_workers(srv)
    assert get(srv.address, "/").status == 200  # the loop has run once: its buffers exist
    before, high_water_before = resident_kb(io), resident_kb(io, "VmHWM")
    blocks, chunked = 100, framing == "chunked"
    framing_field = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {blocks * MiB}"
    piece = b"%x\r\n%s\r\n" % (MiB, BLOCK) if chunked else BLOCK
    crc, peak = 0, before
    with srv.open(timeout=60) as conn:
        conn.send(f"POST /__forkd_test/body HTTP/1.1\r\nHost: test\r\n{framing_field}\r\n\r\n"
                  .encode())
        for _ in range(blocks - 1):
            conn.send(piece)
            crc = zlib.crc32(BLOCK, crc)
            peak = max(peak, resident_kb(io))  # sampled after every MiB sent
        # All but the last MiB sent: once the io worker has read it, all of it is in a file
        # in body_temp_path that no name points to, not in the io worker's memory.
        wait_until(lambda: max(open_files_in(io, spool).values(), default=0) == (blocks - 1) * MiB,
                   timeout=30, message="99 MiB of the body in a temp file")
        peak = max(peak, resident_kb(io))
        assert list(spool.iterdir()) == [], "the temp file has no name"
        conn.send(piece + (b"0\r\n\r\n" if chunked else b""))
        crc = zlib.crc32(BLOCK, crc)
        response = conn.read_response()
        follow_up = keep_alive_get(conn, "/")

    assert response.status == 200
    assert response.body == f"{blocks * MiB} {crc:08x}\n".encode(), "the whole body arrived"
    assert follow_up.status == 200 and follow_up.body == DEMO_BODY
    assert peak - before < 8 * 1024, f"the io worker grew by {peak - before} kB"
    # The kernel's high-water mark catches a peak between two samples too.
    high_water = resident_kb(io, "VmHWM") - high_water_before
    assert high_water < 8 * 1024, f"the io worker's peak rose by {high_water} kB"
    wait_until(lambda: open_files_in(io, spool) == {}, message="the io worker closing the file")


def test_inline_and_blocking_routes_get_bodies_that_went_to_a_temp_file_whole(server, tmp_path):
    srv = hybrid(server, test_routes=True, body_buffer_size="16k", body_temp_path=str(tmp_path))
    body = BLOCK[:300_000]
    pieces = [body[i:i + 7000] for i in range(0, len(body), 7000)]
    with srv.open(timeout=30) as conn:
        answers = []
        for target in ("/__forkd_test/body-inline", "/__forkd_test/body"):
            conn.send(request(target, method="POST", body=body))
            answers.append(conn.read_response())
            conn.send(chunked_request(target, pieces))
            answers.append(conn.read_response())
            conn.send(request(target, method="POST", body=b"small"))
            answers.append(conn.read_response())

    assert [r.status for r in answers] == [200] * 6
    assert [r.body for r in answers] == [described(body), described(body), described(b"small")] * 2


def test_a_chunked_body_past_max_body_size_gets_413_after_part_of_it_went_to_a_file(
        server, tmp_path):
    srv = hybrid(server, test_routes=True, body_buffer_size="16k", max_body_size="256k",
                 body_temp_path=str(tmp_path))
    [io] = io_workers(srv)
    with srv.open(timeout=30) as conn:
        conn.send(chunked_request("/__forkd_test/body", [BLOCK[:64 * 1024]] * 5)[:-5])
        response = conn.read_response()
        assert conn.is_closed_by_server()

    assert response.status == 413
    wait_until(lambda: open_files_in(io, tmp_path) == {}, message="the temp file closed")
    assert get(srv.address, "/").status == 200


def test_a_body_temp_path_without_room_for_files_is_logged_at_start_and_large_bodies_get_500(
        server, tmp_path):
    srv = hybrid(server, test_routes=True, body_buffer_size="16k",
                 body_temp_path=str(tmp_path / "missing"))
    wait_until(lambda: "body_temp_path" in srv.log(), message="the error at start")
    with srv.open(timeout=30) as conn:
        conn.send(request("/__forkd_test/body", method="POST", body=b"s" * 1000))
        small = conn.read_response()
        conn.send(request("/__forkd_test/body", method="POST", body=b"L" * 100_000))
        large = conn.read_response()

    assert small.status == 200 and small.body == described(b"s" * 1000)
    assert large.status == 500


# Reload: idle connections move to the new generation's io workers.


def test_a_reload_hands_idle_keep_alive_connections_to_the_new_io_workers(server):
    srv = hybrid(server, io_workers=2)
    old = set(srv.children())
    conns = [srv.open(timeout=30) for _ in range(12)]
    try:
        first = [keep_alive_get(conn, "/") for conn in conns[:10]]  # the last two stay fresh

        srv.signal(signal.SIGHUP)
        wait_until(lambda: not old & set(srv.children()), timeout=30,
                   message="every old io and app worker gone")
        new_io = set(wait_until(lambda: len(io_workers(srv)) == 2 and io_workers(srv),
                                message="two new io workers"))
        targets = itertools.cycle(["/", "/?sleep=0"])
        second = [keep_alive_get(conn, next(targets)) for conn in conns]
        holders = [socket_holders(srv.children(), srv.port, conn.sock.getsockname()[1])
                   for conn in conns]
    finally:
        for conn in conns:
            conn.close()

    assert [r.status for r in first + second] == [200] * 22
    assert [r.body for r in second] == [DEMO_BODY, BUSY_BODY] * 6
    assert all(r.header("Connection") != "close" for r in second)
    assert all(len(pids & new_io) == 1 for pids in holders), holders
    assert "idle connection(s) to the new generation" in srv.log()


def test_a_request_begun_before_a_reload_is_answered_by_the_old_io_worker_with_close(server):
    srv = hybrid(server)
    [old_io] = io_workers(srv)
    with srv.open(timeout=30) as conn:
        assert keep_alive_get(conn, "/").status == 200
        conn.send(b"GET / HTTP/1.1\r\nHost: test\r\n")  # half a request: not idle
        io_worker_has_read_everything_sent_so_far(srv)

        srv.signal(signal.SIGHUP)
        wait_until(lambda: titles(srv).get(old_io) == "forkd: io 1 stopping",
                   message="the old io worker stopping")
        conn.send(b"\r\n")
        response = conn.read_response()

        assert response.status == 200 and response.body == DEMO_BODY
        assert response.header("Connection") == "close"
        assert conn.is_closed_by_server()
    wait_until(lambda: is_gone(old_io), timeout=30, message="the old io worker gone")



def test_a_connection_whose_blocking_request_runs_at_a_reload_is_kept_and_handed_over(server):
    srv = hybrid(server)
    old = set(srv.children())
    with srv.open(timeout=30) as conn:
        conn.send(request("/?sleep=2"))
        wait_for_busy_child(srv, "/?sleep=2")

        srv.signal(signal.SIGHUP)
        finished = conn.read_response()
        wait_until(lambda: not old & set(srv.children()), timeout=30,
                   message="every old io and app worker gone")
        again = keep_alive_get(conn, "/")

    assert finished.status == 200 and finished.body == BUSY_BODY
    assert finished.header("Connection") != "close", "keep-alive was promised before the reload"
    assert again.status == 200 and again.body == DEMO_BODY
