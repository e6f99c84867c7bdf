#!/usr/bin/env python3
"""What the io worker spends on one keep-alive request, in instructions: forkd hybrid (one io
worker) under `valgrind --tool=callgrind`, `ab -k -c1`, W1's `GET /` (the demo's inline
`this is server`) and W3's small static file (4 KiB, served from the open-file cache).

Each request runs twice, with `--small` and `--large` requests; the io worker's instructions
differ by what the extra requests cost, so start-up, shutdown and idle ticks fall out:

    instructions per request = (Ir(large) - Ir(small)) / (large - small)

Usage: bench/response_cost.py [build/forkd] [--small 1000] [--large 6000]
"""
import argparse
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from log_cost import children
from metrics_cost import wait_for  # polls with a deadline


def io_worker_instructions(forkd, requests, workdir, target, root):
    """Ir of the io worker that served `requests` keep-alive requests of `target`."""
    run = Path(tempfile.mkdtemp(dir=workdir))
    config = run / "forkd.toml"
    settings = ['mode = "hybrid"', "io_workers = 1", "workers = 1", 'listen = ["127.0.0.1:0"]',
                f'error_log = "{run}/error.log"']
    if root:
        settings += [f'root = "{root}"']
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
        wait_for(lambda: len(children(server.pid)) == 2, 120, "the io and app workers")
        done = subprocess.run(["ab", "-q", "-k", "-c1", "-n", str(requests),
                               f"http://127.0.0.1:{port}{target}"], capture_output=True, text=True)
        failed = re.search(r"Failed requests:\s+(\d+)", done.stdout)
        if done.returncode != 0 or not failed or failed.group(1) != "0":
            sys.exit(f"response_cost: ab failed:\n{done.stdout}{done.stderr}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
    counts = []
    for out in run.glob("callgrind.out.*"):
        if out.name != f"callgrind.out.{server.pid}":
            counts.append(int(re.search(r"^summary:\s+(\d+)", out.read_text(),
                                        re.MULTILINE).group(1)))
    return max(counts)  # the io worker ran the most instructions


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("forkd", nargs="?", default="build/forkd")
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=6000)
    args = parser.parse_args()
    forkd = str(Path(args.forkd).resolve())
    with tempfile.TemporaryDirectory(prefix="forkd-response-cost-") as workdir:
        root = Path(workdir) / "root"
        root.mkdir()
        (root / "4k.bin").write_bytes(bytes(range(256)) * 16)
        print("| request | instructions per request |")
        print("|---|---|")
        for name, target, served in (("W1 `GET /`", "/", None),
                                     ("W3 4 KiB file", "/4k.bin", root)):
            small = io_worker_instructions(forkd, args.small, workdir, target, served)
            large = io_worker_instructions(forkd, args.large, workdir, target, served)
            print(f"| {name} | {(large - small) / (args.large - args.small):,.0f} |", flush=True)


if __name__ == "__main__":
    main()
