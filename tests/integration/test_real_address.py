"""The client's real address behind a proxy (docs/operations.md, "The client's real
address"), with the real proxies in front, each started by the test on loopback:

- haproxy with `send-proxy-v2` to a `listen` entry marked `proxy_protocol`, and its health
  checks (`check`, sent with the PROXY v2 LOCAL command);
- nginx's stream module with `proxy_protocol on` (PROXY v1) to the same entry;
- nginx's HTTP proxy adding `X-Forwarded-For` and `X-Forwarded-Proto` on a plain entry,
  from an address in `trusted_proxies`.

Loopback has room for several addresses: curl connects from 127.0.0.5 (the client), haproxy
from 127.0.0.4, nginx's HTTP proxy from 127.0.0.3 (the one trusted proxy). What forkd
believes shows in the access log and in a CGI program's REMOTE_ADDR, HTTPS and
REQUEST_SCHEME, in hybrid and prefork modes. Then the refusals: a trusted header from an
untrusted peer, a malformed PROXY header, a proxy that sends nothing; and the per-listener
flag after a reload and a binary upgrade."""
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from cgi_support import curl
from conftest import Server, child_pids, process_state, stop_process, wait_until

HAPROXY = shutil.which("haproxy", path="/usr/sbin:/usr/bin:" + os.environ["PATH"])
NGINX = shutil.which("nginx", path="/usr/sbin:/usr/bin:" + os.environ["PATH"])
STREAM_MODULE = Path("/usr/lib/nginx/modules/ngx_stream_module.so")

CLIENT = "127.0.0.5"
HAPROXY_SOURCE = "127.0.0.4"
TRUSTED_PROXY = "127.0.0.3"

ENV_SCRIPT = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
printf 'REMOTE_ADDR=%s\\nREMOTE_PORT=%s\\nHTTPS=%s\\nREQUEST_SCHEME=%s\\n' \\
    "$REMOTE_ADDR" "$REMOTE_PORT" "$HTTPS" "$REQUEST_SCHEME"
"""

HAPROXY_CONFIG = """\
global
    maxconn 256
    pidfile {dir}/haproxy.pid

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend web
    bind 127.0.0.1:{port}
    default_backend forkd

backend forkd
    option httpchk GET /healthz
    http-check expect status 200
    server s0 127.0.0.1:{forkd_port} send-proxy-v2 check inter 200ms source {source}
"""

NGINX_CONFIG = """\
load_module {stream_module};
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
daemon off;

events {{
    worker_connections 128;
}}

stream {{
    server {{
        listen 127.0.0.1:{stream_port};
        proxy_pass 127.0.0.1:{proxy_protocol_port};
        proxy_protocol on;
    }}
}}

http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;

    server {{
        listen 127.0.0.1:{http_port};
        location / {{
            proxy_pass http://127.0.0.2:{plain_port};
            proxy_bind {trusted};
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
        }}
    }}
}}
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Peer:
    """haproxy or nginx in the foreground with `config` (a format string taking `dir` and
    the ports chosen), retried on another free port if one was taken meanwhile."""

    def __init__(self, command, workdir, config, ready, **ports):
        self.dir = Path(workdir)
        self.dir.mkdir(exist_ok=True)
        for _ in range(5):
            self.ports = {name: free_port() for name in ports.get("names", ())}
            text = config.format(dir=self.dir, **self.ports, **ports.get("values", {}))
            path = self.dir / "peer.cfg"
            path.write_text(text)
            self.output = open(self.dir / "output.log", "ab")
            self.proc = subprocess.Popen([*command, str(path)], stdout=self.output,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            try:
                wait_until(lambda: self.proc.poll() is not None or ready(self), timeout=15,
                           message=f"{command[0]} to answer")
            except AssertionError:
                self.stop()
                raise
            if self.proc.poll() is None:
                return
            self.output.close()
        raise AssertionError(f"{command[0]} did not start: "
                             f"{(self.dir / 'output.log').read_text(errors='replace')}")

    def stop(self):
        stop_process(self.proc, signal.SIGTERM, timeout=15)
        self.output.close()


def answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def listening(srv):
    """forkd's addresses in the order of `listen`: [proxy_protocol entry, plain entry]."""
    return [(host, int(port)) for host, port in
            re.findall(r"listening on ([\d.]+):(\d+)", srv.log())[:2]]


def cgi_env(*curl_args):
    """The variables the CGI program saw, fetched with curl from CLIENT."""
    out = curl("--interface", CLIENT, *curl_args).stdout.decode()
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def access_hosts(srv, path):
    """The client field of each access-log line for `path`."""
    log = Path(srv.workdir / "access.log")
    text = log.read_text() if log.exists() else ""
    return [line.split(" ", 1)[0] for line in text.splitlines() if f" {path} " in line]


def raw_exchange(address, data, timeout=5.0):
    """Sends `data` from CLIENT and reads until the server closes: (bytes, seconds)."""
    started = time.monotonic()
    with socket.create_connection(address, timeout=timeout, source_address=(CLIENT, 0)) as sock:
        if data:
            sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received, time.monotonic() - started


def proxy_v1(source, path, port=4711):
    return (f"PROXY TCP4 {source} 127.0.0.1 {port} 80\r\n"
            f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").encode()


def start_forkd(workdir, mode):
    cgi_dir = Path(workdir) / "cgi"
    cgi_dir.mkdir(parents=True)
    script = cgi_dir / "env.sh"
    script.write_text(ENV_SCRIPT)
    script.chmod(0o755)
    settings = {
        "mode": mode,
        "workers": 2,
        "listen": ["127.0.0.1:0 proxy_protocol", "127.0.0.2:0"],
        "trusted_proxies": [TRUSTED_PROXY],
        "access_log": str(Path(workdir) / "access.log"),
        "status_path": "/status",
        "health_path": "/healthz",
        "cgi": [f"/cgi-bin/={cgi_dir}"],
        "client_header_timeout": "1s",
        "pid_file": str(Path(workdir) / "forkd.pid"),
    }
    if mode == "hybrid":
        settings["io_workers"] = 1
    srv = Server(workdir, settings, new_session=True)
    wait_until(lambda: len(listening(srv)) == 2, message="both listeners")
    return srv


@pytest.fixture(scope="module", params=["hybrid", "prefork"])
def stack(request, tmp_path_factory):
    if HAPROXY is None or NGINX is None or not STREAM_MODULE.exists():
        pytest.skip("haproxy, nginx or nginx's stream module (libnginx-mod-stream) missing")
    workdir = tmp_path_factory.mktemp(f"real-address-{request.param}")
    srv = start_forkd(workdir / "forkd", request.param)
    (proxy_host, proxy_port), (plain_host, plain_port) = listening(srv)
    haproxy = nginx = None
    try:
        haproxy = Peer([HAPROXY, "-db", "-f"], workdir / "haproxy", HAPROXY_CONFIG,
                       lambda peer: answers(peer.ports["port"]),
                       names=["port"], values={"forkd_port": proxy_port, "source": HAPROXY_SOURCE})
        nginx = Peer([NGINX, "-p", str(workdir / "nginx"), "-e", str(workdir / "nginx" / "early.log"),
                      "-c"], workdir / "nginx", NGINX_CONFIG,
                     lambda peer: answers(peer.ports["stream_port"]) and answers(peer.ports["http_port"]),
                     names=["stream_port", "http_port"],
                     values={"stream_module": STREAM_MODULE, "proxy_protocol_port": proxy_port,
                             "plain_port": plain_port, "trusted": TRUSTED_PROXY})
        yield {"forkd": srv, "haproxy": haproxy, "nginx": nginx,
               "proxy_protocol": (proxy_host, proxy_port), "plain": (plain_host, plain_port)}
    finally:
        for peer in (nginx, haproxy):
            if peer is not None:
                peer.stop()
        srv.stop()


def url(port, path):
    return f"http://127.0.0.1:{port}{path}"


def test_haproxy_send_proxy_v2_gives_the_client_address_to_cgi_and_the_log(stack):
    env = cgi_env(url(stack["haproxy"].ports["port"], "/cgi-bin/env.sh?haproxy"))
    assert env["REMOTE_ADDR"] == CLIENT
    assert env["REMOTE_PORT"].isdigit()
    assert env["HTTPS"] == "" and env["REQUEST_SCHEME"] == "http"
    wait_until(lambda: CLIENT in access_hosts(stack["forkd"], "/cgi-bin/env.sh?haproxy"),
               message="the client's address in the access log")


def test_haproxys_local_health_checks_are_served_with_haproxys_own_address(stack):
    # `check` over a send-proxy-v2 server sends the LOCAL command: the address stays the
    # connection's own, and the check must pass (else haproxy would answer 503).
    wait_until(lambda: HAPROXY_SOURCE in access_hosts(stack["forkd"], "/healthz"),
               message="a health check from haproxy's own address")
    hosts = access_hosts(stack["forkd"], "/healthz")
    assert set(hosts) == {HAPROXY_SOURCE}
    assert "not a valid PROXY protocol header" not in stack["forkd"].log()


def test_nginx_stream_proxy_protocol_gives_the_client_address(stack):
    env = cgi_env(url(stack["nginx"].ports["stream_port"], "/cgi-bin/env.sh?stream"))
    assert env["REMOTE_ADDR"] == CLIENT
    wait_until(lambda: CLIENT in access_hosts(stack["forkd"], "/cgi-bin/env.sh?stream"),
               message="the client's address in the access log")


def test_a_trusted_nginx_names_the_client_and_its_https(stack):
    # The client's own X-Forwarded-For entry is on the left of the address nginx appends:
    # the rightmost address that is not a trusted proxy is the client.
    env = cgi_env("-H", "X-Forwarded-For: 203.0.113.9",
                  url(stack["nginx"].ports["http_port"], "/cgi-bin/env.sh?nginx"))
    assert env["REMOTE_ADDR"] == CLIENT
    assert env["REMOTE_PORT"] == ""  # X-Forwarded-For names no port
    assert env["HTTPS"] == "on" and env["REQUEST_SCHEME"] == "https"
    wait_until(lambda: CLIENT in access_hosts(stack["forkd"], "/cgi-bin/env.sh?nginx"),
               message="the client's address in the access log")


def test_an_untrusted_peers_forwarding_headers_are_ignored(stack):
    _, plain_port = stack["plain"]
    env = cgi_env("-H", "X-Forwarded-For: 203.0.113.9", "-H", "X-Forwarded-Proto: https",
                  "-H", "Forwarded: for=198.51.100.7;proto=https",
                  f"http://127.0.0.2:{plain_port}/cgi-bin/env.sh?direct")
    assert env["REMOTE_ADDR"] == CLIENT
    assert env["HTTPS"] == "" and env["REQUEST_SCHEME"] == "http"
    # The status page takes such a client for a proxied one, not for a local one.
    status = curl("--interface", CLIENT, "-o", "/dev/null", "-w", "%{http_code}",
                  "-H", "X-Forwarded-For: 127.0.0.1", f"http://127.0.0.2:{plain_port}/status",
                  check=False).stdout
    assert status == b"403"


def test_status_allow_checks_the_client_a_proxy_names(stack):
    # Through the trusted nginx, the loopback client is local.
    status = curl("--interface", CLIENT, "-o", "/dev/null", "-w", "%{http_code}",
                  url(stack["nginx"].ports["http_port"], "/status"), check=False).stdout
    assert status == b"200"
    # On the proxy_protocol listener, the client the header names is the one checked.
    answer, _ = raw_exchange(stack["proxy_protocol"], proxy_v1("203.0.113.9", "/status"))
    assert answer.startswith(b"HTTP/1.1 403"), answer[:100]
    answer, _ = raw_exchange(stack["proxy_protocol"], proxy_v1("127.0.0.9", "/status"))
    assert answer.startswith(b"HTTP/1.1 200"), answer[:100]


def test_a_malformed_proxy_header_closes_the_connection_unanswered(stack):
    for data in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                 b"PROXY TCP4 203.0.113.9 127.0.0.1 99999 80\r\nGET / HTTP/1.1\r\n\r\n",
                 b"\r\n\r\n\x00\r\nQUIT\n\x21\x12\x00\x0c" + bytes(12)):
        answer, _ = raw_exchange(stack["proxy_protocol"], data)
        assert answer == b"", data
    assert "not a valid PROXY protocol header" in stack["forkd"].log()


def test_a_proxy_that_sends_nothing_is_closed_at_the_header_deadline(stack):
    answer, seconds = raw_exchange(stack["proxy_protocol"], b"", timeout=10)
    assert answer == b""
    assert 0.9 <= seconds < 5, seconds  # client_header_timeout = 1s
    # Half a header, then silence: the same.
    answer, seconds = raw_exchange(stack["proxy_protocol"], b"PROXY TCP4 203.0.113.9", timeout=10)
    assert answer == b"" and 0.9 <= seconds < 5, seconds


def live_children(pid):
    return [child for child in child_pids(pid) if process_state(child) not in (None, "Z")]


def expects_proxy_header(stack, tag):
    """The proxy_protocol entry still reads a header (the address it names is logged), and the
    plain entry still reads none."""
    answer, _ = raw_exchange(stack["proxy_protocol"], proxy_v1("198.51.100.20", f"/?{tag}"))
    assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
    wait_until(lambda: "198.51.100.20" in access_hosts(stack["forkd"], f"/?{tag}"),
               message="the PROXY header's address in the access log")
    answer, _ = raw_exchange(stack["plain"], proxy_v1("198.51.100.21", f"/?{tag}-plain"))
    assert answer.startswith(b"HTTP/1.1 400"), answer[:100]


def test_the_proxy_protocol_flag_survives_a_reload(stack):
    srv = stack["forkd"]
    before = set(live_children(srv.pid))
    marks = srv.log().count("expects the PROXY protocol")
    srv.signal(signal.SIGHUP)
    wait_until(lambda: srv.log().count("expects the PROXY protocol") > marks,
               message="the reload to plan the listeners again")
    wait_until(lambda: not before & set(live_children(srv.pid)), timeout=30,
               message="the old generation to leave")
    expects_proxy_header(stack, "after-reload")


def test_the_proxy_protocol_flag_survives_a_binary_upgrade(tmp_path):
    srv = start_forkd(tmp_path, "hybrid")
    pid_file = tmp_path / "forkd.pid"
    stack = {"forkd": srv, "proxy_protocol": listening(srv)[0], "plain": listening(srv)[1]}
    new_master = None
    try:
        srv.signal(signal.SIGUSR2)
        new_master = int(wait_until(
            lambda: pid_file.exists() and pid_file.read_text().strip() != str(srv.pid)
            and pid_file.read_text().strip(), message="the new master's pid file"))
        wait_until(lambda: len(live_children(new_master)) == 3, timeout=20,
                   message="the new master's workers")
        os.kill(srv.pid, signal.SIGQUIT)  # the old master leaves; the new one serves alone
        srv.wait_exit(timeout=30)
        expects_proxy_header(stack, "after-upgrade")
    finally:
        if new_master is not None:
            os.kill(new_master, signal.SIGTERM)
            wait_until(lambda: process_state(new_master) in (None, "Z"), timeout=30,
                       message="the new master to stop")
        srv.stop()
