"""`reuse_port`: SO_REUSEPORT on forkd's TCP listeners (docs/deployment.md, "Sharing a
port"). Two instances that both set it listen on one port and both serve; one
that does not cannot start beside another, and says why; and the first stopping (SIGQUIT)
while a client loop hits the port costs the clients nothing: new connections go to the
second, and those still queued on the first's socket are moved to the second's."""
import os
import signal
import subprocess
from pathlib import Path

import pytest

from client_loop import ClientLoop
from conftest import CONCURRENT_MODES, FORKD_BIN, MODES, process_title, wait_until
from http_client import Connection, get


def access_lines(srv):
    path = Path(srv.access_log)
    return path.read_text().count("\n") if path.exists() else 0


def start_pair(server, tmp_path, mode, **settings):
    """Two instances with reuse_port on one port: the first on a free one, the second on it.
    Each has its own access log, which tells who served what."""
    first = server(mode=mode, reuse_port=True, access_log=str(tmp_path / "first.log"), **settings)
    second = server(mode=mode, reuse_port=True, access_log=str(tmp_path / "second.log"),
                    listen=[f"127.0.0.1:{first.port}"], **settings)
    assert second.port == first.port
    first.access_log, second.access_log = tmp_path / "first.log", tmp_path / "second.log"
    return first, second


@pytest.mark.parametrize("mode", MODES)
def test_two_instances_share_a_port_and_both_serve(server, tmp_path, mode):
    first, second = start_pair(server, tmp_path, mode)
    # The kernel picks a socket of the group by a hash of each connection's addresses: new
    # connections (each from a new source port) reach both instances soon.
    def both_served():
        response = get(first.address, "/", timeout=10)
        assert response.status == 200 and response.body == b"this is server"
        return access_lines(first) > 0 and access_lines(second) > 0

    wait_until(both_served, timeout=20, interval=0, message="requests reaching both instances")


def start_alone(port, reuse_port, workdir):
    """forkd on 127.0.0.1:`port`, expected to fail at once: (exit code, what it wrote)."""
    config = Path(workdir) / "forkd.toml"
    config.write_text(f'listen = ["127.0.0.1:{port}"]\nreuse_port = {str(reuse_port).lower()}\n')
    done = subprocess.run([FORKD_BIN, "-c", str(config)], capture_output=True, text=True,
                          timeout=20, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("first_reuses, second_reuses", [(False, False), (True, False),
                                                         (False, True)],
                         ids=["neither", "only-the-first", "only-the-second"])
def test_without_reuse_port_on_both_the_second_cannot_start(server, tmp_path, first_reuses,
                                                             second_reuses):
    first = server(mode="prefork", workers=1, reuse_port=first_reuses)
    code, output = start_alone(first.port, second_reuses, tmp_path)
    assert code != 0, output
    address = f"127.0.0.1:{first.port}"
    assert f"forkd: {address}: cannot listen: Address already in use" in output, output
    if second_reuses:
        assert "reuse_port shares a port only among servers that all set it" in output
    else:
        assert "servers that all set reuse_port can share a port" in output
    # The first is untouched.
    assert get(first.address, "/", timeout=10).status == 200


@pytest.mark.parametrize("mode", CONCURRENT_MODES)
def test_stopping_one_instance_hands_the_port_to_the_other(server, tmp_path, mode):
    first, second = start_pair(server, tmp_path, mode)
    skip_without_migration(first)
    with ClientLoop(first.address, threads=2, pause=0.002) as loop:
        wait_until(lambda: access_lines(first) > 0 and access_lines(second) > 0, timeout=20,
                   message="the loop's requests reaching both instances")
        first.signal(signal.SIGQUIT)
        assert first.wait_exit(timeout=30) == 0
        served_by_second = access_lines(second)
        wait_until(loop.served_at_least(200), timeout=30, message="200 more requests")
        loop.stop()
    assert loop.failures == [], f"{len(loop.failures)} failed: {loop.failures[:5]}"
    # Everything after the first left went to the second (whose log line for a request may
    # follow its response by a moment), but for the one response per client thread that the
    # first may have sent before it left and that was counted only after.
    wait_until(lambda: access_lines(second) >= served_by_second + 200 - 2, timeout=10,
               message="the second's log lines for the requests after the first left")


def skip_without_migration(srv):
    # Unless the kernel moves the connections queued on a closing socket to another of its
    # port, the few that arrived in the last instant before a stop are reset: forkd says so
    # at start when it cannot ask for it.
    if "will be reset, not moved" in srv.log():
        pytest.skip("no migration of queued connections here (forkd runs without root or "
                    "CAP_BPF, and net.ipv4.tcp_migrate_req is 0): " + srv.log())


def accept_queue(pid, port):
    """Connections waiting in the accept queue of `pid`'s listening socket on `port`, from
    /proc/net/tcp (for a listener, its rx_queue column), or None when there is no such socket."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, queues, inode = fields[1], fields[3], fields[4], fields[9]
        if state == "0A" and int(local.split(":")[1], 16) == port and inode in inodes:
            return int(queues.split(":")[1], 16)
    return None


def busy(pids):
    return sum("busy" in (process_title(pid) or "") for pid in pids)


def test_connections_queued_on_a_stopping_instance_move_to_the_other(server):
    # The first's one worker sleeps on a request, so that the connections the kernel gives
    # it wait in its socket's queue; the second (hybrid) answers `/` at once, whatever else
    # it does, and has app workers enough for the sleeping requests that reach it instead.
    first = server(mode="prefork", workers=1, reuse_port=True)
    second = server(mode="hybrid", workers=16, reuse_port=True,
                    listen=[f"127.0.0.1:{first.port}"])
    skip_without_migration(first)
    worker = wait_until(lambda: first.children(), message="the first's worker")[0]
    sleepers = []
    while not busy([worker]):
        assert len(sleepers) < 16, "no sleeping request reached the first"
        sleeper = Connection(first.address, timeout=60)
        sleeper.send(b"GET /?sleep=20 HTTP/1.1\r\nHost: x\r\n\r\n")
        sleepers.append(sleeper)
        wait_until(lambda: busy([worker]) + busy(second.children()) == len(sleepers),
                   timeout=10, message="the sleeping request to be taken")
    clients = []
    for _ in range(40):
        client = Connection(first.address, timeout=30)
        client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        clients.append(client)
    # About half of them, by the kernel's hash.
    queued = wait_until(lambda: accept_queue(first.pid, first.port), timeout=10,
                        message="connections queued on the first's socket")
    first.signal(signal.SIGQUIT)
    answers = []
    for client in clients:
        response = client.read_response()  # a reset connection raises here
        answers.append((response.status, response.body))
    assert answers == [(200, b"this is server")] * len(clients), f"{queued} were queued"
    assert accept_queue(first.pid, first.port) is None  # the first has closed its socket
    for connection in sleepers + clients:
        connection.sock.close()


def test_a_reload_that_changes_reuse_port_keeps_the_socket_and_says_so(server):
    srv = server(mode="prefork", workers=1, reuse_port=False)
    config = srv.config_path.read_text()
    srv.config_path.write_text(config.replace("reuse_port = false", "reuse_port = true"))
    srv.signal(signal.SIGHUP)
    wait_until(lambda: "configuration generation 1 in force" in srv.log(), timeout=20,
               message="the reload")
    assert (f"reuse_port is on but 127.0.0.1:{srv.port} was opened with it off and is kept as "
            "it is: restart forkd to change it") in srv.log()
    assert get(srv.address, "/", timeout=10).status == 200
