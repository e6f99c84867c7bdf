"""deploy/haproxy/forkd.cfg run for real: its `defaults` and `backend` as they are, in front
of the forkd instances a test started, and the few readers of forkd and haproxy settings the
tests that use it share (test_deploy_files.py, test_rolling_restart.py)."""
import os
import re
import shutil
import signal
import socket
import subprocess
from pathlib import Path

from conftest import stop_process

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
HAPROXY_CFG = DEPLOY / "haproxy" / "forkd.cfg"
HAPROXY = shutil.which("haproxy", path="/usr/sbin:/usr/bin:" + os.environ["PATH"])


def seconds(value):
    """A forkd duration in seconds: a TOML integer (seconds) or "250ms", "5s", "2m", "1h"."""
    if isinstance(value, int):
        return value
    match = re.fullmatch(r"(\d+)(ms|s|m|h)", value)
    assert match, f"not a duration: {value!r}"
    number, unit = int(match.group(1)), match.group(2)
    return number * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]


def sections(text):
    """{"global": [...lines], "defaults": [...], "frontend web": [...], "backend forkd": [...]}"""
    found, current = {}, None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            current = line.strip()
            found[current] = []
        else:
            found[current].append(line.strip())
    return found


def keyword(lines, prefix):
    matches = [line for line in lines if line.startswith(prefix)]
    assert matches, f"no {prefix!r} line"
    return matches[0]


def haproxy_seconds(text):
    match = re.fullmatch(r"(\d+)(ms|s)?", text)
    return int(match.group(1)) * (0.001 if match.group(2) == "ms" else 1)


def asked_shutdown_delay(text):
    match = re.search(r'^#\s+shutdown_delay = "([^"]+)"', text, re.MULTILINE)
    assert match, "the header does not say which shutdown_delay the instances set"
    return match.group(1)


def servers_up(admin_socket):
    """{server name: True when it is up} of backend `forkd`, from haproxy's admin socket
    (`show servers state`; srv_op_state 2 is running). Raises OSError when it cannot ask."""
    with socket.socket(socket.AF_UNIX) as admin:
        admin.settimeout(5)
        admin.connect(str(admin_socket))
        admin.sendall(b"show servers state forkd\n")
        text = b""
        while chunk := admin.recv(65536):
            text += chunk
    return {fields[3]: fields[5] == "2" for fields in map(str.split, text.decode().splitlines())
            if len(fields) > 5 and fields[0].isdigit()}


class Haproxy:
    """deploy/haproxy/forkd.cfg's `defaults` and `backend` as they are, with a global section
    of its own (no chroot, user or daemon: the test's processes), the frontend on a free port
    and the servers replaced by `backends`."""

    def __init__(self, workdir, backends):
        self.dir = Path(workdir)
        config = sections(HAPROXY_CFG.read_text())
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        backend = [line for line in config["backend forkd"] if not line.startswith("server ")]
        backend += [f"server s{i} {host}:{port}" for i, (host, port) in enumerate(backends)]
        text = (f"global\n    stats socket {self.dir}/admin.sock level admin\n\n"
                "defaults\n" + "".join(f"    {line}\n" for line in config["defaults"]) +
                f"\nfrontend web\n    bind 127.0.0.1:{self.port}\n    default_backend forkd\n\n"
                "backend forkd\n" + "".join(f"    {line}\n" for line in backend))
        (self.dir / "haproxy.cfg").write_text(text)
        self.log_file = open(self.dir / "haproxy.log", "wb")
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", str(self.dir / "haproxy.cfg")],
                                     stdout=self.log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def up(self):
        """{server: True when haproxy has it up}, from the admin socket ({} while it has none)."""
        try:
            return servers_up(self.dir / "admin.sock")
        except OSError:
            return {}

    def stop(self):
        stop_process(self.proc, signal.SIGTERM)
        self.log_file.close()
