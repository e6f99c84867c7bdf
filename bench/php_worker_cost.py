#!/usr/bin/env python3
"""What a PHP request costs forkd's worker, not PHP: instructions (callgrind) and system calls
(strace) per request of W10's hello (`<?php echo "this is server";`) in forkd's prefork worker
spawning php-cgi (`fastcgi = [".php=spawn:/usr/bin/php-cgi"]`, `workers = 1`).

- instructions: forkd under `valgrind --tool=callgrind --trace-children=yes` (without it a
  forked worker has no vgdb pipe for callgrind_control); after 200 requests of warm-up
  `callgrind_control -z` on the worker, `ab -k -c1 -n N /hello.php`, then `callgrind_control
  -d`: the worker's instructions (Ir) / N. They repeat to within a few instructions per
  request from run to run. Valgrind 3.19 (Debian 12) does not know `pidfd_open`, which
  forkd needs to spawn php-cgi, so here forkd passes to a php-cgi started beside it
  (`php-cgi -b SOCKET`, `fastcgi_keep_conn = true`): the same lookup, environment, records
  and response path, with a kept connection in place of the spawned one.
- system calls: forkd natively, spawning php-cgi itself, `strace -f -c -p WORKER` around the
  same `ab` run: the calls it counts / N (php-cgi is older than the trace, so `-f` does not
  follow it).

Usage: bench/php_worker_cost.py [build/forkd] [--requests 2000] [--php-cgi /usr/bin/php-cgi]
Prints both figures and strace's table (bench/reading.md, "PHP hello: the worker's share").
"""
import argparse
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from log_cost import children
from metrics_cost import ab, instructions, wait_for


class PhpSite:
    """forkd prefork, one worker, spawning php-cgi for a root with hello.php."""

    def __init__(self, forkd, php_cgi, workdir, wrapper=(), spawn=True):
        self.dir = Path(tempfile.mkdtemp(dir=workdir))
        root = self.dir / "www"
        root.mkdir()
        (root / "hello.php").write_text('<?php echo "this is server";')
        self.php = None
        upstream = f"spawn:{php_cgi}"
        if not spawn:
            socket = self.dir / "php.sock"
            self.php = subprocess.Popen([php_cgi, "-b", str(socket)],
                                        env={"PHP_FCGI_MAX_REQUESTS": "0"},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for(socket.exists, 30, "php-cgi's socket")
            upstream = f"unix:{socket}"
        config = self.dir / "forkd.toml"
        config.write_text("\n".join([
            'mode = "prefork"', "workers = 1", 'pm = "static"', 'listen = ["127.0.0.1:0"]',
            f'root = "{root}"', f'fastcgi = [".php={upstream}"]', "fastcgi_keep_conn = true",
            f'error_log = "{self.dir}/error.log"']) + "\n")
        self.proc = subprocess.Popen([*wrapper, forkd, "-c", str(config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL)
        try:
            self.start(spawn)
        except BaseException:
            self.stop()
            raise

    def start(self, spawn):
        log = self.dir / "error.log"
        found = wait_for(lambda: log.exists() and re.search(r"listening on [\d.]+:(\d+)",
                                                            log.read_text()), 120, "forkd")
        self.port = int(found.group(1))
        # The worker is the master's one child, and php-cgi the worker's.
        wait_for(lambda: len(children(self.proc.pid)) == 1, 120, "the worker")
        self.worker = children(self.proc.pid)[0]
        if spawn:
            wait_for(lambda: children(self.worker), 120, "php-cgi")
        ab(self.port, "/hello.php", 200)  # warm-up: opcache, lazy binding, the connection

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.php:
            self.php.terminate()
            self.php.wait(timeout=30)


def instructions_per_request(forkd, php_cgi, requests, workdir):
    site = PhpSite(forkd, php_cgi, workdir,
                   ["valgrind", "--tool=callgrind", "--trace-children=yes",
                    f"--callgrind-out-file={workdir}/callgrind.out.%p"], spawn=False)
    try:
        run = lambda *a: subprocess.run(["callgrind_control", *a, str(site.worker)],  # noqa: E731
                                        check=True, capture_output=True)
        run("-z")
        ab(site.port, "/hello.php", requests)
        dumps = lambda: set(Path(workdir).glob(f"callgrind.out.{site.worker}.*"))  # noqa: E731
        before = dumps()
        run("-d")
        dump = wait_for(lambda: dumps() - before, 60, "the dump")
        return instructions(sorted(dump)[-1]) / requests
    finally:
        site.stop()


def syscalls_per_request(forkd, php_cgi, requests, workdir):
    site = PhpSite(forkd, php_cgi, workdir)
    table = Path(workdir) / "strace.txt"
    try:
        strace = subprocess.Popen(["strace", "-f", "-c", "-o", str(table), "-p",
                                   str(site.worker)], stderr=subprocess.PIPE, text=True)
        # strace says so on stderr once it has attached
        wait_for(lambda: "attached" in strace.stderr.readline(), 30, "strace to attach")
        ab(site.port, "/hello.php", requests)
        strace.send_signal(signal.SIGINT)
        strace.wait(timeout=30)
    finally:
        site.stop()
    text = table.read_text()
    total = re.search(r"^[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?total$", text, re.M)
    return int(total.group(1)) / requests, text


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("forkd", nargs="?", default="build/forkd")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--php-cgi", default="/usr/bin/php-cgi")
    args = parser.parse_args()
    forkd = str(Path(args.forkd).resolve())
    with tempfile.TemporaryDirectory(prefix="forkd-php-cost-") as workdir:
        per_request = instructions_per_request(forkd, args.php_cgi, args.requests, workdir)
        calls, table = syscalls_per_request(forkd, args.php_cgi, args.requests, workdir)
    print(f"GET /hello.php, prefork worker, `ab -k -c1 -n {args.requests}`:")
    print(f"instructions per request (callgrind, worker only, passing to php-cgi -b): "
          f"{per_request:,.0f}")
    print(f"system calls per request (strace -f -c -p worker, spawning php-cgi): "
          f"{calls:.2f}\n")
    print(table)


if __name__ == "__main__":
    sys.exit(main())
