"""Clients that run on threads while a test does something else, and the process facts
the process-model tests wait for (which child is busy with what)."""
import os
import threading
from concurrent.futures import Future
from pathlib import Path

from conftest import process_state, process_title, wait_until


def in_background(function, *args, **kwargs):
    """Runs function(*args, **kwargs) on a daemon thread; returns a Future of its result."""
    future = Future()

    def run():
        try:
            future.set_result(function(*args, **kwargs))
        except BaseException as error:  # the test sees it through future.result()
            future.set_exception(error)

    threading.Thread(target=run, daemon=True).start()
    return future


def titles_of(pids):
    """{pid: title} of the processes in `pids` that still exist."""
    titles = {pid: process_title(pid) for pid in pids}
    return {pid: title for pid, title in titles.items() if title is not None}


def wait_for_busy_child(srv, target, timeout=10.0):
    """Waits until one of srv's children has started serving `target`; returns its pid."""

    def busy_child():
        for pid, title in titles_of(srv.children()).items():
            if title.endswith(f" busy GET {target}"):
                return pid
        return None

    return wait_until(busy_child, timeout=timeout, message=f"a child busy with {target}")


def is_gone(pid):
    """True when `pid` no longer runs: no such process, or a zombie left for its reaper."""
    return process_state(pid) in (None, "Z")


def resident_kb(pid, field="VmRSS"):
    """What `pid` has in RAM now (VmRSS), or at most so far (VmHWM), in kB; None when it is
    gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    for line in status.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def open_files_in(pid, directory):
    """{fd path in /proc: size} of the files `pid` holds open inside `directory`, unlinked
    ones included (their link reads "<directory>/#<inode> (deleted)" for O_TMPFILE)."""
    prefix = str(directory).rstrip("/") + "/"
    found = {}
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        entries = list(fd_dir.iterdir())
    except (FileNotFoundError, ProcessLookupError):
        return found
    for entry in entries:
        try:
            if os.readlink(entry).startswith(prefix):
                found[str(entry)] = os.stat(entry).st_size
        except OSError:  # closed meanwhile
            continue
    return found


def socket_holders(pids, local_port, remote_port):
    """The pids among `pids` that hold the server side of the loopback TCP connection
    local_port <-> remote_port (found through /proc/net/tcp's inode)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == local_port and \
                int(remote.split(":")[1], 16) == remote_port:
            inode = fields[9]
            break
    if inode is None:
        return set()
    holders = set()
    for pid in pids:
        try:
            for entry in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(entry) == f"socket:[{inode}]":
                        holders.add(pid)
                except OSError:
                    continue
        except (FileNotFoundError, ProcessLookupError):
            continue
    return holders
