"""Static files in every mode: conditionals, ranges, MIME types, HEAD, precompressed
variants, directories and autoindex, symlink policies, traversal attempts that must never
reach the secret beside the root, and a 100 MiB file sent to a slow reader without the
server's memory growing."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import MODES, child_pids, wait_until
from http_client import Connection, get, request

SECRET = b"TOPSECRET-7f3a"
HELLO = b"hello, static world\n"  # 20 bytes


def make_site():
    """<base>/secret.txt beside <base>/root, the document root, and its files."""
    base = Path(tempfile.mkdtemp(prefix="forkd-static-"))
    (base / "secret.txt").write_bytes(SECRET)
    root = base / "root"
    for directory in ("docs", "empty", "list", "sub"):
        (root / directory).mkdir(parents=True)
    (root / "hello.txt").write_bytes(HELLO)
    (root / "style.css").write_bytes(b"body { color: red }\n")
    (root / "style.css.gz").write_bytes(b"GZ-VARIANT")
    (root / "style.css.br").write_bytes(b"BR-VARIANT")
    (root / "app.js").write_bytes(b"console.log(1)\n")
    (root / "data.json").write_bytes(b"{}")
    (root / "image.png").write_bytes(b"\x89PNG\r\n")
    (root / "blob.unknownext").write_bytes(b"?")
    (root / ".env").write_bytes(SECRET)
    (root / "docs" / "index.html").write_bytes(b"<h1>docs</h1>")
    (root / "list" / '<img src=x onerror="a">&.txt').write_bytes(b"x")
    (root / "list" / "plain.txt").write_bytes(b"y")
    (root / "sub" / "inner.txt").write_bytes(b"inner")
    os.symlink("hello.txt", root / "link-in")
    os.symlink("../secret.txt", root / "link-out")
    os.symlink(base / "secret.txt", root / "link-abs")
    os.symlink("..", root / "dirlink")
    return base, root


@pytest.fixture(params=MODES)
def site(request, server):
    """A server in each mode serving a fresh document root."""
    def start(**settings):
        base, root = make_site()
        request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
        pool = {"workers": 2} if request.param in ("prefork", "hybrid") else {}
        if request.param == "hybrid":
            pool["io_workers"] = 1
        srv = server(mode=request.param, root=str(root), **pool, **settings)
        srv.root, srv.base = root, base
        return srv
    return start


def raw_get(srv, target, headers=(), method="GET"):
    lines = [f"{method} {target} HTTP/1.1", "Host: test", *headers, "Connection: close"]
    return request(srv.address, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"),
                   head_only=method == "HEAD")


def curl(srv, *args):
    result = subprocess.run(["curl", "-sS", "-D", "-", "--max-time", "10", *args],
                            capture_output=True, check=True)
    return result.stdout


# --- files, HEAD, MIME ------------------------------------------------------------------

def test_serves_a_file_with_validators(site):
    srv = site()
    response = get(srv.address, "/hello.txt")
    assert response.status == 200
    assert response.body == HELLO
    assert response.header("Content-Length") == str(len(HELLO))
    assert response.header("Accept-Ranges") == "bytes"
    assert response.header("ETag").startswith('"') and response.header("ETag").endswith('"')
    assert response.header("Last-Modified").endswith(" GMT")


def test_head_sends_the_head_of_get_without_a_body(site):
    srv = site()
    with Connection(srv.address) as conn:
        conn.send(b"HEAD /hello.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        head = conn.read_response(head_only=True)
        assert head.status == 200
        assert head.header("Content-Length") == str(len(HELLO))
        assert conn.read_response().body == HELLO  # nothing stray between the two


@pytest.mark.parametrize("path,content_type", [
    ("/hello.txt", "text/plain; charset=utf-8"),
    ("/style.css", "text/css; charset=utf-8"),
    ("/app.js", "text/javascript; charset=utf-8"),
    ("/data.json", "application/json; charset=utf-8"),
    ("/image.png", "image/png"),
    ("/blob.unknownext", "application/octet-stream"),
])
def test_content_type_comes_from_the_mime_table(site, path, content_type):
    assert get(site().address, path).header("Content-Type") == content_type


def test_default_type_applies_to_unknown_extensions(site):
    srv = site(default_type="text/plain")
    assert get(srv.address, "/blob.unknownext").header("Content-Type") == "text/plain; charset=utf-8"


def test_other_methods_get_405_with_allow(site):
    response = raw_get(site(), "/hello.txt", method="DELETE")
    assert response.status == 405
    assert response.header("Allow") == "GET, HEAD"


def test_missing_file_is_404_and_dotfiles_are_404(site):
    srv = site()
    assert get(srv.address, "/nothing-here").status == 404
    response = get(srv.address, "/.env")
    assert response.status == 404 and SECRET not in response.body


def test_a_path_the_file_system_cannot_hold_is_404(site):
    # ENAMETOOLONG names no file, as nginx answers; 414 is for a request line past the limit.
    srv = site()
    long_name = "/" + "n" * 300
    long_path = ("/" + "d" * 99) * 80  # 8,000 bytes, inside max_request_line (8k)
    for target in (long_name, "/docs" + long_name, long_path):
        assert raw_get(srv, target).status == 404, len(target)
    assert raw_get(srv, "/x" * 4200).status == 414


def test_dotfiles_allow_serves_them(site):
    assert get(site(dotfiles="allow").address, "/.env").body == SECRET


def test_unreadable_file_is_403(site):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    srv = site()
    (srv.root / "hello.txt").chmod(0)
    assert get(srv.address, "/hello.txt").status == 403


# --- directories --------------------------------------------------------------------------

def test_directory_without_slash_redirects(site):
    response = get(site().address, "/docs?x=1")
    assert response.status == 301
    assert response.header("Location") == "/docs/?x=1"


def test_directory_serves_its_index_file(site):
    response = get(site().address, "/docs/")
    assert response.status == 200 and response.body == b"<h1>docs</h1>"
    assert response.header("Content-Type") == "text/html; charset=utf-8"


def test_directory_without_index_is_403_unless_autoindex(site):
    assert get(site().address, "/list/").status == 403


def test_autoindex_escapes_names(site):
    response = get(site(autoindex=True).address, "/list/")
    assert response.status == 200
    assert b"<img" not in response.body
    assert b"&lt;img src=x onerror=&quot;a&quot;&gt;&amp;.txt" in response.body
    assert b'href="./%3Cimg%20src=x%20onerror=%22a%22%3E&amp;.txt"' in response.body
    assert b"plain.txt" in response.body


def test_index_setting_names_the_index_files(site):
    srv = site(index=["inner.txt"])
    assert get(srv.address, "/sub/").body == b"inner"


def test_locations_map_a_prefix_to_another_directory(site, tmp_path):
    extra = tmp_path / "assets"
    extra.mkdir()
    (extra / "logo.svg").write_bytes(b"<svg/>")
    srv = site(locations=[f"/assets/={extra}"])
    response = get(srv.address, "/assets/logo.svg")
    assert response.status == 200 and response.body == b"<svg/>"
    assert get(srv.address, "/assets/../hello.txt").body == HELLO


# --- conditional requests -----------------------------------------------------------------

def test_if_none_match_with_the_current_etag_is_304(site):
    srv = site()
    etag = get(srv.address, "/hello.txt").header("ETag")
    response = get(srv.address, "/hello.txt", {"If-None-Match": etag})
    assert response.status == 304 and response.body == b""
    assert response.header("ETag") == etag
    assert get(srv.address, "/hello.txt", {"If-None-Match": '"other"'}).status == 200
    assert get(srv.address, "/hello.txt", {"If-None-Match": "*"}).status == 304


def test_if_modified_since(site):
    srv = site()
    last_modified = get(srv.address, "/hello.txt").header("Last-Modified")
    assert get(srv.address, "/hello.txt", {"If-Modified-Since": last_modified}).status == 304
    old = "Sun, 06 Nov 1994 08:49:37 GMT"
    assert get(srv.address, "/hello.txt", {"If-Modified-Since": old}).status == 200
    assert get(srv.address, "/hello.txt", {"If-Modified-Since": "garbage"}).status == 200
    # The obsolete formats count too.
    assert get(srv.address, "/hello.txt",
               {"If-Modified-Since": "Sunday, 06-Nov-94 08:49:37 GMT"}).status == 200


def test_curl_time_condition_gets_304(site):
    srv = site()
    out = curl(srv, "-z", "Fri, 01 Jan 2100 00:00:00 GMT", srv.url + "/hello.txt")
    assert out.startswith(b"HTTP/1.1 304")


def test_if_match_and_if_unmodified_since_give_412(site):
    srv = site()
    etag = get(srv.address, "/hello.txt").header("ETag")
    assert get(srv.address, "/hello.txt", {"If-Match": '"other"'}).status == 412
    assert get(srv.address, "/hello.txt", {"If-Match": etag}).status == 200
    assert get(srv.address, "/hello.txt", {"If-Match": "W/" + etag}).status == 412
    old = "Sun, 06 Nov 1994 08:49:37 GMT"
    assert get(srv.address, "/hello.txt", {"If-Unmodified-Since": old}).status == 412
    # If-Match wins over If-Unmodified-Since (RFC 9110 §13.2.2).
    assert get(srv.address, "/hello.txt", {"If-Match": etag, "If-Unmodified-Since": old}).status == 200


def test_if_match_failure_wins_over_if_none_match(site):
    srv = site()
    etag = get(srv.address, "/hello.txt").header("ETag")
    headers = {"If-Match": '"other"', "If-None-Match": etag}
    assert get(srv.address, "/hello.txt", headers).status == 412


# --- ranges -------------------------------------------------------------------------------

@pytest.mark.parametrize("spec,body,content_range", [
    ("bytes=0-4", HELLO[0:5], "bytes 0-4/20"),
    ("bytes=6-", HELLO[6:], "bytes 6-19/20"),
    ("bytes=-7", HELLO[-7:], "bytes 13-19/20"),
    ("bytes=10-1000", HELLO[10:], "bytes 10-19/20"),
    ("bytes=-100", HELLO, "bytes 0-19/20"),
    ("BYTES=1-1", HELLO[1:2], "bytes 1-1/20"),
])
def test_single_range_is_206(site, spec, body, content_range):
    response = get(site().address, "/hello.txt", {"Range": spec})
    assert response.status == 206
    assert response.body == body
    assert response.header("Content-Range") == content_range


def test_multiple_ranges_are_multipart_byteranges(site):
    response = get(site().address, "/hello.txt", {"Range": "bytes=0-4,-6"})
    assert response.status == 206
    content_type = response.header("Content-Type")
    assert content_type.startswith("multipart/byteranges; boundary=")
    boundary = content_type.split("boundary=")[1].encode()
    assert response.body.startswith(b"--" + boundary + b"\r\n")
    assert response.body.endswith(b"\r\n--" + boundary + b"--\r\n")
    assert b"Content-Range: bytes 0-4/20\r\n\r\nhello\r\n" in response.body
    assert b"Content-Range: bytes 14-19/20\r\n\r\nworld\n\r\n" in response.body
    assert response.header("Content-Length") == str(len(response.body))


def test_curl_range(site):
    srv = site()
    out = curl(srv, "-r", "0-4", srv.url + "/hello.txt")
    assert out.startswith(b"HTTP/1.1 206") and out.endswith(b"\r\n\r\nhello")


@pytest.mark.parametrize("spec", ["bytes=20-", "bytes=100-200", "bytes=-0", "bytes=30-40,50-"])
def test_unsatisfiable_range_is_416(site, spec):
    response = get(site().address, "/hello.txt", {"Range": spec})
    assert response.status == 416
    assert response.header("Content-Range") == "bytes */20"


@pytest.mark.parametrize("spec", ["bytes=5-2", "bytes=abc", "bytes", "items=0-1", "bytes=1-2-3",
                                  "bytes=,", "bytes=0-1,x", "bytes=--5", "bytes=0x1-2"])
def test_malformed_range_is_ignored(site, spec):
    response = get(site().address, "/hello.txt", {"Range": spec})
    assert response.status == 200 and response.body == HELLO


def test_if_range(site):
    srv = site()
    first = get(srv.address, "/hello.txt")
    etag, modified = first.header("ETag"), first.header("Last-Modified")
    assert get(srv.address, "/hello.txt", {"Range": "bytes=0-1", "If-Range": etag}).status == 206
    assert get(srv.address, "/hello.txt", {"Range": "bytes=0-1", "If-Range": modified}).status == 206
    stale = get(srv.address, "/hello.txt", {"Range": "bytes=0-1", "If-Range": '"old"'})
    assert stale.status == 200 and stale.body == HELLO


def test_head_ignores_range(site):
    response = raw_get(site(), "/hello.txt", ["Range: bytes=0-1"], method="HEAD")
    assert response.status == 200 and response.header("Content-Length") == "20"


# --- precompressed variants ---------------------------------------------------------------

def test_precompressed_variants(site):
    srv = site()
    br = get(srv.address, "/style.css", {"Accept-Encoding": "gzip, br"})
    assert br.body == b"BR-VARIANT" and br.header("Content-Encoding") == "br"
    assert br.header("Vary") == "Accept-Encoding"
    assert br.header("Content-Type") == "text/css; charset=utf-8"
    gz = get(srv.address, "/style.css", {"Accept-Encoding": "gzip"})
    assert gz.body == b"GZ-VARIANT" and gz.header("Content-Encoding") == "gzip"
    refused = get(srv.address, "/style.css", {"Accept-Encoding": "gzip;q=0, br;q=0"})
    assert refused.body == b"body { color: red }\n" and refused.header("Content-Encoding") is None
    plain = get(srv.address, "/style.css")
    assert plain.header("Content-Encoding") is None


# --- traversal and symlinks ---------------------------------------------------------------

TRAVERSALS = [
    "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/.%2e/secret.txt",
    "/..%2fsecret.txt", "/..%2Fsecret.txt", "/%2e%2e%2fsecret.txt", "/%252e%252e/secret.txt",
    "/..%252fsecret.txt", "/..\\secret.txt", "/..%5csecret.txt", "/secret.txt%00",
    "/%00/../secret.txt", "/sub/../../secret.txt", "/./../secret.txt", "//../secret.txt",
    "http://test/../secret.txt", "http://test/%2e%2e/secret.txt", "/link-out", "/link-abs",
    "/dirlink/secret.txt", "/sub/..%2f..%2fsecret.txt", "/%c0%ae%c0%ae/secret.txt",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_never_reaches_the_secret(site, target):
    srv = site()
    try:
        response = raw_get(srv, target)
    except EOFError:
        return  # closed without an answer: nothing leaked
    assert SECRET not in response.body
    assert response.status in (400, 403, 404)


def test_curl_path_as_is_traversal(site):
    srv = site()
    out = curl(srv, "--path-as-is", srv.url + "/../secret.txt")
    assert SECRET not in out and out.startswith(b"HTTP/1.1 400")


def test_symlinks_on_follows_links_inside_the_root(site):
    srv = site()
    assert get(srv.address, "/link-in").body == HELLO
    assert get(srv.address, "/link-out").status == 404


def test_symlinks_off_refuses_every_link(site):
    srv = site(symlinks="off")
    assert get(srv.address, "/link-in").status == 403
    assert get(srv.address, "/hello.txt").status == 200


def test_symlinks_owner_follows_only_same_owner_links(site):
    if os.geteuid() != 0:
        pytest.skip("giving a symlink another owner needs root")
    srv = site(symlinks="owner")
    os.symlink("hello.txt", srv.root / "foreign-link")
    os.lchown(srv.root / "foreign-link", 12345, 12345)
    assert get(srv.address, "/link-in").body == HELLO
    assert get(srv.address, "/foreign-link").status == 403


# --- open-file cache ----------------------------------------------------------------------

def get_on(conn, target, headers=()):
    """A keep-alive request on `conn`: one connection is one serving process, one cache."""
    lines = [f"GET {target} HTTP/1.1", "Host: test", *headers]
    conn.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    return conn.read_response()


def holders_of(srv, path):
    """The server's processes that hold `path` open (a cached descriptor)."""
    holders = []
    for pid in process_tree(srv.pid):
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if any(link == str(path) for link in links):
            holders.append(pid)
    return holders


def test_open_file_cache_shows_every_change_to_a_file_at_once(site):
    # The flag form, and a validity of an hour: only the fstat of each request can tell.
    srv = site(args=["--open-file-cache", "100", "--open-file-cache-valid", "1h"])
    path = srv.root / "hello.txt"
    with Connection(srv.address) as conn:
        first = get_on(conn, "/hello.txt")
        assert first.body == HELLO
        assert holders_of(srv, path), "the serving process should keep the file open"

        inode = path.stat().st_ino
        edited = b"hello, edited static world\n"
        with open(path, "r+b") as file:  # in place: same inode, new bytes and length
            file.write(edited)
        assert path.stat().st_ino == inode
        second = get_on(conn, "/hello.txt")
        assert second.body == edited
        assert second.header("Content-Length") == str(len(edited))
        assert second.header("ETag") != first.header("ETag")
        assert get_on(conn, "/hello.txt", [f"If-None-Match: {first.header('ETag')}"]).status == 200

        (srv.root / "hello.txt.new").write_bytes(b"replaced\n")
        os.replace(srv.root / "hello.txt.new", path)  # a rename over it, as rsync does
        assert get_on(conn, "/hello.txt").body == b"replaced\n"

        path.unlink()
        assert get_on(conn, "/hello.txt").status == 404


def test_open_file_cache_off_keeps_no_file_open(site):
    srv = site(open_file_cache=0)
    path = srv.root / "hello.txt"
    with Connection(srv.address) as conn:
        assert get_on(conn, "/hello.txt").body == HELLO
        # The response may close its descriptor a moment after the client has the bytes.
        wait_until(lambda: holders_of(srv, path) == [], timeout=5,
                   message="the file to be closed after its response")


# --- large files --------------------------------------------------------------------------

def vm_rss_kb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def process_tree(pid):
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        pending.extend(child_pids(current))
    return pids


def test_100_mib_file_to_a_slow_reader_keeps_rss_flat(site):
    srv = site()
    size = 100 * 1024 * 1024
    with open(srv.root / "big.bin", "wb") as big:
        big.truncate(size)  # sparse: costs no disk
    baseline = max(vm_rss_kb(pid) for pid in process_tree(srv.pid))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.settimeout(20)
    sock.connect(srv.address)
    sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    received, peak = 0, 0
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:  # the slow part: 16 KiB every 20 ms
        received += len(sock.recv(16 * 1024))
        time.sleep(0.02)  # the slow reader is the behaviour under test
        peak = max(peak, *(vm_rss_kb(pid) for pid in process_tree(srv.pid)))
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        received += len(chunk)
    sock.close()
    head = 100  # the response head is well under this
    assert size < received < size + 1000 + head
    assert peak - baseline < 16 * 1024, f"RSS grew from {baseline} kB to {peak} kB"
