"""The logs an operator reads: the access log in the combined format, one line per request
from whichever process served it, and the error log where `error_log` points."""
import re

import pytest

from conftest import MODES, wait_until

# host ident user [time] "request line" status bytes "referer" "user agent"
COMBINED = re.compile(r'^(\S+) - - \[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] '
                      r'"([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)"$')


def access_lines(path, count):
    """The access log's lines once it has `count` of them."""
    def ready():
        lines = path.read_text().splitlines() if path.exists() else []
        return lines if len(lines) >= count else None
    return wait_until(ready, timeout=5, message=f"{count} access log lines")


@pytest.mark.parametrize("mode", MODES)
def test_access_log_has_one_combined_line_per_request(server, tmp_path, mode):
    log = tmp_path / "access.log"
    srv = server(mode=mode, access_log=str(log))
    with srv.open() as conn:
        conn.send(b"GET / HTTP/1.1\r\nHost: test\r\nReferer: http://ref/\r\n"
                  b"User-Agent: tester/1.0\r\n\r\n"
                  b"GET /missing HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        conn.read_response()
        conn.read_response()
    lines = access_lines(log, 2)
    assert len(lines) == 2
    first, second = (COMBINED.match(line) for line in lines)
    assert first and second, lines
    assert first.group(1) == "127.0.0.1"
    assert first.groups()[2:] == ("GET / HTTP/1.1", "200", "14", "http://ref/", "tester/1.0")
    assert second.groups()[2:] == ("GET /missing HTTP/1.1", "404", second.group(5), "-", "-")


def test_access_log_logs_rejected_requests_too(server, tmp_path):
    log = tmp_path / "access.log"
    srv = server(mode="single", access_log=str(log))
    with srv.open() as conn:
        conn.send(b"GET / HTTP/2.0\r\nHost: test\r\n\r\n")
        assert conn.read_response().status == 505
    line = COMBINED.match(access_lines(log, 1)[0])
    assert line and line.group(4) == "505"


def test_access_log_escapes_quotes_so_lines_cannot_be_forged(server, tmp_path):
    log = tmp_path / "access.log"
    srv = server(mode="single", access_log=str(log))
    with srv.open() as conn:
        conn.send(b'GET / HTTP/1.1\r\nHost: t\r\nUser-Agent: a" 200 0 "x\r\n'
                  b"Connection: close\r\n\r\n")
        conn.read_response()
    lines = access_lines(log, 1)
    assert len(lines) == 1
    assert COMBINED.match(lines[0]).group(7) != 'a" 200 0 "x'


def test_error_log_setting_sends_the_log_to_that_file_not_stderr(server, tmp_path):
    error_log = tmp_path / "forkd-error.log"
    srv = server(mode="single", error_log=str(error_log))  # starts once the file says so
    assert "listening on" in error_log.read_text()
    assert "listening on" not in srv.stderr_path.read_text()
