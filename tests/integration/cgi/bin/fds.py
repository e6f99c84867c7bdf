#!/usr/bin/python3
"""Lists the descriptors the program was started with: "fd target" lines."""
import os
import sys

lines = []
for name in sorted(os.listdir("/proc/self/fd"), key=int):
    try:
        target = os.readlink(f"/proc/self/fd/{name}")
    except FileNotFoundError:
        continue  # the descriptor listdir itself used, closed already
    lines.append(f"{name} {target}")
sys.stdout.write("Content-Type: text/plain\r\n\r\n" + "\n".join(lines) + "\n")
