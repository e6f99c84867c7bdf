"""Benchmarks forkd's modes with wrk and ab; writes a Markdown report.

Fairness: the server runs pinned to one CPU (taskset), the load generator to another; each
workload runs REPEAT times and the median is reported with min and max. Server CPU per
request is the utime+stime of every server process (the master, its live children, and its
reaped children through cutime/cstime) divided by the requests completed, so it stays
honest on a 2-core machine where the load generator saturates its own core.
"""
import argparse
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid):
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                kids = []
            found.extend(kids)
            todo.extend(kids)
    return found


def cpu_seconds(pid):
    """CPU time of `pid`, its reaped children and its live descendants."""
    def stat_fields(p):
        try:
            text = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            return None
        return text[text.rindex(")") + 2:].split()
    total = 0
    master = stat_fields(pid)
    if master:
        total += sum(int(x) for x in master[11:15])  # utime stime cutime cstime
    for child in descendants(pid):
        fields = stat_fields(child)
        if fields:
            total += int(fields[11]) + int(fields[12])
    return total / TICK


class Server:
    def __init__(self, forkd, mode, cpu, extra):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="forkd-bench-", suffix=".log")
        args = ["taskset", "-c", str(cpu), forkd, "--mode", mode,
                "--listen", f"127.0.0.1:{self.port}", "--log-level", "warn", *extra]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"forkd --mode {mode} did not start")

    def stop(self):
        self.proc.send_signal(2)
        self.proc.wait(timeout=15)


def run_wrk(port, cpu, connections, seconds):
    out = subprocess.run(
        ["taskset", "-c", str(cpu), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
         f"http://127.0.0.1:{port}/"], capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(x) for x in socket_errors.groups())
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": pct(50), "p99": pct(99), "requests": requests, "errors": failed}


def run_ab(port, cpu, connections, count):
    out = subprocess.run(
        ["taskset", "-c", str(cpu), "ab", "-q", "-n", str(count), "-c", str(connections),
         f"http://127.0.0.1:{port}/"], capture_output=True, text=True, check=True).stdout
    def pct(p):
        return float(re.search(rf"\s{p}%\s+(\d+)", out).group(1))
    failed = int(re.search(r"Failed requests:\s+(\d+)", out).group(1))
    return {"rps": float(re.search(r"Requests per second:\s+([\d.]+)", out).group(1)),
            "p50": pct(50), "p99": pct(99), "requests": count, "errors": failed}


def measure(forkd, mode, extra, tool, args):
    server = Server(forkd, mode, args.server_cpu, extra)
    try:
        before = cpu_seconds(server.proc.pid)
        if tool == "wrk":
            connections = 1 if mode == "single" else args.connections
            result = run_wrk(server.port, args.load_cpu, connections, args.seconds)
        else:
            connections = 1 if mode == "single" else args.connections
            result = run_ab(server.port, args.load_cpu, connections, args.ab_requests)
        after = cpu_seconds(server.proc.pid)
        result["cpu_us"] = (after - before) / max(result["requests"], 1) * 1e6
        result["connections"] = connections
        return result
    finally:
        server.stop()


def median_row(runs):
    row = {}
    for key in ("rps", "p50", "p99", "cpu_us", "errors", "connections"):
        values = [r[key] for r in runs]
        row[key] = (statistics.median(values), min(values), max(values))
    return row


def tool_version(command):
    try:
        out = subprocess.run(command, capture_output=True, text=True)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def report(rows, args):
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/run, bench/bench.py); numbers from the last run on the",
        "machine below. Absolute numbers drift on a shared machine: compare rows of the same run.",
        "",
        f"- machine: {os.cpu_count()} CPUs, {platform.machine()}, kernel {platform.release()}",
        f"- server pinned to CPU {args.server_cpu}, load generator to CPU {args.load_cpu}",
        f"- {tool_version(['wrk', '--version'])}; {tool_version(['ab', '-V'])}",
        f"- each row: median of {args.repeat} runs (min-max); wrk runs {args.seconds}s, "
        f"ab sends {args.ab_requests} requests; `GET /` (`this is server`)",
        "- server CPU per request: utime+stime of all server processes / requests",
        "- single mode gets one connection: it serves one client at a time by design",
        "",
        "| mode | workload | connections | req/s | p50 ms | p99 ms | server CPU µs/req | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    def fmt(triple, digits):
        med, lo, hi = triple
        return f"{med:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"
    for (mode, workload), row in rows:
        lines.append(
            f"| {mode} | {workload} | {int(row['connections'][0])} | {fmt(row['rps'], 0)} | "
            f"{fmt(row['p50'], 2)} | {fmt(row['p99'], 2)} | {fmt(row['cpu_us'], 1)} | "
            f"{int(row['errors'][0])} |")
    lines += ["", "Workloads: **wrk keep-alive** reuses connections (wrk -t1); **ab new "
              "connection** opens one TCP connection per request (ab without -k).", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--forkd", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--ab-requests", type=int, default=20000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--load-cpu", type=int, default=1)
    parser.add_argument("--modes", default="single,fork,prefork")
    args = parser.parse_args()
    extras = {"single": [], "fork": ["--max-children", "256"], "prefork": ["--workers", "8"]}
    rows = []
    for mode in args.modes.split(","):
        for tool, workload in (("wrk", "wrk keep-alive"), ("ab", "ab new connection")):
            runs = [measure(args.forkd, mode, extras[mode], tool, args) for _ in range(args.repeat)]
            rows.append(((mode, workload), median_row(runs)))
            print(f"{mode:8} {workload:18} {rows[-1][1]['rps'][0]:10.0f} req/s", file=sys.stderr)
    Path(args.out).write_text(report(rows, args))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
