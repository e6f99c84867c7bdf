"""The workloads: load tools (wrk, ab, slowhttptest, strace) and the W4 sleepers, and one
function per workload that measures a started server (servers.Run) and returns result records.

Every load is bounded in time and in count and goes to 127.0.0.1. The load tools run on
the load CPU set (taskset), never on the server's.
"""
import hashlib
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from servers import (BODY, BUSY_BODY, STATIC_FILES, W9_BODY, W9_PROGRAMS, W10_HELLO, W10_SLEEP,
                     W10_STATIC, build_w9, http_get, http_get_bytes, install_w9_programs,
                     static_sha256)

PIPELINE_LUA = Path(__file__).resolve().parent / "anchors" / "pipeline.lua"
CLOSE_LUA = Path(__file__).resolve().parent / "anchors" / "close.lua"
W4_IN_FLIGHT = (4, 8, 16, 100)
W10_IN_FLIGHT = (4, 8, 16)  # W10s: sleep.php requests kept in flight (8 PHP processes)
W10_HELLO_VARIANT = "PHP hello"
W7_PATH = "/?sleep=0"  # forkd's demo routes it blocking (to an app worker): see report.py


# ---------------------------------------------------------------- load tools

def _ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(out):
    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        return _ms(*m.groups()) if m else None
    latency = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)([KMGT]?B)", out)
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
              "requests": int(re.search(r"(\d+) requests in", out).group(1)),
              "p50": pct(50), "p99": pct(99), "max": _ms(*latency.groups()) if latency else None,
              "errors": (int(non2xx.group(1)) if non2xx else 0)
                        + (sum(int(x) for x in sockets.groups()) if sockets else 0),
              "timeouts": int(sockets.group(4)) if sockets else 0,
              "non2xx": int(non2xx.group(1)) if non2xx else 0}
    if transfer:  # wrk's MB are MiB (1024-based), heads included; reported as 10^6 B/s
        scale = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}
        result["mb_s"] = float(transfer.group(1)) * scale[transfer.group(2)] / 1e6
    if not result["max"]:
        # wrk times a pipelined batch only when all of it was answered: a server that
        # closes after one response (gunicorn sync) leaves no latency sample at all.
        result.update(p50=None, p99=None, max=None)
    return result


def wrk(port, cpus, connections, seconds, script=None, probe=None, path="/", timeout=None):
    """wrk -t1 for `seconds`; `probe()` is called halfway (W5 samples memory under load)."""
    cmd = ["taskset", "-c", cpus, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    if timeout:
        cmd += ["--timeout", f"{timeout}s"]
    proc = subprocess.Popen(cmd + [f"http://127.0.0.1:{port}{path}"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    probed = None
    if probe:
        time.sleep(seconds / 2)
        probed = probe()
    out, err = proc.communicate(timeout=seconds + 30)
    if proc.returncode != 0 or "Requests/sec" not in out:
        raise RuntimeError(f"wrk failed: {err.strip() or out.strip()}")
    return parse_wrk(out), probed


def parse_ab(out, csv_text):
    """ab's summary plus its -e percentile table (ms with decimals; ab's own is whole ms)."""
    percent = {}
    for line in csv_text.splitlines()[1:]:
        p, t = line.split(",")
        percent[int(float(p))] = float(t)
    def field(pattern, default=0):
        m = re.search(pattern, out)
        return float(m.group(1)) if m else default
    complete = int(field(r"Complete requests:\s+(\d+)"))
    if complete <= 100:
        # ab indexes past its samples for the high percentiles of a short run (its row 99
        # reads 0): with at most 100 requests, p99 is the slowest one.
        percent[99] = percent.get(100)
    return {"rps": field(r"Requests per second:\s+([\d.]+)"), "requests": complete,
            "p50": percent.get(50) if complete else None,
            "p99": percent.get(99) if complete else None,
            "max": percent.get(100) if complete else None,
            "errors": int(field(r"Failed requests:\s+(\d+)") + field(r"Non-2xx responses:\s+(\d+)"))}


def ab(port, cpus, connections, requests, seconds=None, path="/", probe=None):
    """ab without -k (a new connection per request), at most `requests` and `seconds`."""
    with tempfile.NamedTemporaryFile("r", suffix=".csv") as csv:
        cmd = ["taskset", "-c", cpus, "ab", "-q", "-r", "-s", "30", "-e", csv.name]
        if seconds:
            cmd += ["-t", str(seconds)]  # -t resets -n to 50000: -n must come after it
        cmd += ["-n", str(requests), "-c", str(connections), f"http://127.0.0.1:{port}{path}"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        probed = None
        if probe:
            time.sleep(1)
            probed = probe()
        out, err = proc.communicate(timeout=(seconds or 60) + 60)
        if "Complete requests" not in out:
            raise RuntimeError(f"ab failed: {err.strip() or out.strip()}")
        return parse_ab(out, csv.read()), probed


class Sleepers:
    """`count` clients that each keep one `GET /?sleep=2` in flight: a new request on a new
    connection as soon as the last one ends (the tutorial's busy browser tab)."""

    def __init__(self, port, count, path="/?sleep=2"):
        self.port, self.path = port, path
        self.done = self.errors = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._first_sent = set()  # the sleepers whose first request is in the server's socket
        self._threads = [threading.Thread(target=self._loop, args=(i,), daemon=True)
                         for i in range(count)]

    def _loop(self, index):
        def sent():
            with self._lock:
                self._first_sent.add(index)
        while not self._stop.is_set():
            try:
                status, _ = http_get(self.port, self.path, timeout=30, on_sent=sent)
                ok = " 200" in status
            except OSError:
                ok = False
            if self._stop.is_set():
                return  # cut off by the end of the run: neither done nor an error
            with self._lock:
                self.done += ok
                self.errors += not ok
            if not ok:
                time.sleep(0.1)  # do not spin on a refusing server

    def start(self):
        for t in self._threads:
            t.start()

    def wait_until_sent(self, timeout=10.0):
        """Until every sleeper's first request is in the server's socket (polled, with a
        deadline): what is measured next runs beside them."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if len(self._first_sent) == len(self._threads):
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the sleepers' requests were not all sent in {timeout} s")
            time.sleep(0.01)

    def stop(self):
        self._stop.set()

    def join(self):
        for t in self._threads:
            t.join(timeout=35)


# ---------------------------------------------------------------- workloads

def w1(run, opts, memory=None):
    """Hello keep-alive: wrk, then wrk pipelining 16; server CPU per request for both.
    `memory` (W5) receives the idle and under-load PSS samples."""
    records = []
    if memory is not None:
        time.sleep(0.5)
        memory["idle"] = run.tracker.memory()
    for variant, script in (("keep-alive", None), ("pipelined 16", PIPELINE_LUA)):
        cpu_before = run.tracker.cpu_seconds()
        probe = run.tracker.memory if memory is not None and script is None else None
        result, probed = wrk(run.port, opts.load_cpus, opts.connections, opts.seconds, script, probe)
        result["cpu_us"] = (run.tracker.cpu_seconds() - cpu_before) / max(result["requests"], 1) * 1e6
        result.update(variant=variant, connections=opts.connections)
        if script:  # wrk times whole batches, and only complete ones: no per-request latency
            result.update(p50=None, p99=None, max=None)
        if probed:
            memory["load"] = probed
        records.append(result)
    return records


def w2(run, opts, memory=None):
    """A new connection per request: ab without -k. Servers that keep a process per
    connection (the tutorial's) get a bounded count; reports the processes left after."""
    requests = opts.bounded_requests if run.spec.bounded else opts.ab_requests
    if memory is not None:
        time.sleep(0.5)
        memory["idle"] = run.tracker.memory()
    cpu_before = run.tracker.cpu_seconds()
    probe = run.tracker.memory if memory is not None else None
    result, probed = ab(run.port, opts.load_cpus, opts.connections, requests, opts.ab_seconds,
                        probe=probe)
    result["cpu_us"] = (run.tracker.cpu_seconds() - cpu_before) / max(result["requests"], 1) * 1e6
    time.sleep(0.3)  # let connection children exit before counting
    result.update(variant="new connection", connections=opts.connections,
                  processes_left=len(run.tracker.pids()))
    if probed:
        memory["load"] = probed
    return [result]


def w4(run, opts, in_flight):
    """The tutorial's scenario: `in_flight` sleep requests kept busy while `/` is measured
    with ab (new connections, so every server can answer it, the tutorial's included)."""
    sleepers = Sleepers(run.port, in_flight)
    sleepers.start()
    started = time.monotonic()
    time.sleep(1.0)  # let the sleepers reach the workers before measuring
    requests = opts.bounded_requests if run.spec.bounded else 1_000_000
    try:
        result, _ = ab(run.port, opts.load_cpus, opts.w4_clients, requests, opts.w4_seconds)
        # A bounded run can end before the first sleep does: give one sleep time to finish,
        # so that `sleeps done` tells whether the server answers them at all.
        time.sleep(max(0.0, started + 2.5 - time.monotonic()))
    finally:
        sleepers.stop()
    result.update(variant=f"{in_flight} in flight", in_flight=in_flight,
                  connections=opts.w4_clients, processes=len(run.tracker.pids()))
    return [result], sleepers


def _cpu_per_request(run, before, result):
    used = run.tracker.cpu_seconds() - before
    result["cpu_us"] = used / result["requests"] * 1e6 if result["requests"] else None


def w3(run, opts, syscalls=False):
    """Static files, keep-alive: wrk on a 14 B, a 4 KiB and a 1 MiB file (the same bytes for every
    server, checked first); with `syscalls`, also an strace -c -f of one connection's loop on
    the 4 KiB file (system calls per request; slow, so once per run)."""
    expected = static_sha256()
    for variant, (name, _) in STATIC_FILES.items():
        status, body = http_get_bytes(run.port, f"/{name}", timeout=10)
        if " 200" not in status or hashlib.sha256(body).hexdigest() != expected[variant]:
            raise RuntimeError(f"/{name}: {status!r}, {len(body)} bytes, not the bench's file")
    records = []
    for variant, (name, _) in STATIC_FILES.items():
        before = run.tracker.cpu_seconds()
        result, _ = wrk(run.port, opts.load_cpus, opts.connections, opts.seconds, path=f"/{name}")
        _cpu_per_request(run, before, result)
        result.update(variant=variant, connections=opts.connections)
        records.append(result)
    if syscalls:
        records.append(syscall_profile(run, opts, "/" + STATIC_FILES["4 KiB"][0]))
    return records


def parse_strace_summary(text):
    """strace -c's table as {syscall: calls}."""
    calls = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) in (5, 6) and re.fullmatch(r"[\d.]+", fields[0]) and fields[-1] != "total":
            calls[fields[-1]] = int(fields[3])
    return calls


def data_segments_per_response(port, path, count=200):
    """TCP segments with data that the server sent per response: `count` keep-alive GETs on
    one connection, one at a time, then the server socket's data_segs_out (ss -i)."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        for _ in range(count):
            s.sendall(request)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    raise RuntimeError("closed before a response")
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(re.search(rb"(?i)\ncontent-length:\s*(\d+)", head).group(1))
            while len(body) < length:
                chunk = s.recv(1 << 20)
                if not chunk:
                    raise RuntimeError("closed in the middle of a response")
                body += chunk
        mine = s.getsockname()[1]
        out = subprocess.run(["ss", "-Htin", "state", "established",
                              f"( sport = :{port} and dport = :{mine} )"],
                             capture_output=True, text=True, timeout=10).stdout
    m = re.search(r"data_segs_out:(\d+)", out)
    return int(m.group(1)) / count if m else None


def syscall_profile(run, opts, path, seconds=2):
    """System calls per request: strace -c -f on every process of the server while wrk
    keeps one keep-alive connection busy (one connection: no batching of events, the
    plain per-request sequence). strace slows the server down: only the counts matter."""
    out = run.dir / "strace-summary.txt"
    cmd = ["taskset", "-c", opts.load_cpus, "strace", "-c", "-f", "-o", str(out)]
    for pid in run.tracker.pids():
        cmd += ["-p", str(pid)]
    tracer = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)  # until every process is attached
        if tracer.poll() is not None:
            raise RuntimeError(f"strace failed: {tracer.stderr.read().strip()}")
        result, _ = wrk(run.port, opts.load_cpus, 1, seconds, path=path)
    finally:
        if tracer.poll() is None:
            tracer.send_signal(signal.SIGINT)
        try:
            tracer.wait(timeout=20)
        except subprocess.TimeoutExpired:
            tracer.kill()
            tracer.wait()
    calls = parse_strace_summary(out.read_text())
    requests = max(result["requests"], 1)
    mix = sorted(calls.items(), key=lambda kv: -kv[1])
    return {"variant": "4 KiB syscalls", "requests": result["requests"], "connections": 1,
            "syscalls_per_req": sum(calls.values()) / requests,
            "segments_per_resp": data_segments_per_response(run.port, path),
            "syscall_mix": ", ".join(f"{name} {n / requests:.2f}" for name, n in mix
                                     if n / requests >= 0.01)}


def connections_held(port):
    """(established connections to the server's port, its listen queue): the first counts
    every connection the kernel completed, accepted or not; the second those not accepted."""
    def ss(*args):
        return subprocess.run(["ss", "-Htn", *args, f"( sport = :{port} )"], capture_output=True,
                              text=True, timeout=10).stdout.splitlines()
    established = len(ss("state", "established"))
    queued = sum(int(line.split()[1]) for line in ss("-l") if len(line.split()) > 1)
    return established, queued


def slowhttptest_connected(csv_path):
    """The largest `connected` count slowhttptest wrote into its -g statistics."""
    best = None
    try:
        for line in Path(csv_path).read_text().splitlines()[1:]:
            fields = line.split(",")
            if len(fields) >= 4 and fields[3].strip().isdigit():
                best = max(best or 0, int(fields[3]))
    except OSError:
        pass
    return best


def w6(run, opts):
    """Slowloris: slowhttptest -H holds `opts.slowloris` connections that send a header line
    every 10 s and never finish; while they are held, wrk measures `/` with a new connection
    per request (`Connection: close`, so every request needs an accept)."""
    stats = run.dir / "slowloris"
    rate = max(opts.slowloris // 2, 50)  # all of them in about two seconds
    cmd = ["taskset", "-c", opts.load_cpus, "slowhttptest", "-H", "-c", str(opts.slowloris),
           "-r", str(rate), "-i", "10", "-l", str(opts.w6_seconds + 30), "-p", "3",
           "-g", "-o", str(stats), "-u", f"http://127.0.0.1:{run.port}/"]
    attack = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        # Until the count stops growing (or 8 s): forkd's client_header_timeout (10 s) ends
        # the first ones 10 s after they were opened, so the measurement must start soon.
        deadline, best, since = time.monotonic() + 8, (0, 0), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.25)
            if attack.poll() is not None:
                raise RuntimeError("slowhttptest exited early (ulimit -n?)")
            now = connections_held(run.port)
            if now[0] > best[0]:
                best, since = now, time.monotonic()
            elif best[0] >= opts.slowloris or (best[0] and time.monotonic() - since > 1.0):
                break
        samples = []
        before = run.tracker.cpu_seconds()
        result, _ = wrk(run.port, opts.load_cpus, opts.w6_clients, opts.w6_seconds, CLOSE_LUA,
                        probe=lambda: samples.append(connections_held(run.port)), timeout=5)
        _cpu_per_request(run, before, result)
    finally:
        if attack.poll() is None:
            attack.send_signal(signal.SIGINT)
            try:
                attack.wait(timeout=5)
            except subprocess.TimeoutExpired:
                attack.kill()
                attack.wait()
    during = samples[0] if samples else (None, None)
    if not result["requests"]:  # nothing answered: wrk's zeros are no latency
        result.update(p50=None, p99=None, max=None)
    result.update(variant=f"{opts.slowloris} slowloris", connections=opts.w6_clients,
                  slowloris=opts.slowloris, held=best[0], queued=best[1],
                  held_during=during[0],  # wrk's own connections included (at most w6_clients)
                  slowhttptest_connected=slowhttptest_connected(f"{stats}.csv"))
    return [result]


def w7(run, opts):
    """A blocking request through an application worker, keep-alive where the server keeps
    it: wrk on `/?sleep=0`, which every demo answers with `繁忙等待` after sleeping 0 s."""
    status, body = http_get(run.port, W7_PATH)
    if " 200" not in status or body != BUSY_BODY:
        raise RuntimeError(f"{W7_PATH}: {status!r} {body[:60]!r}")
    before = run.tracker.cpu_seconds()
    result, _ = wrk(run.port, opts.load_cpus, opts.connections, opts.seconds, path=W7_PATH)
    _cpu_per_request(run, before, result)
    result.update(variant="blocking hello", connections=opts.connections)
    return [result]


# ---------------------------------------------------------------- W8: forkd's library

W8_MIX_LUA = Path(__file__).resolve().parent / "w8" / "mix.lua"
W8A_VARIANT = "blocking hello"
W8B_UNLOADED = "unloaded: /fast alone, 1 conn"
W8B_VARIANTS = (W8B_UNLOADED, "10 % /slow, /fast", "10 % /slow, /fast?blocking")
W8C_VARIANT = "1 in 1,000 crashes"
W8C_AFTER = 2.0  # seconds of load kept on a server that died, to see what it serves then


def parse_mix(out):
    """mix.lua's done() lines: {path: {sent, answered, lost, waiting, statuses{code: n}, p50,
    p99, max}} and, at the end, {in_flight, silent (connections never answered), oldest (ms)}
    (latencies in ms) and the requests still in flight at the end."""
    paths = {}
    for m in re.finditer(r"^w8 path=(\S+) sent=(\d+) answered=(\d+) lost=(\d+) waiting=(\d+) "
                         r"statuses=(\S*) "
                         r"p50_us=(-?\d+) p99_us=(-?\d+) max_us=(\d+)$", out, re.M):
        path, sent, answered, lost, waiting, codes, p50, p99, top = m.groups()
        statuses = {int(c): int(n) for c, n in (x.split(":") for x in codes.split(",") if x)}
        ms = [int(v) / 1000 if int(v) >= 0 and int(answered) else None for v in (p50, p99, top)]
        paths[path] = dict(sent=int(sent), answered=int(answered), lost=int(lost), waiting=int(waiting),
                           statuses=statuses, p50=ms[0], p99=ms[1], max=ms[2])
    end = re.search(r"^w8 in_flight=(\d+) silent=(\d+) oldest_us=(\d+)$", out, re.M)
    waiting = dict(in_flight=int(end.group(1)), silent=int(end.group(2)),
                   oldest=int(end.group(3)) / 1000) if end else dict(in_flight=0)
    return paths, waiting


def wrk_mix(run, cpus, connections, seconds, every, odd, main, after_death=None):
    """wrk -tN -cN with bench/w8/mix.lua: one request in `every` to `odd`, the rest to
    `main`, latency and status per path. With `after_death` (seconds), a server whose
    process dies gets that much more load, then wrk is stopped (SIGINT: it still reports):
    returns also when it died, in seconds from the start of the load (None: it did not)."""
    cmd = ["taskset", "-c", cpus, "wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s",
           "--latency", "-s", str(W8_MIX_LUA), f"http://127.0.0.1:{run.port}", "--",
           str(every), odd or "-", main]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    died = None
    if after_death is not None:
        while proc.poll() is None:
            if died is None and any(p.poll() is not None for p in run.procs):
                died = time.monotonic() - started
            if died is not None and time.monotonic() - started > died + after_death:
                proc.send_signal(signal.SIGINT)
                break
            time.sleep(0.05)
    out, err = proc.communicate(timeout=seconds + 30)
    elapsed = time.monotonic() - started
    if "Requests/sec" not in out or "w8 in_flight" not in out:  # mix.lua's done() ran
        raise RuntimeError(f"wrk failed: {err.strip() or out.strip()}")
    paths, end = parse_mix(out)
    return parse_wrk(out), paths, end, died, elapsed


def w8a(run, opts):
    """Hello from a blocking handler, keep-alive: wrk on /hello (as W1), server CPU per request."""
    status, body = http_get(run.port, "/hello")
    if " 200" not in status or body != "hello":
        raise RuntimeError(f"/hello: {status!r} {body[:60]!r}")
    before = run.tracker.cpu_seconds()
    result, _ = wrk(run.port, opts.load_cpus, opts.connections, opts.seconds, path="/hello")
    _cpu_per_request(run, before, result)
    result.update(variant=W8A_VARIANT, connections=opts.connections)
    return [result]


def w8b(run, opts, variant):
    """/fast while 10 % of the requests go to /slow (50 ms): each of `connections` wrk
    connections sends 9 /fast then 1 /slow, and so on; the latency of /fast is its own
    (mix.lua). Unloaded: /fast alone on one connection. `/fast?blocking` makes forkd run
    /fast in an app worker; the other servers answer it as /fast."""
    if variant == W8B_UNLOADED:
        connections, every, fast = 1, 0, "/fast"
    else:
        connections, every = opts.connections, 10
        fast = "/fast?blocking" if variant.endswith("?blocking") else "/fast"
    before = run.tracker.cpu_seconds()
    totals, paths, end, _, _ = wrk_mix(run, opts.load_cpus, connections, opts.w8_seconds, every,
                                     "/slow", fast)
    _cpu_per_request(run, before, totals)
    f, s = paths.get(fast, {}), paths.get("/slow", {})
    answered = sum(p["answered"] for p in paths.values())
    bad = sum(p["lost"] + p["answered"] - p["statuses"].get(200, 0) for p in paths.values())
    return [dict(variant=variant, connections=connections, rps=totals["rps"],
                 requests=answered, cpu_us=totals.get("cpu_us"),
                 fast_rps=f.get("answered", 0) / opts.w8_seconds,
                 p50=f.get("p50"), p99=f.get("p99"), max=f.get("max"),
                 slow_p50=s.get("p50"), slow_p99=s.get("p99"),
                 slow_share=100 * s["answered"] / answered if s and answered else None,
                 errors=bad, timeouts=totals["timeouts"], silent=end.get("silent"),
                 oldest=end.get("oldest"))]


def crash_lines(run):
    """Crashes the server itself logged: forkd's master writes one error line per worker
    killed by a signal ("... killed by SIGSEGV (signal 11) serving GET /crash ...")."""
    logs = list(run.dir.glob("*error.log"))
    return sum(len(re.findall(r"killed by .*SIGSEGV.* serving", p.read_text(errors="replace")))
               for p in logs) if logs else None


def w8c(run, opts):
    """One request in 1,000 is /crash (raise(SIGSEGV) in the handler), the rest /hello, for
    `opts.w8c_seconds`. Per path: answered, status, lost (the connection broke first). A
    server whose process dies gets W8C_AFTER more seconds of load, and one more GET /hello
    says what it serves then."""
    totals, paths, end, died, elapsed = wrk_mix(
        run, opts.load_cpus, opts.connections, opts.w8c_seconds, 1000, "/crash", "/hello",
        after_death=W8C_AFTER)
    hello, crash = paths.get("/hello", {}), paths.get("/crash", {})
    answered = sum(p["answered"] for p in paths.values())
    ok = sum(p["statuses"].get(200, 0) for p in paths.values())
    lost = sum(p["lost"] for p in paths.values())
    try:
        status, _ = http_get(run.port, "/hello", timeout=5)
        after = status.split(" ", 1)[1] if " " in status else status
    except ConnectionRefusedError:
        after = "connection refused"
    except OSError as e:
        after = type(e).__name__
    logged = crash_lines(run)
    return [dict(variant=W8C_VARIANT, connections=opts.connections, seconds=elapsed,
                 requests=answered, rps=answered / elapsed if elapsed else 0, ok=ok,
                 failed_requests=answered - ok + lost, lost=lost,
                 status_502=sum(p["statuses"].get(502, 0) for p in paths.values()),
                 hello_failed=hello.get("answered", 0) - hello.get("statuses", {}).get(200, 0)
                 + hello.get("lost", 0),
                 crash_sent=crash.get("sent", 0), crash_502=crash.get("statuses", {}).get(502, 0),
                 # a /crash whose answer the end of the run cut off: crashed, neither failed nor 200
                 crash_waiting=crash.get("waiting", 0),
                 crashes=logged if logged is not None else int(died is not None),
                 died_at=died, after=after,
                 in_flight=end["in_flight"], p99=hello.get("p99"))]


# ---------------------------------------------------------------- W9: CGI hello

def w9(run, opts):
    """CGI hello, keep-alive: wrk on the compiled program (W9a) and on the shell script
    (W9b), each answering `hello` (checked first, and once more after the load); server CPU
    per request includes the programs', which run in the server's cgroup."""
    records = []
    for variant, (path, _) in W9_PROGRAMS.items():
        status, body = http_get(run.port, path)
        if " 200" not in status or body != W9_BODY:
            raise RuntimeError(f"{path}: {status!r} {body[:60]!r}")
        before = run.tracker.cpu_seconds()
        result, _ = wrk(run.port, opts.load_cpus, opts.connections, opts.seconds, path=path)
        _cpu_per_request(run, before, result)
        status, body = http_get(run.port, path)
        result.update(variant=variant, connections=opts.connections,
                      after=" 200" in status and body == W9_BODY)
        records.append(result)
    return records


def w9_floor(opts, spawns):
    """The fork+exec floor: bench/w9/spawn_floor.c runs each W9 program `spawns` times
    (vfork, execve, read to EOF, waitpid) pinned to the server CPU set; per spawn: elapsed
    µs, CPU µs (its own and the programs'), and spawns per second."""
    floor = build_w9("spawn_floor")
    directory = Path(tempfile.mkdtemp(prefix="forkd-bench-w9-floor-"))
    records = []
    try:
        install_w9_programs(directory / "cgi-bin")
        for variant, (_, name) in W9_PROGRAMS.items():
            out = subprocess.run(["taskset", "-c", opts.server_cpus, str(floor),
                                  str(directory / "cgi-bin" / name), str(spawns), "20"],
                                 capture_output=True, text=True, timeout=60)
            m = re.search(r"spawns=(\d+) wall_us=([\d.]+) cpu_us=([\d.]+)", out.stdout)
            if out.returncode != 0 or not m:
                raise RuntimeError(f"spawn_floor {name}: {out.stderr.strip() or out.stdout.strip()}")
            done, wall, cpu = int(m.group(1)), float(m.group(2)), float(m.group(3))
            records.append(dict(variant=variant, requests=done, wall_us=wall, cpu_us=cpu,
                                rps=1e6 / wall))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return records


# ---------------------------------------------------------------- W10: PHP hello

def _check_hello(run):
    status, body = http_get(run.port, W10_HELLO)
    if " 200" not in status or body != BODY:
        raise RuntimeError(f"{W10_HELLO}: {status!r} {body[:60]!r}")


def _settle_memory(run, seconds=0.5):
    """PSS of every process of the set-up (Tracker.memory) after `seconds` without load."""
    time.sleep(seconds)
    return run.tracker.memory()


def w10(run, opts):
    """PHP hello, keep-alive: wrk on hello.php (`<?php echo "this is server";`), server CPU
    per request (every process of the set-up, the PHP processes included). Memory: total PSS
    of the set-up idle (after start-up and one request: every PHP process started) and
    halfway through the load (every PHP process serving)."""
    _check_hello(run)
    idle = _settle_memory(run)
    before = run.tracker.cpu_seconds()
    result, loaded = wrk(run.port, opts.load_cpus, opts.connections, opts.seconds, path=W10_HELLO,
                         probe=run.tracker.memory)
    _cpu_per_request(run, before, result)
    _check_hello(run)
    result.update(variant=W10_HELLO_VARIANT, connections=opts.connections)
    memory = [dict(idle, variant="idle"), dict(loaded, variant="under load")]
    return [result] + [dict(m, workload="W10 memory") for m in memory]


def w10s(run, opts, in_flight):
    """The tutorial's experiment in PHP: `in_flight` clients each keep one sleep.php (1 s)
    in flight while ab measures hello.php and then the static index.html (new connections,
    as W4), both through the same server."""
    _check_hello(run)
    sleepers = Sleepers(run.port, in_flight, path=W10_SLEEP)
    sleepers.start()
    sleepers.wait_until_sent()
    records = []
    try:
        for what, path in (("PHP hello", W10_HELLO), ("static page", W10_STATIC)):
            result, _ = ab(run.port, opts.load_cpus, opts.w4_clients, 1_000_000, opts.w4_seconds,
                           path=path)
            result.update(variant=f"{in_flight} in flight, {what}", in_flight=in_flight,
                          path=path, connections=opts.w4_clients,
                          processes=len(run.tracker.pids()))
            records.append(result)
    finally:
        sleepers.stop()
    return records, sleepers
