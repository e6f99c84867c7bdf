"""The embedding API end to end: a program built on the forkd library (apps/embedded_app.cpp)
started like forkd itself, on an ephemeral port, talked to over real HTTP. Each test is a
promise docs/embedding.md makes to a C++ developer."""
import os
import signal
import socket
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

import http_client
from conftest import CONCURRENT_MODES, MODES, process_title, wait_until

APP = os.environ.get("FORKD_TEST_APP",
                     str(Path(__file__).resolve().parents[2] / "build" / "tests" / "integration"
                         / "forkd_test_app"))


def start_app(server, env=None, **settings):
    return server(binary=APP, env=env, **settings)


def get(srv, target, headers=None):
    return http_client.get(srv.address, target, headers)


def send(srv, method, target, body=b"", version="1.1", extra=""):
    raw = (f"{method} {target} HTTP/{version}\r\nHost: test\r\nContent-Length: {len(body)}\r\n"
           f"{extra}Connection: close\r\n\r\n").encode() + body
    return http_client.request(srv.address, raw, head_only=(method == "HEAD"))


@pytest.mark.parametrize("mode", MODES)
def test_a_route_with_a_parameter_answers_in_every_mode(server, mode):
    srv = start_app(server, mode=mode, workers=2)
    response = get(srv, "/hello/J%C3%B6rg")
    assert response.status == 200
    assert response.body.decode() == "hello Jörg"
    assert get(srv, "/files/a/b/c.txt").body == b"a/b/c.txt"


def test_the_demo_is_off_and_forkd_s_own_routes_keep_their_paths(server, tmp_path):
    (tmp_path / "page.txt").write_text("a static file")
    (tmp_path / "hello").mkdir()
    (tmp_path / "hello" / "bob").write_text("the file, not the route")
    srv = start_app(server, mode="hybrid", root=str(tmp_path), status_path="/status",
                    health_path="/healthz")
    assert get(srv, "/").status in (403, 404)  # no demo: the root directory has no index
    assert get(srv, "/page.txt").body == b"a static file"
    assert get(srv, "/hello/bob").body == b"hello bob"  # the app's routes come first
    assert get(srv, "/status?json").status == 200
    assert get(srv, "/healthz").status == 200


def test_a_path_served_for_other_methods_is_405_with_a_generated_allow(server):
    srv = start_app(server, mode="hybrid")
    response = send(srv, "POST", "/items/7", b"x")
    assert response.status == 405
    assert response.header("Allow") == "GET, HEAD, PUT"
    assert send(srv, "PUT", "/items/7", b"x").body == b"stored 7"
    assert get(srv, "/nowhere").status == 404


def test_head_is_served_from_get_without_a_body(server):
    srv = start_app(server, mode="prefork", workers=1)
    full = get(srv, "/items/42")
    head = send(srv, "HEAD", "/items/42")
    assert head.status == 200 and head.body == b""
    assert head.header("Content-Length") == full.header("Content-Length")
    assert full.header("Content-Type") == "application/json"


def test_query_parameters_are_decoded_and_repeated_keys_kept_in_order(server):
    srv = start_app(server, mode="fork")
    body = get(srv, "/query?q=a+b%26c&tag=x&tag=y%20z").body.decode()
    assert body == "q=a b&c tags=[x][y z]"


def test_blocking_routes_run_in_app_workers_and_inline_ones_in_io_workers(server):
    srv = start_app(server, mode="hybrid", io_workers=1, workers=2)
    blocking_pid = int(get(srv, "/pid").body)
    inline_pid = int(get(srv, "/inline").body)
    assert process_title(blocking_pid).startswith("forkd: app")
    assert process_title(inline_pid).startswith("forkd: io")
    # One route, chosen per request.
    assert int(get(srv, "/either").body) == inline_pid
    assert process_title(int(get(srv, "/either?slow=1").body)).startswith("forkd: app")


@pytest.mark.parametrize("mode", ["prefork", "hybrid"])
def test_a_large_body_reaches_the_handler_whole_as_the_spooled_file(server, mode):
    srv = start_app(server, mode=mode, workers=1, body_buffer_size="64k", max_body_size="8m")
    body = os.urandom(3 * 1024 * 1024)
    response = send(srv, "POST", "/upload", body)
    size, crc, kept = response.body.decode().split()
    assert int(size) == len(body) and int(crc, 16) == zlib.crc32(body)
    assert kept == "file"  # spooled in every mode
    assert send(srv, "POST", "/echo", b"small body").body == b"small body"


def stream_through_gate(srv, gate, version):
    """GET /stream: the head and the first piece, read while the handler waits on the gate
    (so that piece was sent on its own), then the rest once the gate is opened."""
    with srv.open() as conn:
        conn.send(f"GET /stream HTTP/{version}\r\nHost: test\r\n\r\n".encode())
        head = conn._read_until(b"\r\n\r\n").decode()
        first = conn._read_until(b"data: first\n\n")
        assert b"last" not in first
        gate.write_text("open")  # the handler holds the FIFO open for reading by now
        rest = conn._read_until(b"0\r\n\r\n") if version == "1.1" else conn.read_to_close()
        return head, first + rest


@pytest.mark.parametrize("mode", ["prefork", "hybrid"])
def test_a_stream_sends_each_piece_as_it_is_written(server, mode, tmp_path):
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    srv = start_app(server, mode=mode, workers=1, env={"FORKD_TEST_GATE": str(gate)})
    head, body = stream_through_gate(srv, gate, "1.1")
    assert "Transfer-Encoding: chunked" in head
    assert b"data: last" in body
    # HTTP/1.0 gets the same stream delimited by the close.
    head, body = stream_through_gate(srv, gate, "1.0")
    assert "Transfer-Encoding" not in head
    assert body == b"data: first\n\ndata: last\n\n"


def test_an_exception_is_a_500_and_the_worker_lives_on(server):
    srv = start_app(server, mode="prefork", pm="static", workers=1)
    pid = get(srv, "/pid").body
    assert get(srv, "/throw").status == 500
    assert get(srv, "/pid").body == pid
    log = srv.log()
    assert "/throw" in log and "the handler gave up" in log


@pytest.mark.parametrize("mode", CONCURRENT_MODES)
def test_a_crash_costs_one_request_a_502_and_the_next_is_served(server, mode):
    srv = start_app(server, mode=mode, workers=1)
    crashed = get(srv, "/crash")
    assert crashed.status == 502
    assert crashed.body == b"<h1>custom bad gateway</h1>\n"  # the app's page, also from a crash
    assert wait_until(lambda: get(srv, "/hello/again").status == 200, message="a 200 after the crash")
    # The master logs the crash once it has reaped the worker, after the 502 went out.
    wait_until(lambda: "SIGSEGV" in srv.log() or "signal 11" in srv.log(), message="the crash logged")


def test_a_hang_past_request_timeout_is_a_504(server):
    srv = start_app(server, mode="hybrid", workers=1, request_timeout="1s")
    assert get(srv, "/hang").status == 504
    assert get(srv, "/hello/after").status == 200


def test_the_app_s_error_page_replaces_forkd_s(server):
    srv = start_app(server, mode="hybrid")
    response = get(srv, "/nowhere")
    assert response.status == 404 and response.body == b"<h1>custom not found</h1>\n"


def test_redirects_and_the_client_address(server):
    srv = start_app(server, mode="fork")
    response = get(srv, "/redirect")
    assert response.status == 302 and response.header("Location") == "/hello/redirected"
    assert get(srv, "/remote", {"X-Test": "yes"}).body.decode().startswith("127.0.0.1:")


def hook_lines(path):
    return path.read_text().split("\n")[:-1] if path.exists() else []


@pytest.mark.parametrize("mode", MODES)
def test_preload_runs_once_before_the_forks_and_worker_hooks_in_every_serving_process(
        server, mode, tmp_path):
    trace = tmp_path / "hooks.log"
    srv = start_app(server, mode=mode, workers=2, io_workers=1, env={"FORKD_TEST_HOOK_LOG": str(trace)})
    answer = get(srv, "/hooks").body.decode()
    serving_pid = int(get(srv, "/pid").body)
    preloads = [line for line in hook_lines(trace) if line.startswith("preload")]
    assert preloads == [f"preload {srv.pid}"]
    # Loaded once in the master (or the single process), seen by the worker copy-on-write.
    assert answer.startswith(f"preloaded in {srv.pid}; started in ")
    assert f"start {serving_pid}" in hook_lines(trace)
    srv.signal(signal.SIGTERM)
    srv.wait_exit()
    lines = hook_lines(trace)
    started = {line.split()[1] for line in lines if line.startswith("start")}
    exited = {line.split()[1] for line in lines if line.startswith("exit")}
    expected = {"single": 1, "fork": 2, "prefork": 2, "hybrid": 3}[mode]
    assert len(started) >= expected  # fork: one per connection so far (two requests)
    assert exited == started  # a graceful stop runs every exit hook


def test_a_thread_left_by_preload_is_refused_with_the_reason(tmp_path):
    config = tmp_path / "forkd.toml"
    config.write_text('listen = ["127.0.0.1:0"]\n')
    done = subprocess.run([APP, "-c", str(config)], env={**os.environ, "FORKD_TEST_PRELOAD_THREAD": "1"},
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert "threads before its first fork" in done.stderr


def test_the_app_s_routes_survive_a_reload(server):
    srv = start_app(server, mode="hybrid", workers=1)
    old = set(srv.children())
    srv.signal(signal.SIGHUP)
    wait_until(lambda: "reload" in srv.log().lower() and not (old & set(srv.children())),
               timeout=20, message="the old generation gone")
    assert get(srv, "/hello/reloaded").body == b"hello reloaded"


@pytest.mark.skipif(os.geteuid() != 0, reason="a privilege drop needs root")
@pytest.mark.parametrize("core_dumps", [False, True])
def test_core_dumps_keeps_a_dropped_worker_dumpable(server, core_dumps):
    srv = start_app(server, mode="prefork", workers=1, user="nobody", core_dumps=core_dumps)
    pid = int(get(srv, "/pid").body)
    # /proc/PID belongs to root while a process is not dumpable, to its user once it is.
    owner = os.stat(f"/proc/{pid}/status").st_uid
    nobody = int(subprocess.run(["id", "-u", "nobody"], capture_output=True, text=True).stdout)
    assert owner == (nobody if core_dumps else 0)
