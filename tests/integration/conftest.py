"""Starts the real forkd binary on an ephemeral port and talks to it.

Every test gets a fresh server from the `server` fixture factory: a temporary directory,
a TOML config written from keyword arguments, `listen = ["127.0.0.1:0"]`, and the bound
port read back from the "listening on" line of the error log. Nothing here sleeps for a
fixed time: every wait polls for its condition with a deadline.
"""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import http_client

FORKD_BIN = os.environ.get("FORKD_BIN", str(Path(__file__).resolve().parents[2] / "build" / "forkd"))


def wait_until(condition, timeout=10.0, interval=0.02, message="condition"):
    """Polls `condition` until it returns a truthy value or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def stop_process(proc, signum=signal.SIGINT, timeout=10):
    """Stops a process the test started: `signum`, then SIGKILL past `timeout` seconds."""
    if proc.poll() is None:
        proc.send_signal(signum)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(path, settings):
    top, tables = [], {}
    for key, value in settings.items():
        if "." in key:
            table, name = key.split(".", 1)
            tables.setdefault(table, []).append(f"{name} = {toml_value(value)}")
        else:
            top.append(f"{key} = {toml_value(value)}")
    text = "\n".join(top) + "\n"
    for table, lines in tables.items():
        text += f"\n[{table}]\n" + "\n".join(lines) + "\n"
    Path(path).write_text(text)


class Server:
    """A running forkd: its process, port, log and helpers to reach it."""

    def __init__(self, workdir, settings, args=(), new_session=False, command_prefix=(),
                 binary=None, env=None):
        self.workdir = Path(workdir)
        self.config_path = self.workdir / "forkd.toml"
        # The error log goes to stderr unless the test sets `error_log`; either way log()
        # reads it, and stderr_path keeps what the process wrote to stdout and stderr.
        self.stderr_path = self.workdir / "stderr.log"
        self.log_path = Path(settings.get("error_log", self.stderr_path))
        settings = {"listen": ["127.0.0.1:0"], **settings}
        write_config(self.config_path, settings)
        self.log_file = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            # command_prefix runs forkd through a wrapper that execs it (`prlimit ...`).
            # `binary`: an embedding program instead of forkd itself (it takes the same flags).
            [*command_prefix, binary or FORKD_BIN, "-c", str(self.config_path), *args],
            env=None if env is None else {**os.environ, **env},
            stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=new_session)
        self.pid = self.proc.pid
        self.port = None
        match = wait_until(self._listening, timeout=10, message="the 'listening on' line")
        self.host, self.port = match.group(1), int(match.group(2))

    def _listening(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"forkd exited with {self.proc.returncode}:\n"
                                 f"{self.stderr_path.read_text(errors='replace')}{self.log()}")
        return re.search(r"listening on ([\d.]+):(\d+)", self.log())

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def address(self):
        return (self.host, self.port)

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def connect(self, timeout=10.0):
        sock = socket.create_connection(self.address, timeout=timeout)
        return sock

    def open(self, timeout=10.0):
        """A raw HTTP connection (http_client.Connection) to this server."""
        return http_client.Connection(self.address, timeout)

    def children(self):
        """PIDs of the master's live children (from /proc), excluding zombies."""
        return [pid for pid in child_pids(self.pid) if process_state(pid) not in (None, "Z")]

    def signal(self, signum):
        os.kill(self.pid, signum)

    def wait_exit(self, timeout=15.0):
        return self.proc.wait(timeout=timeout)

    def stop(self):
        stop_process(self.proc)
        self.log_file.close()


def child_pids(pid):
    """Direct children of `pid`, from /proc/PID/task/*/children."""
    pids = []
    task_dir = Path(f"/proc/{pid}/task")
    try:
        for task in task_dir.iterdir():
            text = (task / "children").read_text()
            pids.extend(int(p) for p in text.split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return pids


def process_state(pid):
    """The one-letter state of `pid` ("R", "S", "Z", ...), or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat[stat.rindex(")") + 2]


def process_title(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return None


@pytest.fixture
def server():
    """Factory: server(mode="fork", **settings) starts forkd and stops it after the test."""
    started = []
    dirs = []

    def start(args=(), new_session=False, command_prefix=(), binary=None, env=None, **settings):
        workdir = tempfile.mkdtemp(prefix="forkd-test-")
        dirs.append(workdir)
        settings = {key.replace("__", "."): value for key, value in settings.items()}
        srv = Server(workdir, settings, args=args, new_session=new_session,
                     command_prefix=command_prefix, binary=binary, env=env)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


MODES = ["single", "fork", "prefork", "hybrid"]
CONCURRENT_MODES = ["fork", "prefork", "hybrid"]
