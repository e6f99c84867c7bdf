"""forkd's benchmarks against nginx, h2o, nginx + PHP-FPM, Apache prefork, gunicorn, the
tutorial's PHP server, tcpserver and a minimal fork-per-connection server (fork-floor); W8,
forkd's library against cpp-httplib and CivetWeb; W9, CGI hello against Apache mod_cgid and
nginx + fcgiwrap, beside the fork+exec floor; W10, PHP hello through forkd spawning php-cgi,
forkd passing to PHP-FPM, nginx + PHP-FPM and Apache + mod_php, with a PHP sleeper table
and the idle memory of each set-up.
Writes docs/benchmarks.md, docs/img/ and bench/results/latest.json.

    bench/run build/forkd                      # full run (about 25 minutes on 2 CPUs)
    bench/run build/forkd --quick              # one short repetition, to iterate
    bench/run build/forkd --only W1,W2 --servers forkd,nginx
    bench/run build/forkd --only W8 --merge    # W8 (W8a, W8b, W8c) into the existing page
    bench/run build/forkd --only W9 --servers forkd-hybrid,forkd-prefork,apache-cgid,nginx-fcgiwrap --merge
    bench/run build/forkd --only W10 --servers forkd-hybrid,forkd-prefork,forkd-fpm,nginx-php-fpm,apache-prefork --merge

Fairness: servers are pinned to one CPU set and everything else (this script, wrk, ab,
the W4 sleepers, slowhttptest, strace) to another. Repetitions are the outer loop, so that drift on a shared
machine spreads over all servers instead of landing on one.
"""
import argparse
import datetime
import json
import os
import resource
import sys
import time
import traceback
from pathlib import Path

import metrics_cost
import report
import servers
import workloads

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8a", "W8b", "W8c", "W9", "W10")
W8_PARTS = ("W8a", "W8b", "W8c")  # `--only W8` asks for all three
W9_FLOOR = "W9 floor"  # the records of bench/w9/spawn_floor.c (report.py's W9 section)
OPEN_FILES = 65536  # RLIMIT_NOFILE for the servers and load tools: W6 holds 1,000 connections


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--forkd", required=True, help="the forkd binary")
    p.add_argument("--out", default=str(REPO / "docs" / "benchmarks.md"))
    p.add_argument("--quick", action="store_true", help="one short repetition of everything")
    p.add_argument("--only", default=",".join(WORKLOADS), help="workloads, e.g. W1,W2")
    p.add_argument("--servers", default="", help="names or families, e.g. forkd,nginx")
    p.add_argument("--repeat", type=int)
    p.add_argument("--seconds", type=int, help="W1: each wrk run")
    p.add_argument("--connections", type=int, default=32, help="W1, W2 concurrency")
    p.add_argument("--ab-requests", type=int, help="W2: requests per run")
    p.add_argument("--ab-seconds", type=int, help="W2: time cap per run")
    p.add_argument("--bounded-requests", type=int,
                   help="W2/W4 request cap for servers that keep a process per connection")
    p.add_argument("--w4-seconds", type=int)
    p.add_argument("--w4-clients", type=int, default=4, help="W4: ab concurrency on /")
    p.add_argument("--slowloris", type=int, default=1000, help="W6: slowloris connections held")
    p.add_argument("--w6-seconds", type=int, help="W6: the wrk run on / while they are held")
    p.add_argument("--w6-clients", type=int, default=8, help="W6: wrk connections on /")
    p.add_argument("--no-strace", action="store_true", help="W3: skip the system-call count")
    p.add_argument("--w8-seconds", type=int, help="W8b: each wrk run")
    p.add_argument("--w8c-seconds", type=int, help="W8c: the crash run (once, first repetition)")
    p.add_argument("--w9-spawns", type=int, help="W9: fork+execs of each program by the floor")
    p.add_argument("--server-cpus", default="0", help="taskset list for the servers")
    p.add_argument("--load-cpus", default="1", help="taskset list for everything else")
    p.add_argument("--no-plots", action="store_true")
    p.add_argument("--from-json", metavar="FILE",
                   help="re-write the page from saved results (e.g. after editing bench/reading.md)")
    p.add_argument("--merge", action="store_true",
                   help="keep the page's other sections: replace only the sections of the "
                        "workloads run (and the reading); raw results go beside latest.json")
    opts = p.parse_args(argv)
    # Full-run defaults sized so that everything fits in about 25 minutes on 2 CPUs:
    # W1, W2, W4, W5 about 16, W3 about 3.5 (strace once), W6 about 2, W7 about 1.
    # W8 about 6 more: W8a and W8b as W1 for 3 servers, W8c's 60 s once for forkd (the
    # others die at their first crash). W9 about 2 more: two wrk runs for 4 servers, and
    # the fork+exec floor (a few seconds) once per repetition.
    defaults = dict(repeat=3, seconds=5, ab_requests=20000, ab_seconds=8, bounded_requests=1000,
                    w4_seconds=6, w6_seconds=5, w8_seconds=10, w8c_seconds=60, w9_spawns=5000)
    if opts.quick:
        defaults = dict(repeat=1, seconds=2, ab_requests=3000, ab_seconds=3, bounded_requests=300,
                        w4_seconds=3, w6_seconds=3, w8_seconds=3, w8c_seconds=10, w9_spawns=1000)
    for key, value in defaults.items():
        if getattr(opts, key) is None:
            setattr(opts, key, value)
    only = [w.strip().upper().replace("W8A", "W8a").replace("W8B", "W8b").replace("W8C", "W8c")
            for w in opts.only.split(",") if w.strip()]
    only = ["W9" if w in ("W9A", "W9B") else w for w in only]  # W9 runs both programs
    opts.only = [part for w in only for part in (W8_PARTS if w == "W8" else (w,))]
    unknown = set(opts.only) - set(WORKLOADS)
    if unknown:
        p.error(f"unknown workloads: {', '.join(sorted(unknown))}")
    opts.forkd = str(Path(opts.forkd).resolve())
    return opts


def cpu_set(text):
    """taskset's list syntax, "1" or "1,3" or "2-3", as a set of CPU numbers."""
    cpus = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return cpus


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def raise_open_files():
    """Soft (and, as root, hard) RLIMIT_NOFILE up to OPEN_FILES, inherited by every server
    and load tool the bench starts (`ulimit -n`); returns the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, OPEN_FILES)
    for limits in ((want, max(hard, want)), (min(want, hard), hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, limits)
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def runs_for(spec, opts, rep=0):
    """(workload, argument) pairs to run for `spec`, in order. W5 rides along on W1 (W2
    for servers without keep-alive), so asking for W5 alone still runs that load. W3, W6
    and W7 run for the servers whose spec lists them (Spec.extra), W8 for those that list "W8"
(and only W8: Spec.solely)."""
    wanted = set(opts.only)
    if spec.solely is not None:
        wanted &= spec.solely
    memory_on = ("W1" if spec.keepalive else "W2") if "W5" in wanted else None
    if spec.keepalive and ("W1" in wanted or memory_on == "W1"):
        yield "W1", None
    if "W2" in wanted or memory_on == "W2":
        yield "W2", None
    if "W3" in wanted and "W3" in spec.extra:
        yield "W3", None
    if "W4" in wanted and spec.sleep_route:
        for n in workloads.W4_IN_FLIGHT:
            yield "W4", n
    for w in ("W6", "W7"):
        if w in wanted and w in spec.extra:
            yield w, None
    if "W8" in spec.extra:
        if "W8a" in wanted:
            yield "W8a", None
        if "W8b" in wanted:
            for variant in workloads.W8B_VARIANTS:
                yield "W8b", variant
        if "W8c" in wanted and rep == 0:  # 60 s of load: once per run
            yield "W8c", None
    if "W9" in wanted and "W9" in spec.extra:
        yield "W9", None
    if "W10" in wanted and "W10" in spec.extra:  # PHP hello and memory, then the sleepers
        yield "W10", None
        for n in workloads.W10_IN_FLIGHT:
            yield "W10s", n


def run_one(spec, workload, arg, opts, rep):
    """Starts `spec` fresh, runs one workload, stops it; returns records."""
    memory = {} if "W5" in opts.only and workload == ("W1" if spec.keepalive else "W2") else None
    fork_cap = servers.APP_WORKERS if workload == "W4" else 256
    sleepers = None
    with servers.Run(spec, opts.forkd, opts.server_cpus, fork_cap, workload) as run:
        if workload == "W1":
            records = workloads.w1(run, opts, memory)
        elif workload == "W2":
            records = workloads.w2(run, opts, memory)
        elif workload == "W3":
            records = workloads.w3(run, opts, syscalls=rep == 0 and not opts.no_strace)
        elif workload == "W6":
            records = workloads.w6(run, opts)
        elif workload == "W7":
            records = workloads.w7(run, opts)
        elif workload == "W8a":
            records = workloads.w8a(run, opts)
        elif workload == "W8b":
            records = workloads.w8b(run, opts, arg)
        elif workload == "W8c":
            records = workloads.w8c(run, opts)
        elif workload == "W9":
            records = workloads.w9(run, opts)
        elif workload == "W10":
            records = workloads.w10(run, opts)
        elif workload == "W10s":
            records, sleepers = workloads.w10s(run, opts, arg)
        else:
            records, sleepers = workloads.w4(run, opts, arg)
    if sleepers:  # the server is gone now, so every sleeper returns
        sleepers.join()
        for r in records:  # W10s: both rows of the level share the sleepers
            r.update(sleeps_done=sleepers.done, sleep_errors=sleepers.errors)
    for r in records:  # W10's memory records keep their own workload ("W10 memory")
        r.update(workload=r.get("workload", workload), server=spec.name, rep=rep,
                 left_after_stop=run.left_after_stop)
    for state, sample in (memory or {}).items():
        records.append(dict(sample, workload="W5", server=spec.name, rep=rep, variant=state))
    return records


def rewrite(opts):
    """The page again from saved results, with the run's own options and servers."""
    saved = json.loads(Path(opts.from_json).read_text())
    meta, records = saved["meta"], saved["records"]
    ran = argparse.Namespace(**dict(meta["options"], out=opts.out, no_plots=opts.no_plots,
                                    merge=opts.merge or meta["options"].get("merge", False)))
    names = {r["server"] for r in records}
    specs = [s for s in servers.SPECS if s.name in names]
    write_outputs(meta, records, specs, meta["unavailable"], ran, save=False)


def main(argv):
    opts = parse_args(argv)
    if opts.from_json:
        return rewrite(opts)
    # This script and every load tool it starts stay off the server CPUs.
    os.sched_setaffinity(0, cpu_set(opts.load_cpus))
    specs, unavailable = [], {}
    for spec in servers.select([s.strip() for s in opts.servers.split(",") if s.strip()]):
        missing = spec.missing(opts.forkd)
        if missing:
            unavailable[spec.name] = f"{', '.join(missing)} not installed (scripts/install-deps bench)"
        else:
            specs.append(spec)
    opts.open_files = raise_open_files()
    if "W6" in opts.only and opts.open_files < opts.slowloris + 1024:
        log(f"W6: only {opts.open_files} open files allowed (ulimit -n); the servers and "
            f"slowhttptest may not reach {opts.slowloris} connections")
    started, t0 = datetime.datetime.now().isoformat(timespec="seconds"), time.monotonic()
    env = report.environment(opts.forkd)
    records = []
    for rep in range(opts.repeat):
        for spec in specs:
            for workload, arg in runs_for(spec, opts, rep):
                label = f"rep {rep + 1}/{opts.repeat} {workload} {spec.name}" + (f" {arg}" if arg else "")
                try:
                    got = run_one(spec, workload, arg, opts, rep)
                    records += got
                    log(f"{label}: " + ", ".join(
                        f"{r['variant']} {r['rps']:,.0f} req/s" if "rps" in r else
                        f"{r['variant']} {r['syscalls_per_req']:.1f} per request"
                        for r in got if "rps" in r or "syscalls_per_req" in r))
                except Exception as e:  # one broken anchor must not end the whole run
                    variant = {"W1": "keep-alive", "W2": "new connection", "W3": "4 KiB",
                               "W6": f"{opts.slowloris} slowloris",
                               "W7": "blocking hello", "W8a": workloads.W8A_VARIANT,
                               "W8b": arg, "W8c": workloads.W8C_VARIANT,
                               "W9": "W9a: C program",
                               "W10": workloads.W10_HELLO_VARIANT,
                               "W10s": f"{arg} in flight, PHP hello",
                               }.get(workload, f"{arg} in flight")
                    records.append(dict(workload=workload, server=spec.name, rep=rep,
                                        variant=variant, failed=str(e).replace("\n", " ")))
                    log(f"{label}: FAILED {e}")
                    traceback.print_exc()
        if "W9" in opts.only and any("W9" in s.extra for s in specs):
            try:  # the fork+exec floor, beside W9's table: once per repetition
                got = workloads.w9_floor(opts, opts.w9_spawns)
                for r in got:
                    r.update(workload=W9_FLOOR, server="spawn-floor", rep=rep)
                records += got
                log(f"rep {rep + 1}/{opts.repeat} {W9_FLOOR}: " + ", ".join(
                    f"{r['variant']} {r['cpu_us']:.0f} µs CPU per spawn" for r in got))
            except Exception as e:
                records.append(dict(workload=W9_FLOOR, server="spawn-floor", rep=rep,
                                    variant="W9a: C program", failed=str(e).replace("\n", " ")))
                log(f"rep {rep + 1}/{opts.repeat} {W9_FLOOR}: FAILED {e}")
    meta = {"started": started, "duration_s": time.monotonic() - t0, "environment": env,
            "tracking": tracking_kind(),
            "options": {k: v for k, v in vars(opts).items()}, "unavailable": unavailable}
    write_outputs(meta, records, specs, unavailable, opts)


def tracking_kind():
    tracker = servers.Tracker("probe")
    tracker.close()
    return tracker.kind


def write_outputs(meta, records, specs, unavailable, opts, save=True):
    out = Path(opts.out)
    img = out.parent / "img"
    img.mkdir(parents=True, exist_ok=True)
    plot = None
    if "W4" in opts.only and not opts.no_plots:
        plot = img / "w4-latency.png"
        if not report.plot_w4(report.aggregate(records), [s.name for s in specs], plot):
            plot = None
    reading_file = HERE / "reading.md"
    reading = reading_file.read_text() if reading_file.exists() and not opts.quick else ""
    page = report.markdown(meta, records, specs, unavailable, reading, plot)
    if getattr(opts, "merge", False) and out.exists():
        page = report.merge(out.read_text(), page, opts.only)
    elif out.exists() and (kept := metrics_cost.section_in(out.read_text())):
        page = metrics_cost.replace_section(page, kept)  # that script's own section stays
    out.write_text(page)
    log(f"wrote {out}" + (f", {plot}" if plot else ""))
    if save:  # raw results: bench/results/latest.json for the docs page, else beside --out
        default = out.resolve() == (REPO / "docs" / "benchmarks.md").resolve()
        results = HERE / "results" / "latest.json" if default else out.with_suffix(".json")
        if getattr(opts, "merge", False):  # a part of the page: leave the whole run's file be
            results = results.with_name(f"{results.stem}-{'-'.join(opts.only)}.json")
        results.parent.mkdir(exist_ok=True)
        results.write_text(json.dumps({"meta": meta, "records": records}, indent=1))
        log(f"wrote {results}")


if __name__ == "__main__":
    main(sys.argv[1:])
