"""The programs of examples/, built out of tree against a staged install by
tests/packaging/build-examples (ctest packaging.examples, which this test's ctest entry
integration.examples waits for), run as their users would run them: the same flags and
TOML file as forkd, on port 0, spoken to over real HTTP (conftest's `server` fixture).

hello answers its routes in every mode, built with CMake or with pkg-config; crash loses
only the crashing request and its worker is replaced; sqlite counts in one database from
every process, each with its own connection; stream's events reach curl chunked over
HTTP/1.1 and delimited by the close over HTTP/1.0, each as it is written.
"""
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import conftest
from conftest import CONCURRENT_MODES, MODES, wait_until
from http_client import get

EXAMPLES = os.environ.get("FORKD_EXAMPLES")
pytestmark = pytest.mark.skipif(
    not EXAMPLES, reason="needs the examples built: ctest -R 'packaging.examples|integration.examples'")


def program(folder, name, flavor="cmake"):
    if flavor == "cmake":
        return Path(EXAMPLES) / "cmake" / folder / name
    return Path(EXAMPLES) / "pkg-config" / name


@pytest.fixture
def example(server, monkeypatch):
    """Factory: example(path, **settings) starts that program as `server` starts forkd."""

    def start(path, **settings):
        monkeypatch.setattr(conftest, "FORKD_BIN", str(path))
        srv = server(**settings)
        if settings.get("mode", "hybrid") != "single":
            wait_until(lambda: "master started" in srv.log(), message="the master's loop")
        return srv

    return start


def pool_of(srv, size):
    return lambda: len(srv.children()) == size


# hello


@pytest.mark.parametrize("mode", MODES)
def test_hello_answers_its_blocking_and_inline_routes(example, mode):
    srv = example(program("hello", "hello"), mode=mode)

    response = get(srv.address, "/hello/bob")
    assert response.status == 200
    assert response.body == b"hello bob"
    assert get(srv.address, "/health-inline").body == b"ok"
    assert get(srv.address, "/nothing-here").status == 404


def test_hello_built_with_pkg_config_answers_as_well(example):
    srv = example(program("hello", "hello", flavor="pkg-config"))

    assert get(srv.address, "/hello/alice").body == b"hello alice"


# crash


@pytest.mark.parametrize("mode", ["prefork", "hybrid"])
def test_a_crashing_handler_costs_one_502_and_its_worker_is_replaced(example, mode):
    io_workers = {"io_workers": 1} if mode == "hybrid" else {}
    srv = example(program("crash", "crash"), mode=mode, workers=2, **io_workers)
    size = 2 + len(io_workers)
    wait_until(pool_of(srv, size), message=f"a pool of {size}")
    before = set(srv.children())

    assert get(srv.address, "/crash").status == 502
    assert get(srv.address, "/").status == 200

    wait_until(lambda: len(srv.children()) == size and set(srv.children()) != before,
               message="the crashed worker to be replaced")
    assert len(before - set(srv.children())) == 1, "exactly one worker was replaced"
    for _ in range(10):
        assert get(srv.address, "/").body == b"still here\n"


def test_in_fork_mode_a_crash_is_a_502_and_the_next_connection_is_served(example):
    srv = example(program("crash", "crash"), mode="fork")

    assert get(srv.address, "/crash").status == 502
    assert get(srv.address, "/").status == 200


# sqlite


def holds_open(pid, path):
    """Whether process `pid` has `path` open (/proc/PID/fd)."""
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.parametrize("mode", CONCURRENT_MODES)
def test_sqlite_counts_in_one_database_from_every_process(example, monkeypatch, tmp_path, mode):
    database = tmp_path / "counter.db"
    monkeypatch.setenv("COUNTER_DB", str(database))
    srv = example(program("sqlite", "counter"), mode=mode, workers=4)

    # 8 clients at once, 40 requests: every count from 1 to 40 exactly once.
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: get(srv.address, "/count/bob"), range(40)))
    assert all(r.status == 200 for r in responses), responses
    answers = [re.fullmatch(rb"bob (\d+) \(pid (\d+)\)\n", r.body) for r in responses]
    assert all(answers), responses
    assert sorted(int(a.group(1)) for a in answers) == list(range(1, 41))
    pids = {int(a.group(2)) for a in answers}
    assert len(pids) >= 2, f"one process answered everything: {pids}"
    assert srv.pid not in pids

    assert get(srv.address, "/count/alice").body.startswith(b"alice 1 ")
    # The master closed its connection before forking; each serving process holds its own.
    assert not holds_open(srv.pid, database)
    if mode != "fork":
        assert all(holds_open(pid, database) for pid in srv.children())


# stream

EVENTS = "".join(f"data: tick {i}\n\n" for i in range(1, 4))


def curl(*args):
    done = subprocess.run(["curl", "-sS", "-N", "-i", "--max-time", "20", *args],
                          capture_output=True, check=True)
    head, _, body = done.stdout.decode().partition("\r\n\r\n")
    return head.lower(), body


@pytest.mark.parametrize("mode", MODES)
def test_stream_events_reach_curl_chunked_over_http11(example, mode):
    srv = example(program("stream", "stream"), mode=mode)

    head, body = curl("--http1.1", f"{srv.url}/events?count=3")

    assert head.startswith("http/1.1 200")
    assert "content-type: text/event-stream" in head
    assert "transfer-encoding: chunked" in head
    assert body == EVENTS


@pytest.mark.parametrize("mode", MODES)
def test_stream_events_reach_curl_delimited_by_the_close_over_http10(example, mode):
    srv = example(program("stream", "stream"), mode=mode)

    head, body = curl("--http1.0", f"{srv.url}/events?count=3")

    assert head.startswith("http/1.0 200") or head.startswith("http/1.1 200")
    assert "transfer-encoding" not in head
    assert "content-length" not in head
    assert body == EVENTS


def test_stream_sends_each_event_as_it_is_written(example):
    srv = example(program("stream", "stream"))

    with srv.connect(timeout=20) as sock:
        sock.sendall(b"GET /events?count=10 HTTP/1.0\r\nHost: test\r\n\r\n")
        received = b""
        while b"tick 1\n" not in received:
            chunk = sock.recv(65536)
            assert chunk, f"closed before the first event: {received!r}"
            received += chunk
        # The tenth event is written 1.8 s after the first: it has not come yet.
        assert b"tick 10\n" not in received
        while chunk := sock.recv(65536):
            received += chunk
    assert received.endswith(b"data: tick 9\n\ndata: tick 10\n\n")
