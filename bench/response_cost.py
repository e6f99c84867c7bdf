#!/usr/bin/env python3
"""What the io worker spends on one keep-alive request, in instructions: forkd hybrid (one io
worker) under `valgrind --tool=callgrind`, `ab -k -c1`, W1's `GET /` (the demo's inline
`this is server`) and W3's small static file (4 KiB, its bytes in the open-file cache).

Each request runs twice, with `--small` and `--large` requests; the io worker's instructions
differ by what the extra requests cost, so start-up, shutdown and idle ticks fall out:

    instructions per request = (Ir(large) - Ir(small)) / (large - small)

Usage: bench/response_cost.py [build/forkd ...] [--small 1000] [--large 6000]
Several binaries (before and after a change) are measured in turns, in the same run.
"""
import argparse
import tempfile
from pathlib import Path

from log_cost import io_worker_instructions


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("forkd", nargs="*", default=["build/forkd"])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=6000)
    args = parser.parse_args()
    binaries = [str(Path(forkd).resolve()) for forkd in args.forkd]
    with tempfile.TemporaryDirectory(prefix="forkd-response-cost-") as workdir:
        root = Path(workdir) / "root"
        root.mkdir()
        # Written before W1 runs: the cache keeps a file's bytes once its ctime is a second old.
        (root / "4k.bin").write_bytes(bytes(range(256)) * 16)
        print("| request | " + " | ".join(args.forkd) + " |")
        print("|---|" + "---|" * len(binaries))
        for name, target, settings in (("W1 `GET /`", "/", ()),
                                       ("W3 4 KiB file", "/4k.bin", (f'root = "{root}"',))):
            cells = []
            for forkd in binaries:
                small, large = (io_worker_instructions(forkd, None, requests, workdir, target,
                                                       settings)
                                for requests in (args.small, args.large))
                cells.append(f"{(large - small) / (args.large - args.small):,.0f}")
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
