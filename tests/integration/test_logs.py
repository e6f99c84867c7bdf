"""The logs an operator reads (docs/operations.md, "Logs"): the access log in the combined
format or as one JSON object per line, one line per request from whichever process served
it; request ids, unique across processes and restarts, in the JSON log, in a handler's
Request and in a CGI program's REQUEST_ID; and the error log where `error_log` points,
journald's socket included (a test binds its own: CI has no journald)."""
import json
import os
import re
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from cgi_support import BIN
from conftest import FORKD_BIN, MODES, child_pids, stop_process, wait_until
from http_client import get

APP = os.environ.get("FORKD_TEST_APP",
                     str(Path(__file__).resolve().parents[2] / "build" / "tests" / "integration"
                         / "forkd_test_app"))

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


# --- access_log_format = "json" and request ids --------------------------------------------

def json_lines(path, count):
    return [json.loads(line) for line in access_lines(path, count)]


REQUEST_ID = re.compile(r"^[0-9a-f]{24,}$")
JSON_FIELDS = ["time", "remote", "method", "target", "protocol", "status", "bytes",
               "duration_us", "queue_wait_us", "worker_pid", "route_kind", "request_id",
               "referer", "user_agent"]


@pytest.mark.parametrize("mode", MODES)
def test_json_access_log_has_one_object_per_request_with_its_fields(server, tmp_path, mode):
    log = tmp_path / "access.log"
    srv = server(mode=mode, access_log=str(log), access_log_format="json",
                 **({"io_workers": 1, "workers": 1} if mode == "hybrid" else {}))
    with srv.open() as conn:
        conn.send(b"GET / HTTP/1.1\r\nHost: test\r\nUser-Agent: tester/1.0\r\n\r\n"
                  b"GET /?sleep=0 HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        assert conn.read_response().status == 200
        assert conn.read_response().status == 200
    inline, blocking = json_lines(log, 2)
    for entry in (inline, blocking):
        assert list(entry) == JSON_FIELDS
        assert entry["remote"] == "127.0.0.1" and entry["protocol"] == "HTTP/1.1"
        assert entry["status"] == 200 and entry["method"] == "GET"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])
        assert isinstance(entry["duration_us"], int) and entry["duration_us"] >= 0
        assert isinstance(entry["worker_pid"], int) and entry["worker_pid"] > 0
        assert REQUEST_ID.match(entry["request_id"]), entry
    assert inline["target"] == "/" and inline["bytes"] == 14
    assert inline["user_agent"] == "tester/1.0" and inline["referer"] is None
    assert blocking["target"] == "/?sleep=0" and blocking["user_agent"] is None
    assert inline["request_id"] != blocking["request_id"]
    if mode == "hybrid":
        # `/` runs in the io worker, `/?sleep` in an app worker that waited for nothing.
        assert (inline["route_kind"], blocking["route_kind"]) == ("inline", "blocking")
        assert inline["worker_pid"] != blocking["worker_pid"]
        assert {inline["worker_pid"], blocking["worker_pid"]} <= set(srv.children())
        assert blocking["queue_wait_us"] >= 0
    else:
        assert inline["worker_pid"] == blocking["worker_pid"]  # one connection, one process
        assert inline["queue_wait_us"] == blocking["queue_wait_us"] == 0
    if mode == "single":
        assert inline["worker_pid"] == srv.pid


def test_json_access_log_keeps_a_hostile_request_on_its_own_line(server, tmp_path):
    log = tmp_path / "access.log"
    srv = server(mode="hybrid", io_workers=1, workers=1, access_log=str(log),
                 access_log_format="json")
    with srv.open() as conn:
        # Quotes and braces to forge a field, and bytes that are not UTF-8 (obs-text).
        conn.send(b'GET / HTTP/1.1\r\nHost: t\r\nUser-Agent: a"},{"status":500,"x":"\xff\xfe\r\n'
                  b"Connection: close\r\n\r\n")
        assert conn.read_response().status == 200
    with srv.open() as conn:
        conn.send(b"GET / HTTP/2.0\r\nHost: test\r\n\r\n")
        assert conn.read_response().status == 505
    hostile, rejected = json_lines(log, 2)
    assert hostile["status"] == 200
    assert hostile["user_agent"] == 'a"},{"status":500,"x":"\ufffd\ufffd'
    assert rejected["status"] == 505 and rejected["method"] is None
    assert rejected["request_id"] is None and rejected["route_kind"] == "none"


@pytest.mark.parametrize("mode", ["fork", "prefork", "hybrid"])
def test_request_ids_are_unique_across_processes_and_restarts(server, tmp_path, mode):
    ids = []
    for run in range(2):
        log = tmp_path / f"access-{run}.log"
        srv = server(mode=mode, access_log=str(log), access_log_format="json")
        for _ in range(20):
            assert get(srv.address, "/").status == 200
        ids += [entry["request_id"] for entry in json_lines(log, 20)]
        srv.stop()
    assert len(set(ids)) == len(ids) == 40


def test_the_request_id_reaches_a_handler_and_a_cgi_program(server, tmp_path):
    log = tmp_path / "access.log"
    app = server(binary=APP, mode="hybrid", io_workers=1, workers=1, access_log=str(log),
                 access_log_format="json")
    # A blocking route: the id travelled with the request to the app worker.
    handler_id = get(app.address, "/request-id").body.decode()
    assert json_lines(log, 1)[0]["request_id"] == handler_id
    assert REQUEST_ID.match(handler_id)

    cgi_log = tmp_path / "cgi-access.log"
    cgi = server(mode="hybrid", io_workers=1, workers=1, cgi=[f"/cgi-bin/={BIN}"],
                 access_log=str(cgi_log), access_log_format="json")
    response = get(cgi.address, "/cgi-bin/env.sh")
    assert response.status == 200
    variables = dict(line.split("=", 1) for line in response.body.decode().splitlines()
                     if "=" in line)
    assert variables["REQUEST_ID"] == json_lines(cgi_log, 1)[0]["request_id"]


# --- error_log = "journald" ----------------------------------------------------------------

def journal_fields(datagram):
    """The journal's native protocol: "KEY=value\\n", or "KEY\\n" + le64 size + value + "\\n"."""
    fields, rest = {}, datagram
    while rest:
        end = min(i for i in (rest.find(b"="), rest.find(b"\n")) if i >= 0)
        key = rest[:end].decode()
        if rest[end:end + 1] == b"=":
            line_end = rest.index(b"\n", end)
            fields[key] = rest[end + 1:line_end].decode(errors="replace")
            rest = rest[line_end + 1:]
        else:
            size = int.from_bytes(rest[end + 1:end + 9], "little")
            fields[key] = rest[end + 9:end + 9 + size].decode(errors="replace")
            rest = rest[end + 9 + size + 1:]
    return fields


class Journal:
    """A datagram socket where journald's would be, for `journal_socket`."""

    def __init__(self, directory):
        self.path = str(directory / "journal.socket")
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(self.path)
        self.socket.settimeout(0.2)
        self.entries = []

    def read(self):
        try:
            while True:
                self.entries.append(journal_fields(self.socket.recv(1 << 17)))
        except (TimeoutError, BlockingIOError):
            pass
        return self.entries

    def find(self, text):
        return [entry for entry in self.read() if text in entry.get("MESSAGE", "")]


def test_error_log_journald_sends_structured_fields_to_the_journal_socket(tmp_path):
    journal = Journal(tmp_path)
    config = tmp_path / "forkd.toml"
    config.write_text('mode = "hybrid"\nio_workers = 1\nworkers = 1\nlisten = ["127.0.0.1:0"]\n'
                      f'slow_request_log = "100ms"\nerror_log = "journald"\n'
                      f'journal_socket = "{journal.path}"\n')
    stderr = tmp_path / "stderr.log"
    with open(stderr, "wb") as out:
        proc = subprocess.Popen([FORKD_BIN, "-c", str(config)], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        listening = wait_until(lambda: journal.find("listening on"), timeout=10,
                               message="the 'listening on' line in the journal")[0]
        assert listening["PRIORITY"] == "6"  # info
        assert listening["SYSLOG_IDENTIFIER"] == "forkd"
        assert listening["SYSLOG_PID"] == str(proc.pid)
        assert listening["FORKD_ROLE"] == "main"  # before it becomes the master
        started = wait_until(lambda: journal.find("master started"), timeout=10,
                             message="the master's first line")[0]
        assert started["FORKD_ROLE"] == "master" and started["SYSLOG_PID"] == str(proc.pid)
        # A child's line: the app worker that served a slow request, naming its request id.
        port = int(re.search(r":(\d+)", listening["MESSAGE"]).group(1))
        assert get(("127.0.0.1", port), "/?sleep=1").status == 200
        slow = wait_until(lambda: journal.find("slow request: GET /?sleep=1"), timeout=10,
                          message="the app worker's slow request line")[0]
        assert slow["FORKD_ROLE"] == "app 1" and slow["PRIORITY"] == "4"  # warn
        assert int(slow["SYSLOG_PID"]) in child_pids(proc.pid)
        assert re.search(r"request [0-9a-f]{24}\)$", slow["MESSAGE"]), slow
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        wait_until(lambda: journal.find("master exits"), timeout=5, message="the last line")
    finally:
        stop_process(proc)
        journal.socket.close()
    assert stderr.read_text() == "", "nothing goes to stderr"


def test_error_log_journald_without_a_journal_names_the_socket_and_does_not_start(tmp_path):
    done = subprocess.run([FORKD_BIN, "--listen", "127.0.0.1:0", "--error-log", "journald",
                           "--journal-socket", str(tmp_path / "missing.socket")],
                          capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert done.returncode != 0
    assert "error_log journald" in done.stderr and "missing.socket" in done.stderr, done.stderr
