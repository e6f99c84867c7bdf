"""Request bodies over body_buffer_size wait in an unlinked temp file in body_temp_path in
every mode, not only in hybrid's io workers: the blocking session of single, fork and
prefork modes spools them too, and the handler gets the body as that file
(`RequestBody::in_file()`), as hybrid's app workers do. The embedding program's `/upload`
(apps/embedded_app.cpp) answers "<size> <crc32> file|memory" for the body it got."""
import os
import zlib
from pathlib import Path

import pytest

from background import open_files_in
from conftest import MODES, child_pids, wait_until
from http_client import Connection

APP = os.environ.get("FORKD_TEST_APP",
                     str(Path(__file__).resolve().parents[2] / "build" / "tests" / "integration"
                         / "forkd_test_app"))

MiB = 1024 * 1024


def start_app(server, mode, spool, **settings):
    settings = {"mode": mode, "max_body_size": "4m", "body_temp_path": str(spool),
                "client_body_timeout": "30s", **settings}
    if mode in ("prefork", "hybrid"):
        settings.setdefault("workers", 1)
    return server(binary=APP, **settings)


def post(target, body, close=False):
    fields = [f"POST {target} HTTP/1.1", "Host: test", f"Content-Length: {len(body)}"]
    if close:
        fields.append("Connection: close")
    return ("\r\n".join(fields) + "\r\n\r\n").encode() + body


def chunked_post(target, pieces):
    head = f"POST {target} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
    return head.encode() + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def described(body, kept):
    return f"{len(body)} {zlib.crc32(body):08x} {kept}".encode()


def process_tree(pid):
    """`pid` and every process below it."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(child_pids(current))
    return found


def spooled_sizes(srv, spool):
    """Sizes of the files any of the server's processes holds open in `spool`."""
    return [size for pid in process_tree(srv.pid) for size in open_files_in(pid, spool).values()]


@pytest.fixture
def spool(tmp_path):
    directory = tmp_path / "bodies"
    directory.mkdir()
    return directory


@pytest.mark.parametrize("mode", MODES)
def test_a_large_body_reaches_the_handler_in_a_file_and_a_small_one_in_memory(server, spool, mode):
    srv = start_app(server, mode, spool)
    large = os.urandom(MiB)
    with Connection(srv.address, timeout=30) as conn:
        conn.send(post("/upload", large))
        in_file = conn.read_response()
        conn.send(chunked_post("/upload", [large[i:i + 100_000]
                                           for i in range(0, len(large), 100_000)]))
        chunked = conn.read_response()
        conn.send(post("/upload", b"small body", close=True))
        small = conn.read_response()

    assert (in_file.status, in_file.body) == (200, described(large, "file"))
    assert (chunked.status, chunked.body) == (200, described(large, "file"))
    assert (small.status, small.body) == (200, described(b"small body", "memory"))
    assert list(spool.iterdir()) == [], "the temp files never had a name"
    wait_until(lambda: spooled_sizes(srv, spool) == [], message="every temp file closed")


@pytest.mark.parametrize("mode", MODES)
def test_a_body_arriving_goes_to_an_unnamed_file_not_to_the_server_s_memory(server, spool, mode):
    srv = start_app(server, mode, spool, body_buffer_size="64k")
    body = os.urandom(MiB)
    held_back = 1000
    with Connection(srv.address, timeout=30) as conn:
        conn.send(post("/upload", body)[:-held_back])
        # Everything read so far is in one file in body_temp_path that no name points to.
        wait_until(lambda: spooled_sizes(srv, spool) == [len(body) - held_back], timeout=20,
                   message="all but the last bytes of the body in a temp file")
        assert list(spool.iterdir()) == [], "the temp file has no name"
        conn.send(body[-held_back:])
        response = conn.read_response()

    assert (response.status, response.body) == (200, described(body, "file"))
    wait_until(lambda: spooled_sizes(srv, spool) == [], message="the temp file closed")


@pytest.mark.parametrize("mode", ["single", "fork", "prefork"])
def test_a_body_temp_path_without_room_for_files_answers_500_to_large_bodies_only(
        server, tmp_path, mode):
    srv = start_app(server, mode, tmp_path / "missing", body_buffer_size="16k")
    with Connection(srv.address, timeout=30) as conn:
        conn.send(post("/upload", b"s" * 1000))
        small = conn.read_response()
    with Connection(srv.address, timeout=30) as conn:
        conn.send(post("/upload", b"L" * 100_000))
        large = conn.read_response()
        assert conn.is_closed_by_server()

    assert (small.status, small.body) == (200, described(b"s" * 1000, "memory"))
    assert large.status == 500
    assert "missing" in srv.log(), "the error names the directory"


@pytest.mark.parametrize("mode", ["single", "fork", "prefork"])
def test_a_chunked_body_past_max_body_size_gets_413_after_part_of_it_went_to_a_file(
        server, spool, mode):
    srv = start_app(server, mode, spool, body_buffer_size="16k", max_body_size="256k")
    with Connection(srv.address, timeout=30) as conn:
        conn.send(chunked_post("/upload", [b"x" * 64 * 1024] * 5)[:-5])
        response = conn.read_response()
        assert conn.is_closed_by_server()

    assert response.status == 413
    wait_until(lambda: spooled_sizes(srv, spool) == [], message="the temp file closed")
