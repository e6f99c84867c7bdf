"""What the abuse tests read about forkd's processes in /proc: how many fds each one holds,
which of them are listening sockets, which children are zombies, and how much memory each
one uses.

A leak shows as a count that does not come back; a leaked or duplicated listener as a
listening socket more than the configuration asks for."""
import os
import time
from pathlib import Path

from background import titles_of
from conftest import child_pids, process_state, wait_until


def fd_targets(pid):
    """{fd: what it points to} of `pid` ("socket:[123]", "/tmp/x", "anon_inode:[eventpoll]"),
    or None when the process is gone."""
    targets = {}
    try:
        for entry in Path(f"/proc/{pid}/fd").iterdir():
            try:
                targets[int(entry.name)] = os.readlink(entry)
            except FileNotFoundError:
                continue  # closed while we looked
    except (FileNotFoundError, ProcessLookupError):
        return None
    return targets


def fd_count(pid):
    targets = fd_targets(pid)
    return None if targets is None else len(targets)


def listening_inodes(port):
    """Inodes of the TCP sockets listening on `port` (any address), from /proc/net/tcp*."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "0A":  # TCP_LISTEN
                inodes.add(fields[9])
    return inodes


def listeners_held(pid, port):
    """How many of `pid`'s fds are the listening socket(s) on `port`."""
    inodes = listening_inodes(port)
    targets = fd_targets(pid) or {}
    return sum(1 for target in targets.values()
               if target.startswith("socket:[") and target[8:-1] in inodes)


def memory_kb(pid, field="VmRSS"):
    """A memory figure of `pid` from /proc/PID/status (VmRSS, VmHWM, VmSize...), in kB; 0
    when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def zombie_children(pid):
    return [child for child in child_pids(pid) if process_state(child) == "Z"]


POOL_TITLES = ("forkd: worker ", "forkd: io ", "forkd: app ")


def long_lived_processes(srv):
    """{pid: title} of the master (or single process) and its pool: workers, io workers and
    app workers, by their titles. Fork mode's connection children come and go and are not
    in it (nor is a child forked a moment ago, still titled as the master)."""
    processes = {srv.pid: "master"}
    for pid, title in titles_of(srv.children()).items():
        if title.startswith(POOL_TITLES):
            processes[pid] = title.split(" busy ")[0]
    return processes


def wait_for_pool(srv, size, timeout=10):
    """Waits until the master has `size` pool processes; returns long_lived_processes(srv)."""

    def full():
        processes = long_lived_processes(srv)
        return processes if len(processes) == 1 + size else None

    return wait_until(full, timeout=timeout, message=f"the master and a pool of {size}")


def settled_fd_counts(processes, quiet=1.0, timeout=15):
    """{pid: fd count} once no count of `processes` has changed for `quiet` seconds: a
    baseline taken while a connection still closes would be off by one."""
    last, since = None, time.monotonic()

    def settled():
        nonlocal last, since
        counts = {pid: fd_count(pid) for pid in processes}
        if counts != last:
            last, since = counts, time.monotonic()
        return counts if time.monotonic() - since >= quiet else None

    return wait_until(settled, timeout=timeout, interval=0.1, message="fd counts to settle")


def hybrid_links(processes):
    """{pid: how many fds more than its baseline it may keep}: in hybrid mode each io worker
    keeps a link (one socket) with every app worker it has handed a request to, and each
    app worker its end of every such link, for as long as both live. Nothing for the
    other processes, nor in the other modes."""
    io = [pid for pid, title in processes.items() if title.startswith("forkd: io ")]
    app = [pid for pid, title in processes.items() if title.startswith("forkd: app ")]
    allowance = {pid: 0 for pid in processes}
    allowance.update({pid: len(app) for pid in io})
    allowance.update({pid: len(io) for pid in app})
    return allowance


def wait_for_fd_counts(processes, expected, timeout, message):
    """Polls until every pid of `processes` holds `expected[pid]` fds, plus at most the
    links hybrid mode keeps (hybrid_links); returns the counts last seen (for the failure
    message when they never settle). A leak of one fd per request or connection goes far
    past that allowance."""
    seen = {}
    allowance = hybrid_links(processes)

    def settled():
        seen.update({pid: fd_count(pid) for pid in processes})
        return all(expected[pid] <= seen[pid] <= expected[pid] + allowance[pid]
                   for pid in processes)

    try:
        wait_until(settled, timeout=timeout, interval=0.1, message=message)
    except AssertionError:
        detail = {f"{processes[pid]} ({pid})": (expected[pid], seen[pid]) for pid in processes}
        raise AssertionError(f"{message}: (before, after) = {detail}") from None
    return seen


class ZombieWatch:
    """Samples the master's children; remembers how long each zombie stayed unreaped."""

    def __init__(self, master_pid):
        self.master_pid = master_pid
        self.first_seen = {}
        self.longest = 0.0

    def sample(self):
        now = time.monotonic()
        zombies = set(zombie_children(self.master_pid))
        for pid in zombies:
            self.first_seen.setdefault(pid, now)
        for pid in list(self.first_seen):
            self.longest = max(self.longest, now - self.first_seen[pid])
            if pid not in zombies:
                del self.first_seen[pid]
