"""Reload, binary upgrade and log reopening on the real binary (the process-manager issue,
"Signals, reload and upgrade"): SIGHUP starts a new generation with the new configuration
and loses no request, an invalid configuration changes nothing, listen addresses added or
removed by a reload are opened and closed, SIGUSR2 hands the listeners to a new master with
no failed request, SIGUSR1 reopens renamed log files, and `forkd -s` signals the master named
in pid_file."""
import json
import os
import re
import signal
import socket
import subprocess

import pytest

from background import is_gone
from client_loop import ClientLoop
from conftest import FORKD_BIN, child_pids, process_title, wait_until, write_config
from http_client import get


def text_of(path):
    """The file's text, or "" while it does not exist: a pid file is renamed to .oldbin and
    back during an upgrade, so it can vanish between a check and the read."""
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def start(server, **settings):
    settings = {"mode": "prefork", "pm": "static", "workers": 2, "status_path": "/status",
                **settings}
    srv = server(**settings)
    srv.settings = settings
    wait_until(lambda: "master started" in srv.log(), message="the master's loop")
    wait_until(lambda: len(srv.children()) == settings["workers"], message="a full pool")
    return srv


def rewrite_config(srv, listen=None, **changes):
    """Writes srv's configuration again with `changes`, listening on the port it has (a
    reload would open a new port for "127.0.0.1:0")."""
    settings = {**srv.settings, **{k.replace("__", "."): v for k, v in changes.items()}}
    settings["listen"] = listen or [f"127.0.0.1:{srv.port}"]
    write_config(srv.config_path, settings)


def processes(srv):
    response = get(srv.address, "/status?json&full", timeout=30)
    return json.loads(response.body)["processes"]


def generation_serves_alone(srv, generation, workers):
    """True when exactly `workers` workers of `generation` run, and nothing else."""
    rows = processes(srv)
    return (len(rows) == workers and all(row["generation"] == generation for row in rows)
            and len(srv.children()) == workers)


def refuses(address):
    try:
        socket.create_connection(address, timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def live_children(pid):
    return [child for child in child_pids(pid) if not is_gone(child)]


# SIGHUP: reload.


def test_a_reload_under_load_starts_a_new_generation_without_a_failed_request(server):
    srv = start(server, server_tokens=True)
    old_workers = set(srv.children())

    with ClientLoop(srv.address) as clients:
        wait_until(clients.served_at_least(50), timeout=30, message="load before the reload")
        rewrite_config(srv, server_tokens=False, workers=3)
        srv.signal(signal.SIGHUP)
        wait_until(lambda: "configuration generation 1 in force" in srv.log(),
                   message="the new configuration")
        wait_until(lambda: generation_serves_alone(srv, 1, 3), timeout=30,
                   message="three workers of generation 1 and no old one")
        wait_until(clients.served_at_least(50), timeout=30, message="load after the reload")
    assert clients.failures == [], f"{len(clients.failures)} failed: {clients.failures[:3]}"

    assert not old_workers & set(srv.children()), "the old generation has left"
    assert clients.server_headers == {"forkd/0.1.0", "forkd"}, "both configurations served"
    assert get(srv.address, "/").header("Server") == "forkd"


def test_an_invalid_configuration_on_reload_is_logged_with_key_and_line_and_changes_nothing(
        server):
    srv = start(server)
    workers = set(srv.children())
    srv.config_path.write_text('mode = "prefork"\n'
                               f'listen = ["127.0.0.1:{srv.port}"]\n'
                               'status_path = "/status"\n'
                               'max_spare = "many"\n')

    srv.signal(signal.SIGHUP)

    line = wait_until(lambda: re.search(r".*reload failed.*", srv.log()),
                      message="the reload error").group(0)
    assert "forkd.toml:4:" in line and "max_spare" in line, line
    assert get(srv.address, "/").status == 200
    assert set(srv.children()) == workers, "the running workers are kept"
    assert all(row["generation"] == 0 for row in processes(srv))


def test_a_reload_opens_an_added_listen_address_and_closes_it_once_removed(server):
    srv = start(server)
    first = f"127.0.0.1:{srv.port}"

    rewrite_config(srv, listen=[first, "127.0.0.1:0"])
    srv.signal(signal.SIGHUP)
    wait_until(lambda: len(re.findall(r"listening on 127\.0\.0\.1:\d+", srv.log())) == 2,
               message="the second address to be opened")
    second_port = int(re.findall(r"listening on 127\.0\.0\.1:(\d+)", srv.log())[-1])
    second = ("127.0.0.1", second_port)
    assert second_port != srv.port
    wait_until(lambda: generation_serves_alone(srv, 1, 2), timeout=30, message="generation 1")
    assert get(second, "/").status == 200
    assert get(srv.address, "/").status == 200

    rewrite_config(srv, listen=[first])
    srv.signal(signal.SIGHUP)
    wait_until(lambda: f"no longer listening on 127.0.0.1:{second_port}" in srv.log(),
               timeout=30, message="the removed address to be closed")
    wait_until(lambda: refuses(second), timeout=30, message="the removed port to refuse")
    assert get(srv.address, "/").status == 200


def test_a_reload_whose_new_address_is_taken_fails_and_keeps_every_listener(server):
    srv = start(server)
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    try:
        taken = squatter.getsockname()[1]
        rewrite_config(srv, listen=[f"127.0.0.1:{srv.port}", f"127.0.0.1:{taken}"])

        srv.signal(signal.SIGHUP)

        line = wait_until(lambda: re.search(r".*reload failed.*", srv.log()),
                          message="the reload error").group(0)
        assert f"127.0.0.1:{taken}" in line, line
    finally:
        squatter.close()
    assert get(srv.address, "/").status == 200, "the old workers still serve"
    # Workers started after the failed reload must still get the running listener.
    rewrite_config(srv)
    srv.signal(signal.SIGHUP)
    wait_until(lambda: generation_serves_alone(srv, 1, 2), timeout=30,
               message="a new generation after a valid reload")
    for _ in range(6):
        assert get(srv.address, "/").status == 200


def test_a_reload_refused_for_a_bad_status_allow_opens_no_new_address(server):
    srv = start(server)
    rewrite_config(srv, listen=[f"127.0.0.1:{srv.port}", "127.0.0.1:0"], status_allow=["bogus"])

    srv.signal(signal.SIGHUP)

    line = wait_until(lambda: re.search(r".*reload failed.*", srv.log()),
                      message="the reload error").group(0)
    assert "status_allow: 'bogus'" in line, line
    assert len(re.findall(r"listening on", srv.log())) == 1, "no second address was opened"
    rewrite_config(srv)
    srv.signal(signal.SIGHUP)
    wait_until(lambda: generation_serves_alone(srv, 1, 2), timeout=30,
               message="a new generation after a valid reload")
    assert get(srv.address, "/").status == 200


# SIGUSR2: binary upgrade.


def test_a_binary_upgrade_under_load_hands_over_to_the_new_master_without_a_failed_request(
        server, tmp_path):
    pid_file = tmp_path / "forkd.pid"
    oldbin = tmp_path / "forkd.pid.oldbin"
    srv = start(server, new_session=True, pid_file=str(pid_file))
    old_master = srv.pid
    new_master = None
    try:
        with ClientLoop(srv.address) as clients:
            wait_until(clients.served_at_least(50), timeout=30, message="load before the upgrade")
            srv.signal(signal.SIGUSR2)
            wait_until(lambda: text_of(oldbin) == f"{old_master}\n",
                       message="the old master's pid file renamed .oldbin")
            new_master = int(wait_until(
                lambda: text_of(pid_file).strip(),
                message="the new master's pid file"))
            assert new_master != old_master
            wait_until(lambda: len(live_children(new_master)) == 2, timeout=20,
                       message="the new master's workers")
            wait_until(clients.served_at_least(50), timeout=30, message="load with both masters")

            os.kill(old_master, signal.SIGWINCH)
            wait_until(lambda: live_children(old_master) == [new_master], timeout=30,
                       message="the old master's workers to leave")
            wait_until(clients.served_at_least(50), timeout=30, message="load on the new master")

            os.kill(old_master, signal.SIGQUIT)
            assert srv.wait_exit(timeout=30) == 0
            wait_until(clients.served_at_least(50), timeout=30, message="load after the old left")
        assert clients.failures == [], f"{len(clients.failures)} failed: {clients.failures[:3]}"

        assert not oldbin.exists(), "the old master removed its .oldbin pid file"
        assert pid_file.read_text() == f"{new_master}\n"
        assert process_title(new_master) == "forkd: master"
        assert get(srv.address, "/").status == 200
    finally:
        if new_master is not None:
            stop_by_pid(new_master)
    assert not pid_file.exists(), "the new master removed its pid file at exit"


def test_sighup_to_the_old_master_rolls_an_upgrade_back(server, tmp_path):
    pid_file = tmp_path / "forkd.pid"
    srv = start(server, new_session=True, pid_file=str(pid_file))
    new_master = None
    try:
        srv.signal(signal.SIGUSR2)
        new_master = int(wait_until(
            lambda: text_of(pid_file).strip() != str(srv.pid)
            and text_of(pid_file).strip(), message="the new master's pid file"))
        wait_until(lambda: len(live_children(new_master)) == 2, message="the new master's workers")
        srv.signal(signal.SIGWINCH)
        wait_until(lambda: live_children(srv.pid) == [new_master], timeout=30,
                   message="the old master's workers to leave")

        srv.signal(signal.SIGHUP)
        wait_until(lambda: len(live_children(srv.pid)) == 3, timeout=20,
                   message="the old master's workers to start again")
        os.kill(new_master, signal.SIGQUIT)
        wait_until(lambda: is_gone(new_master), timeout=30, message="the new master to leave")
        new_master = None

        wait_until(lambda: text_of(pid_file) == f"{srv.pid}\n",
                   message="the pid file to name the old master again")
        assert not (tmp_path / "forkd.pid.oldbin").exists()
        assert process_title(srv.pid) == "forkd: master"
        for _ in range(6):
            assert get(srv.address, "/").status == 200
    finally:
        if new_master is not None:
            stop_by_pid(new_master)


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


# SIGUSR1: reopen the logs (logrotate's postrotate).


def test_sigusr1_after_renaming_the_logs_creates_new_files_and_writes_to_them(server, tmp_path):
    access_log, error_log = tmp_path / "access.log", tmp_path / "error.log"
    srv = start(server, access_log=str(access_log), error_log=str(error_log))
    assert get(srv.address, "/?before-rotation").status == 200
    wait_until(lambda: "/?before-rotation" in access_log.read_text(), message="the access line")
    access_log.rename(tmp_path / "access.log.1")
    error_log.rename(tmp_path / "error.log.1")

    srv.signal(signal.SIGUSR1)

    wait_until(lambda: access_log.exists() and error_log.exists(), message="new log files")
    wait_until(lambda: get(srv.address, "/?after-rotation").status == 200
               and "/?after-rotation" in access_log.read_text(),
               message="a request logged in the new access log")
    srv.signal(signal.SIGTTIN)
    wait_until(lambda: "pool size is now 3" in error_log.read_text(),
               message="the master writing to the new error log")
    # A worker still serving when the signal came may add its line to the old file: only
    # lines written before the rename are sure to be there.
    assert "/?before-rotation" in (tmp_path / "access.log.1").read_text()
    assert "SIGUSR1: reopening log files" in (tmp_path / "error.log.1").read_text()


# forkd -s reload|quit, as nginx -s.


def forkd_signal(srv, action):
    return subprocess.run([FORKD_BIN, "-c", str(srv.config_path), "-s", action],
                          capture_output=True, text=True, timeout=30)


def test_forkd_s_reload_and_quit_signal_the_master_named_in_the_pid_file(server, tmp_path):
    pid_file = tmp_path / "forkd.pid"
    srv = start(server, pid_file=str(pid_file))
    rewrite_config(srv, workers=3)

    reloaded = forkd_signal(srv, "reload")

    assert reloaded.returncode == 0, reloaded.stderr
    wait_until(lambda: generation_serves_alone(srv, 1, 3), timeout=30, message="the reload")

    quit_ = forkd_signal(srv, "quit")

    assert quit_.returncode == 0, quit_.stderr
    assert srv.wait_exit(timeout=30) == 0
    assert "SIGQUIT: graceful stop" in srv.log()
    assert not pid_file.exists()
