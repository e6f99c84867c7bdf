"""Logs that the real logrotate rotates while clients keep coming: logrotate renames
access_log and error_log, its postrotate runs `forkd -s reopen` (which finds the server by
`pid_file`), and forkd writes on into new files. No request's line is lost, none is split or
doubled, whichever file it landed in, and new requests land in the new file; in every mode."""
import shutil
import subprocess

import pytest

from client_loop import ClientLoop
from conftest import FORKD_BIN, MODES, wait_until
from http_client import get
from test_logs import COMBINED

LOGROTATE = shutil.which("logrotate", path="/usr/sbin:/usr/bin:/sbin:/bin")
POOLS = {"single": {}, "fork": {}, "prefork": {"workers": 3},
         "hybrid": {"io_workers": 2, "workers": 2}}

pytestmark = pytest.mark.skipif(LOGROTATE is None,
                                reason="logrotate is not installed (Debian package logrotate)")

LOGROTATE_CONFIG = """\
{access_log} {error_log} {{
    rotate 5
    nocompress
    missingok
    sharedscripts
    postrotate
        {forkd} -c {config} -s reopen
    endscript
}}
"""


def rotate(tmp_path, srv):
    conf = tmp_path / "logrotate.conf"
    conf.write_text(LOGROTATE_CONFIG.format(
        access_log=tmp_path / "access.log", error_log=tmp_path / "error.log",
        forkd=FORKD_BIN, config=srv.config_path))
    conf.chmod(0o644)  # logrotate ignores a configuration others can write
    done = subprocess.run([LOGROTATE, "--force", "--state", str(tmp_path / "logrotate.state"),
                           str(conf)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def lines_of(path):
    return path.read_text().splitlines() if path.exists() else []


def logged_in_new_file(srv, access_log, marker):
    """Asks once more; True when that request's line is in the file at `access_log`'s name
    (workers reopen before their next connection, so a first request may still go to the
    file it was renamed to)."""
    assert get(srv.address, f"/?{marker}").status == 200
    return any(f"GET /?{marker} " in line for line in lines_of(access_log))


@pytest.mark.parametrize("mode", MODES)
def test_logrotate_under_load_loses_splits_and_doubles_no_line(server, tmp_path, mode):
    access_log, error_log = tmp_path / "access.log", tmp_path / "error.log"
    srv = server(mode=mode, access_log=str(access_log), error_log=str(error_log),
                 pid_file=str(tmp_path / "forkd.pid"), **POOLS[mode])
    wait_until(lambda: (tmp_path / "forkd.pid").exists(), message="the pid file")

    with ClientLoop(srv.address) as clients:
        for rotation in (1, 2):
            wait_until(clients.served_at_least(50), timeout=30, message="load on this file")
            rotate(tmp_path, srv)
            # The master reopens when it reads the signal, a moment after `forkd -s` sent it.
            wait_until(error_log.exists, message="forkd to make the new error log as it reopens")
            wait_until(lambda: logged_in_new_file(srv, access_log, f"rotated-{rotation}"),
                       message="a request logged in the new access log")
        wait_until(clients.served_at_least(50), timeout=30, message="load after the rotations")
    assert clients.failures == [], f"{len(clients.failures)} failed: {clients.failures[:3]}"

    files = [access_log, tmp_path / "access.log.1", tmp_path / "access.log.2"]

    def loop_lines():
        return sum(1 for path in files for line in lines_of(path) if '"GET / HTTP/1.1"' in line)
    wait_until(lambda: loop_lines() >= clients.successes, message="every request's line")
    assert loop_lines() == clients.successes, "one line per request, none doubled"
    for path in files:
        lines = lines_of(path)
        assert any('"GET / HTTP/1.1"' in line for line in lines), f"{path.name} took load"
        broken = [line for line in lines if not COMBINED.match(line)]
        assert broken == [], f"{path.name}: split or mixed lines {broken[:3]}"
    if mode != "single":  # the master's reopen line of the 2nd rotation, in the 1st's new file
        assert "SIGUSR1: reopening log files" in (tmp_path / "error.log.1").read_text()
    assert (tmp_path / "error.log.2").exists()
