"""What a client (or a program) may try against forkd's CGI, and what must never happen:
httpoxy, php-cgi's query-string options (CVE-2012-1823), traversal out of a program
directory, a PATH_INFO that picks another script or runs an upload as PHP, headers that
shadow others, Authorization leaking, server descriptors inherited, and program processes
that outlive their request: grandchildren at cgi_timeout, 100 MB of stderr, and a worker
killed while its program runs."""
import os
import re
import shutil
import signal
import time

import pytest

from background import in_background, wait_for_busy_child
from cgi_support import marker  # noqa: F401 (a fixture)
from cgi_support import (BIN, PHP_CGI, PHP_ROOT, cgi_server, environment_lines,
                         marked_processes, needs_php, pool, wait_for_none_marked)
from conftest import MODES, wait_until
from http_client import Connection, get, request

OUTSIDE_OUTPUT = b"OUTSIDE-PROGRAM-RAN"


def php_server(server, root=PHP_ROOT, mode="hybrid", **settings):
    return server(mode=mode, root=str(root), cgi_interpreters=[f".php={PHP_CGI}"],
                  index=["index.php"], cgi=[f"/cgi-bin/={BIN}"], **pool(mode), **settings)


def raw_get(srv, target, headers=()):
    """GET of `target` exactly as written (no client normalises the dots)."""
    lines = [f"GET {target} HTTP/1.1", "Host: test", *headers, "Connection: close"]
    return request(srv.address, ("\r\n".join(lines) + "\r\n\r\n").encode())


# --- the environment ---------------------------------------------------------------------------

@needs_php
def test_httpoxy_a_proxy_header_never_becomes_http_proxy(server):
    srv = php_server(server)
    headers = ["Proxy: http://attacker.example:3128", "X-Foo: harmless"]
    shell = environment_lines(raw_get(srv, "/cgi-bin/env.sh", headers).body)
    assert "HTTP_PROXY" not in shell
    assert shell["HTTP_X_FOO"] == "harmless"  # other headers do pass
    php = raw_get(srv, "/info.php", headers).body.decode()
    assert "HTTP_PROXY=(unset)" in php
    assert "getenv(HTTP_PROXY)=false" in php
    # nor any proxy variable of the server's own environment
    assert not any(name.lower().endswith("_proxy") for name in shell)


def test_a_header_name_with_an_underscore_is_not_passed(server):
    srv = cgi_server(server, "single")
    both = environment_lines(raw_get(srv, "/cgi-bin/env.sh",
                                     ["X-Foo: dash", "X_Foo: underscore"]).body)
    assert both["HTTP_X_FOO"] == "dash"
    alone = environment_lines(raw_get(srv, "/cgi-bin/env.sh", ["X_Foo: underscore"]).body)
    assert "HTTP_X_FOO" not in alone
    assert "underscore" not in "".join(alone.values())


@pytest.mark.parametrize("passed", [False, True])
def test_authorization_is_withheld_unless_cgi_pass_authorization(server, passed):
    srv = cgi_server(server, "single", cgi_pass_authorization=passed)
    variables = environment_lines(raw_get(srv, "/cgi-bin/env.sh", [
        "Authorization: Basic dXNlcjpzZWNyZXQ=",
        "Proxy-Authorization: Basic cHJveHk6c2VjcmV0"]).body)
    if passed:
        assert variables["HTTP_AUTHORIZATION"] == "Basic dXNlcjpzZWNyZXQ="
    else:
        assert "HTTP_AUTHORIZATION" not in variables
    assert "HTTP_PROXY_AUTHORIZATION" not in variables  # never


def test_no_argv_from_the_query(server):
    srv = cgi_server(server, "single")
    for query in ("-s", "-d+allow_url_include%3d1", "a+b+c"):
        body = raw_get(srv, f"/cgi-bin/args.sh?{query}").body
        assert body == b"argc=0\n", (query, body)


# --- php-cgi's own options from the query (CVE-2012-1823) --------------------------------------

@needs_php
def test_php_cgi_query_s_does_not_disclose_the_source(server):
    srv = php_server(server)
    for target in ("/info.php?-s", "/info.php?-s+", "/info.php?%2ds", "/?-s", "/index.php?-s"):
        response = raw_get(srv, target)
        assert response.status == 200, (target, response)
        assert b"SOURCE-MARKER" not in response.body, target
        assert b"<?php" not in response.body, target
        assert b"<code>" not in response.body, target
    assert b"info done" in raw_get(srv, "/info.php?-s").body


@needs_php
def test_php_cgi_query_d_applies_no_option(server, tmp_path):
    srv = php_server(server)
    payload = b'<?php echo "INJECTED-" . (6 * 7) . "\\n"; ?>'
    query = ("-d+allow_url_include%3d1+-d+auto_prepend_file%3dphp%3a%2f%2finput"
             "+-d+safe_mode%3d0+-n")
    raw = (f"POST /info.php?{query} HTTP/1.1\r\nHost: test\r\n"
           f"Content-Type: application/x-www-form-urlencoded\r\n"
           f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode() + payload
    response = request(srv.address, raw)
    assert response.status == 200, response
    assert b"INJECTED-42" not in response.body
    assert b"allow_url_include=''" in response.body or b"allow_url_include='0'" in response.body
    assert b"auto_prepend_file=''" in response.body
    assert b"info done" in response.body


# --- which program runs ---------------------------------------------------------------------------

@pytest.fixture
def fenced(tmp_path):
    """A cgi directory with a program, a PHP root with a script, and programs beside both
    that must never run: each writes a file when it does, and says so."""
    ran = tmp_path / "ran"
    ran.mkdir()
    cgi_dir = tmp_path / "cgi-bin"
    (cgi_dir / "sub").mkdir(parents=True)
    shutil.copy(BIN / "env.sh", cgi_dir / "env.sh")
    outside = tmp_path / "outside.sh"
    outside.write_text(f"#!/bin/sh\ntouch {ran}/outside.sh\n"
                       f"printf 'Content-Type: text/plain\\r\\n\\r\\n'\n"
                       f"echo {OUTSIDE_OUTPUT.decode()}\n")
    outside.chmod(0o755)
    os.symlink("../outside.sh", cgi_dir / "link-out.sh")
    os.symlink(outside, cgi_dir / "link-abs.sh")
    os.symlink("..", cgi_dir / "dirlink")

    root = tmp_path / "root"
    (root / "uploads").mkdir(parents=True)
    for name in ("a.php", "b.php"):
        shutil.copy(PHP_ROOT / name, root / name)
    (tmp_path / "outside.php").write_text(
        f"<?php touch('{ran}/outside.php'); echo '{OUTSIDE_OUTPUT.decode()}';\n")
    os.symlink("../outside.php", root / "link-out.php")
    # an "image" a visitor uploaded, which is PHP inside
    (root / "uploads" / "avatar.jpg").write_bytes(
        b"\xff\xd8\xff\xe0<?php touch('" + str(ran).encode() + b"/avatar'); "
        b"echo 'EXECUTED-' . (6*7); ?>")
    return {"ran": ran, "cgi_dir": cgi_dir, "root": root, "base": tmp_path}


def never_ran(fenced, response, target):
    assert OUTSIDE_OUTPUT not in response.body, target
    assert b"EXECUTED-42" not in response.body, target
    assert list(fenced["ran"].iterdir()) == [], target


@needs_php
@pytest.mark.parametrize("mode", ["single", "hybrid"])
def test_traversal_never_runs_a_program_outside_the_directory(server, fenced, mode):
    # /control/ maps the directory above: there the program does run (the check can fail)
    srv = server(mode=mode, cgi=[f"/cgi-bin/={fenced['cgi_dir']}", f"/control/={fenced['base']}"],
                 root=str(fenced["root"]), cgi_interpreters=[f".php={PHP_CGI}"], **pool(mode))
    targets = [
        "/cgi-bin/../outside.sh", "/cgi-bin/%2e%2e/outside.sh", "/cgi-bin/%2E%2E/outside.sh",
        "/cgi-bin/.%2e/outside.sh", "/cgi-bin/..%2foutside.sh", "/cgi-bin/..%2Foutside.sh",
        "/cgi-bin/%2e%2e%2foutside.sh", "/cgi-bin/sub/../../outside.sh",
        "/cgi-bin/sub/..%2f..%2foutside.sh", "/cgi-bin/sub%2f..%2f..%2foutside.sh",
        "/cgi-bin/..\\outside.sh", "/cgi-bin/%5c..%5coutside.sh", "/cgi-bin//../outside.sh",
        "/cgi-bin/link-out.sh", "/cgi-bin/link-abs.sh", "/cgi-bin/dirlink/outside.sh",
        "/cgi-bin/env.sh/../../outside.sh", "/cgi-bin/env.sh%2f..%2f..%2foutside.sh",
        "/../outside.php", "/%2e%2e/outside.php", "/%2e%2e%2foutside.php",
        "/uploads/..%2f..%2foutside.php", "/link-out.php", "/a.php/..%2f..%2foutside.php",
    ]
    for target in targets:
        response = raw_get(srv, target)
        never_ran(fenced, response, target)
        assert response.status in (200, 400, 403, 404), (target, response)
    # symlinks out of the directory are refused outright
    assert raw_get(srv, "/cgi-bin/link-out.sh").status == 403
    assert raw_get(srv, "/link-out.php").status == 403
    # and the program inside does run
    assert raw_get(srv, "/cgi-bin/env.sh").status == 200
    control = raw_get(srv, "/control/outside.sh")
    assert OUTSIDE_OUTPUT in control.body and (fenced["ran"] / "outside.sh").exists()


@needs_php
def test_path_info_never_selects_another_script(server, fenced):
    srv = server(mode="hybrid", cgi=[f"/cgi-bin/={BIN}"], root=str(fenced["root"]),
                 cgi_interpreters=[f".php={PHP_CGI}"], **pool("hybrid"))
    a = raw_get(srv, "/a.php/b.php")
    assert a.status == 200
    assert a.body == b"script a, PATH_INFO=/b.php, SCRIPT_NAME=/a.php\n"
    deeper = raw_get(srv, "/a.php/x/b.php")
    assert deeper.body == b"script a, PATH_INFO=/x/b.php, SCRIPT_NAME=/a.php\n"

    shell = environment_lines(raw_get(srv, "/cgi-bin/env.sh/echo.py").body)
    assert shell["SCRIPT_NAME"] == "/cgi-bin/env.sh"
    assert shell["PATH_INFO"] == "/echo.py"

    # an upload named .jpg is never run as PHP, whatever the path after it ends with
    # (nginx + cgi.fix_pathinfo's classic)
    for target in ("/uploads/avatar.jpg/x.php", "/uploads/avatar.jpg/.php",
                   "/uploads/avatar.jpg%2fx.php", "/uploads/avatar.jpg/b.php"):
        never_ran(fenced, raw_get(srv, target), target)
    static = raw_get(srv, "/uploads/avatar.jpg")
    assert static.status == 200 and b"<?php" in static.body  # a static file, as it is
    never_ran(fenced, static, "/uploads/avatar.jpg")


# --- what the program inherits ------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_the_program_holds_only_stdin_stdout_and_stderr(server, mode):
    srv = cgi_server(server, mode, body_buffer_size="16k", max_body_size="1m")
    with Connection(srv.address) as conn:
        conn.send(b"GET /cgi-bin/fds.py HTTP/1.1\r\nHost: test\r\n\r\n")
        plain = conn.read_response()
        body = b"x" * 100_000  # spooled to a file: stdin is that file
        conn.send(b"POST /cgi-bin/fds.py HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
        spooled = conn.read_response()
    for response in (plain, spooled):
        assert response.status == 200, response
        fds = {int(line.split()[0]): line.split(maxsplit=1)[1]
               for line in response.body.decode().splitlines()}
        assert sorted(fds) == [0, 1, 2], fds
        assert fds[1].startswith("pipe:") and fds[2].startswith("pipe:"), fds
        assert not any(target.startswith("socket:") for target in fds.values()), fds


# --- program processes that outlive their request -----------------------------------------------

@pytest.mark.parametrize("mode", ["single", "prefork"])
def test_grandchildren_of_a_hanging_script_are_all_killed_at_cgi_timeout(server, marker, mode):
    srv = cgi_server(server, mode, cgi_timeout="2s", cgi_kill_grace="1s")
    mark = marker()
    reply = in_background(get, srv.address, f"/cgi-bin/hang.sh?{mark}")
    # hang.sh, three sleeps it started, a TERM-ignoring sh and its sleep, its own sleep
    wait_until(lambda: len(marked_processes(mark)) >= 7, timeout=1.8,
               message="the script and its six descendants")
    response = reply.result(timeout=10)
    assert response.status == 504, response
    wait_for_none_marked(mark, 3, "a process of the script", srv)


def test_100_mb_of_stderr_grows_the_log_by_cgi_stderr_limit(server):
    limit = 16 * 1024
    srv = cgi_server(server, "hybrid", cgi_stderr_limit=f"{limit // 1024}k", cgi_timeout="30s")
    before = srv.log_path.stat().st_size
    start = time.monotonic()
    response = get(srv.address, "/cgi-bin/stderr_flood.sh", timeout=30)
    elapsed = time.monotonic() - start
    assert response.status == 200, response
    assert response.body == b"after the flood\n"
    dropped = wait_until(
        lambda: re.search(r"(\d+) more bytes of stderr not logged", srv.log()),
        timeout=5, message="the line saying how much stderr was dropped")
    assert 100_000_000 - 2 * limit <= int(dropped.group(1)) <= 100_000_000 - limit // 2
    grown = srv.log_path.stat().st_size - before
    line = 64  # stderr_flood.sh's lines, newline included
    logged = srv.log().count("cgi /cgi-bin/stderr_flood.sh (GET /cgi-bin/stderr_flood.sh): "
                             "stderr noise")
    assert limit // 2 <= logged * line <= limit
    # each line carries its prefix (time, level, process, script): about 3 times the limit
    assert grown < 8 * limit, grown
    assert elapsed < 15, elapsed


@pytest.mark.parametrize("mode", ["prefork", "hybrid"])
def test_a_worker_killed_while_its_program_runs_takes_the_program_group_along(
        server, marker, mode):
    srv = cgi_server(server, mode, cgi_timeout="60s", request_timeout="60s")
    mark = marker()
    target = f"/cgi-bin/hang.sh?{mark}"
    reply = in_background(get, srv.address, target, timeout=20)
    wait_until(lambda: len(marked_processes(mark)) >= 7, timeout=5,
               message="the script and its six descendants")
    worker = wait_for_busy_child(srv, target)
    os.kill(worker, signal.SIGKILL)
    wait_for_none_marked(mark, 3, "the killed worker's program group to be gone", srv)
    try:
        response = reply.result(timeout=10)
    except (EOFError, ConnectionResetError):
        assert mode == "prefork"  # the worker held the connection itself: it closed
    else:
        assert response.status == 502, response  # the io worker answers for its app worker
    # the pool serves on
    assert get(srv.address, "/cgi-bin/status.sh").status == 418
