"""Request smuggling on a reused connection, in every mode. test_http_protocol.py sends each
malformed request first on a fresh connection; an attacker sends it second, behind a valid
request on a kept-alive connection, and pipelines a valid request behind it, hoping that the
server frames the bad one differently from a proxy in front and answers the bytes that
follow as a request of their own.

Each bad request below carries a complete request (`GET /smuggled`) where one reading of its
framing would find it. RFC 9112 leaves one answer: the 4xx of that request, then a close
(§6.1, §6.3, §5.2, §2.2). So the test counts responses: the valid first request's 200, the
rejection with `Connection: close`, then the end of the connection; never a third response,
never a 404 for `/smuggled`, never a response to the request pipelined behind."""
import socket
import tempfile

import pytest

from conftest import MODES, Server

FIRST = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
BEHIND = b"GET /behind HTTP/1.1\r\nHost: test\r\n\r\n"


def post(fields, body):
    return b"POST / HTTP/1.1\r\nHost: test\r\n" + fields + b"\r\n" + body


def chunked_then_smuggled(size_line=b"0"):
    """A chunked body that ends at `size_line`'s last chunk, with a request behind it."""
    return size_line + b"\r\n\r\n" + SMUGGLED


# The smuggled request is inside the body when Content-Length frames it, and a request of
# its own when Transfer-Encoding does (or when a wrapped chunk size does).
CL_BODY = chunked_then_smuggled()
CL = str(len(CL_BODY)).encode()

ATTACKS = {
    # §6.1: both framings at once; the server must not pick one and keep the connection.
    "content_length_then_chunked": (
        post(b"Content-Length: " + CL + b"\r\nTransfer-Encoding: chunked\r\n", CL_BODY), 400),
    "chunked_then_content_length": (
        post(b"Transfer-Encoding: chunked\r\nContent-Length: " + CL + b"\r\n", CL_BODY), 400),
    # §6.3: two lengths, one reading ends the body at 0 bytes, the other takes the request.
    "duplicate_content_length": (
        post(b"Content-Length: 0\r\nContent-Length: " + str(len(SMUGGLED)).encode() + b"\r\n",
             SMUGGLED), 400),
    "content_length_list": (
        post(b"Content-Length: 0, " + str(len(SMUGGLED)).encode() + b"\r\n", SMUGGLED), 400),
    # §6.3: chunked not last: the length cannot be determined.
    "chunked_then_gzip": (post(b"Transfer-Encoding: chunked, gzip\r\n", CL_BODY), 400),
    # §5.2: a server that unfolded this would see `Transfer-Encoding: chunked` where a proxy
    # that ignores the folded line sees Content-Length alone.
    "obs_fold_hides_chunked": (
        post(b"Content-Length: " + CL + b"\r\nTransfer-Encoding:\r\n chunked\r\n", CL_BODY), 400),
    # §2.2: a bare CR that one parser takes for a line end starts a field of its own.
    "bare_cr_in_a_field": (
        post(b"X-Note: a\rTransfer-Encoding: chunked\r\nContent-Length: " + CL + b"\r\n",
             CL_BODY), 400),
    "bare_cr_ends_a_line": (
        post(b"X-Note: a\rContent-Length: " + CL + b"\r\n", CL_BODY), 400),
    # §7.1: 2^64 + 5 wraps to 5 in a 64-bit parser that does not check: "hello" would be the
    # chunk and the smuggled request would follow the last chunk.
    "chunk_size_overflow": (
        post(b"Transfer-Encoding: chunked\r\n",
             b"10000000000000005\r\nhello\r\n" + chunked_then_smuggled()), 400),
    "chunk_size_far_too_long": (
        post(b"Transfer-Encoding: chunked\r\n",
             b"FFFFFFFFFFFFFFFFFFFFFFFF\r\nhello\r\n" + chunked_then_smuggled()), 400),
    # §5.5: NUL is not field content; a C-string parser would cut the line there.
    "nul_in_a_field_value": (
        post(b"X-Note: a\x00\r\nContent-Length: " + CL + b"\r\n", CL_BODY), 400),
    "nul_in_a_field_name": (
        post(b"Content-Length\x00: " + CL + b"\r\n", CL_BODY), 400),
}


@pytest.fixture(scope="module", params=MODES)
def srv(request):
    """One server per mode for the whole file: every case opens its own connection."""
    server = Server(tempfile.mkdtemp(prefix="forkd-test-"),
                    {"mode": request.param, "lingering_timeout": "1s"})
    yield server
    server.stop()


def responses_until_close(conn):
    """Every response the server sends until it closes; "open" marks a connection the server
    left open after its last response (the client gave up waiting)."""
    responses = []
    conn.sock.settimeout(5)
    while True:
        try:
            responses.append(conn.read_response())
        except (EOFError, ConnectionResetError):
            assert conn.buffer == b"", f"a partial response: {conn.buffer[:200]!r}"
            return responses
        except socket.timeout:
            return responses + ["open"]


def assert_rejected_then_closed(responses, status):
    shown = [r if isinstance(r, str) else (r.status, r.header("Connection")) for r in responses]
    assert len(responses) == 2, f"expected 200 then {status} then a close, got {shown}"
    first, rejection = responses
    assert first.status == 200
    assert rejection.status == status, shown
    assert rejection.header("Connection").lower() == "close"


@pytest.mark.parametrize("attack", ATTACKS, ids=str)
def test_a_pipelined_attack_behind_a_valid_request_is_rejected_and_closes(srv, attack):
    raw, status = ATTACKS[attack]
    with srv.open() as conn:
        conn.send(FIRST + raw + BEHIND)
        assert_rejected_then_closed(responses_until_close(conn), status)


@pytest.mark.parametrize("attack", ATTACKS, ids=str)
def test_an_attack_on_a_kept_alive_connection_is_rejected_and_closes(srv, attack):
    raw, status = ATTACKS[attack]
    with srv.open() as conn:
        conn.send(FIRST)
        first = conn.read_response()
        conn.send(raw + BEHIND)
        assert_rejected_then_closed([first, *responses_until_close(conn)], status)


def test_identical_content_lengths_frame_the_body_once(srv):
    # RFC 9110 §8.6 lets a recipient treat `5` and `5` as one length. Then the five bytes
    # are the body, not the start of a request, and the request behind is answered.
    with srv.open() as conn:
        conn.send(FIRST + post(b"Content-Length: 5\r\nContent-Length: 5\r\n", b"hello")
                  + BEHIND + FIRST.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        statuses = [r if isinstance(r, str) else r.status for r in responses_until_close(conn)]
        assert statuses == [200, 405, 404, 200]
