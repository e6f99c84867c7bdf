"""forkd under systemd, with systemd's own `systemd-socket-activate` passing the sockets
(LISTEN_FDS) and a datagram socket of the test's standing in for systemd's notification
socket (NOTIFY_SOCKET): the passed sockets are what forkd serves (the default address is not
opened beside them unless `listen` asks for it), a reload keeps them, a stop leaves them to
systemd for its next start, a binary upgrade hands them on and names the new main pid, and
readiness is reported around start, reload and stop."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import http_client
from background import is_gone
from conftest import FORKD_BIN, child_pids, stop_process, wait_until, write_config

SOCKET_ACTIVATE = "systemd-socket-activate"
POOLS = {"fork": {}, "prefork": {"workers": 2}, "hybrid": {"io_workers": 1, "workers": 2}}

pytestmark = pytest.mark.skipif(
    shutil.which(SOCKET_ACTIVATE) is None,
    reason="systemd-socket-activate is not installed (Debian package systemd)")


# Talking HTTP to a TCP address (host, port) or a unix socket ("/path").

class UnixConnection(http_client.Connection):
    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buffer = b""


def connect(address, timeout=10.0):
    if isinstance(address, str):
        return UnixConnection(address, timeout)
    return http_client.Connection(address, timeout)


def fetch(address, target="/", timeout=15.0):
    with connect(address, timeout) as conn:
        conn.send(f"GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode())
        return conn.read_response()


def answers(address):
    response = fetch(address)
    return response.status == 200 and response.body == b"this is server"


def spec(address):
    """The address as systemd-socket-activate, forkd's `listen` and its log spell it."""
    return f"unix:{address}" if isinstance(address, str) else f"{address[0]}:{address[1]}"


# Which listening sockets a process holds, by address, from /proc.

def listening_sockets(pid):
    """{address: inode} of the listening sockets `pid` holds ("127.0.0.1:8080",
    "unix:/path"): what the process serves, whatever its log says."""
    inodes = set()
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(entry)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: TCP_LISTEN
                host_hex, port_hex = fields[1].split(":")
                host = socket.inet_ntoa(bytes.fromhex(host_hex)[::-1]) if len(host_hex) == 8 \
                    else host_hex
                found[f"{host}:{int(port_hex, 16)}"] = fields[9]
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        # Flags 00010000: __SO_ACCEPTCON, a listening socket.
        if len(fields) >= 8 and int(fields[3], 16) & 0x10000 and fields[6] in inodes:
            found[f"unix:{fields[7]}"] = fields[6]
    return found


def free_port():
    """A port nobody listens on right now (systemd-socket-activate takes no port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# systemd's notification socket, played by the test.

class NotifySocket:
    """A unix datagram socket at `path`; messages() is what forkd told "systemd" so far."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setblocking(False)
        self.received = []

    def messages(self):
        while True:
            try:
                self.received.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return list(self.received)

    def wait_for(self, text, after=0, timeout=15.0):
        """Waits for a message containing `text` among those from index `after` on; returns
        its index."""
        def seen():
            for index, message in enumerate(self.messages()[after:], start=after):
                if text in message.splitlines():
                    return index + 1  # +1: never 0, which wait_until takes for "not yet"
            return None
        return wait_until(seen, timeout=timeout, message=f"{text!r} on NOTIFY_SOCKET") - 1

    def close(self):
        self.sock.close()


# forkd started by systemd-socket-activate.

class Activated:
    """forkd under `systemd-socket-activate -l ADDRESS`: started (exec'd in place, so with
    systemd-socket-activate's pid) by the first connection to the socket, as systemd does."""

    def __init__(self, workdir, settings, kind, env=None, wrapper=()):
        self.workdir = Path(workdir)
        self.config_path = self.workdir / "forkd.toml"
        self.log_path = self.workdir / "output.log"
        write_config(self.config_path, settings)
        for _ in range(5):  # a TCP port picked free may be taken before it is bound again
            self.address = str(self.workdir / "forkd.sock") if kind == "unix" \
                else ("127.0.0.1", free_port())
            if self._start(env, wrapper):
                return
        raise AssertionError(f"systemd-socket-activate did not start:\n{self.output()}")

    def _start(self, env, wrapper):
        self.log_file = open(self.log_path, "wb")
        # It passes on only TERM, PATH, USER, HOME and what -E names, as systemd would.
        setenv = [f"--setenv={name}={value}" for name, value in (env or {}).items()]
        self.proc = subprocess.Popen(
            [SOCKET_ACTIVATE, "-l", spec(self.address).removeprefix("unix:"), *setenv,
             *wrapper, FORKD_BIN, "-c", str(self.config_path)],
            stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        try:
            wait_until(lambda: self.proc.poll() is not None or "Listening on" in self.output(),
                       message="systemd-socket-activate to listen")
        except AssertionError:
            self.stop()
            raise
        if self.proc.poll() is None:
            return True
        self.log_file.close()
        return False

    def output(self):
        return self.log_path.read_text(errors="replace")

    def activate(self):
        """The first connection: systemd-socket-activate executes forkd, which answers it."""
        assert answers(self.address), self.output()
        wait_until(lambda: "serving in" in self.output(), message="forkd's start")

    def stop(self):
        stop_process(self.proc, timeout=15)
        self.log_file.close()


@pytest.fixture
def activated(tmp_path):
    """Factory: activated(kind, **settings) starts forkd behind systemd-socket-activate."""
    started = []

    def start(kind="tcp", env=None, wrapper=(), **settings):
        workdir = tmp_path / f"server-{len(started)}"
        workdir.mkdir()
        server = Activated(workdir, settings, kind, env=env, wrapper=wrapper)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def reloaded(server, generation):
    return f"configuration generation {generation} in force" in server.output()


@pytest.mark.parametrize("kind", ["tcp", "unix"])
@pytest.mark.parametrize("mode", ["fork", "prefork", "hybrid"])
def test_the_systemd_socket_is_served_instead_of_the_default_address_and_kept_by_a_reload(
        activated, mode, kind):
    server = activated(kind, mode=mode, **POOLS[mode])  # no `listen`

    server.activate()

    served = listening_sockets(server.pid)
    assert list(served) == [spec(server.address)], served
    assert "127.0.0.1:9933" not in server.output()
    assert f"listening on {spec(server.address)} (from systemd)" in server.output()
    for _ in range(5):
        assert answers(server.address)

    before = set(child_pids(server.pid))
    server.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: reloaded(server, 1), message="the reload")
    # Every child now is of the new generation (fork mode has none between connections).
    wait_until(lambda: not before & {pid for pid in child_pids(server.pid) if not is_gone(pid)},
               timeout=30, message="the old generation to leave")

    for _ in range(5):
        assert answers(server.address)
    assert listening_sockets(server.pid) == served, "the very socket systemd passed, no other"
    assert "reload failed" not in server.output()

    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=30) == 0


def test_a_listen_setting_is_served_beside_the_systemd_socket_and_both_survive_a_reload(
        activated):
    server = activated("tcp", listen=["127.0.0.1:0"], **POOLS["hybrid"])
    server.activate()
    opened = re.search(r"listening on (127\.0\.0\.1):(\d+)\n", server.output())
    assert opened, server.output()
    own = (opened.group(1), int(opened.group(2)))

    served = listening_sockets(server.pid)
    assert set(served) == {spec(server.address), spec(own)}
    assert answers(server.address) and answers(own)

    server.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: reloaded(server, 1), message="the reload")

    assert listening_sockets(server.pid) == served
    assert answers(server.address) and answers(own)


@pytest.mark.parametrize("mode", ["fork", "hybrid"])
def test_a_listen_entry_naming_the_systemd_socket_marks_it_proxy_protocol_across_a_reload(
        activated, mode, tmp_path):
    access_log = tmp_path / f"access-{mode}.log"
    server = activated("tcp", mode=mode, access_log=str(access_log), **POOLS[mode])
    # The entry names the socket systemd passes: only its address is known now, and forkd
    # reads its configuration when systemd starts it.
    write_config(server.config_path, {"mode": mode, "access_log": str(access_log),
                                      "listen": [spec(server.address) + " proxy_protocol"],
                                      **POOLS[mode]})

    def through_a_proxy(client):
        with connect(server.address) as conn:
            conn.send(f"PROXY TCP4 {client} 127.0.0.1 4711 80\r\n"
                      "GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode())
            assert conn.read_response().status == 200
        wait_until(lambda: access_log.exists() and any(
            line.startswith(client + " ") for line in access_log.read_text().splitlines()),
            message=f"{client} in the access log")

    through_a_proxy("198.51.100.1")  # the first connection starts forkd
    wait_until(lambda: "serving in" in server.output(), message="forkd's start")
    assert f"{spec(server.address)} expects the PROXY protocol" in server.output()
    server.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: reloaded(server, 1), message="the reload")
    through_a_proxy("198.51.100.2")


HOLDER = """
import os, sys, time
flag, forkd, config = sys.argv[1:]
deadline = time.monotonic() + 60  # systemd's socket unit, holding the socket between runs
while not os.path.exists(flag):
    if time.monotonic() > deadline:
        sys.exit("holder: the test never asked for the next run")
    time.sleep(0.02)
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(forkd, [forkd, "-c", config])
"""


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_a_stop_leaves_the_socket_to_systemd_and_the_next_start_answers_what_queued(
        activated, tmp_path, kind):
    """systemd holds the socket between two runs of the service (a restart) and queues
    connections for the next one: a graceful stop must neither shut the socket down nor
    remove its file. A helper forked before forkd holds the socket as systemd does, and
    becomes the next run when the test says so."""
    holder = tmp_path / "holder.py"
    holder.write_text(HOLDER)
    restart, holder_pid = tmp_path / "restart", tmp_path / "holder.pid"
    settings = {"mode": "hybrid", **POOLS["hybrid"]}
    if kind == "unix":  # `listen` names systemd's socket: forkd must still not remove it
        settings["listen"] = [f"unix:{tmp_path / 'server-0' / 'forkd.sock'}"]
    wrapper = ["/bin/sh", "-c",
               f'"{sys.executable}" "$0" "{restart}" "$1" "$3" & echo $! > "{holder_pid}"; '
               'exec "$@"', str(holder)]
    server = activated(kind, wrapper=wrapper, **settings)
    server.activate()
    second = int(holder_pid.read_text())
    try:
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=30) == 0

        with connect(server.address) as queued:  # refused if the socket had been shut down
            queued.send(b"GET /?queued HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            restart.touch()
            response = queued.read_response()
        assert response.status == 200 and response.body == b"this is server"
        assert listening_sockets(second).keys() == {spec(server.address)}
    finally:
        # The helper waiting, or the next run: SIGTERM stops either (sh made the helper, a
        # background job, ignore SIGINT).
        if not is_gone(second):
            os.kill(second, signal.SIGTERM)
            try:
                wait_until(lambda: is_gone(second), timeout=30, message="the next run to stop")
            except AssertionError:
                os.kill(second, signal.SIGKILL)
                raise


# Readiness: what systemd's Type=notify is told.

@pytest.mark.parametrize("mode", ["fork", "prefork", "hybrid"])
def test_ready_after_start_reloading_then_ready_around_a_reload_stopping_on_sigterm(
        server, tmp_path, monkeypatch, mode):
    notify = NotifySocket(tmp_path / "notify.sock")
    monkeypatch.setenv("NOTIFY_SOCKET", notify.path)
    try:
        srv = server(mode=mode, **POOLS[mode])
        ready = notify.wait_for("READY=1")
        assert ready == 0, notify.messages()
        assert answers(srv.address)  # ready means serving

        srv.signal(signal.SIGHUP)
        reloading = notify.wait_for("RELOADING=1", after=ready + 1)
        notify.wait_for("READY=1", after=reloading + 1)
        assert "configuration generation 1 in force" in srv.log()
        assert answers(srv.address)
        assert not any("STOPPING=1" in message for message in notify.messages())

        srv.signal(signal.SIGTERM)
        notify.wait_for("STOPPING=1", after=reloading + 1)
        assert srv.wait_exit(timeout=30) == 0
    finally:
        notify.close()


def test_single_mode_reports_ready_and_stopping_too(server, tmp_path, monkeypatch):
    notify = NotifySocket(tmp_path / "notify.sock")
    monkeypatch.setenv("NOTIFY_SOCKET", notify.path)
    try:
        srv = server(mode="single")
        assert notify.wait_for("READY=1") == 0
        assert answers(srv.address)

        srv.signal(signal.SIGTERM)
        notify.wait_for("STOPPING=1")
        assert srv.wait_exit(timeout=30) == 0
    finally:
        notify.close()


def test_a_binary_upgrade_hands_the_systemd_socket_on_and_names_the_new_main_pid(
        activated, tmp_path):
    notify = NotifySocket(tmp_path / "notify.sock")
    pid_file = tmp_path / "forkd.pid"
    server = activated("tcp", env={"NOTIFY_SOCKET": notify.path}, mode="prefork",
                       pid_file=str(pid_file), **POOLS["prefork"])
    new_master = None
    try:
        server.activate()
        ready = notify.wait_for("READY=1")
        served = listening_sockets(server.pid)

        server.proc.send_signal(signal.SIGUSR2)
        def another_pid():
            pid = pid_in(pid_file)
            return pid if pid != server.pid else None
        new_master = wait_until(another_pid, message="the new master's pid file")
        main_pid = notify.wait_for(f"MAINPID={new_master}", after=ready + 1)
        assert "READY=1" in notify.messages()[main_pid].splitlines()
        # Handed on as systemd's: served though `listen` is not set, and no default opened.
        assert listening_sockets(new_master) == served
        assert "127.0.0.1:9933" not in server.output()

        server.proc.send_signal(signal.SIGWINCH)
        wait_until(lambda: [pid for pid in child_pids(server.pid) if not is_gone(pid)]
                   == [new_master], timeout=30, message="the old master's workers to leave")
        server.proc.send_signal(signal.SIGQUIT)
        assert server.proc.wait(timeout=30) == 0
        # The old master leaving is not the service stopping: systemd would stop it all.
        assert not any("STOPPING=1" in m for m in notify.messages()), notify.messages()
        for _ in range(5):
            assert answers(server.address)

        os.kill(new_master, signal.SIGTERM)
        notify.wait_for("STOPPING=1", after=main_pid + 1)
        wait_until(lambda: is_gone(new_master), timeout=30, message="the new master to exit")
        new_master = None
    finally:
        # Not the test's child: stopped by pid, also when the test failed before it knew it.
        new_master = new_master or pid_in(pid_file)
        if new_master not in (None, server.pid) and not is_gone(new_master):
            os.kill(new_master, signal.SIGINT)
            wait_until(lambda: is_gone(new_master), timeout=15, message="the new master")
        notify.close()


def pid_in(path):
    """The pid a pid file names, or None while it is missing (renamed .oldbin) or empty."""
    try:
        return int(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
