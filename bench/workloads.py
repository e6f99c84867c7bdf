"""The workloads: load tools (wrk, ab) and the W4 sleepers, and one function per workload
that measures a started server (servers.Run) and returns result records.

Every load is bounded in time and in count and goes to 127.0.0.1. The load tools run on
the load CPU set (taskset), never on the server's.
"""
import re
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from servers import http_get

PIPELINE_LUA = Path(__file__).resolve().parent / "anchors" / "pipeline.lua"
W4_IN_FLIGHT = (4, 8, 16)


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
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
              "requests": int(re.search(r"(\d+) requests in", out).group(1)),
              "p50": pct(50), "p99": pct(99), "max": _ms(*latency.groups()) if latency else None,
              "errors": (int(non2xx.group(1)) if non2xx else 0)
                        + (sum(int(x) for x in sockets.groups()) if sockets else 0)}
    if not result["max"]:
        # wrk times a pipelined batch only when all of it was answered: a server that
        # closes after one response (gunicorn sync) leaves no latency sample at all.
        result.update(p50=None, p99=None, max=None)
    return result


def wrk(port, cpus, connections, seconds, script=None, probe=None):
    """wrk -t1 for `seconds`; `probe()` is called halfway (W5 samples memory under load)."""
    cmd = ["taskset", "-c", cpus, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    proc = subprocess.Popen(cmd + [f"http://127.0.0.1:{port}/"], stdout=subprocess.PIPE,
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
        self._threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(count)]

    def _loop(self):
        while not self._stop.is_set():
            try:
                status, _ = http_get(self.port, self.path, timeout=30)
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


# W3 (static files, 4 KiB and 1 MiB keep-alive) waits for the static-files issue. The hook:
# write the two files into each run's www/ dir (servers.Run._prepare_dir), point each
# anchor's template at them, add `def w3(run, opts)` here running wrk on their paths, and
# list "W3" in bench.WORKLOADS.
