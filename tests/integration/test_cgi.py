"""CGI/1.1 programs as handlers (issue 14): a shell and a python3 script in every mode,
Debian's man2html browsed with curl, the response forms of RFC 3875 §6 (Status, local and
client redirects, nph-), and the programs that misbehave: no header block, no output before
cgi_timeout, output that stops or never ends, a daemon left behind, a stdout closed early.

The programs are in tests/integration/cgi/bin; the processes each one starts are found in
/proc by the marker of their request (cgi_support.marked_processes)."""
import hashlib
import json
import os
import re
import socket
import time

import pytest

from cgi_support import marker  # noqa: F401 (a fixture)
from cgi_support import (BIN, MAN2HTML_DIR, cgi_server, curl, environment_lines,
                         needs_man2html, pool, wait_for_none_marked)
from conftest import MODES, wait_until
from http_client import Connection, get, request


def post(target, body, content_type="application/x-www-form-urlencoded", close=True):
    head = (f"POST {target} HTTP/1.1\r\nHost: test\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n")
    if close:
        head += "Connection: close\r\n"
    return (head + "\r\n").encode() + body


def raw_exchange(srv, raw, timeout=15):
    """Sends `raw` and reads until the server closes: (head, body bytes, seconds taken)."""
    start = time.monotonic()
    with socket.create_connection(srv.address, timeout=timeout) as sock:
        sock.sendall(raw)
        data = b""
        while True:
            try:
                piece = sock.recv(65536)
            except ConnectionResetError:
                break
            if not piece:
                break
            data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body, time.monotonic() - start


def get_raw(target):
    return f"GET {target} HTTP/1.1\r\nHost: test\r\n\r\n".encode()


# --- every mode ------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_a_shell_and_a_python_script_run_in_every_mode(server, mode):
    srv = cgi_server(server, mode)
    with Connection(srv.address) as conn:
        # keep-alive across CGI responses: the streamed (chunked) body ends properly
        conn.send(b"GET /cgi-bin/env.sh/extra/path?a=1&b=two HTTP/1.1\r\nHost: test\r\n"
                  b"X-Test: shell\r\n\r\n")
        shell = conn.read_response()
        conn.send(post("/cgi-bin/echo.py?q=1", b"name=value&x=y", close=False))
        python = conn.read_response()
        conn.send(b"GET /cgi-bin/echo.py HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        empty = conn.read_response()

    assert shell.status == 200, shell
    assert shell.header("Content-Type") == "text/plain"
    variables = environment_lines(shell.body)
    assert variables["GATEWAY_INTERFACE"] == "CGI/1.1"
    assert variables["REQUEST_METHOD"] == "GET"
    assert variables["SCRIPT_NAME"] == "/cgi-bin/env.sh"
    assert variables["PATH_INFO"] == "/extra/path"
    assert variables["QUERY_STRING"] == "a=1&b=two"
    assert variables["SCRIPT_FILENAME"] == str(BIN / "env.sh")
    assert variables["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert variables["SERVER_PORT"] == "80"  # from Host: test
    assert variables["REMOTE_ADDR"] == "127.0.0.1"
    assert variables["REDIRECT_STATUS"] == "200"
    assert variables["HTTP_X_TEST"] == "shell"
    assert variables["PATH"] == "/usr/local/bin:/usr/bin:/bin"
    assert variables["PWD"] == str(BIN)  # run from its own directory (RFC 3875 §7.2)

    assert python.status == 200, python
    assert python.header("X-Script") == "echo.py"
    facts = json.loads(python.body)
    assert facts["REQUEST_METHOD"] == "POST"
    assert facts["QUERY_STRING"] == "q=1"
    assert facts["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert facts["CONTENT_LENGTH"] == "14"
    assert facts["body_size"] == 14
    assert facts["PATH_INFO"] is None

    assert empty.status == 200
    assert b'"CONTENT_LENGTH": null' in empty.body


@pytest.mark.parametrize("mode", MODES)
def test_a_large_chunked_body_reaches_the_program_whole_in_every_mode(server, mode):
    srv = cgi_server(server, mode, body_buffer_size="64k", max_body_size="4m")
    body = os.urandom(700_000)
    pieces = [body[i:i + 50_000] for i in range(0, len(body), 50_000)]
    raw = (b"POST /cgi-bin/echo.py HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
           b"Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
           + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n")
    response = request(srv.address, raw, timeout=30)
    assert response.status == 200, response
    facts = json.loads(response.body)
    assert facts["CONTENT_LENGTH"] == str(len(body))  # de-chunked, its length set
    assert facts["body_size"] == len(body)
    assert facts["body_sha256"] == hashlib.sha256(body).hexdigest()


# --- a real CGI program from Debian ----------------------------------------------------------

@needs_man2html
def test_man2html_is_browsed_with_curl(server):
    srv = server(mode="hybrid", cgi=[f"/cgi-bin/man/={MAN2HTML_DIR}"], **pool("hybrid"))
    base = f"{srv.url}/cgi-bin/man/man2html"

    index = curl("--fail", base).stdout.decode(errors="replace")
    assert "Manual Pages - Main Contents" in index
    assert 'action="/cgi-bin/man/man2html"' in index  # it knows its SCRIPT_NAME

    ls_page = curl("--fail", "--include", f"{base}?1+ls").stdout.decode(errors="replace")
    assert ls_page.startswith("HTTP/1.1 200 OK")
    assert re.search(r"(?im)^content-type: text/html", ls_page)
    assert "Man page of LS" in ls_page
    assert "list directory contents" in ls_page

    # follow a cross reference as a browser would
    links = re.findall(r'HREF="(/cgi-bin/man/man2html\?\d\+[\w.-]+)"', ls_page)
    assert links, "the ls page links no other page"
    followed = curl("--fail", srv.url + links[0]).stdout.decode(errors="replace")
    name = links[0].rsplit("+", 1)[1]
    assert f"Man page of {name.upper()}" in followed

    missing = curl("--include", f"{base}?1+no-such-page-here").stdout.decode(errors="replace")
    assert "HTTP/1.1 200" in missing or "HTTP/1.1 404" in missing
    assert "Man page of" not in missing


# --- the response forms of RFC 3875 §6 ----------------------------------------------------------

def test_status_header_local_and_client_redirects_and_nph(server):
    srv = cgi_server(server, "single")
    teapot = get(srv.address, "/cgi-bin/status.sh")
    assert teapot.status == 418
    assert teapot.header("X-From-Script") == "yes"
    assert teapot.header("Status") is None
    assert teapot.body == b"short and stout\n"

    local = get(srv.address, "/cgi-bin/local_redirect.sh")
    assert local.status == 200, local
    variables = environment_lines(local.body)
    assert variables["SCRIPT_NAME"] == "/cgi-bin/env.sh"  # the other program answered
    assert variables["PATH_INFO"] == "/redirected"
    assert variables["QUERY_STRING"] == "from=local"
    assert variables["REQUEST_METHOD"] == "GET"

    client = get(srv.address, "/cgi-bin/client_redirect.sh")
    assert client.status == 302
    assert client.header("Location") == "http://example.com/elsewhere"

    nph = get(srv.address, "/cgi-bin/nph-teapot.sh")
    assert nph.status == 202
    assert nph.header("X-Nph") == "yes"
    assert nph.body == b"nph body\n"

    missing = get(srv.address, "/cgi-bin/no-such-program")
    assert missing.status == 404


def test_a_missing_header_block_is_a_502_and_a_log_line_naming_the_script(server):
    srv = cgi_server(server, "hybrid")
    for script in ("no_head.sh", "bad_head.sh"):
        response = get(srv.address, f"/cgi-bin/{script}?x=1")
        assert response.status == 502, response
        assert b"just some text" not in response.body
        wait_until(lambda: re.search(rf"cgi /cgi-bin/{re.escape(script)} \(GET "
                                     rf"/cgi-bin/{re.escape(script)}\?x=1\): .*502", srv.log()),
                   timeout=5, message=f"the 502 log line of {script}")


def test_no_output_before_cgi_timeout_is_a_504(server, marker):
    srv = cgi_server(server, "prefork", cgi_timeout="1s", cgi_kill_grace="1s")
    mark = marker()
    start = time.monotonic()
    response = get(srv.address, f"/cgi-bin/sleep.sh?{mark}")
    elapsed = time.monotonic() - start
    assert response.status == 504, response
    assert 0.9 <= elapsed < 4, elapsed
    assert "cgi /cgi-bin/sleep.sh" in srv.log() and "504" in srv.log()
    wait_for_none_marked(mark, 3, "the program to be gone", srv)
    # the worker serves on
    assert get(srv.address, "/cgi-bin/status.sh").status == 418


# --- programs whose output does not end as it should ------------------------------------------

def test_output_that_stops_is_cut_off_at_the_idle_timeout(server, marker):
    srv = cgi_server(server, "hybrid", cgi_idle_timeout="1s", cgi_timeout="30s",
                     cgi_kill_grace="1s")
    mark = marker()
    head, body, elapsed = raw_exchange(srv, get_raw(f"/cgi-bin/silent.sh?{mark}"))
    assert head.startswith("HTTP/1.1 200"), head
    assert "transfer-encoding: chunked" in head.lower()
    assert b"first line\n" in body
    assert not body.endswith(b"0\r\n\r\n"), "a cut-off body must not look complete"
    assert 0.9 <= elapsed < 5, elapsed
    wait_for_none_marked(mark, 3, "the program to be gone", srv)
    assert "cut off" in srv.log()


def test_output_that_never_ends_is_cut_off_at_cgi_timeout(server, marker):
    srv = cgi_server(server, "prefork", cgi_idle_timeout="30s", cgi_timeout="1500ms",
                     cgi_kill_grace="1s")
    mark = marker()
    head, body, elapsed = raw_exchange(srv, get_raw(f"/cgi-bin/endless.sh?{mark}"))
    assert head.startswith("HTTP/1.1 200"), head
    assert b"line 1\n" in body and b"line 5\n" in body
    assert not body.endswith(b"0\r\n\r\n")
    assert 1.4 <= elapsed < 6, elapsed
    wait_for_none_marked(mark, 3, "the program to be gone", srv)


@pytest.mark.parametrize("mode", ["fork", "hybrid"])
def test_a_script_that_leaves_a_daemon_behind_completes_promptly(server, marker, mode):
    # the default kill grace (5 s): the response must not wait for it
    srv = cgi_server(server, mode, cgi_timeout="30s")
    mark = marker()
    start = time.monotonic()
    response = get(srv.address, f"/cgi-bin/daemon.sh?{mark}", timeout=10)
    elapsed = time.monotonic() - start
    assert response.status == 200
    assert response.body == b"started a daemon\n"
    assert elapsed < 2.5, elapsed
    wait_for_none_marked(mark, 3, "the daemon to be killed", srv)


@pytest.mark.parametrize("mode", ["single", "hybrid"])
def test_a_script_that_closes_stdout_and_keeps_running(server, marker, mode):
    # Its response is whole once stdout closes: the client does not wait for the kill grace
    # the program gets afterwards (2 s here) to exit by itself; then it is ended.
    srv = cgi_server(server, mode, cgi_timeout="30s", cgi_kill_grace="2s")
    mark = marker()
    start = time.monotonic()
    response = get(srv.address, f"/cgi-bin/close_stdout.sh?{mark}", timeout=10)
    elapsed = time.monotonic() - start
    assert response.status == 200
    assert response.body == b"answered, still running\n"
    assert elapsed < 1.5, f"the response waited {elapsed:.1f} s for a program done with it"
    wait_for_none_marked(mark, 5, "the program to be ended", srv)
    assert get(srv.address, "/cgi-bin/status.sh").status == 418
