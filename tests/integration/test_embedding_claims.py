"""Claims of docs/embedding.md that test_embedding.py does not already show, each against the
embedding program (apps/embedded_app.cpp, FORKD_TEST_APP): what a hung blocking handler does
to other routes, one request and one thread per process, what a crash of an io worker (where
inline handlers run) costs, and what SIGHUP and SIGUSR2 do to the app's hooks."""
import os
import signal
from pathlib import Path

from background import in_background, is_gone, wait_for_busy_child
from conftest import child_pids, process_title, wait_until, write_config
from http_client import Connection, get

APP = os.environ.get("FORKD_TEST_APP",
                     str(Path(__file__).resolve().parents[2] / "build" / "tests" / "integration"
                         / "forkd_test_app"))


def start_app(server, env=None, **settings):
    srv = server(binary=APP, env=env, **settings)
    srv.settings = settings
    wait_until(lambda: "master started" in srv.log(), message="the master's loop")
    return srv


def body_of(srv, target):
    response = get(srv.address, target)
    assert response.status == 200, response
    return response.body.decode()


def hook_lines(path):
    return path.read_text().split("\n")[:-1] if path.exists() else []


def threads_of(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def test_a_hung_blocking_handler_holds_its_worker_only_and_every_other_route_answers(server):
    srv = start_app(server, mode="hybrid", pm="static", workers=2, io_workers=1)
    hung = in_background(get, srv.address, "/hang", timeout=90)
    hung_pid = wait_for_busy_child(srv, "/hang")
    assert process_title(hung_pid).startswith("forkd: app")
    # The other app worker takes every blocking request; the io worker the inline ones.
    others = {int(body_of(srv, "/pid")) for _ in range(10)}
    assert len(others) == 1 and hung_pid not in others
    assert body_of(srv, "/hello/meanwhile") == "hello meanwhile"
    assert process_title(int(body_of(srv, "/inline"))).startswith("forkd: io")
    assert not hung.done()


def test_a_handler_runs_in_a_process_of_one_thread(server):
    srv = start_app(server, mode="hybrid", workers=2, io_workers=1)
    assert threads_of(int(body_of(srv, "/pid"))) == 1  # an app worker
    assert threads_of(int(body_of(srv, "/inline"))) == 1  # an io worker
    prefork = start_app(server, mode="prefork", workers=2)
    assert threads_of(int(body_of(prefork, "/pid"))) == 1


def test_a_crash_of_an_io_worker_closes_its_connections_and_a_new_one_serves(server):
    """An inline handler runs in an io worker: its crash is the io worker's crash. The test
    app has no inline route that crashes, so the io worker is sent the SIGSEGV a bad pointer
    in such a handler would raise."""
    srv = start_app(server, mode="hybrid", workers=1, io_workers=1)
    with Connection(srv.address) as idle:
        idle.send(b"GET /inline HTTP/1.1\r\nHost: test\r\n\r\n")
        io_pid = int(idle.read_response().body)
        os.kill(io_pid, signal.SIGSEGV)
        assert idle.is_closed_by_server(timeout=10)  # a kept-alive connection of that worker
    wait_until(lambda: "killed by SIGSEGV" in srv.log(), message="the io worker's crash logged")
    new_pid = int(wait_until(lambda: _inline_pid_or_none(srv), message="a new io worker"))
    assert new_pid != io_pid and process_title(new_pid).startswith("forkd: io")


def _inline_pid_or_none(srv):
    try:
        return get(srv.address, "/inline").body
    except OSError:
        return None


def test_a_reload_keeps_the_preloaded_state_starts_workers_anew_and_moves_builtin_routes(
        server, tmp_path):
    trace = tmp_path / "hooks.log"
    srv = start_app(server, mode="hybrid", pm="static", workers=1, io_workers=1,
                    status_path="/status", env={"FORKD_TEST_HOOK_LOG": str(trace)})
    wait_until(lambda: len(srv.children()) == 2, message="a full pool")
    old = set(srv.children())
    assert get(srv.address, "/status?json").status == 200

    write_config(srv.config_path, {**srv.settings, "status_path": "/server-status",
                                   "listen": [f"127.0.0.1:{srv.port}"]})
    srv.signal(signal.SIGHUP)
    wait_until(lambda: "generation 1 in force" in srv.log() and len(srv.children()) == 2
               and not (old & set(srv.children())), timeout=20,
               message="the new generation alone")

    # The app's routes stay; forkd's own routes follow the new configuration.
    assert body_of(srv, "/hello/reloaded") == "hello reloaded"
    assert get(srv.address, "/status?json").status == 404
    assert get(srv.address, "/server-status?json").status == 200
    # Preload ran once, in the master, and not again; the new workers ran on_worker_start.
    pid = int(body_of(srv, "/pid"))
    assert pid not in old
    assert body_of(srv, "/hooks") == f"preloaded in {srv.pid}; started in {pid}"
    lines = hook_lines(trace)
    assert [line for line in lines if line.startswith("preload")] == [f"preload {srv.pid}"]
    assert f"start {pid}" in lines
    assert all(f"exit {old_pid}" in lines for old_pid in old)  # the old ones left normally


def test_a_binary_upgrade_runs_preload_in_the_new_master_and_the_old_one_hands_over(
        server, tmp_path):
    trace = tmp_path / "hooks.log"
    pid_file = tmp_path / "app.pid"
    srv = start_app(server, mode="prefork", pm="static", workers=1, pid_file=str(pid_file),
                    new_session=True, env={"FORKD_TEST_HOOK_LOG": str(trace)})
    new_master = None
    try:
        srv.signal(signal.SIGUSR2)
        new_master = int(wait_until(lambda: _new_master(pid_file, srv.pid),
                                    message="the new master's pid file"))
        wait_until(lambda: f"preload {new_master}" in hook_lines(trace),
                   message="preload in the new master")
        wait_until(lambda: [c for c in child_pids(new_master) if not is_gone(c)],
                   message="the new master's worker")
        os.kill(srv.pid, signal.SIGWINCH)
        wait_until(lambda: [c for c in child_pids(srv.pid) if not is_gone(c)] == [new_master],
                   timeout=30, message="the old master's worker to leave")
        # Only the new master's worker is left to answer, with the new master's preload.
        assert body_of(srv, "/hooks").startswith(f"preloaded in {new_master}; started in ")
        os.kill(srv.pid, signal.SIGQUIT)
        assert srv.wait_exit(timeout=30) == 0
        assert body_of(srv, "/hello/upgraded") == "hello upgraded"
    finally:
        if new_master is not None and not is_gone(new_master):
            os.kill(new_master, signal.SIGQUIT)
            wait_until(lambda: is_gone(new_master), timeout=30, message="the new master to exit")


def _new_master(pid_file, old_pid):
    try:
        text = pid_file.read_text().strip()
    except FileNotFoundError:
        return None
    return text if text and text != str(old_pid) else None
