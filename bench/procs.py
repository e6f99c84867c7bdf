"""Which processes belong to a server under test, how much CPU they used, how much memory
they hold, and how to end them all by PID.

Each server runs in its own cgroup (v1 `pids` + `cpuacct` hierarchies, or a v2 cgroup)
when the machine lets us make one: a cgroup sees every process of the server, also those
that left their parent's process group (forkd's children) or were never reaped (the
tutorial server's), counts the CPU of processes that already exited, and its `pids.max`
is the process cap the tutorial server needs. Without cgroups we fall back to walking
/proc from the leader PIDs, and CPU of exited processes is then only seen when a parent
reaped them (cutime/cstime).
"""
import os
import signal
import statistics
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
TICK = os.sysconf("SC_CLK_TCK")


def _v1_dirs(name):
    """The cgroup v1 directories to create for `name`, or None if v1 is not usable."""
    pids, cpu = CGROUP_ROOT / "pids", CGROUP_ROOT / "cpuacct"
    if (pids / "cgroup.procs").exists() and (cpu / "cpuacct.usage").exists():
        return {"pids": pids / name, "cpu": cpu / name}
    return None


def _v2_dirs(name):
    """The cgroup v2 directory for `name` (pure v2 machines), or None."""
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        try:  # the pids cap needs the controller enabled for our children; best effort
            (CGROUP_ROOT / "cgroup.subtree_control").write_text("+pids")
        except OSError:
            pass
        return {"pids": CGROUP_ROOT / name, "cpu": CGROUP_ROOT / name}
    return None


class Tracker:
    """The processes of one server run. `wrap(cmd)` returns a command that joins the
    cgroup before exec'ing `cmd`, so no child can be forked outside of it."""

    def __init__(self, name, pids_max=None):
        self.leaders = []
        self.dirs = None
        for make in (_v1_dirs, _v2_dirs):
            dirs = make(f"forkd-bench-{name}-{os.getpid()}")
            if dirs is None:
                continue
            try:
                for d in set(dirs.values()):
                    d.mkdir(exist_ok=True)
                self.dirs = dirs
                break
            except OSError:
                continue
        self.capped = False
        if self.dirs and pids_max:
            try:
                (self.dirs["pids"] / "pids.max").write_text(str(pids_max))
                self.capped = True
            except OSError:
                pass

    @property
    def kind(self):
        return "cgroup" if self.dirs else "/proc walk"

    def wrap(self, cmd):
        if not self.dirs:
            return cmd
        procs = " ".join(str(d / "cgroup.procs") for d in set(self.dirs.values()))
        join = f'for f in {procs}; do echo $$ > "$f"; done; exec "$@"'
        return ["sh", "-c", join, "sh", *cmd]

    def pids(self):
        """Every live process of the server (zombies included: they still count)."""
        if self.dirs:
            text = (self.dirs["pids"] / "cgroup.procs").read_text()
            return sorted(int(p) for p in text.split())
        return sorted(set(self.leaders) | {d for p in self.leaders for d in _descendants(p)})

    def cpu_seconds(self):
        """CPU (user+system) used so far by all processes of the server, exited ones too."""
        if self.dirs:
            cpu = self.dirs["cpu"]
            if (cpu / "cpuacct.usage").exists():
                return int((cpu / "cpuacct.usage").read_text()) / 1e9
            stat = dict(line.split() for line in (cpu / "cpu.stat").read_text().splitlines())
            return int(stat["usage_usec"]) / 1e6
        total = 0
        for pid in self.pids():
            fields = _stat_fields(pid)
            if fields:  # utime stime, plus cutime cstime for the leaders' reaped children
                total += sum(int(x) for x in fields[11:15 if pid in self.leaders else 13])
        return total / TICK

    def memory(self):
        """PSS in KiB: the leaders (masters), the median other process (a worker), the total."""
        pss = {pid: pss_kib(pid) for pid in self.pids()}
        pss = {pid: kib for pid, kib in pss.items() if kib is not None}
        workers = [kib for pid, kib in pss.items() if pid not in self.leaders]
        return {"master_kib": sum(kib for pid, kib in pss.items() if pid in self.leaders),
                "worker_kib": statistics.median(workers) if workers else None,
                "total_kib": sum(pss.values()), "processes": len(pss)}

    def kill_all(self, timeout):
        """SIGKILL, one PID at a time, whatever is left; returns how many there were."""
        left = self.pids()
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while self.pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        return len(left)

    def close(self):
        if self.dirs:
            for d in set(self.dirs.values()):
                try:
                    d.rmdir()
                except OSError:
                    pass


def pss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _stat_fields(pid):
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def _descendants(pid):
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
