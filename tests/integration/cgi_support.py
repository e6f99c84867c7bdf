"""What the CGI tests share: where the fixture programs are, the settings of a server that
runs them, and the processes a program left behind, found in /proc by a marker.

Every process a CGI program starts inherits its environment, QUERY_STRING included. A test
that requests `/cgi-bin/hang.sh?<marker>` finds the program and all its descendants by
`QUERY_STRING=<marker>` in /proc/PID/environ, whatever they are called and wherever they
were reparented."""
import os
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import process_state, wait_until

FIXTURES = Path(__file__).resolve().parent / "cgi"
BIN = FIXTURES / "bin"  # shell and python3 programs, for a `cgi` directory
PHP_ROOT = FIXTURES / "php"  # a small PHP application, for `root` + cgi_interpreters
PHP_CGI = "/usr/bin/php-cgi"
GIT_BACKEND = "/usr/lib/git-core/git-http-backend"
MAN2HTML_DIR = "/usr/lib/cgi-bin/man"

# The real CGI peers come from Debian packages (scripts/install-deps installs them).
needs_php = pytest.mark.skipif(not os.access(PHP_CGI, os.X_OK),
                               reason="php8.2-cgi is not installed (scripts/install-deps)")
needs_git = pytest.mark.skipif(not os.access(GIT_BACKEND, os.X_OK),
                               reason="git is not installed (scripts/install-deps)")
needs_man2html = pytest.mark.skipif(not os.access(f"{MAN2HTML_DIR}/man2html", os.X_OK),
                                    reason="man2html is not installed (scripts/install-deps)")


def pool(mode, workers=2):
    """Pool settings that keep a test's server small."""
    if mode == "hybrid":
        return {"workers": workers, "io_workers": 1}
    if mode == "prefork":
        return {"workers": workers}
    return {}


def cgi_server(server, mode="hybrid", directory=BIN, **settings):
    """A server running the programs of `directory` under /cgi-bin/."""
    settings = {"mode": mode, "cgi": [f"/cgi-bin/={directory}"], **pool(mode), **settings}
    return server(**settings)


def marked_processes(marker):
    """PIDs of the live processes whose environment holds QUERY_STRING=<marker>."""
    wanted = b"QUERY_STRING=" + marker.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone, or not ours to read
            continue
        if wanted in environ.split(b"\0") and process_state(int(entry.name)) not in (None, "Z"):
            found.append(int(entry.name))
    return found


def describe_processes(pids):
    """"pid (ppid, pgid, state) cmdline" lines, for a failure message."""
    lines = []
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        lines.append(f"{pid} (ppid {fields[1]}, pgid {fields[2]}, {fields[0]}) {cmdline}")
    return "\n".join(lines)


def wait_for_none_marked(mark, timeout, what, srv=None):
    """Polls until no process carries `mark`; the failure names those left, and the log."""
    try:
        wait_until(lambda: not marked_processes(mark), timeout=timeout, message=f"{what} to end")
    except AssertionError:
        left = describe_processes(marked_processes(mark))
        log = srv.log()[-3000:] if srv is not None else ""
        raise AssertionError(f"after {timeout}s, {what} still runs:\n{left}\n{log}") from None


@pytest.fixture
def marker():
    """A fresh marker for one test; whatever still carries it at the end is killed, so a
    failing test leaves no `sleep 300` behind."""
    made = []

    def make():
        made.append("cgi-mark-" + uuid.uuid4().hex)
        return made[-1]

    yield make
    for mark in made:
        for pid in marked_processes(mark):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def without_proxies(env):
    """`env` without the proxy variables curl and git read (a proxy set for this machine
    must not stand between a test and its server)."""
    return {key: value for key, value in env.items()
            if key.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}


def curl(*args, timeout=30, check=True):
    """Runs curl with `args`; returns its CompletedProcess (stdout as bytes)."""
    return subprocess.run(["curl", "--silent", "--show-error", "--max-time", str(timeout), *args],
                          capture_output=True, timeout=timeout + 5, check=check,
                          env=without_proxies(os.environ))


def environment_lines(body):
    """{NAME: value} of an `env` listing."""
    variables = {}
    for line in body.decode(errors="replace").splitlines():
        name, equals, value = line.partition("=")
        if equals:
            variables[name] = value
    return variables
