"""HTTP/1.1 as clients rely on it, in every mode: connection reuse, pipelining, request
bodies, request-target forms, and every malformed request answered with its status and a
close (RFC 9110/9112)."""
import pytest

from conftest import MODES

DEMO_BODY = b"this is server"
BUSY_BODY = "繁忙等待".encode("utf-8")

GET_ROOT = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"
GET_ROOT_AND_CLOSE = b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"


@pytest.fixture(params=MODES)
def srv(request, server):
    return server(mode=request.param)


def assert_still_usable(conn):
    """The connection serves one more request after what came before."""
    conn.send(GET_ROOT_AND_CLOSE)
    response = conn.read_response()
    assert (response.status, response.body) == (200, DEMO_BODY)


# --- connection reuse ---------------------------------------------------------------------

def test_keep_alive_serves_two_requests_on_one_connection(srv):
    with srv.open() as conn:
        conn.send(GET_ROOT)
        first = conn.read_response()
        assert (first.status, first.body) == (200, DEMO_BODY)
        assert (first.header("Connection") or "").lower() != "close"
        assert_still_usable(conn)


def test_pipelined_requests_are_answered_in_order(srv):
    with srv.open() as conn:
        conn.send(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"
                  b"GET /missing HTTP/1.1\r\nHost: test\r\n\r\n"
                  b"GET /?sleep=0 HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        answers = [conn.read_response() for _ in range(3)]
        assert [(r.status, r.body) for r in answers[::2]] == [(200, DEMO_BODY), (200, BUSY_BODY)]
        assert answers[1].status == 404
        assert conn.is_closed_by_server()


@pytest.mark.parametrize("mode", MODES)
def test_a_long_pipelined_burst_is_answered_whole_and_in_order(server, mode):
    # More responses than fit in one batched write (hybrid holds pipelined answers back and
    # writes them together), mixing statuses, HEAD and a blocking route in the middle.
    srv = server(mode=mode, keepalive_requests=10000)
    targets = [("GET", f"/missing-{i}" if i % 7 == 3 else "/") for i in range(3000)]
    targets[1500] = ("GET", "/?sleep=0")
    targets[2000] = ("HEAD", "/")
    with srv.open(timeout=30) as conn:
        conn.send(b"".join(f"{m} {t} HTTP/1.1\r\nHost: test\r\n\r\n".encode() for m, t in targets))
        for i, (method, target) in enumerate(targets):
            response = conn.read_response(head_only=(method == "HEAD"))
            if target.startswith("/missing"):
                assert response.status == 404, f"response {i}"
            elif target == "/?sleep=0":
                assert (response.status, response.body) == (200, BUSY_BODY), f"response {i}"
            else:
                assert response.status == 200, f"response {i}"
                assert response.body == (b"" if method == "HEAD" else DEMO_BODY), f"response {i}"
        assert_still_usable(conn)


def test_connection_close_is_answered_then_closed(srv):
    with srv.open() as conn:
        conn.send(GET_ROOT_AND_CLOSE)
        response = conn.read_response()
        assert (response.status, response.body) == (200, DEMO_BODY)
        assert response.header("Connection").lower() == "close"
        assert conn.is_closed_by_server()


def test_http_1_0_closes_after_the_response(srv):
    with srv.open() as conn:
        conn.send(b"GET / HTTP/1.0\r\n\r\n")
        response = conn.read_response()
        assert response.version == "HTTP/1.0"
        assert (response.status, response.body) == (200, DEMO_BODY)
        assert conn.is_closed_by_server()


def test_http_1_0_keeps_alive_when_it_asks_to(srv):
    with srv.open() as conn:
        conn.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        response = conn.read_response()
        assert (response.status, response.body) == (200, DEMO_BODY)
        assert response.header("Connection").lower() == "keep-alive"
        assert_still_usable(conn)


# --- request bodies -----------------------------------------------------------------------

def test_post_with_content_length_is_read_and_the_connection_reused(srv):
    with srv.open() as conn:
        conn.send(b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 11\r\n\r\nhello world")
        assert conn.read_response().status == 405
        assert_still_usable(conn)


def test_post_with_chunked_body_is_read_and_the_connection_reused(srv):
    with srv.open() as conn:
        conn.send(b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer-Field: x\r\n\r\n")
        assert conn.read_response().status == 405
        assert_still_usable(conn)


def test_expect_100_continue_gets_100_before_the_final_response(srv):
    with srv.open() as conn:
        conn.send(b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        interim = conn.read_response()
        assert (interim.status, interim.reason) == (100, "Continue")
        conn.send(b"hello")
        assert conn.read_response().status == 405
        assert_still_usable(conn)


# --- request-target forms and framing niceties --------------------------------------------

def test_leading_empty_lines_before_the_request_line_are_ignored(srv):
    with srv.open() as conn:
        conn.send(b"\r\n\r\n" + GET_ROOT_AND_CLOSE)
        response = conn.read_response()
        assert (response.status, response.body) == (200, DEMO_BODY)


def test_absolute_form_target_is_routed_by_its_path_and_query(srv):
    with srv.open() as conn:
        conn.send(b"GET http://test/?sleep=0 HTTP/1.1\r\nHost: test\r\n\r\n"
                  b"GET http://test/ HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        assert (conn.read_response().body, conn.read_response().body) == (BUSY_BODY, DEMO_BODY)


def test_options_asterisk_is_answered(srv):
    with srv.open() as conn:
        conn.send(b"OPTIONS * HTTP/1.1\r\nHost: test\r\n\r\n")
        response = conn.read_response()
        assert response.status == 200
        assert "GET" in response.header("Allow")
        assert_still_usable(conn)


def test_a_higher_minor_version_of_http_1_is_served_as_1_1(srv):
    # RFC 9110 §2.5: HTTP/1.2 is processed as 1.1 (keep-alive by default), answered HTTP/1.1.
    with srv.open() as conn:
        conn.send(b"GET / HTTP/1.2\r\nHost: test\r\n\r\n")
        response = conn.read_response()
        assert (response.version, response.status, response.body) == ("HTTP/1.1", 200, DEMO_BODY)
        assert_still_usable(conn)


# --- malformed requests: a status, then a close -------------------------------------------

LIMITS = {"max_request_line": "256", "max_header_size": "1k", "max_body_size": "100"}

REJECTED = {
    "obs_fold": (b"GET / HTTP/1.1\r\nHost: test\r\nX-Folded: a\r\n b\r\n\r\n", 400),
    "te_chunked_then_gzip": (b"POST / HTTP/1.1\r\nHost: test\r\n"
                             b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400),
    "te_and_content_length": (b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
                              b"Content-Length: 5\r\n\r\n0\r\n\r\n", 400),
    "unknown_transfer_coding": (b"POST / HTTP/1.1\r\nHost: test\r\n"
                                b"Transfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n", 501),
    "differing_content_lengths": (b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
                                  b"Content-Length: 6\r\n\r\nhello!", 400),
    "http_2_0": (b"GET / HTTP/2.0\r\nHost: test\r\n\r\n", 505),
    "http_0_9_line": (b"GET / HTTP/0.9\r\nHost: test\r\n\r\n", 505),
    "request_line_over_max": (b"GET /" + b"a" * 300 + b" HTTP/1.1\r\nHost: test\r\n\r\n", 414),
    "headers_over_max": (b"GET / HTTP/1.1\r\nHost: test\r\nX-Big: " + b"b" * 1100 + b"\r\n\r\n",
                         431),
    "missing_host": (b"GET / HTTP/1.1\r\n\r\n", 400),
    "two_hosts": (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    "invalid_host": (b"GET / HTTP/1.1\r\nHost: bad/host name\r\n\r\n", 400),
    "userinfo_in_absolute_form": (b"GET http://user@test/ HTTP/1.1\r\nHost: test\r\n\r\n",
                                  400),
    "body_over_max": (b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 101\r\n\r\n"
                      + b"x" * 101, 413),
    "http_1_0_body_over_max": (b"POST / HTTP/1.0\r\nContent-Length: 101\r\n\r\n" + b"x" * 101,
                               413),
    "chunked_body_over_max": (b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
                              b"\r\n65\r\n" + b"x" * 101 + b"\r\n0\r\n\r\n", 413),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", REJECTED, ids=str)
def test_malformed_request_is_answered_with_its_status_then_closed(server, mode, case):
    raw, status = REJECTED[case]
    srv = server(mode=mode, **LIMITS)
    with srv.open() as conn:
        conn.send(raw)
        response = conn.read_response()
        assert response.status == status
        assert response.header("Connection").lower() == "close"
        assert conn.is_closed_by_server()


def test_every_host_form_of_rfc_3986_is_served(srv):
    # RFC 9112 §3.2: uri-host [ ":" port ]; an empty Host is allowed too.
    with srv.open() as conn:
        for host in (b"", b"[::1]:80", b"my_host.example.", b"a%2Db:", b"127.0.0.1:8080"):
            conn.send(b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
            response = conn.read_response()
            assert (response.status, response.body) == (200, DEMO_BODY), host
        assert_still_usable(conn)


def test_limits_allow_requests_just_within_them(server):
    srv = server(mode="single", **LIMITS)
    with srv.open() as conn:
        # A request line of exactly 256 bytes (without CRLF) and a 100-byte body.
        target = b"/?pad=" + b"a" * (256 - len(b"GET /?pad= HTTP/1.1"))
        conn.send(b"GET " + target + b" HTTP/1.1\r\nHost: test\r\n\r\n")
        assert conn.read_response().status == 200
        conn.send(b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n" + b"x" * 100)
        assert conn.read_response().status == 405
        assert_still_usable(conn)


@pytest.mark.parametrize("mode", MODES)
def test_a_smuggled_request_behind_chunked_gzip_is_never_answered(server, mode):
    # Beast would end the headers at `chunked, gzip`, treat the body as framed by the close,
    # and parse the bytes below as a second request: the classic TE desync.
    srv = server(mode=mode)
    with srv.open() as conn:
        conn.send(b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
                  b"GET /?sleep=0 HTTP/1.1\r\nHost: test\r\n\r\n")
        assert conn.read_response().status == 400
        assert conn.read_to_close() == b""
