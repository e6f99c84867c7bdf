#!/usr/bin/env python3
"""The functions of src/hot_functions.txt sit next to each other in the forkd binary.

Usage: tests/hot_code_grouped.py path/to/forkd path/to/hot_functions.txt

A fork-mode child faults in every 64 KiB window of code it runs; forkd is linked with these
functions together (CMakeLists.txt, FORKD_ORDER_HOT_CODE) so that it runs few windows. This
fails if the link lost the order (the flags dropped, another linker), not if the list is
somewhat stale: most of the names must be in the binary, and those that are must lie in
one stretch of code not much longer than their sizes add up to.
"""
import subprocess
import sys


def main():
    binary, listing = sys.argv[1], sys.argv[2]
    wanted = {line.strip() for line in open(listing) if line.strip() and not line.startswith("#")}
    found = {}
    nm = subprocess.run(["nm", "-S", "--defined-only", binary], capture_output=True, text=True,
                        check=True).stdout
    for line in nm.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[2] in "tTwW" and fields[3] in wanted:
            found[fields[3]] = (int(fields[0], 16), int(fields[1], 16))
    if len(found) < len(wanted) // 2:
        sys.exit(f"only {len(found)} of the {len(wanted)} hot functions are in {binary}")
    start = min(address for address, _ in found.values())
    end = max(address + size for address, size in found.values())
    total = sum(size for _, size in found.values())
    # Functions are aligned (16 bytes, the C library's string functions 64), and in a static
    # program a listed function of the C library brings the rest of its object file along
    # (malloc's brings realloc and calloc): some room between them, a quarter at most. An
    # unordered link spreads them over megabytes.
    if end - start > total * 5 // 4 + 16 * len(found) + 4096:
        sys.exit(f"the {len(found)} hot functions ({total} bytes) are spread over "
                 f"{end - start} bytes of {binary}: the link did not group them")
    print(f"{len(found)} of {len(wanted)} hot functions in {end - start} bytes ({total} bytes of code)")


if __name__ == "__main__":
    main()
