"""Single mode, the tutorial's first program: one process, one connection at a time, so
`/` waits behind `/?sleep`. It still stops as operators expect (TERM and QUIT finish the
request in progress, INT exits at once) and its title says what it is doing."""
import signal
import threading
import time

import pytest

from conftest import process_title, wait_until
from http_client import get, request, timed_get

DEMO_BODY = b"this is server"
BUSY_BODY = "繁忙等待".encode("utf-8")


@pytest.fixture
def single(server):
    return server(mode="single")


class Sleeper:
    """A `GET /?sleep=N` in flight on its own thread; `response` once it is answered."""

    def __init__(self, srv, seconds):
        self.srv = srv
        self.target = f"/?sleep={seconds}"
        self.response = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        wait_until(lambda: process_title(srv.pid) == f"forkd: single busy GET {self.target}",
                   timeout=5, message="the server to be busy with the sleeper")

    def _run(self):
        try:
            self.response = get(self.srv.address, self.target, timeout=60)
        except (EOFError, ConnectionError):
            pass  # closed without an answer: `response` stays None

    def join(self, timeout=10):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the sleeper was never answered nor closed"


def test_root_waits_behind_a_sleeping_request(single):
    sleeper = Sleeper(single, 1)  # returns as soon as the one-second sleep has begun
    response, waited = timed_get(single.address, "/")
    sleeper.join()
    assert (response.status, response.body) == (200, DEMO_BODY)
    assert (sleeper.response.status, sleeper.response.body) == (200, BUSY_BODY)
    assert waited >= 0.5  # answered only once the sleeper was done (in fork mode: at once)


def test_title_says_idle_then_busy_with_the_request_then_idle(single):
    # The title is set once the process is ready to serve, just after it logs its listeners.
    wait_until(lambda: process_title(single.pid) == "forkd: single idle", timeout=5,
               message="the idle title")
    sleeper = Sleeper(single, 1)  # waits for "forkd: single busy GET /?sleep=1"
    sleeper.join()
    wait_until(lambda: process_title(single.pid) == "forkd: single idle", timeout=5,
               message="the title to say idle again")


def test_long_targets_are_cut_short_in_the_title(single):
    prefix = "forkd: single busy GET /?sleep=1&pad="

    def busy_title():
        title = process_title(single.pid) or ""
        return title if title.startswith(prefix) else None

    with single.open() as conn:
        conn.send(f"GET /?sleep=1&pad={'a' * 200} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        assert len(wait_until(busy_title, timeout=5, message="the busy title")) < 120
        assert conn.read_response().status == 200


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGQUIT])
def test_graceful_stop_finishes_the_sleeping_request_then_exits_0(single, signum):
    sleeper = Sleeper(single, 1)
    single.signal(signum)
    sleeper.join()
    assert (sleeper.response.status, sleeper.response.body) == (200, BUSY_BODY)
    assert single.wait_exit(timeout=10) == 0


def test_graceful_stop_does_not_wait_for_an_idle_keep_alive_connection(server):
    srv = server(mode="single", keepalive_timeout="30s")
    with srv.open() as conn:
        conn.send(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        assert conn.read_response().status == 200
        start = time.monotonic()
        srv.signal(signal.SIGTERM)
        assert srv.wait_exit(timeout=10) == 0
        assert time.monotonic() - start < 5


def test_sigint_exits_at_once_even_in_the_middle_of_a_sleep(single):
    sleeper = Sleeper(single, 30)
    start = time.monotonic()
    single.signal(signal.SIGINT)
    single.wait_exit(timeout=10)
    assert time.monotonic() - start < 5  # well before the 30 s sleep would end
    sleeper.join()
    assert sleeper.response is None  # the request was abandoned, not answered


def test_a_sigterm_when_idle_exits_0(single):
    assert get(single.address, "/").status == 200
    single.signal(signal.SIGTERM)
    assert single.wait_exit(timeout=10) == 0
    assert "stopped gracefully" in single.log()


def test_served_requests_do_not_leave_the_server_unable_to_accept(single):
    # One connection at a time, but one after another without end.
    for _ in range(20):
        assert request(single.address, b"GET / HTTP/1.0\r\n\r\n").body == DEMO_BODY
