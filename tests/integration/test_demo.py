"""The demo application, the tutorial's server, in every mode: its bodies byte for byte,
its headers, HEAD, 405 and 404, and the `?sleep` busy handler with its 400s."""
import email.utils
import subprocess
import time

import pytest

from conftest import MODES
from http_client import get, request

DEMO_BODY = b"this is server"
BUSY_BODY = "繁忙等待".encode("utf-8")
HTML = "text/html; charset=utf-8"


@pytest.fixture(params=MODES)
def demo(request, server):
    """A demo server in each mode; `?sleep` without a number is busy for one second."""
    return server(mode=request.param, demo__sleep_seconds=1)


def test_get_root_answers_this_is_server_as_html(demo):
    response = get(demo.address, "/")
    assert response.status == 200
    assert response.body == DEMO_BODY
    assert response.header("Content-Type") == HTML
    assert response.header("Content-Length") == str(len(DEMO_BODY))


def test_every_response_carries_a_current_date(demo):
    response = get(demo.address, "/")
    date = email.utils.parsedate_to_datetime(response.header("Date"))
    assert abs(date.timestamp() - time.time()) < 60
    assert response.header("Date").endswith(" GMT")


def test_busy_body_is_the_utf8_of_busy_waiting(demo):
    response = get(demo.address, "/?sleep=1")
    assert response.status == 200
    assert response.body == b"\xe7\xb9\x81\xe5\xbf\x99\xe7\xad\x89\xe5\xbe\x85" == BUSY_BODY
    assert response.header("Content-Type") == HTML
    assert response.header("Content-Length") == str(len(BUSY_BODY))


@pytest.mark.parametrize("target", ["/?SLEEP=0", "/?Sleep=0", "/?a=b&sleep=0"])
def test_sleep_in_the_query_is_case_insensitive(demo, target):
    response = get(demo.address, target)
    assert (response.status, response.body) == (200, BUSY_BODY)


def test_sleep_n_is_busy_for_n_seconds(demo):
    start = time.monotonic()
    response = get(demo.address, "/?sleep=1")
    assert response.status == 200
    assert time.monotonic() - start >= 0.95


def test_bare_sleep_is_busy_for_demo_sleep_seconds(demo):
    start = time.monotonic()
    response = get(demo.address, "/?sleep")
    elapsed = time.monotonic() - start
    assert (response.status, response.body) == (200, BUSY_BODY)
    assert 0.95 <= elapsed < 5  # demo.sleep_seconds = 1, not the default 10


@pytest.mark.parametrize("target", ["/?sleep=abc", "/?sleep=-1", "/?sleep=61", "/?sleep=1.5",
                                    "/?sleep="])
def test_sleep_outside_0_to_max_sleep_seconds_is_400_that_says_so(demo, target):
    start = time.monotonic()
    response = get(demo.address, target)
    assert response.status == 400
    assert b"sleep" in response.body and b"0 to 60" in response.body
    assert time.monotonic() - start < 0.9  # rejected, not slept


def test_max_sleep_seconds_caps_sleep_n(server):
    srv = server(mode="single", demo__max_sleep_seconds=2)
    assert get(srv.address, "/?sleep=3").status == 400
    assert get(srv.address, "/?sleep=0").status == 200


def test_post_to_root_is_405_with_allow_header(demo):
    raw = b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    response = request(demo.address, raw)
    assert response.status == 405
    assert response.header("Allow") == "GET, HEAD"


@pytest.mark.parametrize("target", ["/index.html", "/sleep", "//", "/a/?sleep=1"])
def test_other_paths_are_404(demo, target):
    assert get(demo.address, target).status == 404


@pytest.mark.parametrize("target", ["/", "/?sleep=0", "/?sleep=abc", "/missing"])
def test_head_answers_like_get_without_a_body(demo, target):
    expected = get(demo.address, target)
    with demo.open() as conn:
        # HEAD then GET on one connection: a body after the HEAD would garble the second
        # response.
        conn.send(f"HEAD {target} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
        headed = conn.read_response(head_only=True)
        conn.send(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        after = conn.read_response()
        assert conn.read_to_close() == b""
    assert headed.status == expected.status
    assert headed.header("Content-Length") == expected.header("Content-Length")
    assert headed.header("Content-Type") == expected.header("Content-Type")
    assert (after.status, after.body) == (200, DEMO_BODY)


def curl(*args):
    return subprocess.run(["curl", "--silent", "--show-error", "--max-time", "10", *args],
                          capture_output=True, check=True, timeout=20)


def test_curl_gets_the_demo_body_byte_for_byte(demo):
    assert curl(demo.url + "/").stdout == DEMO_BODY
    assert curl(demo.url + "/?sleep=0").stdout == BUSY_BODY


def test_curl_head_shows_headers_and_no_body(demo):
    result = curl("--head", demo.url + "/")
    lines = result.stdout.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    headers = {name.lower(): value for name, _, value in
               (line.partition(": ") for line in lines[1:] if line)}
    assert headers["content-length"] == str(len(DEMO_BODY))
    assert headers["content-type"] == HTML
    assert result.stdout.endswith(b"\r\n\r\n")
