"""A small PHP application (tests/integration/cgi/php) run by Debian's php8.2-cgi through
cgi_interpreters: its front page as the index, a form POST, a file upload (multipart, larger
than body_buffer_size so it reaches php-cgi from the spooled file), a session kept by its
cookie, client and local redirects, header('Status: 404'), and PATH_INFO/SCRIPT_NAME.
Requests are made with curl, as a visitor's client would."""
import hashlib
import os
import re

import pytest

from cgi_support import PHP_CGI, PHP_ROOT, curl, needs_php, pool

pytestmark = needs_php

# php-cgi per request (cgi_interpreters), and php-cgi processes forkd spawns and keeps
# (fastcgi spawn, test_php_spawn.py): the same application, the same answers.
WAYS = {"cgi": {"cgi_interpreters": [f".php={PHP_CGI}"]},
        "spawn": {"fastcgi": [f".php=spawn:{PHP_CGI}"]}}


@pytest.fixture(params=[(mode, way) for way in WAYS for mode in ["prefork", "hybrid"]],
                ids=lambda param: "-".join(param))
def php(request, server, tmp_path):
    mode, way = request.param
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    srv = server(mode=mode, root=str(PHP_ROOT), index=["index.php"], **WAYS[way],
                 cgi_env=[f"PHP_SESSION_DIR={sessions}"],
                 body_buffer_size="64k", max_body_size="4m", **pool(mode))
    srv.sessions = sessions
    return srv


def fetch(*args):
    """curl's output for `args`, head included: (status, {lower-cased name: value}, body)."""
    out = curl("--include", *args).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def test_the_front_page_is_index_php_and_static_files_stay_static(php):
    status, headers, body = fetch(f"{php.url}/")
    assert status == 200
    assert body == b"php index\nSCRIPT_NAME=/index.php\n"
    assert headers["content-type"].startswith("text/plain")

    status, headers, body = fetch(f"{php.url}/style.css")
    assert status == 200 and body == b"body { color: teal }\n"
    assert headers["content-type"].startswith("text/css")

    # the source of a script is never sent
    status, _, body = fetch(f"{php.url}/info.php")
    assert status == 200 and b"<?php" not in body and b"info done" in body


def test_a_form_post(php):
    status, _, body = fetch("--data-urlencode", "name=Ann Smith & co",
                            "--data-urlencode", "colour=réséda", f"{php.url}/form.php")
    assert status == 200
    assert body == "name=Ann Smith & co\ncolour=réséda\ncount=2\n".encode()
    status, _, body = fetch(f"{php.url}/form.php")
    assert body == b"send a POST\n"


def test_a_file_upload_larger_than_body_buffer_size(php, tmp_path):
    document = tmp_path / "report.bin"
    content = os.urandom(300_000)  # over body_buffer_size (64k): the body spools
    document.write_bytes(content)
    status, _, body = fetch("-F", "title=quarterly", "-F", f"document=@{document}",
                            f"{php.url}/upload.php")
    assert status == 200, body
    assert body.decode().splitlines() == [
        "title=quarterly", "name=report.bin", f"size={len(content)}",
        f"md5={hashlib.md5(content).hexdigest()}"]


def test_a_session_cookie_is_kept_across_requests(php, tmp_path):
    jar = tmp_path / "cookies.txt"
    seen = []
    for _ in range(3):
        status, headers, body = fetch("--cookie-jar", str(jar), "--cookie", str(jar),
                                      f"{php.url}/session.php")
        assert status == 200
        seen.append(body)
    assert seen == [b"visits=1\n", b"visits=2\n", b"visits=3\n"]
    assert "PHPSESSID" in jar.read_text()
    assert len(list(php.sessions.iterdir())) == 1
    # without the cookie, a new session
    assert fetch(f"{php.url}/session.php")[2] == b"visits=1\n"


def test_redirects_client_and_local(php):
    status, headers, body = fetch(f"{php.url}/redirect.php")
    assert status == 302
    assert headers["location"] == "/other.php"
    assert curl("--location", f"{php.url}/redirect.php").stdout == b"this is other.php\n"

    # a Location path alone: the server answers with that page itself
    status, headers, body = fetch(f"{php.url}/local.php")
    assert status == 200
    assert "location" not in headers
    assert body == b"this is page.php, query via=local, method GET\n"

    # a local redirect from a POST is answered as a GET of the new target
    status, _, body = fetch("--data", "x=1", f"{php.url}/local.php")
    assert body == b"this is page.php, query via=local, method GET\n"


def test_a_status_header_sets_the_status(php):
    status, headers, body = fetch(f"{php.url}/missing.php")
    assert status == 404
    assert "status" not in headers
    assert body == b"no such thing here\n"


def test_path_info_and_script_name(php):
    status, _, body = fetch(f"{php.url}/info.php/extra/path?q=1")
    assert status == 200
    facts = dict(re.findall(r"^(\w+)=(.*)$", body.decode(), re.M))
    assert facts["SCRIPT_NAME"] == "/info.php"
    assert facts["PATH_INFO"] == "/extra/path"
    assert facts["PATH_TRANSLATED"] == f"{PHP_ROOT}/extra/path"
    assert facts["SCRIPT_FILENAME"] == f"{PHP_ROOT}/info.php"
    assert facts["QUERY_STRING"] == "q=1"
    assert facts["REQUEST_URI"] == "/info.php/extra/path?q=1"
    # encoded characters are decoded in PATH_INFO, not in REQUEST_URI
    status, _, body = fetch(f"{php.url}/info.php/a%20b/%C3%A9")
    facts = dict(re.findall(r"^(\w+)=(.*)$", body.decode(), re.M))
    assert facts["PATH_INFO"] == "/a b/é"
    assert facts["REQUEST_URI"] == "/info.php/a%20b/%C3%A9"
