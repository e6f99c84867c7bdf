"""Several forkd instances behind a load balancer, as docs/deployment.md sets them up: haproxy
(active HTTP health checks on `health_path`) or nginx (passive checks, the next upstream on
an error), both on loopback in front of two hybrid instances. Requests are spread across
both; one instance stopping gracefully (SIGTERM) or reloading (SIGHUP) under a steady
client loop costs the clients nothing."""
import os
import re
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from client_loop import ClientLoop
from conftest import stop_process, wait_until
from haproxy_front import servers_up
from http_client import get

BALANCERS = {"haproxy": shutil.which("haproxy", path="/usr/sbin:/usr/bin:" + os.environ["PATH"]),
             "nginx": shutil.which("nginx", path="/usr/sbin:/usr/bin:" + os.environ["PATH"])}


def free_port():
    """A port nobody listens on right now, for the balancer's own address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


HAPROXY_CONFIG = """\
global
    maxconn 1024
    stats socket {dir}/admin.sock level admin
    pidfile {dir}/haproxy.pid

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    retry-on conn-failure empty-response
    option redispatch

frontend web
    bind 127.0.0.1:{port}
    default_backend forkd

backend forkd
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server check inter 100ms fall 2 rise 2
{servers}
"""

NGINX_CONFIG = """\
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
daemon off;

events {{
    worker_connections 512;
}}

http {{
    access_log off;
    client_body_temp_path {dir}/nginx-body;
    proxy_temp_path {dir}/nginx-proxy;
    fastcgi_temp_path {dir}/nginx-fastcgi;
    uwsgi_temp_path {dir}/nginx-uwsgi;
    scgi_temp_path {dir}/nginx-scgi;

    upstream forkd {{
{servers}
        keepalive 16;
    }}

    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://forkd;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
}}
"""


class Balancer:
    """haproxy or nginx on a free loopback port in front of `backends` ((host, port) each),
    started in the foreground; stop() ends it by its pid."""

    def __init__(self, kind, workdir, backends):
        self.kind = kind
        self.dir = Path(workdir)
        self.dir.mkdir()
        self.output_path = self.dir / "output.log"
        for _ in range(5):  # the port picked may be taken before the balancer binds it
            self.port = free_port()
            if self._start(backends):
                return
        raise AssertionError(f"{kind} did not start:\n{self.output()}")

    def _start(self, backends):
        config = self.dir / f"{self.kind}.cfg"
        if self.kind == "haproxy":
            servers = "\n".join(f"    server s{i} {host}:{port}"
                                for i, (host, port) in enumerate(backends))
            config.write_text(HAPROXY_CONFIG.format(dir=self.dir, port=self.port, servers=servers))
            command = [BALANCERS["haproxy"], "-db", "-f", str(config)]
        else:
            servers = "\n".join(f"        server {host}:{port} max_fails=1 fail_timeout=10s;"
                                for host, port in backends)
            config.write_text(NGINX_CONFIG.format(dir=self.dir, port=self.port, servers=servers))
            command = [BALANCERS["nginx"], "-p", str(self.dir), "-e", str(self.dir / "early.log"),
                       "-c", str(config)]
        self.log_file = open(self.output_path, "ab")
        self.proc = subprocess.Popen(command, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        try:
            wait_until(lambda: self.proc.poll() is not None or self._answers(), timeout=15,
                       message=f"{self.kind} to answer")
        except AssertionError:
            self.stop()
            raise
        if self.proc.poll() is None:
            return True
        self.log_file.close()
        return False

    def _answers(self):
        try:
            return get(self.address, "/", timeout=5).status == 200
        except OSError:
            return False

    @property
    def address(self):
        return ("127.0.0.1", self.port)

    def output(self):
        return self.output_path.read_text(errors="replace")

    def server_states(self):
        """haproxy only: {server name: True when it is up}, from its admin socket."""
        return servers_up(self.dir / "admin.sock")

    def stop(self):
        stop_process(self.proc, signal.SIGTERM, timeout=15)  # both: a fast stop of their own
        self.log_file.close()


@pytest.fixture(params=["haproxy", "nginx"])
def balanced(request, server, tmp_path):
    """Two hybrid instances with a health check and an access log each, and a balancer."""
    if BALANCERS[request.param] is None:
        pytest.skip(f"{request.param} is not installed")
    instances = []
    for name in ("a", "b"):
        access_log = tmp_path / f"access-{name}.log"
        srv = server(mode="hybrid", io_workers=1, workers=2, health_path="/healthz",
                     access_log=str(access_log))
        srv.access_log = access_log
        instances.append(srv)
    balancer = Balancer(request.param, tmp_path / request.param, [srv.address for srv in instances])
    if balancer.kind == "haproxy":
        wait_until(lambda: set(balancer.server_states().values()) == {True},
                   message="both instances up in haproxy")
    yield balancer, instances
    balancer.stop()


def served(srv):
    """Requests for / the instance logged, health checks aside."""
    if not srv.access_log.exists():
        return 0
    return sum(1 for line in srv.access_log.read_text().splitlines() if '"GET / HTTP' in line)


def test_requests_are_spread_across_both_instances(balanced):
    balancer, (a, b) = balanced
    before = served(a) + served(b)

    for _ in range(20):
        response = get(balancer.address, "/")
        assert response.status == 200 and response.body == b"this is server"

    wait_until(lambda: served(a) + served(b) >= before + 20, message="20 access log lines")
    assert served(a) >= 5 and served(b) >= 5, (served(a), served(b))


def test_a_graceful_stop_of_one_instance_under_load_fails_no_request(balanced):
    balancer, (a, b) = balanced
    with ClientLoop(balancer.address) as clients:
        wait_until(clients.served_at_least(50), timeout=30, message="load on both")

        a.signal(signal.SIGTERM)
        assert a.wait_exit(timeout=30) == 0
        if balancer.kind == "haproxy":
            wait_until(lambda: balancer.server_states()["s0"] is False,
                       message="haproxy to take the stopped instance out")
        b_before = served(b)
        wait_until(clients.served_at_least(100), timeout=30, message="load after the stop")
    assert clients.failures == [], f"{len(clients.failures)} failed: {clients.failures[:3]}"
    wait_until(lambda: served(b) >= b_before + 100, message="the other instance serving it all")


def test_a_reload_of_one_instance_under_load_fails_no_request(balanced):
    balancer, (a, b) = balanced
    with ClientLoop(balancer.address) as clients:
        wait_until(clients.served_at_least(50), timeout=30, message="load on both")

        a.signal(signal.SIGHUP)
        wait_until(lambda: "configuration generation 1 in force" in a.log(),
                   message="the reload")
        a_before = served(a)
        wait_until(clients.served_at_least(100), timeout=30, message="load after the reload")
    assert clients.failures == [], f"{len(clients.failures)} failed: {clients.failures[:3]}"
    # Still in the pool: the reloaded instance takes its share.
    wait_until(lambda: served(a) >= a_before + 20, message="the reloaded instance serving")
    if balancer.kind == "haproxy":
        assert balancer.server_states()["s0"] is True
        assert not re.search(r"Server forkd/s0 is DOWN", balancer.output()), balancer.output()
