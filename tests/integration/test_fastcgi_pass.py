"""FastCGI pass (`fastcgi = [".php=unix:/path"]`): PHP files under `root` answered by a real
php-fpm over its unix socket, everything else static. The same script lookup, environment
and header-block rules as CGI (cgi.md), over FastCGI records: PARAMS, STDIN, STDOUT,
FCGI_STDERR into the error log, END_REQUEST; php-fpm unreachable is 502, too slow 504.

php-fpm refuses to run a pool as root (CI runs as root): its pool runs as www-data, on
scripts in a directory that user can read."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from cgi_support import pool
from conftest import FORKD_BIN, wait_until
from http_client import get, request

PHP_FPM = "/usr/sbin/php-fpm8.2"

needs_fpm = pytest.mark.skipif(not os.access(PHP_FPM, os.X_OK),
                               reason="php8.2-fpm is not installed (scripts/install-deps)")

SCRIPTS = {
    "info.php": '<?php error_log("info ran"); header("X-Via: fpm");\n'
                'echo $_SERVER["SCRIPT_NAME"], "|", $_SERVER["PATH_INFO"] ?? "", "|",\n'
                '     $_SERVER["QUERY_STRING"], "|", $_SERVER["REQUEST_METHOD"], "|",\n'
                '     strlen(file_get_contents("php://input")), "|",\n'
                '     md5(file_get_contents("php://input")), "|", getmypid();\n',
    "sleep.php": '<?php sleep((int)($_GET["s"] ?? 5)); echo "slept";\n',
    "status.php": '<?php header("Status: 404 Not Found"); echo "gone";\n',
    "index.php": '<?php echo "the index";\n',
}


@pytest.fixture
def fpm():
    """A php-fpm with a static pool of 2 www-data children on a unix socket."""
    home = Path(tempfile.mkdtemp(prefix="forkd-fpm-"))
    home.chmod(0o755)
    www = home / "www"
    www.mkdir(mode=0o755)
    for name, text in SCRIPTS.items():
        (www / name).write_text(text)
        (www / name).chmod(0o644)
    (www / "page.txt").write_text("static text\n")
    (www / "page.txt").chmod(0o644)
    socket_path = home / "php.sock"
    (home / "fpm.conf").write_text(f"""[global]
error_log = {home}/fpm.log
daemonize = no
[www]
user = www-data
group = www-data
listen = {socket_path}
listen.mode = 0666
pm = static
pm.max_children = 2
catch_workers_output = yes
""")
    proc = subprocess.Popen([PHP_FPM, "-F", "-y", str(home / "fpm.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(socket_path.exists, timeout=10, message="php-fpm's socket")
    yield {"www": www, "socket": socket_path, "home": home}
    proc.send_signal(signal.SIGQUIT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(home, ignore_errors=True)


def php_server(server, fpm, mode="hybrid", **settings):
    return server(mode=mode, root=str(fpm["www"]), index=["index.html", "index.php"],
                  fastcgi=[f".php=unix:{fpm['socket']}"], **{**pool(mode), **settings})


def fields(response):
    return response.body.decode().split("|")


@needs_fpm
@pytest.mark.parametrize("mode", ["prefork", "hybrid"])
def test_php_runs_in_fpm_and_static_files_stay_static(server, fpm, mode):
    srv = php_server(server, fpm, mode)
    response = get(srv.address, "/info.php/extra/path?a=1")
    assert response.status == 200
    assert response.header("X-Via") == "fpm"
    name, path_info, query, method, length, _, pid = fields(response)
    assert (name, path_info, query, method, length) == ("/info.php", "/extra/path", "a=1",
                                                        "GET", "0")
    assert int(pid) not in srv.children()  # a php-fpm child, not one of forkd's
    assert get(srv.address, "/page.txt").body == b"static text\n"
    assert get(srv.address, "/").body == b"the index"
    assert get(srv.address, "/status.php").status == 404
    wait_until(lambda: "cgi /info.php (GET /info.php/extra/path?a=1): " in srv.log()
               and "info ran" in srv.log(), timeout=5, message="php's stderr in the error log")


@needs_fpm
def test_a_body_larger_than_the_buffer_reaches_php_whole(server, fpm):
    import hashlib
    srv = php_server(server, fpm, body_buffer_size="64k", max_body_size="4m")
    body = os.urandom(1024 * 1024)
    head = (f"POST /info.php HTTP/1.1\r\nHost: test\r\nContent-Length: {len(body)}\r\n"
            "Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
    response = request(srv.address, head.encode() + body, timeout=30)
    _, _, _, method, length, digest, _ = fields(response)
    assert (method, int(length), digest) == ("POST", len(body), hashlib.md5(body).hexdigest())


@needs_fpm
def test_fpm_unreachable_is_502_and_too_slow_is_504(server, fpm):
    srv = php_server(server, fpm, cgi_idle_timeout="1s")
    assert get(srv.address, "/sleep.php?s=5").status == 504
    fpm["socket"].rename(fpm["home"] / "moved.sock")
    response = get(srv.address, "/info.php")
    assert response.status == 502
    assert "cannot connect to the FastCGI application" in srv.log()
    fpm["socket"].with_name("moved.sock").rename(fpm["socket"])
    assert get(srv.address, "/info.php").status == 200  # back as soon as it is


@needs_fpm
def test_kept_connections_are_reused(server, fpm):
    srv = php_server(server, fpm, mode="prefork", workers=1, fastcgi_keep_conn=True)
    pids = {fields(get(srv.address, "/info.php"))[-1] for _ in range(5)}
    assert len(pids) == 1  # one php-fpm child, pinned to the kept connection
    assert len(fpm_connections(fpm)) == 1, fpm_connections(fpm)


@needs_fpm
def test_static_answers_while_every_fpm_child_sleeps(server, fpm):
    """The tutorial's experiment in PHP: the sleepers hold php-fpm, the page is inline."""
    import threading
    srv = php_server(server, fpm, workers=4)
    done = []
    sleepers = [threading.Thread(target=lambda: done.append(get(srv.address, "/sleep.php?s=2",
                                                                timeout=30).status))
                for _ in range(2)]
    for thread in sleepers:
        thread.start()
    wait_until(lambda: len(fpm_connections(fpm)) == 2, timeout=10,
               message="both php-fpm children busy")
    started = time.monotonic()
    assert get(srv.address, "/page.txt").body == b"static text\n"
    assert time.monotonic() - started < 1.5  # not behind a sleeper
    for thread in sleepers:
        thread.join(30)
    assert done == [200, 200]


def fpm_connections(fpm):
    """The connections php-fpm's socket has now, one line each (ss)."""
    out = subprocess.run(["ss", "-x", "-H", "state", "connected", "src", str(fpm["socket"])],
                         capture_output=True, text=True).stdout
    return out.splitlines()


def test_an_extension_mapped_both_ways_is_refused_by_forkd_t(tmp_path):
    (tmp_path / "forkd.toml").write_text(
        f'root = "{tmp_path}"\ncgi_interpreters = [".php=/bin/sh"]\n'
        f'fastcgi = [".php=unix:/run/php.sock"]\n')
    result = subprocess.run([FORKD_BIN, "-t", "-c", str(tmp_path / "forkd.toml")],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "fastcgi: .php is also in cgi_interpreters" in result.stderr
