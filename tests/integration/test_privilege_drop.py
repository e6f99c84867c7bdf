"""`user` and `group`: started as root, the master binds a privileged port and opens the logs,
then every process that serves clients runs as `user` (workers, io and app workers,
fork-mode children; in single mode the one process, once its port and logs are open). The
master stays root, to bind again on a reload and to reopen the logs, which it hands to
`user` so that the children can reopen them after a logrotate.

The tests that start forkd as root are skipped when the suite does not run as root (CI
does); the configuration errors are checked by anyone."""
import os
import pwd
import random
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from background import wait_for_busy_child
from conftest import FORKD_BIN, MODES, Server, wait_until
from http_client import get
from process_facts import wait_for_pool

DEMO_BODY = b"this is server"
BUSY_BODY = "繁忙等待".encode()

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")


def nobody():
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user nobody on this machine")


def free_privileged_port():
    """A port below 1024 that nothing listens on now, found by binding it."""
    for port in random.sample(range(600, 1024), 100):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    pytest.skip("no free port below 1024")


def ids(pid, field):
    """The four ids (real, effective, saved, filesystem) of `pid`'s Uid or Gid line."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return [int(value) for value in line.split()[1:]]
    raise AssertionError(f"no {field} line for {pid}")


def groups(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Groups:"):
            return {int(value) for value in line.split()[1:]}
    return set()


def assert_runs_as(pid, user):
    assert ids(pid, "Uid") == [user.pw_uid] * 4
    assert ids(pid, "Gid") == [user.pw_gid] * 4
    assert 0 not in groups(pid), "root's group is still a supplementary group"


@pytest.fixture
def started():
    """Factory for servers in a directory anyone may enter (the children, once unprivileged,
    reopen their logs there by name); stops them after the test."""
    servers = []

    def start(command_prefix=(), **settings):
        workdir = tempfile.mkdtemp(prefix="forkd-test-")
        os.chmod(workdir, 0o755)
        srv = Server(workdir, settings, command_prefix=command_prefix)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()


@as_root
@pytest.mark.parametrize("mode", MODES)
def test_started_as_root_the_server_binds_a_privileged_port_and_serves_as_user(started, mode):
    user = nobody()
    port = free_privileged_port()
    workdir = Path(tempfile.mkdtemp(prefix="forkd-logs-"))
    os.chmod(workdir, 0o755)
    access_log = workdir / "access.log"
    srv = started(mode=mode, listen=[f"127.0.0.1:{port}"], user="nobody", workers=2,
                  io_workers=1, access_log=str(access_log), error_log=str(workdir / "error.log"))
    pool = {"single": 0, "fork": 0, "prefork": 2, "hybrid": 3}[mode]
    processes = wait_for_pool(srv, pool)

    assert srv.port == port
    serving = [pid for pid in processes if pid != srv.pid]
    if mode == "single":
        assert_runs_as(srv.pid, user)  # no master: the one process dropped
    else:
        assert ids(srv.pid, "Uid") == [0] * 4, "the master stays root"
        assert ids(srv.pid, "Gid") == [0] * 4
    for pid in serving:
        assert_runs_as(pid, user)
    for target, body in [("/", DEMO_BODY), ("/?sleep=0", BUSY_BODY)]:
        response = get(srv.address, target)
        assert (response.status, response.body) == (200, body)
    if mode == "fork":
        sleeper = subprocess.Popen(["curl", "-s", f"http://127.0.0.1:{port}/?sleep=2"],
                                   stdout=subprocess.DEVNULL)
        try:
            assert_runs_as(wait_for_busy_child(srv, "/?sleep=2"), user)
        finally:
            sleeper.wait(timeout=30)

    # The access log was written by the unprivileged processes, to a file given to them.
    wait_until(lambda: '"GET /?sleep=0 HTTP/1.1" 200' in access_log.read_text(),
               message="the access log line")
    assert access_log.stat().st_uid == user.pw_uid
    assert (workdir / "error.log").stat().st_uid == user.pw_uid


@as_root
@pytest.mark.parametrize("mode", ["prefork", "hybrid"])
def test_after_a_logrotate_the_unprivileged_workers_reopen_the_new_log(started, mode):
    user = nobody()
    workdir = Path(tempfile.mkdtemp(prefix="forkd-logs-"))
    os.chmod(workdir, 0o755)
    access_log = workdir / "access.log"
    srv = started(mode=mode, user="nobody", workers=2, io_workers=1, access_log=str(access_log))
    wait_for_pool(srv, {"prefork": 2, "hybrid": 3}[mode])
    assert get(srv.address, "/").status == 200

    access_log.rename(workdir / "access.log.1")  # what logrotate does, then SIGUSR1
    srv.signal(signal.SIGUSR1)
    wait_until(lambda: access_log.exists(), message="the master to create the new log")
    # Each worker reopens before its next connection: ask until one lands in the new file.
    wait_until(lambda: get(srv.address, "/?after-rotate").status == 200
               and "/?after-rotate" in access_log.read_text(),
               message="a request logged in the new file")
    assert access_log.stat().st_uid == user.pw_uid
    assert "cannot reopen" not in srv.log() and "access_log:" not in srv.log()


@as_root
def test_a_user_set_without_root_is_warned_about_and_the_server_runs_on(started):
    # setpriv starts forkd as nobody: it cannot drop, and says so, and serves anyway.
    if subprocess.run(["which", "setpriv"], capture_output=True).returncode != 0:
        pytest.skip("setpriv (util-linux) is not installed")
    nobody()
    srv = started(command_prefix=["setpriv", "--reuid=nobody", "--regid=nogroup",
                                  "--clear-groups"],
                  mode="prefork", workers=1, user="nobody")
    wait_until(lambda: "applies only when forkd starts as root" in srv.log(),
               message="the warning about user")
    assert get(srv.address, "/").status == 200


@pytest.mark.parametrize("text, message", [
    ('user = "no-such-user-forkd"', 'forkd.toml:2: user: no such user "no-such-user-forkd"'),
    ('user = "root"\ngroup = "no-such-group-forkd"',
     'forkd.toml:3: group: no such group "no-such-group-forkd"'),
    ('group = "root"', "forkd.toml:2: group: needs user"),
], ids=["unknown_user", "unknown_group", "group_without_user"])
def test_an_unknown_user_or_group_is_a_configuration_error_naming_key_and_line(tmp_path, text,
                                                                                message):
    config = tmp_path / "forkd.toml"
    config.write_text('mode = "prefork"\n' + text + "\n")
    checked = subprocess.run([FORKD_BIN, "-t", "-c", str(config)], capture_output=True,
                             text=True, cwd=tmp_path)
    assert checked.returncode != 0
    assert message in checked.stderr
