"""Debian's `git http-backend` as a CGI program: a real `git clone`, `git fetch` and
`git push` over HTTP through forkd, in hybrid and prefork mode. The clone's pack is a few MB
of incompressible data (the response streams, chunked); the push's pack is larger than
body_buffer_size (the request body spools to a file that becomes the program's stdin), sent
chunked and with a length; the fetch's request is gzip-encoded as git sends it; protocol v2
is negotiated through the Git-Protocol header (HTTP_GIT_PROTOCOL).

Only a wrapper for git-http-backend is in the cgi directory: pointing `cgi` at
/usr/lib/git-core would expose every git program there."""
import hashlib
import os
import socket
import subprocess

import pytest

from cgi_support import GIT_BACKEND as BACKEND
from cgi_support import needs_git, pool, without_proxies
from conftest import wait_until

pytestmark = needs_git

MiB = 1024 * 1024


class GitHost:
    """A bare repository served by forkd, and a git client isolated from this machine's
    configuration."""

    def __init__(self, server, mode, base, seed_bytes=0, fastcgi=None):
        self.base = base
        self.home = base / "home"
        self.home.mkdir()
        self.env = {**without_proxies(os.environ), "HOME": str(self.home),
                    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
                    "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_NAME": "Tess Ter",
                    "GIT_AUTHOR_EMAIL": "tess@example.com", "GIT_COMMITTER_NAME": "Tess Ter",
                    "GIT_COMMITTER_EMAIL": "tess@example.com", "LC_ALL": "C"}
        repos = base / "repos"
        self.bare = repos / "project.git"
        self.git("init", "--quiet", "--bare", "-b", "main", str(self.bare))
        self.git("config", "http.receivepack", "true", cwd=self.bare)  # push without a user

        seed = base / "seed"
        self.git("init", "--quiet", "-b", "main", str(seed))
        (seed / "README").write_text("a project served by git http-backend through forkd\n")
        if seed_bytes:
            self.big = os.urandom(seed_bytes)
            (seed / "big.bin").write_bytes(self.big)
        self.git("add", ".", cwd=seed)
        self.git("commit", "--quiet", "-m", "seed", cwd=seed)
        self.git("push", "--quiet", str(self.bare), "main", cwd=seed)

        programs = base / "git-cgi"
        programs.mkdir()
        # As CGI: a `cgi` directory. Through a FastCGI application (fcgiwrap at the address
        # `fastcgi`): *.cgi under root, which fcgiwrap runs.
        wrapper = programs / ("git.cgi" if fastcgi else "git-http-backend")
        wrapper.write_text(f"#!/bin/sh\nexec {BACKEND}\n")
        wrapper.chmod(0o755)
        where = {"root": str(programs), "fastcgi": [f".cgi={fastcgi}"],
                 "fastcgi_keep_conn": True} if fastcgi else {"cgi": [f"/git/={programs}"]}
        self.server = server(mode=mode, **where,
                             cgi_env=[f"GIT_PROJECT_ROOT={repos}", "GIT_HTTP_EXPORT_ALL=1"],
                             body_buffer_size="64k", max_body_size="64m", cgi_timeout="60s",
                             **pool(mode))
        self.url = (f"{self.server.url}/git.cgi/project.git" if fastcgi
                    else f"{self.server.url}/git/git-http-backend/project.git")

    def git(self, *args, cwd=None, env=None, timeout=60):
        done = subprocess.run(["git", *args], cwd=cwd, env={**self.env, **(env or {})},
                              capture_output=True, timeout=timeout)
        if done.returncode != 0:
            log = self.server.log() if hasattr(self, "server") else ""
            raise AssertionError(f"git {' '.join(args)} failed ({done.returncode}):\n"
                                 f"{done.stderr.decode(errors='replace')}\nforkd's log:\n{log}")
        return done.stdout.decode()

    def traced(self, name):
        """Environment for a git command that records its HTTP headers (GIT_TRACE_CURL
        without the data) in a file; returns (env, path)."""
        path = self.base / f"{name}.trace"
        return {"GIT_TRACE_CURL": str(path), "GIT_TRACE_CURL_NO_DATA": "1"}, path

    def head(self, ref="main"):
        return self.git("rev-parse", ref, cwd=self.bare).strip()


@pytest.fixture(params=["hybrid", "prefork"])
def mode(request):
    return request.param


def test_clone_of_a_pack_of_several_megabytes_streams(server, mode, tmp_path):
    host = GitHost(server, mode, tmp_path, seed_bytes=4 * MiB)
    env, trace = host.traced("clone")
    clone = tmp_path / "clone"
    host.git("clone", "--quiet", host.url, str(clone), env=env)
    assert hashlib.sha256((clone / "big.bin").read_bytes()).digest() == \
        hashlib.sha256(host.big).digest()
    assert host.git("rev-parse", "HEAD", cwd=clone).strip() == host.head()
    headers = trace.read_text(errors="replace")
    # the pack came as the program wrote it, in chunks, not as one buffered body
    assert "<= Recv header: Transfer-Encoding: chunked" in headers
    assert "Content-Type: application/x-git-upload-pack-result" in headers
    host.git("fsck", "--no-progress", cwd=clone)


def test_fetch_with_a_gzip_encoded_request(server, mode, tmp_path):
    host = GitHost(server, mode, tmp_path)
    clone = tmp_path / "clone"
    host.git("clone", "--quiet", host.url, str(clone))

    # forty new branches on the server, each its own commit: the fetch request wants all
    # forty, over the 1 KiB past which git gzips its request body
    base = host.head()
    stream = []
    for i in range(40):
        message = f"topic {i}\n"
        content = f"work on topic {i}\n"
        stream.append(f"commit refs/heads/topic-{i:02}\n"
                      f"committer Tess Ter <tess@example.com> {1700000000 + i} +0000\n"
                      f"data {len(message)}\n{message}from {base}\n"
                      f"M 644 inline topic-{i:02}.txt\ndata {len(content)}\n{content}\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=host.bare, env=host.env,
                   input="".join(stream).encode(), check=True, timeout=60)

    env, trace = host.traced("fetch")
    host.git("fetch", "--quiet", "origin", cwd=clone, env=env)
    fetched = host.git("for-each-ref", "--format=%(refname) %(objectname)",
                       "refs/remotes/origin/", cwd=clone).split("\n")
    topics = dict(line.split() for line in fetched if "/topic-" in line)
    assert len(topics) == 40
    assert topics["refs/remotes/origin/topic-39"] == host.head("topic-39")
    assert "=> Send header: Content-Encoding: gzip" in trace.read_text(errors="replace")
    assert host.git("show", "origin/topic-07:topic-07.txt", cwd=clone) == "work on topic 7\n"


@pytest.mark.parametrize("framing", ["chunked", "length"])
def test_push_of_a_pack_larger_than_body_buffer_size(server, mode, tmp_path, framing):
    host = GitHost(server, mode, tmp_path)
    clone = tmp_path / "clone"
    host.git("clone", "--quiet", host.url, str(clone))
    payload = os.urandom(2 * MiB)  # incompressible: the pack is > 2 MiB, body_buffer_size 64k
    (clone / "upload.bin").write_bytes(payload)
    host.git("add", "upload.bin", cwd=clone)
    host.git("commit", "--quiet", "-m", "a large file", cwd=clone)

    env, trace = host.traced("push")
    # git sends a body over http.postBuffer (1 MiB by default) chunked, a smaller one with
    # its length
    options = ["-c", "http.postBuffer=16m"] if framing == "length" else []
    host.git(*options, "push", "--quiet", "origin", "main", cwd=clone, env=env)

    assert host.head() == host.git("rev-parse", "HEAD", cwd=clone).strip()
    blob = host.git("rev-parse", "main:upload.bin", cwd=host.bare).strip()
    assert int(host.git("cat-file", "-s", blob, cwd=host.bare)) == len(payload)
    host.git("fsck", "--no-progress", cwd=host.bare)
    headers = trace.read_text(errors="replace")
    assert "Content-Type: application/x-git-receive-pack-request" in headers
    if framing == "chunked":
        assert "=> Send header: Transfer-Encoding: chunked" in headers
    else:
        lengths = [int(line.rsplit(" ", 1)[1]) for line in headers.splitlines()
                   if "=> Send header: Content-Length:" in line]
        assert max(lengths) > 2 * MiB, lengths

    # and what was pushed comes back
    again = tmp_path / "again"
    host.git("clone", "--quiet", host.url, str(again))
    assert (again / "upload.bin").read_bytes() == payload


def test_protocol_v2_reaches_the_backend(server, mode, tmp_path):
    host = GitHost(server, mode, tmp_path)
    packets = tmp_path / "v2.packets"
    env, trace = host.traced("v2")
    clone = tmp_path / "clone"
    host.git("-c", "protocol.version=2", "clone", "--quiet", host.url, str(clone),
             env={**env, "GIT_TRACE_PACKET": str(packets)})
    assert host.git("rev-parse", "HEAD", cwd=clone).strip() == host.head()
    assert "=> Send header: Git-Protocol: version=2" in trace.read_text(errors="replace")
    # the server answered in v2: GIT_PROTOCOL (from HTTP_GIT_PROTOCOL) reached upload-pack
    spoken = packets.read_text(errors="replace")
    assert "< version 2" in spoken
    assert "> command=ls-refs" in spoken and "> command=fetch" in spoken

    # asked for v0, the same server speaks v0
    old = tmp_path / "v0.packets"
    listed = host.git("-c", "protocol.version=0", "ls-remote", host.url,
                      env={"GIT_TRACE_PACKET": str(old)})
    assert f"{host.head()}\trefs/heads/main" in listed
    assert "< version 2" not in old.read_text(errors="replace")


FCGIWRAP = "/usr/sbin/fcgiwrap"


@pytest.fixture
def fcgiwrap():
    """Debian's fcgiwrap on a loopback TCP port: the FastCGI server nginx users run CGI
    programs (git http-backend among them) with."""
    with socket.socket() as probe:  # a free port for it (it takes none by itself)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([FCGIWRAP, "-c", "2", "-s", f"tcp:127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def listening():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    wait_until(listening, timeout=10, message="fcgiwrap's port")
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.skipif(not os.access(FCGIWRAP, os.X_OK),
                    reason="fcgiwrap is not installed (scripts/install-deps)")
def test_clone_and_push_through_fcgiwrap_over_tcp(server, mode, tmp_path, fcgiwrap):
    host = GitHost(server, mode, tmp_path, seed_bytes=2 * MiB, fastcgi=fcgiwrap)
    clone = tmp_path / "clone"
    host.git("clone", "--quiet", host.url, str(clone))
    assert (clone / "big.bin").read_bytes() == host.big
    (clone / "more.bin").write_bytes(os.urandom(256 * 1024))  # over body_buffer_size
    host.git("add", "more.bin", cwd=clone)
    host.git("commit", "--quiet", "-m", "more", cwd=clone)
    host.git("push", "--quiet", "origin", "main", cwd=clone)
    assert host.head() == host.git("rev-parse", "HEAD", cwd=clone).strip()
