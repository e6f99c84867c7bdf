"""The servers under test: forkd's modes and the anchors. Each is started from a config
template in bench/anchors/ written into a fresh temp dir, on 127.0.0.1 and a free port,
pinned to the server CPU set, and stopped by the PIDs it started (then, by PID, whatever
of it is left).
"""
import dataclasses
import hashlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import atexit
import tempfile
import time
from pathlib import Path
from typing import Callable

from procs import Tracker

ANCHORS = Path(__file__).resolve().parent / "anchors"
BODY = "this is server"
APP_WORKERS = 8        # "8 application workers everywhere" (the W4)
NGINX_MANY = 8         # nginx's "N workers": as many processes as the pools have
TUTORIAL_PIDS_MAX = 2048  # the tutorial server's process cap (pids cgroup)
# W3's files: written into every run's www/ with the same bytes for every server.
# 14 B: a file the size of "this is server", where the head is nearly all of the response.
STATIC_FILES = {"14 B": ("static-14.bin", 14), "4 KiB": ("static-4k.bin", 4096),
                "1 MiB": ("static-1m.bin", 1 << 20)}
BUSY_BODY = "繁忙等待"  # every demo's `/?sleep=N` answer (W7 asks `/?sleep=0`)
W8 = Path(__file__).resolve().parent / "w8"
W8_WORKLOADS = frozenset({"W8a", "W8b", "W8c"})
W9 = Path(__file__).resolve().parent / "w9"
W9_WORKLOADS = frozenset({"W9"})
# W9's CGI programs, in every W9 run's cgi-bin/: the URL path of each variant and its file.
W9_PROGRAMS = {"W9a: C program": ("/cgi-bin/hello", "hello"),
               "W9b: sh script": ("/cgi-bin/hello.sh", "hello.sh")}
W9_BODY = "hello\n"
W10 = Path(__file__).resolve().parent / "w10"
W10_WORKLOADS = frozenset({"W10", "W10s"})  # PHP hello (and idle PSS); the sleeper table
# W10's PHP files, in every W10 run's www/ beside index.html (the static page).
W10_HELLO, W10_SLEEP, W10_STATIC = "/hello.php", "/sleep.php", "/index.html"
PHP_CGI = "/usr/bin/php-cgi"


@dataclasses.dataclass
class Spec:
    name: str
    family: str            # what --servers also matches: forkd, nginx, php-fpm, ...
    about: str             # one line for the report
    needs: list            # executables that must exist
    commands: Callable     # (Run) -> list of argv lists, one per leader process
    keepalive: bool = True     # W1 (wrk keep-alive) makes sense
    sleep_route: bool = True   # W4 needs `/?sleep=2`
    stop_signal: int = signal.SIGTERM
    pids_max: int | None = None
    bounded: bool = False      # every connection leaves a process: bound the counts
    extra: frozenset = frozenset()  # which of W3 (static), W6 (slowloris), W7 (blocking), W9 (CGI) it is in
    solely: frozenset | None = None  # the only workloads it takes part in (W8's, W9's servers)
    ready: tuple = ("/", BODY)       # the GET that answers this body once it serves

    def missing(self, forkd=None):
        """Executables (or, given as callables of the forkd binary, built files) not there."""
        needs = [n(forkd) if callable(n) else n for n in self.needs]
        return [str(n) for n in needs if not (shutil.which(str(n)) or Path(n).exists())]


def render(template, run, **values):
    """Writes bench/anchors/<template> with {{key}} replaced into the run's dir."""
    values = {"port": run.port, "dir": run.dir, **values}
    text = (ANCHORS / template).read_text()
    def value(m):
        return str(values[m.group(1)])
    target = run.dir / template.removesuffix(".tmpl")
    target.write_text(re.sub(r"\{\{(\w+)\}\}", value, text))
    return target


def forkd_commands(mode, setting):
    def commands(run):
        settings = setting(run)
        if run.workload == "W3":  # static files: an inline route (io worker in hybrid mode)
            settings += f'\nroot = "{run.dir / "www"}"'
            # The open-file cache, set explicitly as nginx-static.conf.tmpl sets nginx's
            # (max=1000, valid 60s); only these two settings, no other tuning.
            settings += '\nopen_file_cache = 1000\nopen_file_cache_valid = "60s"'
        if run.workload == "W9":  # CGI hello: every file of the run's cgi-bin/ is a program
            settings += f'\ncgi = ["/cgi-bin/={run.dir / "cgi-bin"}"]'
        if run.workload in W10_WORKLOADS:  # PHP: each worker spawns and keeps one php-cgi
            settings += f'\nroot = "{run.dir / "www"}"\nfastcgi = [".php=spawn:{PHP_CGI}"]'
        conf = render("forkd.toml.tmpl", run, mode=mode, mode_settings=settings)
        return [[run.forkd, "-c", str(conf)]]
    return commands


def nginx_commands(workers):
    def commands(run):
        if run.workload == "W3":
            conf = render("nginx-static.conf.tmpl", run)
        else:  # W6 holds 1,000 slowloris connections besides the load
            conf = render("nginx.conf.tmpl", run, workers=workers,
                          connections=4096 if run.workload == "W6" else 1024)
        return [["nginx", "-p", str(run.dir), "-c", str(conf)]]
    return commands


def forkd_fpm_commands(run):
    # forkd hybrid as forkd-hybrid (1 io worker, 8 app workers) passing *.php to a PHP-FPM
    # pool of 8 (the template nginx-php-fpm uses), one kept connection per app worker.
    fpm = render("php-fpm.conf.tmpl", run, workers=APP_WORKERS)
    settings = (f"io_workers = 1\nworkers = {APP_WORKERS}\nroot = \"{run.dir / 'www'}\"\n"
                f"fastcgi = [\".php=unix:{run.dir / 'php-fpm.sock'}\"]\nfastcgi_keep_conn = true")
    conf = render("forkd.toml.tmpl", run, mode="hybrid", mode_settings=settings)
    return [["php-fpm8.2", "--nodaemonize", "--fpm-config", str(fpm)],
            [run.forkd, "-c", str(conf)]]


def nginx_php_commands(run):
    fpm = render("php-fpm.conf.tmpl", run, workers=APP_WORKERS)
    conf = render("nginx-php-fpm.conf.tmpl", run)
    return [["php-fpm8.2", "--nodaemonize", "--fpm-config", str(fpm)],
            ["nginx", "-p", str(run.dir), "-c", str(conf)]]


def apache_commands(run):
    template = "apache-static.conf.tmpl" if run.workload == "W3" else "apache-prefork.conf.tmpl"
    conf = render(template, run, workers=APP_WORKERS)
    return [["apache2", "-f", str(conf), "-DFOREGROUND"]]


def h2o_commands(run):
    return [["h2o", "-c", str(render("h2o.conf.tmpl", run))]]


def gunicorn_commands(run):
    conf = render("gunicorn.conf.py.tmpl", run, workers=APP_WORKERS)
    return [["gunicorn", "-c", str(conf), "gunicorn_app:app"]]


def tutorial_commands(run):
    return [["php", str(run.dir / "www" / "tutorial_server.php"), str(run.port)]]


def tcpserver_commands(run):
    # -c 8 -b 511 as the issue says; -H -R -l 0: no DNS or ident look-ups per connection.
    responder = build_responder(run.dir)
    return [["tcpserver", "-q", "-H", "-R", "-l", "0", "-c", str(APP_WORKERS), "-b", "511",
             "127.0.0.1", str(run.port), str(responder)]]


def build_responder(directory):
    """Compiles bench/anchors/responder.c; the bench builds it so that no binary is kept."""
    out = Path(directory) / "responder"
    subprocess.run(["cc", "-O2", "-o", str(out), str(ANCHORS / "responder.c")], check=True)
    return out


def fork_floor_commands(run):
    # Static, like a minimal server would be: no dynamic loader, the smallest address space.
    out = run.dir / "fork_floor"
    subprocess.run(["gcc", "-O2", "-static", "-o", str(out), str(ANCHORS / "fork_floor.c")],
                   check=True)
    return [[str(out), str(run.port)]]


def canned_loop_commands(run):
    out = run.dir / "canned_loop"
    subprocess.run(["gcc", "-O2", "-o", str(out), str(ANCHORS / "canned_loop.c")], check=True)
    return [[str(out), str(run.port)]]


def w7_floor_commands(source):
    # W7's floors: a minimal C server of each design (hand-off and prefork), same response.
    def commands(run):
        out = run.dir / source.removesuffix(".c")
        subprocess.run(["gcc", "-O2", "-o", str(out), str(ANCHORS / source)], check=True)
        return [[str(out), str(run.port), str(APP_WORKERS)]]
    return commands


def apache_cgid_commands(run):
    conf = render("apache-cgid.conf.tmpl", run, workers=APP_WORKERS)
    return [["apache2", "-f", str(conf), "-DFOREGROUND"]]


def nginx_fcgiwrap_commands(run):
    # fcgiwrap creates its socket with the umask's mode; nginx's worker runs as nobody and
    # must connect to it (Debian's fcgiwrap.socket: www-data on both sides, mode 0660).
    socket_path = run.dir / "fcgiwrap.sock"
    conf = render("nginx-fcgiwrap.conf.tmpl", run, workers=APP_WORKERS)
    return [["sh", "-c", 'umask 0; exec "$@"', "sh", "fcgiwrap", "-c", str(APP_WORKERS),
             "-s", f"unix:{socket_path}"],
            ["nginx", "-p", str(run.dir), "-c", str(conf)]]


def build_w9(name):
    """Compiles bench/w9/<name>.c with gcc -O2, once per bench run (into a temp dir removed
    at exit): W9's CGI program and its fork+exec floor."""
    if name not in _W9_BUILT:
        directory = Path(tempfile.mkdtemp(prefix="forkd-bench-w9-"))
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        out = directory / name
        subprocess.run(["gcc", "-O2", "-o", str(out), str(W9 / f"{name}.c")], check=True)
        os.chmod(directory, 0o755)  # Apache's cgid daemon runs as www-data
        _W9_BUILT[name] = out
    return _W9_BUILT[name]


_W9_BUILT = {}


def install_w9_programs(directory):
    """W9's two CGI programs into `directory` (cgi-bin/, readable and executable by all:
    Apache runs them as www-data): the compiled hello and the shell script."""
    directory.mkdir(mode=0o755)
    for _, name in W9_PROGRAMS.values():
        source = build_w9("hello_cgi") if name == "hello" else W9 / "hello_cgi.sh"
        shutil.copy(source, directory / name)
        os.chmod(directory / name, 0o755)


def forkd_w8_binary(forkd):
    """bench/w8/forkd_w8.cpp as CMake builds it, beside the forkd binary: build/bench/forkd_w8."""
    return Path(forkd).parent / "bench" / "forkd_w8"


def forkd_w8_commands(run):
    # forkd's own settings as for forkd-hybrid: 1 io worker, 8 app workers (pm static).
    conf = render("forkd.toml.tmpl", run, mode="hybrid",
                  mode_settings=f"io_workers = 1\nworkers = {APP_WORKERS}")
    return [[str(forkd_w8_binary(run.forkd)), "-c", str(conf)]]


_W8_BUILT = {}


def build_w8(source, flags):
    """Compiles bench/w8/<source> with g++ -O2 against Debian's library, once per bench run
    (into a temp dir removed at exit): the normal build does not need these libraries."""
    if source not in _W8_BUILT:
        directory = Path(tempfile.mkdtemp(prefix="forkd-bench-w8-"))
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        out = directory / Path(source).stem
        subprocess.run(["g++", "-std=c++17", "-O2", "-o", str(out), str(W8 / source), *flags,
                        "-pthread"], check=True)
        _W8_BUILT[source] = out
    return _W8_BUILT[source]


def httplib_commands(run):
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "cpp-httplib"], check=True,
                           capture_output=True, text=True).stdout.split()
    return [[str(build_w8("httplib_w8.cpp", flags)), str(run.port)]]


def civetweb_commands(run):
    return [[str(build_w8("civetweb_w8.cpp", ["-lcivetweb"])), str(run.port)]]


def static_bytes(size):
    """W3's file contents: the same pseudo-random bytes in every run and for every server."""
    return random.Random(f"forkd-bench-{size}").randbytes(size)


def static_sha256():
    return {variant: hashlib.sha256(static_bytes(size)).hexdigest()
            for variant, (_, size) in STATIC_FILES.items()}


SPECS = [
    Spec("forkd-fork", "forkd", f"forkd --mode fork (max_children 256; {APP_WORKERS} in W4)",
         [], forkd_commands("fork", lambda run: f"max_children = {run.fork_cap}"),
         stop_signal=signal.SIGINT),
    Spec("forkd-prefork", "forkd", f"forkd --mode prefork --workers {APP_WORKERS}",
         [], forkd_commands("prefork", lambda run: f"workers = {APP_WORKERS}"),
         stop_signal=signal.SIGINT, extra=frozenset({"W3", "W6", "W7", "W9", "W10"})),
    Spec("forkd-hybrid", "forkd",
         f"forkd --mode hybrid --io-workers 1 --workers {APP_WORKERS}",
         [], forkd_commands("hybrid",
                            lambda run: f"io_workers = 1\nworkers = {APP_WORKERS}"),
         stop_signal=signal.SIGINT, extra=frozenset({"W3", "W6", "W7", "W9", "W10"})),
    Spec("nginx-1w", "nginx", "nginx `return 200`, 1 worker", ["nginx"],
         nginx_commands(1), sleep_route=False, extra=frozenset({"W3", "W6"})),
    Spec(f"nginx-{NGINX_MANY}w", "nginx", f"nginx `return 200`, {NGINX_MANY} workers",
         ["nginx"], nginx_commands(NGINX_MANY), sleep_route=False),
    Spec("h2o", "h2o", "h2o, 1 thread, the body as a static file", ["h2o"], h2o_commands,
         sleep_route=False, extra=frozenset({"W3"})),
    Spec("nginx-php-fpm", "php-fpm", f"nginx (1 worker) + PHP-FPM pm=static, {APP_WORKERS} children",
         ["nginx", "php-fpm8.2"], nginx_php_commands, extra=frozenset({"W7", "W10"})),
    Spec("apache-prefork", "apache", f"Apache 2.4 mpm_prefork, {APP_WORKERS} servers, mod_php",
         ["apache2", "/usr/lib/apache2/modules/libphp8.2.so"], apache_commands,
         extra=frozenset({"W3", "W6", "W10"})),
    Spec("gunicorn", "gunicorn", f"gunicorn, {APP_WORKERS} sync workers, WSGI app",
         ["gunicorn"], gunicorn_commands, stop_signal=signal.SIGINT, extra=frozenset({"W7"})),
    Spec("tutorial-php", "tutorial", "the tutorial's PHP server (fork per connection, never reaps)",
         ["php"], tutorial_commands, keepalive=False, pids_max=TUTORIAL_PIDS_MAX, bounded=True),
    Spec("tcpserver", "tcpserver", f"tcpserver -c {APP_WORKERS} -b 511 + C responder (fork+exec per connection)",
         ["tcpserver", "cc"], tcpserver_commands, keepalive=False),
    Spec("fork-floor", "fork-floor",
         "bench/anchors/fork_floor.c (gcc -O2 -static): accept, fork, read, write, _exit; "
         "SIGCHLD ignored: the floor of fork per connection",
         ["gcc"], fork_floor_commands, keepalive=False, sleep_route=False),
    Spec("canned-loop", "canned-loop",
         "bench/anchors/canned_loop.c (gcc -O2): one epoll thread, counts request heads and "
         "writes a fixed response per head, parses nothing, never closes: the ceiling of W1",
         ["gcc"], canned_loop_commands, sleep_route=False, solely=frozenset({"W1"})),
    # W7's floors: what the hand-off itself costs, against what a blocking worker costs.
    Spec("handoff-floor", "handoff-floor",
         f"bench/anchors/handoff_floor.c (gcc -O2): an epoll front hands each request's "
         f"connection to one of {APP_WORKERS} idle worker processes (SCM_RIGHTS), which answer "
         f"and report done; parses nothing: the floor of hybrid's W7",
         ["gcc"], w7_floor_commands("handoff_floor.c"), solely=frozenset({"W7"}),
         extra=frozenset({"W7"}), sleep_route=False, ready=("/", BUSY_BODY)),
    Spec("prefork-floor", "prefork-floor",
         f"bench/anchors/prefork_floor.c (gcc -O2): {APP_WORKERS} processes accept and answer "
         f"with blocking calls; parses nothing: the floor of prefork's W7",
         ["gcc"], w7_floor_commands("prefork_floor.c"), solely=frozenset({"W7"}),
         extra=frozenset({"W7"}), sleep_route=False, ready=("/", BUSY_BODY)),
    # W8: the same four routes (bench/w8/) in forkd's library and two C++ libraries with a
    # pool of 8 threads. They take part in W8 only.
    Spec("forkd-w8", "forkd",
         f"bench/w8/forkd_w8.cpp on forkd's library (forkd::App), hybrid: 1 io worker, "
         f"{APP_WORKERS} app workers", [forkd_w8_binary], forkd_w8_commands,
         stop_signal=signal.SIGINT, solely=W8_WORKLOADS, ready=("/hello", "hello"),
         extra=frozenset({"W8"})),
    Spec("cpp-httplib", "cpp-httplib",
         f"bench/w8/httplib_w8.cpp on cpp-httplib 0.11.4 (g++ -O2), ThreadPool({APP_WORKERS}), "
         "keep-alive as shipped (5 requests, 5 s), TCP_NODELAY",
         ["g++", "pkg-config", "/usr/include/httplib.h"], httplib_commands,
         solely=W8_WORKLOADS, ready=("/hello", "hello"), extra=frozenset({"W8"})),
    Spec("civetweb", "civetweb",
         f"bench/w8/civetweb_w8.cpp on CivetWeb 1.15 (g++ -O2), num_threads {APP_WORKERS}, "
         "enable_keep_alive, tcp_nodelay", ["g++", "/usr/include/civetweb.h"], civetweb_commands,
         solely=W8_WORKLOADS, ready=("/hello", "hello"), extra=frozenset({"W8"})),
    # W9: CGI hello (bench/w9/). forkd-hybrid and forkd-prefork take part with `cgi` set.
    Spec("apache-cgid", "apache",
         f"Apache 2.4 mpm_event, 1 process of {APP_WORKERS} threads, mod_cgid (ScriptAlias "
         "/cgi-bin/), KeepAlive on (5 s, 1000 requests)",
         ["apache2", "gcc", "/usr/lib/apache2/modules/mod_cgid.so"], apache_cgid_commands,
         solely=W9_WORKLOADS, ready=("/cgi-bin/hello", W9_BODY), extra=frozenset({"W9"})),
    Spec("nginx-fcgiwrap", "nginx",
         f"nginx (1 worker) + fcgiwrap -c {APP_WORKERS} over a unix socket "
         "(Debian's example location, fastcgi_pass, SCRIPT_FILENAME)",
         ["nginx", "fcgiwrap", "gcc"], nginx_fcgiwrap_commands,
         solely=W9_WORKLOADS, ready=("/cgi-bin/hello", W9_BODY), extra=frozenset({"W9"})),
    # W10: PHP hello (bench/w10/). forkd-hybrid and forkd-prefork take part spawning php-cgi,
    # nginx-php-fpm and apache-prefork with their PHP; forkd-fpm is forkd passing to PHP-FPM.
    Spec("forkd-fpm", "forkd",
         f"forkd --mode hybrid --io-workers 1 --workers {APP_WORKERS}, `fastcgi` to PHP-FPM "
         f"pm=static, {APP_WORKERS} children (unix socket), `fastcgi_keep_conn = true`",
         ["php-fpm8.2"], forkd_fpm_commands, stop_signal=signal.SIGINT, solely=W10_WORKLOADS,
         extra=frozenset({"W10"})),
]


def select(names):
    """The specs whose name or family is in `names` (all when `names` is empty)."""
    if not names:
        return list(SPECS)
    chosen = [s for s in SPECS if s.name in names or s.family in names]
    unknown = set(names) - {s.name for s in SPECS} - {s.family for s in SPECS}
    if unknown:
        raise SystemExit(f"unknown servers: {', '.join(sorted(unknown))}")
    return chosen


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get_bytes(port, path="/", timeout=5.0, on_sent=None):
    """One GET on a new connection, read to EOF or to the end of a Content-Length body (the
    canned loop never closes); returns (status line, body bytes). `on_sent()` runs once the
    request is in the server's socket."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        if on_sent is not None:
            on_sent()
        data = b""
        while chunk := s.recv(1 << 20):
            data += chunk
            head_end = data.find(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", data[:max(head_end, 0)])
            if head_end >= 0 and length and len(data) - head_end - 4 >= int(length.group(1)):
                break
    # The head ends at the first empty line (CRLF or, for the tutorial's server, LF only).
    ends = [(i, len(sep)) for sep in (b"\r\n\r\n", b"\n\n") if (i := data.find(sep)) >= 0]
    at, length = min(ends) if ends else (len(data), 0)
    head, body = data[:at], data[at + length:]
    if re.search(rb"(?im)^transfer-encoding:\s*chunked\s*$", head):
        body = dechunk(body)  # W9's CGI answers carry no length
    return head.split(b"\n")[0].rstrip(b"\r").decode(errors="replace"), body


def dechunk(data):
    """A chunked body's content (its trailers dropped); what is cut short is kept as is."""
    out, at = [], 0
    while True:
        end = data.find(b"\r\n", at)
        if end < 0:
            return b"".join(out) + data[at:]
        size = int(data[at:end].split(b";")[0] or b"0", 16)
        if size == 0:
            return b"".join(out)
        out.append(data[end + 2:end + 2 + size])
        at = end + 2 + size + 2


def http_get(port, path="/", timeout=5.0, on_sent=None):
    """One GET on a new connection, read to EOF; returns (status line, body) as text."""
    status, body = http_get_bytes(port, path, timeout, on_sent)
    return status, body.decode(errors="replace")


class Run:
    """One started server: `with Run(spec, options) as run:` ... stopped on exit."""

    def __init__(self, spec, forkd, cpus, fork_cap=256, workload=None):
        self.spec, self.forkd, self.cpus, self.fork_cap = spec, forkd, cpus, fork_cap
        self.workload = workload  # the templates differ for W3 (files) and W6 (connections)
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix=f"forkd-bench-{spec.name}-"))
        self.tracker = Tracker(spec.name, spec.pids_max)
        self.procs = []
        self.left_after_stop = 0

    def __enter__(self):
        try:
            self._prepare_dir()
            for argv in self.spec.commands(self):
                pinned = ["taskset", "-c", self.cpus, *argv]
                log = open(self.dir / f"{Path(argv[0]).name}.out", "ab")
                self.procs.append(subprocess.Popen(
                    self.tracker.wrap(pinned), stdout=log, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, start_new_session=True))
                self.tracker.leaders.append(self.procs[-1].pid)
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _prepare_dir(self):
        # Workers run as www-data or nobody: they must read the app and reach sockets here.
        os.chmod(self.dir, 0o755)
        www = self.dir / "www"
        www.mkdir(mode=0o755)
        (www / "index.html").write_text(BODY)
        for name in ("app.php", "gunicorn_app.py", "tutorial_server.php"):
            shutil.copy(ANCHORS / name, www / name)
        if self.workload == "W3":
            for name, size in STATIC_FILES.values():
                (www / name).write_bytes(static_bytes(size))
        if self.workload == "W9":
            install_w9_programs(self.dir / "cgi-bin")
        if self.workload in W10_WORKLOADS:
            for name in (W10_HELLO, W10_SLEEP):
                shutil.copy(W10 / name.lstrip("/"), www / name.lstrip("/"))

    def _wait_ready(self, timeout=15):
        """Until `GET /` answers the shared body: also checks every server says the same
        (W8's servers: `GET /hello`, `hello`)."""
        deadline = time.monotonic() + timeout
        last = None
        path, expected = self.spec.ready
        if self.workload in W10_WORKLOADS:  # `/` is static there: wait for PHP itself
            path, expected = W10_HELLO, BODY
        while time.monotonic() < deadline:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{self.spec.name} exited at start: {self._logs()}")
            try:
                status, body = http_get(self.port, path, timeout=2)
                if " 200" in status and body == expected:
                    return
                last = f"{status!r} {body[:60]!r}"
            except OSError as e:
                last = str(e)
            time.sleep(0.1)
        raise RuntimeError(f"{self.spec.name} not ready: {last}; {self._logs()}")

    def _logs(self):
        texts = [p.read_text(errors="replace")[-400:] for p in self.dir.glob("*.out")]
        texts += [p.read_text(errors="replace")[-400:] for p in self.dir.glob("*error.log")]
        return " | ".join(t.strip() for t in texts if t.strip())

    def __exit__(self, *exc):
        # The server's own stop signal to each leader, then SIGKILL by PID for what is left
        # (the tutorial server's children, tcpserver's sleeping responders).
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(self.spec.stop_signal)
        deadline = time.monotonic() + 5
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        # Children that outlive their leader get one more second (the tutorial's never end).
        grace = min(deadline, time.monotonic() + 1)
        while self.tracker.pids() and time.monotonic() < grace:
            time.sleep(0.05)
        self.left_after_stop = self.tracker.kill_all(timeout=5)
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.tracker.close()
        shutil.rmtree(self.dir, ignore_errors=True)
