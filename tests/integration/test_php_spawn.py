"""forkd spawning php-cgi itself (`fastcgi = [".php=spawn:/usr/bin/php-cgi"]`, or `--php`):
one php-cgi per worker, on a private socket, supervised by forkd's process manager. Each
test is a promise to a PHP site's operator: a php-cgi that quits by itself, crashes, hangs,
runs past max_execution_time or grows is replaced and costs at most its own request; the
tutorial's experiment holds (static pages answer while every PHP process sleeps, further PHP
requests wait in forkd's queue and get 503 at queue_timeout); reloads and upgrades lose
nothing."""
import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from cgi_support import PHP_CGI, needs_php, pool
from client_loop import ClientLoop
from conftest import FORKD_BIN, child_pids, process_state, wait_until
from http_client import get

pytestmark = needs_php

SCRIPTS = {
    "hello.php": '<?php echo "this is server";',
    "pid.php": "<?php echo getmypid();",
    "env.php": '<?php echo getenv("PHP_FCGI_MAX_REQUESTS"), "|", getenv("PHP_FCGI_CHILDREN")'
               ' === false ? "unset" : "set";',
    "sleep.php": '<?php sleep((int)($_GET["s"] ?? 5)); echo "slept";',
    "crash.php": "<?php posix_kill(getmypid(), SIGSEGV); sleep(5);",
    "busy.php": "<?php set_time_limit(1); for (;;) {}",
    "grow.php": '<?php $a = str_repeat("x", 96 * 1024 * 1024); sleep(4); echo strlen($a);',
    "log.php": '<?php error_log("a line for the error log"); echo "logged";',
    "stream.php": '<?php echo "first "; ob_flush(); flush(); usleep(300000); echo "second";',
}


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    for name, text in SCRIPTS.items():
        (root / name).write_text(text)
    (root / "page.html").write_text("<p>static</p>\n")
    return root


def php_server(server, site, mode="hybrid", workers=2, **settings):
    return server(mode=mode, root=str(site), fastcgi=[f".php=spawn:{PHP_CGI}"],
                  **{**pool(mode, workers), **settings})


def php_cgi_processes(srv):
    """PIDs of the php-cgi processes under the master (each a worker's child)."""
    found = []
    for worker in child_pids(srv.pid):
        for child in child_pids(worker):
            if process_state(child) not in (None, "Z") and \
                    Path(f"/proc/{child}/cmdline").read_bytes().startswith(PHP_CGI.encode()):
                found.append(child)
    return found


def status_processes(srv):
    response = get(srv.address, "/forkd-status?json&full")
    assert response.status == 200
    return json.loads(response.body)["processes"]


@pytest.mark.parametrize("mode", ["prefork", "hybrid"])
def test_each_worker_keeps_one_php_cgi_and_php_answers(server, site, mode):
    srv = php_server(server, site, mode, status_path="/forkd-status")
    assert get(srv.address, "/hello.php").body == b"this is server"
    assert get(srv.address, "/page.html").body == b"<p>static</p>\n"
    wait_until(lambda: len(php_cgi_processes(srv)) == 2, timeout=10,
               message="one php-cgi per worker")
    pids = {int(get(srv.address, "/pid.php").body) for _ in range(6)}
    assert pids <= set(php_cgi_processes(srv)), "PHP ran in forkd's own php-cgi processes"
    # forkd recycles; php-cgi must never quit first (0: forkd sets no count of its own)
    assert get(srv.address, "/env.php").body == b"0|unset"
    shown = {row["application_pid"] for row in status_processes(srv)}
    assert set(php_cgi_processes(srv)) <= shown, "the status page names each php-cgi"


def test_php_flag_serves_a_php_site_in_one_command(server, site):
    srv = server(args=["--root", str(site), "--php"], workers=1, io_workers=1)
    assert get(srv.address, "/hello.php").body == b"this is server"
    (site / "index.php").write_text('<?php echo "the index";')
    assert get(srv.address, "/").body == b"the index"
    assert b"<?php" not in get(srv.address, "/sleep.php?s=0").body  # never the source


@pytest.mark.parametrize("mode", ["prefork", "hybrid"])
def test_a_whole_small_answer_has_a_length_and_a_flushed_one_streams(server, site, mode):
    srv = php_server(server, site, mode, workers=1)
    small = get(srv.address, "/hello.php")
    assert small.body == b"this is server"
    assert small.header("Content-Length") == "14" and small.header("Transfer-Encoding") is None
    streamed = get(srv.address, "/stream.php")
    assert streamed.body == b"first second"
    assert streamed.header("Transfer-Encoding") == "chunked", "PHP's flush() still streams"


def test_hybrid_io_workers_speak_to_php_cgi_themselves_one_hop_as_nginx_to_php_fpm(
        server, site):
    """The app worker keeps php-cgi but is not on a PHP request's path: stopped (SIGSTOP),
    PHP pages, streamed ones too, are still answered by its php-cgi."""
    srv = php_server(server, site, workers=1)
    php_cgi = int(get(srv.address, "/pid.php").body)
    app_worker = next(pid for pid in child_pids(srv.pid) if php_cgi in child_pids(pid))
    os.kill(app_worker, signal.SIGSTOP)
    try:
        assert get(srv.address, "/hello.php", timeout=10).body == b"this is server"
        streamed = get(srv.address, "/stream.php", timeout=10)
        assert streamed.body == b"first second"
        assert streamed.header("Transfer-Encoding") == "chunked"
        assert int(get(srv.address, "/pid.php", timeout=10).body) == php_cgi
    finally:
        os.kill(app_worker, signal.SIGCONT)


@pytest.mark.parametrize("mode", ["prefork", "hybrid"])
def test_clients_that_leave_without_reading_cost_no_php_cgi(server, site, mode):
    srv = php_server(server, site, mode, workers=1)
    before = int(get(srv.address, "/pid.php").body)
    for _ in range(5):  # each sends a whole request and hangs up before its answer
        with socket.create_connection(srv.address, timeout=5) as rude:
            rude.sendall(b"GET /hello.php HTTP/1.1\r\nHost: x\r\n\r\n")
    after = get(srv.address, "/pid.php")
    assert after.status == 200 and int(after.body) == before, "the same php-cgi, still warm"
    assert process_state(before) not in (None, "Z")


def test_a_php_cgi_that_quits_by_itself_is_replaced_without_a_failed_request(server, site):
    srv = php_server(server, site, workers=1, cgi_env=["PHP_FCGI_MAX_REQUESTS=2"])
    answers = [get(srv.address, "/pid.php") for _ in range(7)]
    assert [a.status for a in answers] == [200] * 7
    assert len({a.body for a in answers}) >= 3, "a new php-cgi every two requests"
    assert "retired itself after" in srv.log()


def test_max_requests_recycles_the_worker_with_its_php_cgi(server, site):
    srv = php_server(server, site, workers=1, max_requests=3)
    assert get(srv.address, "/env.php").body == b"4|unset", "PHP_FCGI_MAX_REQUESTS above ours"
    statuses = [get(srv.address, "/pid.php").status for _ in range(8)]
    assert statuses == [200] * 8
    wait_until(lambda: len(php_cgi_processes(srv)) == 1, timeout=10,
               message="one php-cgi left: a retired worker's php-cgi ended with it")
    assert "retired itself" not in srv.log(), "forkd recycled before php-cgi had to"


def switch_link(link, target):
    """Points `link` at `target` at once, as a deploy does: a new link renamed over it."""
    os.symlink(target, f"{link}.next")
    os.replace(f"{link}.next", link)


@pytest.mark.parametrize("mode", ["prefork", "hybrid"])
def test_a_release_switched_by_a_symlink_runs_at_once_and_links_out_stay_refused(
        server, tmp_path, mode):
    outside = tmp_path / "outside.php"
    outside.write_text('<?php echo "OUTSIDE";')
    for release in ("1", "2"):
        www = tmp_path / "releases" / release
        www.mkdir(parents=True)
        (www / "hello.php").write_text(f'<?php echo "release {release} ", __FILE__;')
        os.symlink(outside, www / "out.php")
    (tmp_path / "releases" / "2" / "new.php").write_text('<?php echo "only in 2";')
    os.symlink("releases/1", tmp_path / "current")
    # one worker: the same php-cgi, with PHP's own cache of resolved paths, answers both
    srv = server(mode=mode, root=str(tmp_path / "current"), fastcgi=[f".php=spawn:{PHP_CGI}"],
                 **pool(mode, 1))
    first = get(srv.address, "/hello.php")
    assert first.body == f"release 1 {tmp_path}/releases/1/hello.php".encode()
    assert get(srv.address, "/new.php").status == 404

    switch_link(tmp_path / "current", "releases/2")
    second = get(srv.address, "/hello.php")
    assert second.body == f"release 2 {tmp_path}/releases/2/hello.php".encode(), \
        "the request after the switch runs the new release"
    assert get(srv.address, "/new.php").body == b"only in 2"
    for _ in range(2):  # the remembered root, checked again
        refused = get(srv.address, "/out.php")
        assert refused.status == 403 and b"OUTSIDE" not in refused.body


@pytest.mark.parametrize("mode", ["prefork", "hybrid"])
def test_a_crash_is_502_and_the_next_request_gets_a_new_php_cgi(server, site, mode):
    srv = php_server(server, site, mode, workers=1)
    before = int(get(srv.address, "/pid.php").body)
    assert get(srv.address, "/crash.php").status == 502
    wait_until(lambda: "killed by SIGSEGV" in srv.log(), timeout=5, message="the crash logged")
    after = get(srv.address, "/pid.php")
    assert after.status == 200 and int(after.body) != before
    assert process_state(before) is None


@pytest.mark.parametrize("mode", ["prefork", "hybrid"])
def test_an_application_that_cannot_start_is_502_at_once_and_retried_after_a_back_off(
        server, site, mode):
    srv = server(mode=mode, root=str(site), fastcgi=[".php=spawn:/bin/false"],
                 **pool(mode, 1))
    started = time.monotonic()
    for _ in range(3):
        assert get(srv.address, "/hello.php", timeout=10).status == 502
    assert time.monotonic() - started < 5, "502 at once, not after a queue or CGI timeout"
    assert get(srv.address, "/page.html").body == b"<p>static</p>\n"
    wait_until(lambda: "before answering a request; starting it again in" in srv.log(),
               timeout=10, message="the start-up failure and its back-off logged")


def test_sleeping_past_cgi_idle_timeout_is_504_and_that_php_cgi_ends(server, site):
    srv = php_server(server, site, workers=1, cgi_idle_timeout="1s")
    sleeper = int(get(srv.address, "/pid.php").body)
    assert get(srv.address, "/sleep.php?s=30").status == 504
    wait_until(lambda: process_state(sleeper) is None, timeout=5,
               message="the php-cgi that was abandoned is gone")
    assert get(srv.address, "/hello.php").body == b"this is server"


@pytest.mark.parametrize("mode", ["prefork", "hybrid"])
def test_a_client_that_leaves_ends_its_sleeping_php_cgi_at_once(server, site, mode):
    srv = php_server(server, site, mode, workers=2, status_path="/forkd-status")
    conn = srv.connect()
    conn.sendall(b"GET /sleep.php?s=30 HTTP/1.1\r\nHost: t\r\n\r\n")

    def sleeping_php_cgi():
        rows = [row for row in status_rows(srv) if row["target"] == "/sleep.php?s=30"]
        return rows[0]["application_pid"] if rows else None
    sleeper = wait_until(sleeping_php_cgi, timeout=10, message="the request running")
    conn.close()
    wait_until(lambda: process_state(sleeper) is None, timeout=10,
               message="the php-cgi of a request nobody waits for ended, not after 30 s")
    assert get(srv.address, "/hello.php").body == b"this is server"


def test_request_timeout_in_prefork_is_504_and_the_pool_recovers(server, site):
    srv = php_server(server, site, mode="prefork", workers=1, request_timeout="1s")
    sleeper = int(get(srv.address, "/pid.php").body)
    assert get(srv.address, "/sleep.php?s=30", timeout=20).status == 504
    wait_until(lambda: process_state(sleeper) is None, timeout=5,
               message="the php-cgi's group killed with the request")
    wait_until(lambda: get(srv.address, "/hello.php").body == b"this is server", timeout=10,
               message="a new worker with a new php-cgi")


def test_max_execution_time_is_php_s_own_500_and_php_cgi_stays(server, site):
    srv = php_server(server, site, workers=1)
    pid = int(get(srv.address, "/pid.php").body)
    assert get(srv.address, "/busy.php", timeout=20).status == 500
    assert int(get(srv.address, "/pid.php").body) == pid, "PHP ended the script, not php-cgi"


def test_a_php_cgi_over_max_rss_is_retired_with_its_worker(server, site):
    srv = php_server(server, site, workers=1, max_rss="64m")
    first = int(get(srv.address, "/pid.php").body)
    response = get(srv.address, "/grow.php", timeout=20)
    assert response.status == 200, "the request that grew still finishes"
    wait_until(lambda: "over max_rss" in srv.log(), timeout=10, message="the retirement")
    wait_until(lambda: get(srv.address, "/pid.php").body != str(first).encode(), timeout=10,
               message="a new worker and php-cgi")


def test_php_stderr_reaches_the_error_log(server, site):
    srv = php_server(server, site, workers=1)
    assert get(srv.address, "/log.php").body == b"logged"
    wait_until(lambda: "a line for the error log" in srv.log(), timeout=5,
               message="FCGI_STDERR in the log")


def test_the_tutorial_in_php_static_answers_while_php_sleeps_and_the_queue_says_503(
        server, site):
    srv = php_server(server, site, workers=2, queue_timeout="1s", status_path="/forkd-status")
    sleepers = [threading.Thread(target=get, args=(srv.address, "/sleep.php?s=4"),
                                 kwargs={"timeout": 20}) for _ in range(2)]
    for thread in sleepers:
        thread.start()
    wait_until(lambda: sum(row["target"] == "/sleep.php?s=4" and row["state"] == "busy"
                           for row in status_rows(srv)) == 2, timeout=10,
               message="both PHP workers asleep")
    started = time.monotonic()
    assert get(srv.address, "/page.html").body == b"<p>static</p>\n"
    static_took = time.monotonic() - started
    queued = get(srv.address, "/hello.php", timeout=20)
    assert queued.status == 503 and queued.header("Retry-After") is not None
    assert static_took < 2, "the static page did not wait for PHP"
    for thread in sleepers:
        thread.join()


def status_rows(srv):
    return [row for row in status_processes(srv) if row["role"] == "worker"]


def test_fork_and_single_mode_refuse_spawn_at_check_time(site, tmp_path):
    for mode in ("fork", "single"):
        config = tmp_path / f"{mode}.toml"
        config.write_text(f'mode = "{mode}"\nroot = "{site}"\n'
                          f'fastcgi = [".php=spawn:{PHP_CGI}"]\n')
        checked = subprocess.run([FORKD_BIN, "-t", "-c", str(config)], capture_output=True,
                                 text=True, timeout=10)
        assert checked.returncode != 0
        assert f"{config}:3: fastcgi" in checked.stderr and "prefork or hybrid" in checked.stderr


@pytest.mark.parametrize("event", ["reload", "upgrade"])
def test_reload_and_upgrade_under_load_lose_no_php_request(server, site, tmp_path, event):
    pid_file = tmp_path / "forkd.pid"
    srv = php_server(server, site, new_session=True, pid_file=str(pid_file))
    new_master = None
    try:
        with ClientLoop(srv.address, target="/hello.php") as clients:
            wait_until(clients.served_at_least(30), timeout=30, message="load before")
            if event == "reload":
                srv.signal(signal.SIGHUP)
                wait_until(lambda: "configuration generation 1 in force" in srv.log(),
                           message="the reload")
            else:
                srv.signal(signal.SIGUSR2)
                new_master = int(wait_until(
                    lambda: pid_file.exists() and pid_file.read_text().strip() != str(srv.pid)
                    and pid_file.read_text().strip(), message="the new master's pid file"))
                wait_until(clients.served_at_least(30), timeout=30, message="both masters")
                srv.signal(signal.SIGQUIT)
                assert srv.wait_exit(timeout=30) == 0
            wait_until(clients.served_at_least(30), timeout=30, message="load after")
        assert clients.failures == [], f"{len(clients.failures)} failed: {clients.failures[:3]}"
    finally:
        if new_master is not None:
            os.kill(new_master, signal.SIGQUIT)
            wait_until(lambda: process_state(new_master) in (None, "Z"), timeout=30,
                       message="the new master's exit")
