#!/usr/bin/env python3
"""What the access log costs per request, in instructions: forkd hybrid (one io worker) under
`valgrind --tool=callgrind`, W1's request (`GET /`, keep-alive, `this is server`) sent by
`ab -k -c1`, with the access log off, `combined` and `json`.

Instructions repeat exactly from run to run, where CPU time on a shared machine varies by
more than the few per cent measured here. Each configuration runs twice, with `--small` and
`--large` requests; the io worker's instructions (from its callgrind.out.PID) differ by what
the extra requests cost, so start-up, shutdown and the master's timer ticks fall out:

    instructions per request = (Ir(large) - Ir(small)) / (large - small)

Usage: bench/log_cost.py [build/forkd] [--small 2000] [--large 12000] [--target /?sleep=0]
Prints a Markdown table (docs/benchmarks.md, "JSON access log").
"""
import argparse
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from metrics_cost import wait_for  # polls with a deadline


def children(pid):
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def io_worker_instructions(forkd, access_log_format, requests, workdir, target, more_settings=()):
    """Ir of the io worker that served `requests` keep-alive requests; `more_settings`: more
    lines of its configuration."""
    run = Path(tempfile.mkdtemp(dir=workdir))
    config = run / "forkd.toml"
    settings = ['mode = "hybrid"', "io_workers = 1", "workers = 1", 'listen = ["127.0.0.1:0"]',
                f'error_log = "{run}/error.log"']
    if access_log_format:
        settings += [f'access_log = "{run}/access.log"',
                     f'access_log_format = "{access_log_format}"']
    settings += list(more_settings)
    config.write_text("\n".join(settings) + "\n")
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={run}/callgrind.out.%p",
         forkd, "-c", str(config)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        log = run / "error.log"
        port = wait_for(lambda: log.exists() and re.search(r"listening on [\d.]+:(\d+)",
                                                           log.read_text()), 120, "forkd")
        port = int(port.group(1))
        # Under valgrind /proc/PID/cmdline keeps valgrind's, not forkd's titles: the io
        # worker is found afterwards, as the child that ran the most instructions.
        wait_for(lambda: len(children(server.pid)) == 2, 120, "the io and app workers")
        done = subprocess.run(["ab", "-q", "-k", "-c1", "-n", str(requests),
                               f"http://127.0.0.1:{port}{target}"], capture_output=True, text=True)
        failed = re.search(r"Failed requests:\s+(\d+)", done.stdout)
        if done.returncode != 0 or not failed or failed.group(1) != "0":
            sys.exit(f"log_cost: ab failed:\n{done.stdout}{done.stderr}")
        if access_log_format:
            wait_for(lambda: (run / "access.log").read_text().count("\n") >= requests, 60,
                     "the access log's lines")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
    counts = []
    for out in run.glob("callgrind.out.*"):
        if out.name != f"callgrind.out.{server.pid}":
            counts.append(int(re.search(r"^summary:\s+(\d+)", out.read_text(),
                                        re.MULTILINE).group(1)))
    return max(counts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("forkd", nargs="?", default="build/forkd")
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--large", type=int, default=12000)
    parser.add_argument("--target", default="/",
                        help="/ (W1: inline) or /?sleep=0 (W7: handed to an app worker)")
    args = parser.parse_args()
    forkd = str(Path(args.forkd).resolve())
    rows = {}
    with tempfile.TemporaryDirectory(prefix="forkd-log-cost-") as workdir:
        for access_log_format in (None, "combined", "json"):
            small = io_worker_instructions(forkd, access_log_format, args.small, workdir,
                                           args.target)
            large = io_worker_instructions(forkd, access_log_format, args.large, workdir,
                                           args.target)
            rows[access_log_format or "off"] = (large - small) / (args.large - args.small)
    print(f"`GET {args.target}`, `valgrind --tool=callgrind`, io worker only, "
          f"(Ir({args.large}) - Ir({args.small})) / {args.large - args.small} requests, "
          "`ab -k -c1`:\n")
    print("| access log | instructions per request | vs off | vs combined |")
    print("|---|---|---|---|")
    for name, per_request in rows.items():
        print(f"| {name} | {per_request:,.0f} | {per_request / rows['off'] - 1:+.1%} | "
              f"{per_request / rows['combined'] - 1:+.1%} |")


if __name__ == "__main__":
    main()
